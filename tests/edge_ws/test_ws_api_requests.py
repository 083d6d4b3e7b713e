"""/ws-api/v3 requests: REST's operations over one WebSocket (order.place, order.status,
order.cancel, account.status, depth, ...), with Binance's envelope, rateLimits and errors, driven
raw and by ccxt pro's *_ws methods and python-binance's ws_* methods.

ETHUSDT is this module's market (test_ccxt_pro trades it too, leaving nothing resting): every
test cancels what it leaves, so the book is empty between tests."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from decimal import Decimal as D
from typing import Any
from urllib.parse import urlencode

import orjson
import pytest
import websockets

from edge.ws import WsLimits
from edge.ws.limits import MAX_MESSAGE_BYTES
from tests.e2e.platform import Platform
from tests.edge_ws.conftest import Edge, Trader, Traders, serve_edge
from tests.edge_ws.test_ws_api import api_key, pro_client
from tests.edge_ws.wsclient import Client, connect

SYMBOL, MARKET = "ETHUSDT", "ETH/USDT"


class WsApi:
    """One /ws-api/v3 connection of one API key, signing as Binance documents it (params sorted
    by name, `key=value&...`, not URL-encoded: ccxt's way) or, with `quoted`, URL-encoded
    (python-binance's way)."""

    def __init__(self, client: Client, key: str, secret: str, quoted: bool = False) -> None:
        self.client, self.key, self.secret, self.quoted = client, key, secret, quoted
        self._ids = itertools.count(1)

    def sign(self, **params: Any) -> dict[str, Any]:
        params = dict(sorted({"apiKey": self.key, "timestamp": time.time_ns() // 1_000_000, **params}.items()))
        texts = {k: ("true" if v is True else "false" if v is False else str(v)) for k, v in params.items()}
        payload = urlencode(texts) if self.quoted else "&".join(f"{k}={v}" for k, v in texts.items())
        return {**params, "signature": hmac.new(self.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()}

    async def call(self, method: str, params: dict[str, Any] | None = None, signed: bool = True) -> dict[str, Any]:
        rid = f"r{next(self._ids)}"
        message: dict[str, Any] = {"id": rid, "method": method}
        if params is not None or signed:
            message["params"] = self.sign(**(params or {})) if signed else params
        await self.client.send(message)
        reply: dict[str, Any] = await self.client.reply_to(rid)
        return reply

    async def ok(self, method: str, params: dict[str, Any] | None = None, signed: bool = True) -> Any:
        reply = await self.call(method, params, signed)
        assert reply["status"] == 200, reply
        return reply["result"]


@contextlib.asynccontextmanager
async def ws_api(edge: Edge, trader: Trader, quoted: bool = False, query: str = "") -> AsyncIterator[WsApi]:
    key, secret = await api_key(trader)
    async with connect(edge.ws + "/ws-api/v3" + query) as client:
        yield WsApi(client, key, secret, quoted)


def balance(account: dict[str, Any], asset: str) -> tuple[Decimal, Decimal]:
    found = next((b for b in account["balances"] if b["asset"] == asset), {"free": "0", "locked": "0"})
    return Decimal(found["free"]), Decimal(found["locked"])


async def test_orders_placed_queried_and_canceled_over_the_websocket_api(edge: Edge, traders: Traders) -> None:
    seller, buyer = await traders.funded(ETH="2"), await traders.funded(USDT="10000")
    async with ws_api(edge, seller) as sell, ws_api(edge, buyer, quoted=True) as buy:
        placed = await sell.call("order.place", {
            "symbol": SYMBOL, "side": "SELL", "type": "LIMIT", "timeInForce": "GTC",
            "quantity": "0.5000", "price": "3399.00", "newClientOrderId": "ws-api-sell-1",
        })  # fmt: skip
        assert placed["status"] == 200 and placed["id"] == "r1"
        order = placed["result"]
        assert (order["status"], order["clientOrderId"], D(order["origQty"])) == ("NEW", "ws-api-sell-1", D("0.5"))
        kinds = {(r["rateLimitType"], r["interval"]): r for r in placed["rateLimits"]}
        assert kinds[("ORDERS", "SECOND")]["count"] >= 1 and kinds[("REQUEST_WEIGHT", "MINUTE")]["count"] >= 1

        status = await sell.ok("order.status", {"symbol": SYMBOL, "origClientOrderId": "ws-api-sell-1"})
        assert (status["orderId"], status["status"]) == (order["orderId"], "NEW")

        # the other connection signs URL-encoded values (python-binance), and takes 0.2 of it
        taken = await buy.ok("order.place", {
            "symbol": SYMBOL, "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
            "quantity": "0.2000", "price": "3399.00", "newOrderRespType": "FULL", "newClientOrderId": "ws:buy/1",
        })  # fmt: skip  (":" and "/" are escaped when URL-encoded: the plain join would not verify)
        assert taken["clientOrderId"] == "ws:buy/1"
        assert taken["status"] == "FILLED"
        assert [(D(f["price"]), D(f["qty"])) for f in taken["fills"]] == [(D("3399"), D("0.2"))]

        reply = await sell.call("account.status", {"returnRateLimits": False})
        assert "rateLimits" not in reply
        assert balance(reply["result"], "ETH") == (Decimal("1.5"), Decimal("0.3"))
        assert balance(reply["result"], "USDT")[0] == Decimal("0.2") * Decimal("3399") * (1 - Decimal("0.001"))

        (open_order,) = await sell.ok("openOrders.status", {"symbol": SYMBOL})
        assert (open_order["orderId"], D(open_order["executedQty"])) == (order["orderId"], D("0.2"))
        (trade,) = await sell.ok("myTrades", {"symbol": SYMBOL})
        assert (trade["orderId"], D(trade["qty"]), trade["isMaker"]) == (order["orderId"], D("0.2"), True)

        canceled = await sell.ok("order.cancel", {"symbol": SYMBOL, "orderId": order["orderId"]})
        assert (canceled["status"], D(canceled["executedQty"])) == ("CANCELED", D("0.2"))
        assert balance(await sell.ok("account.status"), "ETH") == (Decimal("1.8"), Decimal("0"))
        assert await sell.ok("openOrders.status", {"symbol": SYMBOL}) == []


async def test_a_refused_request_changes_nothing_and_keeps_the_connection(edge: Edge, traders: Traders) -> None:
    trader = await traders.funded(ETH="1")
    async with ws_api(edge, trader) as api:
        before = await api.ok("account.status")
        too_much = await api.call("order.place", {
            "symbol": SYMBOL, "side": "SELL", "type": "LIMIT", "timeInForce": "GTC", "quantity": "5.0000",
            "price": "3500.00",
        })  # fmt: skip
        assert (too_much["status"], too_much["error"]["code"]) == (400, -2010)
        assert any(r["rateLimitType"] == "ORDERS" for r in too_much["rateLimits"])

        forged = api.sign(symbol=SYMBOL, side="SELL", type="MARKET", quantity="0.1000")
        forged["signature"] = "0" * 64
        await api.client.send({"id": "forged", "method": "order.place", "params": forged})
        reply = await api.client.reply_to("forged")
        assert reply["error"] == {"code": -1022, "msg": "Signature for this request is not valid."}

        # a value holding "&" signed as the plain join could be read as other params: refused
        sneaky = api.sign(symbol=SYMBOL, side="SELL", type="MARKET", quantity="0.1000", newClientOrderId="a&b=c")
        await api.client.send({"id": "sneaky", "method": "order.place", "params": sneaky})
        assert (await api.client.reply_to("sneaky"))["error"]["code"] == -1022
        await api.client.send({"id": "big", "method": "order.place", "params": {"pad": "x" * 70_000}})
        too_big = await api.client.recv()  # refused unread: its id is not known
        assert (too_big["id"], too_big["status"], too_big["error"]["code"]) == (None, 400, -1101)
        too_many = await api.call("order.place", {f"p{i}": "1" for i in range(70)})
        assert (too_many["status"], too_many["error"]["code"]) == (400, -1101)

        missing = await api.call("order.place", {"symbol": SYMBOL, "type": "MARKET", "quantity": "0.1000"})
        assert missing["error"]["code"] == -1102 and "side" in missing["error"]["msg"]
        stale = await api.call("order.status", {"symbol": SYMBOL, "orderId": 1, "timestamp": 1_000})
        assert stale["error"]["code"] == -1021
        unknown = await api.call("order.status", {"symbol": SYMBOL, "orderId": 999_999_999})
        assert (unknown["status"], unknown["error"]["code"]) == (400, -2013)
        assert (await api.call("depth", {"symbol": "NOPEUSDT"}, signed=False))["error"]["code"] == -1121

        await api.client.send("{not json")
        garbage = await api.client.recv()
        assert (garbage["id"], garbage["status"], garbage["error"]["code"]) == (None, 400, -1000)
        assert (await api.call("no.such.method", {}, signed=False))["status"] == 400
        await api.client.send({"id": {"an": "object"}, "method": "ping"})  # ids are numbers, strings or null
        assert (await api.client.recv())["error"]["code"] == -1102
        await api.client.send({"id": "list", "method": "ping", "params": ["not", "an", "object"]})
        assert (await api.client.reply_to("list"))["error"]["code"] == -1102

        assert (await api.ok("account.status"))["balances"] == before["balances"]
        assert await api.ok("openOrders.status", {"symbol": SYMBOL}) == []


async def test_market_data_requests_take_json_arrays_and_the_version_prefix(edge: Edge, traders: Traders) -> None:
    trader = await traders.funded()
    async with ws_api(edge, trader, query="?returnRateLimits=false") as api:
        reply = await api.call("v3/ping", None, signed=False)
        assert reply == {"id": reply["id"], "status": 200, "result": {}}  # no rateLimits: the URL said so
        assert "rateLimits" in await api.call("time", {"returnRateLimits": True}, signed=False)
        book = await api.ok("depth", {"symbol": SYMBOL, "limit": 5}, signed=False)
        assert set(book) == {"lastUpdateId", "bids", "asks"}
        prices = await api.ok("ticker.price", {"symbols": ["BTCUSDT", "ETHBTC"]}, signed=False)
        assert [p["symbol"] for p in prices] == ["BTCUSDT", "ETHBTC"]
        info = await api.ok("exchangeInfo", {"symbols": [SYMBOL]}, signed=False)
        assert [s["symbol"] for s in info["symbols"]] == [SYMBOL]
        assert (await api.ok("avgPrice", {"symbol": SYMBOL}, signed=False)).keys() >= {"mins", "price"}


async def test_ccxt_pro_trades_over_the_websocket_api(edge: Edge, traders: Traders) -> None:
    seller, buyer = await traders.funded(ETH="1"), await traders.funded(USDT="5000")
    seller_key, seller_secret = await api_key(seller)
    buyer_key, buyer_secret = await api_key(buyer)
    async with pro_client(edge, seller_key, seller_secret) as ex, pro_client(edge, buyer_key, buyer_secret) as bx:
        resting = await ex.create_order_ws(MARKET, "limit", "sell", 0.3, 3401)
        assert (resting["status"], resting["amount"], resting["price"]) == ("open", 0.3, 3401)
        fetched = await ex.fetch_order_ws(resting["id"], MARKET)
        assert (fetched["id"], fetched["status"]) == (resting["id"], "open")
        assert [o["id"] for o in await ex.fetch_open_orders_ws(MARKET)] == [resting["id"]]

        taken = await bx.create_order_ws(MARKET, "market", "buy", 0.1)
        assert (taken["status"], taken["filled"], taken["average"]) == ("closed", 0.1, 3401)
        (trade,) = await ex.fetch_my_trades_ws(MARKET)
        assert (trade["order"], trade["amount"], trade["price"], trade["takerOrMaker"]) == (
            resting["id"], 0.1, 3401, "maker",
        )  # fmt: skip
        candle = (await bx.fetch_ohlcv_ws(MARKET, "1m", limit=1))[-1]
        assert candle[4] == 3401  # the close: the trade just made

        # edit_order_ws is order.cancelReplace: the rest of the order moves to a new price
        moved = await ex.edit_order_ws(resting["id"], MARKET, "limit", "sell", 0.2, 3405)
        assert (moved["status"], moved["price"], moved["amount"]) == ("open", 3405, 0.2)
        assert (await ex.fetch_order_ws(resting["id"], MARKET))["status"] == "canceled"
        canceled = await ex.cancel_all_orders_ws(MARKET)
        assert [(o["id"], o["status"]) for o in canceled] == [(moved["id"], "canceled")]
        # (not fetch_balance_ws: ccxt 4.5.90 parses account.status without the market type, and
        # finds no spot balances in it, whatever the server)
        wallet = await ex.fetch_balance()
        assert (wallet["ETH"]["free"], wallet["ETH"]["used"]) == (pytest.approx(0.9), 0)
        assert wallet["USDT"]["free"] == pytest.approx(0.1 * 3401 * 0.999)


# python-binance 1.0.37 imports websockets 17's deprecated legacy API (not ours to fix)
@pytest.mark.filterwarnings("ignore:websockets.:DeprecationWarning")
async def test_python_binance_trades_over_the_websocket_api(edge: Edge, traders: Traders) -> None:
    from binance import AsyncClient

    trader = await traders.funded(ETH="1")
    key, secret = await api_key(trader)

    class LocalClient(AsyncClient):
        API_URL = edge.http + "/api"
        WS_API_URL = edge.ws + "/ws-api/v3"

    client = await LocalClient.create(key, secret)
    try:
        placed = await client.ws_create_order(
            symbol=SYMBOL, side="SELL", type="LIMIT", timeInForce="GTC", quantity="0.2500", price="3402.00"
        )
        assert placed["status"] == "NEW" and placed["clientOrderId"].startswith(client.SPOT_ORDER_PREFIX)
        got = await client.ws_get_order(symbol=SYMBOL, orderId=placed["orderId"])
        assert (got["status"], D(got["origQty"])) == ("NEW", D("0.25"))
        account = await client.ws_get_account()
        assert balance(account, "ETH") == (Decimal("0.75"), Decimal("0.25"))
        canceled = await client.ws_cancel_order(symbol=SYMBOL, orderId=placed["orderId"])
        assert canceled["status"] == "CANCELED"
        assert (await client.ws_get_order_book(symbol=SYMBOL, limit=5)).keys() >= {"bids", "asks"}
    finally:
        await client.close_connection()


async def test_requests_spend_the_ips_weight_and_a_banned_ip_is_disconnected(
    platform: Platform, traders: Traders, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No per-message cap as on the stream connections (trading would hit it): every request
    costs its REST weight, malformed ones too, 429 past the limit and 418, then closed, for an
    IP that keeps going."""
    monkeypatch.setenv("SPOTEX_EDGE_WEIGHT_PER_MINUTE", "30")
    monkeypatch.setenv("SPOTEX_EDGE_STRIKES_BEFORE_BAN", "3")
    into_minute_s = time.time() % 60  # the counts below start afresh at each UTC minute
    if into_minute_s > 40:
        await asyncio.sleep(60.2 - into_minute_s)
    async with serve_edge(platform) as edge, connect(edge.ws + "/ws-api/v3") as client:
        api = WsApi(client, "", "")
        first = await api.call("ping", None, signed=False)
        assert first["rateLimits"] == [{
            "rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 30, "count": 3,
        }]  # fmt: skip  (2 for connecting, 1 for the ping)
        await client.send("garbage")
        assert (await client.recv())["rateLimits"][0]["count"] == 4
        replies = []
        with contextlib.suppress(websockets.ConnectionClosed):
            for _ in range(40):
                replies.append(await api.call("ping", None, signed=False))
        statuses = [reply["status"] for reply in replies]
        assert statuses == [200] * 26 + [429] * 3 + [418], str(statuses)  # and then the edge hung up
        for refused in replies[-4:]:  # as Binance: until when to back off
            assert refused["error"]["code"] == -1003 and refused["error"]["data"]["retryAfter"] > time.time() * 1000
        async with connect(edge.ws + "/ws-api/v3") as again:  # a banned IP is not served
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await again.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.reason == "banned"


async def test_an_answer_larger_than_the_event_backlog_is_delivered(platform: Platform, traders: Traders) -> None:
    """The backlog bound drops a client that does not read its pushed events; a request's own
    answer (exchangeInfo is kilobytes) is always delivered."""
    async with serve_edge(platform, WsLimits(backlog_bytes=2_000)) as edge, connect(edge.ws + "/ws-api/v3") as client:
        api = WsApi(client, "", "")
        info = await api.ok("exchangeInfo", None, signed=False)
        assert len(orjson.dumps(info)) > 2_000 and {s["symbol"] for s in info["symbols"]} >= {SYMBOL}
        assert await api.ok("ping", None, signed=False) == {}
        await client.send("x" * (MAX_MESSAGE_BYTES + 1))  # the transport refuses a frame this large
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await client.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009  # message too big
