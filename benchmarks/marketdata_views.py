"""Market data's apply rate with its views kept in Redis, beside the same feed without them.

    .venv/bin/python benchmarks/marketdata_views.py [--commands 40000] [--redis redis://127.0.0.1:6379/0]

One seeded order flow (the reference book: resting orders, takers, cancels; one event batch per
command, as matching publishes them) is generated first, then applied by MarketDataFeed from an
in-memory EventSource three times in one run: without stored views (the embedded backend),
with ViewRecorder writing to Redis as fast as round trips allow, and with writes throttled to
one per 50 ms. For the Redis runs the clock stops when the store holds the last seq. Prints
events/s, batches/s and how many writes carried them. Talks to nothing but the Redis named.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine_ext.codes import Side  # noqa: E402
from services.common.adapters.redis.marketdata import RedisMarketViews  # noqa: E402
from services.common.catalog import DEMO_SYMBOLS  # noqa: E402
from services.common.ports import EventBatch  # noqa: E402
from services.marketdata.domain import MarketData  # noqa: E402
from services.marketdata.feed import MarketDataFeed  # noqa: E402
from services.marketdata.hub import StreamHub  # noqa: E402
from services.marketdata.saved_views import ViewRecorder  # noqa: E402
from tests.unit.marketdata.market_feed import T0, Feed, lots, ticks  # noqa: E402


def order_flow(commands: int, seed: int = 7) -> list[EventBatch]:
    rng = random.Random(seed)
    feed = Feed()  # its own MarketData is scratch: batches are generated with apply=False
    mid, resting, now = 95_000, [], T0
    for _ in range(commands):
        now += rng.choice((0, 1, 5, 20, 300))
        feed.at(now)
        mid += rng.randint(-2, 2)
        roll = rng.random()
        if roll < 0.6:
            side = rng.choice((Side.BUY, Side.SELL))
            price = mid - rng.randint(0, 40) if side == Side.BUY else mid + rng.randint(0, 40)
            resting.append(feed.limit(side, ticks(f"{price}.00"), lots("0.01") * rng.randint(1, 9), apply=False))
        elif roll < 0.8:
            feed.market(rng.choice((Side.BUY, Side.SELL)), lots("0.01") * rng.randint(1, 20), apply=False)
        elif resting:
            feed.cancel(resting.pop(rng.randrange(len(resting))), apply=False)
    return feed.batches


class ListSource:
    """The batches as fast as they are taken, or paced at `rate` batches/s (live trading)."""

    def __init__(self, batches: list[EventBatch], rate: float = 0.0) -> None:
        self._batches = batches
        self._rate = rate

    async def batches(self, after_seq: dict[str, int]) -> AsyncIterator[EventBatch]:
        loop = asyncio.get_running_loop()
        start = loop.time()
        for i, batch in enumerate(self._batches):
            yield batch
            if self._rate:
                if i % 10 == 9:
                    await asyncio.sleep(max(0.0, start + (i + 1) / self._rate - loop.time()))
            elif i % 64 == 0:
                await asyncio.sleep(0)  # a real source yields to the loop between reads
        await asyncio.Event().wait()


async def run_once(
    batches: list[EventBatch], redis_url: str | None, throttle_s: float, rate: float = 0.0
) -> tuple[float, int, float]:
    """(seconds until applied and stored, writes, CPU seconds of this process meanwhile)"""
    data = MarketData(DEMO_SYMBOLS)
    hub = StreamHub(data, lambda: T0)
    store = RedisMarketViews(redis_url, f"bench-{uuid.uuid4().hex[:8]}:") if redis_url else None
    recorder = ViewRecorder(data, store, throttle_s) if store is not None else None
    feed = MarketDataFeed(data, hub, ListSource(batches, rate), views=recorder)
    last = batches[-1].events[-1][0]
    tasks = [asyncio.create_task(feed.run())]
    if recorder is not None:
        tasks.append(asyncio.create_task(recorder.run()))
    started, cpu = time.perf_counter(), time.process_time()
    await feed.wait_applied("BTCUSDT", last)
    if recorder is not None:
        await recorder.wait_saved("BTCUSDT", last)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if store is not None:
        await store.close()
    return elapsed, recorder.writes if recorder is not None else 0, cpu


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commands", type=int, default=40_000)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=float, default=2000.0, help="batches/s of the paced (live) runs")
    parser.add_argument("--paced-batches", type=int, default=10_000)
    args = parser.parse_args()
    batches = order_flow(args.commands)
    events = sum(len(b.events) for b in batches)
    print(f"{len(batches)} batches, {events} events")
    runs = {"views off (embedded)": (None, 0.0), "views in Redis, no throttle": (args.redis, 0.0),
            "views in Redis, 50 ms throttle": (args.redis, 0.05)}
    print("catching up (the batches as fast as the feed takes them):")
    results: dict[str, list[tuple[float, int, float]]] = {name: [] for name in runs}
    for _ in range(args.rounds):  # interleaved, so that machine noise hits each alike
        for name, (url, throttle) in runs.items():
            results[name].append(await run_once(batches, url, throttle))
    for name, samples in results.items():
        best, writes, _ = min(samples)
        print(f"  {name:32s} {events / best:>10,.0f} events/s  {len(batches) / best:>9,.0f} batches/s"
              f"  ({best:.2f} s best of {len(samples)}; {writes} writes, {len(batches) / max(writes, 1):.0f} "
              f"batches per write)")
    paced = batches[: args.paced_batches]
    paced_events = sum(len(b.events) for b in paced)
    print(f"live ({args.rate:.0f} batches/s, {len(paced)} batches): CPU of the market data process")
    for name, (url, throttle) in runs.items():
        elapsed, writes, cpu = await run_once(paced, url, throttle, args.rate)
        print(f"  {name:32s} {cpu / elapsed * 100:5.1f} % of a core, {cpu / len(paced) * 1e6:6.1f} µs per batch"
              f" ({paced_events / len(paced):.1f} events), {writes} writes")


if __name__ == "__main__":
    asyncio.run(main())
