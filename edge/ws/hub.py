"""Fan-out of market streams inside one edge process.

Each stream name has at most one upstream subscription here, shared by every local subscriber
(several edge processes each hold their own, all fed by the same market data service). An
event is serialised once, then offered to each subscriber with `deliver`, which never waits:
a subscriber queues the frame or, if its bounded queue is full, drops itself. A slow client
therefore costs the broadcast one failed append, never a wait.

When an upstream is lost after it was ready, the hub reopens it (with backoff) and keeps the
subscribers: a state stream resumes with its current state, and a diff-depth client sees `U`
jump past its last `u + 1`, which is Binance's documented signal to refetch the snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Protocol

import orjson

from services.common.aio import reraise_if_cancelled

from .direct import text_frame
from .render import Payload
from .streams import ARRAY_KINDS, STATE_KINDS, Stream, UnknownStream
from .upstream import UpstreamSource, UpstreamUnavailable

log = logging.getLogger(__name__)

RETRY_S = (0.05, 0.25, 1.0, 2.0, 5.0)  # backoff between reopen attempts, the last one repeats


class Frame:
    """One event of one stream, serialised once for every subscriber: raw for /ws connections,
    combined ({"stream":..,"data":..}) for /stream ones, as text or as a ready WebSocket frame
    (direct.py), each built on first use."""

    __slots__ = ("_combined", "_raw", "_texts", "_wires", "stream")

    def __init__(self, stream: str, raw: bytes) -> None:
        self.stream = stream
        self._raw = raw
        self._combined: bytes | None = None
        self._texts: dict[bool, str] = {}
        self._wires: dict[bool, bytes] = {}

    @classmethod
    def of(cls, stream: str, payload: Payload | list[Payload] | bytes) -> Frame:
        """`payload` as JSON, or already serialised (the fan-out delivers bytes)."""
        return cls(stream, payload if isinstance(payload, bytes) else orjson.dumps(payload))

    def payload(self, combined: bool) -> bytes:
        if not combined:
            return self._raw
        if self._combined is None:
            # Stream names are validated ([A-Za-z0-9@_!+:]), so they need no JSON escaping.
            self._combined = b'{"stream":"' + self.stream.encode() + b'","data":' + self._raw + b"}"
        return self._combined

    def text(self, combined: bool) -> str:
        text = self._texts.get(combined)
        if text is None:
            text = self._texts[combined] = self.payload(combined).decode()
        return text

    def wire(self, combined: bool) -> bytes:
        wire = self._wires.get(combined)
        if wire is None:
            wire = self._wires[combined] = text_frame(self.payload(combined))
        return wire


class Subscriber(Protocol):
    def deliver(self, frame: Frame) -> None:
        """Queue the frame without waiting (or drop the subscriber if it cannot keep up)."""
        ...


@dataclass(eq=False)
class _Feed:
    stream: Stream
    subscribers: set[Subscriber] = field(default_factory=set)
    ready: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    task: asyncio.Task[None] | None = None
    last: Frame | None = None  # state streams: the latest event, for late joiners
    last_by_symbol: dict[str, Payload] = field(default_factory=dict)  # the !...@arr streams

    def remember(self, frame: Frame, payload: Payload | list[Payload] | bytes) -> None:
        if self.stream.kind in ARRAY_KINDS:
            assert isinstance(payload, list)
            self.last_by_symbol.update((item["s"], item) for item in payload)
        elif self.stream.kind in STATE_KINDS:
            self.last = frame

    def replay(self) -> Frame | None:
        if self.last_by_symbol:
            return Frame.of(self.stream.name, list(self.last_by_symbol.values()))
        return self.last


class MarketHub:
    def __init__(self, source: UpstreamSource) -> None:
        self._source = source
        self._feeds: dict[str, _Feed] = {}

    @property
    def upstream_count(self) -> int:
        return len(self._feeds)

    def subscriber_count(self, stream: str) -> int:
        feed = self._feeds.get(stream)
        return len(feed.subscribers) if feed else 0

    async def subscribe(self, stream: Stream, subscriber: Subscriber) -> None:
        """Returns once the stream is registered upstream, so that anything the subscriber
        reads elsewhere afterwards (a REST snapshot) is covered by the events it will receive.
        Raises UnknownStream or UpstreamUnavailable; then the subscriber is not registered."""
        feed = self._feeds.get(stream.name)
        if feed is None:
            feed = self._feeds[stream.name] = _Feed(stream)
            feed.task = asyncio.create_task(self._pump(feed), name=f"ws-upstream {stream.name}")
        already_flowing = feed.ready.done() and feed.ready.exception() is None
        feed.subscribers.add(subscriber)
        if already_flowing:
            replay = feed.replay()
            if replay is not None:
                subscriber.deliver(replay)
            return
        try:
            await asyncio.shield(feed.ready)
        except BaseException:
            self.unsubscribe(stream.name, subscriber)
            raise

    def unsubscribe(self, stream: str, subscriber: Subscriber) -> None:
        feed = self._feeds.get(stream)
        if feed is None:
            return
        feed.subscribers.discard(subscriber)
        if not feed.subscribers:
            self._close(feed)

    def _close(self, feed: _Feed) -> None:
        if self._feeds.get(feed.stream.name) is feed:
            del self._feeds[feed.stream.name]
        if feed.task is not None and feed.task is not asyncio.current_task():
            feed.task.cancel()

    async def close(self) -> None:
        tasks = [f.task for f in self._feeds.values() if f.task is not None]
        self._feeds.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _pump(self, feed: _Feed) -> None:
        failures = 0
        name = feed.stream.name
        while feed.subscribers:
            upstream = self._source.open(feed.stream)
            try:
                await upstream.ready()
                if not feed.ready.done():
                    feed.ready.set_result(None)
                failures = 0
                async for payload in upstream.events():
                    frame = Frame.of(name, payload)
                    feed.remember(frame, payload)
                    for subscriber in tuple(feed.subscribers):
                        subscriber.deliver(frame)
                log.info("upstream ended, reopening", extra={"stream": name})
            except Exception as exc:
                reraise_if_cancelled()
                if not isinstance(exc, UnknownStream | UpstreamUnavailable):
                    log.exception("upstream failed", extra={"stream": name})
                    exc = UpstreamUnavailable(f"{type(exc).__name__}: {exc}")
                if not feed.ready.done():
                    feed.ready.set_exception(exc)
                    feed.ready.exception()  # retrieved: waiters re-raise it themselves
                    self._close(feed)
                    return
                log.warning("upstream lost, reopening", extra={"stream": name, "error": str(exc)})
                failures += 1
            finally:
                upstream.close()
            await asyncio.sleep(RETRY_S[min(failures, len(RETRY_S) - 1)] if failures else 0)
