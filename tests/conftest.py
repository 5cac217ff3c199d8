"""Shared fixtures: session-wide TFDS data and feature-network dirs, so the embedded datasets
are prepared once and the digits feature network is trained once per test session."""

import os

import pytest

# The suite compiles hundreds of small programs and runs each for a few steps: LLVM's full
# optimisation costs more than it saves here (compiles 15-45% faster at level 1, measured on the
# tiny U-Net, with the same run time; level 0 runs conv training 6x slower). Set before the XLA
# backend exists; subprocess tests inherit it. Results agree with level 2 up to float rounding.
os.environ["XLA_FLAGS"] = " ".join(
    [os.environ.get("XLA_FLAGS", ""), "--xla_backend_optimization_level=1"]
).strip()


def _shared(tmp_path_factory, name: str) -> str:
    """A directory that every pytest-xdist worker of this session shares (this session's own
    without xdist): the datasets are prepared and the feature networks trained once, the
    compilation cache is shared."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    path = root / name
    path.mkdir(exist_ok=True)
    return str(path)


@pytest.fixture(scope="session", autouse=True)
def tfds_data_dir(tmp_path_factory):
    # Shared by the workers: each embedded dataset is prepared once per session (preparation
    # takes a file lock, so concurrent first uses wait for one another).
    path = _shared(tmp_path_factory, "tfds")
    os.environ["TFDS_DATA_DIR"] = path
    yield path


@pytest.fixture(scope="session", autouse=True)
def feature_dir(tmp_path_factory):
    path = _shared(tmp_path_factory, "features")
    os.environ["GENJAX_FEATURE_DIR"] = path
    yield path


@pytest.fixture(scope="session", autouse=True)
def compilation_cache(tmp_path_factory):
    """A per-session persistent XLA cache: the train runs of a test (resume: three runs of one
    config) and the CLI subprocesses compile the same programs, which then compile once."""
    import jax

    path = _shared(tmp_path_factory, "xla_cache")
    os.environ["JAX_COMPILATION_CACHE_DIR"] = path
    os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0.2"
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)
    yield path


# The modules whose tests take longest here (pytest --durations), started first of all.
LONGEST_MODULES = (
    "tests.test_sharding",
    "tests.test_notebook",
    "tests.test_translation_method",
    "tests.test_multiprocess",
    "tests.test_vdm_method",
    "tests.test_diffusion_learned",
)


def pytest_collection_modifyitems(config, items):
    """Modules with end-to-end (slow) tests first, each module's tests kept together (its
    module-scoped fixtures are built once): pytest-xdist hands the list out in order, so the
    long runs start at once on both workers and the modules of short tests fill the gaps at
    the end, instead of one long test running alone after everything else has finished."""
    del config
    heavy = {item.module.__name__ for item in items if item.get_closest_marker("slow")}
    longest = {name: i for i, name in enumerate(LONGEST_MODULES)}
    items.sort(
        key=lambda item: (
            item.module.__name__ not in heavy,
            longest.get(item.module.__name__, len(longest)),
        )
    )
