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
from collections.abc import AsyncIterator

import grpc

from exchange.v1 import matching_pb2, matching_pb2_grpc
from services.common.ports import EventBatch
from services.matching.convert import event_tuple

log = logging.getLogger(__name__)


class MatchingEventSource:
    def __init__(self, matching_address: str, *, max_backoff_s: float = 2.0) -> None:
        self._address = matching_address
        self._max_backoff_s = max_backoff_s

    async def batches(self, after_seq: dict[str, int]) -> AsyncIterator[EventBatch]:
        position = dict(after_seq)
        backoff = 0.05
        while True:
            try:
                async with grpc.aio.insecure_channel(self._address) as channel:
                    stub = matching_pb2_grpc.MatchingServiceStub(channel)
                    request = matching_pb2.StreamEventsRequest(
                        symbols=list(position), from_sequences={s: seq + 1 for s, seq in position.items()}
                    )
                    async for reply in stub.StreamEvents(request):
                        backoff = 0.05
                        for result in reply.results:
                            if not result.events:
                                continue
                            first = result.events[0]
                            events = [event_tuple(e) for e in result.events if e.seq > position[first.symbol]]
                            if events:
                                position[first.symbol] = events[-1].seq
                                yield EventBatch(first.symbol, first.time, events)
            except grpc.aio.AioRpcError as exc:
                log.warning("event stream from %s broke (%s); reconnecting", self._address, exc.code().name)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._max_backoff_s)
