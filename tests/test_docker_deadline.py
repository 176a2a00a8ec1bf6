"""A Docker endpoint that answers too slowly to ever finish costs one overall deadline, then nothing."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from pytest_readiness.live.docker_probe import DeadlineExceeded, DockerProbe, Unobservable, within


def _drip(conn: socket.socket, stop: threading.Event) -> None:
    try:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
        while not stop.wait(0.3):
            conn.sendall(b"{")  # a byte well inside every read timeout, never the whole answer
    except OSError:
        pass


@pytest.fixture(params=["tcp", "unix"])
def dripping_endpoint(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, list[int]]]:
    if request.param == "unix":
        path = tmp_path_factory.mktemp("sock") / "docker.sock"
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
        url = f"unix://{path}"
    else:
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        url = f"tcp://127.0.0.1:{server.getsockname()[1]}"
    server.listen(16)
    accepted = [0]
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            accepted[0] += 1
            threading.Thread(target=_drip, args=(conn, stop), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield url, accepted
    stop.set()
    server.close()


def test_a_dripping_engine_costs_one_deadline_and_is_then_unobservable(  # over TCP and a unix socket
    dripping_endpoint: tuple[str, list[int]],
) -> None:
    url, accepted = dripping_endpoint
    probe = DockerProbe(url, timeout=1.0)
    started = time.monotonic()
    first = probe.client()
    spent = time.monotonic() - started
    assert isinstance(first, Unobservable)
    assert "within 3s" in str(first)
    assert spent < probe.deadline + 2
    again = time.monotonic()
    assert isinstance(probe.containers("demo", "api"), Unobservable)
    assert isinstance(probe.logs("abc"), Unobservable)
    assert time.monotonic() - again < 0.5
    assert accepted[0] <= 2


def test_within_returns_the_value_or_the_error_of_a_call_that_finishes() -> None:
    assert within(1.0, "quick", lambda: 42) == 42
    with pytest.raises(ZeroDivisionError):
        within(1.0, "broken", lambda: 1 // 0)
    with pytest.raises(DeadlineExceeded):
        within(0.2, "stuck", lambda: time.sleep(2))
