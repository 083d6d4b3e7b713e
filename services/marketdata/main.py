"""Composition root of market data: config -> event source + book snapshots -> domain -> gRPC.

Three tasks share one event loop and one MarketData (so no locks): the feed applying engine
events, the clock cutting the periodic streams, and the gRPC server answering queries. With the
real backends two more: the writer keeping the views in Redis (restored from there on start,
so the feed resumes at their seq instead of replaying history), and the relay publishing the
streams edge replicas use to Redis pub/sub.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket

import grpc

from exchange.v1 import marketdata_pb2, marketdata_pb2_grpc
from services.common import backends
from services.common.aio import cancel_and_wait, ended_result
from services.common.catalog import load_catalog
from services.common.config import Config
from services.common.grpcutil.server import Service, start_server
from services.common.ports import MarketViewStore, Unavailable
from services.common.process import serve_forever
from services.marketdata.book_source import MatchingBookSnapshots
from services.marketdata.domain import MarketData
from services.marketdata.feed import MarketDataFeed
from services.marketdata.hub import StreamHub
from services.marketdata.relay import StreamRelay
from services.marketdata.saved_views import ViewRecorder, restore_views
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


async def _restore(data: MarketData, store: MarketViewStore, books: MatchingBookSnapshots) -> ViewRecorder:
    recorder = ViewRecorder(data, store)
    try:
        newest: dict[str, int] | None = await books.last_seqs()
    except grpc.aio.AioRpcError:
        newest = None  # matching is not up yet: trust the stored views
    try:
        restored = await restore_views(data, store, recorder, newest)
    except Unavailable as exc:
        # The symbols not restored start as with the embedded backends, from the event log (the
        # writer stores them whole once Redis answers); the ones restored resume after their seq.
        log.warning("stored views unavailable; replaying history", extra={"error": str(exc)})
        return recorder
    log.info("views restored", extra={"seqs": restored})
    return recorder


def marketdata_service(servicer: MarketDataServicer) -> Service:
    descriptor = marketdata_pb2.DESCRIPTOR.services_by_name["MarketDataService"]
    return Service(descriptor, servicer, marketdata_pb2_grpc.add_MarketDataServiceServicer_to_server)


async def run(config: Config) -> None:
    catalog = load_catalog(config)
    data = MarketData(catalog.symbols)
    hub = StreamHub(data, wall_clock_ms)
    books = MatchingBookSnapshots(config.address("matching"))
    store = backends.open_market_views(config)
    recorder = await _restore(data, store, books) if store is not None else None
    # every replica needs every event: each has its own consumer group
    events = backends.event_source(config, "marketdata", replica=socket.gethostname())
    feed = MarketDataFeed(data, hub, events, books, recorder)
    # "history" (default) replays every symbol's events (after the stored views' seq, when they
    # were restored), so trades, candles and tickers survive a restart; "snapshot" starts depth
    # from matching's books at once and keeps no history.
    if os.environ.get("SPOTEX_MARKETDATA_START", "history") == "snapshot":
        await feed.start_from_snapshots()
    following = asyncio.create_task(feed.run(), name="marketdata-feed")
    ticking = asyncio.create_task(hub.run_ticks(), name="marketdata-clock")
    tasks = [following, ticking]
    background = []  # they wait outages out themselves
    if recorder is not None:
        background.append(asyncio.create_task(recorder.run(), name="marketdata-views"))
    publisher = backends.open_stream_publisher(config)
    if publisher is not None:
        background.append(asyncio.create_task(StreamRelay(hub, publisher).run(), name="marketdata-relay"))
    tasks += background
    server = None
    try:
        catching_up = asyncio.create_task(_caught_up(feed, books, data.symbols))
        tasks.append(catching_up)
        await asyncio.wait([catching_up, following], return_when=asyncio.FIRST_COMPLETED)
        if following.done():
            ended_result(following)  # the feed only ends by failing: surface why
        server = await start_server(
            [marketdata_service(MarketDataServicer(data, hub, catalog.symbols))],
            config.ports["marketdata"],
            host=config.host,
            metrics_port=config.metrics_port("marketdata"),
        )
        tasks.append(asyncio.create_task(serve_forever()))
        done, _ = await asyncio.wait(
            [following, ticking, *background, tasks[-1]], return_when=asyncio.FIRST_COMPLETED
        )
        for task in done:
            ended_result(task)  # the feed and the clock only end by failing: surface why
    finally:
        if server is not None:
            await server.stop(grace=5.0)
        for task in tasks:
            await cancel_and_wait(task)
        if recorder is not None and store is not None:
            # the newest views, so that the next start resumes from here
            with contextlib.suppress(Exception):
                await asyncio.wait_for(recorder.save(), 5.0)
            await store.close()
        if publisher is not None:
            await publisher.close()
