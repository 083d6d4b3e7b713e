"""Two MatchingShard instances on one journal partition: the one started last owns it, the
other is fenced, and the journal replays to exactly the survivor's books (docs/kafka.md,
shard.py "Fencing"). On the embedded SqliteLog: fencing lives in the shard, not the adapter."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from engine_ext.codes import CommandOp, OrderType, Side, TimeInForce
from engine_ext.events import COMMAND_DTYPE
from engine_ext.reference import OrderBook as ReferenceBook
from services.common.adapters.embedded.log import SqliteLog
from services.common.ports import Log, LogRecord, Unavailable
from services.matching.codec import CommandBatch, EpochClaim, decode_journal, encode_commands
from services.matching.shard import JOURNAL_TOPIC, MatchingShard, ShardFenced
from tests.unit.matching.conftest import MemorySnapshots

SYMBOLS = ["BTCUSDT", "ETHUSDT"]


def reference_book(snapshot: bytes | None) -> ReferenceBook:
    return ReferenceBook.restore(snapshot) if snapshot is not None else ReferenceBook(tick_size=1, lot_size=1)


def resting_bid(order_id: int) -> np.void:
    """A buy that never crosses (no sells anywhere): once acknowledged it rests for good."""
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
async def sqlite_log(tmp_path: Path) -> AsyncIterator[SqliteLog]:
    log = SqliteLog(tmp_path / "log")
    yield log
    await log.close()


async def started(log: Log, snapshots: MemorySnapshots | None = None, **kwargs: int) -> MatchingShard:
    shard = MatchingShard(0, SYMBOLS, log, snapshots or MemorySnapshots(), reference_book, **kwargs)
    await shard.start()
    return shard


def resting_ids(shard: MatchingShard, symbol: str) -> set[int]:
    return {order.order_id for order in shard.book(symbol).orders()}


async def assert_replay_equals(log: Log, survivor: MatchingShard) -> MatchingShard:
    rebuilt = await started(log)  # no snapshots: the whole journal
    for symbol in SYMBOLS:
        assert rebuilt.book(symbol).state_hash() == survivor.book(symbol).state_hash()
    return rebuilt


async def test_a_second_shard_on_the_journal_fences_the_first(sqlite_log):
    old = await started(sqlite_log)
    for i in range(1, 6):
        await old.execute("BTCUSDT", resting_bid(i))
    new = await started(sqlite_log)  # claims the journal and replays old's orders
    assert resting_ids(new, "BTCUSDT") == {1, 2, 3, 4, 5}
    assert new.epoch > old.epoch

    with pytest.raises(ShardFenced):
        await old.execute("BTCUSDT", resting_bid(6))  # appended, void, never acknowledged
    assert old.fenced and not old.healthy
    await asyncio.wait_for(old.wait_fenced(), 1)
    journal_end = await sqlite_log.end_offset(JOURNAL_TOPIC, 0)
    with pytest.raises(ShardFenced):
        await old.execute("ETHUSDT", resting_bid(7))
    await old.stop()  # and no final snapshots either
    assert await sqlite_log.end_offset(JOURNAL_TOPIC, 0) == journal_end

    await new.execute("BTCUSDT", resting_bid(8))
    assert resting_ids(new, "BTCUSDT") == {1, 2, 3, 4, 5, 8}
    rebuilt = await assert_replay_equals(sqlite_log, new)
    assert 6 not in resting_ids(rebuilt, "BTCUSDT")
    await new.stop()
    await rebuilt.stop()


async def test_writers_racing_on_one_journal_never_both_acknowledge(sqlite_log):
    old = await started(sqlite_log)
    acknowledged: dict[str, list[int]] = {"old": [], "new": []}
    fenced_calls = 0
    ids = iter(range(1, 10_000))

    async def flow(name: str, shard: MatchingShard, count: int) -> None:
        nonlocal fenced_calls
        for _ in range(count):
            order_id = next(ids)
            symbol = SYMBOLS[order_id % 2]
            try:
                await shard.execute(symbol, resting_bid(order_id))
            except ShardFenced:
                fenced_calls += 1
                continue
            acknowledged[name].append(order_id)

    old_flows = [asyncio.create_task(flow("old", old, 60)) for _ in range(4)]
    async with asyncio.timeout(10):
        while len(acknowledged["old"]) < 30:
            await asyncio.sleep(0.001)
    new = await started(sqlite_log)  # takes over while old is busy
    await asyncio.wait_for(asyncio.gather(*old_flows, *(flow("new", new, 30) for _ in range(4))), 20)

    assert old.fenced and fenced_calls > 0
    everything = set(acknowledged["old"]) | set(acknowledged["new"])
    rebuilt = await assert_replay_equals(sqlite_log, new)
    assert resting_ids(rebuilt, "BTCUSDT") | resting_ids(rebuilt, "ETHUSDT") == everything
    for shard in (old, new, rebuilt):
        await shard.stop()


async def test_a_takeover_after_snapshots_replays_from_them_with_the_right_epoch(sqlite_log):
    snapshots = MemorySnapshots()
    old = await started(sqlite_log, snapshots, snapshot_every=4)
    for i in range(1, 11):
        await old.execute(SYMBOLS[i % 2], resting_bid(i))
    new = await started(sqlite_log, snapshots, snapshot_every=4)  # from old's snapshots
    with pytest.raises(ShardFenced):
        await old.execute("BTCUSDT", resting_bid(11))
    for i in range(12, 20):
        await new.execute(SYMBOLS[i % 2], resting_bid(i))
    await new.stop()  # final snapshots, taken under new's epoch

    again = await started(sqlite_log, snapshots)
    for symbol in SYMBOLS:
        assert again.book(symbol).state_hash() == new.book(symbol).state_hash()
    assert 11 not in resting_ids(again, "BTCUSDT")
    await assert_replay_equals(sqlite_log, again)
    await again.stop()
    await old.stop()


class SwitchableLog:
    """One process's connection to a shared log, which can go down."""

    def __init__(self, inner: Log) -> None:
        self.inner = inner
        self.down = False

    async def append(self, topic: str, partition: int, payloads: Sequence[bytes]) -> int:
        self._check()
        return await self.inner.append(topic, partition, payloads)

    async def read(self, topic: str, partition: int, from_offset: int, limit: int) -> list[LogRecord]:
        self._check()
        return await self.inner.read(topic, partition, from_offset, limit)

    async def end_offset(self, topic: str, partition: int) -> int:
        self._check()
        return await self.inner.end_offset(topic, partition)

    async def close(self) -> None:
        pass

    def _check(self) -> None:
        if self.down:
            raise Unavailable("the log is away")


