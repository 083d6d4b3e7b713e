"""ccxt's `binance` class, configured exactly as issue 4 shows, trades through the edge; every
result is checked against the exchange's own state (the services, over gRPC)."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal as D
from typing import Any

import ccxt
import pytest

from tests.edge.conftest import Account, Exchange, Ledger, ccxt_client

SYMBOL = "ETH/USDT"  # this module's market: no other test module trades it


def eventually(check: Callable[[], Any], timeout_s: float = 10.0) -> Any:
    """Market data follows the engine's events asynchronously."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition did not hold in time")
        time.sleep(0.05)


def balances_of(client: Any) -> dict[str, tuple[D, D]]:
    balance = client.fetch_balance()
    return {
        asset: (D(str(balance[asset]["free"])), D(str(balance[asset]["used"])))
        for asset in balance["total"]
        if balance[asset]["total"]
    }


def test_load_markets_reads_the_symbol_rules_from_exchange_info(exchange: Exchange) -> None:
    client = ccxt_client(exchange)
    markets = client.load_markets()

    assert {"BTC/USDT", "ETH/USDT", "ETH/BTC", "SOL/USDT", "BNB/USDT"} <= set(markets)
    eth = markets[SYMBOL]
    assert (eth["id"], eth["base"], eth["quote"], eth["spot"], eth["active"]) == ("ETHUSDT", "ETH", "USDT", True, True)
    assert eth["precision"]["price"] == 0.01 and eth["precision"]["amount"] == 0.0001
    assert eth["limits"]["amount"]["min"] == 0.0001 and eth["limits"]["cost"]["min"] == 5.0


def test_ccxt_trades_limit_and_market_orders_both_ways_and_the_books_agree(
    exchange: Exchange, new_account: Callable[..., Account], ledger: Ledger
) -> None:
    maker_account = new_account(ETH="2", USDT="10000")
    taker_account = new_account(USDT="50000")
    maker, taker = ccxt_client(exchange, maker_account), ccxt_client(exchange, taker_account)

    # a resting limit sell, then a market buy and a crossing limit buy take from it
    ask = maker.create_order(SYMBOL, "limit", "sell", 1, 3400)
    assert (ask["status"], ask["filled"], ask["price"]) == ("open", 0.0, 3400.0)
    assert ask["clientOrderId"].startswith("x-")  # ccxt's own id, echoed
    assert ledger.balances(maker_account)["ETH"] == (D(1), D(1))

    bought = taker.create_order(SYMBOL, "market", "buy", 0.4)
    assert (bought["status"], bought["filled"], bought["average"]) == ("closed", 0.4, 3400.0)
    assert [(t["price"], t["amount"], t["fee"]["cost"], t["fee"]["currency"]) for t in bought["trades"]] == [
        (3400.0, 0.4, 0.0004, "ETH")
    ]
    crossed = taker.create_order(SYMBOL, "limit", "buy", 0.1, 3401)
    assert (crossed["status"], crossed["filled"], crossed["average"]) == ("closed", 0.1, 3400.0)

    # a resting limit buy, and a market sell into it
    bid = maker.create_order(SYMBOL, "limit", "buy", 0.2, 3300)
    sold = taker.create_order(SYMBOL, "market", "sell", 0.05)
    assert (sold["status"], sold["filled"], sold["average"]) == ("closed", 0.05, 3300.0)

    # the maker's orders as ccxt sees them, and as the order service holds them
    ask_now = maker.fetch_order(ask["id"], SYMBOL)
    assert (ask_now["status"], ask_now["filled"], ask_now["remaining"]) == ("open", 0.5, 0.5)
    assert D(ledger.order(maker_account, "ETHUSDT", int(ask["id"])).executed_qty) == D("0.5")
    assert {o["id"] for o in maker.fetch_open_orders(SYMBOL)} == {ask["id"], bid["id"]}

    canceled = maker.cancel_order(ask["id"], SYMBOL)
    assert (canceled["id"], canceled["status"], canceled["filled"]) == (ask["id"], "canceled", 0.5)
    assert [o.order_id for o in ledger.open_orders(maker_account)] == [int(bid["id"])]

    # the taker's trades and balances: exact, and equal to the ledger's
    trades = taker.fetch_my_trades(SYMBOL)
    assert [(t["side"], t["price"], t["amount"], t["takerOrMaker"]) for t in trades] == [
        ("buy", 3400.0, 0.4, "taker"),
        ("buy", 3400.0, 0.1, "taker"),
        ("sell", 3300.0, 0.05, "taker"),
    ]
    assert ledger.balances(taker_account) == {"ETH": (D("0.4495"), D(0)), "USDT": (D("48464.835"), D(0))}
    assert balances_of(taker) == ledger.balances(taker_account)
    assert ledger.balances(maker_account) == {"ETH": (D("1.54995"), D(0)), "USDT": (D("11038.3"), D("495"))}
    assert balances_of(maker) == ledger.balances(maker_account)

    # market data reflects the trades
    ticker = eventually(lambda: (t := taker.fetch_ticker(SYMBOL))["last"] == 3300.0 and t)
    assert (ticker["high"], ticker["low"], ticker["baseVolume"]) == (3400.0, 3300.0, 0.55)
    book = eventually(lambda: (b := taker.fetch_order_book(SYMBOL))["bids"] == [[3300.0, 0.15]] and b)
    assert book["asks"] == [] and book["nonce"] > 0
    public = taker.fetch_trades(SYMBOL)
    assert [(t["side"], t["price"], t["amount"]) for t in public[-2:]] == [("buy", 3400.0, 0.1), ("sell", 3300.0, 0.05)]
    candles = taker.fetch_ohlcv(SYMBOL, "1m")
    assert sum(c[5] for c in candles) == pytest.approx(0.55) and candles[-1][4] == 3300.0
    tickers = taker.fetch_tickers([SYMBOL, "BTC/USDT"])
    assert set(tickers) == {SYMBOL, "BTC/USDT"} and tickers[SYMBOL]["last"] == 3300.0

    maker.cancel_order(bid["id"], SYMBOL)
    assert ledger.balances(maker_account)["USDT"] == (D("11533.3"), D(0))


