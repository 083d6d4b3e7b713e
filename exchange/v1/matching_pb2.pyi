from exchange.v1 import common_pb2 as _common_pb2
from google.rpc import status_pb2 as _status_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SubmitCommand(_message.Message):
    __slots__ = ("order_id", "user_id", "side", "order_type", "time_in_force", "price", "qty", "quote_qty", "stop_price", "self_trade_prevention", "cap")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    ORDER_TYPE_FIELD_NUMBER: _ClassVar[int]
    TIME_IN_FORCE_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    QTY_FIELD_NUMBER: _ClassVar[int]
    QUOTE_QTY_FIELD_NUMBER: _ClassVar[int]
    STOP_PRICE_FIELD_NUMBER: _ClassVar[int]
    SELF_TRADE_PREVENTION_FIELD_NUMBER: _ClassVar[int]
    CAP_FIELD_NUMBER: _ClassVar[int]
    order_id: int
    user_id: int
    side: _common_pb2.Side
    order_type: _common_pb2.OrderType
    time_in_force: _common_pb2.TimeInForce
    price: int
    qty: int
    quote_qty: int
    stop_price: int
    self_trade_prevention: _common_pb2.SelfTradePrevention
    cap: int
    def __init__(self, order_id: _Optional[int] = ..., user_id: _Optional[int] = ..., side: _Optional[_Union[_common_pb2.Side, str]] = ..., order_type: _Optional[_Union[_common_pb2.OrderType, str]] = ..., time_in_force: _Optional[_Union[_common_pb2.TimeInForce, str]] = ..., price: _Optional[int] = ..., qty: _Optional[int] = ..., quote_qty: _Optional[int] = ..., stop_price: _Optional[int] = ..., self_trade_prevention: _Optional[_Union[_common_pb2.SelfTradePrevention, str]] = ..., cap: _Optional[int] = ...) -> None: ...

class CancelCommand(_message.Message):
    __slots__ = ("order_id",)
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: int
    def __init__(self, order_id: _Optional[int] = ...) -> None: ...

class AmendCommand(_message.Message):
    __slots__ = ("order_id", "new_price", "new_qty")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    NEW_PRICE_FIELD_NUMBER: _ClassVar[int]
    NEW_QTY_FIELD_NUMBER: _ClassVar[int]
    order_id: int
    new_price: int
    new_qty: int
    def __init__(self, order_id: _Optional[int] = ..., new_price: _Optional[int] = ..., new_qty: _Optional[int] = ...) -> None: ...

class ReduceCommand(_message.Message):
    __slots__ = ("order_id", "new_qty")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    NEW_QTY_FIELD_NUMBER: _ClassVar[int]
    order_id: int
    new_qty: int
    def __init__(self, order_id: _Optional[int] = ..., new_qty: _Optional[int] = ...) -> None: ...

class ReplaceCommand(_message.Message):
    __slots__ = ("target_id", "submit")
    TARGET_ID_FIELD_NUMBER: _ClassVar[int]
    SUBMIT_FIELD_NUMBER: _ClassVar[int]
    target_id: int
    submit: SubmitCommand
    def __init__(self, target_id: _Optional[int] = ..., submit: _Optional[_Union[SubmitCommand, _Mapping]] = ...) -> None: ...

class Command(_message.Message):
    __slots__ = ("symbol", "submit", "cancel", "amend", "replace", "reduce")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SUBMIT_FIELD_NUMBER: _ClassVar[int]
    CANCEL_FIELD_NUMBER: _ClassVar[int]
    AMEND_FIELD_NUMBER: _ClassVar[int]
    REPLACE_FIELD_NUMBER: _ClassVar[int]
    REDUCE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    submit: SubmitCommand
    cancel: CancelCommand
    amend: AmendCommand
    replace: ReplaceCommand
    reduce: ReduceCommand
    def __init__(self, symbol: _Optional[str] = ..., submit: _Optional[_Union[SubmitCommand, _Mapping]] = ..., cancel: _Optional[_Union[CancelCommand, _Mapping]] = ..., amend: _Optional[_Union[AmendCommand, _Mapping]] = ..., replace: _Optional[_Union[ReplaceCommand, _Mapping]] = ..., reduce: _Optional[_Union[ReduceCommand, _Mapping]] = ...) -> None: ...

