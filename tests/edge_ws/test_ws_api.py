"""/ws-api/v3: the WebSocket API's user data stream subscription, which ccxt pro (watch_balance,
watch_orders, watch_my_trades) and python-binance's user socket use instead of a listenKey."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from exchange.v1 import user_pb2
from services.common.caller import caller_metadata
from tests.edge_ws.conftest import Edge, Trader, Traders
from tests.edge_ws.wsclient import connect

SYMBOL = "ETHBTC"


async def api_key(trader: Trader) -> tuple[str, str]:
    reply = await trader.users.CreateApiKey(user_pb2.CreateApiKeyRequest(), metadata=caller_metadata(trader.user_id))
    return reply.key.api_key, reply.secret_key


def without_rate_limits(answer: dict[str, Any]) -> dict[str, Any]:
    """An answer without its rateLimits list (tests/edge_ws/test_ws_api_requests.py checks them)."""
    return {name: value for name, value in answer.items() if name != "rateLimits"}


def signed(key: str, secret: str, **params: Any) -> dict[str, Any]:
    """As python-binance signs WebSocket API params: sorted by name, urlencoded, HMAC-SHA256."""
    params = dict(sorted({"apiKey": key, "timestamp": time.time_ns() // 1_000_000, **params}.items()))
    signature = hmac.new(secret.encode(), urlencode(params).encode(), hashlib.sha256).hexdigest()
    return {**params, "signature": signature}


async def test_a_signed_subscription_streams_the_accounts_events(edge: Edge, traders: Traders) -> None:
    seller, buyer = await traders.funded(ETH="5"), await traders.funded(BTC="1")
    key, secret = await api_key(seller)
    async with connect(edge.ws + "/ws-api/v3") as api:
        await api.send({"id": "sub-1", "method": "userDataStream.subscribe.signature", "params": signed(key, secret)})
        assert without_rate_limits(await api.recv()) == {"id": "sub-1", "status": 200, "result": {"subscriptionId": 0}}
        # below every ask the other tests of the session leave on ETHBTC, so this buy takes it
        resting = await seller.place(SYMBOL, "SELL", "1.000", "0.03010")
        await buyer.place(SYMBOL, "BUY", "0.400", "0.03010")
        new = await api.event(lambda m: m.get("event", {}).get("x") == "NEW")
        fill = await api.event(lambda m: m.get("event", {}).get("x") == "TRADE")
        position = await api.event(lambda m: m.get("event", {}).get("e") == "outboundAccountPosition")
    assert new["subscriptionId"] == 0 and new["event"]["i"] == resting.order.order_id
    assert (fill["event"]["X"], Decimal(fill["event"]["l"])) == ("PARTIALLY_FILLED", Decimal("0.4"))
    assert {b["a"] for b in position["event"]["B"]} >= {"ETH"}


async def test_a_bad_signature_or_key_is_refused_with_binances_error_and_the_connection_stays(
    edge: Edge, traders: Traders
) -> None:
    trader = await traders.funded(BTC="1")
    key, secret = await api_key(trader)
    async with connect(edge.ws + "/ws-api/v3") as api:
        forged = {**signed(key, secret), "signature": "0" * 64}
        await api.send({"id": 1, "method": "userDataStream.subscribe.signature", "params": forged})
        assert without_rate_limits(await api.recv()) == {
            "id": 1, "status": 400, "error": {"code": -1022, "msg": "Signature for this request is not valid."},
        }
        await api.send({"id": 2, "method": "userDataStream.subscribe.signature", "params": signed("x" * 64, secret)})
        assert (await api.recv())["error"]["code"] == -2015
        await api.send({"id": 3, "method": "no.such.method", "params": {}})
        assert (await api.recv())["status"] == 400
        await api.send({"id": 4, "method": "ping"})
        assert without_rate_limits(await api.recv()) == {"id": 4, "status": 200, "result": {}}


async def test_after_unsubscribing_no_more_events_arrive(edge: Edge, traders: Traders) -> None:
    trader = await traders.funded(ETH="5")
    key, secret = await api_key(trader)
    async with connect(edge.ws + "/ws-api/v3") as api:
        await api.send({"id": 1, "method": "userDataStream.subscribe.signature", "params": signed(key, secret)})
        await api.recv()
        await api.send({"id": 2, "method": "userDataStream.unsubscribe", "params": {"subscriptionId": 0}})
        assert without_rate_limits(await api.recv()) == {"id": 2, "status": 200, "result": {}}
        terminated = await api.recv()  # ccxt pro drops its subscription on this
        assert terminated["subscriptionId"] == 0 and terminated["event"]["e"] == "eventStreamTerminated"
        # gone already (python-binance's ThreadedWebsocketManager.stop sends this): no error, as Binance
        await api.send({"id": 5, "method": "userDataStream.unsubscribe", "params": {"subscriptionId": 0}})
        assert without_rate_limits(await api.recv()) == {"id": 5, "status": 200, "result": {}}
        await api.send({"id": 6, "method": "userDataStream.unsubscribe", "params": {"subscriptionId": "x1"}})
        assert (await api.recv())["error"]["code"] == -1100
        await trader.place(SYMBOL, "SELL", "0.100", "0.03900")
        await api.send({"id": 3, "method": "ping"})
        pong = without_rate_limits(await api.recv())
        assert pong == {"id": 3, "status": 200, "result": {}}, "no event came before the pong"


async def test_a_subscription_ends_when_the_key_that_signed_it_is_revoked(edge: Edge, traders: Traders) -> None:
    trader = await traders.funded(ETH="5")
    key, secret = await api_key(trader)
    async with connect(edge.ws + "/ws-api/v3") as api:
        await api.send({"id": 1, "method": "userDataStream.subscribe.signature", "params": signed(key, secret)})
        assert (await api.recv())["result"] == {"subscriptionId": 0}
        # revoked elsewhere (another edge, the web UI's logout): this edge learns it within its
        # key cache's TTL plus a recheck
        revoke = user_pb2.RevokeApiKeyRequest(api_key=key)
        await trader.users.RevokeApiKey(revoke, metadata=caller_metadata(trader.user_id))
        terminated = await api.event(lambda m: m.get("event", {}).get("e") == "eventStreamTerminated", timeout=10)
        assert terminated["subscriptionId"] == 0
        await trader.place(SYMBOL, "SELL", "0.100", "0.03900")  # the account's events go on, not to here
        await api.send({"id": 2, "method": "session.subscriptions"})
        listed = without_rate_limits(await api.recv())
        assert listed == {"id": 2, "status": 200, "result": []}, "no event came before the answer"


async def test_the_session_tells_its_subscriptions_and_order_lists_get_the_rest_answers(
    edge: Edge, traders: Traders
) -> None:
    trader = await traders.funded(ETH="1")
    key, secret = await api_key(trader)
    before = time.time_ns() // 1_000_000
    async with connect(edge.ws + "/ws-api/v3") as api:
        await api.send({"id": 1, "method": "session.status"})
        status = without_rate_limits(await api.recv())["result"]
        assert (status["apiKey"], status["authorizedSince"], status["userDataStream"]) == (None, None, False)
        assert before - 5_000 <= status["connectedSince"] <= status["serverTime"]
        await api.send({"id": 2, "method": "userDataStream.subscribe.signature", "params": signed(key, secret)})
        await api.recv()
        await api.send({"id": 3, "method": "session.subscriptions"})
        assert without_rate_limits(await api.recv()) == {"id": 3, "status": 200, "result": [{"subscriptionId": 0}]}
        await api.send({"id": 4, "method": "session.status"})
        assert (await api.recv())["result"]["userDataStream"] is True

        await api.send({"id": 5, "method": "allOrderLists", "params": signed(key, secret)})
        assert without_rate_limits(await api.recv()) == {"id": 5, "status": 200, "result": []}
        await api.send({"id": 6, "method": "openOrderLists.status", "params": signed(key, secret)})
        assert (await api.recv())["result"] == []
        oco = signed(key, secret, symbol=SYMBOL, side="SELL", quantity="0.1", aboveType="LIMIT_MAKER",
                     abovePrice="0.05", belowType="STOP_LOSS", belowStopPrice="0.02")  # fmt: skip
        await api.send({"id": 7, "method": "orderList.place.oco", "params": oco})
        assert (await api.recv())["error"]["code"] == -2010
        await api.send({"id": 8, "method": "orderList.status", "params": signed(key, secret, orderListId=1)})
        assert (await api.recv())["error"] == {"code": -2018, "msg": "Order list does not exist."}
        cancel = signed(key, secret, symbol=SYMBOL, orderListId=1)
        await api.send({"id": 9, "method": "orderList.cancel", "params": cancel})
        assert (await api.recv())["error"] == {"code": -2011, "msg": "Unknown order list sent."}
        await api.send({"id": 10, "method": "openOrders.status", "params": signed(key, secret)})
        assert (await api.recv())["result"] == []  # the refused list placed nothing


@contextlib.asynccontextmanager
async def pro_client(edge: Edge, key: str, secret: str, **options: Any) -> AsyncIterator[Any]:
    import ccxt.pro

    exchange = ccxt.pro.binance({
        "apiKey": key, "secret": secret,
        "urls": {"api": {"public": edge.http + "/api/v3", "private": edge.http + "/api/v3",
                         "ws": {"spot": edge.ws + "/ws", "ws-api": {"spot": edge.ws + "/ws-api/v3"}}}},
        "options": {"fetchMarkets": {"types": ["spot"]}, "fetchCurrencies": False, "fetchMargins": False,
                    **options},
    })  # fmt: skip
    try:
        await exchange.load_markets()
        yield exchange
    finally:
        await exchange.close()


async def subscribed(edge: Edge, user_id: int) -> None:
    """Until the edge routes the user's events (a watch_* call returns only with an update)."""
    for _ in range(200):
        if user_id in edge.endpoints.context.user_events._by_user:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"user {user_id} never subscribed")


