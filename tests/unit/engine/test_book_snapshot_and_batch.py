"""The shared snapshot format, restore, the state hash, and the batch API."""

from __future__ import annotations

import hashlib
import importlib
import struct
from typing import Any

import numpy as np
import pytest

from engine_ext.codes import CommandOp, EventKind, OrderType, SelfTradePrevention
from engine_ext.events import COMMAND_DTYPE, EVENT_DTYPE, Event, events_from_array
from engine_ext.snapshot import read_snapshot
from tests.unit.engine.book_spec import (
    BUY,
    GTC,
    IMPLEMENTATIONS,
    IOC,
    LIMIT,
    SELL,
    STOP_LOSS,
    amend,
    as_obk1,
    cancel,
    limit,
    market,
    submit,
    trade_at,
    trades,
)


def _small_book(book_class: Any) -> Any:
    book = book_class(tick_size=5, lot_size=10)
    limit(book, 1, BUY, 100, 20, user=7)
    limit(book, 2, SELL, 110, 30, user=8, stp=SelfTradePrevention.EXPIRE_MAKER)
    market(book, 4, SELL, qty=10, user=9)
    submit(book, 5, SELL, STOP_LOSS, qty=10, stop_price=95, cap=10, user=7, tif=IOC)
    return book


def test_the_snapshot_is_the_header_then_resting_orders_then_pending_stops(book_class: Any) -> None:
    book = _small_book(book_class)

    record = struct.Struct("<7q4B4x")
    assert book.snapshot() == b"".join([
        struct.pack("<4s7q", b"OBK2", 5, 10, 10, 100, 1, 2, 1),
        record.pack(1, 7, 100, 0, 20, 10, 0, BUY, LIMIT, GTC, 0),
        record.pack(2, 8, 110, 0, 30, 0, 0, SELL, LIMIT, GTC, SelfTradePrevention.EXPIRE_MAKER),
        record.pack(5, 7, 0, 95, 10, 0, 10, SELL, STOP_LOSS, IOC, 0),
    ])


def test_the_state_hash_is_blake2b_128_of_the_snapshot(book_class: Any) -> None:
    book = _small_book(book_class)

    assert book.state_hash() == hashlib.blake2b(book.snapshot(), digest_size=16).digest()


def test_a_new_books_snapshot_is_just_the_header(book_class: Any) -> None:
    assert book_class(tick_size=1, lot_size=1).snapshot() == struct.pack("<4s7q", b"OBK2", 1, 1, 0, 0, 0, 0, 0)


def test_restore_gives_back_the_same_book(book_class: Any) -> None:
    book = _small_book(book_class)

    restored = book_class.restore(book.snapshot())

    assert restored.snapshot() == book.snapshot()
    assert restored.orders() == book.orders()
    assert restored.depth(10) == book.depth(10)
    assert (restored.seq, restored.last_price, restored.trade_id) == (book.seq, book.last_price, book.trade_id)
    assert (restored.tick_size, restored.lot_size) == (5, 10)


def _continue(book: Any) -> list[Event]:
    return [
        *limit(book, 10, BUY, 100, 10, user=3),
        *limit(book, 12, BUY, 90, 10, user=3),
        *limit(book, 13, BUY, 85, 20, user=3),
        *market(book, 11, SELL, qty=30, user=4),  # fills 1, 10, 12; triggers stop 5 at 90
        *amend(book, 2, 115, 20),
        *cancel(book, 2),
        *cancel(book, 99),
    ]


@pytest.mark.parametrize("damage", ["magic", "truncated", "truncated OBK1", "OBK1 read as OBK2"])
def test_restore_refuses_bytes_that_are_not_a_whole_snapshot(book_class: Any, damage: str) -> None:
    data = _small_book(book_class).snapshot()
    data = {
        "magic": b"OBK3" + data[4:],
        "truncated": data[:-1],
        "truncated OBK1": as_obk1(data)[:-1],
        "OBK1 read as OBK2": b"OBK2" + as_obk1(data)[4:],
    }[damage]

    with pytest.raises(ValueError):
        book_class.restore(data)
    with pytest.raises(ValueError):  # nor does the reader the audit and market data use
        read_snapshot(data)


