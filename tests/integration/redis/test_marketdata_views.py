"""Market data's views stored as they are applied and restored by a fresh process: the restored
views answer exactly what the original ones answer, in memory and on the real Redis."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import astuple

import pytest

from engine_ext.codes import Side
from services.common.adapters.embedded.market_views import MemoryMarketViews
from services.common.adapters.redis.marketdata import RedisMarketViews
from services.common.catalog import DEMO_SYMBOLS
from services.common.ports import EventBatch, MarketViewStore, SeriesUpdate, ViewLayout, ViewUpdate
from services.marketdata.candles import INTERVALS
from services.marketdata.domain import MarketData, SymbolMarket
from services.marketdata.feed import MarketDataFeed
from services.marketdata.hub import StreamHub
from services.marketdata.saved_views import CANDLES_KEPT, TRADES_KEPT, ViewRecorder, restore_views
from tests.integration.redis.conftest import Restartable
from tests.unit.marketdata.market_feed import T0, Feed, lots, ticks

MINUTE = 60_000


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[MarketViewStore]:
    if request.param == "memory":
        yield MemoryMarketViews()
        return
    redis = RedisMarketViews(request.getfixturevalue("redis_url"), request.getfixturevalue("prefix"))
    yield redis
    await redis.close()


def answers(m: SymbolMarket, now_ms: int) -> tuple[object, ...]:
    """Everything the REST API answers about one symbol, within what is kept."""
    candles = []
    for interval in INTERVALS:
        series = m.candles.series(interval)
        assert series is not None
        candles.append([astuple(c) for c in series.klines(None, None, CANDLES_KEPT, now_ms)])
    return (
        m.last_update_id,
        m.time_ms,
        m.depth_snapshot(5000),
        [astuple(t) for t in m.tape.recent(TRADES_KEPT)],
        [astuple(a) for a in m.tape.aggregates(None, None, None, TRADES_KEPT)],
        [m.ticker(window, now_ms) for window in (MINUTE, 60 * MINUTE, 24 * 60 * MINUTE, 7 * 24 * 60 * MINUTE)],
        m.average_price(now_ms),
        candles,
    )


def random_flow(feed: Feed, rng: random.Random, commands: int, start_ms: int) -> None:
    """Resting orders around a wandering mid, market orders through them, cancels; time moves on
    by up to ten minutes at once, so candles, minute and hour buckets all roll over."""
    mid, resting, now = 95_000, [], start_ms
    for _ in range(commands):
        now += rng.choice((0, 0, 200, 1500, 40_000, 600_000))
        feed.at(now)
        mid += rng.randint(-3, 3)
        roll = rng.random()
        if roll < 0.55:
            side = rng.choice((Side.BUY, Side.SELL))
            offset = rng.randint(0, 20)
            price = mid - offset if side == Side.BUY else mid + offset
            resting.append(feed.limit(side, ticks(f"{price}.00"), lots("0.01") * rng.randint(1, 9)))
        elif roll < 0.85:
            feed.market(rng.choice((Side.BUY, Side.SELL)), lots("0.01") * rng.randint(1, 30))
        elif resting:
            feed.cancel(resting.pop(rng.randrange(len(resting))))


async def test_restored_views_answer_what_the_stored_ones_did(store: MarketViewStore) -> None:
    rng = random.Random(5)
    live = MarketData(DEMO_SYMBOLS)
    recorder = ViewRecorder(live, store)
    feed = Feed(live)
    for round_ in range(6):
        before = len(feed.batches)
        # one round starts 8 days on: the oldest minute and hour buckets must be forgotten
        random_flow(feed, rng, 250, feed.time_ms + (8 * 24 * 60 * MINUTE if round_ == 3 else 0))
        for batch in feed.batches[before:]:
            recorder.applied(batch)
        await recorder.save()  # several batches per write, as when the writer lags
        restarted = MarketData(DEMO_SYMBOLS)
        seqs = await restore_views(restarted, store, None)
        now = feed.time_ms + round_ * 7_000
        assert seqs == {"BTCUSDT": feed.book.seq}
        assert answers(restarted.market("BTCUSDT"), now) == answers(live.market("BTCUSDT"), now)
    assert recorder.writes == 6


async def test_a_restored_market_resumes_after_its_seq_and_stays_equal(store: MarketViewStore) -> None:
    rng = random.Random(11)
    original = MarketData(DEMO_SYMBOLS)
    recorder = ViewRecorder(original, store)
    feed = Feed(original)
    random_flow(feed, rng, 400, T0)
    for batch in feed.batches:
        recorder.applied(batch)
    await recorder.save()
    restarted = MarketData(DEMO_SYMBOLS)
    second = ViewRecorder(restarted, store)
    await restore_views(restarted, store, second)
    done = len(feed.batches)
    random_flow(feed, rng, 400, feed.time_ms)
    for batch in feed.batches[done:]:
        restarted.apply(batch)  # the restarted process's own feed, resuming after the seq
        second.applied(batch)
    await second.save()
    third = MarketData(DEMO_SYMBOLS)
    await restore_views(third, store, None)
    now = feed.time_ms + 1
    assert answers(restarted.market("BTCUSDT"), now) == answers(original.market("BTCUSDT"), now)
    assert answers(third.market("BTCUSDT"), now) == answers(original.market("BTCUSDT"), now)


async def test_the_feed_stores_views_and_a_replacement_rewrites_them_whole(store: MarketViewStore) -> None:
    feed = Feed(MarketData(DEMO_SYMBOLS))
    random_flow(feed, random.Random(3), 300, T0)

    class Source:
        async def batches(self, after_seq: dict[str, int]) -> AsyncIterator[EventBatch]:
            for batch in feed.batches:
                yield batch
            await asyncio.Event().wait()

    data = MarketData(DEMO_SYMBOLS)
    recorder = ViewRecorder(data, store)
    market_feed = MarketDataFeed(data, StreamHub(data, lambda: T0), Source(), views=recorder)
    tasks = [asyncio.create_task(market_feed.run()), asyncio.create_task(recorder.run())]
    try:
        await asyncio.wait_for(recorder.wait_saved("BTCUSDT", feed.book.seq), 10)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    restored = MarketData(DEMO_SYMBOLS)
    await restore_views(restored, store, None)
    now = feed.time_ms
    assert answers(restored.market("BTCUSDT"), now) == answers(data.market("BTCUSDT"), now)
    # A depth replaced from a book snapshot is stored whole, with nothing of the old one left.
    data.load_book("BTCUSDT", feed.book.seq + 5, [(ticks("1.00"), 7)], [], feed.time_ms)
    recorder.replaced("BTCUSDT")
    await recorder.save()
    again = MarketData(DEMO_SYMBOLS)
    await restore_views(again, store, None)
    snapshot = again.market("BTCUSDT").depth_snapshot(100)
    assert snapshot.last_update_id == feed.book.seq + 5
    assert (snapshot.bids, snapshot.asks) == ([("1.00000000", "0.00007000")], [])


async def test_views_stored_beyond_the_engine_are_not_restored(store: MarketViewStore) -> None:
    live = MarketData(DEMO_SYMBOLS)
    recorder = ViewRecorder(live, store)
    feed = Feed(live)
    random_flow(feed, random.Random(1), 50, T0)
    for batch in feed.batches:
        recorder.applied(batch)
    await recorder.save()
    fresh = MarketData(DEMO_SYMBOLS)
    assert await restore_views(fresh, store, None, newest={"BTCUSDT": feed.book.seq - 1}) == {}
    assert fresh.market("BTCUSDT").last_update_id == 0


async def test_a_series_update_replaces_its_span_and_forgets_old_entries(store: MarketViewStore) -> None:
    layout = ViewLayout(series=("s",), lists=("l",))
    await store.write([ViewUpdate("X", 1, series={"s": SeriesUpdate({k: b"%d" % k for k in range(10)})},
                                  lists={"l": ([b"a", b"b", b"c"], 2)})])
    # keys 3..12 are the span of this update: 4..9 are gone, then everything below 2
    await store.write([ViewUpdate("X", 2, series={"s": SeriesUpdate({3: b"new", 12: b"12"}, drop_below=2)},
                                  lists={"l": ([b"d"], 2)})])
    stored = await store.read("X", layout)
    assert stored is not None and stored.seq == 2
    assert stored.series["s"] == [(2, b"2"), (3, b"new"), (12, b"12")]
    assert stored.lists["l"] == [b"c", b"d"]
    await store.write([ViewUpdate("X", 3, series={"s": SeriesUpdate({13: b"13"}, keep=2)})])
    stored = await store.read("X", layout)
    assert stored is not None and stored.series["s"] == [(12, b"12"), (13, b"13")]
    assert await store.read("Y", layout) is None


async def test_a_feed_over_restored_views_asks_the_event_stream_for_what_follows_their_seq(
    store: MarketViewStore,
) -> None:
    live = MarketData(DEMO_SYMBOLS)
    recorder = ViewRecorder(live, store)
    feed = Feed(live)
    random_flow(feed, random.Random(2), 100, T0)
    for batch in feed.batches:
        recorder.applied(batch)
    await recorder.save()
    asked: list[dict[str, int]] = []

    class Source:
        async def batches(self, after_seq: dict[str, int]) -> AsyncIterator[EventBatch]:
            asked.append(dict(after_seq))
            return
            yield

    restarted = MarketData(DEMO_SYMBOLS)
    second = ViewRecorder(restarted, store)
    await restore_views(restarted, store, second)
    await MarketDataFeed(restarted, StreamHub(restarted, lambda: T0), Source(), views=second).run()
    assert asked == [{s.name: feed.book.seq if s.name == "BTCUSDT" else 0 for s in DEMO_SYMBOLS}]


async def test_the_views_catch_up_by_themselves_after_a_redis_outage(private_redis: Restartable) -> None:
    store = RedisMarketViews(private_redis.url, "o:")
    live = MarketData(DEMO_SYMBOLS)
    recorder = ViewRecorder(live, store, min_interval_s=0.0)
    writing = asyncio.create_task(recorder.run())
    feed = Feed(live)
    rng = random.Random(9)
    try:
        random_flow(feed, rng, 100, T0)
        for batch in feed.batches:
            recorder.applied(batch)
        await asyncio.wait_for(recorder.wait_saved("BTCUSDT", feed.book.seq), 5)
        private_redis.stop()
        done = len(feed.batches)
        random_flow(feed, rng, 100, feed.time_ms)  # applied while the writes fail
        for batch in feed.batches[done:]:
            recorder.applied(batch)
        await asyncio.sleep(0.5)
        private_redis.start()
        await asyncio.wait_for(recorder.wait_saved("BTCUSDT", feed.book.seq), 15)
    finally:
        writing.cancel()
        await asyncio.gather(writing, return_exceptions=True)
    restored = MarketData(DEMO_SYMBOLS)
    await restore_views(restored, store, None)
    await store.close()
    now = feed.time_ms
    assert answers(restored.market("BTCUSDT"), now) == answers(live.market("BTCUSDT"), now)
