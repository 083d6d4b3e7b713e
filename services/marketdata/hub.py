"""Fan-out of stream events to subscribers, each behind a bounded queue.

Publishing never waits: an event is offered to each subscriber's queue with put_nowait, and a
subscriber whose queue is full is dropped on the spot (its queue is emptied and closed). A slow
client therefore costs the others nothing, and it learns it was dropped rather than silently
missing diffs, which would corrupt its local book (Binance disconnects slow clients too).

asyncio only: no transport here; the gRPC servicer and the tests both drive it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Sequence

from .domain import MarketData, MarketDataError
from .live import LiveStream, open_stream
from .streams import SLOW_MS, StreamSpec, parse_stream
from .views import StreamEvent

DEFAULT_QUEUE_SIZE = 4096
MAX_STREAMS = 1024  # Binance's limit of streams per connection


class SubscriberDropped(Exception):
    """The subscriber did not keep up and was disconnected."""


class Subscriber:
    """One Subscribe call: its stream names and the bounded queue of their events."""

    def __init__(self, streams: Sequence[str], queue_size: int) -> None:
        self.streams = tuple(streams)
        self._queue: asyncio.Queue[StreamEvent | None] = asyncio.Queue(queue_size)
        self.dropped = False
        self.closed = False

    def offer(self, event: StreamEvent) -> bool:
        """False when the queue is full (the hub then drops this subscriber)."""
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            return False
        return True

    def end(self, dropped: bool) -> None:
        if self.closed:
            return
        self.closed, self.dropped = True, dropped
        if dropped:
            while not self._queue.empty():  # what it has not read is no longer consistent
                self._queue.get_nowait()
        self._queue.put_nowait(None)

    def drain(self) -> list[StreamEvent]:
        """What is queued now, without waiting (tests, and consumers that batch their writes)."""
        out: list[StreamEvent] = []
        while not self._queue.empty():
            event = self._queue.get_nowait()
            if event is None:  # keep the end marker for events()
                self._queue.put_nowait(None)
                break
            out.append(event)
        return out

    def idle(self) -> bool:
        """Nothing queued: the events published together so far have all been taken."""
        return self._queue.empty()

    async def events(self) -> AsyncIterator[StreamEvent]:
        """The subscriber's events in order; raises SubscriberDropped if it fell behind."""
        while (event := await self._queue.get()) is not None:
            yield event
        if self.dropped:
            raise SubscriberDropped(f"subscriber of {', '.join(self.streams)} fell behind")


class StreamHub:
    def __init__(
        self, data: MarketData, clock_ms: Callable[[], int], queue_size: int = DEFAULT_QUEUE_SIZE
    ) -> None:
        self._data = data
        self._clock_ms = clock_ms
        self._queue_size = queue_size
        self._streams: dict[str, LiveStream] = {}
        self._subscribers: dict[str, set[Subscriber]] = {}

    @property
    def subscriber_count(self) -> int:
        return len({s for subs in self._subscribers.values() for s in subs})

    def has_subscribers(self, stream: str) -> bool:
        return stream in self._subscribers

    def subscribe(
        self, names: Sequence[str], make: Callable[[Sequence[str], int], Subscriber] = Subscriber
    ) -> Subscriber:
        """Raises MarketDataError(INVALID_STREAM) if any name is unknown; then nothing changes.
        `make` builds the subscriber (relay.py's publishes instead of queueing)."""
        if not names or len(names) > MAX_STREAMS:
            raise MarketDataError("INVALID_STREAM", f"1 to {MAX_STREAMS} names of <symbol>@<stream>")
        specs: list[StreamSpec] = []
        for name in dict.fromkeys(names):
            try:
                specs.append(parse_stream(name, self._data.by_stream_prefix))
            except ValueError:
                raise MarketDataError("INVALID_STREAM", name) from None
        subscriber = make([s.name for s in specs], self._queue_size)
        now = self._clock_ms()
        for spec in specs:
            stream = self._streams.get(spec.name)
            if stream is None:
                stream = self._streams[spec.name] = open_stream(self._data, spec)
                stream.poll(now)  # the first push is `current` below, not a poll
            self._subscribers.setdefault(spec.name, set()).add(subscriber)
            for event in stream.current(now):
                subscriber.offer(event)
        return subscriber

    def current(self, name: str) -> list[StreamEvent]:
        """What a new subscriber of an open stream gets first (its state now)."""
        stream = self._streams.get(name)
        return [] if stream is None else stream.current(self._clock_ms())

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._remove(subscriber, dropped=False)

    def _remove(self, subscriber: Subscriber, dropped: bool) -> None:
        subscriber.end(dropped)
        for name in subscriber.streams:
            subs = self._subscribers.get(name)
            if subs is None:
                continue
            subs.discard(subscriber)
            if not subs:
                del self._subscribers[name]
                self._streams.pop(name).close()

    def publish(self, events: Iterable[StreamEvent]) -> None:
        slow: list[Subscriber] = []
        for event in events:
            for subscriber in self._subscribers.get(event.stream, ()):
                if not subscriber.closed and not subscriber.offer(event):
                    slow.append(subscriber)
                    subscriber.end(dropped=True)
        for subscriber in slow:
            self._remove(subscriber, dropped=True)

    def tick(self, cadence_ms: int, now_ms: int | None = None) -> None:
        """Cut every open periodic stream of this cadence and push what changed."""
        now = self._clock_ms() if now_ms is None else now_ms
        for stream in list(self._streams.values()):
            if stream.spec.cadence_ms == cadence_ms:
                self.publish(stream.poll(now))

    async def run_ticks(self, fast_ms: int = 100) -> None:
        """Drive the 100 ms and 1000 ms cadences until cancelled."""
        loop = asyncio.get_running_loop()
        ticks_per_slow = SLOW_MS // fast_ms
        start = loop.time()
        n = 0
        while True:
            n += 1
            # Sleep to the next multiple of the cadence, so the schedule does not drift.
            await asyncio.sleep(max(0.0, start + n * fast_ms / 1000 - loop.time()))
            self.tick(fast_ms)
            if n % ticks_per_slow == 0:
                self.tick(SLOW_MS)
