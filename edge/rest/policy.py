"""What the protos do not say about an endpoint and Binance does: who may call it (its
security type) and what it costs (its request weight), per RPC.

Paths and methods are NOT here: they come from the google.api.http annotations (routes.py).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

Weight = Callable[[Mapping[str, str]], int]


class Security(enum.Enum):
    NONE = "NONE"  # public market data
    USER_DATA = "USER_DATA"  # signed, the key needs PERMISSION_READ
    TRADE = "TRADE"  # signed, the key needs PERMISSION_TRADE
    USER_STREAM = "USER_STREAM"  # X-MBX-APIKEY only, no signature (listenKey endpoints)
    SESSION = "SESSION"  # spotex web UI: Authorization: Bearer <JWT from /api/v1/login>
    ADMIN = "ADMIN"  # the operator's token, or a session of an admin user


SIGNED = frozenset({Security.USER_DATA, Security.TRADE})


@dataclass(frozen=True)
class Policy:
    security: Security
    weight: Weight
    counts_order: bool = False  # counted against the account's ORDERS limits
    edge_params: frozenset[str] = field(default_factory=frozenset)  # read by the edge itself


def fixed(weight: int) -> Weight:
    return lambda params: weight


def _depth_weight(params: Mapping[str, str]) -> int:
    limit = params.get("limit", "")
    # a bad limit is refused later, by the parser; int() of thousands of digits would raise here
    n = int(limit) if limit.isascii() and limit.isdigit() and len(limit) <= 20 else 100
    return 5 if n <= 100 else 25 if n <= 500 else 50 if n <= 1000 else 250


def _symbols_count(params: Mapping[str, str]) -> int | None:
    """How many symbols were asked for: 1 for `symbol`, the list's length, None for all."""
    if params.get("symbol"):
        return 1
    symbols = params.get("symbols", "")
    return symbols.count(",") + 1 if symbols else None


def _ticker_24h_weight(params: Mapping[str, str]) -> int:
    n = _symbols_count(params)
    return 80 if n is None or n > 100 else 40 if n > 20 else 2


def _price_weight(params: Mapping[str, str]) -> int:
    return 2 if params.get("symbol") else 4


def _rolling_ticker_weight(params: Mapping[str, str]) -> int:
    n = _symbols_count(params)
    return 200 if n is None else min(4 * n, 200)


def _open_orders_weight(params: Mapping[str, str]) -> int:
    return 6 if params.get("symbol") else 80


def _test_order_weight(params: Mapping[str, str]) -> int:
    return 20 if params.get("computeCommissionRates", "").lower() == "true" else 1


def _my_trades_weight(params: Mapping[str, str]) -> int:
    return 5 if params.get("orderId") else 20


