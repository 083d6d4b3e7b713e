"""Public trades of one symbol: the recent-trades ring and Binance's aggregate trades.

A trade's id is the engine's trade id (docs/engine.md): 1, 2, 3... per symbol with no gaps, as on
Binance, so `l - f + 1` counts an aggregate's trades (trades from before trade ids keep their
TRADE event's seq as id, below every later id). An aggregate trade's id is the id of its first
trade: that keeps ids increasing and identical after a restart, whether the service rebuilt from
the beginning of the event log or from a book snapshot, which a counter would not.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from engine_ext.codes import Side

from .formatting import SymbolFormat

DEFAULT_TRADES_LIMIT = 500
MAX_TRADES_LIMIT = 1000
# Binance refuses aggTrades with startTime and endTime more than an hour apart (-1127).
MAX_AGG_TRADES_SPAN_MS = 60 * 60 * 1000


@dataclass(frozen=True, slots=True)
class Trade:
    """One fill, in engine integers. The price is the maker's (engine TRADE event)."""

    trade_id: int
    taker_order_id: int
    taker_side: int
    price: int  # ticks
    qty: int  # lots
    time: int  # ms

    @property
    def notional(self) -> int:
        return self.price * self.qty

    @property
    def is_buyer_maker(self) -> bool:
        # Binance's `m`/`isBuyerMaker`: the resting order was the buy, i.e. the taker sold.
        return self.taker_side == Side.SELL


@dataclass(slots=True)
class AggTrade:
    """Consecutive fills of one taker order at one price (Binance aggTrades)."""

    agg_id: int  # a (= first_trade_id)
    taker_order_id: int
    is_buyer_maker: bool  # m
    price: int  # p, ticks
    qty: int  # q, lots
    first_trade_id: int  # f
    last_trade_id: int  # l
    time: int  # T

    def extends(self, trade: Trade) -> bool:
        return trade.taker_order_id == self.taker_order_id and trade.price == self.price


T = TypeVar("T")


class Ring(Generic[T]):
    """The newest `capacity` items, kept in arrival order, searchable by a key that increases
    with arrival (ids, times). A list with a moving head: O(1) amortised append, O(log n) search.
    """

    __slots__ = ("_capacity", "_head", "_items")

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._items: list[T] = []
        self._head = 0

    def __len__(self) -> int:
        return len(self._items) - self._head

    def append(self, item: T) -> None:
        self._items.append(item)
        if len(self) > self._capacity:
            self._head += 1
            # Compact once the dead prefix is as long as the live part: amortised O(1).
            if self._head >= self._capacity:
                del self._items[: self._head]
                self._head = 0

    def last(self) -> T | None:
        return self._items[-1] if len(self) else None

    def newest(self, n: int) -> list[T]:
        return self._items[max(self._head, len(self._items) - n) :]

    def first_index(self, key: Callable[[T], int], value: int) -> int:
        """Index of the first item whose key is >= value (len(items) when none)."""
        return bisect_left(self._items, value, lo=self._head, key=key)

    def after_index(self, key: Callable[[T], int], value: int) -> int:
        """Index of the first item whose key is > value."""
        return bisect_right(self._items, value, lo=self._head, key=key)

    def slice(self, start: int, stop: int) -> Sequence[T]:
        return self._items[max(start, self._head) : stop]

    @property
    def end(self) -> int:
        return len(self._items)


@dataclass(frozen=True, slots=True)
class PublicTradeView:
    """GET /api/v3/trades and historicalTrades entry."""

    id: int
    price: str
    qty: str
    quote_qty: str
    time: int
    is_buyer_maker: bool
    is_best_match: bool = True  # one book per symbol: every trade is at the best price

    def binance(self) -> dict[str, object]:
        return {
            "id": self.id,
            "price": self.price,
            "qty": self.qty,
            "quoteQty": self.quote_qty,
            "time": self.time,
            "isBuyerMaker": self.is_buyer_maker,
            "isBestMatch": self.is_best_match,
        }


@dataclass(frozen=True, slots=True)
class AggTradeView:
    agg_trade_id: int  # a
    price: str  # p
    qty: str  # q
    first_trade_id: int  # f
    last_trade_id: int  # l
    time: int  # T
    is_buyer_maker: bool  # m
    is_best_match: bool = True  # M

    def binance(self) -> dict[str, object]:
        return {
            "a": self.agg_trade_id,
            "p": self.price,
            "q": self.qty,
            "f": self.first_trade_id,
            "l": self.last_trade_id,
            "T": self.time,
            "m": self.is_buyer_maker,
            "M": self.is_best_match,
        }


