"""The package's structure: imports point down the layers (read from the source, nothing
executed), the pure pieces import alone, and no function is longer than a screen."""

import ast
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# genjax's layers, bottom up (README, "Layout"): a module may import its own layer and those
# below it, never one above.
LAYERS = {
    "checks": 0,
    "locks": 0,
    "data": 0,
    "viz": 0,
    "models": 1,
    "losses": 1,
    "diffusion": 1,
    "energy": 1,
    "inference": 1,
    "optim": 1,
    "methods": 2,
    "train": 3,
    "eval": 4,
    "run": 4,
    "tools": 5,
    "applications": 5,
}
MAX_FUNCTION_LINES = 60


def layer_of(module: str) -> int | None:
    """The layer of a ``genjax.<part>...`` module name (None outside genjax or for the root)."""
    parts = module.split(".")
    if parts[0] != "genjax" or len(parts) < 2:
        return None
    return LAYERS.get(parts[1], -1)  # -1: a part no layer names


def module_name(path: Path, root: Path) -> str:
    return ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")


def imported_modules(path: Path, root: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in ``path``, relative imports resolved."""
    package = module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            out += [(node.lineno, f"{module}.{a.name}") for a in node.names]
            out.append((node.lineno, module))
    return out


def upward_imports(root: Path) -> list[str]:
    """Every import in ``root/genjax`` that points up a layer, or into an unnamed part."""
    bad = []
    for path in sorted((root / "genjax").rglob("*.py")):
        own = layer_of(module_name(path, root))
        for line, module in imported_modules(path, root):
            other = layer_of(module)
            if other == -1 or (own is not None and other is not None and other > own):
                bad.append(f"{path.relative_to(root)}:{line} imports {module}")
    return bad


def test_every_part_of_genjax_has_a_layer():
    parts = {p.stem for p in (ROOT / "genjax").iterdir() if p.suffix == ".py" or p.is_dir()}
    parts -= {"__init__", "__pycache__"}
    assert parts == set(LAYERS), "name the layer of each new part in LAYERS and the README"


def test_no_import_points_up_a_layer():
    assert upward_imports(ROOT) == []


def test_an_upward_import_is_caught(tmp_path):
    for name, text in {
        "genjax/__init__.py": "",
        "genjax/losses/__init__.py": "",
        "genjax/losses/ok.py": "from genjax.checks import check_choice\nimport numpy\n",
        "genjax/losses/bad.py": "import jax\nfrom genjax.methods import build_method\n",
        "genjax/train/relative.py": "from ..eval import suite\n",
        "genjax/methods/__init__.py": "",
    }.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert upward_imports(tmp_path) == [
        "genjax/losses/bad.py:2 imports genjax.methods.build_method",
        "genjax/losses/bad.py:2 imports genjax.methods",
        "genjax/train/relative.py:1 imports genjax.eval.suite",
        "genjax/train/relative.py:1 imports genjax.eval",
    ]


PURE = ("genjax.losses", "genjax.eval.fid", "genjax.eval.kid", "genjax.diffusion")
HEAVY = ("tensorflow_datasets", "orbax", "grain", "genjax.methods")


@pytest.mark.parametrize("modules", [PURE, ("genjax.energy", "genjax.inference")])
def test_pure_pieces_import_without_data_checkpoint_or_method_code(modules):
    code = (
        f"import sys\nimport {', '.join(modules)}\n"
        f"print(sorted({{m.split('.')[0] if not m.startswith('genjax') else m "
        f"for m in sys.modules if m.startswith({HEAVY!r})}}))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "package",
    [
        "data",
        "diffusion",
        "energy",
        "eval",
        "inference",
        "losses",
        "methods",
        "models",
        "run",
        "train",
    ],
)
def test_each_library_package_exports_its_public_names(package):
    module = importlib.import_module(f"genjax.{package}")
    assert module.__all__ and all(hasattr(module, name) for name in module.__all__)


def test_losses_and_diffusion_maths_import_no_flax():
    """A pytree dataclass from the standard library carries the diffusion's coefficients."""
    code = "import sys, genjax.losses, genjax.diffusion; print('flax' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "False"


def test_no_function_is_longer_than_a_screen():
    long = []
    for path in sorted((ROOT / "genjax").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} {lines}")
    assert long == []
