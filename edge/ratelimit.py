"""Binance's rate limits: request weight per IP per minute, new orders per account per 10 s and
per day, and the IP ban (HTTP 418) for clients that keep going after 429.

Windows are fixed and aligned to the clock, as Binance's are: X-MBX-USED-WEIGHT-1M is the
weight used since the start of the current minute, and it drops to 0 when the minute turns.

`RateLimiter` is the port; `InMemoryRateLimiter` keeps the counters in this process (one edge
replica); `SharedRateLimiter` keeps them in Redis, so that several replicas behind a load
balancer enforce one budget per IP and per account (docs/redis.md). `rate_limiter_for` picks
one from the configuration.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from edge.errors import refused
from edge.settings import EdgeSettings
from services.common.adapters.redis.ratelimit import RedisRateCounters, WeightRules
from services.common.config import Config
from services.common.ports import Unavailable

_log = logging.getLogger("spotex.edge.ratelimit")
_T = TypeVar("_T")

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

    async def close(self) -> None: ...


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

    async def close(self) -> None:
        """Nothing is held open; here so every limiter closes the same way."""

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


class SharedRateLimiter:
    """The limits on counters in Redis, shared by every edge replica.

    When Redis cannot be reached, by default each replica falls back to its own in-memory
    counters (fail open) rather than refusing every request (fail closed), because:
    - Redis here holds no money and no order: the limits shield the services from floods and
      share capacity fairly, and both still hold per replica, so a client gets at most N times
      its budget with N replicas, never an unlimited one;
    - trading needs DynamoDB and Kafka only; failing closed would turn a cache outage into a
      full outage of the REST API, public endpoints included.
    `EdgeSettings.ratelimit_fail_open = False` (SPOTEX_EDGE_RATELIMIT_FAIL_OPEN=0) chooses a
    strict budget over availability: every request is then answered 503 with Binance's
    {"code": -1001, ...}, which is truthful because the check runs before anything happens.
    After a failure Redis is left alone for `retry_after_outage_s`, so that an unreachable
    server (a connect timeout per request) does not stall every request; the first request
    after that tries it again, and the shared counters resume by themselves.
    """

    def __init__(
        self,
        counters: RedisRateCounters,
        settings: EdgeSettings,
        clock_ms: Callable[[], int] = _wall_ms,
        *,
        fail_open: bool | None = None,
        retry_after_outage_s: float = 1.0,
    ) -> None:
        self.settings = settings
        self._counters = counters
        self._clock_ms = clock_ms
        self._fail_open = settings.ratelimit_fail_open if fail_open is None else fail_open
        self._local = InMemoryRateLimiter(settings, clock_ms)
        self._retry_after_outage_s = retry_after_outage_s
        self._down_until = 0.0  # time.monotonic() before which Redis is not tried
        self._rules = WeightRules(
            settings.weight_per_minute, settings.strikes_before_ban, settings.ban_seconds * 1000, MAX_BAN_MS
        )

    async def charge_request(self, ip: str, weight: int) -> WeightUsage:
        now = self._clock_ms()
        charge = await self._shared(lambda: self._counters.charge_weight(ip, weight, now, self._rules))
        if charge is None:
            return await self._local.charge_request(ip, weight)
        if charge.banned_until_ms:
            return WeightUsage(charge.used, banned_until_ms=charge.banned_until_ms)
        return WeightUsage(charge.used, retry_after_s=_seconds_left(now, MINUTE_MS) if charge.refused else 0)

    async def count_order(self, account: int) -> OrderUsage:
        now = self._clock_ms()
        s = self.settings
        count = await self._shared(lambda: self._counters.count_order(account, now, s.orders_per_10s, s.orders_per_day))
        if count is None:
            return await self._local.count_order(account)
        if count.refused_by == "10s":
            return OrderUsage(count.count_10s, count.count_1d, _seconds_left(now, TEN_SECONDS_MS), "10 SECOND")
        if count.refused_by == "1d":
            return OrderUsage(count.count_10s, count.count_1d, _seconds_left(now, DAY_MS), "1 DAY")
        return OrderUsage(count.count_10s, count.count_1d)

    async def order_usage(self, account: int) -> OrderUsage:
        count = await self._shared(lambda: self._counters.order_counts(account, self._clock_ms()))
        if count is None:
            return await self._local.order_usage(account)
        return OrderUsage(count.count_10s, count.count_1d)

    async def close(self) -> None:
        await self._counters.close()

    async def _shared(self, call: Callable[[], Awaitable[_T]]) -> _T | None:
        """The call's answer from Redis, or None: Redis is down and the local counters answer
        (fail open). Failing closed raises the 503 instead, before the request does anything."""
        if self._down_until and time.monotonic() < self._down_until:
            if self._fail_open:
                return None
            raise refused("BACKEND_UNAVAILABLE", status=503)
        try:
            answer = await call()
        except Unavailable as error:
            if not self._down_until:  # log the outage once, not once per retry
                _log.warning(
                    "rate-limit counters in Redis unavailable (%s); %s", error,
                    "counting in this replica meanwhile" if self._fail_open else "answering 503 meanwhile",
                )  # fmt: skip
            self._down_until = time.monotonic() + self._retry_after_outage_s
            if self._fail_open:
                return None
            raise refused("BACKEND_UNAVAILABLE", status=503) from error
        if self._down_until:
            self._down_until = 0.0
            _log.info("rate-limit counters in Redis available again; sharing them")
        return answer


def rate_limiter_for(config: Config, settings: EdgeSettings) -> RateLimiter:
    """In-memory counters on the embedded backends (one edge), Redis on the real ones."""
    if config.backend != "real":
        return InMemoryRateLimiter(settings)
    return SharedRateLimiter(RedisRateCounters(config.redis_url, f"{config.namespace}:"), settings)
