"""KafkaEventSource against tansu, fed by a real MatchingShard writing `engine.events` on KafkaLog."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import numpy as np
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from engine_ext.codes import CommandOp, OrderType, Side, TimeInForce
from engine_ext.events import COMMAND_DTYPE, Event, events_from_array
from services.common.adapters.kafka.event_source import KafkaEventSource
from services.common.ports import EventBatch
from services.matching.shard import EVENTS_TOPIC, MatchingShard
from tests.unit.matching.conftest import MemorySnapshots


def limit(order_id: int, side: Side, price: int, qty: int = 1) -> np.void:
    command = np.zeros(1, dtype=COMMAND_DTYPE)[0]
    command["op"] = CommandOp.SUBMIT
    command["order_id"] = order_id
    command["user_id"] = 1 + order_id % 5
    command["side"] = side
    command["order_type"] = OrderType.LIMIT
    command["tif"] = TimeInForce.GTC
    command["price"] = price
    command["qty"] = qty
    return command


async def trade_flow(shard: MatchingShard, symbol: str, first_id: int, count: int) -> list[Event]:
    """Alternating sells and crossing buys, one journal batch each; the events they returned."""
    events: list[Event] = []
    for order_id in range(first_id, first_id + count):
        side = Side.SELL if order_id % 2 else Side.BUY
        executed = await shard.execute(symbol, limit(order_id, side, 100 + order_id % 3, 1 + order_id % 4))
        events.extend(events_from_array(executed.events))
    return events


async def take(batches: AsyncIterator[EventBatch], until: dict[str, int], timeout: float = 20) -> list[EventBatch]:
    """Batches until every symbol in `until` reached its seq (the caller's next ask is not made)."""
    got: list[EventBatch] = []
    reached = {symbol: 0 for symbol in until}

    async def run() -> None:
        while any(reached[s] < seq for s, seq in until.items()):
            batch = await anext(batches)
            got.append(batch)
            reached[batch.symbol] = batch.events[-1].seq

    await asyncio.wait_for(run(), timeout)
    return got


def per_symbol(batches: list[EventBatch]) -> dict[str, list[Event]]:
    out: dict[str, list[Event]] = {}
    for batch in batches:
        out.setdefault(batch.symbol, []).extend(batch.events)
    return out


async def committed(bootstrap: str, group: str, topic: str, partition: int) -> int | None:
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await reader.start()
    try:
        tp = TopicPartition(topic, partition)
        reader.assign([tp])
        return await reader.committed(tp)
    finally:
        await reader.stop()


async def test_events_written_by_a_matching_shard_arrive_in_seq_order(bootstrap, prefix, kafka_log):
    shards = [
        MatchingShard(0, ["BTCUSDT", "ETHUSDT"], kafka_log, MemorySnapshots()),
        MatchingShard(1, ["SOLUSDT"], kafka_log, MemorySnapshots()),
    ]
    for shard in shards:
        await shard.start()
    written = dict(
        zip(
            ["BTCUSDT", "ETHUSDT", "SOLUSDT"],
            await asyncio.gather(
                trade_flow(shards[0], "BTCUSDT", 1, 20),
                trade_flow(shards[0], "ETHUSDT", 100, 20),
                trade_flow(shards[1], "SOLUSDT", 200, 20),
            ),
            strict=True,
        )
    )
    source = KafkaEventSource(bootstrap, prefix, 2, group_id=f"{prefix}tradeproc")
    batches = source.batches({"BTCUSDT": 0, "ETHUSDT": 0, "SOLUSDT": 0})
    got = await take(batches, {s: events[-1].seq for s, events in written.items()})
    await batches.aclose()
    assert per_symbol(got) == written  # every event, in seq order, once, as the engine made it
    for batch in got:
        assert [e.seq for e in batch.events] == list(range(batch.events[0].seq, batch.events[-1].seq + 1))
    for shard in shards:
        await shard.stop()


async def test_a_restarted_consumer_resumes_without_gaps_or_duplicates(bootstrap, prefix, kafka_log):
    shard = MatchingShard(0, ["BTCUSDT"], kafka_log, MemorySnapshots())
    await shard.start()
    written = await trade_flow(shard, "BTCUSDT", 1, 30)
    group = f"{prefix}tradeproc"
    durable = {"BTCUSDT": 0}  # what the consumer made durable, as tradeproc's ledger watermark

    first = KafkaEventSource(bootstrap, prefix, 2, group_id=group, commit_interval_s=0).batches(dict(durable))
    got = await take(first, {"BTCUSDT": written[len(written) // 2].seq})
    durable["BTCUSDT"] = got[-1].events[-1].seq
    await first.aclose()  # a restart, without asking for the next batch

    written += await trade_flow(shard, "BTCUSDT", 31, 20)  # more while it was away
    second = KafkaEventSource(bootstrap, prefix, 2, group_id=group, commit_interval_s=0).batches(dict(durable))
    more = await take(second, {"BTCUSDT": written[-1].seq})
    await second.aclose()
    assert per_symbol(got + more)["BTCUSDT"] == written
    await shard.stop()


async def test_committed_offsets_never_run_ahead_of_what_the_consumer_finished(bootstrap, prefix, kafka_log):
    shard = MatchingShard(0, ["BTCUSDT"], kafka_log, MemorySnapshots())
    await shard.start()
    await trade_flow(shard, "BTCUSDT", 1, 10)  # one event record per command, offsets 0..9
    group, topic = f"{prefix}tradeproc", f"{prefix}{EVENTS_TOPIC}"
    batches = KafkaEventSource(bootstrap, prefix, 2, group_id=group, commit_interval_s=0).batches({"BTCUSDT": 0})
    for finished in range(4):  # records the consumer asked past
        await anext(batches)  # holding record `finished`: its effects are not durable yet
        assert (await committed(bootstrap, group, topic, 0) or 0) <= finished
    await anext(batches)  # asking for the fifth finishes the fourth
    assert (await committed(bootstrap, group, topic, 0) or 0) <= 4
    await batches.aclose()
    assert await committed(bootstrap, group, topic, 0) == 4  # the fifth was never finished
    await shard.stop()


async def test_a_consumer_behind_its_groups_offset_still_gets_every_event(bootstrap, prefix, kafka_log):
    shard = MatchingShard(0, ["BTCUSDT"], kafka_log, MemorySnapshots())
    await shard.start()
    written = await trade_flow(shard, "BTCUSDT", 1, 12)
    group = f"{prefix}marketdata"
    ahead = KafkaEventSource(bootstrap, prefix, 2, group_id=group, commit_interval_s=0).batches({"BTCUSDT": 0})
    await take(ahead, {"BTCUSDT": written[-1].seq})
    await ahead.aclose()
    written += await trade_flow(shard, "BTCUSDT", 13, 2)

    for after in (0, written[5].seq):  # from scratch (history mode), and from an older state
        behind = KafkaEventSource(bootstrap, prefix, 2, group_id=group).batches({"BTCUSDT": after})
        got = await take(behind, {"BTCUSDT": written[-1].seq})
        await behind.aclose()
        assert per_symbol(got)["BTCUSDT"] == [e for e in written if e.seq > after]
    await shard.stop()


async def test_a_group_is_committed_only_once_the_next_group_is_asked_for(bootstrap, prefix, kafka_log):
    shard = MatchingShard(0, ["BTCUSDT"], kafka_log, MemorySnapshots())
    await shard.start()
    written = await trade_flow(shard, "BTCUSDT", 1, 10)  # ten event records
    group_id, topic = f"{prefix}tradeproc", f"{prefix}{EVENTS_TOPIC}"
    source = KafkaEventSource(bootstrap, prefix, 2, group_id=group_id, commit_interval_s=0)
    groups = source.batch_groups({"BTCUSDT": 0})
    got = list(await anext(groups))
    while got[-1].events[-1][0] < written[-1].seq:  # a fetch may bring fewer than all ten
        assert not await committed(bootstrap, group_id, topic, 0)  # held groups are not finished
        got += await anext(groups)
    assert [e for batch in got for e in batch.events] == [tuple(e) for e in written]
    assert not await committed(bootstrap, group_id, topic, 0)
    with pytest.raises(TimeoutError):  # asking for more finishes the group; nothing more comes
        await asyncio.wait_for(anext(groups), 2)
    assert await committed(bootstrap, group_id, topic, 0) == 10
    await groups.aclose()
    await shard.stop()
