"""Shared fixtures: a session-wide TFDS data dir so the embedded datasets are prepared once."""

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def tfds_data_dir(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("tfds"))
    os.environ["TFDS_DATA_DIR"] = path
    yield path
