"""marketdata.proto's stream messages -> the JSON objects Binance sends (one-letter keys).

The proto names its fields; the comments in marketdata.proto carry the Binance key of each,
and this module is where the two meet for the edge.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from exchange.v1 import common_pb2, marketdata_pb2

Payload = dict[str, Any]


def _levels(levels: Iterable[common_pb2.PriceLevel]) -> list[list[str]]:
    return [[level.price, level.qty] for level in levels]


def market_payload(event: marketdata_pb2.MarketEvent) -> Payload | None:
    """None for a payload this edge does not know (a newer market data service)."""
    kind = event.WhichOneof("payload")
    e = event.event_time
    if kind == "trade":
        t = event.trade
        return {
            "e": "trade", "E": e, "s": t.symbol, "t": t.trade_id, "p": t.price, "q": t.qty,
            "T": t.trade_time, "m": t.is_buyer_maker, "M": True,
        }
    if kind == "depth":
        d = event.depth
        return {
            "e": "depthUpdate", "E": e, "s": d.symbol, "U": d.first_update_id, "u": d.final_update_id,
            "b": _levels(d.bids), "a": _levels(d.asks),
        }
    if kind == "agg_trade":
        a = event.agg_trade.agg_trade
        return {
            "e": "aggTrade", "E": e, "s": event.agg_trade.symbol, "a": a.agg_trade_id, "p": a.price, "q": a.qty,
            "f": a.first_trade_id, "l": a.last_trade_id, "T": a.time, "m": a.is_buyer_maker, "M": a.is_best_match,
        }
    if kind == "partial_depth":
        p = event.partial_depth
        return {"lastUpdateId": p.last_update_id, "bids": _levels(p.bids), "asks": _levels(p.asks)}
    if kind == "book_ticker":
        b = event.book_ticker
        # Binance's bookTicker event has no "e" and no "E"; clients recognise it by "a" and "b".
        return {"u": b.update_id, "s": b.symbol, "b": b.bid_price, "B": b.bid_qty, "a": b.ask_price, "A": b.ask_qty}
    if kind == "mini_ticker":
        m = event.mini_ticker
        return {
            "e": "24hrMiniTicker", "E": e, "s": m.symbol, "c": m.close_price, "o": m.open_price,
            "h": m.high_price, "l": m.low_price, "v": m.volume, "q": m.quote_volume,
        }
    if kind == "ticker":
        return ticker_payload(event.ticker, e)
    if kind == "window_ticker":
        w = event.window_ticker
        t = w.ticker
        return {
            "e": f"{w.window}Ticker", "E": e, "s": t.symbol, "p": t.price_change, "P": t.price_change_percent,
            "o": t.open_price, "h": t.high_price, "l": t.low_price, "c": t.last_price, "w": t.weighted_avg_price,
            "v": t.volume, "q": t.quote_volume, "O": t.open_time, "C": t.close_time, "F": t.first_id,
            "L": t.last_id, "n": t.count,
        }
    if kind == "kline":
        k = event.kline
        c = k.kline
        return {
            "e": "kline", "E": e, "s": k.symbol,
            "k": {
                "t": c.open_time, "T": c.close_time, "s": k.symbol, "i": k.interval,
                "f": k.first_trade_id, "L": k.last_trade_id, "o": c.open, "c": c.close, "h": c.high, "l": c.low,
                "v": c.volume, "n": c.trade_count, "x": k.is_closed, "q": c.quote_volume,
                "V": c.taker_buy_base_volume, "Q": c.taker_buy_quote_volume, "B": "0",
            },
        }
    return None


def ticker_payload(t: marketdata_pb2.Ticker24h, event_time: int) -> Payload:
    return {
        "e": "24hrTicker", "E": event_time, "s": t.symbol, "p": t.price_change, "P": t.price_change_percent,
        "w": t.weighted_avg_price, "x": t.prev_close_price, "c": t.last_price, "Q": t.last_qty,
        "b": t.bid_price, "B": t.bid_qty, "a": t.ask_price, "A": t.ask_qty, "o": t.open_price,
        "h": t.high_price, "l": t.low_price, "v": t.volume, "q": t.quote_volume, "O": t.open_time,
        "C": t.close_time, "F": t.first_id, "L": t.last_id, "n": t.count,
    }


def avg_price_payload(symbol: str, avg: marketdata_pb2.GetAvgPriceResponse, event_time: int) -> Payload:
    return {"e": "avgPrice", "E": event_time, "s": symbol, "i": f"{avg.mins}m", "w": avg.price, "T": avg.close_time}
