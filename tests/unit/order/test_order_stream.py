"""PlaceOrderStream's own rules, over real gRPC on loopback with a desk whose orders finish
when the test says so: results in completion order, and a bounded number in flight."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from exchange.v1 import common_pb2, order_pb2, order_pb2_grpc
from services.order.errors import OrderRejected
from services.order.servicer import OrderServicer
from services.order.session import OrderSession


class _Desk:
    """place() waits until the test releases that client order id."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self._release: dict[str, asyncio.Future[bool]] = {}

    def release(self, client_id: str, *, refuse: bool = False) -> None:
        self._gate(client_id).set_result(refuse)

    def _gate(self, client_id: str) -> asyncio.Future[bool]:
        return self._release.setdefault(client_id, asyncio.get_running_loop().create_future())

    async def place(self, user_id: int, params: dict[str, str], timings: Any = None) -> dict[str, Any]:
        client_id = params["newClientOrderId"]
        self.started.append(client_id)
        if await self._gate(client_id):
            raise OrderRejected("INSUFFICIENT_BALANCE", -2010, "Account has insufficient balance for requested action.")
        return {"symbol": "BTCUSDT", "orderId": len(self.started), "clientOrderId": client_id, "transactTime": 1}


@pytest.fixture
async def served() -> AsyncIterator[tuple[_Desk, OrderSession]]:
    desk = _Desk()
    server = grpc.aio.server()
    order_pb2_grpc.add_OrderServiceServicer_to_server(OrderServicer(desk, max_in_flight=2), server)  # type: ignore[arg-type]
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        session = OrderSession(order_pb2_grpc.OrderServiceStub(channel))
        try:
            yield desk, session
        finally:
            await session.close()
            await server.stop(None)


def _item(client_id: str) -> order_pb2.PlaceOrderItem:
    order = order_pb2.PlaceOrderRequest(
        symbol="BTCUSDT", side=common_pb2.BUY, type=common_pb2.MARKET, quantity="1", new_client_order_id=client_id
    )
    return order_pb2.PlaceOrderItem(user_id=7, order=order)


async def _until(condition: Any) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached in 5 s")


async def test_results_arrive_as_orders_finish_and_at_most_max_in_flight_are_placed_at_once(served) -> None:
    desk, session = served
    calls = [asyncio.create_task(session.place(_item(f"o{n}"), timeout_s=10)) for n in range(4)]
    await _until(lambda: len(desk.started) == 2)
    await asyncio.sleep(0.1)
    assert desk.started == ["o0", "o1"]  # the other two wait for room, unread

    desk.release("o1")  # the second finishes first: its caller is answered, the first still waits
    placed, _ = await calls[1]
    assert placed.placed.order.client_order_id == "o1" and not calls[0].done()
    await _until(lambda: len(desk.started) == 3)

    desk.release("o2", refuse=True)
    refused, _ = await calls[2]
    assert refused.error.message == "Account has insufficient balance for requested action."
    desk.release("o0")
    await _until(lambda: "o3" in desk.started)
    desk.release("o3")
    assert [(await c)[0].placed.order.client_order_id for c in (calls[0], calls[3])] == ["o0", "o3"]
