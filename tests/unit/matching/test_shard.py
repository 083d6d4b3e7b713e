from __future__ import annotations

import asyncio

import numpy as np
import pytest

from engine_ext.codes import CommandOp, EventKind, OrderType, Side, TimeInForce
from engine_ext.events import COMMAND_DTYPE
from engine_ext.reference import OrderBook as ReferenceBook
from services.common.ports import Unavailable
from services.matching.codec import decode_events
from services.matching.shard import _SNAPSHOT_HEADER, EVENTS_TOPIC, JOURNAL_TOPIC, AlreadyJournaled, MatchingShard
from tests.unit.engine.book_spec import as_obk1


def reference_book(snapshot: bytes | None) -> ReferenceBook:
    return ReferenceBook.restore(snapshot) if snapshot is not None else ReferenceBook(tick_size=1, lot_size=1)


def limit(order_id: int, user_id: int, side: Side, price: int, qty: int) -> np.void:
    command = np.zeros(1, dtype=COMMAND_DTYPE)[0]
    command["op"] = CommandOp.SUBMIT
    command["order_id"] = order_id
    command["user_id"] = user_id
    command["side"] = side
    command["order_type"] = OrderType.LIMIT
    command["tif"] = TimeInForce.GTC
    command["price"] = price
    command["qty"] = qty
    return command


def cancel(order_id: int) -> np.void:
    command = np.zeros(1, dtype=COMMAND_DTYPE)[0]
    command["op"] = CommandOp.CANCEL
    command["order_id"] = order_id
    return command


async def started(log, snapshots, **kwargs: int) -> MatchingShard:
    shard = MatchingShard(0, ["BTCUSDT", "ETHUSDT"], log, snapshots, reference_book, **kwargs)
    await shard.start()
    return shard


def published(log, symbol: str) -> list[int]:
    seqs: list[int] = []
    for payload in log.partitions.get((EVENTS_TOPIC, 0), []):
        record = decode_events(payload)
        if record.symbol == symbol:
            seqs.extend(record.events["seq"].tolist())
    return seqs


async def test_a_crossing_order_returns_its_trade_and_the_events_reach_the_log(memory_log, memory_snapshots):
    shard = await started(memory_log, memory_snapshots)
    await shard.execute("BTCUSDT", limit(1, 7, Side.SELL, 100, 5))
    events = (await shard.execute("BTCUSDT", limit(2, 8, Side.BUY, 100, 3))).events
    kinds = events["kind"].tolist()
    assert EventKind.TRADE in kinds
    trade = events[events["kind"] == EventKind.TRADE][0]
    assert (trade["order_id"], trade["maker_order_id"], trade["qty"], trade["price"]) == (2, 1, 3, 100)
    assert published(memory_log, "BTCUSDT") == list(range(1, shard.last_seq("BTCUSDT") + 1))
    await shard.stop()


async def test_concurrent_callers_are_group_committed_into_one_journal_record(memory_log, memory_snapshots):
    shard = await started(memory_log, memory_snapshots)
    await asyncio.gather(*(shard.execute("ETHUSDT", limit(i, 1, Side.BUY, 50 + i, 1)) for i in range(1, 51)))
    assert len(memory_log.partitions[(JOURNAL_TOPIC, 0)]) < 50
    assert shard.book("ETHUSDT").best_bid() == (100, 1)
    await shard.stop()


async def test_a_resubmitted_order_id_is_answered_without_journaling_it_again(memory_log, memory_snapshots):
    shard = await started(memory_log, memory_snapshots)
    await shard.execute("BTCUSDT", limit(1, 7, Side.SELL, 100, 5))
    journal_before = len(memory_log.partitions[(JOURNAL_TOPIC, 0)])
    with pytest.raises(AlreadyJournaled):
        await shard.execute("BTCUSDT", limit(1, 7, Side.SELL, 100, 5))
    assert len(memory_log.partitions[(JOURNAL_TOPIC, 0)]) == journal_before
    await shard.stop()


async def test_a_crashed_shard_rebuilds_the_same_books_from_the_journal(memory_log, memory_snapshots):
    shard = await started(memory_log, memory_snapshots, snapshot_every=3)
    for i in range(1, 20):
        await shard.execute("BTCUSDT", limit(i, i % 3, Side(i % 2), 100 + (i % 5), i))
    await shard.execute("BTCUSDT", cancel(3))
    expected = shard.book("BTCUSDT").state_hash()
    expected_seqs = published(memory_log, "BTCUSDT")
    assert memory_snapshots.saved  # the restart below starts from a snapshot, then replays

    shard._runner.cancel()  # a crash: no stop(), no final snapshot
    reborn = await started(memory_log, memory_snapshots, snapshot_every=3)
    assert reborn.book("BTCUSDT").state_hash() == expected
    assert published(memory_log, "BTCUSDT") == expected_seqs  # nothing published twice
    with pytest.raises(AlreadyJournaled):
        await reborn.execute("BTCUSDT", limit(5, 2, Side.SELL, 101, 1))
    await reborn.stop()


