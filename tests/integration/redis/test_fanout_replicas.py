"""Market streams from one market data process to two edge replicas over the real Redis: each
replica subscribes once per stream, both get the same frames in the same order, market data
keeps one stream open however many replicas use it, and a replica that loses its connection
recovers by itself (state streams at once, diff depth with Binance's U/u resync signal)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import orjson
import pytest
import redis.asyncio as aredis

from edge.ws.hub import Frame, MarketHub
from edge.ws.relayed import RelayedUpstreams
from edge.ws.streams import Stream, StreamKind, UnknownStream, parse_stream
from engine_ext.codes import Side
from services.common.adapters.redis.fanout import RedisStreamPublisher, RedisStreamSubscriber
from services.common.catalog import DEMO_SYMBOLS
from services.marketdata.domain import MarketData
from services.marketdata.hub import StreamHub
from services.marketdata.relay import StreamRelay
from services.marketdata.servicer import wall_clock_ms
from tests.integration.redis.conftest import Restartable
from tests.unit.marketdata.market_feed import Feed, lots, ticks

SYMBOLS = frozenset(s.name for s in DEMO_SYMBOLS)
STREAMS = ["btcusdt@trade", "btcusdt@depth@100ms", "btcusdt@bookTicker", "!miniTicker@arr", "btcusdt@avgPrice"]


@dataclass(eq=False)
class Client:
    """One WebSocket client of a replica, reduced to the frames it is handed."""

    frames: dict[str, list[bytes]] = field(default_factory=dict)

    def deliver(self, frame: Frame) -> None:
        self.frames.setdefault(frame.stream, []).append(frame.payload(combined=False))

    def decoded(self, stream: str) -> list[object]:
        return [orjson.loads(f) for f in self.frames.get(stream, [])]


@dataclass
class Replica:
    hub: MarketHub
    upstreams: RelayedUpstreams
    subscriber: RedisStreamSubscriber
    client: Client = field(default_factory=Client)

    async def subscribe(self, names: list[str]) -> None:
        for name in names:
            await self.hub.subscribe(parse_stream(name, SYMBOLS), self.client)


@dataclass
class Exchange:
    data: MarketData
    hub: StreamHub
    feed: Feed
    relay: StreamRelay
    relaying: asyncio.Task[None]

    def trade(self, price: str) -> None:
        """A resting sell and a buy that takes it: one trade, two depth changes."""
        before = len(self.feed.stream_events)
        self.feed.at(wall_clock_ms())
        self.feed.limit(Side.SELL, ticks(price), lots("0.01"))
        self.feed.limit(Side.BUY, ticks(price), lots("0.01"))
        self.hub.publish(self.feed.stream_events[before:])


@pytest.fixture
async def exchange(redis_url: str, prefix: str) -> AsyncIterator[Exchange]:
    data = MarketData(DEMO_SYMBOLS)
    hub = StreamHub(data, wall_clock_ms)
    publisher = RedisStreamPublisher(redis_url, prefix)
    relay = StreamRelay(hub, publisher, reap_every_s=0.2)
    tasks = [asyncio.create_task(hub.run_ticks()), asyncio.create_task(relay.run())]
    await asyncio.sleep(0.1)  # the relay is listening for demands
    yield Exchange(data, hub, Feed(data), relay, tasks[1])
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await publisher.close()


@pytest.fixture
async def replicas(redis_url: str, prefix: str) -> AsyncIterator[Callable[[], Replica]]:
    made: list[Replica] = []

    def replica() -> Replica:
        subscriber = RedisStreamSubscriber(redis_url, prefix)
        upstreams = RelayedUpstreams(subscriber)
        made.append(Replica(MarketHub(upstreams), upstreams, subscriber))
        return made[-1]

    yield replica
    for r in made:
        await r.hub.close()
        await r.subscriber.close()


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


def diffs_are_continuous(diffs: list[object]) -> bool:
    return all(b["U"] == a["u"] + 1 for a, b in itertools.pairwise(diffs))  # type: ignore[index]


async def test_two_replicas_get_the_same_frames_from_one_stream_each(
    exchange: Exchange, replicas: Callable[[], Replica], redis_url: str, prefix: str
) -> None:
    a, b = replicas(), replicas()
    await asyncio.gather(a.subscribe(STREAMS), b.subscribe(STREAMS))
    assert sorted(exchange.relay.open_streams) == sorted(STREAMS)  # one each, for both replicas
    for i in range(30):
        exchange.trade(f"{95_000 + i}.00")
        await asyncio.sleep(0.01)
    await eventually(lambda: all(len(r.client.frames.get("btcusdt@trade", [])) == 30 for r in (a, b)))
    # the next 1 s push of the array stream, and the last diff
    await eventually(lambda: all(len(r.client.frames.get("!miniTicker@arr", [])) > 1 for r in (a, b)))
    await asyncio.sleep(0.2)
    for stream in ("btcusdt@trade", "btcusdt@depth@100ms"):
        assert a.client.frames[stream] == b.client.frames[stream], stream
    for stream in ("btcusdt@bookTicker", "!miniTicker@arr"):  # each replica's first: the state when it asked
        assert a.client.frames[stream][1:] == b.client.frames[stream][1:]
    trades = a.client.decoded("btcusdt@trade")
    assert [t["p"] for t in trades] == [f"{95_000 + i}.00000000" for i in range(30)]  # type: ignore[index]
    diffs = a.client.decoded("btcusdt@depth@100ms")
    assert diffs and diffs_are_continuous(diffs)
    assert diffs[-1]["u"] == exchange.data.market("BTCUSDT").last_update_id  # type: ignore[index]
    assert a.upstreams.depth_gaps == b.upstreams.depth_gaps == 0
    listening = aredis.Redis.from_url(redis_url)
    counts = dict(await listening.pubsub_numsub(*(f"{prefix}ws:{s}" for s in STREAMS)))
    await listening.aclose()
    assert set(counts.values()) == {2}  # one subscription per stream per replica


async def test_a_replica_joining_an_open_stream_starts_from_its_current_state(
    exchange: Exchange, replicas: Callable[[], Replica]
) -> None:
    a = replicas()
    await a.subscribe(["btcusdt@bookTicker"])
    exchange.trade("95000.00")
    exchange.feed.limit(Side.BUY, ticks("94000.00"), lots("0.5"))
    exchange.hub.publish(exchange.feed.stream_events[-1:])
    await eventually(lambda: len(a.client.frames.get("btcusdt@bookTicker", [])) >= 2)
    b = replicas()
    await b.subscribe(["btcusdt@bookTicker"])
    first = b.client.decoded("btcusdt@bookTicker")[0]
    assert first == a.client.decoded("btcusdt@bookTicker")[-1]
    assert first["b"] == "94000.00000000"  # type: ignore[index]


async def test_a_stream_market_data_does_not_have_is_refused(
    exchange: Exchange, replicas: Callable[[], Replica]
) -> None:
    a = replicas()
    with pytest.raises(UnknownStream):
        await a.hub.subscribe(Stream("dogeusdt@trade", StreamKind.TRADE, "DOGEUSDT"), a.client)
    assert exchange.relay.open_streams == []


async def test_streams_nobody_uses_any_more_are_closed_in_market_data(
    exchange: Exchange, replicas: Callable[[], Replica]
) -> None:
    a, b = replicas(), replicas()
    await asyncio.gather(a.subscribe(["btcusdt@trade"]), b.subscribe(["btcusdt@trade"]))
    a.hub.unsubscribe("btcusdt@trade", a.client)
    await asyncio.sleep(0.6)
    assert exchange.relay.open_streams == ["btcusdt@trade"]  # b still uses it
    b.hub.unsubscribe("btcusdt@trade", b.client)
    await eventually(lambda: exchange.relay.open_streams == [])
    assert not exchange.hub.has_subscribers("btcusdt@trade")


async def test_a_replica_that_loses_its_connection_resubscribes_and_clients_see_the_diff_gap(
    exchange: Exchange, replicas: Callable[[], Replica], redis_url: str, prefix: str
) -> None:
    a, b = replicas(), replicas()
    streams = ["btcusdt@trade", "btcusdt@depth@100ms", "btcusdt@bookTicker"]
    await asyncio.gather(a.subscribe(streams), b.subscribe(streams))
    exchange.trade("95000.00")
    await eventually(lambda: len(a.client.frames.get("btcusdt@depth@100ms", [])) >= 1)
    admin = aredis.Redis.from_url(redis_url)
    try:
        killed = 0
        for client in await admin.client_list():
            if client["name"] == a.subscriber.client_name and client.get("sub") != "0":
                killed += await admin.client_kill_filter(_id=client["id"])
        assert killed
        # Published while replica a is away (it reopens its streams after a backoff): lost for
        # it, not for b.
        exchange.trade("95001.00")
        channels = [f"{prefix}ws:{s}" for s in streams]

        async def both_listening() -> bool:
            return {n for _, n in await admin.pubsub_numsub(*channels)} == {2}

        deadline = asyncio.get_running_loop().time() + 5
        while not await both_listening():
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.05)
    finally:
        await admin.aclose()
    await asyncio.sleep(0.2)  # the confirmations
    for i in range(5):
        exchange.trade(f"{95_010 + i}.00")
        await asyncio.sleep(0.05)
    await eventually(lambda: len(a.client.frames.get("btcusdt@trade", [])) >= 6)
    assert a.client.decoded("btcusdt@trade")[-1] == b.client.decoded("btcusdt@trade")[-1]
    await asyncio.sleep(0.3)
    assert diffs_are_continuous(b.client.decoded("btcusdt@depth@100ms"))
    assert a.client.decoded("btcusdt@depth@100ms")[-1] == b.client.decoded("btcusdt@depth@100ms")[-1]
    assert len(a.client.frames["btcusdt@trade"]) == len(b.client.frames["btcusdt@trade"]) - 1
    assert a.upstreams.depth_gaps == 1 and b.upstreams.depth_gaps == 0  # the diff cut while away


async def test_a_restarted_market_data_serves_the_replicas_still_listening_without_being_asked(
    exchange: Exchange, replicas: Callable[[], Replica], redis_url: str, prefix: str
) -> None:
    a = replicas()
    await a.subscribe(["btcusdt@trade", "btcusdt@bookTicker"])
    exchange.trade("95000.00")
    await eventually(lambda: len(a.client.frames.get("btcusdt@trade", [])) == 1)
    # market data goes away (its relay and every stream it held) and a new one starts
    exchange.relaying.cancel()
    await asyncio.gather(exchange.relaying, return_exceptions=True)
    assert not exchange.hub.has_subscribers("btcusdt@trade")
    publisher = RedisStreamPublisher(redis_url, prefix)
    relay = StreamRelay(exchange.hub, publisher, reap_every_s=0.2)
    restarted = asyncio.create_task(relay.run())
    try:
        await eventually(lambda: sorted(relay.open_streams) == ["btcusdt@bookTicker", "btcusdt@trade"])
        exchange.trade("95001.00")
        await eventually(lambda: len(a.client.frames.get("btcusdt@trade", [])) == 2)
        assert a.hub.upstream_count == 2  # nothing was reopened on the replica's side
    finally:
        restarted.cancel()
        await asyncio.gather(restarted, return_exceptions=True)
        await publisher.close()


async def test_streams_resume_by_themselves_after_redis_comes_back(private_redis: Restartable) -> None:
    data = MarketData(DEMO_SYMBOLS)
    hub = StreamHub(data, wall_clock_ms)
    publisher = RedisStreamPublisher(private_redis.url, "o:")
    relay = StreamRelay(hub, publisher)
    relaying = asyncio.create_task(relay.run())
    exchange = Exchange(data, hub, Feed(data), relay, relaying)
    subscriber = RedisStreamSubscriber(private_redis.url, "o:")
    upstreams = RelayedUpstreams(subscriber)
    replica = Replica(MarketHub(upstreams), upstreams, subscriber)
    try:
        await asyncio.sleep(0.1)
        await replica.subscribe(["btcusdt@trade", "btcusdt@bookTicker"])
        exchange.trade("95000.00")
        await eventually(lambda: len(replica.client.frames.get("btcusdt@trade", [])) == 1)
        private_redis.stop()
        exchange.trade("95001.00")  # published into the outage: lost
        await asyncio.sleep(0.5)
        private_redis.start()
        await eventually(lambda: exchange.relay.open_streams != [] and replica.hub.upstream_count == 2, 15)
        deadline = asyncio.get_running_loop().time() + 15
        while len(replica.client.frames.get("btcusdt@trade", [])) < 2:  # until it is through again
            assert asyncio.get_running_loop().time() < deadline
            exchange.trade("95002.00")
            await asyncio.sleep(0.3)
        assert replica.client.decoded("btcusdt@bookTicker")[-1]["u"] >= data.market("BTCUSDT").last_update_id - 3  # type: ignore[index]
    finally:
        await replica.hub.close()
        await subscriber.close()
        relaying.cancel()
        await asyncio.gather(relaying, return_exceptions=True)
        await publisher.close()
