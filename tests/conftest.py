"""Shared fixtures: session-wide TFDS data and feature-network dirs, so the embedded datasets
are prepared once and the digits feature network is trained once per test session."""

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def tfds_data_dir(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("tfds"))
    os.environ["TFDS_DATA_DIR"] = path
    yield path


@pytest.fixture(scope="session", autouse=True)
def feature_dir(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("features"))
    os.environ["GENJAX_FEATURE_DIR"] = path
    yield path


@pytest.fixture(scope="session", autouse=True)
def compilation_cache(tmp_path_factory):
    """A per-session persistent XLA cache: the train runs of a test (resume: three runs of one
    config) and the CLI subprocesses compile the same programs, which then compile once."""
    import jax

    path = str(tmp_path_factory.mktemp("xla_cache"))
    os.environ["JAX_COMPILATION_CACHE_DIR"] = path
    os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0.2"
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)
    yield path
