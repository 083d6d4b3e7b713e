"""What market data answers: REST views and stream payloads, already in decimal strings.

Each class mirrors one Binance object; `binance()` renders Binance's exact JSON shape (keys,
types, order), which the tests pin and the edge can serve as is. The gRPC servicer maps the same
fields onto protos/exchange/v1/marketdata.proto.
"""

from __future__ import annotations

from dataclasses import dataclass

from .candles import KlineView
from .depth import DepthSnapshot, DepthUpdate
from .formatting import SymbolFormat
from .tickers import WindowStats
from .trades import AggTradeView, PublicTradeView


@dataclass(frozen=True, slots=True)
class TickerView:
    """ticker/24hr (FULL), its MINI form, and the rolling-window `ticker` (windowSize)."""

    symbol: str
    price_change: str
    price_change_percent: str
    weighted_avg_price: str
    prev_close_price: str
    last_price: str
    last_qty: str
    bid_price: str
    bid_qty: str
    ask_price: str
    ask_qty: str
    open_price: str
    high_price: str
    low_price: str
    volume: str
    quote_volume: str
    open_time: int
    close_time: int
    first_id: int  # -1 when the window has no trade
    last_id: int
    count: int

    def binance(self) -> dict[str, object]:
        return {
            "symbol": self.symbol,
            "priceChange": self.price_change,
            "priceChangePercent": self.price_change_percent,
            "weightedAvgPrice": self.weighted_avg_price,
            "prevClosePrice": self.prev_close_price,
            "lastPrice": self.last_price,
            "lastQty": self.last_qty,
            "bidPrice": self.bid_price,
            "bidQty": self.bid_qty,
            "askPrice": self.ask_price,
            "askQty": self.ask_qty,
            "openPrice": self.open_price,
            "highPrice": self.high_price,
            "lowPrice": self.low_price,
            "volume": self.volume,
            "quoteVolume": self.quote_volume,
            "openTime": self.open_time,
            "closeTime": self.close_time,
            "firstId": self.first_id,
            "lastId": self.last_id,
            "count": self.count,
        }

    def binance_mini(self) -> dict[str, object]:
        return {
            "symbol": self.symbol,
            "openPrice": self.open_price,
            "highPrice": self.high_price,
            "lowPrice": self.low_price,
            "lastPrice": self.last_price,
            "volume": self.volume,
            "quoteVolume": self.quote_volume,
            "openTime": self.open_time,
            "closeTime": self.close_time,
            "firstId": self.first_id,
            "lastId": self.last_id,
            "count": self.count,
        }

    def binance_rolling(self) -> dict[str, object]:
        """GET /api/v3/ticker (windowSize), FULL type: no prevClose, lastQty or book."""
        full = self.binance()
        for key in ("prevClosePrice", "lastQty", "bidPrice", "bidQty", "askPrice", "askQty"):
            del full[key]
        return full


def ticker_view(
    fmt: SymbolFormat, window: WindowStats, best_bid: tuple[int, int] | None, best_ask: tuple[int, int] | None
) -> TickerView:
    stats = window.stats
    if stats is None:
        # No trade in the window: the last price stands for open, high and low; nothing traded
        # (firstId and lastId -1, as Binance reports an empty window).
        last = window.last_price
        open_, high, low, volume, quote, first_id, last_id, count = last, last, last, 0, 0, -1, -1, 0
    else:
        last = stats.close
        open_, high, low = stats.open, stats.high, stats.low
        volume, quote, count = stats.volume, stats.quote_volume, stats.count
        first_id, last_id = stats.first_id, stats.last_id
    bid_price, bid_qty = best_bid or (0, 0)
    ask_price, ask_qty = best_ask or (0, 0)
    return TickerView(
        fmt.name,
        fmt.price(last - open_),
        fmt.percent_change(open_, last),
        fmt.average_price(quote, volume),
        fmt.price(window.prev_close),
        fmt.price(last),
        fmt.qty(window.last_qty),
        fmt.price(bid_price),
        fmt.qty(bid_qty),
        fmt.price(ask_price),
        fmt.qty(ask_qty),
        fmt.price(open_),
        fmt.price(high),
        fmt.price(low),
        fmt.qty(volume),
        fmt.quote(quote),
        window.open_time,
        window.close_time,
        first_id,
        last_id,
        count,
    )


@dataclass(frozen=True, slots=True)
class PriceView:
    symbol: str
    price: str

    def binance(self) -> dict[str, object]:
        return {"symbol": self.symbol, "price": self.price}


@dataclass(frozen=True, slots=True)
class BookTickerView:
    symbol: str  # s
    bid_price: str  # b
    bid_qty: str  # B
    ask_price: str  # a
    ask_qty: str  # A
    update_id: int  # u (streams only)

    def binance(self) -> dict[str, object]:
        return {
            "symbol": self.symbol,
            "bidPrice": self.bid_price,
            "bidQty": self.bid_qty,
            "askPrice": self.ask_price,
            "askQty": self.ask_qty,
        }

    def stream(self) -> dict[str, object]:
        # Binance's bookTicker event has no "e" (clients recognise it by "a" and "b").
        return {
            "u": self.update_id,
            "s": self.symbol,
            "b": self.bid_price,
            "B": self.bid_qty,
            "a": self.ask_price,
            "A": self.ask_qty,
        }


