"""The user data stream on /ws/<listenKey>: an account's own executionReports, balances and
balanceUpdates (deposits, withdrawals), and listenKeyExpired when the key goes."""

from __future__ import annotations

import asyncio
from decimal import ROUND_DOWN, Decimal

import grpc
import httpx
import pytest
import websockets

from edge.ws import WsLimits
from exchange.v1 import tradeproc_pb2, tradeproc_pb2_grpc
from tests.e2e.platform import Platform
from tests.edge_ws.conftest import Edge, Traders, serve_edge
from tests.edge_ws.test_ws_api import api_key as api_key_of
from tests.edge_ws.test_ws_api import subscribed
from tests.edge_ws.wsclient import connect

SYMBOL = "ETHBTC"


async def test_fills_reach_the_owner_as_execution_reports_and_account_positions(edge: Edge, traders: Traders) -> None:
    seller = await traders.funded(ETH="5")
    buyer = await traders.funded(BTC="1")
    price = await _below_every_ask(edge)  # the buy below must take this test's own ask
    async with connect(edge.ws + "/ws/" + await seller.listen_key()) as seller_socket, connect(
        edge.ws + "/ws/" + await buyer.listen_key()
    ) as buyer_socket:
        resting = await seller.place(SYMBOL, "SELL", "1.000", str(price))
        await buyer.place(SYMBOL, "BUY", "0.400", str(price))
        seller_saw = await seller_socket.first_of_each(
            new=lambda m: m["e"] == "executionReport" and m["x"] == "NEW",
            fill=lambda m: m["e"] == "executionReport" and m["x"] == "TRADE",
            position=lambda m: m["e"] == "outboundAccountPosition",
        )
        after_fill = await seller_socket.event(lambda m: m.get("e") == "outboundAccountPosition")
        buyer_fill = await buyer_socket.event(lambda m: m.get("e") == "executionReport" and m["x"] == "TRADE")
    fill = seller_saw["fill"]
    received = Decimal("0.4") * price
    fee = (received * Decimal("0.001")).quantize(Decimal("1e-8"), rounding=ROUND_DOWN)  # 0.1 %, in BTC's units
    assert fill["s"] == SYMBOL and fill["i"] == resting.order.order_id and fill["S"] == "SELL"
    assert Decimal(fill["l"]) == Decimal("0.4") and Decimal(fill["L"]) == price
    assert fill["X"] == "PARTIALLY_FILLED"
    assert fill["m"] is True and seller_saw["new"]["X"] == "NEW"
    # as Binance: the lock of the placement comes with the NEW, the fill's balances after it
    assert seller_saw["position"]["B"] == [{"a": "ETH", "f": "4.00000000", "l": "1.00000000"}]
    assert {b["a"]: (Decimal(b["f"]), Decimal(b["l"])) for b in after_fill["B"]} == {
        "ETH": (Decimal(4), Decimal("0.6")), "BTC": (received - fee, Decimal(0)),
    }
    assert buyer_fill["S"] == "BUY" and buyer_fill["X"] == "FILLED" and buyer_fill["m"] is False
    # every key Binance sends (python-binance and the official SDKs map them all)
    assert set(fill) == set("eEscSofqpPFgCxXrilzLnNTtIwmMOZYQWV")
    assert fill["I"] > seller_saw["new"]["I"] > 0  # the engine seq of each event


async def _below_every_ask(edge: Edge) -> Decimal:
    """A price one tick under the best ask the session's other tests left on the book, above
    its best bid: a taker at it meets only what is placed at it."""
    async with httpx.AsyncClient(base_url=edge.http, timeout=10) as http:
        depth = (await http.get("/api/v3/depth", params={"symbol": SYMBOL, "limit": 5})).json()
    price = (Decimal(depth["asks"][0][0]) if depth["asks"] else Decimal("0.05")) - Decimal("0.00001")
    assert not depth["bids"] or price > Decimal(depth["bids"][0][0])
    return price.quantize(Decimal("0.00001"))


async def test_a_cancel_is_reported_under_the_client_id_its_answer_gave(edge: Edge, traders: Traders) -> None:
    trader = await traders.funded(ETH="1")
    async with connect(edge.ws + "/ws/" + await trader.listen_key()) as socket:
        placed = await trader.place(SYMBOL, "SELL", "0.100", "0.09000")
        canceled = await trader.cancel(SYMBOL, placed.order.order_id)
        saw = await socket.first_of_each(canceled=lambda m: m.get("e") == "executionReport" and m["x"] == "CANCELED")
    report = saw["canceled"]
    # as Binance: `c` the cancel's own id, `C` the order's
    assert (report["i"], report["c"], report["C"]) == (
        placed.order.order_id, canceled.client_order_id, placed.order.client_order_id)
    assert canceled.client_order_id != placed.order.client_order_id


