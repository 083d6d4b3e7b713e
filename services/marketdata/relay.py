"""Market streams for edge replicas through a StreamPublisher (Redis pub/sub), instead of one
gRPC Subscribe per stream per replica.

    replica --demand(stream, token)--> relay: opens the stream in the hub (or finds it open)
    relay --confirm(token, current state)--> the replica's subscription of that stream
    hub events --relay outbox--> publish, in order, one round trip per burst

The relay is one hub subscriber per stream that some replica uses. Its events are not queued
per subscriber: they go to one outbox, and one task publishes what accumulated while the
previous publish was in flight (so a burst of events costs one round trip, and a confirmation
is published in its place among them: a replica starts taking a stream exactly after it).
A stream stays open while Redis counts a subscriber on its channel; one that nobody has
listened to for a whole check (and nobody asked for meanwhile) is closed.

Array streams (!ticker@arr, !miniTicker@arr) go out as Binance sends them: one message per
push holding every symbol that changed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from services.common.aio import reraise_if_cancelled
from services.common.ports import StreamDemand, StreamPublisher

from .domain import MarketDataError
from .hub import StreamHub, Subscriber
from .views import StreamEvent

log = logging.getLogger(__name__)

ARRAY_STREAMS = frozenset({"!ticker@arr", "!miniTicker@arr"})
REAP_EVERY_S = 1.0
MAX_PENDING = 200_000  # events waiting for Redis; beyond that they are dropped
RETRY_S = (0.1, 0.5, 1.0, 2.0, 5.0)


@dataclass(frozen=True, slots=True)
class _Confirm:
    demand: StreamDemand
    current: list[StreamEvent] | None  # None: no such stream


class _Relayed(Subscriber):
    """A hub subscriber whose events go to the relay's outbox."""

    def __init__(self, streams: Sequence[str], queue_size: int, relay: StreamRelay) -> None:
        super().__init__(streams, queue_size)
        self._relay = relay
        self.capturing: list[StreamEvent] | None = []  # the stream's current state, on opening

    def offer(self, event: StreamEvent) -> bool:
        if self.capturing is not None:
            self.capturing.append(event)
        else:
            self._relay.enqueue(event)
        return True


def encode(events: Sequence[StreamEvent]) -> list[tuple[str, bytes]]:
    """(stream, Binance JSON) per message; consecutive array-stream events of one push (same
    stream, same event time) become one array."""
    out: list[tuple[str, bytes]] = []
    i, n = 0, len(events)
    while i < n:
        event = events[i]
        if event.stream in ARRAY_STREAMS:
            j = i + 1
            while j < n and events[j].stream == event.stream and events[j].event_time == event.event_time:
                j += 1
            out.append((event.stream, orjson.dumps([e.binance() for e in events[i:j]])))
            i = j
        else:
            out.append((event.stream, orjson.dumps(event.binance())))
            i += 1
    return out


