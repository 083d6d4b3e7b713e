"""Market data in Binance's JSON: depth levels and candles as arrays, aggTrades with
one-letter keys, and an object for one symbol but a list for several."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from edge.rest.render import render_message
from exchange.v1 import marketdata_pb2


def _levels(levels: Any) -> list[list[str]]:
    return [[level.price, level.qty] for level in levels]


def depth(response: marketdata_pb2.GetDepthResponse, request: Any, params: Mapping[str, str]) -> Any:
    return {"lastUpdateId": response.last_update_id, "bids": _levels(response.bids), "asks": _levels(response.asks)}


def agg_trade(t: marketdata_pb2.AggTrade) -> dict[str, Any]:
    return {
        "a": t.agg_trade_id,
        "p": t.price,
        "q": t.qty,
        "f": t.first_trade_id,
        "l": t.last_trade_id,
        "T": t.time,
        "m": t.is_buyer_maker,
        "M": t.is_best_match,
    }


def agg_trades(response: marketdata_pb2.GetAggTradesResponse, request: Any, params: Mapping[str, str]) -> Any:
    return [agg_trade(t) for t in response.agg_trades]


def kline_row(k: marketdata_pb2.Kline) -> list[Any]:
    # Binance's twelfth element is "unused field, ignore": always "0".
    return [
        k.open_time, k.open, k.high, k.low, k.close, k.volume, k.close_time,
        k.quote_volume, k.trade_count, k.taker_buy_base_volume, k.taker_buy_quote_volume, "0",
    ]  # fmt: skip


def klines(response: marketdata_pb2.GetKlinesResponse, request: Any, params: Mapping[str, str]) -> Any:
    return [kline_row(k) for k in response.klines]


def trades(response: marketdata_pb2.GetTradesResponse, request: Any, params: Mapping[str, str]) -> Any:
    return [render_message(t) for t in response.trades]


def _one_or_list(items: list[Any], params: Mapping[str, str]) -> Any:
    """Binance answers an object when `symbol` was sent, a list otherwise."""
    if params.get("symbol"):
        return items[0] if items else {}
    return items


_MINI_TICKER_KEYS = (
    "symbol", "openPrice", "highPrice", "lowPrice", "lastPrice", "volume", "quoteVolume",
    "openTime", "closeTime", "firstId", "lastId", "count",
)  # fmt: skip
_ROLLING_TICKER_KEYS = (
    "symbol", "priceChange", "priceChangePercent", "weightedAvgPrice", "openPrice", "highPrice",
    "lowPrice", "lastPrice", "volume", "quoteVolume", "openTime", "closeTime", "firstId", "lastId", "count",
)  # fmt: skip


def ticker_24h(response: marketdata_pb2.GetTicker24hResponse, request: Any, params: Mapping[str, str]) -> Any:
    tickers = [render_message(t) for t in response.tickers]
    if params.get("type") == "MINI":
        tickers = [{k: t[k] for k in _MINI_TICKER_KEYS} for t in tickers]
    return _one_or_list(tickers, params)


def rolling_ticker(response: marketdata_pb2.GetTicker24hResponse, request: Any, params: Mapping[str, str]) -> Any:
    """GET /api/v3/ticker and ticker/tradingDay: the rolling-window keys (no bid/ask, no
    prevClose, no lastQty)."""
    keys = _MINI_TICKER_KEYS if params.get("type") == "MINI" else _ROLLING_TICKER_KEYS
    tickers = [render_message(t) for t in response.tickers]
    return _one_or_list([{k: t[k] for k in keys} for t in tickers], params)


def prices(response: marketdata_pb2.GetPriceResponse, request: Any, params: Mapping[str, str]) -> Any:
    return _one_or_list([{"symbol": p.symbol, "price": p.price} for p in response.prices], params)


def book_tickers(response: marketdata_pb2.GetBookTickerResponse, request: Any, params: Mapping[str, str]) -> Any:
    # REST bookTicker has no update id (only the stream's event carries `u`).
    rows = [
        {"symbol": b.symbol, "bidPrice": b.bid_price, "bidQty": b.bid_qty, "askPrice": b.ask_price, "askQty": b.ask_qty}
        for b in response.book_tickers
    ]
    return _one_or_list(rows, params)


def my_trades(response: Any, request: Any, params: Mapping[str, str]) -> Any:
    return [render_message(t) for t in response.trades]


def trade_fees(response: Any, request: Any, params: Mapping[str, str]) -> Any:
    return [render_message(fee) for fee in response.fees]  # Binance answers a bare list
