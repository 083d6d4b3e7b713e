"""A real order book driving market data: the reference engine's events, batched as matching
would publish them (one batch per command, stamped with the command's time)."""

from __future__ import annotations

from decimal import Decimal

from engine_ext.codes import OrderType, Side, TimeInForce
from engine_ext.reference import OrderBook
from services.common.catalog import DEMO_SYMBOLS
from services.common.ports import EventBatch
from services.marketdata.domain import MarketData
from services.marketdata.views import StreamEvent

BTCUSDT = next(s for s in DEMO_SYMBOLS if s.name == "BTCUSDT")  # tick 0.01 USDT, lot 0.00001 BTC
ETHUSDT = next(s for s in DEMO_SYMBOLS if s.name == "ETHUSDT")

T0 = 1_764_115_200_000  # 2025-11-26 00:00:00 UTC, a Wednesday


def ticks(price: str) -> int:
    return BTCUSDT.price_to_ticks(Decimal(price))


def lots(qty: str) -> int:
    return BTCUSDT.qty_to_lots(Decimal(qty))


class Feed:
    """Commands in, EventBatches out, applied to `data` unless told otherwise."""

    def __init__(self, data: MarketData | None = None, symbol: str = "BTCUSDT", time_ms: int = T0) -> None:
        self.data = data if data is not None else MarketData(DEMO_SYMBOLS)
        self.symbol = symbol
        self.book = OrderBook()
        self.time_ms = time_ms
        self.batches: list[EventBatch] = []
        self.stream_events: list[StreamEvent] = []
        self._next_order_id = 1

    def _run(self, apply: bool) -> EventBatch:
        batch = EventBatch(self.symbol, self.time_ms, list(self.book.last_events()))
        self.batches.append(batch)
        if apply:
            self.stream_events += self.data.apply(batch)
        return batch

    def limit(self, side: Side, price: int, qty: int, *, user: int = 1, tif: TimeInForce = TimeInForce.GTC,
              apply: bool = True) -> int:
        order_id = self._next_order_id
        self._next_order_id += 1
        self.book.submit(order_id, user, side, OrderType.LIMIT, tif, price, qty)
        self._run(apply)
        return order_id

    def market(self, side: Side, qty: int, *, user: int = 2, apply: bool = True) -> int:
        order_id = self._next_order_id
        self._next_order_id += 1
        self.book.submit(order_id, user, side, OrderType.MARKET, TimeInForce.GTC, 0, qty)
        self._run(apply)
        return order_id

    def cancel(self, order_id: int, *, apply: bool = True) -> None:
        self.book.cancel(order_id)
        self._run(apply)

    def at(self, time_ms: int) -> Feed:
        self.time_ms = time_ms
        return self
