"""The edge's shared rate limits when Redis goes away and comes back: by default each replica
keeps limiting with its own counters (fail open); configured to fail closed, it answers 503
with Binance's -1001. Either way the shared counters resume by themselves."""

from __future__ import annotations

import asyncio
import time

import pytest

from edge.errors import ApiError
from edge.ratelimit import SharedRateLimiter
from edge.settings import EdgeSettings
from services.common.adapters.redis.ratelimit import RedisRateCounters
from tests.integration.redis.conftest import Restartable

SETTINGS = EdgeSettings(weight_per_minute=100, orders_per_10s=50)
RETRY_S = 0.2


def replica(url: str, fail_open: bool) -> SharedRateLimiter:
    return SharedRateLimiter(RedisRateCounters(url, "spotex:"), SETTINGS, fail_open=fail_open,
                             retry_after_outage_s=RETRY_S)  # fmt: skip


async def test_failing_open_limits_per_replica_during_the_outage_then_shares_again(
    private_redis: Restartable,
) -> None:
    edge, other = replica(private_redis.url, True), replica(private_redis.url, True)
    try:
        assert (await edge.charge_request("ip", 10)).used == 10
        private_redis.stop()
        started = time.monotonic()
        assert (await edge.charge_request("ip", 5)).used == 5  # its own counters, from 0
        assert (await edge.charge_request("ip", 5)).used == 10
        assert (await edge.count_order(7)).count_10s == 1
        assert time.monotonic() - started < 0.5, "an outage must not stall requests"

        private_redis.start()
        await asyncio.sleep(RETRY_S)
        assert (await edge.charge_request("ip", 3)).used == 3  # shared again (the new server is empty)
        assert (await other.charge_request("ip", 3)).used == 6
    finally:
        await edge.close()
        await other.close()


async def test_failing_closed_answers_503_during_the_outage_then_resumes(private_redis: Restartable) -> None:
    edge = replica(private_redis.url, False)
    try:
        assert (await edge.charge_request("ip", 10)).used == 10
        private_redis.stop()
        for check in (edge.charge_request("ip", 1), edge.count_order(7), edge.order_usage(7)):
            with pytest.raises(ApiError) as refused:
                await check
            assert (refused.value.status, refused.value.code) == (503, -1001)
        private_redis.start()
        await asyncio.sleep(RETRY_S)
        assert (await edge.charge_request("ip", 1)).used == 1
    finally:
        await edge.close()


async def test_counting_goes_on_when_redis_forgets_its_scripts(private_redis: Restartable) -> None:
    """A restarted or failed-over Redis has no scripts loaded: NOSCRIPT, then load and resend."""
    import redis.asyncio as aredis

    edge = replica(private_redis.url, False)
    admin = aredis.Redis.from_url(private_redis.url)
    try:
        assert (await edge.charge_request("ip", 1)).used == 1
        await admin.script_flush()
        charges = await asyncio.gather(*(edge.charge_request("ip", 1) for _ in range(10)))
        assert sorted(c.used for c in charges) == list(range(2, 12))
        await admin.script_flush()
        assert (await edge.count_order(7)).count_10s == 1
    finally:
        await admin.aclose()
        await edge.close()
