"""Orders in Binance's JSON: GET order views, the ACK/RESULT/FULL trimming of a new order,
cancels, keepPriority amends and cancelReplace's two halves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from edge.errors import ApiError, from_status
from exchange.v1 import common_pb2, order_pb2

_ZERO = "0.00000000"
_STATUS = common_pb2.OrderStatus.Name
_TIF = common_pb2.TimeInForce.Name
_TYPE = common_pb2.OrderType.Name
_SIDE = common_pb2.Side.Name
_STP = common_pb2.SelfTradePrevention.Name


def order_view(o: common_pb2.Order) -> dict[str, Any]:
    """GET /api/v3/order, openOrders, allOrders: Binance's keys in Binance's order."""
    return {
        "symbol": o.symbol,
        "orderId": o.order_id,
        "orderListId": o.order_list_id,
        "clientOrderId": o.client_order_id,
        "price": o.price,
        "origQty": o.orig_qty,
        "executedQty": o.executed_qty,
        "cummulativeQuoteQty": o.cummulative_quote_qty,
        "status": _STATUS(o.status),
        "timeInForce": _TIF(o.time_in_force),
        "type": _TYPE(o.type),
        "side": _SIDE(o.side),
        "stopPrice": o.stop_price,
        "icebergQty": _ZERO,  # spotex has no icebergs; Binance always sends the key
        "time": o.time,
        "updateTime": o.update_time,
        "isWorking": o.is_working,
        "workingTime": o.working_time,
        "origQuoteOrderQty": o.orig_quote_order_qty,
        "selfTradePreventionMode": _STP(o.self_trade_prevention_mode),
    }


def _fill(f: common_pb2.Fill) -> dict[str, Any]:
    return {
        "price": f.price,
        "qty": f.qty,
        "commission": f.commission,
        "commissionAsset": f.commission_asset,
        "tradeId": f.trade_id,
    }


def response_type(request: Any) -> int:
    """Binance's default: FULL for MARKET and LIMIT, ACK for every other type."""
    if request.new_order_resp_type:
        return int(request.new_order_resp_type)
    return common_pb2.FULL if request.type in (common_pb2.MARKET, common_pb2.LIMIT) else common_pb2.ACK


def placed(response: order_pb2.PlaceOrderResponse, request: Any) -> dict[str, Any]:
    """POST /api/v3/order: the service always answers FULL; ACK and RESULT are its prefixes."""
    o = response.order
    out: dict[str, Any] = {
        "symbol": o.symbol,
        "orderId": o.order_id,
        "orderListId": o.order_list_id,
        "clientOrderId": o.client_order_id,
        "transactTime": response.transact_time,
    }
    kind = response_type(request)
    if kind == common_pb2.ACK:
        return out
    out.update(
        price=o.price,
        origQty=o.orig_qty,
        executedQty=o.executed_qty,
        origQuoteOrderQty=o.orig_quote_order_qty,
        cummulativeQuoteQty=o.cummulative_quote_qty,
        status=_STATUS(o.status),
        timeInForce=_TIF(o.time_in_force),
        type=_TYPE(o.type),
        side=_SIDE(o.side),
        workingTime=o.working_time,
        selfTradePreventionMode=_STP(o.self_trade_prevention_mode),
    )
    _conditional_fields(o, out)
    if kind == common_pb2.FULL:
        out["fills"] = [_fill(f) for f in response.fills]
    return out


def _conditional_fields(o: common_pb2.Order, out: dict[str, Any]) -> None:
    """Binance's "conditional fields in order responses" (placement and cancellation) that
    spotex has: stopPrice, for the stop and take-profit types."""
    if o.stop_price and o.type not in (common_pb2.LIMIT, common_pb2.MARKET, common_pb2.LIMIT_MAKER):
        out["stopPrice"] = o.stop_price


def canceled(c: order_pb2.CancelOrderResponse) -> dict[str, Any]:
    """DELETE /api/v3/order. As on Binance, origClientOrderId is the order's client id and
    clientOrderId the cancel's."""
    o = c.order
    out = {
        "symbol": o.symbol,
        "origClientOrderId": c.orig_client_order_id,
        "orderId": o.order_id,
        "orderListId": o.order_list_id,
        "clientOrderId": c.client_order_id,
        "transactTime": c.transact_time,
        "price": o.price,
        "origQty": o.orig_qty,
        "executedQty": o.executed_qty,
        "origQuoteOrderQty": o.orig_quote_order_qty,
        "cummulativeQuoteQty": o.cummulative_quote_qty,
        "status": _STATUS(o.status),
        "timeInForce": _TIF(o.time_in_force),
        "type": _TYPE(o.type),
        "side": _SIDE(o.side),
        "selfTradePreventionMode": _STP(o.self_trade_prevention_mode),
    }
    _conditional_fields(o, out)
    return out


