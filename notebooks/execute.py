"""Execute notebooks in place with their default parameters, so that the repository shows their
outputs (plots, printed figures):

  python notebooks/execute.py notebooks/*.ipynb [--kernel python3] [--workdir /tmp/nb]

Each runs from a fresh kernel in ``--workdir`` (where their runs/ folders go); a failing cell
stops that notebook and leaves the file as it was. What cells print to stderr (warnings,
progress bars) is not kept.
"""

import argparse
import os
import sys
import time

import nbformat
from nbclient import NotebookClient


def execute_in_place(path: str, kernel: str, workdir: str) -> float:
    """Execute the notebook at ``path`` and write it back with its outputs.

    Args:
      path: an .ipynb file.
      kernel: the Jupyter kernel name.
      workdir: the kernel's working directory.

    Returns:
      Seconds taken.
    """
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb,
        timeout=3600,
        kernel_name=kernel,
        record_timing=False,
        resources={"metadata": {"path": workdir}},
    ).execute()
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if o.get("name") != "stderr"]
    nbformat.write(nb, path)
    return time.perf_counter() - start


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+")
    parser.add_argument("--kernel", default="python3")
    parser.add_argument("--workdir", default=os.getcwd())
    args = parser.parse_args(argv)
    os.makedirs(args.workdir, exist_ok=True)
    for path in args.notebooks:
        seconds = execute_in_place(path, args.kernel, args.workdir)
        print(f"{path}: executed in {seconds:.0f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