def book_ticker_view(
    fmt: SymbolFormat, best_bid: tuple[int, int] | None, best_ask: tuple[int, int] | None, update_id: int
) -> BookTickerView:
    bid_price, bid_qty = best_bid or (0, 0)
    ask_price, ask_qty = best_ask or (0, 0)
    return BookTickerView(
        fmt.name, fmt.price(bid_price), fmt.qty(bid_qty), fmt.price(ask_price), fmt.qty(ask_qty), update_id
    )


@dataclass(frozen=True, slots=True)
class AvgPriceView:
    mins: int
    price: str
    close_time: int  # the last trade's time

    def binance(self) -> dict[str, object]:
        return {"mins": self.mins, "price": self.price, "closeTime": self.close_time}


# -- stream payloads ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TradePayload:
    symbol: str
    trade: PublicTradeView

    def binance(self, event_time: int) -> dict[str, object]:
        t = self.trade
        return {
            "e": "trade", "E": event_time, "s": self.symbol, "t": t.id, "p": t.price, "q": t.qty,
            "T": t.time, "m": t.is_buyer_maker, "M": True,
        }


@dataclass(frozen=True, slots=True)
class AggTradePayload:
    symbol: str
    agg: AggTradeView

    def binance(self, event_time: int) -> dict[str, object]:
        return {"e": "aggTrade", "E": event_time, "s": self.symbol, **self.agg.binance()}


@dataclass(frozen=True, slots=True)
class KlinePayload:
    symbol: str
    interval: str
    kline: KlineView
    is_closed: bool

    def binance(self, event_time: int) -> dict[str, object]:
        return {
            "e": "kline", "E": event_time, "s": self.symbol,
            "k": self.kline.stream(self.symbol, self.interval, self.is_closed),
        }


@dataclass(frozen=True, slots=True)
class TickerPayload:
    ticker: TickerView

    def binance(self, event_time: int) -> dict[str, object]:
        t = self.ticker
        return {
            "e": "24hrTicker", "E": event_time, "s": t.symbol, "p": t.price_change,
            "P": t.price_change_percent, "w": t.weighted_avg_price, "x": t.prev_close_price,
            "c": t.last_price, "Q": t.last_qty, "b": t.bid_price, "B": t.bid_qty, "a": t.ask_price,
            "A": t.ask_qty, "o": t.open_price, "h": t.high_price, "l": t.low_price, "v": t.volume,
            "q": t.quote_volume, "O": t.open_time, "C": t.close_time, "F": t.first_id, "L": t.last_id,
            "n": t.count,
        }


@dataclass(frozen=True, slots=True)
class MiniTickerPayload:
    ticker: TickerView

    def binance(self, event_time: int) -> dict[str, object]:
        t = self.ticker
        return {
            "e": "24hrMiniTicker", "E": event_time, "s": t.symbol, "c": t.last_price, "o": t.open_price,
            "h": t.high_price, "l": t.low_price, "v": t.volume, "q": t.quote_volume,
        }


@dataclass(frozen=True, slots=True)
class WindowTickerPayload:
    window: str  # "1h", "4h" or "1d"
    ticker: TickerView

    def binance(self, event_time: int) -> dict[str, object]:
        t = self.ticker
        return {
            "e": f"{self.window}Ticker", "E": event_time, "s": t.symbol, "p": t.price_change,
            "P": t.price_change_percent, "o": t.open_price, "h": t.high_price, "l": t.low_price,
            "c": t.last_price, "w": t.weighted_avg_price, "v": t.volume, "q": t.quote_volume,
            "O": t.open_time, "C": t.close_time, "F": t.first_id, "L": t.last_id, "n": t.count,
        }


@dataclass(frozen=True, slots=True)
class BookTickerPayload:
    book_ticker: BookTickerView

    def binance(self, event_time: int) -> dict[str, object]:
        return self.book_ticker.stream()


@dataclass(frozen=True, slots=True)
class AvgPricePayload:
    symbol: str
    avg: AvgPriceView

    def binance(self, event_time: int) -> dict[str, object]:
        return {
            "e": "avgPrice", "E": event_time, "s": self.symbol, "i": f"{self.avg.mins}m",
            "w": self.avg.price, "T": self.avg.close_time,
        }


@dataclass(frozen=True, slots=True)
class DepthUpdatePayload:
    update: DepthUpdate

    def binance(self, event_time: int) -> dict[str, object]:
        return self.update.binance()


@dataclass(frozen=True, slots=True)
class PartialDepthPayload:
    snapshot: DepthSnapshot

    def binance(self, event_time: int) -> dict[str, object]:
        return self.snapshot.binance()


Payload = (
    TradePayload
    | AggTradePayload
    | KlinePayload
    | TickerPayload
    | MiniTickerPayload
    | WindowTickerPayload
    | BookTickerPayload
    | AvgPricePayload
    | DepthUpdatePayload
    | PartialDepthPayload
)


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One update of a named stream ("btcusdt@trade"); Binance's combined-stream envelope is
    {"stream": stream, "data": payload.binance(event_time)}."""

    stream: str
    event_time: int
    payload: Payload

    def binance(self) -> dict[str, object]:
        return self.payload.binance(self.event_time)
