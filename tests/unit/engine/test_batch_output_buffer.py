"""The compiled book's `apply_batch(commands, out=...)`: events written into the caller's buffer.

`out` is an extension of the compiled book (docs/engine.md, "The batch API"); the reference has
no such parameter, so these tests run on the compiled book and compare it with itself: per call,
batch without `out`, and batch with `out`, event for event.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from engine_ext.book import OrderBook
from engine_ext.codes import CommandOp, OrderType
from engine_ext.events import COMMAND_DTYPE, EVENT_DTYPE, Event, events_from_array
from engine_ext.workload import book_calls, mixed
from tests.unit.engine.book_spec import BUY, GTC, IOC, LIMIT, SELL, STOP_LOSS

S, C, A, RP = CommandOp.SUBMIT, CommandOp.CANCEL, CommandOp.AMEND, CommandOp.REPLACE

# Every op, a trade, a stop that triggers, a reject of each command kind.
SCRIPT = [
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


def _commands(rows: list[dict[str, int]]) -> np.ndarray:
    commands = np.zeros(len(rows), dtype=COMMAND_DTYPE)
    for i, row in enumerate(rows):
        for name, value in row.items():
            commands[i][name] = value
    return commands


@pytest.fixture(scope="module")
def flow() -> np.ndarray:
    """5,000 commands of the benchmark's mixed flow: rests, cancels, crossing limits, takers."""
    return mixed(5_000, seed=7).commands


def _per_call(commands: np.ndarray) -> tuple[list[Event], list[int], OrderBook]:
    book = OrderBook(tick_size=1, lot_size=1)
    methods = (book.submit, book.cancel, book.amend, book.replace)
    events: list[Event] = []
    ends: list[int] = []
    for (op, _), row in zip(book_calls(commands), commands.tolist(), strict=True):
        c = dict(zip(COMMAND_DTYPE.names or (), row, strict=True))
        fields = (c["order_id"], c["user_id"], c["side"], c["order_type"], c["tif"], c["price"],
                  c["qty"], c["quote_qty"], c["stop_price"], c["stp"], c["cap"])
        args: dict[int, tuple[Any, ...]] = {
            S: fields, C: (c["order_id"],), A: (c["order_id"], c["price"], c["qty"]),
            RP: (c["target_id"], *fields),
        }
        assert methods[op](*args[op]) == len(book.last_events())
        events += book.last_events()
        ends.append(len(events))
    return events, ends, book


def _shares(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.shares_memory(a, b))


# -- THE SAME EVENTS --


@pytest.mark.parametrize("rows", [SCRIPT], ids=["every-op"])
def test_out_gives_the_per_call_events_and_ends(rows: list[dict[str, int]]) -> None:
    commands = _commands(rows)
    expected, expected_ends, call_book = _per_call(commands)
    book = OrderBook(tick_size=1, lot_size=1)
    out = np.zeros(64, dtype=EVENT_DTYPE)

    events, ends = book.apply_batch(commands, out=out)

    assert events.dtype == EVENT_DTYPE and ends.dtype == np.int64
    assert events_from_array(events) == expected
    assert ends.tolist() == expected_ends
    assert _shares(events, out) and events.ctypes.data == out.ctypes.data  # out[:n], no copy
    assert book.state_hash() == call_book.state_hash() and book.seq == call_book.seq


def test_out_gives_byte_identical_events_to_a_batch_without_it(flow: np.ndarray) -> None:
    plain, plain_ends = OrderBook(1, 1).apply_batch(flow)
    book = OrderBook(1, 1)
    out = np.zeros(4 * len(flow), dtype=EVENT_DTYPE)

    events, ends = book.apply_batch(flow, out=out)

    assert events.tobytes() == plain.tobytes()
    assert ends.tolist() == plain_ends.tolist()