async def test_a_shard_recovers_over_journal_offsets_that_hold_no_record(memory_log, memory_snapshots):
    shard = await started(memory_log, memory_snapshots)
    await shard.execute("BTCUSDT", limit(1, 7, Side.SELL, 100, 5))
    shard._runner.cancel()  # a crash in the middle of an append the broker counted but never stored
    memory_log.leave_gap(JOURNAL_TOPIC, 0)

    reborn = await started(memory_log, memory_snapshots)
    await reborn.execute("BTCUSDT", limit(2, 8, Side.SELL, 101, 1))
    memory_log.leave_gap(JOURNAL_TOPIC, 0)  # the next append lands after it: checked, not fenced
    await reborn.execute("BTCUSDT", limit(3, 8, Side.BUY, 99, 1))
    expected = reborn.book("BTCUSDT").state_hash()
    reborn._runner.cancel()

    rebuilt = await started(memory_log, memory_snapshots)
    assert rebuilt.book("BTCUSDT").state_hash() == expected
    assert {order.order_id for order in rebuilt.book("BTCUSDT").orders()} == {1, 2, 3}
    await rebuilt.stop()


async def test_events_lost_by_a_failed_publish_are_published_by_recovery(memory_log, memory_snapshots):
    shard = await started(memory_log, memory_snapshots)
    await shard.execute("BTCUSDT", limit(1, 7, Side.SELL, 100, 5))
    memory_log.fail_topics.add(EVENTS_TOPIC)
    with pytest.raises(Unavailable):
        await shard.execute("BTCUSDT", limit(2, 8, Side.BUY, 100, 2))  # journaled, events not published
    memory_log.fail_topics.clear()
    await shard.execute("BTCUSDT", limit(3, 8, Side.BUY, 90, 1))  # served after recovery
    assert published(memory_log, "BTCUSDT") == list(range(1, shard.last_seq("BTCUSDT") + 1))
    assert shard.book("BTCUSDT").best_ask() == (100, 3)
    await shard.stop()


async def test_a_failed_journal_append_changes_no_book(memory_log, memory_snapshots):
    shard = await started(memory_log, memory_snapshots)
    memory_log.fail_topics.add(JOURNAL_TOPIC)
    with pytest.raises(Unavailable):
        await shard.execute("BTCUSDT", limit(1, 7, Side.SELL, 100, 5))
    memory_log.fail_topics.clear()
    await shard.execute("BTCUSDT", limit(2, 7, Side.SELL, 101, 5))
    assert shard.book("BTCUSDT").best_ask() == (101, 5)
    await shard.stop()


async def test_a_subscriber_gets_history_then_live_events_without_gaps(memory_log, memory_snapshots):
    shard = await started(memory_log, memory_snapshots)
    for i in range(1, 6):
        await shard.execute("BTCUSDT", limit(i, 1, Side.BUY, 100 + i, 1))
    seen: list[int] = []
    last = asyncio.get_running_loop().create_future()

    async def follow() -> None:
        async for record in shard.subscribe({"BTCUSDT": 2}):
            seen.extend(record.events["seq"].tolist())
            if last.done() and seen[-1] >= last.result():
                return

    task = asyncio.create_task(follow())
    await asyncio.sleep(0)
    for i in range(6, 12):
        await shard.execute("BTCUSDT", limit(i, 1, Side.BUY, 100 + i, 1))
    last.set_result(shard.last_seq("BTCUSDT"))
    await shard.execute("BTCUSDT", limit(12, 1, Side.BUY, 50, 1))  # wakes the follower after `last`
    await asyncio.wait_for(task, 2)
    seen = [seq for seq in seen if seq <= last.result()]
    assert seen == list(range(3, last.result() + 1))
    await shard.stop()


