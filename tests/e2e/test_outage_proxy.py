"""The outage proxy itself: what test_outages relies on it to do."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator

import pytest

from tests.e2e.outage_proxy import OutageProxy


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


@pytest.fixture
def proxy() -> Iterator[OutageProxy]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    running = OutageProxy("127.0.0.1", server.server_address[1])
    try:
        yield running
    finally:
        running.close()
        server.shutdown()
        server.server_close()


def _connect(proxy: OutageProxy) -> socket.socket:
    return socket.create_connection(("127.0.0.1", proxy.port), timeout=5)


def _echoes(conn: socket.socket, payload: bytes) -> bool:
    conn.sendall(payload)
    received = b""
    while len(received) < len(payload):
        chunk = conn.recv(65536)
        if not chunk:
            return False
        received += chunk
    return received == payload


def test_pipes_both_ways(proxy: OutageProxy) -> None:
    with _connect(proxy) as conn:
        assert _echoes(conn, b"x" * 200_000)


def test_a_cut_resets_open_connections_and_refuses_new_ones_until_restored(proxy: OutageProxy) -> None:
    with _connect(proxy) as conn:
        assert _echoes(conn, b"before")
        proxy.cut()
        with pytest.raises(OSError):  # reset (RST), not a clean end of stream
            conn.sendall(b"after")
            if not conn.recv(10):
                raise ConnectionResetError("closed without a reset")
    with pytest.raises(ConnectionRefusedError):
        _connect(proxy)
    proxy.restore()
    with _connect(proxy) as conn:
        assert _echoes(conn, b"back")
