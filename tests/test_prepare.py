"""experiments.prepare: offline, a download fails in seconds with one line (issue 22)."""

import socket
import time

import pytest

from experiments.prepare import PROXY_VARIABLES, builders, check_network, needs_download


def closed_port() -> tuple[str, int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return "127.0.0.1", s.getsockname()[1]


def test_unreachable_host_is_one_line_within_the_timeout(monkeypatch):
    for v in PROXY_VARIABLES:
        monkeypatch.delenv(v, raising=False)
    start = time.perf_counter()
    with pytest.raises(ConnectionError) as err:
        check_network("mnist", closed_port(), timeout=2.0)
    assert time.perf_counter() - start < 2.0
    message = str(err.value)
    assert "\n" not in message and message.startswith("cannot reach 127.0.0.1")
    assert "mnist cannot be downloaded here" in message and "--nocheck_network" in message


def test_behind_a_proxy_the_host_is_not_probed(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("probed behind a proxy")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    check_network("mnist", closed_port())


def test_only_an_unprepared_tfds_dataset_needs_a_download(tmp_path):
    (digits,) = builders("digits", str(tmp_path))
    assert not needs_download(digits)  # embedded: read from installed packages
    (mnist,) = builders("mnist", str(tmp_path))
    assert needs_download(mnist)
