"""python-binance's Client, pointed at the edge by its class attribute API_URL (it sorts its
parameters, sends X-MBX-APIKEY on every request and the DELETE parameters in the body)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from decimal import Decimal as D
from typing import Any

import pytest

from tests.edge.conftest import Account, Exchange, Ledger

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # python-binance imports a deprecated websockets name
    from binance.exceptions import BinanceAPIException

SYMBOL = "SOLUSDT"  # this module's market


def test_exchange_info_and_depth_as_python_binance_reads_them(
    binance: Callable[[Account], Any], new_account: Callable[..., Account]
) -> None:
    client = binance(new_account())  # the constructor pings /api/v3/ping
    info = client.get_exchange_info()
    assert {r["rateLimitType"] for r in info["rateLimits"]} == {"REQUEST_WEIGHT", "ORDERS"}
    sol = client.get_symbol_info(SYMBOL)
    filters = {f["filterType"]: f for f in sol["filters"]}
    assert filters["PRICE_FILTER"]["tickSize"] == "0.01000000"
    assert filters["LOT_SIZE"]["stepSize"] == "0.00100000"
    assert filters["NOTIONAL"]["minNotional"] == "5.00000000"
    assert {"PRICE_FILTER", "LOT_SIZE", "MARKET_LOT_SIZE", "MIN_NOTIONAL", "NOTIONAL", "PERCENT_PRICE_BY_SIDE"} <= set(
        filters
    )
    assert "EXPIRE_MAKER" in sol["allowedSelfTradePreventionModes"]
    book = client.get_order_book(symbol=SYMBOL, limit=5)
    assert set(book) == {"lastUpdateId", "bids", "asks"}


def test_python_binance_places_queries_and_cancels_orders(
    binance: Callable[[Account], Any], new_account: Callable[..., Account], ledger: Ledger
) -> None:
    seller_account, buyer_account = new_account(SOL="10"), new_account(USDT="1000")
    seller, buyer = binance(seller_account), binance(buyer_account)

    resting = seller.create_order(
        symbol=SYMBOL, side="SELL", type="LIMIT", timeInForce="GTC", quantity="2", price="180", newClientOrderId="sol-1"
    )
    # no newOrderRespType sent: Binance's default for LIMIT is FULL
    assert (resting["clientOrderId"], resting["status"], resting["fills"]) == ("sol-1", "NEW", [])
    taken = buyer.order_market_buy(symbol=SYMBOL, quantity="0.5")
    assert (taken["status"], taken["executedQty"]) == ("FILLED", "0.50000000")
    assert taken["cummulativeQuoteQty"] == "90.00000000"
    assert [(f["price"], f["qty"], f["commission"], f["commissionAsset"]) for f in taken["fills"]] == [
        ("180.00000000", "0.50000000", "0.00050000", "SOL")
    ]

    account = buyer.get_account()
    held = {b["asset"]: (D(b["free"]), D(b["locked"])) for b in account["balances"] if D(b["free"]) or D(b["locked"])}
    assert held == ledger.balances(buyer_account) == {"SOL": (D("0.4995"), D(0)), "USDT": (D(910), D(0))}
    assert account["canTrade"] is True

    order = seller.get_order(symbol=SYMBOL, orderId=resting["orderId"])
    assert (order["status"], order["executedQty"]) == ("PARTIALLY_FILLED", "0.50000000")
    assert [o["orderId"] for o in seller.get_open_orders(symbol=SYMBOL)] == [resting["orderId"]]
    assert [t["qty"] for t in buyer.get_my_trades(symbol=SYMBOL)] == ["0.50000000"]

    canceled = seller.cancel_order(symbol=SYMBOL, orderId=resting["orderId"])  # parameters in the DELETE body
    assert (canceled["status"], canceled["origClientOrderId"]) == ("CANCELED", "sol-1")
    assert ledger.open_orders(seller_account) == []
    assert ledger.balances(seller_account) == {"SOL": (D("9.5"), D(0)), "USDT": (D("89.91"), D(0))}


def test_python_binance_gets_binance_errors(
    binance: Callable[[Account], Any], new_account: Callable[..., Account], ledger: Ledger
) -> None:
    account = new_account(USDT="10")
    client = binance(account)
    with pytest.raises(BinanceAPIException) as refused:
        client.create_order(symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity="1", price="180")
    assert (refused.value.status_code, refused.value.code) == (400, -2010)
    with pytest.raises(BinanceAPIException) as unknown:
        client.cancel_order(symbol=SYMBOL, orderId=123456789)
    assert (unknown.value.status_code, unknown.value.code, unknown.value.message) == (400, -2011, "Unknown order sent.")
    assert ledger.balances(account) == {"USDT": (D(10), D(0))}


def test_a_market_buy_the_balance_cannot_pay_for_is_refused_whole(
    binance: Callable[[Account], Any], new_account: Callable[..., Account], ledger: Ledger
) -> None:
    """As on Binance: -2010 and nothing bought, not the part 10 USDT affords and EXPIRED."""
    seller_account, buyer_account = new_account(SOL="1"), new_account(USDT="10")
    seller, buyer = binance(seller_account), binance(buyer_account)
    ask = seller.create_order(symbol=SYMBOL, side="SELL", type="LIMIT", timeInForce="GTC", quantity="1", price="150")
    try:
        with pytest.raises(BinanceAPIException) as refused:
            buyer.order_market_buy(symbol=SYMBOL, quantity="1")  # 1 SOL costs at least 10x what it has
        assert (refused.value.status_code, refused.value.code, refused.value.message) == (
            400, -2010, "Account has insufficient balance for requested action.")  # fmt: skip
        assert ledger.balances(buyer_account) == {"USDT": (D(10), D(0))}
        assert buyer.get_all_orders(symbol=SYMBOL) == []
        assert seller.get_order(symbol=SYMBOL, orderId=ask["orderId"])["executedQty"] == "0.00000000"
    finally:
        seller.cancel_order(symbol=SYMBOL, orderId=ask["orderId"])


def test_a_market_sell_by_quote_the_base_cannot_pay_for_is_refused_whole(
    binance: Callable[[Account], Any], new_account: Callable[..., Account], ledger: Ledger
) -> None:
    bidder_account, seller_account = new_account(USDT="800"), new_account(SOL="1")
    bidder, seller = binance(bidder_account), binance(seller_account)
    bid = bidder.create_order(symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity="5", price="140")
    try:
        with pytest.raises(BinanceAPIException) as refused:
            seller.order_market_sell(symbol=SYMBOL, quoteOrderQty="500")  # the bid would take 3.58 SOL
        assert (refused.value.status_code, refused.value.code) == (400, -2010)
        assert ledger.balances(seller_account) == {"SOL": (D(1), D(0))}
        assert bidder.get_order(symbol=SYMBOL, orderId=bid["orderId"])["executedQty"] == "0.00000000"
    finally:
        bidder.cancel_order(symbol=SYMBOL, orderId=bid["orderId"])


def test_python_binance_reads_the_system_status_and_trade_fees(
    binance: Callable[[Account], Any], new_account: Callable[..., Account], exchange: Exchange
) -> None:
    client = binance(new_account())
    client.MARGIN_API_URL = exchange.url + "/sapi"  # where python-binance asks its wallet endpoints

    assert client.get_system_status() == {"status": 0, "msg": "normal"}
    assert client.get_trade_fee(symbol=SYMBOL) == [
        {"symbol": SYMBOL, "makerCommission": "0.00100000", "takerCommission": "0.00100000"}
    ]
    assert {fee["symbol"] for fee in client.get_trade_fee()} == {"BTCUSDT", "ETHUSDT", "ETHBTC", "SOLUSDT", "BNBUSDT"}
    with pytest.raises(BinanceAPIException) as refused:
        client.get_trade_fee(symbol="DOGEUSDT")
    assert refused.value.code == -1121


def test_order_lists_are_refused_as_binance_refuses_them_where_not_allowed(
    binance: Callable[[Account], Any], new_account: Callable[..., Account], ledger: Ledger
) -> None:
    account = new_account(SOL="10")
    client = binance(account)
    assert client.get_symbol_info(SYMBOL)["ocoAllowed"] is False
    before = ledger.balances(account)
    with pytest.raises(BinanceAPIException) as refused:
        client.create_oco_order(symbol=SYMBOL, side="SELL", quantity="1", aboveType="LIMIT_MAKER", abovePrice="500",
                                belowType="STOP_LOSS_LIMIT", belowPrice="100", belowStopPrice="101",
                                belowTimeInForce="GTC")
    assert (refused.value.status_code, refused.value.code, refused.value.message) == (
        400, -2010, "OCO orders are not supported for this symbol.")
    with pytest.raises(BinanceAPIException) as missing:
        client.create_oco_order(side="SELL", quantity="1")
    assert missing.value.code == -1102
    assert ledger.balances(account) == before and ledger.open_orders(account) == []
    assert client.get_open_oco_orders() == []
    assert client.v3_get_all_order_list() == []
    with pytest.raises(BinanceAPIException) as no_list:
        client.v3_get_order_list(orderListId=1)
    assert (no_list.value.code, no_list.value.message) == (-2018, "Order list does not exist.")
    with pytest.raises(BinanceAPIException) as unknown:
        client.v3_delete_order_list(symbol=SYMBOL, orderListId=1)
    assert (unknown.value.code, unknown.value.message) == (-2011, "Unknown order list sent.")
    with pytest.raises(BinanceAPIException) as unnamed:
        client.v3_get_order_list()
    assert unnamed.value.code == -1102