class CommandBatch(_message.Message):
    __slots__ = ("batch_id", "commands")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    COMMANDS_FIELD_NUMBER: _ClassVar[int]
    batch_id: int
    commands: _containers.RepeatedCompositeFieldContainer[Command]
    def __init__(self, batch_id: _Optional[int] = ..., commands: _Optional[_Iterable[_Union[Command, _Mapping]]] = ...) -> None: ...

class EngineEvent(_message.Message):
    __slots__ = ("symbol", "seq", "kind", "side", "order_type", "status", "reject_reason", "order_id", "user_id", "maker_order_id", "maker_user_id", "price", "qty", "filled", "time")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[EngineEvent.Kind]
        ACCEPTED: _ClassVar[EngineEvent.Kind]
        REJECTED: _ClassVar[EngineEvent.Kind]
        TRADE: _ClassVar[EngineEvent.Kind]
        ORDER: _ClassVar[EngineEvent.Kind]
        LEVEL: _ClassVar[EngineEvent.Kind]
        AMENDED: _ClassVar[EngineEvent.Kind]
        TRIGGERED: _ClassVar[EngineEvent.Kind]
    KIND_UNSPECIFIED: EngineEvent.Kind
    ACCEPTED: EngineEvent.Kind
    REJECTED: EngineEvent.Kind
    TRADE: EngineEvent.Kind
    ORDER: EngineEvent.Kind
    LEVEL: EngineEvent.Kind
    AMENDED: EngineEvent.Kind
    TRIGGERED: EngineEvent.Kind
    class RejectReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        REJECT_REASON_UNSPECIFIED: _ClassVar[EngineEvent.RejectReason]
        INVALID_QUANTITY: _ClassVar[EngineEvent.RejectReason]
        INVALID_PRICE: _ClassVar[EngineEvent.RejectReason]
        DUPLICATE_ORDER_ID: _ClassVar[EngineEvent.RejectReason]
        UNKNOWN_ORDER: _ClassVar[EngineEvent.RejectReason]
        WOULD_TAKE: _ClassVar[EngineEvent.RejectReason]
        WOULD_TRIGGER_IMMEDIATELY: _ClassVar[EngineEvent.RejectReason]
        OVERFLOW: _ClassVar[EngineEvent.RejectReason]
        INVALID_ORDER: _ClassVar[EngineEvent.RejectReason]
        INVALID_STOP_PRICE: _ClassVar[EngineEvent.RejectReason]
        NOT_AMENDABLE: _ClassVar[EngineEvent.RejectReason]
        INSUFFICIENT_FUNDS: _ClassVar[EngineEvent.RejectReason]
    REJECT_REASON_UNSPECIFIED: EngineEvent.RejectReason
    INVALID_QUANTITY: EngineEvent.RejectReason
    INVALID_PRICE: EngineEvent.RejectReason
    DUPLICATE_ORDER_ID: EngineEvent.RejectReason
    UNKNOWN_ORDER: EngineEvent.RejectReason
    WOULD_TAKE: EngineEvent.RejectReason
    WOULD_TRIGGER_IMMEDIATELY: EngineEvent.RejectReason
    OVERFLOW: EngineEvent.RejectReason
    INVALID_ORDER: EngineEvent.RejectReason
    INVALID_STOP_PRICE: EngineEvent.RejectReason
    NOT_AMENDABLE: EngineEvent.RejectReason
    INSUFFICIENT_FUNDS: EngineEvent.RejectReason
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    ORDER_TYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REJECT_REASON_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    MAKER_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    MAKER_USER_ID_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    QTY_FIELD_NUMBER: _ClassVar[int]
    FILLED_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    seq: int
    kind: EngineEvent.Kind
    side: _common_pb2.Side
    order_type: _common_pb2.OrderType
    status: _common_pb2.OrderStatus
    reject_reason: EngineEvent.RejectReason
    order_id: int
    user_id: int
    maker_order_id: int
    maker_user_id: int
    price: int
    qty: int
    filled: int
    time: int
    def __init__(self, symbol: _Optional[str] = ..., seq: _Optional[int] = ..., kind: _Optional[_Union[EngineEvent.Kind, str]] = ..., side: _Optional[_Union[_common_pb2.Side, str]] = ..., order_type: _Optional[_Union[_common_pb2.OrderType, str]] = ..., status: _Optional[_Union[_common_pb2.OrderStatus, str]] = ..., reject_reason: _Optional[_Union[EngineEvent.RejectReason, str]] = ..., order_id: _Optional[int] = ..., user_id: _Optional[int] = ..., maker_order_id: _Optional[int] = ..., maker_user_id: _Optional[int] = ..., price: _Optional[int] = ..., qty: _Optional[int] = ..., filled: _Optional[int] = ..., time: _Optional[int] = ...) -> None: ...

