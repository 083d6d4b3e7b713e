"""EventSource over matching's StreamEvents: the embedded mode's engine event feed.

With Kafka, consumers read the `engine.events` topic; without it, matching serves the same
records from its own log, pushed as they are written (no polling). Either way a consumer gets
each symbol's events in seq order from where it asks, and reconnects on its own: after a
matching restart the stream resumes at the consumer's last seq, so nothing is missed or
applied twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

import grpc

from exchange.v1 import matching_pb2, matching_pb2_grpc
from services.common.aio import cancel_and_wait
from services.common.ports import EventBatch
from services.matching.convert import event_tuple

log = logging.getLogger(__name__)


MAX_GROUP_EVENTS = 2_000  # per group: one settlement transaction holds the ledger lock ~10 us per event
_READ_AHEAD = 1024  # stream messages buffered ahead of the consumer; beyond, gRPC flow control


class _StreamEnded(Exception):
    pass


class MatchingEventSource:
    def __init__(self, matching_address: str, *, max_backoff_s: float = 2.0) -> None:
        self._address = matching_address
        self._max_backoff_s = max_backoff_s

    async def batches(self, after_seq: dict[str, int]) -> AsyncIterator[EventBatch]:
        async for group in self.batch_groups(after_seq):
            for batch in group:
                yield batch

    async def batch_groups(self, after_seq: dict[str, int]) -> AsyncIterator[list[EventBatch]]:
        """Every batch received while the consumer was busy with the previous group, at once
        (up to MAX_GROUP_EVENTS events; each symbol's batches in seq order), so a consumer that
        fell behind catches up in one durable write instead of one per batch. Matching keeps no
        consumer offsets (the consumer resumes from its own watermarks), so reading ahead of the
        consumer records nothing early."""
        position = dict(after_seq)
        backoff = 0.05
        while True:
            try:
                async with grpc.aio.insecure_channel(self._address) as channel:
                    stub = matching_pb2_grpc.MatchingServiceStub(channel)
                    request = matching_pb2.StreamEventsRequest(
                        symbols=list(position), from_sequences={s: seq + 1 for s, seq in position.items()}
                    )
                    received: asyncio.Queue[matching_pb2.EventBatch | BaseException] = asyncio.Queue(_READ_AHEAD)
                    reader = asyncio.create_task(_read_ahead(stub.StreamEvents(request), received))
                    try:
                        while True:
                            group = _group(await received.get(), received, position)
                            backoff = 0.05
                            if group:
                                yield group
                    finally:
                        await cancel_and_wait(reader)
            except grpc.aio.AioRpcError as exc:
                log.warning("event stream from %s broke (%s); reconnecting", self._address, exc.code().name)
            except _StreamEnded:
                log.warning("event stream from %s ended; reconnecting", self._address)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._max_backoff_s)


async def _read_ahead(call: AsyncIterable[matching_pb2.EventBatch], into: asyncio.Queue[Any]) -> None:
    try:
        async for reply in call:
            await into.put(reply)
    except grpc.aio.AioRpcError as exc:
        await into.put(exc)
    else:
        await into.put(_StreamEnded())


def _group(
    first: matching_pb2.EventBatch | BaseException, received: asyncio.Queue[Any], position: dict[str, int]
) -> list[EventBatch]:
    """`first` and whatever else is already buffered, as EventBatches; advances `position`.
    An error or the end of the stream raises once the batches before it were handed over."""
    group: list[EventBatch] = []
    count = 0
    reply: matching_pb2.EventBatch | BaseException = first
    while True:
        if isinstance(reply, BaseException):
            if group:  # hand over what came before it; the error is next in line
                _put_back(received, reply)
                return group
            raise reply
        for result in reply.results:
            if not result.events:
                continue
            head = result.events[0]
            events = [event_tuple(e) for e in result.events if e.seq > position[head.symbol]]
            if events:
                position[head.symbol] = events[-1].seq
                group.append(EventBatch(head.symbol, head.time, events))
                count += len(events)
        if count >= MAX_GROUP_EVENTS or received.empty():
            return group
        reply = received.get_nowait()


def _put_back(received: asyncio.Queue[Any], error: BaseException) -> None:
    """The reader has stopped after an error, so the queue has room and nothing follows it."""
    received.put_nowait(error)
