"""New orders of many users, placed on the one OrderService.PlaceOrderStream the edge keeps.

A unary gRPC call costs both ends a few hundred microseconds of CPU whatever it carries, which
at thousands of orders per second is most of the budget (docs/performance.md). On the stream
an order is sent as soon as it arrives (orders that arrive while a write is in progress leave
together in the next message) and answered as soon as it is settled, whatever the orders
around it are doing. Each order still gets exactly its own answer: a PlaceOrderResponse, or
the Binance error of the status PlaceOrder would have failed with.
"""

from __future__ import annotations

import grpc

from edge.errors import from_rpc_error, from_status, refused
from exchange.v1 import order_pb2
from services.order.session import OrderSession


async def place_order(
    session: OrderSession, user_id: int, request: order_pb2.PlaceOrderRequest, timeout_s: float
) -> order_pb2.PlaceOrderResponse:
    try:
        result, _ = await session.place(order_pb2.PlaceOrderItem(user_id=user_id, order=request), timeout_s)
    except TimeoutError:
        # as a unary call's DEADLINE_EXCEEDED: the order may yet be placed (Binance's -1007)
        raise refused("TIMEOUT", status=503) from None
    except grpc.RpcError as exc:
        raise from_rpc_error(exc) from None
    if result.HasField("error"):
        raise from_status(result.error)
    return result.placed
