from google.protobuf import descriptor_pb2 as _descriptor_pb2
from google.rpc import code_pb2 as _code_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ErrorReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ERROR_REASON_UNSPECIFIED: _ClassVar[ErrorReason]
    INTERNAL_ERROR: _ClassVar[ErrorReason]
    BACKEND_UNAVAILABLE: _ClassVar[ErrorReason]
    TIMEOUT: _ClassVar[ErrorReason]
    TOO_MANY_REQUESTS: _ClassVar[ErrorReason]
    TOO_MANY_ORDERS: _ClassVar[ErrorReason]
    UNAUTHORIZED: _ClassVar[ErrorReason]
    TIMESTAMP_OUTSIDE_RECV_WINDOW: _ClassVar[ErrorReason]
    INVALID_SIGNATURE: _ClassVar[ErrorReason]
    INVALID_RECV_WINDOW: _ClassVar[ErrorReason]
    API_KEY_FORMAT_INVALID: _ClassVar[ErrorReason]
    INVALID_API_KEY: _ClassVar[ErrorReason]
    INVALID_CREDENTIALS: _ClassVar[ErrorReason]
    INVALID_SESSION: _ClassVar[ErrorReason]
    PERMISSION_DENIED: _ClassVar[ErrorReason]
    INVALID_LISTEN_KEY: _ClassVar[ErrorReason]
    ILLEGAL_PARAMETER: _ClassVar[ErrorReason]
    MANDATORY_PARAMETER_MISSING: _ClassVar[ErrorReason]
    PARAMETER_NOT_REQUIRED: _ClassVar[ErrorReason]
    BAD_PRECISION: _ClassVar[ErrorReason]
    INVALID_TIME_IN_FORCE: _ClassVar[ErrorReason]
    INVALID_ORDER_TYPE: _ClassVar[ErrorReason]
    INVALID_SIDE: _ClassVar[ErrorReason]
    INVALID_INTERVAL: _ClassVar[ErrorReason]
    INVALID_SYMBOL: _ClassVar[ErrorReason]
    INVALID_PARAMETER_COMBINATION: _ClassVar[ErrorReason]
    INVALID_ASSET: _ClassVar[ErrorReason]
    INVALID_STREAM: _ClassVar[ErrorReason]
    FILTER_PRICE_FILTER: _ClassVar[ErrorReason]
    FILTER_PERCENT_PRICE: _ClassVar[ErrorReason]
    FILTER_LOT_SIZE: _ClassVar[ErrorReason]
    FILTER_MARKET_LOT_SIZE: _ClassVar[ErrorReason]
    FILTER_NOTIONAL: _ClassVar[ErrorReason]
    FILTER_MAX_NUM_ORDERS: _ClassVar[ErrorReason]
    FILTER_MAX_NUM_ALGO_ORDERS: _ClassVar[ErrorReason]
    AMOUNT_TOO_LARGE: _ClassVar[ErrorReason]
    INSUFFICIENT_BALANCE: _ClassVar[ErrorReason]
    DUPLICATE_CLIENT_ORDER_ID: _ClassVar[ErrorReason]
    SYMBOL_NOT_TRADING: _ClassVar[ErrorReason]
    WOULD_MATCH_AND_TAKE: _ClassVar[ErrorReason]
    WOULD_TRIGGER_IMMEDIATELY: _ClassVar[ErrorReason]
    ORDER_TYPE_NOT_SUPPORTED: _ClassVar[ErrorReason]
    QUOTE_ORDER_QTY_NOT_SUPPORTED: _ClassVar[ErrorReason]
    UNSUPPORTED_ORDER_COMBINATION: _ClassVar[ErrorReason]
    UNKNOWN_ORDER: _ClassVar[ErrorReason]
    NO_SUCH_ORDER: _ClassVar[ErrorReason]
    CANCEL_RESTRICTED: _ClassVar[ErrorReason]
    ORDER_NOT_AMENDABLE: _ClassVar[ErrorReason]
    INVALID_AMEND_QUANTITY: _ClassVar[ErrorReason]
    USER_ALREADY_EXISTS: _ClassVar[ErrorReason]
    TRANSACTION_ID_CONFLICT: _ClassVar[ErrorReason]
    API_KEY_NOT_FOUND: _ClassVar[ErrorReason]
    WEAK_PASSWORD: _ClassVar[ErrorReason]
    SYMBOL_NOT_ON_SHARD: _ClassVar[ErrorReason]
    SEQUENCE_TRUNCATED: _ClassVar[ErrorReason]
    ORDER_ALREADY_JOURNALED: _ClassVar[ErrorReason]