async def test_a_shard_back_from_an_outage_fences_itself_when_another_took_over(sqlite_log):
    connection = SwitchableLog(sqlite_log)
    old = await started(connection)
    await old.execute("BTCUSDT", resting_bid(1))
    connection.down = True
    with pytest.raises(Unavailable):
        await old.execute("BTCUSDT", resting_bid(2))  # old now retries its recovery
    new = await started(sqlite_log)
    connection.down = False
    await asyncio.wait_for(old.wait_fenced(), 5)
    assert old.fenced and not old.healthy
    with pytest.raises(ShardFenced):
        await old.execute("BTCUSDT", resting_bid(3))
    await new.execute("BTCUSDT", resting_bid(4))
    claims = [r for r in await journal(sqlite_log) if isinstance(r, EpochClaim)]
    assert claims[-1].writer == new.writer_id  # old did not claim the journal back
    await assert_replay_equals(sqlite_log, new)
    await old.stop()
    await new.stop()


async def test_a_shard_back_from_an_outage_claims_again_when_nobody_else_did(sqlite_log):
    connection = SwitchableLog(sqlite_log)
    shard = await started(connection)
    epoch = shard.epoch
    connection.down = True
    with pytest.raises(Unavailable):
        await shard.execute("BTCUSDT", resting_bid(1))
    connection.down = False
    await shard.execute("BTCUSDT", resting_bid(2))  # served after its recovery
    assert shard.epoch > epoch and not shard.fenced
    await assert_replay_equals(sqlite_log, shard)
    await shard.stop()


async def journal(log: Log) -> list[CommandBatch | EpochClaim]:
    return [decode_journal(r.payload) for r in await log.read(JOURNAL_TOPIC, 0, 0, 10_000)]


async def test_a_journal_and_snapshot_written_before_epochs_still_replay(sqlite_log):
    commands = np.array([resting_bid(1), resting_bid(2)], dtype=COMMAND_DTYPE)
    legacy = bytearray(encode_commands(CommandBatch(5, ["BTCUSDT", "BTCUSDT"], commands)))
    # a JRN1 record is a JRN2 record without the epoch field
    legacy = bytearray(b"JRN1") + legacy[4:12] + legacy[20:]
    await sqlite_log.append(JOURNAL_TOPIC, 0, [bytes(legacy)])
    snapshots = MemorySnapshots()
    snapshots.saved["ETHUSDT"] = (0, struct.pack("<q", 0) + ReferenceBook(tick_size=1, lot_size=1).snapshot())

    shard = await started(sqlite_log, snapshots)
    assert resting_ids(shard, "BTCUSDT") == {1, 2}
    await shard.execute("ETHUSDT", resting_bid(3))
    assert resting_ids(shard, "ETHUSDT") == {3}
    await shard.stop()