def test_a_restored_book_emits_exactly_what_the_original_would_have(book_class: Any) -> None:
    original = _small_book(book_class)
    restored = book_class.restore(original.snapshot())

    events = _continue(original)
    assert _continue(restored) == events
    assert [e.order_id for e in events if e.kind == 6] == [5]
    assert restored.state_hash() == original.state_hash()


def test_restore_keeps_fifo_inside_a_level_and_the_placement_order_of_stops(book_class: Any) -> None:
    book = book_class(tick_size=1, lot_size=1)
    trade_at(book, 100)
    for order_id in (3, 1, 2):
        limit(book, order_id, SELL, 101, 1)
    submit(book, 20, BUY, STOP_LOSS, qty=1, stop_price=101, user=5)
    submit(book, 10, BUY, STOP_LOSS, qty=1, stop_price=101, user=5)

    restored = book_class.restore(book.snapshot())
    events = limit(restored, 4, BUY, 101, 1, user=6)

    assert trades(events) == [(3, 101, 1), (1, 101, 1), (2, 101, 1)]
    assert [e.order_id for e in events if e.kind == 6] == [20, 10]


def test_trade_ids_count_the_books_trades_from_1_across_commands_and_survive_restore(book_class: Any) -> None:
    book = book_class(tick_size=1, lot_size=1)
    assert book.trade_id == 0
    for order_id in (1, 2, 3):
        limit(book, order_id, SELL, 100 + order_id, 1, user=1)
    limit(book, 4, BUY, 100, 1, user=1)  # rests: no trade
    first = market(book, 10, BUY, qty=2, user=2)  # fills 1 and 2
    second = market(book, 11, SELL, qty=1, user=3)  # fills 4

    restored = book_class.restore(book.snapshot())
    third = limit(restored, 12, BUY, 103, 1, user=2)  # fills 3

    ids = [e.filled for e in [*first, *second, *third] if e.kind == EventKind.TRADE]
    assert ids == [1, 2, 3, 4]
    assert (book.trade_id, restored.trade_id) == (3, 4)


def test_an_obk1_snapshot_keeps_the_old_id_rule_until_its_replay_is_over(book_class: Any) -> None:
    """Snapshots from before trade ids. The journal after one is replayed on restart, redoing
    trades the old code published with id = seq: they come out so again (`filled` 0: consumers
    take the seq). Once the replay is over, new trades count on from seq, above every id the
    old rule gave."""
    original = _small_book(book_class)
    restored = book_class.restore(as_obk1(original.snapshot()))

    assert (restored.seq, restored.trade_id, restored.seq_trade_ids) == (10, 10, True)
    assert restored.orders() == original.orders()
    assert restored.snapshot() == original.snapshot()[:36] + struct.pack("<q", 10) + original.snapshot()[44:]
    replayed = _continue(restored)
    assert [e.filled for e in replayed if e.kind == EventKind.TRADE] == [0, 0, 0, 0]
    assert [e for e in replayed if e.kind != EventKind.TRADE] == [
        e for e in _continue(original) if e.kind != EventKind.TRADE
    ]
    restored.continue_trade_ids()
    assert (restored.trade_id, restored.seq_trade_ids) == (restored.seq, False)
    before = restored.seq
    later = market(restored, 20, SELL, qty=10, user=4)  # takes the bid of order 13
    assert [e.filled for e in later if e.kind == EventKind.TRADE] == [before + 1]
    restored.continue_trade_ids()  # a book not restored from OBK1, or continued already: nothing
    assert restored.trade_id == before + 1


def test_read_snapshot_reads_both_formats(book_class: Any) -> None:
    data = _small_book(book_class).snapshot()

    current, old = read_snapshot(data), read_snapshot(as_obk1(data))

    assert (current.seq, current.last_price, current.trade_id) == (10, 100, 1)
    assert (old.seq, old.last_price, old.trade_id) == (10, 100, 10)
    assert (old.resting, old.stops) == (current.resting, current.stops)
    assert [o.order_id for o in current.resting + current.stops] == [1, 2, 5]


@pytest.mark.parametrize(("source", "target"), [("reference", "compiled"), ("compiled", "reference")])
def test_a_snapshot_from_one_implementation_restores_in_the_other(source: str, target: str) -> None:
    source_class = importlib.import_module(IMPLEMENTATIONS[source]).OrderBook
    target_class = importlib.import_module(IMPLEMENTATIONS[target]).OrderBook
    original = _small_book(source_class)

    restored = target_class.restore(original.snapshot())

    assert restored.state_hash() == original.state_hash()
    assert _continue(restored) == _continue(original)


