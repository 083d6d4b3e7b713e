"""A TCP proxy on 127.0.0.1 that a test can cut and restore: a server outage without losing the
server's state.

Stopping moto or an in-memory tansu for real would also wipe their data, which no production
outage does; cutting the proxy in front of them makes the services see exactly what they see
when a server goes away (open connections reset, new ones refused) while the server keeps
what it had, so "service resumes by itself when the server is back" can be checked.

The proxy is a process of its own, as a network element would be. Run inside the test's
process (a thread with its own event loop), a connection cut at the wrong moment could leave
an open socket to the garbage collector, which raised a ResourceWarning in whichever test
happened to be running, about once in seven runs; in a process of its own, whatever is open
when it exits is closed by the kernel, and it does not take the GIL from the test. It reads
one command per line on stdin (cut, restore), answers "ok" on stdout, and exits at EOF, so
it stops by itself if the test process dies.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import subprocess
import sys
from collections.abc import Iterator

from services.common.adapters.kafka.broker import free_port

EXIT_TIMEOUT_S = 10.0  # for the proxy to exit once its stdin is closed


class OutageProxy:
    """The test's handle on a proxy process."""

    def __init__(self, target_host: str, target_port: int, listen_port: int | None = None) -> None:
        self.target = (target_host, target_port)
        self.port = free_port() if listen_port is None else listen_port
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.e2e.outage_proxy", target_host, str(target_port), str(self.port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._expect_ok("start")

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def restore(self) -> None:
        """Accept connections again (the server is back)."""
        self._command("restore")

    def cut(self) -> None:
        """Refuse new connections and reset every open one (the server is gone)."""
        self._command("cut")

    @contextlib.contextmanager
    def outage(self) -> Iterator[None]:
        self.cut()
        try:
            yield
        finally:
            self.restore()

    def close(self) -> None:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.close()  # EOF: the proxy exits
        try:
            self._process.wait(EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process.stdout.close()

    def _command(self, name: str) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write(name + "\n")
        self._process.stdin.flush()
        self._expect_ok(name)

    def _expect_ok(self, name: str) -> None:
        assert self._process.stdout is not None
        # the proxy answers within milliseconds; readline has no timeout, but a dead proxy
        # closes its stdout, so this never hangs on one that is gone
        answer = self._process.stdout.readline().strip()
        if answer != "ok":
            raise RuntimeError(f"outage proxy on {self.address}: {name} answered {answer!r}")


class _Proxy:
    """The proxy process's own state, on its event loop."""

    def __init__(self, target: tuple[str, int], port: int) -> None:
        self.target = target
        self.port = port
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._pipe, "127.0.0.1", self.port, reuse_address=True)

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            transport = writer.transport
            if transport.is_closing():
                continue
            sock = transport.get_extra_info("socket")
            if sock is not None:  # RST rather than FIN: a crashed server does not say goodbye
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            transport.abort()
        self._writers.clear()

    async def _pipe(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self._writers.add(client_writer)
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.transport.abort()
            self._writers.discard(client_writer)
            return
        if client_writer not in self._writers:  # cut while the server connection was opening
            client_writer.transport.abort()
            server_writer.transport.abort()
            return
        self._writers.add(server_writer)

        async def copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (OSError, asyncio.IncompleteReadError):
                pass
            finally:
                if not writer.transport.is_closing():
                    writer.transport.abort()
                self._writers.discard(writer)

        await asyncio.gather(copy(client_reader, server_writer), copy(server_reader, client_writer))


async def _serve(target: tuple[str, int], port: int) -> None:
    proxy = _Proxy(target, port)
    await proxy.listen()
    loop = asyncio.get_running_loop()
    commands = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(commands), sys.stdin)
    print("ok", flush=True)
    while line := (await commands.readline()).decode().strip():
        if line == "cut":
            await proxy.cut()
        elif line == "restore":
            await proxy.listen()
        else:
            print(f"unknown command {line!r}", flush=True)
            continue
        print("ok", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="a TCP proxy a test can cut (see the module docstring)")
    parser.add_argument("target_host")
    parser.add_argument("target_port", type=int)
    parser.add_argument("listen_port", type=int)
    args = parser.parse_args()
    asyncio.run(_serve((args.target_host, args.target_port), args.listen_port))


if __name__ == "__main__":
    main()
