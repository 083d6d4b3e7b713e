"""ExecuteStream's batches: every command is queued on its shard before any reply is awaited
(so they are journaled together), replies keep the commands' order, a command for a symbol the
process does not own or without an op is refused alone, and a shard outage answers its
commands BACKEND_UNAVAILABLE, without ending the stream or leaving unread failures."""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import cast

import grpc
import numpy as np
import pytest
from google.rpc.error_details_pb2 import ErrorInfo

from engine_ext.events import EVENT_DTYPE
from exchange.v1 import matching_pb2
from services.common.ports import Unavailable
from services.matching.servicer import MatchingServicer
from services.matching.shard import Executed, MatchingShard, Timings


class QueueingShard:
    """The part of MatchingShard the servicer uses: submit() queues, replies come later."""

    symbols = ("BTCUSDT",)
    last_time_ms = 1_000

    def __init__(self) -> None:
        self.queued: list[tuple[int, asyncio.Future[Executed]]] = []

    def submit(self, symbol: str, command: np.void) -> asyncio.Future[Executed]:
        reply: asyncio.Future[Executed] = asyncio.get_running_loop().create_future()
        self.queued.append((int(command["order_id"]), reply))
        return reply


def cancel(order_id: int, symbol: str = "BTCUSDT") -> matching_pb2.Command:
    return matching_pb2.Command(symbol=symbol, cancel=matching_pb2.CancelCommand(order_id=order_id))


def executed(seq: int) -> Executed:
    events = np.zeros(1, dtype=EVENT_DTYPE)
    events["seq"] = seq
    return Executed(events, Timings(0, 0, 0, 0))


def servicer(shard: QueueingShard) -> MatchingServicer:
    return MatchingServicer([cast(MatchingShard, shard)], [])


async def test_a_batch_is_queued_whole_before_any_reply_and_answered_in_order() -> None:
    shard = QueueingShard()
    no_op = matching_pb2.Command(symbol="BTCUSDT")
    batch = matching_pb2.CommandBatch(batch_id=7, commands=[cancel(1), cancel(2, "NOPEUSDT"), no_op, cancel(3)])
    reply = asyncio.ensure_future(servicer(shard)._execute(batch))
    await asyncio.sleep(0)
    assert [order_id for order_id, _ in shard.queued] == [1, 3]  # both, before either is answered

    shard.queued[1][1].set_result(executed(12))  # answered out of order
    shard.queued[0][1].set_result(executed(11))
    answered = await reply

    assert answered.batch_id == 7
    first, unowned, malformed, last = answered.results
    assert [e.seq for e in first.events] == [11] and [e.seq for e in last.events] == [12]
    assert unowned.error.code == grpc.StatusCode.FAILED_PRECONDITION.value[0] and not unowned.events  # alone
    assert malformed.error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0] and not malformed.events


async def test_an_outage_answers_each_command_unavailable_and_leaves_no_unread_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    shard = QueueingShard()
    batch = matching_pb2.CommandBatch(batch_id=1, commands=[cancel(1), cancel(2), cancel(3)])
    reply = asyncio.ensure_future(servicer(shard)._execute(batch))
    await asyncio.sleep(0)
    outage = Unavailable("journal down")
    for _, queued in shard.queued:
        queued.set_exception(outage)

    caplog.set_level(logging.ERROR, logger="asyncio")
    answered = await reply
    assert [r.error.code for r in answered.results] == [grpc.StatusCode.UNAVAILABLE.value[0]] * 3
    assert [ErrorInfo.FromString(r.error.details[0].value).reason for r in answered.results] == [
        "BACKEND_UNAVAILABLE"
    ] * 3
    # an unread failure is reported when its future is collected: drop every reference
    del reply, queued
    shard.queued.clear()
    gc.collect()
    await asyncio.sleep(0)
    assert "never retrieved" not in caplog.text


async def test_one_batchs_outage_does_not_end_the_stream_for_the_next() -> None:
    # the order service keeps one stream per matching process: when a failed batch ended it,
    # the answers of later batches (other shards', already executed) were lost (-1007)
    shard = QueueingShard()
    batches: asyncio.Queue[matching_pb2.CommandBatch | None] = asyncio.Queue()

    async def requests():  # type: ignore[no-untyped-def]
        while (batch := await batches.get()) is not None:
            yield batch

    replies = servicer(shard).ExecuteStream(requests(), cast(grpc.aio.ServicerContext, None))
    batches.put_nowait(matching_pb2.CommandBatch(batch_id=1, commands=[cancel(1)]))
    batches.put_nowait(matching_pb2.CommandBatch(batch_id=2, commands=[cancel(2)]))
    first = asyncio.ensure_future(anext(replies))
    while len(shard.queued) < 2:
        await asyncio.sleep(0)
    shard.queued[0][1].set_exception(Unavailable("journal down"))
    shard.queued[1][1].set_result(executed(5))

    assert (await first).results[0].error.code == grpc.StatusCode.UNAVAILABLE.value[0]
    second = await anext(replies)
    assert second.batch_id == 2 and [e.seq for e in second.results[0].events] == [5]
    batches.put_nowait(None)
    with pytest.raises(StopAsyncIteration):
        await anext(replies)
