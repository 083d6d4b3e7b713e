"""OrderService.PlaceOrderStream through OrderSession, the way the edge and `tradectl bench`
place orders: many users' orders on one stream, each caller answered with its own result."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D
from typing import Any

import grpc
import pytest

from exchange.v1 import common_pb2, order_pb2, order_pb2_grpc
from services.order.servicer import TIMINGS_KEY
from services.order.session import OrderSession
from services.tradectl.gather import audit_exchange
from tests.e2e.platform import AUDIT_WAIT_S


def _item(user_id: int, side: str, quantity: str, price: str, client_id: str = "") -> order_pb2.PlaceOrderItem:
    return order_pb2.PlaceOrderItem(
        user_id=user_id,
        order=order_pb2.PlaceOrderRequest(
            symbol="BTCUSDT",
            side=common_pb2.Side.Value(side),
            type=common_pb2.LIMIT,
            time_in_force=common_pb2.GTC,
            quantity=quantity,
            price=price,
            new_client_order_id=client_id,
        ),
    )


@pytest.fixture
async def session(platform: Any) -> Any:
    async with grpc.aio.insecure_channel(platform.address("order")) as channel:
        session = OrderSession(order_pb2_grpc.OrderServiceStub(channel), metadata=((TIMINGS_KEY, "1"),))
        try:
            yield session
        finally:
            await session.close()


async def test_each_order_on_a_shared_stream_gets_its_own_result(platform, traders, session):
    buyer, seller, broke = traders(1), traders(2), traders(3)
    await buyer.deposit("USDT", "10000")
    await seller.deposit("BTC", "1")

    resting, refused, taken = await asyncio.gather(
        session.place(_item(2, "SELL", "0.1", "50000", "rest-1")),
        session.place(_item(3, "BUY", "0.01", "50000", "broke-1")),  # holds nothing
        session.place(_item(1, "BUY", "0.1", "40000", "low-bid")),
    )
    assert resting[0].placed.order.client_order_id == "rest-1"
    assert resting[0].placed.order.status == common_pb2.NEW
    assert refused[0].WhichOneof("result") == "error"
    assert (refused[0].error.code, refused[0].error.message) == (
        grpc.StatusCode.FAILED_PRECONDITION.value[0],
        "Account has insufficient balance for requested action.",
    )
    assert taken[0].placed.order.client_order_id == "low-bid"
    # the stage timings the stream was asked for come with each placed order
    assert "validate_us=" in resting[1] and "settle_us=" in resting[1] and refused[1] == ""

    crossed, _ = await session.place(_item(1, "BUY", "0.04", "50010"))
    assert [(f.price, f.qty) for f in crossed.placed.fills] == [("50000.00000000", "0.04000000")]
    # answered after settlement, as PlaceOrder is
    assert await buyer.balances() == {"BTC": (D("0.03996"), D(0)), "USDT": (D(4000), D(4000))}
    assert await broke.balances() == {}
    assert await audit_exchange(platform.config, quiet_for_s=AUDIT_WAIT_S) == []


async def test_two_users_placing_200_orders_each_on_one_stream_never_overspend(platform, traders, session):
    alice, bob = traders(1), traders(2)
    await alice.deposit("USDT", "1000")  # enough for 100 of her 200 orders
    await bob.deposit("BTC", "0.05")  # enough for 100 of his 200 orders

    results = await asyncio.gather(
        *(session.place(_item(1, "BUY", "0.0005", "20000")) for _ in range(200)),
        *(session.place(_item(2, "SELL", "0.0005", "90000")) for _ in range(200)),
    )
    placed = [result.HasField("placed") for result, _ in results]
    assert sum(placed[:200]) == 100 and sum(placed[200:]) == 100
    assert {r.error.message for r, _ in results if r.HasField("error")} == {
        "Account has insufficient balance for requested action."
    }
    assert await alice.balances() == {"USDT": (D(0), D(1000))}
    assert await bob.balances() == {"BTC": (D(0), D("0.05"))}
    assert await audit_exchange(platform.config, quiet_for_s=AUDIT_WAIT_S) == []


async def test_a_broken_stream_fails_its_callers_and_the_next_order_opens_a_new_one(platform, traders, session):
    buyer = traders(1)
    await buyer.deposit("USDT", "1000")
    first, _ = await session.place(_item(1, "BUY", "0.001", "40000"))
    assert first.HasField("placed")

    platform.stop("order")
    with pytest.raises(grpc.aio.AioRpcError) as broken:
        await session.place(_item(1, "BUY", "0.001", "40000"), timeout_s=10)
    assert broken.value.code() is grpc.StatusCode.UNAVAILABLE

    platform.start("order")
    again, _ = await session.place(_item(1, "BUY", "0.001", "40000", "after-restart"), timeout_s=10)
    assert again.placed.order.client_order_id == "after-restart"
    assert await buyer.balances() == {"USDT": (D(920), D(80))}
    assert await audit_exchange(platform.config, quiet_for_s=AUDIT_WAIT_S) == []