class StreamRelay:
    def __init__(self, hub: StreamHub, publisher: StreamPublisher, reap_every_s: float = REAP_EVERY_S) -> None:
        self._hub = hub
        self._publisher = publisher
        self._reap_every_s = reap_every_s
        self._open: dict[str, _Relayed] = {}
        self._last_demand: dict[str, float] = {}
        self._outbox: list[StreamEvent | _Confirm] = []
        self._wake = asyncio.Event()
        self._dropping = False
        self.published = 0

    @property
    def open_streams(self) -> list[str]:
        return list(self._open)

    async def run(self) -> None:
        """Until cancelled; an outage of the publisher is waited out."""
        tasks = [
            asyncio.create_task(self._serve_demands(), name="relay-demands"),
            asyncio.create_task(self._pump(), name="relay-publish"),
            asyncio.create_task(self._reap(), name="relay-reap"),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for sub in self._open.values():
                self._hub.unsubscribe(sub)
            self._open.clear()

    # -- demands -----------------------------------------------------------------------------------

    async def _serve_demands(self) -> None:
        failures = 0
        while True:
            try:
                # Replicas already listening (this process restarted, or lost Redis for a
                # while) asked an earlier one: serve them without a demand, current state first.
                # A demand sent before the listening below starts is sent again by its replica.
                for name in await self._publisher.in_use():
                    self.adopted(name)
                async for demand in self._publisher.demands():
                    failures = 0
                    self.demanded(demand)
            except Exception as exc:
                reraise_if_cancelled()
                log.warning("stream demands lost, listening again", extra={"error": str(exc)})
            await asyncio.sleep(RETRY_S[min(failures, len(RETRY_S) - 1)])
            failures += 1

    def adopted(self, name: str) -> None:
        """Open a stream that replicas are subscribed to without having asked this process."""
        if name in self._open:
            return
        try:
            opened = self._hub.subscribe([name], lambda streams, size: _Relayed(streams, size, self))
        except MarketDataError:
            return
        assert isinstance(opened, _Relayed)
        current, opened.capturing = opened.capturing or [], None
        self._open[name] = opened
        for event in current:
            self._push(event)

    def demanded(self, demand: StreamDemand) -> None:
        name = demand.stream
        self._last_demand[name] = asyncio.get_running_loop().time()
        sub = self._open.get(name)
        if sub is None:
            try:
                opened = self._hub.subscribe([name], lambda streams, size: _Relayed(streams, size, self))
            except MarketDataError:
                self._push(_Confirm(demand, None))
                return
            assert isinstance(opened, _Relayed)
            current, opened.capturing = opened.capturing or [], None
            self._open[name] = opened
        else:
            current = self._hub.current(name)
        self._push(_Confirm(demand, current))

    # -- publishing --------------------------------------------------------------------------------

    def enqueue(self, event: StreamEvent) -> None:
        self._push(event)

    def _push(self, item: StreamEvent | _Confirm) -> None:
        if len(self._outbox) >= MAX_PENDING:
            if not self._dropping:
                log.warning("stream publisher is behind; dropping events")
                self._dropping = True
            self._outbox.clear()  # replicas see diff gaps and resync; states come with the next push
        self._outbox.append(item)
        self._wake.set()

    async def _pump(self) -> None:
        failures = 0
        while True:
            await self._wake.wait()
            self._wake.clear()
            items, self._outbox = self._outbox, []
            try:
                await self._publish(items)
            except Exception as exc:
                reraise_if_cancelled()
                log.warning("could not publish stream events", extra={"error": str(exc), "dropped": len(items)})
                await asyncio.sleep(RETRY_S[min(failures, len(RETRY_S) - 1)])
                failures += 1
                continue
            failures = 0
            self._dropping = False

    async def _publish(self, items: list[StreamEvent | _Confirm]) -> None:
        events: list[StreamEvent] = []
        for item in items:
            if isinstance(item, _Confirm):
                if events:
                    await self._send(events)
                    events = []
                current = None if item.current is None else [payload for _, payload in encode(item.current)]
                await self._publisher.confirm(item.demand, current)
            else:
                events.append(item)
        if events:
            await self._send(events)

    async def _send(self, events: list[StreamEvent]) -> None:
        messages = encode(events)
        await self._publisher.publish(messages)
        self.published += len(messages)

    # -- closing what nobody uses ------------------------------------------------------------------

    async def _reap(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self._reap_every_s)
            names = list(self._open)
            asked = loop.time()
            try:
                counts = await self._publisher.listeners(names)
            except Exception as exc:
                reraise_if_cancelled()
                log.warning("could not count stream listeners", extra={"error": str(exc)})
                continue
            for name in names:
                if counts.get(name, 0) == 0 and self._last_demand.get(name, 0.0) < asked and name in self._open:
                    self._hub.unsubscribe(self._open.pop(name))
                    self._last_demand.pop(name, None)
