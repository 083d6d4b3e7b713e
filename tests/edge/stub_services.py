"""Services that answer instantly, for measuring the edge alone (bench_signed_orders --stubs).

    .venv/bin/python -m tests.edge.stub_services <user port> <order port> <marketdata port>

Authenticate accepts any key (user id = the key's hash); PlaceOrder(s) and PlaceOrderStream answer
a filled LIMIT order with one fill; Ping answers. Nothing is verified or stored: only the edge's own cost
remains in what the benchmark measures (plus this process's gRPC server, reported apart).
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import grpc

from exchange.v1 import (
    common_pb2,
    marketdata_pb2,
    marketdata_pb2_grpc,
    order_pb2,
    order_pb2_grpc,
    user_pb2,
    user_pb2_grpc,
)


def _placed(request: order_pb2.PlaceOrderRequest, order_id: int) -> order_pb2.PlaceOrderResponse:
    return order_pb2.PlaceOrderResponse(
        order=common_pb2.Order(
            symbol=request.symbol, order_id=order_id, client_order_id=request.new_client_order_id or "stub",
            price=request.price, orig_qty=request.quantity, executed_qty=request.quantity,
            cummulative_quote_qty="95.00000000", status=common_pb2.FILLED, time_in_force=request.time_in_force,
            type=request.type, side=request.side, order_list_id=-1, working_time=1, time=1, update_time=1,
        ),
        transact_time=1,
        fills=[common_pb2.Fill(price=request.price, qty=request.quantity, commission="0", commission_asset="BTC")],
    )  # fmt: skip


class _Users(user_pb2_grpc.UserServiceServicer):
    async def Authenticate(self, request: Any, context: Any) -> user_pb2.AuthenticateResponse:
        return user_pb2.AuthenticateResponse(
            user_id=hash(request.api_key) & 0xFFFFFF,
            permissions=[common_pb2.PERMISSION_READ, common_pb2.PERMISSION_TRADE],
        )


class _Orders(order_pb2_grpc.OrderServiceServicer):
    def __init__(self) -> None:
        self._next_id = 0

    async def PlaceOrder(self, request: Any, context: Any) -> order_pb2.PlaceOrderResponse:
        self._next_id += 1
        return _placed(request, self._next_id)

    async def PlaceOrders(self, request: Any, context: Any) -> order_pb2.PlaceOrdersResponse:
        results = []
        for item in request.items:
            self._next_id += 1
            results.append(order_pb2.PlaceOrderResult(placed=_placed(item.order, self._next_id)))
        return order_pb2.PlaceOrdersResponse(results=results)

    async def PlaceOrderStream(self, requests: Any, context: Any) -> Any:
        async for request in requests:
            results = []
            for tagged in request.orders:
                self._next_id += 1
                placed = order_pb2.PlaceOrderResult(placed=_placed(tagged.item.order, self._next_id))
                results.append(order_pb2.TaggedPlaceOrderResult(tag=tagged.tag, result=placed))
            yield order_pb2.PlaceOrderStreamReply(results=results)


class _MarketData(marketdata_pb2_grpc.MarketDataServiceServicer):
    async def Ping(self, request: Any, context: Any) -> marketdata_pb2.PingResponse:
        return marketdata_pb2.PingResponse()


async def _serve(user_port: int, order_port: int, marketdata_port: int) -> None:
    servers = []
    registrations: list[tuple[int, Any, Any]] = [
        (user_port, user_pb2_grpc.add_UserServiceServicer_to_server, _Users()),
        (order_port, order_pb2_grpc.add_OrderServiceServicer_to_server, _Orders()),
        (marketdata_port, marketdata_pb2_grpc.add_MarketDataServiceServicer_to_server, _MarketData()),
    ]
    for port, add, servicer in registrations:
        server = grpc.aio.server()
        add(servicer, server)
        server.add_insecure_port(f"127.0.0.1:{port}")
        await server.start()
        servers.append(server)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(_serve(*(int(p) for p in sys.argv[1:4])))