async def test_deposits_and_withdrawals_reach_the_owner_as_balance_updates(edge: Edge, traders: Traders) -> None:
    # no funding deposit: its event, published on its own, could reach the socket after it opens
    trader, other = await traders.funded(), await traders.funded()
    async with connect(edge.ws + "/ws/" + await trader.listen_key()) as socket:
        await other.deposit("ETH", "9")  # another account's: not on this socket
        await trader.deposit("ETH", "1.5", transaction_id=f"udt-{trader.user_id}")
        await trader.deposit("ETH", "1.5", transaction_id=f"udt-{trader.user_id}")  # a duplicate moves nothing
        await trader.withdraw("ETH", "0.25")
        seen = [await socket.recv(timeout=5) for _ in range(4)]
        with pytest.raises(TimeoutError):
            await socket.recv(timeout=0.5)
    deposited, after_deposit, withdrawn, after_withdrawal = seen
    assert {k: deposited[k] for k in "ead"} == {"e": "balanceUpdate", "a": "ETH", "d": "1.50000000"}
    assert deposited["T"] > 0
    assert after_deposit["e"] == "outboundAccountPosition"
    assert after_deposit["B"] == [{"a": "ETH", "f": "1.50000000", "l": "0.00000000"}]
    assert {k: withdrawn[k] for k in "ead"} == {"e": "balanceUpdate", "a": "ETH", "d": "-0.25000000"}
    assert after_withdrawal["B"] == [{"a": "ETH", "f": "1.25000000", "l": "0.00000000"}]


async def test_trade_processing_takes_only_balance_updates_from_other_services(platform: Platform) -> None:
    forged = tradeproc_pb2.UserEvent(
        user_id=1, event_time=1, execution_report=tradeproc_pb2.ExecutionReport(symbol=SYMBOL)
    )
    async with grpc.aio.insecure_channel(platform.address("tradeproc")) as channel:
        stub = tradeproc_pb2_grpc.TradeProcessingServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.PublishUserEvents(tradeproc_pb2.PublishUserEventsRequest(events=[forged]))
    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT


async def test_one_account_never_sees_another_accounts_events(edge: Edge, traders: Traders) -> None:
    watcher = await traders.funded(BTC="1")
    other = await traders.funded(ETH="5")
    async with connect(edge.ws + "/ws/" + await watcher.listen_key()) as socket:
        await other.place(SYMBOL, "SELL", "0.100", "0.03700")
        with pytest.raises(TimeoutError):
            await socket.recv(timeout=1.0)


async def test_a_closed_listen_key_ends_its_stream_with_listen_key_expired(
    platform: Platform, traders: Traders
) -> None:
    trader = await traders.funded(BTC="1")
    async with serve_edge(platform, WsLimits(listen_key_recheck_s=0.2)) as edge:
        key = await trader.listen_key()
        async with connect(edge.ws + "/ws/" + key) as socket:
            await trader.close_listen_key(key)
            expired = await socket.recv(timeout=5)
            assert expired["e"] == "listenKeyExpired" and expired["listenKey"] == key
            with pytest.raises(websockets.ConnectionClosedOK):
                await socket.recv(timeout=5)


async def test_an_unknown_listen_key_is_refused_at_the_handshake(edge: Edge) -> None:
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with connect(edge.ws + "/ws/" + "x" * 60):
            pass
    assert refused.value.response.status_code == 400
    assert b"-1125" in refused.value.response.body


async def test_user_stream_survives_its_own_idle_time(edge: Edge, traders: Traders) -> None:
    trader = await traders.funded(ETH="1")
    async with connect(edge.ws + "/ws/" + await trader.listen_key()) as socket:
        await asyncio.sleep(0.5)
        placed = await trader.place(SYMBOL, "SELL", "0.100", "0.03800")
        report = await socket.event(lambda m: m.get("e") == "executionReport")
    assert report["i"] == placed.order.order_id and report["x"] == "NEW"


