"""InMemoryRateLimiter: Binance's fixed windows, the ban for clients that keep going, and
order counts per account (unit tests with a hand-driven clock)."""

from __future__ import annotations

from edge.ratelimit import InMemoryRateLimiter
from edge.settings import EdgeSettings

MINUTE = 60_000


class Clock:
    def __init__(self, ms: int = 1_800_000_000_000) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


async def test_weight_counts_in_a_window_aligned_to_the_minute() -> None:
    clock = Clock(1_800_000_000_000 + 50_000)  # 10 s before the minute turns
    limiter = InMemoryRateLimiter(EdgeSettings(weight_per_minute=10), clock)
    assert (await limiter.charge_request("ip", 6)).used == 6
    refused = await limiter.charge_request("ip", 6)
    assert (refused.used, refused.retry_after_s) == (12, 10)
    clock.ms += 10_000
    assert await limiter.charge_request("ip", 6) == type(refused)(6)


async def test_bans_start_after_the_strikes_and_double_each_time() -> None:
    clock = Clock()
    limiter = InMemoryRateLimiter(EdgeSettings(weight_per_minute=1, strikes_before_ban=1, ban_seconds=10), clock)
    await limiter.charge_request("ip", 1)
    assert (await limiter.charge_request("ip", 1)).retry_after_s > 0
    first_ban = await limiter.charge_request("ip", 1)
    assert first_ban.banned_until_ms == clock.ms + 10_000
    clock.ms += MINUTE
    await limiter.charge_request("ip", 1)
    await limiter.charge_request("ip", 1)
    assert (await limiter.charge_request("ip", 1)).banned_until_ms == clock.ms + 20_000
    assert (await limiter.charge_request("other", 1)).used == 1


async def test_a_refused_order_is_not_counted_and_the_day_limit_holds_too() -> None:
    clock = Clock()
    limiter = InMemoryRateLimiter(EdgeSettings(orders_per_10s=2, orders_per_day=3), clock)
    assert [(await limiter.count_order(7)).count_10s for _ in range(2)] == [1, 2]
    refused = await limiter.count_order(7)
    assert (refused.count_10s, refused.interval, refused.retry_after_s) == (2, "10 SECOND", 10)
    clock.ms += 10_000
    assert (await limiter.count_order(7)).count_1d == 3
    assert (await limiter.count_order(7)).interval == "1 DAY"
    assert (await limiter.count_order(8)).count_10s == 1  # per account
    assert (await limiter.order_usage(7)).count_1d == 3


async def test_idle_addresses_are_forgotten() -> None:
    clock = Clock()
    limiter = InMemoryRateLimiter(EdgeSettings(), clock)
    for n in range(100):
        await limiter.charge_request(f"10.0.0.{n}", 1)
    clock.ms += 2 * MINUTE
    await limiter.charge_request("10.0.1.1", 1)
    assert len(limiter._ips) == 1
