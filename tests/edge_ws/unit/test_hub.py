"""The hub against a scripted upstream: one upstream per stream, state replayed to late
joiners, an upstream lost after it was ready is reopened, one refused is forgotten."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import orjson
import pytest

from edge.ws.hub import Frame, MarketHub
from edge.ws.render import Payload
from edge.ws.streams import Stream, StreamKind, UnknownStream
from edge.ws.upstream import UpstreamUnavailable

TRADES = Stream("btcusdt@trade", StreamKind.TRADE, "BTCUSDT")
TICKER = Stream("btcusdt@miniTicker", StreamKind.MINI_TICKER, "BTCUSDT")


class ScriptedUpstream:
    def __init__(self, source: ScriptedSource, stream: Stream) -> None:
        self.source = source
        self.stream = stream
        self.script: asyncio.Queue[Payload | Exception | None] = asyncio.Queue()
        self.closed = False

    async def ready(self) -> None:
        refusal = self.source.refuse.get(self.stream.name)
        if refusal is not None:
            raise refusal

    async def events(self) -> AsyncIterator[Payload | list[Payload]]:
        while (event := await self.script.get()) is not None:
            if isinstance(event, Exception):
                raise event
            yield event

    def close(self) -> None:
        self.closed = True


class ScriptedSource:
    def __init__(self) -> None:
        self.opened: list[ScriptedUpstream] = []
        self.refuse: dict[str, Exception] = {}

    def open(self, stream: Stream) -> ScriptedUpstream:
        upstream = ScriptedUpstream(self, stream)
        self.opened.append(upstream)
        return upstream


class Collector:
    def __init__(self) -> None:
        self.frames: list[Payload] = []

    def deliver(self, frame: Frame) -> None:
        self.frames.append(orjson.loads(frame.payload(combined=False)))


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_subscribers_of_a_stream_share_one_upstream_and_each_get_every_event() -> None:
    source = ScriptedSource()
    hub = MarketHub(source)
    a, b = Collector(), Collector()
    await asyncio.gather(hub.subscribe(TRADES, a), hub.subscribe(TRADES, b))
    assert len(source.opened) == 1
    source.opened[0].script.put_nowait({"e": "trade", "t": 1})
    await settle()
    assert a.frames == b.frames == [{"e": "trade", "t": 1}]
    hub.unsubscribe(TRADES.name, a)
    hub.unsubscribe(TRADES.name, b)
    await settle()
    assert hub.upstream_count == 0 and source.opened[0].closed


async def test_a_late_joiner_of_a_state_stream_gets_its_current_state_at_once() -> None:
    source = ScriptedSource()
    hub = MarketHub(source)
    first, late = Collector(), Collector()
    await hub.subscribe(TICKER, first)
    source.opened[0].script.put_nowait({"e": "24hrMiniTicker", "c": "1"})
    source.opened[0].script.put_nowait({"e": "24hrMiniTicker", "c": "2"})
    await settle()
    await hub.subscribe(TICKER, late)
    assert late.frames == [{"e": "24hrMiniTicker", "c": "2"}]


async def test_trades_are_not_replayed_to_a_late_joiner() -> None:
    source = ScriptedSource()
    hub = MarketHub(source)
    await hub.subscribe(TRADES, Collector())
    source.opened[0].script.put_nowait({"e": "trade", "t": 1})
    await settle()
    late = Collector()
    await hub.subscribe(TRADES, late)
    assert late.frames == []


async def test_an_upstream_lost_after_it_was_ready_is_reopened_for_its_subscribers() -> None:
    source = ScriptedSource()
    hub = MarketHub(source)
    subscriber = Collector()
    await hub.subscribe(TRADES, subscriber)
    source.opened[0].script.put_nowait(UpstreamUnavailable("market data restarted"))
    async with asyncio.timeout(2):
        while len(source.opened) < 2:
            await asyncio.sleep(0.01)
    source.opened[1].script.put_nowait({"e": "trade", "t": 2})
    await settle()
    assert subscriber.frames == [{"e": "trade", "t": 2}] and source.opened[0].closed


@pytest.mark.parametrize("refusal", [UnknownStream("btcusdt@trade"), UpstreamUnavailable("down")])
async def test_a_refused_subscription_registers_nothing(refusal: Exception) -> None:
    source = ScriptedSource()
    source.refuse[TRADES.name] = refusal
    hub = MarketHub(source)
    with pytest.raises(type(refusal)):
        await hub.subscribe(TRADES, Collector())
    assert hub.upstream_count == 0
    del source.refuse[TRADES.name]
    await hub.subscribe(TRADES, Collector())  # a later attempt opens afresh
    assert hub.upstream_count == 1 and len(source.opened) == 2
    await hub.close()