async def test_a_listen_key_among_combined_streams_wraps_the_accounts_events_as_its_stream(
    edge: Edge, traders: Traders
) -> None:
    trader = await traders.funded()
    key = await trader.listen_key()
    async with connect(edge.ws + f"/stream?streams=ethbtc@aggTrade/{key}") as socket:
        await subscribed(edge, trader.user_id)  # the key's stream joins after the market one
        await trader.deposit("ETH", "0.5")
        update = await socket.event(lambda m: m["data"].get("e") == "balanceUpdate")
        assert update["stream"] == key and Decimal(update["data"]["d"]) == Decimal("0.5")
        # listed and unsubscribable as any stream of the connection
        assert await socket.request("LIST_SUBSCRIPTIONS") == {"result": ["ethbtc@aggTrade", key], "id": 1}
        assert await socket.request("UNSUBSCRIBE", [key]) == {"result": None, "id": 2}
        await trader.deposit("ETH", "0.25")
        with pytest.raises(TimeoutError):
            await socket.event(lambda m: m.get("data", {}).get("e") == "balanceUpdate", timeout=1.0)
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with connect(edge.ws + "/stream?streams=ethbtc@aggTrade/" + "x" * 60):
            pass
    assert refused.value.response.status_code == 400 and b"-1125" in refused.value.response.body


async def test_a_listen_key_subscribed_to_joins_and_leaves_a_market_connection(
    platform: Platform, traders: Traders
) -> None:
    """As Binance's own Python connector (binance-connector) does: SUBSCRIBE [<listenKey>]."""
    trader = await traders.funded()
    async with serve_edge(platform, WsLimits(listen_key_recheck_s=0.2)) as edge, connect(edge.ws + "/ws") as socket:
        key = await trader.listen_key()
        assert await socket.request("SUBSCRIBE", ["ethbtc@aggTrade", key]) == {"result": None, "id": 1}
        assert await socket.request("LIST_SUBSCRIPTIONS") == {"result": ["ethbtc@aggTrade", key], "id": 2}
        await trader.deposit("ETH", "0.25")
        update = await socket.event(lambda m: m.get("e") == "balanceUpdate")
        assert Decimal(update["d"]) == Decimal("0.25")

        assert await socket.request("UNSUBSCRIBE", [key]) == {"result": None, "id": 3}
        await trader.deposit("ETH", "0.75")
        with pytest.raises(TimeoutError):
            await socket.event(lambda m: m.get("e") == "balanceUpdate", timeout=1.0)
        assert await socket.request("LIST_SUBSCRIPTIONS") == {"result": ["ethbtc@aggTrade"], "id": 4}

        refused = await socket.request("SUBSCRIBE", ["x" * 60])
        assert refused["error"]["code"] == 2 and refused["id"] == 5

        # a key that goes ends its events, not the connection
        await socket.request("SUBSCRIBE", [key])
        await trader.close_listen_key(key)
        expired = await socket.event(lambda m: m.get("e") == "listenKeyExpired")
        assert expired["listenKey"] == key
        assert await socket.request("LIST_SUBSCRIPTIONS") == {"result": ["ethbtc@aggTrade"], "id": 7}


async def test_a_listen_key_deleted_through_the_edge_ends_its_streams_at_once(edge: Edge, traders: Traders) -> None:
    """As Binance: a DELETE closes the key's streams (no listenKeyExpired: that is for keys that
    expire), here at once rather than at the next re-check (a minute by default)."""
    trader = await traders.funded()
    api_key, _ = await api_key_of(trader)
    headers = {"X-MBX-APIKEY": api_key}
    async with httpx.AsyncClient(base_url=edge.http) as http:
        key = (await http.post("/api/v3/userDataStream", headers=headers)).json()["listenKey"]
        async with connect(edge.ws + "/ws/" + key) as own, connect(edge.ws + "/ws") as market:
            assert await market.request("SUBSCRIBE", ["ethbtc@aggTrade", key]) == {"result": None, "id": 1}
            deleted = await http.delete("/api/v3/userDataStream", params={"listenKey": key}, headers=headers)
            assert deleted.status_code == 200
            with pytest.raises(websockets.ConnectionClosedOK):
                await own.recv(timeout=2)
            assert await market.request("LIST_SUBSCRIPTIONS") == {"result": ["ethbtc@aggTrade"], "id": 2}
            await trader.deposit("ETH", "1")
            with pytest.raises(TimeoutError):
                await market.event(lambda m: m.get("e") == "balanceUpdate", timeout=1.0)