def test_ccxt_sees_binance_errors_as_its_own_exception_classes(
    exchange: Exchange, new_account: Callable[..., Account], ledger: Ledger
) -> None:
    account = new_account(USDT="100")
    client = ccxt_client(exchange, account)
    with pytest.raises(ccxt.InsufficientFunds):
        client.create_order(SYMBOL, "limit", "buy", 1, 3000)
    with pytest.raises(ccxt.OrderNotFound):
        client.cancel_order("999999999", SYMBOL)
    with pytest.raises(ccxt.InvalidOrder):
        client.create_order(SYMBOL, "limit", "buy", 0.01, 2_000_000)  # above PRICE_FILTER's maxPrice
    wrong = ccxt_client(exchange, Account(account.user_id, "", "", account.api_key, "not-the-secret"))
    with pytest.raises(ccxt.AuthenticationError):
        wrong.fetch_balance()
    assert ledger.balances(account) == {"USDT": (D(100), D(0))}
    assert ledger.open_orders(account) == []


def test_ccxt_reads_the_system_status_and_trading_fees_from_the_wallet_endpoints(
    exchange: Exchange, new_account: Callable[..., Account]
) -> None:
    client = ccxt_client(exchange, new_account())
    client.urls["api"]["sapi"] = exchange.url + "/sapi/v1"  # Binance's wallet API, beside /api/v3

    assert client.fetch_status()["status"] == "ok"
    fees = client.fetch_trading_fees()
    assert {"BTC/USDT", "ETH/USDT", "ETH/BTC", "SOL/USDT", "BNB/USDT"} <= set(fees)
    assert (fees[SYMBOL]["maker"], fees[SYMBOL]["taker"]) == (0.001, 0.001)
    assert client.fetch_trading_fee(SYMBOL)["taker"] == 0.001
    # the same rates as the account's own commission endpoint
    commission = client.privateGetAccountCommission({"symbol": "ETHUSDT"})["standardCommission"]
    assert float(commission["taker"]) == fees[SYMBOL]["taker"]
