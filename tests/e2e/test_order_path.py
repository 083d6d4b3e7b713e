"""The whole order path over real gRPC between real processes: reserve, match, settle."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

import grpc
import pytest

from exchange.v1 import order_pb2, order_pb2_grpc
from services.common.caller import caller_metadata
from services.common.grpcutil.errors import status_of
from services.tradectl.gather import audit_exchange
from tests.e2e.platform import AUDIT_WAIT_S


async def test_two_traders_cross_and_their_balances_settle_with_fees(platform, traders):
    buyer, seller = traders(1), traders(2)
    await buyer.deposit("USDT", "10000")
    await seller.deposit("BTC", "1")

    resting = await seller.place("BTCUSDT", "SELL", "0.1", "50000")
    assert resting.order.status == resting.order.status.__class__(1)  # NEW
    taken = await buyer.place("BTCUSDT", "BUY", "0.04", "50010")

    assert [(f.price, f.qty, f.commission, f.commission_asset) for f in taken.fills] == [
        ("50000.00000000", "0.04000000", "0.00004000", "BTC")
    ]
    # the reply comes after settlement: the balances already show the trade
    assert await buyer.balances() == {"BTC": (D("0.03996"), D(0)), "USDT": (D("8000"), D(0))}
    assert await seller.balances() == {"BTC": (D("0.9"), D("0.06")), "USDT": (D("1998"), D(0))}
    assert await audit_exchange(platform.config, quiet_for_s=AUDIT_WAIT_S) == []


async def test_an_order_beyond_the_available_balance_is_refused_and_changes_nothing(platform, traders):
    buyer = traders(1)
    await buyer.deposit("USDT", "100")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await buyer.place("BTCUSDT", "BUY", "0.01", "50000")
    error = status_of(refused.value)
    assert (error.binance_code, error.message) == (-2010, "Account has insufficient balance for requested action.")
    assert await buyer.balances() == {"USDT": (D(100), D(0))}
    assert await audit_exchange(platform.config, quiet_for_s=AUDIT_WAIT_S) == []


async def test_a_repeated_client_order_id_places_the_order_once(platform, traders):
    buyer = traders(1)
    await buyer.deposit("USDT", "1000")
    first = await buyer.place("BTCUSDT", "BUY", "0.001", "40000", new_client_order_id="my-order-1")
    with pytest.raises(grpc.aio.AioRpcError) as again:
        await buyer.place("BTCUSDT", "BUY", "0.001", "40000", new_client_order_id="my-order-1")
    assert status_of(again.value).binance_code == -2010
    assert first.order.client_order_id == "my-order-1"
    assert await buyer.balances() == {"USDT": (D(960), D(40))}


async def test_cancel_releases_what_the_order_had_reserved(platform, traders):
    buyer = traders(1)
    await buyer.deposit("USDT", "1000")
    placed = await buyer.place("BTCUSDT", "BUY", "0.01", "40000")
    assert await buyer.balances() == {"USDT": (D(600), D(400))}
    canceled = await buyer.cancel("BTCUSDT", placed.order.order_id)
    assert canceled.order.status == 4  # CANCELED
    assert await buyer.balances() == {"USDT": (D(1000), D(0))}
    assert await audit_exchange(platform.config, quiet_for_s=AUDIT_WAIT_S) == []


async def test_two_users_placing_200_orders_each_at_once_never_overspend(platform, traders):
    alice, bob = traders(1), traders(2)
    await alice.deposit("USDT", "1000")  # enough for 100 of her 200 orders
    await bob.deposit("BTC", "0.05")  # enough for 100 of his 200 orders

    async def attempt(coro):
        try:
            await coro
            return True
        except grpc.aio.AioRpcError as refused:
            assert status_of(refused).binance_code == -2010
            return False

    buys = [attempt(alice.place("BTCUSDT", "BUY", "0.0005", "20000")) for _ in range(200)]
    sells = [attempt(bob.place("BTCUSDT", "SELL", "0.0005", "90000")) for _ in range(200)]
    results = await asyncio.gather(*buys, *sells)
    assert sum(results[:200]) == 100 and sum(results[200:]) == 100
    assert await alice.balances() == {"USDT": (D(0), D(1000))}
    assert await bob.balances() == {"BTC": (D(0), D("0.05"))}
    assert await audit_exchange(platform.config, quiet_for_s=AUDIT_WAIT_S) == []


async def test_orders_placed_at_once_never_exceed_max_num_orders(platform, traders):
    """MAX_NUM_ORDERS (200 open orders per symbol) holds however many arrive together: a
    count read before the reservation would let every concurrent order see room."""
    carol = traders(3)
    await carol.deposit("USDT", "100000")

    async def attempt(coro):
        try:
            await coro
            return True
        except grpc.aio.AioRpcError as refused:
            detail = status_of(refused)
            assert (detail.binance_code, detail.message) == (-1013, "Filter failure: MAX_NUM_ORDERS")
            return False

    results = await asyncio.gather(
        *(attempt(carol.place("BTCUSDT", "BUY", "0.0005", "20000")) for _ in range(230))
    )
    assert sum(results) == 200
    assert await carol.balances() == {"USDT": (D(100000 - 200 * 10), D(200 * 10))}
    assert await audit_exchange(platform.config, quiet_for_s=AUDIT_WAIT_S) == []


async def test_amends_of_one_order_racing_through_two_order_services_never_raise_it(platform, traders):
    """Each order service checks newQty against the order as it read it, so two replicas can
    both pass 0.8 -> 0.3 and 0.8 -> 0.6; the engine must refuse the later one, or the order
    rises past its reserved funds and settlement stops for the whole exchange."""
    dave = traders(4)
    await dave.deposit("USDT", "1000")
    async with grpc.aio.insecure_channel(platform.start_replica("order", "order-2")) as channel:
        replicas = (dave.orders, order_pb2_grpc.OrderServiceStub(channel))
        for _ in range(6):
            placed = await dave.place("BTCUSDT", "BUY", "0.8", "1000")
            amends = [
                stub.AmendOrderKeepPriority(
                    order_pb2.AmendOrderRequest(symbol="BTCUSDT", order_id=placed.order.order_id, new_qty=qty),
                    metadata=caller_metadata(dave.user_id),
                )
                for stub, qty in zip(replicas, ("0.3", "0.6"), strict=True)
            ]
            answers = await asyncio.gather(*amends, return_exceptions=True)
            platform.assert_alive()
            refused = [status_of(a).binance_code for a in answers if isinstance(a, grpc.aio.AioRpcError)]
            assert len(refused) < 2 and set(refused) <= {-1013}, answers
            qty = D((await dave.orders.GetOrder(
                order_pb2.GetOrderRequest(symbol="BTCUSDT", order_id=placed.order.order_id),
                metadata=caller_metadata(dave.user_id),
            )).orig_qty)  # fmt: skip
            assert qty in (D("0.3"), D("0.6"))
            assert await dave.balances() == {"USDT": (1000 - qty * 1000, qty * 1000)}
            await dave.cancel("BTCUSDT", placed.order.order_id)
    assert await dave.balances() == {"USDT": (D(1000), D(0))}
    assert await audit_exchange(platform.config, quiet_for_s=AUDIT_WAIT_S) == []
