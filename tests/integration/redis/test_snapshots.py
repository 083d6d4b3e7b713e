"""RedisSnapshotStore beyond the SnapshotStore contract (tests/contract): what a Redis outage
and a stale writer do."""

from __future__ import annotations

import pytest

from services.common.adapters.redis.snapshots import RedisSnapshotStore
from services.common.ports import Unavailable
from tests.integration.redis.conftest import Restartable


async def test_an_older_snapshot_never_replaces_a_newer_one(redis_url: str, prefix: str) -> None:
    store = RedisSnapshotStore(redis_url, prefix)
    try:
        await store.save("BTCUSDT", 20, b"newer")
        await store.save("BTCUSDT", 10, b"older, from a fenced-off shard")
        assert await store.load("BTCUSDT") == (20, b"newer")
        await store.save("BTCUSDT", 20, b"the same offset again")  # a retried save
        assert await store.load("BTCUSDT") == (20, b"the same offset again")
    finally:
        await store.close()


async def test_an_outage_raises_unavailable_and_the_store_recovers_by_itself(private_redis: Restartable) -> None:
    store = RedisSnapshotStore(private_redis.url, "spotex:")
    try:
        await store.save("BTCUSDT", 1, b"book")
        private_redis.stop()
        with pytest.raises(Unavailable):
            await store.save("BTCUSDT", 2, b"book 2")
        with pytest.raises(Unavailable):
            await store.load("BTCUSDT")
        private_redis.start()  # empty: it keeps nothing on disk, like a lost cache node
        assert await store.load("BTCUSDT") is None
        await store.save("BTCUSDT", 3, b"book 3")
        assert await store.load("BTCUSDT") == (3, b"book 3")
    finally:
        await store.close()


async def test_an_unreachable_server_raises_unavailable_quickly() -> None:
    from services.devservers import free_port

    store = RedisSnapshotStore(f"redis://127.0.0.1:{free_port()}/0", "spotex:")
    try:
        with pytest.raises(Unavailable):
            await store.load("BTCUSDT")
    finally:
        await store.close()
