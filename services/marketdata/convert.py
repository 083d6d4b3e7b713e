"""Market data views -> protos/exchange/v1/marketdata.proto messages (field for field)."""

from __future__ import annotations

from collections.abc import Iterable

from exchange.v1 import common_pb2, marketdata_pb2

from .candles import KlineView
from .depth import DepthSnapshot, DepthUpdate, Level
from .trades import AggTradeView, PublicTradeView
from .views import (
    AggTradePayload,
    AvgPricePayload,
    BookTickerPayload,
    BookTickerView,
    DepthUpdatePayload,
    KlinePayload,
    MiniTickerPayload,
    PartialDepthPayload,
    StreamEvent,
    TickerPayload,
    TickerView,
    TradePayload,
    WindowTickerPayload,
)


def levels(items: Iterable[Level]) -> list[common_pb2.PriceLevel]:
    return [common_pb2.PriceLevel(price=p, qty=q) for p, q in items]


def depth(snapshot: DepthSnapshot) -> marketdata_pb2.GetDepthResponse:
    return marketdata_pb2.GetDepthResponse(
        last_update_id=snapshot.last_update_id,
        bids=levels(snapshot.bids),
        asks=levels(snapshot.asks),
        time=snapshot.time,
    )


def public_trade(t: PublicTradeView) -> common_pb2.PublicTrade:
    return common_pb2.PublicTrade(
        id=t.id,
        price=t.price,
        qty=t.qty,
        quote_qty=t.quote_qty,
        time=t.time,
        is_buyer_maker=t.is_buyer_maker,
        is_best_match=t.is_best_match,
    )


def agg_trade(a: AggTradeView) -> marketdata_pb2.AggTrade:
    return marketdata_pb2.AggTrade(
        agg_trade_id=a.agg_trade_id,
        price=a.price,
        qty=a.qty,
        first_trade_id=a.first_trade_id,
        last_trade_id=a.last_trade_id,
        time=a.time,
        is_buyer_maker=a.is_buyer_maker,
        is_best_match=a.is_best_match,
    )


def kline(k: KlineView) -> marketdata_pb2.Kline:
    return marketdata_pb2.Kline(
        open_time=k.open_time,
        open=k.open,
        high=k.high,
        low=k.low,
        close=k.close,
        volume=k.volume,
        close_time=k.close_time,
        quote_volume=k.quote_volume,
        trade_count=k.trade_count,
        taker_buy_base_volume=k.taker_buy_base_volume,
        taker_buy_quote_volume=k.taker_buy_quote_volume,
    )


def ticker(t: TickerView) -> marketdata_pb2.Ticker24h:
    return marketdata_pb2.Ticker24h(
        symbol=t.symbol,
        price_change=t.price_change,
        price_change_percent=t.price_change_percent,
        weighted_avg_price=t.weighted_avg_price,
        prev_close_price=t.prev_close_price,
        last_price=t.last_price,
        last_qty=t.last_qty,
        bid_price=t.bid_price,
        bid_qty=t.bid_qty,
        ask_price=t.ask_price,
        ask_qty=t.ask_qty,
        open_price=t.open_price,
        high_price=t.high_price,
        low_price=t.low_price,
        volume=t.volume,
        quote_volume=t.quote_volume,
        open_time=t.open_time,
        close_time=t.close_time,
        first_id=t.first_id,
        last_id=t.last_id,
        count=t.count,
    )


def book_ticker(b: BookTickerView) -> marketdata_pb2.BookTicker:
    return marketdata_pb2.BookTicker(
        symbol=b.symbol,
        bid_price=b.bid_price,
        bid_qty=b.bid_qty,
        ask_price=b.ask_price,
        ask_qty=b.ask_qty,
        update_id=b.update_id,
    )


def _depth_update(u: DepthUpdate) -> marketdata_pb2.DepthUpdate:
    return marketdata_pb2.DepthUpdate(
        symbol=u.symbol,
        first_update_id=u.first_update_id,
        final_update_id=u.final_update_id,
        bids=levels(u.bids),
        asks=levels(u.asks),
    )


def market_event(event: StreamEvent) -> marketdata_pb2.MarketEvent:
    message = marketdata_pb2.MarketEvent(stream=event.stream, event_time=event.event_time)
    p = event.payload
    if isinstance(p, TradePayload):
        t = p.trade
        message.trade.CopyFrom(
            marketdata_pb2.TradeUpdate(
                symbol=p.symbol,
                trade_id=t.id,
                price=t.price,
                qty=t.qty,
                trade_time=t.time,
                is_buyer_maker=t.is_buyer_maker,
            )
        )
    elif isinstance(p, AggTradePayload):
        message.agg_trade.CopyFrom(marketdata_pb2.AggTradeUpdate(symbol=p.symbol, agg_trade=agg_trade(p.agg)))
    elif isinstance(p, DepthUpdatePayload):
        message.depth.CopyFrom(_depth_update(p.update))
    elif isinstance(p, PartialDepthPayload):
        s = p.snapshot
        message.partial_depth.CopyFrom(
            marketdata_pb2.PartialDepth(last_update_id=s.last_update_id, bids=levels(s.bids), asks=levels(s.asks))
        )
    elif isinstance(p, KlinePayload):
        message.kline.CopyFrom(
            marketdata_pb2.KlineUpdate(
                symbol=p.symbol,
                interval=p.interval,
                kline=kline(p.kline),
                first_trade_id=p.kline.first_trade_id,
                last_trade_id=p.kline.last_trade_id,
                is_closed=p.is_closed,
            )
        )
    elif isinstance(p, TickerPayload):
        message.ticker.CopyFrom(ticker(p.ticker))
    elif isinstance(p, WindowTickerPayload):
        message.window_ticker.CopyFrom(marketdata_pb2.WindowTicker(window=p.window, ticker=ticker(p.ticker)))
    elif isinstance(p, MiniTickerPayload):
        m = p.ticker
        message.mini_ticker.CopyFrom(
            marketdata_pb2.MiniTicker(
                symbol=m.symbol,
                close_price=m.last_price,
                open_price=m.open_price,
                high_price=m.high_price,
                low_price=m.low_price,
                volume=m.volume,
                quote_volume=m.quote_volume,
            )
        )
    elif isinstance(p, BookTickerPayload):
        message.book_ticker.CopyFrom(book_ticker(p.book_ticker))
    elif isinstance(p, AvgPricePayload):
        message.avg_price.CopyFrom(
            marketdata_pb2.AvgPriceUpdate(
                symbol=p.symbol, interval=f"{p.avg.mins}m", price=p.avg.price, last_trade_time=p.avg.close_time
            )
        )
    return message
