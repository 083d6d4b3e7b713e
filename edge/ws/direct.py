"""Frames written straight to the socket: the fan-out's hot path, where the server allows it.

Through ASGI, every frame to every subscriber costs a task wake-up, Starlette's and the
server's `send`, and a framing by the websockets library: about 20 µs, so one event to 1,000
subscribers takes 20 ms of a core. But a server-to-client text frame is the same bytes for
every subscriber (no masking, no per-connection state once no extension is negotiated), so the
hub frames each event once (`text_frame`) and a connection on uvicorn's websockets-sansio
protocol writes those bytes to its transport directly: one `transport.write` per subscriber.

This reaches into uvicorn (pinned in pyproject): the protocol object that runs the ASGI task.
`DirectWriter.attach` checks everything it relies on and returns None otherwise, and the
connection then uses plain ASGI sends; the two paths are never mixed on one connection, so
frames stay in order. The handshake and the close always go through ASGI.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol


def text_frame(payload: bytes) -> bytes:
    """An unmasked, unfragmented text frame (RFC 6455 §5.2), as a server sends it."""
    length = len(payload)
    if length < 126:
        header = bytes((0x81, length))
    elif length < 1 << 16:
        header = bytes((0x81, 126)) + length.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + length.to_bytes(8, "big")
    return header + payload


class DirectWriter:
    __slots__ = ("_protocol", "_transport")

    def __init__(self, protocol: WebSocketsSansIOProtocol) -> None:
        self._protocol = protocol
        self._transport: Any = protocol.transport

    @classmethod
    def attach(cls) -> DirectWriter | None:
        """The writer of the connection whose ASGI task is running, after its handshake; None
        when the server is not uvicorn's websockets-sansio protocol or an extension (such as
        permessage-deflate) was negotiated."""
        task = asyncio.current_task()
        frame = getattr(task.get_coro() if task else None, "cr_frame", None)
        protocol = frame.f_locals.get("self") if frame is not None else None
        if not isinstance(protocol, WebSocketsSansIOProtocol) or not protocol.handshake_complete:
            return None
        if protocol.conn.extensions or protocol.transport is None:
            return None
        return cls(protocol)

    def write(self, frame: bytes) -> None:
        if not (self._protocol.close_sent or self._protocol.disconnected or self._transport.is_closing()):
            self._transport.write(frame)

    @property
    def backlog(self) -> int:
        """Bytes accepted but not yet handed to the kernel."""
        return int(self._transport.get_write_buffer_size())

    def abort(self) -> None:
        """Drop the TCP connection at once (a client that does not read cannot take part in a
        closing handshake)."""
        self._transport.abort()
