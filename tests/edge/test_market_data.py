"""Binance's public market data shapes, after a real trade on BNBUSDT (this module's market)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.edge.conftest import Account, Exchange, RawClient, open_account

SYMBOL = "BNBUSDT"


@pytest.fixture(scope="module")
def traded(exchange: Exchange) -> Iterator[httpx.Client]:
    """One resting ask of 1 BNB at 640, of which a market buy took 0.3."""
    maker, taker = open_account(exchange, {"BNB": "1"}), open_account(exchange, {"USDT": "1000"})
    maker_client, taker_client = RawClient(exchange, maker), RawClient(exchange, taker)
    ask = {"symbol": SYMBOL, "side": "SELL", "type": "LIMIT", "timeInForce": "GTC", "quantity": "1", "price": "640"}
    assert maker_client.signed("POST", "/api/v3/order", ask, in_body=True).status_code == 200
    buy = {"symbol": SYMBOL, "side": "BUY", "type": "MARKET", "quantity": "0.3"}
    assert taker_client.signed("POST", "/api/v3/order", buy, in_body=True).json()["status"] == "FILLED"
    http = maker_client.http
    deadline = time.monotonic() + 10
    while http.get("/api/v3/trades", params={"symbol": SYMBOL}).json() == []:
        assert time.monotonic() < deadline, "market data never saw the trade"
        time.sleep(0.05)
    yield http
    maker_client.close()
    taker_client.close()


def get(http: httpx.Client, path: str, **params: str) -> Any:
    response = http.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_ping_time_and_weight_headers(exchange: Exchange) -> None:
    with httpx.Client(base_url=exchange.url, headers={"X-Forwarded-For": "198.51.100.7"}) as http:
        assert http.get("/api/v3/ping").json() == {}
        assert abs(http.get("/api/v3/time").json()["serverTime"] - time.time() * 1000) < 5_000
        info = http.get("/api/v3/exchangeInfo")
        # this client's own IP (X-Forwarded-For from 127.0.0.1 is trusted): 1 + 1 + 20, or 20
        # alone if the minute turned in between
        assert info.headers["X-MBX-USED-WEIGHT-1M"] in ("22", "20")


def test_exchange_info_filters_by_permission_and_status(exchange: Exchange) -> None:
    with httpx.Client(base_url=exchange.url, headers={"X-Forwarded-For": "198.51.100.8"}) as http:
        every = get(http, "/api/v3/exchangeInfo")["symbols"]
        assert every and all(s["permissionSets"] == [["SPOT"]] for s in every)
        assert get(http, "/api/v3/exchangeInfo", permissions="SPOT")["symbols"] == every
        assert get(http, "/api/v3/exchangeInfo", permissions='["MARGIN","SPOT"]')["symbols"] == every
        assert get(http, "/api/v3/exchangeInfo", permissions="MARGIN")["symbols"] == []
        trading = get(http, "/api/v3/exchangeInfo", symbolStatus="TRADING")["symbols"]
        assert trading == [s for s in every if s["status"] == "TRADING"] and trading
        assert get(http, "/api/v3/exchangeInfo", symbolStatus="BREAK")["symbols"] == [
            s for s in every if s["status"] == "BREAK"
        ]
        bare = get(http, "/api/v3/exchangeInfo", symbol=SYMBOL, showPermissionSets="false")["symbols"]
        assert [s["permissionSets"] for s in bare] == [[]]
        for params, code in (({"symbol": SYMBOL, "symbolStatus": "TRADING"}, -1128), ({"symbolStatus": "OPEN"}, -1100),
                             ({"symbol": SYMBOL, "permissions": "SPOT"}, -1128)):
            refused = http.get("/api/v3/exchangeInfo", params=params)
            assert (refused.status_code, refused.json()["code"]) == (400, code), refused.text


def test_market_data_takes_a_symbol_status(exchange: Exchange) -> None:
    # Binance's symbolStatus: one symbol in another status is refused, of all only those in it
    with httpx.Client(base_url=exchange.url, headers={"X-Forwarded-For": "198.51.100.9"}) as http:
        every = {s["symbol"]: s["status"] for s in get(http, "/api/v3/exchangeInfo")["symbols"]}
        assert set(every.values()) == {"TRADING"}
        for path in ("/api/v3/depth", "/api/v3/ticker/24hr", "/api/v3/ticker/price", "/api/v3/ticker/bookTicker",
                     "/api/v3/ticker", "/api/v3/ticker/tradingDay"):
            assert get(http, path, symbol=SYMBOL, symbolStatus="TRADING")
            refused = http.get(path, params={"symbol": SYMBOL, "symbolStatus": "BREAK"})
            assert (refused.status_code, refused.json()) == (400, {
                "code": -1220, "msg": "The symbol's status does not match the requested symbolStatus."}), path
        for path in ("/api/v3/ticker/24hr", "/api/v3/ticker/price", "/api/v3/ticker/bookTicker"):
            assert {t["symbol"] for t in get(http, path, symbolStatus="TRADING")} == set(every), path
            assert get(http, path, symbolStatus="HALT") == [], path
        symbols = f'["{SYMBOL}"]'
        assert get(http, "/api/v3/ticker", symbols=symbols, symbolStatus="HALT") == []
        assert get(http, "/api/v3/ticker/tradingDay", symbols=symbols, symbolStatus="HALT") == []
        assert http.get("/api/v3/ticker/price", params={"symbolStatus": "OPEN"}).json()["code"] == -1100


def test_depth_is_levels_of_price_and_quantity_strings(traded: httpx.Client) -> None:
    depth = get(traded, "/api/v3/depth", symbol=SYMBOL, limit="5")
    assert depth["asks"] == [["640.00000000", "0.70000000"]] and depth["bids"] == []
    assert depth["lastUpdateId"] > 0


def test_trades_historical_trades_and_agg_trades(traded: httpx.Client) -> None:
    (trade,) = get(traded, "/api/v3/trades", symbol=SYMBOL)
    assert set(trade) == {"id", "price", "qty", "quoteQty", "time", "isBuyerMaker", "isBestMatch"}
    assert (trade["price"], trade["qty"], trade["isBuyerMaker"]) == ("640.00000000", "0.30000000", False)
    assert get(traded, "/api/v3/historicalTrades", symbol=SYMBOL, fromId=str(trade["id"])) == [trade]
    (agg,) = get(traded, "/api/v3/aggTrades", symbol=SYMBOL)
    assert (agg["p"], agg["q"], agg["f"], agg["l"], agg["m"], agg["M"]) == (
        "640.00000000", "0.30000000", trade["id"], trade["id"], False, True
    )  # fmt: skip
    assert set(agg) == {"a", "p", "q", "f", "l", "T", "m", "M"}
    over_an_hour = traded.get("/api/v3/aggTrades", params={"symbol": SYMBOL, "startTime": "0", "endTime": "3600001"})
    assert over_an_hour.status_code == 400
    assert over_an_hour.json() == {"code": -1127, "msg": "More than 1 hours between startTime and endTime."}


@pytest.mark.parametrize("path", ["/api/v3/klines", "/api/v3/uiKlines"])
def test_klines_are_arrays_of_twelve(traded: httpx.Client, path: str) -> None:
    (candle,) = get(traded, path, symbol=SYMBOL, interval="1m", limit="500")
    assert len(candle) == 12 and isinstance(candle[0], int) and isinstance(candle[6], int)
    assert candle[1:6] == ["640.00000000"] * 4 + ["0.30000000"] and candle[8] == 1 and candle[11] == "0"


def test_avg_price(traded: httpx.Client) -> None:
    avg = get(traded, "/api/v3/avgPrice", symbol=SYMBOL)
    assert set(avg) == {"mins", "price", "closeTime"} and avg["price"].startswith("640")


def test_tickers_are_an_object_for_symbol_and_a_list_otherwise(traded: httpx.Client) -> None:
    one = get(traded, "/api/v3/ticker/24hr", symbol=SYMBOL)
    assert (one["symbol"], one["lastPrice"], one["volume"], one["count"]) == (SYMBOL, "640.00000000", "0.30000000", 1)
    assert {t["symbol"] for t in get(traded, "/api/v3/ticker/24hr")} >= {SYMBOL, "BTCUSDT", "ETHBTC"}
    two = get(traded, "/api/v3/ticker/24hr", symbols='["BNBUSDT","BTCUSDT"]')
    assert sorted(t["symbol"] for t in two) == ["BNBUSDT", "BTCUSDT"]
    mini = get(traded, "/api/v3/ticker/24hr", symbol=SYMBOL, type="MINI")
    assert "bidPrice" not in mini and mini["lastPrice"] == "640.00000000"
    for path in ("/api/v3/ticker/24hr", "/api/v3/ticker"):
        odd = traded.get(path, params={"symbol": SYMBOL, "type": "TINY"})
        assert (odd.status_code, odd.json()) == (
            400, {"code": -1100, "msg": "Illegal characters found in parameter 'type'; legal range is 'FULL, MINI'."}
        )

    assert get(traded, "/api/v3/ticker/price", symbol=SYMBOL) == {"symbol": SYMBOL, "price": "640.00000000"}
    assert isinstance(get(traded, "/api/v3/ticker/price"), list)
    book = get(traded, "/api/v3/ticker/bookTicker", symbol=SYMBOL)
    assert (book["askPrice"], book["askQty"], book["bidQty"]) == ("640.00000000", "0.70000000", "0.00000000")
    rolling = get(traded, "/api/v3/ticker", symbol=SYMBOL, windowSize="1h")
    assert rolling["count"] == 1 and "prevClosePrice" not in rolling and "bidPrice" not in rolling


def test_the_trading_day_ticker(traded: httpx.Client) -> None:
    day = get(traded, "/api/v3/ticker/tradingDay", symbol=SYMBOL)
    assert set(day) == {"symbol", "priceChange", "priceChangePercent", "weightedAvgPrice", "openPrice", "highPrice",
                        "lowPrice", "lastPrice", "volume", "quoteVolume", "openTime", "closeTime", "firstId",
                        "lastId", "count"}
    assert (day["lastPrice"], day["volume"], day["count"]) == ("640.00000000", "0.30000000", 1)
    day_ms = 86_400_000
    assert day["openTime"] % day_ms == 0 and day["closeTime"] == day["openTime"] + day_ms - 1  # the UTC day
    zoned = get(traded, "/api/v3/ticker/tradingDay", symbols='["BNBUSDT"]', timeZone="5:45", type="MINI")
    assert [(t["symbol"], t["count"]) for t in zoned] == [(SYMBOL, 1)] and "priceChange" not in zoned[0]
    assert (zoned[0]["openTime"] + 345 * 60_000) % day_ms == 0
    for params, expected in (
        ({}, {"code": -1102, "msg": "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."}),
        ({"symbol": SYMBOL, "timeZone": "15"},
         {"code": -1100,
          "msg": "Illegal characters found in parameter 'timeZone'; legal range is '-12:00 to +14:00'."}),
    ):
        refused = traded.get("/api/v3/ticker/tradingDay", params=params)
        assert (refused.status_code, refused.json()) == (400, expected)


def test_new_order_response_types(new_account: Callable[..., Account], raw: Callable[..., RawClient]) -> None:
    client = raw(new_account(USDT="100"))
    order = {"symbol": SYMBOL, "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01", "price": "600"}
    ack = client.signed("POST", "/api/v3/order", {**order, "newOrderRespType": "ACK"}, in_body=True).json()
    assert set(ack) == {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"}
    result = client.signed("POST", "/api/v3/order", {**order, "newOrderRespType": "RESULT"}, in_body=True).json()
    assert "fills" not in result and result["status"] == "NEW"
    full = client.signed("POST", "/api/v3/order", order, in_body=True).json()  # LIMIT defaults to FULL
    assert full["fills"] == []
    maker = {**order, "type": "LIMIT_MAKER"}
    del maker["timeInForce"]
    assert "status" not in client.signed("POST", "/api/v3/order", maker, in_body=True).json()  # others: ACK
    canceled = client.signed("DELETE", "/api/v3/openOrders", {"symbol": SYMBOL}).json()
    assert len(canceled) == 4
    assert {ack["orderId"], result["orderId"], full["orderId"]} <= {c["orderId"] for c in canceled}


def test_trade_ids_are_consecutive_as_binances(
    new_account: Callable[..., Account], raw: Callable[..., RawClient]
) -> None:
    """One market sell takes three bids: its three trades follow each other in the engine (a
    command's trades are never interleaved with other trades), so their ids must too, with no
    gap, whatever traded before. Last in the module: the tests above count this market's trades."""
    maker, taker = raw(new_account(USDT="1000")), raw(new_account(BNB="1"))
    prices = ["630.00000000", "630.00000000", "629.00000000"]
    for price in prices:
        bid = {"symbol": SYMBOL, "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.1",
               "price": price}
        assert maker.signed("POST", "/api/v3/order", bid, in_body=True).status_code == 200
    sell = {"symbol": SYMBOL, "side": "SELL", "type": "MARKET", "quantity": "0.3"}
    filled = taker.signed("POST", "/api/v3/order", sell, in_body=True).json()
    assert filled["status"] == "FILLED", filled
    ids = [fill["tradeId"] for fill in filled["fills"]]
    assert ids == [ids[0], ids[0] + 1, ids[0] + 2]

    http = maker.http
    deadline = time.monotonic() + 10
    while [t["id"] for t in get(http, "/api/v3/trades", symbol=SYMBOL)][-3:] != ids:
        assert time.monotonic() < deadline, "market data never saw the trades"
        time.sleep(0.05)
    public = get(http, "/api/v3/historicalTrades", symbol=SYMBOL, fromId=str(ids[0]))
    assert [(t["id"], t["price"]) for t in public] == list(zip(ids, prices, strict=True))
    aggs = get(http, "/api/v3/aggTrades", symbol=SYMBOL, fromId=str(ids[0]))
    assert [(a["a"], a["f"], a["l"], a["q"]) for a in aggs] == [
        (ids[0], ids[0], ids[1], "0.20000000"),  # l - f + 1 = its 2 trades
        (ids[2], ids[2], ids[2], "0.10000000"),
    ]
