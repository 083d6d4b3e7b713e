"""The generated stubs work end to end over a real in-process grpc.aio channel: a unary call
with the FULL order shape, the error-detail convention, and the matching hop's bidi stream."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from google.rpc import code_pb2, error_details_pb2, status_pb2

from exchange.v1 import (
    common_pb2,
    errors_pb2,
    matching_pb2,
    matching_pb2_grpc,
    order_pb2,
    order_pb2_grpc,
)

STATUS_DETAILS_KEY = "grpc-status-details-bin"


class FakeOrderService(order_pb2_grpc.OrderServiceServicer):
    async def PlaceOrder(
        self, request: order_pb2.PlaceOrderRequest, context: grpc.aio.ServicerContext
    ) -> order_pb2.PlaceOrderResponse:
        order = common_pb2.Order(
            symbol=request.symbol,
            order_id=1,
            client_order_id=request.new_client_order_id,
            price=request.price,
            orig_qty=request.quantity,
            executed_qty=request.quantity,
            status=common_pb2.FILLED,
            side=request.side,
            type=request.type,
            time_in_force=request.time_in_force,
        )
        fill = common_pb2.Fill(price=request.price, qty=request.quantity, commission="0", trade_id=7)
        return order_pb2.PlaceOrderResponse(order=order, transact_time=1_700_000_000_000, fills=[fill])

    async def CancelOrder(
        self, request: order_pb2.CancelOrderRequest, context: grpc.aio.ServicerContext
    ) -> order_pb2.CancelOrderResponse:
        info = error_details_pb2.ErrorInfo(
            reason=errors_pb2.ErrorReason.Name(errors_pb2.UNKNOWN_ORDER),
            domain="spotex.exchange",
            metadata={"binance_code": "-2011"},
        )
        status = status_pb2.Status(code=code_pb2.NOT_FOUND, message="Unknown order sent.")
        status.details.add().Pack(info)
        await context.abort(
            grpc.StatusCode.NOT_FOUND,
            status.message,
            trailing_metadata=((STATUS_DETAILS_KEY, status.SerializeToString()),),
        )
        raise AssertionError("context.abort() raises")


class FakeMatchingService(matching_pb2_grpc.MatchingServiceServicer):
    async def ExecuteStream(
        self, request_iterator: AsyncIterator[matching_pb2.CommandBatch], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[matching_pb2.EventBatch]:
        seq = 0
        async for batch in request_iterator:
            results = []
            for command in batch.commands:
                seq += 1
                accepted = matching_pb2.EngineEvent(
                    symbol=command.symbol,
                    seq=seq,
                    kind=matching_pb2.EngineEvent.ACCEPTED,
                    side=command.submit.side,
                    order_type=command.submit.order_type,
                    order_id=command.submit.order_id,
                    user_id=command.submit.user_id,
                    price=command.submit.price,
                    qty=command.submit.qty,
                )
                results.append(matching_pb2.CommandResult(events=[accepted]))
            yield matching_pb2.EventBatch(batch_id=batch.batch_id, results=results)


@pytest.fixture
async def channel() -> AsyncIterator[grpc.aio.Channel]:
    server = grpc.aio.server()
    order_pb2_grpc.add_OrderServiceServicer_to_server(FakeOrderService(), server)
    matching_pb2_grpc.add_MatchingServiceServicer_to_server(FakeMatchingService(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as ch:
        yield ch
    await server.stop(grace=None)


async def test_place_order_returns_the_full_shape(channel: grpc.aio.Channel) -> None:
    stub = order_pb2_grpc.OrderServiceStub(channel)
    request = order_pb2.PlaceOrderRequest(
        symbol="BTCUSDT",
        side=common_pb2.BUY,
        type=common_pb2.LIMIT,
        time_in_force=common_pb2.GTC,
        quantity="0.00100000",
        price="40000.00",
        new_client_order_id="x-TKT5PX2F-1",
        new_order_resp_type=common_pb2.FULL,
    )

    response = await stub.PlaceOrder(request)

    assert response.order.client_order_id == "x-TKT5PX2F-1"
    assert common_pb2.OrderStatus.Name(response.order.status) == "FILLED"
    assert [(f.price, f.qty, f.trade_id) for f in response.fills] == [("40000.00", "0.00100000", 7)]


async def test_failures_carry_error_info_with_the_binance_code(channel: grpc.aio.Channel) -> None:
    stub = order_pb2_grpc.OrderServiceStub(channel)

    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await stub.CancelOrder(order_pb2.CancelOrderRequest(symbol="BTCUSDT", order_id=42))

    error = failure.value
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert error.details() == "Unknown order sent."
    raw = dict(error.trailing_metadata() or ())[STATUS_DETAILS_KEY]
    status = status_pb2.Status.FromString(raw)
    info = error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(info)
    assert (info.reason, info.domain, dict(info.metadata)) == (
        "UNKNOWN_ORDER",
        "spotex.exchange",
        {"binance_code": "-2011"},
    )


async def test_matching_bidi_stream_answers_each_batch_in_order(channel: grpc.aio.Channel) -> None:
    stub = matching_pb2_grpc.MatchingServiceStub(channel)

    def batch(batch_id: int, order_id: int) -> matching_pb2.CommandBatch:
        submit = matching_pb2.SubmitCommand(
            order_id=order_id,
            user_id=3,
            side=common_pb2.SELL,
            order_type=common_pb2.LIMIT,
            time_in_force=common_pb2.GTC,
            price=4_000_000,
            qty=100,
            self_trade_prevention=common_pb2.NONE,
        )
        return matching_pb2.CommandBatch(
            batch_id=batch_id, commands=[matching_pb2.Command(symbol="BTCUSDT", submit=submit)]
        )

    async def requests() -> AsyncIterator[matching_pb2.CommandBatch]:
        for i in (1, 2, 3):
            yield batch(i, 100 + i)

    replies = [reply async for reply in stub.ExecuteStream(requests())]

    assert [r.batch_id for r in replies] == [1, 2, 3]
    events = [r.results[0].events[0] for r in replies]
    assert [(e.seq, e.order_id, e.kind) for e in events] == [
        (1, 101, matching_pb2.EngineEvent.ACCEPTED),
        (2, 102, matching_pb2.EngineEvent.ACCEPTED),
        (3, 103, matching_pb2.EngineEvent.ACCEPTED),
    ]