def amended(a: order_pb2.AmendOrderResponse, request: Any, params: Mapping[str, str]) -> dict[str, Any]:
    """PUT /api/v3/order/amend/keepPriority (Binance's amend keys: qty, cumulativeQuoteQty)."""
    o = a.amended_order
    order: dict[str, Any] = {"symbol": o.symbol, "orderId": o.order_id, "orderListId": o.order_list_id}
    if request.orig_client_order_id:
        order["origClientOrderId"] = request.orig_client_order_id
    order.update(
        clientOrderId=o.client_order_id,
        price=o.price,
        qty=o.orig_qty,
        executedQty=o.executed_qty,
        preventedQty=_ZERO,
        quoteOrderQty=o.orig_quote_order_qty,
        cumulativeQuoteQty=o.cummulative_quote_qty,
        status=_STATUS(o.status),
        timeInForce=_TIF(o.time_in_force),
        type=_TYPE(o.type),
        side=_SIDE(o.side),
        workingTime=o.working_time,
        selfTradePreventionMode=_STP(o.self_trade_prevention_mode),
    )
    return {"transactTime": a.transact_time, "executionId": a.execution_id, "amendedOrder": order}


def place_order(response: Any, request: Any, params: Mapping[str, str]) -> Any:
    return placed(response, request)


def test_order(response: order_pb2.TestOrderResponse, request: Any, params: Mapping[str, str]) -> Any:
    if not response.HasField("standard_commission_for_order"):
        return {}
    rates = response.standard_commission_for_order
    none = "0.00000000"
    return {
        "standardCommissionForOrder": {"maker": rates.maker, "taker": rates.taker},
        "specialCommissionForOrder": {"maker": none, "taker": none},  # no special rates here
        "taxCommissionForOrder": {"maker": none, "taker": none},  # no tax is charged
        "discount": {"enabledForAccount": False, "enabledForSymbol": False, "discountAsset": "", "discount": none},
    }


def cancel_order(response: Any, request: Any, params: Mapping[str, str]) -> Any:
    return canceled(response)


def cancel_all(response: order_pb2.CancelAllOpenOrdersResponse, request: Any, params: Mapping[str, str]) -> Any:
    return [canceled(c) for c in response.canceled]


def one_order(response: common_pb2.Order, request: Any, params: Mapping[str, str]) -> Any:
    return order_view(response)


def order_list(response: order_pb2.ListOrdersResponse, request: Any, params: Mapping[str, str]) -> Any:
    return [order_view(o) for o in response.orders]


def amend_order(response: Any, request: Any, params: Mapping[str, str]) -> Any:
    return amended(response, request, params)


# -- cancelReplace: Binance answers both halves, with -2022/-2021 when a half failed ----------


def _half_error(status: Any) -> dict[str, Any]:
    return from_status(status).body()


def cancel_replace(response: order_pb2.CancelReplaceResponse, request: Any, params: Mapping[str, str]) -> Any:
    result_name = order_pb2.CancelReplaceResult.Name
    body: dict[str, Any] = {
        "cancelResult": result_name(response.cancel_result),
        "newOrderResult": result_name(response.new_order_result),
    }
    if response.cancel_result == order_pb2.SUCCESS:
        body["cancelResponse"] = canceled(response.cancel_response)
    else:
        body["cancelResponse"] = _half_error(response.cancel_error)
    if response.new_order_result == order_pb2.SUCCESS:
        body["newOrderResponse"] = placed(response.new_order_response, request)
    elif response.new_order_result == order_pb2.FAILURE:
        body["newOrderResponse"] = _half_error(response.new_order_error)
    else:
        body["newOrderResponse"] = None
    # Binance: nothing done is 400 / -2022; one half done (the cancel, or under ALLOW_FAILURE
    # the new order) is 409 / -2021, so a client never reads a live new order as a failure
    if response.cancel_result == order_pb2.FAILURE and response.new_order_result != order_pb2.SUCCESS:
        raise ApiError(400, -2022, "Order cancel-replace failed.", data=body)
    if order_pb2.FAILURE in (response.cancel_result, response.new_order_result):
        raise ApiError(409, -2021, "Order cancel-replace partially failed.", data=body)
    return body