ERROR_REASON_UNSPECIFIED: ErrorReason
INTERNAL_ERROR: ErrorReason
BACKEND_UNAVAILABLE: ErrorReason
TIMEOUT: ErrorReason
TOO_MANY_REQUESTS: ErrorReason
TOO_MANY_ORDERS: ErrorReason
UNAUTHORIZED: ErrorReason
TIMESTAMP_OUTSIDE_RECV_WINDOW: ErrorReason
INVALID_SIGNATURE: ErrorReason
INVALID_RECV_WINDOW: ErrorReason
API_KEY_FORMAT_INVALID: ErrorReason
INVALID_API_KEY: ErrorReason
INVALID_CREDENTIALS: ErrorReason
INVALID_SESSION: ErrorReason
PERMISSION_DENIED: ErrorReason
INVALID_LISTEN_KEY: ErrorReason
ILLEGAL_PARAMETER: ErrorReason
MANDATORY_PARAMETER_MISSING: ErrorReason
PARAMETER_NOT_REQUIRED: ErrorReason
BAD_PRECISION: ErrorReason
INVALID_TIME_IN_FORCE: ErrorReason
INVALID_ORDER_TYPE: ErrorReason
INVALID_SIDE: ErrorReason
INVALID_INTERVAL: ErrorReason
INVALID_SYMBOL: ErrorReason
INVALID_PARAMETER_COMBINATION: ErrorReason
INVALID_ASSET: ErrorReason
INVALID_STREAM: ErrorReason
FILTER_PRICE_FILTER: ErrorReason
FILTER_PERCENT_PRICE: ErrorReason
FILTER_LOT_SIZE: ErrorReason
FILTER_MARKET_LOT_SIZE: ErrorReason
FILTER_NOTIONAL: ErrorReason
FILTER_MAX_NUM_ORDERS: ErrorReason
FILTER_MAX_NUM_ALGO_ORDERS: ErrorReason
AMOUNT_TOO_LARGE: ErrorReason
INSUFFICIENT_BALANCE: ErrorReason
DUPLICATE_CLIENT_ORDER_ID: ErrorReason
SYMBOL_NOT_TRADING: ErrorReason
WOULD_MATCH_AND_TAKE: ErrorReason
WOULD_TRIGGER_IMMEDIATELY: ErrorReason
ORDER_TYPE_NOT_SUPPORTED: ErrorReason
QUOTE_ORDER_QTY_NOT_SUPPORTED: ErrorReason
UNSUPPORTED_ORDER_COMBINATION: ErrorReason
UNKNOWN_ORDER: ErrorReason
NO_SUCH_ORDER: ErrorReason
CANCEL_RESTRICTED: ErrorReason
ORDER_NOT_AMENDABLE: ErrorReason
INVALID_AMEND_QUANTITY: ErrorReason
USER_ALREADY_EXISTS: ErrorReason
TRANSACTION_ID_CONFLICT: ErrorReason
API_KEY_NOT_FOUND: ErrorReason
WEAK_PASSWORD: ErrorReason
SYMBOL_NOT_ON_SHARD: ErrorReason
SEQUENCE_TRUNCATED: ErrorReason
ORDER_ALREADY_JOURNALED: ErrorReason
ERROR_FIELD_NUMBER: _ClassVar[int]
error: _descriptor.FieldDescriptor

class ErrorMapping(_message.Message):
    __slots__ = ("grpc_code", "binance_code", "binance_msg")
    GRPC_CODE_FIELD_NUMBER: _ClassVar[int]
    BINANCE_CODE_FIELD_NUMBER: _ClassVar[int]
    BINANCE_MSG_FIELD_NUMBER: _ClassVar[int]
    grpc_code: _code_pb2.Code
    binance_code: int
    binance_msg: str
    def __init__(self, grpc_code: _Optional[_Union[_code_pb2.Code, str]] = ..., binance_code: _Optional[int] = ..., binance_msg: _Optional[str] = ...) -> None: ...
