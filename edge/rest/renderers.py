"""Which renderer answers each RPC (the generic one when absent)."""

from __future__ import annotations

from edge.rest import render_market as market
from edge.rest import render_orders as orders
from edge.rest.render import Renderer, empty

RENDERERS: dict[str, Renderer] = {
    "exchange.v1.OrderService.PlaceOrder": orders.place_order,
    "exchange.v1.OrderService.TestOrder": orders.test_order,
    "exchange.v1.OrderService.CancelOrder": orders.cancel_order,
    "exchange.v1.OrderService.CancelAllOpenOrders": orders.cancel_all,
    "exchange.v1.OrderService.AmendOrderKeepPriority": orders.amend_order,
    "exchange.v1.OrderService.GetOrder": orders.one_order,
    "exchange.v1.OrderService.ListOpenOrders": orders.order_list,
    "exchange.v1.OrderService.ListOrders": orders.order_list,
    "exchange.v1.MarketDataService.Ping": empty,
    "exchange.v1.MarketDataService.GetDepth": market.depth,
    "exchange.v1.MarketDataService.GetTrades": market.trades,
    "exchange.v1.MarketDataService.GetAggTrades": market.agg_trades,
    "exchange.v1.MarketDataService.GetKlines": market.klines,
    "exchange.v1.MarketDataService.GetTicker24h": market.ticker_24h,
    "exchange.v1.MarketDataService.GetRollingTicker": market.rolling_ticker,
    "exchange.v1.MarketDataService.GetTradingDayTicker": market.rolling_ticker,
    "exchange.v1.MarketDataService.GetPrice": market.prices,
    "exchange.v1.MarketDataService.GetBookTicker": market.book_tickers,
    "exchange.v1.OrderService.CancelReplace": orders.cancel_replace,
    "exchange.v1.TradeProcessingService.ListTrades": market.my_trades,
    "exchange.v1.TradeProcessingService.GetTradeFees": market.trade_fees,
}


