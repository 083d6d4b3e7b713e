"""The RateLimiter port: Binance's fixed windows, the ban for clients that keep going, and
order counts per account, with a hand-driven clock. Every rule runs against both limiters:
in-memory (one edge replica) and shared through Redis (several replicas, the real backends)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import redis.asyncio as aredis

from edge.ratelimit import InMemoryRateLimiter, RateLimiter, SharedRateLimiter, rate_limiter_for
from edge.settings import EdgeSettings
from services.common.adapters.redis.ratelimit import RedisRateCounters
from services.common.config import Config
from tests.servers import real_servers

MINUTE = 60_000

Limiters = Callable[[EdgeSettings, "Clock"], RateLimiter]


class Clock:
    def __init__(self, ms: int = 1_800_000_000_000) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


def shared_limiter(prefix: str, settings: EdgeSettings, clock: Clock) -> SharedRateLimiter:
    # Fail closed: a test whose Redis is unreachable must fail, not pass on local counters.
    counters = RedisRateCounters(real_servers().redis_url, prefix)
    return SharedRateLimiter(counters, settings, clock, fail_open=False)


async def forget(prefix: str) -> None:
    """Delete a test's keys (the day windows would otherwise stay on the shared Redis for 2 days)."""
    client = aredis.Redis.from_url(real_servers().redis_url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture(params=["in_memory", "redis"])
async def limiters(request: pytest.FixtureRequest) -> AsyncIterator[Limiters]:
    """Opens limiters of one kind; the Redis ones of one test share a fresh key prefix, so
    two of them are two edge replicas of one exchange."""
    prefix = f"test-{uuid.uuid4().hex[:12]}:"
    opened: list[RateLimiter] = []

    def open_limiter(settings: EdgeSettings, clock: Clock) -> RateLimiter:
        limiter: RateLimiter
        if request.param == "in_memory":
            limiter = InMemoryRateLimiter(settings, clock)
        else:
            limiter = shared_limiter(prefix, settings, clock)
        opened.append(limiter)
        return limiter

    yield open_limiter
    for limiter in opened:
        await limiter.close()
    await forget(prefix)


async def test_weight_counts_in_a_window_aligned_to_the_minute(limiters: Limiters) -> None:
    clock = Clock(1_800_000_000_000 + 50_000)  # 10 s before the minute turns
    limiter = limiters(EdgeSettings(weight_per_minute=10), clock)
    assert (await limiter.charge_request("ip", 6)).used == 6
    refused = await limiter.charge_request("ip", 6)
    assert (refused.used, refused.retry_after_s) == (12, 10)
    clock.ms += 10_000
    assert await limiter.charge_request("ip", 6) == type(refused)(6)


async def test_bans_start_after_the_strikes_and_double_each_time(limiters: Limiters) -> None:
    clock = Clock()
    limiter = limiters(EdgeSettings(weight_per_minute=1, strikes_before_ban=1, ban_seconds=10), clock)
    await limiter.charge_request("ip", 1)
    assert (await limiter.charge_request("ip", 1)).retry_after_s > 0
    first_ban = await limiter.charge_request("ip", 1)
    assert first_ban.banned_until_ms == clock.ms + 10_000
    clock.ms += MINUTE
    await limiter.charge_request("ip", 1)
    await limiter.charge_request("ip", 1)
    assert (await limiter.charge_request("ip", 1)).banned_until_ms == clock.ms + 20_000
    assert (await limiter.charge_request("other", 1)).used == 1


async def test_a_banned_ip_is_refused_until_the_ban_ends_without_counting(limiters: Limiters) -> None:
    clock = Clock()
    limiter = limiters(EdgeSettings(weight_per_minute=2, strikes_before_ban=0, ban_seconds=30), clock)
    await limiter.charge_request("ip", 2)
    banned = await limiter.charge_request("ip", 1)
    assert (banned.used, banned.banned_until_ms) == (3, clock.ms + 30_000)
    clock.ms += 29_999
    assert await limiter.charge_request("ip", 5) == banned  # neither counted nor re-banned
    clock.ms += 1  # the ban is over, but this minute's budget is still spent: banned again, longer
    assert (await limiter.charge_request("ip", 1)).banned_until_ms == clock.ms + 60_000
    clock.ms += 60_000
    assert await limiter.charge_request("ip", 1) == type(banned)(1)


async def test_a_refused_order_is_not_counted_and_the_day_limit_holds_too(limiters: Limiters) -> None:
    clock = Clock()
    limiter = limiters(EdgeSettings(orders_per_10s=2, orders_per_day=3), clock)
    assert [(await limiter.count_order(7)).count_10s for _ in range(2)] == [1, 2]
    refused = await limiter.count_order(7)
    assert (refused.count_10s, refused.interval, refused.retry_after_s) == (2, "10 SECOND", 10)
    clock.ms += 10_000
    assert (await limiter.count_order(7)).count_1d == 3
    assert (await limiter.count_order(7)).interval == "1 DAY"
    assert (await limiter.count_order(8)).count_10s == 1  # per account
    assert (await limiter.order_usage(7)).count_1d == 3


async def test_the_day_window_turns_at_midnight_utc(limiters: Limiters) -> None:
    midnight = 1_800_000_000_000 - 1_800_000_000_000 % 86_400_000 + 86_400_000
    clock = Clock(midnight - 1)
    limiter = limiters(EdgeSettings(orders_per_10s=5, orders_per_day=1), clock)
    await limiter.count_order(7)
    assert (await limiter.count_order(7)).interval == "1 DAY"
    clock.ms += 1
    assert (await limiter.order_usage(7)).count_1d == 0
    assert not (await limiter.count_order(7)).retry_after_s


async def test_idle_addresses_are_forgotten() -> None:
    """In memory only; in Redis every counter carries a TTL (test_rate_limit_keys_expire)."""
    clock = Clock()
    limiter = InMemoryRateLimiter(EdgeSettings(), clock)
    for n in range(100):
        await limiter.charge_request(f"10.0.0.{n}", 1)
    clock.ms += 2 * MINUTE
    await limiter.charge_request("10.0.1.1", 1)
    assert len(limiter._ips) == 1


# -- several edge replicas on one Redis ------------------------------------------------------


@pytest.fixture
async def replicas() -> AsyncIterator[tuple[Clock, Callable[[EdgeSettings], SharedRateLimiter]]]:
    prefix = f"test-{uuid.uuid4().hex[:12]}:"
    clock = Clock()
    opened: list[SharedRateLimiter] = []

    def replica(settings: EdgeSettings) -> SharedRateLimiter:
        opened.append(shared_limiter(prefix, settings, clock))
        return opened[-1]

    yield clock, replica
    for limiter in opened:
        await limiter.close()
    await forget(prefix)


async def test_edge_replicas_share_one_budget_per_ip_and_per_account(
    replicas: tuple[Clock, Callable[[EdgeSettings], SharedRateLimiter]],
) -> None:
    clock, replica = replicas
    settings = EdgeSettings(weight_per_minute=10, orders_per_10s=3, strikes_before_ban=1, ban_seconds=60)
    a, b = replica(settings), replica(settings)
    assert [(await edge.charge_request("ip", 4)).used for edge in (a, b)] == [4, 8]
    assert (await a.charge_request("ip", 4)).retry_after_s > 0
    banned = await b.charge_request("ip", 1)  # the second strike, counted on the other replica
    assert banned.banned_until_ms == clock.ms + 60_000
    assert (await a.charge_request("ip", 1)).banned_until_ms == banned.banned_until_ms

    assert [(await edge.count_order(7)).count_10s for edge in (a, b, a)] == [1, 2, 3]
    assert (await b.count_order(7)).interval == "10 SECOND"
    assert (await a.order_usage(7)).count_10s == 3


async def test_concurrent_requests_on_two_replicas_never_exceed_the_budget_together(
    replicas: tuple[Clock, Callable[[EdgeSettings], SharedRateLimiter]],
) -> None:
    _, replica = replicas
    settings = EdgeSettings(weight_per_minute=1_000, orders_per_10s=25, strikes_before_ban=10_000)
    a, b = replica(settings), replica(settings)
    charges = await asyncio.gather(*(edge.charge_request("ip", 7) for _ in range(100) for edge in (a, b)))
    assert sorted(c.used for c in charges) == list(range(7, 1401, 7))  # each increment seen once
    assert sum(1 for c in charges if not c.retry_after_s) == 1_000 // 7
    orders = await asyncio.gather(*(edge.count_order(7) for _ in range(30) for edge in (a, b)))
    assert sum(1 for o in orders if not o.retry_after_s) == 25
    assert (await b.order_usage(7)).count_10s == 25


async def test_rate_limit_keys_expire(replicas: tuple[Clock, Callable[[EdgeSettings], SharedRateLimiter]]) -> None:
    """Every counter has a TTL, so a scan from many addresses cannot grow Redis without bound."""
    _, replica = replicas
    limiter = replica(EdgeSettings(weight_per_minute=1, strikes_before_ban=0, ban_seconds=10))
    for n in range(20):
        await limiter.charge_request(f"10.0.0.{n}", 2)  # each one refused and banned
        await limiter.count_order(n)
    client = aredis.Redis.from_url(real_servers().redis_url)
    try:
        prefix = limiter._counters._prefix
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        assert len(keys) == 20 * 5  # weight, strikes, ban; orders per 10 s and per day
        ttls = [await client.pttl(key) for key in keys]
        assert all(0 < ttl <= 2 * 86_400_000 for ttl in ttls)
    finally:
        await client.aclose()


async def test_the_edge_shares_its_counters_in_redis_on_the_real_backends(tmp_path: Path) -> None:
    embedded = rate_limiter_for(Config(tmp_path), EdgeSettings())
    real = rate_limiter_for(Config(tmp_path, backend="real", redis_url=real_servers().redis_url), EdgeSettings())
    try:
        assert isinstance(embedded, InMemoryRateLimiter)
        assert isinstance(real, SharedRateLimiter) and real._counters._prefix == "spotex:"
        assert (await real.charge_request(f"test-{uuid.uuid4().hex}", 3)).used == 3
    finally:
        await real.close()