def trade_view(fmt: SymbolFormat, trade: Trade) -> PublicTradeView:
    return PublicTradeView(
        trade.trade_id,
        fmt.price(trade.price),
        fmt.qty(trade.qty),
        fmt.quote(trade.notional),
        trade.time,
        trade.is_buyer_maker,
    )


def agg_trade_view(fmt: SymbolFormat, agg: AggTrade) -> AggTradeView:
    return AggTradeView(
        agg.agg_id, fmt.price(agg.price), fmt.qty(agg.qty), agg.first_trade_id, agg.last_trade_id, agg.time,
        agg.is_buyer_maker,
    )


def clamp_trades_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_TRADES_LIMIT
    if limit <= 0:
        raise ValueError("limit must be positive")
    return min(limit, MAX_TRADES_LIMIT)


def _trade_id(trade: Trade) -> int:
    return trade.trade_id


def _agg_id(agg: AggTrade) -> int:
    return agg.agg_id


def _agg_time(agg: AggTrade) -> int:
    return agg.time


class TradeTape:
    """The newest trades and aggregate trades of one symbol.

    An aggregate is open while the fills of its taker continue at its price; it is closed (and
    becomes visible to aggTrades and the @aggTrade stream) by the next trade that does not extend
    it, or by `close_aggregate` at the end of an event batch. A batch holds whole commands, and
    one taker's consecutive fills are one command, so closing at the batch end never splits a
    Binance aggregate.
    """

    __slots__ = ("_aggs", "_open", "_trades")

    def __init__(self, capacity: int = 10_000) -> None:
        self._trades: Ring[Trade] = Ring(capacity)
        self._aggs: Ring[AggTrade] = Ring(capacity)
        self._open: AggTrade | None = None

    def add(self, trade: Trade) -> AggTrade | None:
        """Record a fill; returns the aggregate it closed, if any."""
        self._trades.append(trade)
        if self._open is not None and self._open.extends(trade):
            self._open.qty += trade.qty
            self._open.last_trade_id = trade.trade_id
            return None
        closed = self.close_aggregate()
        self._open = AggTrade(
            trade.trade_id, trade.taker_order_id, trade.is_buyer_maker, trade.price, trade.qty,
            trade.trade_id, trade.trade_id, trade.time,
        )
        return closed

    def close_aggregate(self) -> AggTrade | None:
        closed, self._open = self._open, None
        if closed is not None:
            self._aggs.append(closed)
        return closed

    def last_trade(self) -> Trade | None:
        return self._trades.last()

    def restore(self, trades: Sequence[Trade], aggs: Sequence[AggTrade]) -> None:
        """Start from stored history (oldest first), between batches (no open aggregate)."""
        for trade in trades:
            self._trades.append(trade)
        for agg in aggs:
            self._aggs.append(agg)

    def aggregates_after(self, agg_id: int) -> list[AggTrade]:
        """The closed aggregates with an id above agg_id, oldest first (what is new since)."""
        return list(self._aggs.slice(self._aggs.after_index(_agg_id, agg_id), self._aggs.end))

    # -- queries ---------------------------------------------------------------------------
    def recent(self, limit: int) -> list[Trade]:
        """GET /api/v3/trades: the newest `limit`, oldest first."""
        return list(self._trades.newest(limit))

    def from_id(self, from_id: int, limit: int) -> list[Trade]:
        """historicalTrades: trades with id >= from_id, oldest first."""
        start = self._trades.first_index(_trade_id, from_id)
        return list(self._trades.slice(start, start + limit))

    def aggregates(
        self, from_id: int | None, start_time: int | None, end_time: int | None, limit: int
    ) -> list[AggTrade]:
        """GET /api/v3/aggTrades. Parameter rules are checked by the caller (MarketData)."""
        aggs = self._aggs
        if from_id is not None:
            start = aggs.first_index(_agg_id, from_id)
            return list(aggs.slice(start, start + limit))
        if start_time is not None:
            start = aggs.first_index(_agg_time, start_time)
            stop = aggs.end if end_time is None else aggs.after_index(_agg_time, end_time)
            return list(aggs.slice(start, min(stop, start + limit)))
        if end_time is not None:
            stop = aggs.after_index(_agg_time, end_time)
            return list(aggs.slice(stop - limit, stop))
        return list(aggs.newest(limit))