async def watching(exchange: Any, message_hash: str) -> None:
    """Until ccxt waits for `message_hash` (its watch_* returns only with the next update)."""
    for _ in range(200):
        if any(message_hash in client.futures for client in exchange.clients.values()):
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"ccxt never waited for {message_hash}")


async def test_ccxt_pro_watches_its_orders_and_balance(edge: Edge, traders: Traders) -> None:
    seller = await traders.funded(ETH="5")
    key, secret = await api_key(seller)
    async with pro_client(edge, key, secret) as exchange:
        orders = asyncio.ensure_future(exchange.watch_orders("ETH/BTC"))
        balance = asyncio.ensure_future(exchange.watch_balance())
        await subscribed(edge, seller.user_id)
        await watching(exchange, "spot:balance")
        resting = await seller.place(SYMBOL, "SELL", "1.000", "0.03600")
        (watched,) = await asyncio.wait_for(orders, 10)
        assert (watched["id"], watched["status"], watched["side"]) == (str(resting.order.order_id), "open", "sell")
        seen = await asyncio.wait_for(balance, 10)  # the lock of the new order, announced with it
        assert (Decimal(str(seen["ETH"]["free"])), Decimal(str(seen["ETH"]["used"]))) == (Decimal(4), Decimal(1))


async def test_ccxt_pro_sees_a_deposit_in_watch_balance(edge: Edge, traders: Traders) -> None:
    trader = await traders.funded(ETH="5")
    key, secret = await api_key(trader)
    async with pro_client(edge, key, secret, watchBalance={"fetchBalanceSnapshot": True}) as exchange:
        balance = asyncio.ensure_future(exchange.watch_balance())
        await subscribed(edge, trader.user_id)
        await watching(exchange, "spot:balance")  # once ccxt holds its snapshot (5 ETH, over REST)
        await trader.deposit("ETH", "0.75")
        seen = await asyncio.wait_for(balance, 10)  # the balanceUpdate: ccxt adds `d` to free
        assert Decimal(str(seen["ETH"]["free"])) == Decimal("5.75")
        for _ in range(100):  # then the outboundAccountPosition sets free and used
            cached = exchange.balance["spot"]["ETH"]
            if cached["used"] is not None:
                break
            await asyncio.sleep(0.05)
    assert (Decimal(str(cached["free"])), Decimal(str(cached["used"])), Decimal(str(cached["total"]))) == (
        Decimal("5.75"), Decimal(0), Decimal("5.75"),
    )
