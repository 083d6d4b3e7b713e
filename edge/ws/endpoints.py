"""The WebSocket URLs Binance serves, and what each connection starts with.

    /ws                      no stream yet: live SUBSCRIBE (events sent bare)
    /ws/<stream>             that one stream, raw
    /ws/<listenKey>          the account's user data stream
    /ws/<anything else>      as /ws (ccxt pro opens /ws/0, /ws/1, ... and then subscribes)
    /stream?streams=a/b/c    combined: every event wrapped as {"stream": .., "data": ..}; a listenKey
                             among the names adds the account's events, wrapped as that stream
    /ws-api/v3               Binance's WebSocket API: REST's requests and the user data stream (api.py)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

import grpc
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket

from edge.rest.handler import RestApi

from .api import WsApiConnection, operations_by_method
from .connection import ClientConnection, UserStream, WsContext
from .hub import Frame
from .limits import ConnectionAttempts, WsLimits
from .streams import Stream, UnknownStream, looks_like_stream
from .user_data import is_listen_key

# /ws/<path> that is neither a stream nor a listenKey (ccxt's connection numbers and the like)
# opens an empty connection.

# What a combined connection wraps Binance's serverShutdown event in: {"stream": this, "data": ..}
SERVER_SHUTDOWN_STREAM = "!serverShutdown"


class WsEndpoints:
    def __init__(self, make_context: Callable[[], WsContext], limits: WsLimits, rest: RestApi | None = None) -> None:
        # The context holds gRPC channels, which belong to the event loop that serves; it is
        # built with the first connection rather than at import.
        self._make_context = make_context
        self._context: WsContext | None = None
        self._limits = limits
        self._rest = rest  # the REST side's pipeline: the WebSocket API runs its operations
        self._api_operations = operations_by_method(rest) if rest is not None else {}
        self._attempts = ConnectionAttempts(limits.connections_per_window, limits.connection_window_s)
        self._live: set[ClientConnection | WsApiConnection] = set()  # told when the edge stops

    @property
    def context(self) -> WsContext:
        if self._context is None:
            self._context = self._make_context()
        return self._context

    def listen_key_closed(self, listen_key: str) -> None:
        """A DELETE of the key passed through this edge: its streams end now."""
        if self._context is not None:
            self._context.listen_keys.closed(listen_key)

    async def announce_shutdown(self) -> None:
        """Binance's serverShutdown event to every client (raw, combined as the stream
        "!serverShutdown", or as a WebSocket API event), and wait until they have taken it; the
        server closes the connections afterwards."""
        event = {"e": "serverShutdown", "E": time.time_ns() // 1_000_000}
        frame = Frame.of(SERVER_SHUTDOWN_STREAM, event)
        live = list(self._live)
        for connection in live:
            connection.server_shutdown(frame)
        await asyncio.gather(*(connection.flushed() for connection in live))

    def routes(self) -> list[BaseRoute]:
        return [
            WebSocketRoute("/ws", self.bare),
            WebSocketRoute("/ws/{target:path}", self.raw_or_user),
            WebSocketRoute("/stream", self.combined),
            WebSocketRoute("/ws-api/v3", self.api),
        ]

    async def bare(self, websocket: WebSocket) -> None:
        if await self._admitted(websocket):
            await self._serve(websocket, combined=False)

    async def raw_or_user(self, websocket: WebSocket) -> None:
        if not await self._admitted(websocket):
            return
        target: str = websocket.path_params["target"]
        ctx = self.context
        try:
            if looks_like_stream(target):
                try:
                    stream = await ctx.catalog.parse(target)
                except UnknownStream:
                    await self._serve(websocket, combined=False)
                else:
                    await self._serve(websocket, combined=False, streams=[stream])
                return
            if is_listen_key(target):
                user = await self._user_stream(websocket, target)
                if user is not None:
                    await self._serve(websocket, combined=False, user=user)
                return
        except grpc.aio.AioRpcError:
            await _deny(websocket, 503, -1001, "Internal error; unable to process your request. Please try again.")
            return
        await self._serve(websocket, combined=False)

    async def combined(self, websocket: WebSocket) -> None:
        if not await self._admitted(websocket):
            return
        names = [n for n in websocket.query_params.get("streams", "").split("/") if n]
        if len(set(names)) > self._limits.streams_per_connection:
            await _deny(websocket, 400, -1100, f"At most {self._limits.streams_per_connection} streams.")
            return
        keys = [name for name in dict.fromkeys(names) if is_listen_key(name)]
        if len(keys) > 1:
            await _deny(websocket, 400, -1100, "At most one listenKey per connection.")
            return
        streams: list[Stream] = []
        user = None
        try:
            for name in dict.fromkeys(names):
                if name not in keys:
                    streams.append(await self.context.catalog.parse(name))
            if keys:  # a listenKey among the streams: the account's events, wrapped as that stream
                user = await self._user_stream(websocket, keys[0])
                if user is None:
                    return
        except UnknownStream as exc:
            await _deny(websocket, 400, -1100, f"Invalid stream name: {exc}")
            return
        except grpc.aio.AioRpcError:
            await _deny(websocket, 503, -1001, "Internal error; unable to process your request. Please try again.")
            return
        await self._serve(websocket, combined=True, streams=streams, user=user, user_listed=True)

    async def api(self, websocket: WebSocket) -> None:
        if not await self._admitted(websocket):
            return
        if self._rest is None:
            await _deny(websocket, 404, -1000, "The WebSocket API is not served by this edge.")
            return
        connection = WsApiConnection(
            websocket, self.context.user_events, self._rest, self._api_operations, self._limits.backlog_bytes
        )
        self._live.add(connection)
        try:
            await connection.serve()
        finally:
            self._live.discard(connection)

    async def _user_stream(self, websocket: WebSocket, listen_key: str) -> UserStream | None:
        """The key's stream, or None with the handshake refused (-1125). Raises AioRpcError if
        the user service cannot answer."""
        owner = await self.context.listen_keys.resolve(listen_key)
        if owner is None:
            await _deny(websocket, 400, -1125, "This listenKey does not exist.")
            return None
        return UserStream(listen_key, owner)

    async def _admitted(self, websocket: WebSocket) -> bool:
        ip = websocket.client.host if websocket.client else ""
        if self._attempts.admit(ip):
            return True
        await _deny(websocket, 429, -1003, "Too many new connections; current limit is "
                    f"{self._limits.connections_per_window} per {int(self._limits.connection_window_s)} s.")
        return False

    async def _serve(
        self, websocket: WebSocket, combined: bool, streams: Sequence[Stream] = (), user: UserStream | None = None,
        user_listed: bool = False,
    ) -> None:  # fmt: skip
        await websocket.accept()
        connection = ClientConnection(websocket, self.context, combined)
        self._live.add(connection)
        try:
            await connection.serve(streams, user, user_listed)
        finally:
            self._live.discard(connection)


async def _deny(websocket: WebSocket, status: int, code: int, msg: str) -> None:
    """Refuse the handshake with an HTTP answer in Binance's error shape where the server
    supports it (uvicorn does), else with a bare close (the client then sees 403)."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(JSONResponse({"code": code, "msg": msg}, status_code=status))
    else:
        await websocket.close(1008)
