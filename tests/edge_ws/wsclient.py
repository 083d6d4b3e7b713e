"""A small WebSocket client for the tests: requests with their replies, events by predicate."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from typing import Any

import orjson
import websockets


class Client:
    """A websockets client that keeps the replies to its requests apart from stream events."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self._ids = itertools.count(1)

    async def send(self, message: Any) -> None:
        await self.connection.send(message if isinstance(message, str) else orjson.dumps(message).decode())

    async def recv(self, timeout: float = 10.0) -> Any:
        return orjson.loads(await asyncio.wait_for(self.connection.recv(), timeout))

    async def request(self, method: str, params: list[Any] | None = None) -> Any:
        request_id = next(self._ids)
        message: dict[str, Any] = {"method": method, "id": request_id}
        if params is not None:
            message["params"] = params
        await self.send(message)
        return await self.reply_to(request_id)

    async def reply_to(self, request_id: Any, timeout: float = 10.0) -> Any:
        """The reply with this id; stream events received meanwhile are dropped."""
        async with asyncio.timeout(timeout):
            while True:
                message = await self.recv(timeout)
                if isinstance(message, dict) and message.get("id", object()) == request_id and (
                    "result" in message or "error" in message
                ):
                    return message

    async def event(self, match: Any, timeout: float = 10.0) -> Any:
        """The first stream event for which match(event) holds."""
        async with asyncio.timeout(timeout):
            while True:
                message = await self.recv(timeout)
                if match(message):
                    return message

    async def first_of_each(self, timeout: float = 10.0, **matches: Any) -> dict[str, Any]:
        """For each named predicate, the first event it accepts (a predicate that raises on an
        event of another shape just does not accept it)."""
        found: dict[str, Any] = {}
        async with asyncio.timeout(timeout):
            while len(found) < len(matches):
                message = await self.recv(timeout)
                for name, match in matches.items():
                    if name not in found and _accepts(match, message):
                        found[name] = message
        return found


@contextlib.asynccontextmanager
async def connect(url: str, **options: Any) -> AsyncIterator[Client]:
    async with websockets.connect(url, compression=None, open_timeout=10, **options) as connection:
        yield Client(connection)


def _accepts(match: Any, message: Any) -> bool:
    try:
        return bool(match(message))
    except (AttributeError, KeyError, TypeError, IndexError):
        return False