POLICIES: dict[str, Policy] = {
    # MarketDataService
    "exchange.v1.MarketDataService.Ping": Policy(Security.NONE, fixed(1)),
    "exchange.v1.MarketDataService.GetServerTime": Policy(Security.NONE, fixed(1)),
    "exchange.v1.MarketDataService.GetExchangeInfo": Policy(Security.NONE, fixed(20)),
    "exchange.v1.MarketDataService.GetDepth": Policy(Security.NONE, _depth_weight),
    "exchange.v1.MarketDataService.GetTrades": Policy(Security.NONE, fixed(25)),
    "exchange.v1.MarketDataService.GetAggTrades": Policy(Security.NONE, fixed(4)),
    "exchange.v1.MarketDataService.GetKlines": Policy(Security.NONE, fixed(2)),
    "exchange.v1.MarketDataService.GetAvgPrice": Policy(Security.NONE, fixed(2)),
    "exchange.v1.MarketDataService.GetTicker24h": Policy(Security.NONE, _ticker_24h_weight),
    "exchange.v1.MarketDataService.GetRollingTicker": Policy(Security.NONE, _rolling_ticker_weight),
    "exchange.v1.MarketDataService.GetTradingDayTicker": Policy(Security.NONE, _rolling_ticker_weight),
    "exchange.v1.MarketDataService.GetPrice": Policy(Security.NONE, _price_weight),
    "exchange.v1.MarketDataService.GetBookTicker": Policy(Security.NONE, _price_weight),
    # OrderService
    "exchange.v1.OrderService.PlaceOrder": Policy(Security.TRADE, fixed(1), counts_order=True),
    "exchange.v1.OrderService.TestOrder": Policy(Security.TRADE, _test_order_weight),
    "exchange.v1.OrderService.CancelOrder": Policy(Security.TRADE, fixed(1)),
    "exchange.v1.OrderService.CancelAllOpenOrders": Policy(Security.TRADE, fixed(1)),
    "exchange.v1.OrderService.CancelReplace": Policy(Security.TRADE, fixed(1), counts_order=True),
    "exchange.v1.OrderService.AmendOrderKeepPriority": Policy(Security.TRADE, fixed(4), counts_order=True),
    "exchange.v1.OrderService.GetOrder": Policy(Security.USER_DATA, fixed(4)),
    "exchange.v1.OrderService.ListOpenOrders": Policy(Security.USER_DATA, _open_orders_weight),
    "exchange.v1.OrderService.ListOrders": Policy(Security.USER_DATA, fixed(20)),
    # TradeProcessingService
    "exchange.v1.TradeProcessingService.GetAccount": Policy(Security.USER_DATA, fixed(20)),
    "exchange.v1.TradeProcessingService.ListTrades": Policy(Security.USER_DATA, _my_trades_weight),
    "exchange.v1.TradeProcessingService.GetCommission": Policy(Security.USER_DATA, fixed(20)),
    "exchange.v1.TradeProcessingService.GetTradeFees": Policy(Security.USER_DATA, fixed(1)),
    # UserService: Binance's user data stream, then spotex's own /api/v1. Register and login
    # each cost an argon2 hash (tens of ms of CPU), hence their weight.
    "exchange.v1.UserService.CreateListenKey": Policy(Security.USER_STREAM, fixed(2)),
    "exchange.v1.UserService.KeepAliveListenKey": Policy(Security.USER_STREAM, fixed(2)),
    "exchange.v1.UserService.CloseListenKey": Policy(Security.USER_STREAM, fixed(2)),
    "exchange.v1.UserService.Register": Policy(Security.NONE, fixed(100)),
    "exchange.v1.UserService.Login": Policy(Security.NONE, fixed(50)),
    "exchange.v1.UserService.CreateApiKey": Policy(Security.SESSION, fixed(1)),
    "exchange.v1.UserService.ListApiKeys": Policy(Security.SESSION, fixed(1)),
    "exchange.v1.UserService.RevokeApiKey": Policy(Security.SESSION, fixed(1)),
    "exchange.v1.UserService.GetBalances": Policy(Security.SESSION, fixed(5)),
    "exchange.v1.UserService.Deposit": Policy(Security.ADMIN, fixed(1)),
    "exchange.v1.UserService.Withdraw": Policy(Security.ADMIN, fixed(1)),
}

# Edge-native endpoints (no RPC of their own; see routes.EDGE_BINDINGS).
RATE_LIMIT_ORDER = Policy(Security.USER_DATA, fixed(40))
FAUCET = Policy(Security.SESSION, fixed(1))
SYSTEM_STATUS = Policy(Security.NONE, fixed(1))
ORDER_LIST_PLACE = Policy(Security.TRADE, fixed(1))
OPEN_ORDER_LISTS = Policy(Security.USER_DATA, fixed(6))
ALL_ORDER_LISTS = Policy(Security.USER_DATA, fixed(20))
ORDER_LIST_STATUS = Policy(Security.USER_DATA, fixed(4))
ORDER_LIST_CANCEL = Policy(Security.TRADE, fixed(1))
