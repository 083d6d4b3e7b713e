"""Reading the shared snapshot format (docs/engine.md) without building a book.

For consumers that need a book's contents, not its behaviour: the audit, and market data
starting its depth view from matching's snapshot.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from engine_ext.events import OrderState

MAGIC = b"OBK2"
_HEADER = struct.Struct("<4s7q")  # magic, tick_size, lot_size, seq, last_price, trade_id, n_resting, n_stops
MAGIC_V1 = b"OBK1"  # before trade ids
_HEADER_V1 = struct.Struct("<4s6q")  # magic, tick_size, lot_size, seq, last_price, n_resting, n_stops
_ORDER = struct.Struct("<7q4B4x")  # order_id, user_id, price, stop_price, orig, filled, cap; side, type, tif, stp


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
    magic = bytes(data[:4])
    if magic == MAGIC:
        _, tick, lot, seq, last_price, trade_id, n_resting, n_stops = _HEADER.unpack_from(data)
        header_size = _HEADER.size
    elif magic == MAGIC_V1:
        _, tick, lot, seq, last_price, n_resting, n_stops = _HEADER_V1.unpack_from(data)
        header_size = _HEADER_V1.size
        trade_id = seq  # as the engines restore it: trade ids used to be TRADE events' seqs
    else:
        raise ValueError(f"not a book snapshot: {magic!r}")
    orders = []
    for i in range(n_resting + n_stops):
        order_id, user_id, price, stop, orig, filled, cap, side, kind, tif, stp = _ORDER.unpack_from(
            data, header_size + i * _ORDER.size
        )
        orders.append(OrderState(order_id, user_id, side, kind, tif, stp, price, stop, orig, filled, cap))
    return BookContents(tick, lot, seq, last_price, trade_id, orders[:n_resting], orders[n_resting:])