def test_the_mixed_flow_in_slices_through_one_reused_buffer_matches_per_call(flow: np.ndarray) -> None:
    expected, expected_ends, call_book = _per_call(flow)
    book = OrderBook(1, 1)
    out = np.zeros(4096, dtype=EVENT_DTYPE)
    parts: list[bytes] = []
    ends: list[int] = []
    for start in range(0, len(flow), 500):
        events, slice_ends = book.apply_batch(flow[start:start + 500], out=out)
        assert _shares(events, out)  # 500 commands never emit 4,096 events here
        ends += (slice_ends + sum(len(p) for p in parts) // EVENT_DTYPE.itemsize).tolist()
        parts.append(events.tobytes())  # consumed before the next call reuses `out`

    got = np.frombuffer(b"".join(parts), dtype=EVENT_DTYPE)
    assert events_from_array(got) == expected
    assert ends == expected_ends
    assert book.state_hash() == call_book.state_hash()


def test_last_events_and_event_view_after_a_batch_with_out_are_the_last_commands() -> None:
    commands = _commands(SCRIPT[:3])  # the third command trades: several events
    _, _, call_book = _per_call(commands)
    book = OrderBook(1, 1)
    out = np.zeros(64, dtype=EVENT_DTYPE)

    _, ends = book.apply_batch(commands, out=out)
    out[:] = np.zeros(1, dtype=EVENT_DTYPE)  # the caller may reuse its buffer at once

    assert book.last_events() == call_book.last_events()
    assert events_from_array(book.event_view()) == call_book.last_events()
    assert len(book.last_events()) == ends[-1] - ends[-2]


# -- WHEN THE EVENTS DO NOT FIT --


@pytest.mark.parametrize("size", [0, 1, 5, 37])
def test_a_run_that_outgrows_out_continues_in_a_fresh_array_with_the_same_events(
        flow: np.ndarray, size: int) -> None:
    expected, expected_ends, call_book = _per_call(flow[:200])
    book = OrderBook(1, 1)
    out = np.zeros(size, dtype=EVENT_DTYPE)

    events, ends = book.apply_batch(flow[:200], out=out)

    assert len(events) > size
    assert not _shares(events, out)  # a fresh array that owns its memory
    assert events_from_array(events) == expected
    assert ends.tolist() == expected_ends
    assert book.state_hash() == call_book.state_hash()
    assert book.last_events() == call_book.last_events()


def test_the_book_goes_on_normally_after_a_run_outgrew_out(flow: np.ndarray) -> None:
    expected, _, call_book = _per_call(flow[:600])
    book = OrderBook(1, 1)

    first, _ = book.apply_batch(flow[:200], out=np.zeros(3, dtype=EVENT_DTYPE))
    second, _ = book.apply_batch(flow[200:400])
    out = np.zeros(2048, dtype=EVENT_DTYPE)
    third, _ = book.apply_batch(flow[400:599], out=out)
    [(op, args)] = book_calls(flow[599:600])
    (book.submit, book.cancel, book.amend, book.replace)[op](*args)
    fourth = book.last_events()

    got = events_from_array(first) + events_from_array(second) + events_from_array(third) + fourth
    assert got == expected
    assert book.state_hash() == call_book.state_hash()


def test_an_exact_fit_is_a_view_of_out() -> None:
    commands = _commands(SCRIPT)
    expected, _, _ = _per_call(commands)
    out = np.zeros(len(expected), dtype=EVENT_DTYPE)

    events, _ = OrderBook(1, 1).apply_batch(commands, out=out)

    assert _shares(events, out) and len(events) == len(out)
    assert events_from_array(events) == expected


def test_a_larger_out_is_written_only_as_far_as_the_events_go() -> None:
    commands = _commands(SCRIPT)
    out = np.zeros(100, dtype=EVENT_DTYPE)
    out["seq"] = -1

    events, _ = OrderBook(1, 1).apply_batch(commands, out=out)

    assert (out["seq"][len(events):] == -1).all()


def test_no_commands_with_out_emit_nothing() -> None:
    book = OrderBook(1, 1)
    out = np.zeros(8, dtype=EVENT_DTYPE)

    events, ends = book.apply_batch(np.zeros(0, dtype=COMMAND_DTYPE), out=out)

    assert len(events) == 0 and len(ends) == 0
    assert book.seq == 0 and book.last_events() == []


# -- REFUSED BEFORE ANYTHING IS APPLIED --


@pytest.mark.parametrize(
    ("make_out", "error"),
    [
        (lambda: np.zeros(8, dtype=np.int64), TypeError),
        (lambda: [0] * 8, TypeError),
        (lambda: np.zeros(8, dtype=EVENT_DTYPE.newbyteorder(">")), TypeError),
        (lambda: np.zeros((2, 4), dtype=EVENT_DTYPE), ValueError),
        (lambda: np.zeros(16, dtype=EVENT_DTYPE)[::2], ValueError),
        (lambda: _read_only(np.zeros(8, dtype=EVENT_DTYPE)), ValueError),
    ],
    ids=["int64", "list", "big-endian", "2-d", "strided", "read-only"],
)
def test_an_unusable_out_is_refused_and_nothing_is_applied(make_out: Any, error: type) -> None:
    book = OrderBook(1, 1)

    with pytest.raises(error):
        book.apply_batch(_commands(SCRIPT), out=make_out())

    assert book.seq == 0 and book.orders() == []


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


@pytest.mark.parametrize(
    ("make_commands", "error"),
    [
        (lambda: [0] * 8, TypeError),
        (lambda: np.zeros(8, dtype=np.int64), TypeError),
        (lambda: np.zeros((2, 4), dtype=COMMAND_DTYPE), ValueError),
        (lambda: _commands(SCRIPT)[::2], ValueError),
    ],
    ids=["list", "int64", "2-d", "strided"],
)
def test_unusable_commands_are_refused_and_nothing_is_applied(make_commands: Any, error: type) -> None:
    book = OrderBook(1, 1)

    with pytest.raises(error):
        book.apply_batch(make_commands(), out=np.zeros(64, dtype=EVENT_DTYPE))
    with pytest.raises(error):
        book.apply_batch(make_commands())

    assert book.seq == 0 and book.orders() == []


def test_read_only_commands_are_fine() -> None:
    commands = _commands(SCRIPT)
    commands.flags.writeable = False
    expected, _, _ = _per_call(commands)

    events, _ = OrderBook(1, 1).apply_batch(commands, out=np.zeros(64, dtype=EVENT_DTYPE))

    assert events_from_array(events) == expected


def test_out_sharing_memory_with_the_commands_is_refused() -> None:
    commands = _commands(SCRIPT)
    book = OrderBook(1, 1)

    with pytest.raises(ValueError):
        book.apply_batch(commands, out=commands.view(EVENT_DTYPE))

    assert book.seq == 0


def test_an_unknown_op_is_refused_with_out_too_and_out_is_untouched() -> None:
    commands = _commands([SCRIPT[0], dict(op=9)])
    book = OrderBook(1, 1)
    out = np.zeros(8, dtype=EVENT_DTYPE)

    with pytest.raises(ValueError):
        book.apply_batch(commands, out=out)

    assert book.seq == 0 and out.tobytes() == bytes(out.nbytes)


# -- INT64 ARGUMENTS (docs/engine.md, "Errors") --


@pytest.mark.parametrize(
    "call",
    [
        lambda b: b.submit(2**63, 1, BUY, LIMIT, GTC, 100, 1),
        lambda b: b.submit(1, 1, BUY, LIMIT, GTC, 100, 1, cap=-(2**63) - 1),
        lambda b: b.cancel(2**64),
        lambda b: b.amend(1, 2**63, 1),
        lambda b: b.replace(1, 2, 1, BUY, LIMIT, GTC, 100, 2**63),
    ],
    ids=["submit-id", "submit-cap", "cancel", "amend", "replace"],
)
def test_an_argument_outside_int64_raises_overflow_error_and_changes_nothing(call: Any) -> None:
    book = OrderBook(1, 1)
    book.submit(1, 1, SELL, LIMIT, GTC, 100, 1)
    before = (book.seq, book.snapshot())

    with pytest.raises(OverflowError):
        call(book)

    assert (book.seq, book.snapshot()) == before
