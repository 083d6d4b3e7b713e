"""Binance's rate limits: request weight per IP per minute, new orders per account per 10 s and
per day, and the IP ban (HTTP 418) for clients that keep going after 429.

Windows are fixed and aligned to the clock, as Binance's are: X-MBX-USED-WEIGHT-1M is the
weight used since the start of the current minute, and it drops to 0 when the minute turns.

`RateLimiter` is the port; `InMemoryRateLimiter` keeps the counters in this process (one edge
replica). Several replicas need shared counters (Redis, issue 5) behind the same interface,
which is why it is async.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from edge.settings import EdgeSettings

MINUTE_MS = 60_000
TEN_SECONDS_MS = 10_000
DAY_MS = 86_400_000
MAX_BAN_MS = 3 * DAY_MS


@dataclass(frozen=True, slots=True)
class WeightUsage:
    used: int  # weight used in the current minute, this request included
    retry_after_s: int = 0  # > 0: refused (429), retry after this many seconds
    banned_until_ms: int = 0  # > 0: refused (418), the IP is banned until then


@dataclass(frozen=True, slots=True)
class OrderUsage:
    count_10s: int
    count_1d: int
    retry_after_s: int = 0  # > 0: refused, this many seconds until the full window resets
    interval: str = ""  # the window that refused: "10 SECOND" or "1 DAY"


class RateLimiter(Protocol):
    async def charge_request(self, ip: str, weight: int) -> WeightUsage: ...

    async def count_order(self, account: int) -> OrderUsage:
        """Count one new order unless the account is at a limit (a refused order is not counted)."""
        ...

    async def order_usage(self, account: int) -> OrderUsage: ...


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(slots=True)
class _Window:
    start_ms: int = -1
    count: int = 0

    def roll(self, now_ms: int, size_ms: int) -> None:
        start = now_ms - now_ms % size_ms
        if start != self.start_ms:
            self.start_ms, self.count = start, 0


@dataclass(slots=True)
class _IpState:
    minute: _Window
    strikes: _Window  # 429s answered in the current minute
    banned_until_ms: int = 0
    bans: int = 0  # how many times banned: each ban lasts twice the previous one


@dataclass(slots=True)
class _AccountState:
    ten_seconds: _Window
    day: _Window


class InMemoryRateLimiter:
    def __init__(self, settings: EdgeSettings, clock_ms: Callable[[], int] = _wall_ms) -> None:
        self.settings = settings
        self._clock_ms = clock_ms
        self._ips: dict[str, _IpState] = {}
        self._accounts: dict[int, _AccountState] = {}
        self._swept_minute = 0

    async def charge_request(self, ip: str, weight: int) -> WeightUsage:
        now = self._clock_ms()
        self._sweep(now)
        state = self._ips.get(ip)
        if state is None:
            state = self._ips[ip] = _IpState(_Window(), _Window())
        state.minute.roll(now, MINUTE_MS)
        if state.banned_until_ms > now:
            return WeightUsage(state.minute.count, banned_until_ms=state.banned_until_ms)
        # Refused requests count too, as on Binance: hammering keeps the window full.
        state.minute.count += weight
        if state.minute.count <= self.settings.weight_per_minute:
            return WeightUsage(state.minute.count)
        state.strikes.roll(now, MINUTE_MS)
        state.strikes.count += 1
        if state.strikes.count > self.settings.strikes_before_ban:
            ban_ms = min(self.settings.ban_seconds * 1000 * 2**state.bans, MAX_BAN_MS)
            state.bans += 1
            state.banned_until_ms = now + ban_ms
            return WeightUsage(state.minute.count, banned_until_ms=state.banned_until_ms)
        return WeightUsage(state.minute.count, retry_after_s=_seconds_left(now, MINUTE_MS))

    async def count_order(self, account: int) -> OrderUsage:
        now = self._clock_ms()
        state = self._account(account, now)
        if state.ten_seconds.count >= self.settings.orders_per_10s:
            return OrderUsage(state.ten_seconds.count, state.day.count, _seconds_left(now, TEN_SECONDS_MS), "10 SECOND")
        if state.day.count >= self.settings.orders_per_day:
            return OrderUsage(state.ten_seconds.count, state.day.count, _seconds_left(now, DAY_MS), "1 DAY")
        state.ten_seconds.count += 1
        state.day.count += 1
        return OrderUsage(state.ten_seconds.count, state.day.count)

    async def order_usage(self, account: int) -> OrderUsage:
        state = self._account(account, self._clock_ms())
        return OrderUsage(state.ten_seconds.count, state.day.count)

    def _account(self, account: int, now: int) -> _AccountState:
        state = self._accounts.get(account)
        if state is None:
            state = self._accounts[account] = _AccountState(_Window(), _Window())
        state.ten_seconds.roll(now, TEN_SECONDS_MS)
        state.day.roll(now, DAY_MS)
        return state

    def _sweep(self, now: int) -> None:
        """Forget IPs idle for a whole minute and not banned, once a minute, so that a scan
        from many addresses cannot grow the table without bound."""
        minute = now // MINUTE_MS
        if minute == self._swept_minute:
            return
        self._swept_minute = minute
        current = now - now % MINUTE_MS
        self._ips = {
            ip: s for ip, s in self._ips.items() if s.minute.start_ms >= current - MINUTE_MS or s.banned_until_ms > now
        }


def _seconds_left(now_ms: int, window_ms: int) -> int:
    return max(1, -(-(window_ms - now_ms % window_ms) // 1000))
