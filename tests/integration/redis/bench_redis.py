"""Redis adapters measured beside their embedded twins in one run (a benchmark, not a test):

    .venv/bin/python -m tests.integration.redis.bench_redis [--resting 1000000]

1. rate limiting: the latency one REST request spends in the limiter (weight charge; order
   count), in-memory vs shared through Redis, p50/p99 over sequential calls, and the
   throughput of many concurrent requests on one Redis connection pool;
2. book snapshots: save and load of a deep book (engine_ext.workload.deep_book_setup) in
   Redis vs the file store (fsync'd), with the snapshot's size and Redis's memory for it.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import redis.asyncio as aredis

from edge.ratelimit import InMemoryRateLimiter, RateLimiter, SharedRateLimiter
from edge.settings import EdgeSettings
from engine_ext.book import OrderBook
from engine_ext.workload import deep_book_setup
from services.common.adapters.embedded.snapshots import FileSnapshotStore
from services.common.adapters.redis.ratelimit import RedisRateCounters
from services.common.adapters.redis.snapshots import RedisSnapshotStore
from tests.servers import real_servers

SETTINGS = EdgeSettings(weight_per_minute=10**12, orders_per_10s=10**12, orders_per_day=10**12)


def percentiles(samples_s: list[float]) -> str:
    ordered = sorted(samples_s)
    p50 = ordered[len(ordered) // 2] * 1e6
    p99 = ordered[int(len(ordered) * 0.99)] * 1e6
    return f"p50 {p50:7.1f} us  p99 {p99:7.1f} us"


class LoopStall:
    """The longest the event loop went without running a 1 ms ticker while the block ran:
    what every other task of the process (the other books of a matching shard) waited."""

    async def __aenter__(self) -> LoopStall:
        self.worst_s = 0.0
        self._ticker = asyncio.create_task(self._tick())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._ticker.cancel()
        await asyncio.gather(self._ticker, return_exceptions=True)

    async def _tick(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(0.001)
            self.worst_s = max(self.worst_s, time.perf_counter() - started - 0.001)


async def timed(call: Callable[[], Awaitable[object]], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - started)
    return samples


async def concurrent_rate(limiter: RateLimiter, requests: int, concurrency: int) -> float:
    async def client(k: int) -> None:
        for _ in range(requests // concurrency):
            await limiter.charge_request(f"10.0.{k // 256}.{k % 256}", 1)

    started = time.perf_counter()
    await asyncio.gather(*(client(k) for k in range(concurrency)))
    return requests / (time.perf_counter() - started)


async def rate_limits(url: str, n: int) -> None:
    print(f"rate limiting, {n} sequential calls each (Redis at {url})")
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    limiters: list[tuple[str, RateLimiter]] = [
        ("in-memory", InMemoryRateLimiter(SETTINGS)),
        ("redis", SharedRateLimiter(RedisRateCounters(url, prefix), SETTINGS, fail_open=False)),
    ]
    for name, limiter in limiters:
        await timed(lambda limiter=limiter: limiter.charge_request("203.0.113.9", 1), 500)  # warm up
        weight = await timed(lambda limiter=limiter: limiter.charge_request("203.0.113.9", 1), n)
        order = await timed(lambda limiter=limiter: limiter.count_order(42), n)
        rate = await concurrent_rate(limiter, 20_000, 64)
        print(f"  {name:10} charge_request {percentiles(weight)} | count_order {percentiles(order)}"
              f" | 64 concurrent: {rate:8.0f} charges/s")  # fmt: skip
        await limiter.close()
    admin = aredis.Redis.from_url(url)
    keys = [key async for key in admin.scan_iter(match=f"{prefix}*", count=1000)]
    if keys:
        await admin.delete(*keys)
    await admin.aclose()


async def snapshots(url: str, resting: int, rounds: int) -> None:
    book = OrderBook()
    started = time.perf_counter()
    book.apply_batch(deep_book_setup(resting))
    data = book.snapshot()
    took = time.perf_counter() - started
    print(f"book snapshot: {len(book)} resting orders, {len(data) / 1e6:.1f} MB (built + snapshotted in {took:.1f} s)")
    started = time.perf_counter()
    OrderBook.restore(data)
    print(f"  restore from bytes: {time.perf_counter() - started:.2f} s (for scale)")
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    with tempfile.TemporaryDirectory() as directory:
        stores = [("file", FileSnapshotStore(Path(directory))), ("redis", RedisSnapshotStore(url, prefix))]
        for name, store in stores:
            saves, loads, save_stalls, load_stalls = [], [], [], []
            for offset in range(rounds):
                async with LoopStall() as stall:
                    started = time.perf_counter()
                    await store.save("BTCUSDT", offset, data)
                    saves.append(time.perf_counter() - started)
                save_stalls.append(stall.worst_s)
                async with LoopStall() as stall:
                    started = time.perf_counter()
                    loaded = await store.load("BTCUSDT")
                    loads.append(time.perf_counter() - started)
                load_stalls.append(stall.worst_s)
                assert loaded == (offset, data)
            print(f"  {name:5} save median {statistics.median(saves):.3f} s (max {max(saves):.3f}),"
                  f" event loop stalled up to {max(save_stalls) * 1e3:.0f} ms |"
                  f" load median {statistics.median(loads):.3f} s (max {max(loads):.3f}),"
                  f" stalled up to {max(load_stalls) * 1e3:.0f} ms")  # fmt: skip
        for _, store in stores:
            await store.close()
    admin = aredis.Redis.from_url(url)
    usage = await admin.memory_usage(f"{prefix}snapshot:BTCUSDT")
    print(f"  redis memory for the key: {(usage or 0) / 1e6:.1f} MB")
    await admin.delete(f"{prefix}snapshot:BTCUSDT")
    await admin.aclose()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--resting", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    url = real_servers().redis_url
    await rate_limits(url, args.calls)
    await snapshots(url, args.resting, args.rounds)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    finally:
        from tests.servers import stop_real_servers

        stop_real_servers()