async def test_a_stop_after_a_failed_publication_leaves_its_events_to_the_next_start(memory_log, memory_snapshots):
    shard = await started(memory_log, memory_snapshots)
    await shard.execute("BTCUSDT", limit(1, 7, Side.SELL, 100, 5))
    memory_log.fail_topics.add(EVENTS_TOPIC)
    with pytest.raises(Unavailable):
        await shard.execute("BTCUSDT", limit(2, 8, Side.BUY, 100, 2))  # journaled, events not published
    await asyncio.sleep(0.05)  # recovery replays it and cannot publish: still unhealthy
    await shard.stop()  # a snapshot now would hold the trade and hide it from the next replay
    memory_log.fail_topics.clear()
    again = await started(memory_log, memory_snapshots)
    assert published(memory_log, "BTCUSDT") == list(range(1, again.last_seq("BTCUSDT") + 1))
    assert again.book("BTCUSDT").best_ask() == (100, 3)
    await again.stop()


async def test_a_stop_that_cuts_a_publication_short_leaves_its_events_to_the_next_start(memory_log, memory_snapshots):
    shard = await started(memory_log, memory_snapshots)
    await shard.execute("BTCUSDT", limit(1, 7, Side.SELL, 100, 5))
    append = memory_log.append
    stuck = asyncio.Event()

    async def events_never_durable(topic, partition, payloads):
        if topic == EVENTS_TOPIC:
            stuck.set()
            await asyncio.Event().wait()  # a slow broker: stop() cancels this wait
        return await append(topic, partition, payloads)

    memory_log.append = events_never_durable
    placed = asyncio.create_task(shard.execute("BTCUSDT", limit(2, 8, Side.BUY, 100, 2)))
    await stuck.wait()  # journaled and applied, its events on their way
    await shard.stop()
    placed.cancel()
    memory_log.append = append
    again = await started(memory_log, memory_snapshots)
    assert published(memory_log, "BTCUSDT") == list(range(1, again.last_seq("BTCUSDT") + 1))
    assert again.book("BTCUSDT").best_ask() == (100, 3)
    await again.stop()


def _as_obk1(data: bytes) -> bytes:
    """A shard snapshot whose book is in the format written before trade ids (no trade_id)."""
    _, _, _, n_seen = _SNAPSHOT_HEADER.unpack_from(data)
    book = _SNAPSHOT_HEADER.size + 8 * n_seen
    return data[:book] + as_obk1(data[book:])


async def test_after_an_obk1_snapshot_the_replay_keeps_old_ids_and_new_trades_count_above(
    memory_log, memory_snapshots
):
    """An upgrade over a shard whose newest snapshot predates trade ids: the journal after it
    redoes trades published with id = seq, which must keep those ids; new trades count on from
    the last seq, so no id is given twice."""
    shard = await started(memory_log, memory_snapshots, snapshot_every=3)
    for i in range(1, 9):  # sells and buys at one price; snapshots after 3 and 6, a trade after
        await shard.execute("BTCUSDT", limit(i, i, Side(i % 2), 100, 1))
    offset, data = memory_snapshots.saved["BTCUSDT"]
    memory_snapshots.saved["BTCUSDT"] = (offset, _as_obk1(data))
    shard._runner.cancel()  # a crash; the restart below is the upgraded code's
    # the events after the snapshot are lost too: the replay re-publishes them
    memory_log.partitions[(EVENTS_TOPIC, 0)] = [
        p for p in memory_log.partitions[(EVENTS_TOPIC, 0)] if decode_events(p).last_seq <= reference_seq(data)
    ]

    reborn = await started(memory_log, memory_snapshots)
    republished = np.concatenate([decode_events(p).events for p in memory_log.partitions[(EVENTS_TOPIC, 0)]])
    replayed = republished[(republished["kind"] == EventKind.TRADE) & (republished["seq"] > reference_seq(data))]
    assert len(replayed) and (replayed["filled"] == 0).all()  # 0: consumers take the seq, the old id
    last_seq = reborn.last_seq("BTCUSDT")
    await reborn.execute("BTCUSDT", limit(20, 20, Side.SELL, 100, 1))  # ACCEPTED, LEVEL: seqs +1, +2
    events = (await reborn.execute("BTCUSDT", limit(21, 21, Side.BUY, 100, 1))).events
    (trade,) = events[events["kind"] == EventKind.TRADE]
    assert trade["filled"] == last_seq + 1  # on from the seq where the replay ended, above every old id
    await reborn.stop()


def reference_seq(shard_snapshot: bytes) -> int:
    """The seq of the book in a shard snapshot."""
    _, _, _, n_seen = _SNAPSHOT_HEADER.unpack_from(shard_snapshot)
    return ReferenceBook.restore(shard_snapshot[_SNAPSHOT_HEADER.size + 8 * n_seen :]).seq
