from exchange.v1 import common_pb2 as _common_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.rpc import status_pb2 as _status_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CancelRestrictions(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CANCEL_RESTRICTIONS_UNSPECIFIED: _ClassVar[CancelRestrictions]
    ONLY_NEW: _ClassVar[CancelRestrictions]
    ONLY_PARTIALLY_FILLED: _ClassVar[CancelRestrictions]

class CancelReplaceMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CANCEL_REPLACE_MODE_UNSPECIFIED: _ClassVar[CancelReplaceMode]
    STOP_ON_FAILURE: _ClassVar[CancelReplaceMode]
    ALLOW_FAILURE: _ClassVar[CancelReplaceMode]

class CancelReplaceResult(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CANCEL_REPLACE_RESULT_UNSPECIFIED: _ClassVar[CancelReplaceResult]
    SUCCESS: _ClassVar[CancelReplaceResult]
    FAILURE: _ClassVar[CancelReplaceResult]
    NOT_ATTEMPTED: _ClassVar[CancelReplaceResult]
CANCEL_RESTRICTIONS_UNSPECIFIED: CancelRestrictions
ONLY_NEW: CancelRestrictions
ONLY_PARTIALLY_FILLED: CancelRestrictions
CANCEL_REPLACE_MODE_UNSPECIFIED: CancelReplaceMode
STOP_ON_FAILURE: CancelReplaceMode
ALLOW_FAILURE: CancelReplaceMode
CANCEL_REPLACE_RESULT_UNSPECIFIED: CancelReplaceResult
SUCCESS: CancelReplaceResult
FAILURE: CancelReplaceResult
NOT_ATTEMPTED: CancelReplaceResult

class PlaceOrderRequest(_message.Message):
    __slots__ = ("symbol", "side", "type", "time_in_force", "quantity", "quote_order_qty", "price", "new_client_order_id", "stop_price", "new_order_resp_type", "self_trade_prevention_mode", "compute_commission_rates")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TIME_IN_FORCE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    QUOTE_ORDER_QTY_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    NEW_CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    STOP_PRICE_FIELD_NUMBER: _ClassVar[int]
    NEW_ORDER_RESP_TYPE_FIELD_NUMBER: _ClassVar[int]
    SELF_TRADE_PREVENTION_MODE_FIELD_NUMBER: _ClassVar[int]
    COMPUTE_COMMISSION_RATES_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    side: _common_pb2.Side
    type: _common_pb2.OrderType
    time_in_force: _common_pb2.TimeInForce
    quantity: str
    quote_order_qty: str
    price: str
    new_client_order_id: str
    stop_price: str
    new_order_resp_type: _common_pb2.NewOrderRespType
    self_trade_prevention_mode: _common_pb2.SelfTradePrevention
    compute_commission_rates: bool
    def __init__(self, symbol: _Optional[str] = ..., side: _Optional[_Union[_common_pb2.Side, str]] = ..., type: _Optional[_Union[_common_pb2.OrderType, str]] = ..., time_in_force: _Optional[_Union[_common_pb2.TimeInForce, str]] = ..., quantity: _Optional[str] = ..., quote_order_qty: _Optional[str] = ..., price: _Optional[str] = ..., new_client_order_id: _Optional[str] = ..., stop_price: _Optional[str] = ..., new_order_resp_type: _Optional[_Union[_common_pb2.NewOrderRespType, str]] = ..., self_trade_prevention_mode: _Optional[_Union[_common_pb2.SelfTradePrevention, str]] = ..., compute_commission_rates: _Optional[bool] = ...) -> None: ...

class PlaceOrderResponse(_message.Message):
    __slots__ = ("order", "transact_time", "fills")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    TRANSACT_TIME_FIELD_NUMBER: _ClassVar[int]
    FILLS_FIELD_NUMBER: _ClassVar[int]
    order: _common_pb2.Order
    transact_time: int
    fills: _containers.RepeatedCompositeFieldContainer[_common_pb2.Fill]
    def __init__(self, order: _Optional[_Union[_common_pb2.Order, _Mapping]] = ..., transact_time: _Optional[int] = ..., fills: _Optional[_Iterable[_Union[_common_pb2.Fill, _Mapping]]] = ...) -> None: ...

class TestOrderResponse(_message.Message):
    __slots__ = ("standard_commission_for_order",)
    STANDARD_COMMISSION_FOR_ORDER_FIELD_NUMBER: _ClassVar[int]
    standard_commission_for_order: _common_pb2.CommissionRates
    def __init__(self, standard_commission_for_order: _Optional[_Union[_common_pb2.CommissionRates, _Mapping]] = ...) -> None: ...

class CancelOrderRequest(_message.Message):
    __slots__ = ("symbol", "order_id", "orig_client_order_id", "new_client_order_id", "cancel_restrictions")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    ORIG_CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    NEW_CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CANCEL_RESTRICTIONS_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    order_id: int
    orig_client_order_id: str
    new_client_order_id: str
    cancel_restrictions: CancelRestrictions
    def __init__(self, symbol: _Optional[str] = ..., order_id: _Optional[int] = ..., orig_client_order_id: _Optional[str] = ..., new_client_order_id: _Optional[str] = ..., cancel_restrictions: _Optional[_Union[CancelRestrictions, str]] = ...) -> None: ...

class CancelOrderResponse(_message.Message):
    __slots__ = ("order", "orig_client_order_id", "client_order_id", "transact_time")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    ORIG_CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    TRANSACT_TIME_FIELD_NUMBER: _ClassVar[int]
    order: _common_pb2.Order
    orig_client_order_id: str
    client_order_id: str
    transact_time: int
    def __init__(self, order: _Optional[_Union[_common_pb2.Order, _Mapping]] = ..., orig_client_order_id: _Optional[str] = ..., client_order_id: _Optional[str] = ..., transact_time: _Optional[int] = ...) -> None: ...

class CancelAllOpenOrdersRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class CancelAllOpenOrdersResponse(_message.Message):
    __slots__ = ("canceled",)
    CANCELED_FIELD_NUMBER: _ClassVar[int]
    canceled: _containers.RepeatedCompositeFieldContainer[CancelOrderResponse]
    def __init__(self, canceled: _Optional[_Iterable[_Union[CancelOrderResponse, _Mapping]]] = ...) -> None: ...

class CancelReplaceRequest(_message.Message):
    __slots__ = ("symbol", "cancel_replace_mode", "cancel_order_id", "cancel_orig_client_order_id", "cancel_new_client_order_id", "cancel_restrictions", "side", "type", "time_in_force", "quantity", "quote_order_qty", "price", "new_client_order_id", "stop_price", "new_order_resp_type", "self_trade_prevention_mode")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REPLACE_MODE_FIELD_NUMBER: _ClassVar[int]
    CANCEL_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CANCEL_ORIG_CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CANCEL_NEW_CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CANCEL_RESTRICTIONS_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TIME_IN_FORCE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    QUOTE_ORDER_QTY_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    NEW_CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    STOP_PRICE_FIELD_NUMBER: _ClassVar[int]
    NEW_ORDER_RESP_TYPE_FIELD_NUMBER: _ClassVar[int]
    SELF_TRADE_PREVENTION_MODE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    cancel_replace_mode: CancelReplaceMode
    cancel_order_id: int
    cancel_orig_client_order_id: str
    cancel_new_client_order_id: str
    cancel_restrictions: CancelRestrictions
    side: _common_pb2.Side
    type: _common_pb2.OrderType
    time_in_force: _common_pb2.TimeInForce
    quantity: str
    quote_order_qty: str
    price: str
    new_client_order_id: str
    stop_price: str
    new_order_resp_type: _common_pb2.NewOrderRespType
    self_trade_prevention_mode: _common_pb2.SelfTradePrevention
    def __init__(self, symbol: _Optional[str] = ..., cancel_replace_mode: _Optional[_Union[CancelReplaceMode, str]] = ..., cancel_order_id: _Optional[int] = ..., cancel_orig_client_order_id: _Optional[str] = ..., cancel_new_client_order_id: _Optional[str] = ..., cancel_restrictions: _Optional[_Union[CancelRestrictions, str]] = ..., side: _Optional[_Union[_common_pb2.Side, str]] = ..., type: _Optional[_Union[_common_pb2.OrderType, str]] = ..., time_in_force: _Optional[_Union[_common_pb2.TimeInForce, str]] = ..., quantity: _Optional[str] = ..., quote_order_qty: _Optional[str] = ..., price: _Optional[str] = ..., new_client_order_id: _Optional[str] = ..., stop_price: _Optional[str] = ..., new_order_resp_type: _Optional[_Union[_common_pb2.NewOrderRespType, str]] = ..., self_trade_prevention_mode: _Optional[_Union[_common_pb2.SelfTradePrevention, str]] = ...) -> None: ...

class CancelReplaceResponse(_message.Message):
    __slots__ = ("cancel_result", "new_order_result", "cancel_response", "cancel_error", "new_order_response", "new_order_error")
    CANCEL_RESULT_FIELD_NUMBER: _ClassVar[int]
    NEW_ORDER_RESULT_FIELD_NUMBER: _ClassVar[int]
    CANCEL_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    CANCEL_ERROR_FIELD_NUMBER: _ClassVar[int]
    NEW_ORDER_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    NEW_ORDER_ERROR_FIELD_NUMBER: _ClassVar[int]
    cancel_result: CancelReplaceResult
    new_order_result: CancelReplaceResult
    cancel_response: CancelOrderResponse
    cancel_error: _status_pb2.Status
    new_order_response: PlaceOrderResponse
    new_order_error: _status_pb2.Status
    def __init__(self, cancel_result: _Optional[_Union[CancelReplaceResult, str]] = ..., new_order_result: _Optional[_Union[CancelReplaceResult, str]] = ..., cancel_response: _Optional[_Union[CancelOrderResponse, _Mapping]] = ..., cancel_error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ..., new_order_response: _Optional[_Union[PlaceOrderResponse, _Mapping]] = ..., new_order_error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

class AmendOrderRequest(_message.Message):
    __slots__ = ("symbol", "order_id", "orig_client_order_id", "new_client_order_id", "new_qty")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    ORIG_CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    NEW_CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    NEW_QTY_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    order_id: int
    orig_client_order_id: str
    new_client_order_id: str
    new_qty: str
    def __init__(self, symbol: _Optional[str] = ..., order_id: _Optional[int] = ..., orig_client_order_id: _Optional[str] = ..., new_client_order_id: _Optional[str] = ..., new_qty: _Optional[str] = ...) -> None: ...

class AmendOrderResponse(_message.Message):
    __slots__ = ("transact_time", "execution_id", "amended_order")
    TRANSACT_TIME_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    AMENDED_ORDER_FIELD_NUMBER: _ClassVar[int]
    transact_time: int
    execution_id: int
    amended_order: _common_pb2.Order
    def __init__(self, transact_time: _Optional[int] = ..., execution_id: _Optional[int] = ..., amended_order: _Optional[_Union[_common_pb2.Order, _Mapping]] = ...) -> None: ...

class GetOrderRequest(_message.Message):
    __slots__ = ("symbol", "order_id", "orig_client_order_id")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    ORIG_CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    order_id: int
    orig_client_order_id: str
    def __init__(self, symbol: _Optional[str] = ..., order_id: _Optional[int] = ..., orig_client_order_id: _Optional[str] = ...) -> None: ...

class ListOpenOrdersRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class ListOrdersRequest(_message.Message):
    __slots__ = ("symbol", "order_id", "start_time", "end_time", "limit")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    order_id: int
    start_time: int
    end_time: int
    limit: int
    def __init__(self, symbol: _Optional[str] = ..., order_id: _Optional[int] = ..., start_time: _Optional[int] = ..., end_time: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class ListOrdersResponse(_message.Message):
    __slots__ = ("orders",)
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[_common_pb2.Order]
    def __init__(self, orders: _Optional[_Iterable[_Union[_common_pb2.Order, _Mapping]]] = ...) -> None: ...

class PlaceOrderItem(_message.Message):
    __slots__ = ("user_id", "order")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    order: PlaceOrderRequest
    def __init__(self, user_id: _Optional[int] = ..., order: _Optional[_Union[PlaceOrderRequest, _Mapping]] = ...) -> None: ...

class PlaceOrdersRequest(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[PlaceOrderItem]
    def __init__(self, items: _Optional[_Iterable[_Union[PlaceOrderItem, _Mapping]]] = ...) -> None: ...

class PlaceOrderResult(_message.Message):
    __slots__ = ("placed", "error")
    PLACED_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    placed: PlaceOrderResponse
    error: _status_pb2.Status
    def __init__(self, placed: _Optional[_Union[PlaceOrderResponse, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

class PlaceOrdersResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[PlaceOrderResult]
    def __init__(self, results: _Optional[_Iterable[_Union[PlaceOrderResult, _Mapping]]] = ...) -> None: ...

class TaggedPlaceOrder(_message.Message):
    __slots__ = ("tag", "item")
    TAG_FIELD_NUMBER: _ClassVar[int]
    ITEM_FIELD_NUMBER: _ClassVar[int]
    tag: int
    item: PlaceOrderItem
    def __init__(self, tag: _Optional[int] = ..., item: _Optional[_Union[PlaceOrderItem, _Mapping]] = ...) -> None: ...

class PlaceOrderStreamRequest(_message.Message):
    __slots__ = ("orders",)
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[TaggedPlaceOrder]
    def __init__(self, orders: _Optional[_Iterable[_Union[TaggedPlaceOrder, _Mapping]]] = ...) -> None: ...

class TaggedPlaceOrderResult(_message.Message):
    __slots__ = ("tag", "result", "timings")
    TAG_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_FIELD_NUMBER: _ClassVar[int]
    tag: int
    result: PlaceOrderResult
    timings: str
    def __init__(self, tag: _Optional[int] = ..., result: _Optional[_Union[PlaceOrderResult, _Mapping]] = ..., timings: _Optional[str] = ...) -> None: ...

class PlaceOrderStreamReply(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[TaggedPlaceOrderResult]
    def __init__(self, results: _Optional[_Iterable[_Union[TaggedPlaceOrderResult, _Mapping]]] = ...) -> None: ...

class CancelOrderItem(_message.Message):
    __slots__ = ("user_id", "cancel")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CANCEL_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    cancel: CancelOrderRequest
    def __init__(self, user_id: _Optional[int] = ..., cancel: _Optional[_Union[CancelOrderRequest, _Mapping]] = ...) -> None: ...

class CancelOrdersRequest(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[CancelOrderItem]
    def __init__(self, items: _Optional[_Iterable[_Union[CancelOrderItem, _Mapping]]] = ...) -> None: ...

class CancelOrderResult(_message.Message):
    __slots__ = ("canceled", "error")
    CANCELED_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    canceled: CancelOrderResponse
    error: _status_pb2.Status
    def __init__(self, canceled: _Optional[_Union[CancelOrderResponse, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

class CancelOrdersResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[CancelOrderResult]
    def __init__(self, results: _Optional[_Iterable[_Union[CancelOrderResult, _Mapping]]] = ...) -> None: ...
