"""New orders of many users, coalesced into OrderService.PlaceOrders calls.

A gRPC call costs both ends a few hundred microseconds of CPU whatever it carries, which at
thousands of orders per second is most of the budget (docs/protos.md: "one unary call per
order cannot reach the target rate"). Orders are sent at once while fewer than
`max_in_flight` calls are outstanding, so a quiet exchange sees no added latency; under load,
orders that arrive while the calls are busy leave together in the next one. Each order still
gets its own answer: PlaceOrders' results[i] answers items[i], a PlaceOrderResponse or the
google.rpc.Status PlaceOrder would have failed with.
"""

from __future__ import annotations

import asyncio
from typing import Any

import grpc

from edge.errors import ApiError, from_rpc_error, from_status
from exchange.v1 import order_pb2

_Pending = tuple[order_pb2.PlaceOrderItem, "asyncio.Future[order_pb2.PlaceOrderResponse]"]


class OrderBatcher:
    def __init__(self, place_orders: Any, timeout_s: float, max_in_flight: int = 4, max_batch: int = 256) -> None:
        self._rpc = place_orders
        self._timeout = timeout_s
        self._max_in_flight = max_in_flight
        self._max_batch = max_batch
        self._pending: list[_Pending] = []
        self._in_flight = 0
        self._calls: set[asyncio.Task[None]] = set()

    async def place(self, user_id: int, request: order_pb2.PlaceOrderRequest) -> order_pb2.PlaceOrderResponse:
        future: asyncio.Future[order_pb2.PlaceOrderResponse] = asyncio.get_running_loop().create_future()
        self._pending.append((order_pb2.PlaceOrderItem(user_id=user_id, order=request), future))
        if self._in_flight < self._max_in_flight:
            self._send_pending()
        return await future

    def _send_pending(self) -> None:
        batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
        self._in_flight += 1
        call = asyncio.create_task(self._call(batch), name="place-orders")
        self._calls.add(call)  # a task nobody references may be collected mid-flight
        call.add_done_callback(self._calls.discard)

    async def _call(self, batch: list[_Pending]) -> None:
        try:
            reply = await self._rpc(
                order_pb2.PlaceOrdersRequest(items=[item for item, _ in batch]), timeout=self._timeout
            )
        except grpc.RpcError as exc:
            for _, future in batch:
                _settle(future, error=from_rpc_error(exc))
        else:
            for (_, future), result in zip(batch, reply.results, strict=True):
                if result.HasField("placed"):
                    _settle(future, result=result.placed)
                else:
                    _settle(future, error=from_status(result.error))
        finally:
            self._in_flight -= 1
            if self._pending:
                self._send_pending()


def _settle(
    future: asyncio.Future[order_pb2.PlaceOrderResponse],
    result: order_pb2.PlaceOrderResponse | None = None,
    error: ApiError | None = None,
) -> None:
    if future.done():  # the HTTP request went away; the order's fate is in the services
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)  # type: ignore[arg-type]
