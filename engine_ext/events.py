"""Event and command records, as Python tuples and as packed NumPy records.

Both layouts are part of the engine's contract (see docs/engine.md): the Cython book declares
the same fields, in the same order, as packed C structs, so a NumPy array of these dtypes is
the batch API's input and output buffer with no conversion.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Event(NamedTuple):
    """One thing that happened to a book. Field meaning depends on `kind` (docs/engine.md)."""

    seq: int
    kind: int
    side: int
    code: int
    order_id: int
    user_id: int
    maker_order_id: int
    maker_user_id: int
    price: int
    qty: int
    filled: int


EVENT_FIELDS = Event._fields


class OrderState(NamedTuple):
    """An order still in the book: resting, or a stop waiting for its trigger."""

    order_id: int
    user_id: int
    side: int
    order_type: int
    tif: int
    stp: int
    price: int
    stop_price: int
    orig_qty: int
    filled_qty: int
    cap: int

# 72 bytes, int64 fields 8-aligned. `_pad*` are always zero.
EVENT_DTYPE = np.dtype(
    [
        ("seq", "<i8"),
        ("order_id", "<i8"),
        ("user_id", "<i8"),
        ("maker_order_id", "<i8"),
        ("maker_user_id", "<i8"),
        ("price", "<i8"),
        ("qty", "<i8"),
        ("filled", "<i8"),
        ("kind", "u1"),
        ("side", "u1"),
        ("code", "u1"),
        ("_pad0", "u1"),
        ("_pad1", "<u4"),
    ]
)

# 72 bytes. `op` is a CommandOp; unused fields are zero.
COMMAND_DTYPE = np.dtype(
    [
        ("op", "u1"),
        ("side", "u1"),
        ("order_type", "u1"),
        ("tif", "u1"),
        ("stp", "u1"),
        ("_pad0", "u1"),
        ("_pad1", "<u2"),
        ("order_id", "<i8"),
        ("user_id", "<i8"),
        ("price", "<i8"),
        ("qty", "<i8"),
        ("quote_qty", "<i8"),
        ("stop_price", "<i8"),
        ("target_id", "<i8"),
        ("cap", "<i8"),
    ]
)

assert EVENT_DTYPE.itemsize == 72 and COMMAND_DTYPE.itemsize == 72


def events_from_array(records: np.ndarray) -> list[Event]:
    """Turn EVENT_DTYPE records into Event tuples (for tests, logs and slow consumers)."""
    columns = [records[name].tolist() for name in EVENT_FIELDS]
    return [Event(*row) for row in zip(*columns, strict=True)]


def trade_id(seq: int, filled: int) -> int:
    """A TRADE event's trade id: its `filled`, or its seq where that is 0 (an event from before
    trade ids, or one a book restored from OBK1 replays): the id the old rule gave it
    (docs/engine.md)."""
    return filled or seq
