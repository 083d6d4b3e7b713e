"""What the edge does when it is told to stop, before the server closes its connections."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable


class ShutdownNotice:
    """Who is told that the edge is about to stop: the WebSocket side, which sends its clients
    Binance's serverShutdown event so that they reconnect (to another replica, behind the load
    balancer) at once, rather than learn it from the close that follows."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[], Awaitable[None]]] = []

    def listen(self, listener: Callable[[], Awaitable[None]]) -> None:
        self._listeners.append(listener)

    async def stopping(self, within_s: float) -> None:
        """Tell every listener, and wait for them (their clients to take the event) at most
        `within_s`: a client that does not read must not hold the shutdown."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within_s):
                await asyncio.gather(*(listener() for listener in self._listeners))
