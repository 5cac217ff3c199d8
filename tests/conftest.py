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
