"""Depth: one symbol's aggregated book, and the diff stream that lets clients mirror it.

The engine reports every change of a level as a LEVEL event carrying the level's new absolute
quantity, so the book here is a plain map price -> qty per side; nothing is recomputed.

Update ids are engine seqs. `last_update_id` is the seq of the last event applied for the
symbol, whatever its kind, so a REST snapshot and the diff stream share one numbering and a
client can join them the way Binance documents (see DiffDepthStream).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import dataclass

from engine_ext.codes import Side

from .formatting import SymbolFormat

BUY, SELL = int(Side.BUY), int(Side.SELL)

Level = tuple[str, str]  # Binance's ["price", "qty"]

DEFAULT_DEPTH_LIMIT = 100
MAX_DEPTH_LIMIT = 5000


class DepthBook:
    """Price levels of both sides, best first. Bids are kept under negated keys so that both
    sides are ascending lists whose head is the best price (top-N is a slice)."""

    __slots__ = ("_keys", "_qty")

    def __init__(self) -> None:
        self._qty: tuple[dict[int, int], dict[int, int]] = ({}, {})
        self._keys: tuple[list[int], list[int]] = ([], [])

    @staticmethod
    def _key(side: int, price: int) -> int:
        return -price if side == BUY else price

    def set_level(self, side: int, price: int, qty: int) -> None:
        """Apply a LEVEL event: qty is the level's new total, 0 when the level is gone."""
        levels, keys, key = self._qty[side], self._keys[side], self._key(side, price)
        if qty:
            if price not in levels:
                insort(keys, key)
            levels[price] = qty
        elif levels.pop(price, None) is not None:
            del keys[bisect_left(keys, key)]

    def clear(self) -> None:
        for side in (BUY, SELL):
            self._qty[side].clear()
            self._keys[side].clear()

    def qty(self, side: int, price: int) -> int:
        return self._qty[side].get(price, 0)

    def best(self, side: int) -> tuple[int, int] | None:
        keys = self._keys[side]
        if not keys:
            return None
        price = abs(keys[0])
        return price, self._qty[side][price]

    def top(self, side: int, n: int) -> list[tuple[int, int]]:
        """The best n levels as (price, qty), best first."""
        levels = self._qty[side]
        prices = (abs(k) for k in self._keys[side][:n])
        return [(p, levels[p]) for p in prices]

    def level_count(self, side: int) -> int:
        return len(self._keys[side])


@dataclass(frozen=True, slots=True)
class DepthSnapshot:
    """GET /api/v3/depth, and the payload of the partial book streams (@depth5/10/20)."""

    last_update_id: int
    bids: list[Level]
    asks: list[Level]
    time: int  # ms of the last applied event (Binance futures' `T`; ccxt reads it if present)

    def binance(self) -> dict[str, object]:
        return {
            "lastUpdateId": self.last_update_id,
            "bids": [list(level) for level in self.bids],
            "asks": [list(level) for level in self.asks],
        }


def depth_snapshot(book: DepthBook, fmt: SymbolFormat, last_update_id: int, time_ms: int, limit: int) -> DepthSnapshot:
    return DepthSnapshot(
        last_update_id,
        [(fmt.price(p), fmt.qty(q)) for p, q in book.top(BUY, limit)],
        [(fmt.price(p), fmt.qty(q)) for p, q in book.top(SELL, limit)],
        time_ms,
    )


def clamp_depth_limit(limit: int | None) -> int:
    """Binance: default 100; anything above 5000 is served as 5000. Non-positive is refused."""
    if limit is None:
        return DEFAULT_DEPTH_LIMIT
    if limit <= 0:
        raise ValueError("limit must be positive")
    return min(limit, MAX_DEPTH_LIMIT)


@dataclass(frozen=True, slots=True)
class DepthUpdate:
    """Binance's depthUpdate: the new absolute quantity of every level that changed in [U, u]."""

    event_time: int  # E
    symbol: str  # s
    first_update_id: int  # U
    final_update_id: int  # u
    bids: list[Level]  # b: "0" quantity = the level is gone
    asks: list[Level]  # a

    def binance(self) -> dict[str, object]:
        return {
            "e": "depthUpdate",
            "E": self.event_time,
            "s": self.symbol,
            "U": self.first_update_id,
            "u": self.final_update_id,
            "b": [list(level) for level in self.bids],
            "a": [list(level) for level in self.asks],
        }


class DiffDepthStream:
    """The state behind one `<symbol>@depth[@100ms]` stream, shared by all its subscribers.

    Between two emits it remembers which levels changed (not how): at emit time each changed
    level is sent with its current quantity, so a level that moved several times costs one entry
    and the diff is exactly "the book at u minus the book at U - 1".

    Invariant that clients (ccxt pro included) rely on: every diff's U is the previous diff's
    u + 1, and u is the symbol's last_update_id when the diff was cut. Seqs that changed no level
    (ORDER, REJECTED...) are not skipped: they are folded into the next diff's [U, u], so the
    ids stay contiguous and a REST snapshot taken at any seq falls inside some diff's [U - 1, u].
    """

    __slots__ = ("_changed", "_first_update_id", "symbol")

    def __init__(self, symbol: str, after_update_id: int) -> None:
        self.symbol = symbol
        self._first_update_id = after_update_id + 1  # the next diff's U
        # Insertion-ordered set of (side, price); dict for O(1) membership and stable order.
        self._changed: dict[tuple[int, int], None] = {}

    @property
    def next_first_update_id(self) -> int:
        return self._first_update_id

    def level_changed(self, side: int, price: int) -> None:
        self._changed[(side, price)] = None

    def restart(self, after_update_id: int) -> None:
        """The book was replaced wholesale (a resync from a snapshot): subscribers must refetch,
        which they do on seeing U jump past their last u + 1."""
        self._first_update_id = after_update_id + 1
        self._changed.clear()

    def cut(self, book: DepthBook, fmt: SymbolFormat, last_update_id: int, now_ms: int) -> DepthUpdate | None:
        """The diff covering every seq since the previous one, or None while no level changed
        (the seqs seen so far then carry over into the next diff's range)."""
        if not self._changed or last_update_id < self._first_update_id:
            return None
        bids = sorted((p for s, p in self._changed if s == BUY), reverse=True)
        asks = sorted(p for s, p in self._changed if s == SELL)
        update = DepthUpdate(
            now_ms,
            self.symbol,
            self._first_update_id,
            last_update_id,
            [(fmt.price(p), fmt.qty(book.qty(BUY, p))) for p in bids],
            [(fmt.price(p), fmt.qty(book.qty(SELL, p))) for p in asks],
        )
        self._first_update_id = last_update_id + 1
        self._changed.clear()
        return update