class CommandResult(_message.Message):
    __slots__ = ("events", "error", "command", "timings")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[EngineEvent]
    error: _status_pb2.Status
    command: Command
    timings: StageTimings
    def __init__(self, events: _Optional[_Iterable[_Union[EngineEvent, _Mapping]]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ..., command: _Optional[_Union[Command, _Mapping]] = ..., timings: _Optional[_Union[StageTimings, _Mapping]] = ...) -> None: ...

class StageTimings(_message.Message):
    __slots__ = ("queued_us", "journal_us", "match_us", "publish_us")
    QUEUED_US_FIELD_NUMBER: _ClassVar[int]
    JOURNAL_US_FIELD_NUMBER: _ClassVar[int]
    MATCH_US_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_US_FIELD_NUMBER: _ClassVar[int]
    queued_us: int
    journal_us: int
    match_us: int
    publish_us: int
    def __init__(self, queued_us: _Optional[int] = ..., journal_us: _Optional[int] = ..., match_us: _Optional[int] = ..., publish_us: _Optional[int] = ...) -> None: ...

class EventBatch(_message.Message):
    __slots__ = ("batch_id", "results")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    batch_id: int
    results: _containers.RepeatedCompositeFieldContainer[CommandResult]
    def __init__(self, batch_id: _Optional[int] = ..., results: _Optional[_Iterable[_Union[CommandResult, _Mapping]]] = ...) -> None: ...

class StreamEventsRequest(_message.Message):
    __slots__ = ("symbols", "from_sequence", "from_sequences")
    class FromSequencesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    FROM_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    FROM_SEQUENCES_FIELD_NUMBER: _ClassVar[int]
    symbols: _containers.RepeatedScalarFieldContainer[str]
    from_sequence: int
    from_sequences: _containers.ScalarMap[str, int]
    def __init__(self, symbols: _Optional[_Iterable[str]] = ..., from_sequence: _Optional[int] = ..., from_sequences: _Optional[_Mapping[str, int]] = ...) -> None: ...

class SnapshotRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class SnapshotResponse(_message.Message):
    __slots__ = ("symbol", "seq", "last_price", "snapshot", "state_hash", "time")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    LAST_PRICE_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    STATE_HASH_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    seq: int
    last_price: int
    snapshot: bytes
    state_hash: bytes
    time: int
    def __init__(self, symbol: _Optional[str] = ..., seq: _Optional[int] = ..., last_price: _Optional[int] = ..., snapshot: _Optional[bytes] = ..., state_hash: _Optional[bytes] = ..., time: _Optional[int] = ...) -> None: ...

class SymbolConfig(_message.Message):
    __slots__ = ("info", "tick_size", "lot_size", "seq", "last_price", "shard")
    INFO_FIELD_NUMBER: _ClassVar[int]
    TICK_SIZE_FIELD_NUMBER: _ClassVar[int]
    LOT_SIZE_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    LAST_PRICE_FIELD_NUMBER: _ClassVar[int]
    SHARD_FIELD_NUMBER: _ClassVar[int]
    info: _common_pb2.SymbolInfo
    tick_size: int
    lot_size: int
    seq: int
    last_price: int
    shard: str
    def __init__(self, info: _Optional[_Union[_common_pb2.SymbolInfo, _Mapping]] = ..., tick_size: _Optional[int] = ..., lot_size: _Optional[int] = ..., seq: _Optional[int] = ..., last_price: _Optional[int] = ..., shard: _Optional[str] = ...) -> None: ...

class ListSymbolsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListSymbolsResponse(_message.Message):
    __slots__ = ("symbols",)
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    symbols: _containers.RepeatedCompositeFieldContainer[SymbolConfig]
    def __init__(self, symbols: _Optional[_Iterable[_Union[SymbolConfig, _Mapping]]] = ...) -> None: ...

class ConfigureSymbolRequest(_message.Message):
    __slots__ = ("config",)
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    config: SymbolConfig
    def __init__(self, config: _Optional[_Union[SymbolConfig, _Mapping]] = ...) -> None: ...