# -- BATCH --


def _commands(rows: list[dict[str, int]]) -> np.ndarray:
    commands = np.zeros(len(rows), dtype=COMMAND_DTYPE)
    for i, row in enumerate(rows):
        for name, value in row.items():
            commands[i][name] = value
    return commands


S, C, A, RP = CommandOp.SUBMIT, CommandOp.CANCEL, CommandOp.AMEND, CommandOp.REPLACE
BATCH = [
    dict(op=S, order_id=1, user_id=1, side=SELL, order_type=LIMIT, tif=GTC, price=101, qty=5),
    dict(op=S, order_id=2, user_id=2, side=BUY, order_type=LIMIT, tif=GTC, price=100, qty=5),
    dict(op=S, order_id=3, user_id=3, side=BUY, order_type=OrderType.MARKET, quote_qty=303),
    dict(op=S, order_id=4, user_id=3, side=SELL, order_type=STOP_LOSS, qty=2, stop_price=99, cap=2),
    dict(op=A, order_id=2, price=100, qty=3),
    dict(op=RP, target_id=1, order_id=5, user_id=1, side=SELL, order_type=LIMIT, tif=IOC, price=99, qty=4),
    dict(op=C, order_id=2),
    dict(op=C, order_id=2),
    dict(op=A, order_id=42, price=100, qty=3),
    dict(op=RP, target_id=42, order_id=6, user_id=1, side=SELL, order_type=LIMIT, price=99, qty=4),
    dict(op=S, order_id=7, user_id=1, side=SELL, order_type=LIMIT, tif=GTC, price=0, qty=4),
]


def test_apply_batch_emits_the_same_events_as_one_call_per_command(book_class: Any) -> None:
    batch_book = book_class(tick_size=1, lot_size=1)
    call_book = book_class(tick_size=1, lot_size=1)
    expected: list[Event] = []
    expected_ends: list[int] = []
    for row in BATCH:
        c = dict.fromkeys(COMMAND_DTYPE.names or (), 0) | row
        fields = (c["order_id"], c["user_id"], c["side"], c["order_type"], c["tif"], c["price"],
                  c["qty"], c["quote_qty"], c["stop_price"], c["stp"], c["cap"])
        if c["op"] == S:
            call_book.submit(*fields)
        elif c["op"] == C:
            call_book.cancel(c["order_id"])
        elif c["op"] == A:
            call_book.amend(c["order_id"], c["price"], c["qty"])
        else:
            call_book.replace(c["target_id"], *fields)
        expected += call_book.last_events()
        expected_ends.append(len(expected))

    events, ends = batch_book.apply_batch(_commands(BATCH))

    assert events.dtype == EVENT_DTYPE and ends.dtype == np.int64
    assert events_from_array(events) == expected
    assert ends.tolist() == expected_ends
    assert batch_book.state_hash() == call_book.state_hash()
    assert batch_book.seq == len(expected)


def test_apply_batch_of_no_commands_emits_nothing(book_class: Any) -> None:
    book = book_class(tick_size=1, lot_size=1)

    events, ends = book.apply_batch(np.zeros(0, dtype=COMMAND_DTYPE))

    assert len(events) == 0 and len(ends) == 0
    assert book.seq == 0 and book.last_events() == []


def test_apply_batch_continues_the_books_seq(book_class: Any) -> None:
    book = book_class(tick_size=1, lot_size=1)
    limit(book, 1, BUY, 100, 1)

    events, _ = book.apply_batch(_commands([dict(op=C, order_id=1)]))

    assert events["seq"].tolist() == [3, 4]


def test_a_batch_with_an_unknown_op_is_refused_before_any_command_is_applied(book_class: Any) -> None:
    book = book_class(tick_size=1, lot_size=1)
    commands = _commands([dict(op=S, order_id=1, user_id=1, side=BUY, price=100, qty=1), dict(op=9)])

    with pytest.raises(ValueError):
        book.apply_batch(commands)

    assert book.seq == 0 and book.orders() == []
