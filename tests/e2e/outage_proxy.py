"""A TCP proxy on 127.0.0.1 that a test can cut and restore: a server outage without losing the
server's state.

Stopping moto or an in-memory tansu for real would also wipe their data, which no production
outage does; cutting the proxy in front of them makes the services see exactly what they see
when a server goes away (open connections reset, new ones refused) while the server keeps
what it had, so "service resumes by itself when the server is back" can be checked.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator


class OutageProxy:
    def __init__(self, target_host: str, target_port: int, listen_port: int | None = None) -> None:
        self.target = (target_host, target_port)
        if listen_port is None:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                listen_port = int(probe.getsockname()[1])
        self.port = listen_port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"proxy-{self.port}", daemon=True)
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        # every transport the proxy opened or accepted, until it is closed: one left to the garbage
        # collector while open would be a ResourceWarning (an error in this suite)
        self._transports: set[asyncio.Transport] = set()
        self._thread.start()
        self.restore()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _call(self, coro: object) -> None:
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)  # type: ignore[arg-type]

    def restore(self) -> None:
        """Accept connections again (the server is back)."""
        self._call(self._listen())

    def cut(self) -> None:
        """Refuse new connections and reset every open one (the server is gone)."""
        self._call(self._cut())

    @contextlib.contextmanager
    def outage(self) -> Iterator[None]:
        self.cut()
        try:
            yield
        finally:
            self.restore()

    def close(self) -> None:
        self.cut()
        self._call(self._finish_pipes())
        self._call(self._close_transports())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        # Callbacks scheduled in the loop's last iteration (an aborted transport closes its
        # socket in one) would be dropped by close(), leaving the socket to the garbage
        # collector: a ResourceWarning that fails whichever test is running when it is collected.
        for _ in range(5):
            self._loop.run_until_complete(asyncio.sleep(0))
        self._loop.close()

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._pipe, "127.0.0.1", self.port, reuse_address=True)

    async def _cut(self) -> None:
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

    async def _finish_pipes(self) -> None:
        """End every connection still being piped or opened, so none outlives the proxy's loop."""
        pipes = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in pipes:
            task.cancel()
        await asyncio.gather(*pipes, return_exceptions=True)

    async def _close_transports(self) -> None:
        for transport in list(self._transports):
            transport.abort()
        for _ in range(3):  # abort() closes the socket in a callback: let it run
            await asyncio.sleep(0)
        self._transports.clear()

    async def _pipe(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self._transports.add(client_writer.transport)  # type: ignore[arg-type]
        self._writers.add(client_writer)
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
            self._transports.add(server_writer.transport)  # type: ignore[arg-type]
        except OSError:
            client_writer.transport.abort()
            self._writers.discard(client_writer)
            return
        except asyncio.CancelledError:
            client_writer.transport.abort()
            raise
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
                self._transports.discard(writer.transport)

        await asyncio.gather(copy(client_reader, server_writer), copy(server_reader, client_writer))
