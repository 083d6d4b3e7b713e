"""OrderService over gRPC. Thin: typed requests become Binance parameters for the desk, and the
desk's Binance-shaped answers become the contract's messages (whose JSON names are Binance's).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

from google.rpc import status_pb2

from engine_ext.codes import OrderStatus
from exchange.v1 import common_pb2, order_pb2, order_pb2_grpc
from services.common.caller import caller_user_id
from services.common.grpcutil.error_interceptor import COMMON_ERRORS
from services.common.grpcutil.errors import ServiceError, error_status, service_error
from services.order.desk import OrderDesk, OutcomeUnknown
from services.order.errors import OrderRejected

log = logging.getLogger(__name__)

_ENUM_PARAMS: dict[str, tuple[str, Any]] = {
    "side": ("side", common_pb2.Side),
    "type": ("type", common_pb2.OrderType),
    "time_in_force": ("timeInForce", common_pb2.TimeInForce),
    "new_order_resp_type": ("newOrderRespType", common_pb2.NewOrderRespType),
    "self_trade_prevention_mode": ("selfTradePreventionMode", common_pb2.SelfTradePrevention),
}
_TEXT_PARAMS = {
    "symbol": "symbol",
    "quantity": "quantity",
    "quote_order_qty": "quoteOrderQty",
    "price": "price",
    "new_client_order_id": "newClientOrderId",
    "stop_price": "stopPrice",
}

# Binance cancelRestrictions: the one status in which the order may be canceled.
_ONLY_IF = {order_pb2.ONLY_NEW: OrderStatus.NEW, order_pb2.ONLY_PARTIALLY_FILLED: OrderStatus.PARTIALLY_FILLED}


# A load tool (tradectl bench) sends this key to get each order's per-stage microseconds back
# in the trailing metadata under the same key.
TIMINGS_KEY = "x-spotex-timings"


def _wants_timings(context: Any) -> bool:
    return any(key == TIMINGS_KEY for key, _ in context.invocation_metadata() or ())


def order_params(request: Any) -> dict[str, str]:
    """A PlaceOrderRequest (or the new-order half of a CancelReplaceRequest) as the Binance
    parameters the domain parses; UNSPECIFIED enums and empty strings were not sent."""
    params = {}
    for field, (name, enum) in _ENUM_PARAMS.items():
        value = getattr(request, field)
        if value:
            params[name] = enum.Name(value)
    for field, name in _TEXT_PARAMS.items():
        value = getattr(request, field)
        if value:
            params[name] = value
    return params


def _timings_text(timings: Mapping[str, int]) -> str:
    return ",".join(f"{k}={v}" for k, v in timings.items())


def rejection_status(refusal: OrderRejected) -> status_pb2.Status:
    """The contract's status for a domain refusal, keeping Binance's exact message (e.g. the
    failing filter's name), which the table's template may only approximate."""
    metadata = {"param": refusal.param} if refusal.param else {}
    status = error_status(refusal.reason, metadata=metadata)
    status.message = refusal.msg
    return status


def _json_fields(message: Any) -> dict[str, tuple[str, Any]]:
    """JSON name -> (field name, enum descriptor or None) of a message type."""
    return {f.json_name: (f.name, f.enum_type) for f in message.DESCRIPTOR.fields}


_ORDER_FIELDS = _json_fields(common_pb2.Order)
_FILL_FIELDS = _json_fields(common_pb2.Fill)


def _from_view(message: Any, fields: Mapping[str, tuple[str, Any]], view: Mapping[str, Any]) -> Any:
    """What json_format.ParseDict(view, message(), ignore_unknown_fields=True) builds, for the
    desk's views (JSON names, enum names, ints and strings) at a fraction of its cost: this runs
    for every order."""
    values = {}
    for key, value in view.items():
        spec = fields.get(key)
        if spec is not None:
            name, enum = spec
            values[name] = enum.values_by_name[value].number if enum is not None else value
    return message(**values)


def _order(view: Mapping[str, Any]) -> common_pb2.Order:
    return _from_view(common_pb2.Order, _ORDER_FIELDS, view)  # type: ignore[no-any-return]


def _placed(response: Mapping[str, Any]) -> order_pb2.PlaceOrderResponse:
    return order_pb2.PlaceOrderResponse(
        order=_order(response),
        transact_time=response["transactTime"],
        fills=[_from_view(common_pb2.Fill, _FILL_FIELDS, f) for f in response.get("fills", ())],
    )


def _canceled(response: Mapping[str, Any]) -> order_pb2.CancelOrderResponse:
    return order_pb2.CancelOrderResponse(
        order=_order(response),
        orig_client_order_id=response["origClientOrderId"],
        client_order_id=response["clientOrderId"],
        transact_time=response["transactTime"],
    )


class OrderServicer(order_pb2_grpc.OrderServiceServicer):
    def __init__(self, desk: OrderDesk, *, max_in_flight: int = 2048) -> None:
        self._desk = desk
        self.max_in_flight = max_in_flight  # orders of one PlaceOrderStream being placed at once
        self._stream_readers: set[asyncio.Task[None]] = set()

    def stop_streams(self) -> None:
        """Before the server stops: each PlaceOrderStream reads no more orders and ends once
        the orders it has read are answered (so the drain is not held by idle sessions)."""
        for reader in self._stream_readers:
            reader.cancel()

    async def PlaceOrder(self, request: order_pb2.PlaceOrderRequest, context: Any) -> order_pb2.PlaceOrderResponse:
        timings: dict[str, int] | None = {} if _wants_timings(context) else None
        started = time.perf_counter_ns()
        placed = await self._guard(self._desk.place(caller_user_id(context), order_params(request), timings))
        reply = _placed(placed)
        if timings:
            timings["service_us"] = (time.perf_counter_ns() - started) // 1000
            context.set_trailing_metadata(((TIMINGS_KEY, _timings_text(timings)),))
        return reply

    async def TestOrder(self, request: order_pb2.PlaceOrderRequest, context: Any) -> order_pb2.TestOrderResponse:
        await self._guard(self._desk.test_order(caller_user_id(context), order_params(request)))
        if not request.compute_commission_rates:
            return order_pb2.TestOrderResponse()
        return order_pb2.TestOrderResponse(
            standard_commission_for_order=common_pb2.CommissionRates(**self._desk.commission_rates())
        )

    async def CancelOrder(self, request: order_pb2.CancelOrderRequest, context: Any) -> order_pb2.CancelOrderResponse:
        return _canceled(await self._guard(self._cancel(caller_user_id(context), request)))

    def _cancel(self, user_id: int, request: order_pb2.CancelOrderRequest) -> Any:
        return self._desk.cancel(
            user_id,
            request.symbol,
            request.order_id if request.HasField("order_id") else None,
            request.orig_client_order_id or None,
            request.new_client_order_id or None,
            only_if=_ONLY_IF.get(request.cancel_restrictions),
        )

    async def CancelAllOpenOrders(
        self, request: order_pb2.CancelAllOpenOrdersRequest, context: Any
    ) -> order_pb2.CancelAllOpenOrdersResponse:
        canceled = await self._guard(self._desk.cancel_all(caller_user_id(context), request.symbol))
        return order_pb2.CancelAllOpenOrdersResponse(canceled=[_canceled(c) for c in canceled])

    async def CancelReplace(
        self, request: order_pb2.CancelReplaceRequest, context: Any
    ) -> order_pb2.CancelReplaceResponse:
        canceled, placed = await self._guard(
            self._desk.cancel_replace(
                caller_user_id(context),
                request.symbol,
                request.cancel_order_id if request.HasField("cancel_order_id") else None,
                request.cancel_orig_client_order_id or None,
                request.cancel_new_client_order_id or None,
                request.cancel_replace_mode == order_pb2.ALLOW_FAILURE,
                order_params(request),
                _ONLY_IF.get(request.cancel_restrictions),
            )
        )
        reply = order_pb2.CancelReplaceResponse()
        if isinstance(canceled, OrderRejected):
            reply.cancel_result = order_pb2.FAILURE
            reply.cancel_error.CopyFrom(rejection_status(canceled))
        else:
            reply.cancel_result = order_pb2.SUCCESS
            reply.cancel_response.CopyFrom(_canceled(canceled))
        if placed is None:
            reply.new_order_result = order_pb2.NOT_ATTEMPTED
        elif isinstance(placed, OrderRejected):
            reply.new_order_result = order_pb2.FAILURE
            reply.new_order_error.CopyFrom(rejection_status(placed))
        else:
            reply.new_order_result = order_pb2.SUCCESS
            reply.new_order_response.CopyFrom(_placed(placed))
        return reply

    async def AmendOrderKeepPriority(
        self, request: order_pb2.AmendOrderRequest, context: Any
    ) -> order_pb2.AmendOrderResponse:
        view, transact_ms, execution_id = await self._guard(
            self._desk.amend_keep_priority(
                caller_user_id(context),
                request.symbol,
                request.order_id if request.HasField("order_id") else None,
                request.orig_client_order_id or None,
                request.new_qty,
                request.new_client_order_id or None,
            )
        )
        return order_pb2.AmendOrderResponse(
            transact_time=transact_ms, execution_id=execution_id, amended_order=_order(view)
        )

    async def GetOrder(self, request: order_pb2.GetOrderRequest, context: Any) -> common_pb2.Order:
        view = await self._guard(
            self._desk.get_order(
                caller_user_id(context),
                request.symbol,
                request.order_id if request.HasField("order_id") else None,
                request.orig_client_order_id or None,
            )
        )
        return _order(view)

    async def ListOpenOrders(
        self, request: order_pb2.ListOpenOrdersRequest, context: Any
    ) -> order_pb2.ListOrdersResponse:
        views = await self._guard(self._desk.open_orders(caller_user_id(context), request.symbol or None))
        return order_pb2.ListOrdersResponse(orders=[_order(v) for v in views])

    async def ListOrders(self, request: order_pb2.ListOrdersRequest, context: Any) -> order_pb2.ListOrdersResponse:
        limit = request.limit if request.HasField("limit") else 500
        if not 1 <= limit <= 1000:
            raise ServiceError("ILLEGAL_PARAMETER", "limit", "1-1000", metadata={"param": "limit"})
        views = await self._guard(
            self._desk.all_orders(
                caller_user_id(context),
                request.symbol,
                request.order_id if request.HasField("order_id") else None,
                request.start_time if request.HasField("start_time") else None,
                request.end_time if request.HasField("end_time") else None,
                limit,
            )
        )
        return order_pb2.ListOrdersResponse(orders=[_order(v) for v in views])

    async def PlaceOrders(self, request: order_pb2.PlaceOrdersRequest, context: Any) -> order_pb2.PlaceOrdersResponse:
        timed = _wants_timings(context)
        stages: list[dict[str, int]] = []
        started = time.perf_counter_ns()

        async def one(item: order_pb2.PlaceOrderItem) -> order_pb2.PlaceOrderResult:
            timings: dict[str, int] | None = None
            if timed:
                timings = {}
                stages.append(timings)
            return await self._place_item(item, timings, started)

        results = await asyncio.gather(*(one(i) for i in request.items))
        if timed:  # the placed orders' stages, ";"-separated
            value = ";".join(_timings_text(t) for t in stages if "settle_us" in t)
            context.set_trailing_metadata(((TIMINGS_KEY, value),))
        return order_pb2.PlaceOrdersResponse(results=results)

    async def PlaceOrderStream(
        self, requests: AsyncIterator[order_pb2.PlaceOrderStreamRequest], context: Any
    ) -> AsyncIterator[order_pb2.PlaceOrderStreamReply]:
        timed = _wants_timings(context)
        finished: list[order_pb2.TaggedPlaceOrderResult] = []
        wake = asyncio.Event()
        room = asyncio.Event()  # set while fewer than max_in_flight orders are being placed
        room.set()
        placing: set[asyncio.Task[None]] = set()
        reading = True

        async def one(tagged: order_pb2.TaggedPlaceOrder) -> None:
            timings: dict[str, int] | None = {} if timed else None
            try:
                result = await self._place_item(tagged.item, timings, time.perf_counter_ns())
                text = _timings_text(timings) if timings and "settle_us" in timings else ""
                finished.append(order_pb2.TaggedPlaceOrderResult(tag=tagged.tag, result=result, timings=text))
            finally:
                placing.discard(asyncio.current_task())
                wake.set()
                room.set()

        async def read() -> None:
            nonlocal reading
            try:
                async for request in requests:
                    for tagged in request.orders:
                        # A caller sending faster than orders finish waits here, and gRPC's
                        # flow control holds it back, instead of this process taking on
                        # ever more work.
                        while len(placing) >= self.max_in_flight:
                            room.clear()
                            await room.wait()
                        placing.add(asyncio.create_task(one(tagged)))
            finally:
                reading = False
                wake.set()

        reader = asyncio.create_task(read())
        self._stream_readers.add(reader)
        reader.add_done_callback(self._stream_readers.discard)
        try:
            while reading or placing or finished:
                await wake.wait()
                await asyncio.sleep(0)  # orders finishing in this event-loop turn join the reply
                wake.clear()
                if finished:  # everything that finished since the last reply, in one message
                    reply = order_pb2.PlaceOrderStreamReply(results=finished)
                    finished.clear()
                    yield reply
            if not reader.cancelled():
                reader.result()  # a broken request stream fails the call
        finally:
            # The caller went away (or the server is stopping): as when a PlaceOrder call is
            # cancelled, the orders still in the desk are left to its recovery (redrive).
            reader.cancel()
            for task in list(placing):
                task.cancel()

    async def _place_item(
        self, item: order_pb2.PlaceOrderItem, timings: dict[str, int] | None, started_ns: int
    ) -> order_pb2.PlaceOrderResult:
        """One order of a batch or stream: its response, or the status PlaceOrder would have
        failed with (a batch answers every item, so nothing here fails the whole call)."""
        try:
            placed = await self._guard(self._desk.place(item.user_id, order_params(item.order), timings))
        except Exception as exc:
            error = service_error(exc, COMMON_ERRORS)
            if error is None:
                log.exception("placing an order of a batch failed")
                error = ServiceError("INTERNAL_ERROR", detail=repr(exc))
            return order_pb2.PlaceOrderResult(error=error.status())
        if timings is not None:
            timings["service_us"] = (time.perf_counter_ns() - started_ns) // 1000
        return order_pb2.PlaceOrderResult(placed=_placed(placed))

    async def CancelOrders(
        self, request: order_pb2.CancelOrdersRequest, context: Any
    ) -> order_pb2.CancelOrdersResponse:
        async def one(item: order_pb2.CancelOrderItem) -> order_pb2.CancelOrderResult:
            try:
                canceled = await self._guard(self._cancel(item.user_id, item.cancel))
            except ServiceError as exc:
                return order_pb2.CancelOrderResult(error=exc.status())
            return order_pb2.CancelOrderResult(canceled=_canceled(canceled))

        return order_pb2.CancelOrdersResponse(results=await asyncio.gather(*(one(i) for i in request.items)))

    @staticmethod
    async def _guard(work: Any) -> Any:
        """Domain refusals and unknown outcomes as the contract's errors."""
        try:
            return await work
        except OrderRejected as refusal:
            raise _RejectedError(refusal) from None
        except OutcomeUnknown as exc:
            raise ServiceError("TIMEOUT", detail=str(exc)) from exc


class _RejectedError(ServiceError):
    """A ServiceError whose status keeps the domain's exact Binance message."""

    def __init__(self, refusal: OrderRejected) -> None:
        super().__init__(refusal.reason, detail=refusal.msg)
        self._refusal = refusal

    def status(self) -> status_pb2.Status:
        return rejection_status(self._refusal)
