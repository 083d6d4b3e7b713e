from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from engine_ext.codes import Side
from engine_ext.snapshot import read_snapshot
from services.common.ports import EventBatch
from services.marketdata.book_source import aggregate_levels
from services.marketdata.domain import MarketData
from services.marketdata.feed import BookLevels, MarketDataFeed
from services.marketdata.hub import StreamHub
from tests.unit.marketdata.market_feed import BTCUSDT, T0, Feed, lots, ticks


class ListSource:
    """An EventSource that serves a fixed list of batches, after the positions asked for."""

    def __init__(self, batches: list[EventBatch]) -> None:
        self.batches_ = batches
        self.asked: dict[str, int] = {}

    async def batches(self, after_seq: dict[str, int]) -> AsyncIterator[EventBatch]:
        self.asked = dict(after_seq)
        for batch in self.batches_:
            yield batch


class BookOf:
    def __init__(self, feed: Feed) -> None:
        self.feed = feed

    async def book(self, symbol: str) -> BookLevels:
        bids, asks = aggregate_levels(read_snapshot(self.feed.book.snapshot()).resting)
        return BookLevels(self.feed.book.seq, self.feed.time_ms, bids, asks)


def _busy_book() -> Feed:
    feed = Feed(MarketData([BTCUSDT]))
    feed.limit(Side.BUY, ticks("99"), lots("1"))
    feed.limit(Side.BUY, ticks("99"), lots("2"))
    feed.limit(Side.BUY, ticks("98"), lots("4"))
    feed.limit(Side.SELL, ticks("101"), lots("3"))
    feed.market(Side.SELL, lots("1.5"))  # leaves 1.5 at 99 (one order partly filled)
    return feed


def test_a_book_snapshot_aggregates_to_the_levels_the_engine_reports() -> None:
    feed = _busy_book()
    bids, asks = aggregate_levels(read_snapshot(feed.book.snapshot()).resting)
    engine_bids, engine_asks = feed.book.depth(100)
    assert sorted(bids, reverse=True) == [(p, q) for p, q, _ in engine_bids]
    assert sorted(asks) == [(p, q) for p, q, _ in engine_asks]


async def test_the_feed_replays_history_from_the_start_and_publishes_what_subscribers_want() -> None:
    source_feed = _busy_book()
    data = MarketData([BTCUSDT])
    hub = StreamHub(data, lambda: T0)
    subscriber = hub.subscribe(["btcusdt@trade"])
    source = ListSource(source_feed.batches)
    feed = MarketDataFeed(data, hub, source)

    await feed.run()

    assert source.asked == {"BTCUSDT": 0}
    assert data.depth("BTCUSDT") == source_feed.data.depth("BTCUSDT")
    assert [e.stream for e in subscriber.drain()] == ["btcusdt@trade", "btcusdt@trade"]


async def test_the_feed_can_start_from_the_books_and_resume_after_their_seq() -> None:
    source_feed = _busy_book()
    data = MarketData([BTCUSDT])
    source = ListSource([])
    feed = MarketDataFeed(data, StreamHub(data, lambda: T0), source, BookOf(source_feed))

    await feed.start_from_snapshots()
    await feed.run()

    assert source.asked == {"BTCUSDT": source_feed.book.seq}
    assert data.depth("BTCUSDT") == source_feed.data.depth("BTCUSDT")


async def test_a_gap_without_a_snapshot_source_stops_the_feed_loudly() -> None:
    source_feed = _busy_book()
    data = MarketData([BTCUSDT])
    feed = MarketDataFeed(data, StreamHub(data, lambda: T0), ListSource(source_feed.batches[1:]))
    with pytest.raises(RuntimeError, match="events are missing"):
        await feed.run()


async def test_wait_applied_returns_once_the_seq_is_in() -> None:
    source_feed = _busy_book()
    data = MarketData([BTCUSDT])
    feed = MarketDataFeed(data, StreamHub(data, lambda: T0), ListSource(source_feed.batches))
    waiting = asyncio.create_task(feed.wait_applied("BTCUSDT", source_feed.book.seq))
    await asyncio.sleep(0)
    assert not waiting.done()
    await feed.run()
    await asyncio.wait_for(waiting, 1)
