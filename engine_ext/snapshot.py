"""The shared snapshot format (docs/engine.md) in pure Python: read without building a book,
and written from a book's contents.

For consumers that need a book's contents, not its behaviour: the audit, and market data
starting its depth view from matching's snapshot. The reference engine writes and restores its
snapshots here (the compiled book has its own, byte-identical, in book.pyx).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from engine_ext.events import OrderState

MAGIC = b"OBK2"
_HEADER = struct.Struct("<4s7q")  # magic, tick_size, lot_size, seq, last_price, trade_id, n_resting, n_stops
MAGIC_V1 = b"OBK1"  # before trade ids
_HEADER_V1 = struct.Struct("<4s6q")  # magic, tick_size, lot_size, seq, last_price, n_resting, n_stops
_ORDER = struct.Struct("<7q4B4x")  # order_id, user_id, price, stop_price, orig, filled, cap; side, type, tif, stp


@dataclass(frozen=True, slots=True)
class SnapshotHeader:
    tick_size: int
    lot_size: int
    seq: int
    last_price: int
    trade_id: int  # of the last trade; seq for an OBK1 snapshot (its trades' ids were their seqs)
    n_resting: int
    n_stops: int
    size: int  # bytes before the order records
    old_trade_ids: bool  # OBK1: written before trade ids


def read_header(data: bytes) -> SnapshotHeader:
    """Either format's header; raises ValueError for anything else."""
    magic = bytes(data[:4])
    if magic == MAGIC:
        _, tick, lot, seq, last_price, trade_id, n_resting, n_stops = _HEADER.unpack_from(data)
        return SnapshotHeader(tick, lot, seq, last_price, trade_id, n_resting, n_stops, _HEADER.size, False)
    if magic == MAGIC_V1:
        _, tick, lot, seq, last_price, n_resting, n_stops = _HEADER_V1.unpack_from(data)
        return SnapshotHeader(tick, lot, seq, last_price, seq, n_resting, n_stops, _HEADER_V1.size, True)
    raise ValueError(f"not an order book snapshot (magic {magic!r})")


@dataclass(frozen=True, slots=True)
class BookContents:
    tick_size: int
    lot_size: int
    seq: int
    last_price: int
    trade_id: int  # of the last trade; 0 before any
    resting: list[OrderState]  # bids best->worst, then asks best->worst; FIFO within a level
    stops: list[OrderState]  # pending stops in placement order


def read_snapshot(data: bytes) -> BookContents:
    """Either format; raises ValueError if the length does not match the header's counts."""
    h = read_header(data)
    if len(data) != h.size + (h.n_resting + h.n_stops) * _ORDER.size:
        raise ValueError("snapshot length does not match its order counts")
    orders = []
    for i in range(h.n_resting + h.n_stops):
        order_id, user_id, price, stop, orig, filled, cap, side, kind, tif, stp = _ORDER.unpack_from(
            data, h.size + i * _ORDER.size
        )
        orders.append(OrderState(order_id, user_id, side, kind, tif, stp, price, stop, orig, filled, cap))
    return BookContents(
        h.tick_size, h.lot_size, h.seq, h.last_price, h.trade_id, orders[:h.n_resting], orders[h.n_resting:]
    )


def write_snapshot(
    tick_size: int, lot_size: int, seq: int, last_price: int, trade_id: int,
    resting: Sequence[OrderState], stops: Sequence[OrderState],
) -> bytes:
    """The current format (OBK2): `resting` bids best->worst then asks, FIFO within a level;
    `stops` in placement order."""
    parts = [_HEADER.pack(MAGIC, tick_size, lot_size, seq, last_price, trade_id, len(resting), len(stops))]
    for o in (*resting, *stops):
        parts.append(_ORDER.pack(o.order_id, o.user_id, o.price, o.stop_price, o.orig_qty, o.filled_qty, o.cap,
                                 o.side, o.order_type, o.tif, o.stp))
    return b"".join(parts)
