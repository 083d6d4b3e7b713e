"""Market data over real gRPC on 127.0.0.1: an in-process server on a free port, fed by an
in-memory EventSource that a reference order book writes into."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import grpc
import pytest

from exchange.v1 import marketdata_pb2_grpc
from services.common.catalog import DEMO_SYMBOLS
from services.common.grpcutil.server import RunningServer, start_server
from services.common.ports import EventBatch
from services.marketdata.domain import MarketData
from services.marketdata.feed import BookLevels, MarketDataFeed
from services.marketdata.hub import StreamHub
from services.marketdata.main import marketdata_service
from services.marketdata.servicer import MarketDataServicer, wall_clock_ms
from tests.unit.marketdata.market_feed import Feed

QUEUE_SIZE = 256


class MemoryEventSource:
    """EventSource over a list: every batch published so far, then each new one, per the
    `after_seq` positions asked for (as matching's StreamEvents and a Kafka consumer do)."""

    def __init__(self) -> None:
        self.published: list[EventBatch] = []
        self._grew = asyncio.Condition()

    async def publish(self, batch: EventBatch) -> None:
        async with self._grew:
            self.published.append(batch)
            self._grew.notify_all()

    async def batches(self, after_seq: dict[str, int]) -> AsyncIterator[EventBatch]:
        position = dict(after_seq)
        seen = 0
        while True:
            async with self._grew:
                await self._grew.wait_for(lambda seen=seen: seen < len(self.published))  # type: ignore[misc]
                pending = self.published[seen:]
            seen += len(pending)
            for batch in pending:
                events = [e for e in batch.events if e[0] > position.get(batch.symbol, 0)]
                if events:
                    position[batch.symbol] = events[-1][0]
                    yield EventBatch(batch.symbol, batch.time_ms, events)


class ReferenceBookSnapshots:
    """BookSnapshots read straight from the reference books of the test feeds."""

    def __init__(self) -> None:
        self.feeds: dict[str, Feed] = {}
        self.served = 0

    async def book(self, symbol: str) -> BookLevels:
        self.served += 1
        feed = self.feeds[symbol]
        bids, asks = feed.book.depth(1_000_000)
        return BookLevels(feed.book.seq, feed.time_ms, [(p, q) for p, q, _ in bids], [(p, q) for p, q, _ in asks])


class Exchange:
    """What a test drives: order books whose events reach market data through the source."""

    def __init__(
        self, source: MemoryEventSource, feed: MarketDataFeed, snapshots: ReferenceBookSnapshots, hub: StreamHub
    ) -> None:
        self.source = source
        self.feed = feed
        self.snapshots = snapshots
        self.hub = hub

    def book(self, symbol: str = "BTCUSDT") -> Feed:
        if symbol not in self.snapshots.feeds:
            # The test's own MarketData is a scratch copy; the server's is fed through the source.
            self.snapshots.feeds[symbol] = Feed(MarketData(DEMO_SYMBOLS), symbol=symbol, time_ms=wall_clock_ms())
        return self.snapshots.feeds[symbol]

    async def flush(self, symbol: str = "BTCUSDT") -> None:
        """Publish what the book did since the last flush and wait until market data has it."""
        feed = self.book(symbol)
        for batch in feed.batches:
            await self.source.publish(batch)
        feed.batches.clear()
        await asyncio.wait_for(self.feed.wait_applied(symbol, feed.book.seq), timeout=5)


@pytest.fixture
async def exchange() -> AsyncIterator[tuple[Exchange, RunningServer]]:
    data = MarketData(DEMO_SYMBOLS)
    hub = StreamHub(data, wall_clock_ms, queue_size=QUEUE_SIZE)
    source = MemoryEventSource()
    snapshots = ReferenceBookSnapshots()
    feed = MarketDataFeed(data, hub, source, snapshots)
    following = asyncio.create_task(feed.run())
    ticking = asyncio.create_task(hub.run_ticks())
    running = await start_server([marketdata_service(MarketDataServicer(data, hub, DEMO_SYMBOLS))], 0)
    yield Exchange(source, feed, snapshots, hub), running
    await running.stop(grace=0.5)
    for task in (following, ticking):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.fixture
def market(exchange: tuple[Exchange, RunningServer]) -> Exchange:
    return exchange[0]


@pytest.fixture
async def stub(exchange: tuple[Exchange, RunningServer]) -> AsyncIterator[marketdata_pb2_grpc.MarketDataServiceStub]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{exchange[1].port}") as channel:
        yield marketdata_pb2_grpc.MarketDataServiceStub(channel)
