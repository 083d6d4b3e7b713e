"""Composition root of market data: config -> event source + book snapshots -> domain -> gRPC.

Three tasks share one event loop and one MarketData (so no locks): the feed applying engine
events, the clock cutting the periodic streams, and the gRPC server answering queries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os

import grpc

from exchange.v1 import marketdata_pb2, marketdata_pb2_grpc
from services.common import backends
from services.common.catalog import DEMO_SYMBOLS
from services.common.config import Config
from services.common.grpcutil.server import Service, start_server
from services.common.process import serve_forever
from services.marketdata.book_source import MatchingBookSnapshots
from services.marketdata.domain import MarketData
from services.marketdata.feed import MarketDataFeed
from services.marketdata.hub import StreamHub
from services.marketdata.servicer import MarketDataServicer, wall_clock_ms

log = logging.getLogger(__name__)


async def _caught_up(feed: MarketDataFeed, books: MatchingBookSnapshots, symbols: list[str]) -> None:
    """Serve only once the replay has reached where the books were at start: a client must not
    see a half-rebuilt depth or a ticker missing most of its day."""
    try:
        targets = await books.last_seqs()
    except grpc.aio.AioRpcError as exc:
        log.warning("matching unreachable; serving before the replay caught up", extra={"code": exc.code().name})
        return
    for symbol in symbols:
        await feed.wait_applied(symbol, targets.get(symbol, 0))
    log.info("caught up", extra={"seqs": targets})


def marketdata_service(servicer: MarketDataServicer) -> Service:
    descriptor = marketdata_pb2.DESCRIPTOR.services_by_name["MarketDataService"]
    return Service(descriptor, servicer, marketdata_pb2_grpc.add_MarketDataServiceServicer_to_server)


async def run(config: Config) -> None:
    data = MarketData(DEMO_SYMBOLS)
    hub = StreamHub(data, wall_clock_ms)
    books = MatchingBookSnapshots(config.address("matching"))
    feed = MarketDataFeed(data, hub, backends.event_source(config, "marketdata"), books)
    # "history" (default) replays every symbol's events, so trades, candles and tickers survive a
    # restart; "snapshot" starts depth from matching's books at once and keeps no history.
    if os.environ.get("SPOTEX_MARKETDATA_START", "history") == "snapshot":
        await feed.start_from_snapshots()
    following = asyncio.create_task(feed.run(), name="marketdata-feed")
    ticking = asyncio.create_task(hub.run_ticks(), name="marketdata-clock")
    tasks = [following, ticking]
    server = None
    try:
        catching_up = asyncio.create_task(_caught_up(feed, books, data.symbols))
        tasks.append(catching_up)
        await asyncio.wait([catching_up, following], return_when=asyncio.FIRST_COMPLETED)
        if following.done():
            following.result()  # the feed only ends by failing: surface why
        server = await start_server(
            [marketdata_service(MarketDataServicer(data, hub, DEMO_SYMBOLS))],
            config.ports["marketdata"],
            host=config.host,
            metrics_port=config.metrics_port("marketdata"),
        )
        tasks.append(asyncio.create_task(serve_forever()))
        done, _ = await asyncio.wait([following, ticking, tasks[-1]], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()  # the feed and the clock only end by failing: surface why
    finally:
        if server is not None:
            await server.stop(grace=5.0)
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
