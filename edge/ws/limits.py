"""Binance's WebSocket limits, and the two counters that enforce the rate ones.

Binance spot: at most 1024 streams per connection, 5 incoming messages per second per
connection (beyond that the connection is closed), 300 connection attempts per 5 minutes per
IP, and a connection lives at most 24 hours. Pings (every 20 s) and pong timeouts are the
server's transport settings: see `server_options()`.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class WsLimits:
    streams_per_connection: int = 1024
    messages_per_second: int = 5
    connections_per_window: int = 300  # per IP
    connection_window_s: float = 300.0
    max_lifetime_s: float = 24 * 3600.0
    # Bytes a connection may have waiting to be written (beyond what the kernel holds) before
    # it counts as a slow consumer: several seconds of a busy symbol's depth@100ms and trades.
    backlog_bytes: int = 1 << 20
    # Write frames straight to uvicorn's transport when it allows (direct.py); off = ASGI only.
    direct_writes: bool = True
    # How stale a closed (DELETEd) listenKey may be before its socket gets listenKeyExpired.
    listen_key_recheck_s: float = 60.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> WsLimits:
        """SPOTEX_EDGE_WS_<FIELD> overrides a field (a load test from one IP opens more than
        300 connections in 5 minutes)."""
        env = dict(os.environ if env is None else env)
        defaults = cls()
        values: dict[str, float | bool] = {}
        for name, default in defaults.__dict__.items():
            raw = env.get(f"SPOTEX_EDGE_WS_{name.upper()}")
            if raw:
                values[name] = raw.lower() in ("1", "true") if isinstance(default, bool) else type(default)(raw)
        return cls(**values)  # type: ignore[arg-type]


# Binance pings every 20 s and closes a connection whose pong has not come within a minute.
PING_INTERVAL_S = 20.0
PONG_TIMEOUT_S = 60.0


MAX_MESSAGE_BYTES = 1 << 20


def server_options() -> dict[str, object]:
    """uvicorn.Config keyword arguments for the WebSocket transport. ASGI cannot send pings, so
    the server does. No permessage-deflate: Binance does not compress, and compressing every
    frame once per subscriber would multiply the fan-out's cost."""
    return {
        "ws_ping_interval": PING_INTERVAL_S,
        "ws_ping_timeout": PONG_TIMEOUT_S,
        "ws_per_message_deflate": False,
        # a client's messages are requests of a few hundred bytes (a WebSocket API request
        # is refused past REST's 64 KiB): the transport refuses frames far beyond that
        "ws_max_size": MAX_MESSAGE_BYTES,
    }


class MessageRate:
    """Token bucket over one connection's incoming messages."""

    __slots__ = ("_clock", "_rate", "_stamp", "_tokens")

    def __init__(self, per_second: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = float(per_second)
        self._tokens = float(per_second)
        self._clock = clock
        self._stamp = clock()

    def allow(self) -> bool:
        now = self._clock()
        self._tokens = min(self._rate, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True


_PRUNE_AT = 10_000


class ConnectionAttempts:
    """Connection attempts per IP over a sliding window."""

    def __init__(self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = limit
        self._window_s = window_s
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}

    def admit(self, ip: str) -> bool:
        now = self._clock()
        stamps = self._seen.setdefault(ip, deque())
        while stamps and stamps[0] <= now - self._window_s:
            stamps.popleft()
        if len(stamps) >= self._limit:
            return False
        stamps.append(now)
        if len(self._seen) > _PRUNE_AT:  # forget the IPs that went quiet
            self._seen = {k: v for k, v in self._seen.items() if v and v[-1] > now - self._window_s}
        return True
