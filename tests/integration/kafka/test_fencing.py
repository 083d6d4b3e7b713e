"""Stale-writer fencing of the matching journal on Kafka: two MatchingShard processes' worth of
instances on one `engine.commands` partition (each with its own KafkaLog connection)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import numpy as np
import pytest

from engine_ext.codes import CommandOp, OrderType, Side, TimeInForce
from engine_ext.events import COMMAND_DTYPE
from services.common.adapters.kafka.log import KafkaLog
from services.matching.shard import MatchingShard, ShardFenced
from tests.unit.matching.conftest import MemorySnapshots

SYMBOLS = ["BTCUSDT", "ETHUSDT"]


def resting_bid(order_id: int) -> np.void:
    command = np.zeros(1, dtype=COMMAND_DTYPE)[0]
    command["op"] = CommandOp.SUBMIT
    command["order_id"] = order_id
    command["user_id"] = 1 + order_id % 7
    command["side"] = Side.BUY
    command["order_type"] = OrderType.LIMIT
    command["tif"] = TimeInForce.GTC
    command["price"] = 1 + order_id % 50
    command["qty"] = 1 + order_id % 3
    return command


@pytest.fixture
async def connections(bootstrap: str, prefix: str) -> AsyncIterator[list[KafkaLog]]:
    opened = [KafkaLog(bootstrap, 2, prefix) for _ in range(3)]  # old process, new process, auditor
    yield opened
    for log in opened:
        await log.close()


async def started(log: KafkaLog) -> MatchingShard:
    shard = MatchingShard(1, SYMBOLS, log, MemorySnapshots())
    await shard.start()
    return shard


def resting_ids(shard: MatchingShard) -> set[int]:
    return {order.order_id for symbol in SYMBOLS for order in shard.book(symbol).orders()}


async def test_writers_racing_on_one_kafka_journal_never_both_acknowledge(connections):
    old_log, new_log, audit_log = connections
    old = await started(old_log)
    acknowledged: list[int] = []
    fenced_calls = 0
    ids = iter(range(1, 10_000))

    async def flow(shard: MatchingShard, count: int) -> None:
        nonlocal fenced_calls
        for _ in range(count):
            order_id = next(ids)
            try:
                await shard.execute(SYMBOLS[order_id % 2], resting_bid(order_id))
            except ShardFenced:
                fenced_calls += 1
                continue
            acknowledged.append(order_id)

    old_flows = [asyncio.create_task(flow(old, 40)) for _ in range(4)]
    async with asyncio.timeout(20):
        while len(acknowledged) < 20:
            await asyncio.sleep(0.001)
    new = await started(new_log)
    await asyncio.wait_for(asyncio.gather(*old_flows, *(flow(new, 20) for _ in range(4))), 30)

    assert old.fenced and not old.healthy and fenced_calls > 0
    with pytest.raises(ShardFenced):
        await old.execute("BTCUSDT", resting_bid(20_000))
    rebuilt = await started(audit_log)  # a third start: replays the whole Kafka journal
    assert resting_ids(rebuilt) == set(acknowledged)  # every acknowledged order, nothing else
    for symbol in SYMBOLS:
        assert rebuilt.book(symbol).state_hash() == new.book(symbol).state_hash()
    for shard in (old, new, rebuilt):
        await shard.stop()
