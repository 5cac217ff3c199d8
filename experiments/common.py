"""What every experiment main shares: flag parsing with one-line errors on stderr."""

import os
import sys
from collections.abc import Callable

from absl import flags, logging

from genjax.data import DatasetNotPreparedError
from genjax.train.checkpoint import SaveError

EXPECTED = (
    ValueError,
    KeyError,
    FloatingPointError,
    FileNotFoundError,
    DatasetNotPreparedError,
    SaveError,
)


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":  # a KeyError's repr
        text = text[1:-1]
    return text.splitlines()[0] if text else repr(err)


def packaged_configs() -> dict[str, str]:
    """The installed ``configs`` package's config files by name (``vae`` -> its path); empty
    when the package is not importable."""
    try:
        import configs
    except ImportError:
        return {}
    folder = os.path.dirname(configs.__file__)
    return {
        f.removesuffix(".py"): os.path.join(folder, f)
        for f in sorted(os.listdir(folder))
        if f.endswith(".py") and f not in ("__init__.py", "common.py")
    }


def config_path(path: str) -> str:
    """``path`` if it is a file; else the installed ``configs`` package's file that it names
    (``configs/vae.py``, ``vae.py`` or ``vae``), so that ``genjax-train --config=vae`` and a
    clone's ``--config=configs/vae.py`` work from any directory after a pip install; else
    ``path`` unchanged (``_check_config_path`` names the choices)."""
    if os.path.isfile(path) or os.path.dirname(path) not in ("", "configs"):
        return path
    return packaged_configs().get(os.path.basename(path).removesuffix(".py"), path)


def load_config(spec: str):
    """The config of ``path[:arg]``, as --config builds it (no overrides); a packaged config's
    name resolves as ``config_path`` says."""
    import importlib.util

    path, _, arg = spec.partition(":")
    path = config_path(path)
    module_spec = importlib.util.spec_from_file_location("_genjax_config", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.get_config(arg) if arg else module.get_config()


def _load_config(argv: list[str]):
    """The config named by ``--config=path[:arg]`` in argv, built without overrides."""
    import importlib.util

    spec_arg = next((a.split("=", 1)[1] for a in argv if a.startswith("--config=")), None)
    if spec_arg is None:
        return None
    path, _, arg = spec_arg.partition(":")
    spec = importlib.util.spec_from_file_location("_genjax_config", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.get_config(arg) if arg else module.get_config()


def _parses(text: str, kind: type) -> bool:
    """Whether ``text`` reads as a value of ``kind`` as the flag parser reads it."""
    if kind is bool:
        return text.lower() in ("true", "false", "1", "0", "yes", "no")
    try:
        kind(text)
    except ValueError:
        return False
    return True


def _override_problems(argv: list[str]) -> tuple[list[str], list[str]]:
    """The ``--config.a.b=v`` overrides whose path is absent from the config file's config,
    and those whose value does not read as the type of the field (int, float, bool)."""
    try:
        config = _load_config(argv)
    except Exception:  # the config file itself is broken: report the original error
        return [], []
    missing, mistyped = [], []
    for arg in argv:
        if config is None or not arg.startswith("--config."):
            continue
        path, _, text = arg[len("--config.") :].partition("=")
        node = config
        for part in path.split("."):
            if not hasattr(node, "keys") or part not in node.keys():
                valid = ", ".join(sorted(node.keys())) if hasattr(node, "keys") else ""
                missing.append(f"{path} (valid here: {valid})" if valid else path)
                break
            node = node[part]
        else:
            kind = type(node)
            if kind in (bool, int, float) and not _parses(text, kind):
                mistyped.append(f"{path} must be of type {kind.__name__}; got {text!r}")
    return missing, mistyped


def _check_config_path(argv: list[str]) -> None:
    """Resolve a packaged config's name in ``--config=path[:arg]`` (``config_path``; argv is
    rewritten in place), and give a one-line error when it names no file."""
    import glob

    for i, arg in enumerate(argv):
        if arg.startswith("--config="):
            path, colon, rest = arg.split("=", 1)[1].partition(":")
            path = config_path(path)
            argv[i] = f"--config={path}{colon}{rest}"
            if not os.path.isfile(path):
                if os.path.dirname(path) in ("", "configs"):
                    names = ", ".join(packaged_configs())
                    raise ValueError(f"config {path} not found; packaged configs: {names}")
                found = sorted(glob.glob(os.path.join(os.path.dirname(path), "*.py")))
                names = ", ".join(f for f in found if not f.endswith("__init__.py"))
                raise ValueError(f"config file {path} not found; config files there: {names}")


def write_report(out: str, stem: str, report: dict, text: str) -> None:
    """Write ``out/stem.json`` (the figures) and ``out/stem.md`` (their table), and print the
    table."""
    import json

    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, f"{stem}.json"), "w") as f:
        json.dump(report, f, indent=2)
    with open(os.path.join(out, f"{stem}.md"), "w") as f:
        f.write(text)
    print(text)


def run(main: Callable[[list[str]], None], expected: tuple[type, ...] = ()) -> int:
    """Parse flags and run ``main``; expected errors (``EXPECTED`` and ``expected``) print
    ``error: <one line>``, exit code 1.

    Set GENJAX_TRACEBACK=1 for the full traceback.
    """
    logging.set_verbosity(logging.WARNING)
    try:
        _check_config_path(sys.argv)
        try:
            argv = flags.FLAGS(sys.argv)
        except (KeyError, AttributeError, flags.Error) as err:
            missing, mistyped = _override_problems(sys.argv)
            if missing:
                raise ValueError(f"config key does not exist: {'; '.join(missing)}") from err
            if mistyped:
                raise ValueError(f"config override: {'; '.join(mistyped)}") from err
            root = err
            while root.__cause__ or root.__context__:  # the innermost error says what is wrong
                root = root.__cause__ or root.__context__
            raise ValueError(_first_line(root)) from err
        main(argv)
    except EXPECTED + expected as err:
        if os.environ.get("GENJAX_TRACEBACK"):
            raise
        print(f"error: {_first_line(err)}", file=sys.stderr)
        return 1
    return 0
