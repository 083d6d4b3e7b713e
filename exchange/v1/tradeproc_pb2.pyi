from exchange.v1 import common_pb2 as _common_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class WatchSettlementRequest(_message.Message):
    __slots__ = ("symbols",)
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    symbols: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, symbols: _Optional[_Iterable[str]] = ...) -> None: ...

class SettlementProgress(_message.Message):
    __slots__ = ("settled_seq",)
    class SettledSeqEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    SETTLED_SEQ_FIELD_NUMBER: _ClassVar[int]
    settled_seq: _containers.ScalarMap[str, int]
    def __init__(self, settled_seq: _Optional[_Mapping[str, int]] = ...) -> None: ...

class GetAccountRequest(_message.Message):
    __slots__ = ("omit_zero_balances",)
    OMIT_ZERO_BALANCES_FIELD_NUMBER: _ClassVar[int]
    omit_zero_balances: bool
    def __init__(self, omit_zero_balances: _Optional[bool] = ...) -> None: ...

class Account(_message.Message):
    __slots__ = ("maker_commission", "taker_commission", "buyer_commission", "seller_commission", "commission_rates", "can_trade", "can_withdraw", "can_deposit", "brokered", "require_self_trade_prevention", "prevent_sor", "update_time", "account_type", "balances", "permissions", "uid")
    MAKER_COMMISSION_FIELD_NUMBER: _ClassVar[int]
    TAKER_COMMISSION_FIELD_NUMBER: _ClassVar[int]
    BUYER_COMMISSION_FIELD_NUMBER: _ClassVar[int]
    SELLER_COMMISSION_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_RATES_FIELD_NUMBER: _ClassVar[int]
    CAN_TRADE_FIELD_NUMBER: _ClassVar[int]
    CAN_WITHDRAW_FIELD_NUMBER: _ClassVar[int]
    CAN_DEPOSIT_FIELD_NUMBER: _ClassVar[int]
    BROKERED_FIELD_NUMBER: _ClassVar[int]
    REQUIRE_SELF_TRADE_PREVENTION_FIELD_NUMBER: _ClassVar[int]
    PREVENT_SOR_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_TYPE_FIELD_NUMBER: _ClassVar[int]
    BALANCES_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    UID_FIELD_NUMBER: _ClassVar[int]
    maker_commission: int
    taker_commission: int
    buyer_commission: int
    seller_commission: int
    commission_rates: _common_pb2.CommissionRates
    can_trade: bool
    can_withdraw: bool
    can_deposit: bool
    brokered: bool
    require_self_trade_prevention: bool
    prevent_sor: bool
    update_time: int
    account_type: str
    balances: _containers.RepeatedCompositeFieldContainer[_common_pb2.Balance]
    permissions: _containers.RepeatedScalarFieldContainer[str]
    uid: int
    def __init__(self, maker_commission: _Optional[int] = ..., taker_commission: _Optional[int] = ..., buyer_commission: _Optional[int] = ..., seller_commission: _Optional[int] = ..., commission_rates: _Optional[_Union[_common_pb2.CommissionRates, _Mapping]] = ..., can_trade: _Optional[bool] = ..., can_withdraw: _Optional[bool] = ..., can_deposit: _Optional[bool] = ..., brokered: _Optional[bool] = ..., require_self_trade_prevention: _Optional[bool] = ..., prevent_sor: _Optional[bool] = ..., update_time: _Optional[int] = ..., account_type: _Optional[str] = ..., balances: _Optional[_Iterable[_Union[_common_pb2.Balance, _Mapping]]] = ..., permissions: _Optional[_Iterable[str]] = ..., uid: _Optional[int] = ...) -> None: ...

class GetCommissionRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class GetTradeFeesRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class TradeFee(_message.Message):
    __slots__ = ("symbol", "maker_commission", "taker_commission")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    MAKER_COMMISSION_FIELD_NUMBER: _ClassVar[int]
    TAKER_COMMISSION_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    maker_commission: str
    taker_commission: str
    def __init__(self, symbol: _Optional[str] = ..., maker_commission: _Optional[str] = ..., taker_commission: _Optional[str] = ...) -> None: ...

class GetTradeFeesResponse(_message.Message):
    __slots__ = ("fees",)
    FEES_FIELD_NUMBER: _ClassVar[int]
    fees: _containers.RepeatedCompositeFieldContainer[TradeFee]
    def __init__(self, fees: _Optional[_Iterable[_Union[TradeFee, _Mapping]]] = ...) -> None: ...

class CommissionDiscount(_message.Message):
    __slots__ = ("enabled_for_account", "enabled_for_symbol", "discount_asset", "discount")
    ENABLED_FOR_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FOR_SYMBOL_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_ASSET_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_FIELD_NUMBER: _ClassVar[int]
    enabled_for_account: bool
    enabled_for_symbol: bool
    discount_asset: str
    discount: str
    def __init__(self, enabled_for_account: _Optional[bool] = ..., enabled_for_symbol: _Optional[bool] = ..., discount_asset: _Optional[str] = ..., discount: _Optional[str] = ...) -> None: ...

class AccountCommission(_message.Message):
    __slots__ = ("symbol", "standard_commission", "special_commission", "tax_commission", "discount")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    STANDARD_COMMISSION_FIELD_NUMBER: _ClassVar[int]
    SPECIAL_COMMISSION_FIELD_NUMBER: _ClassVar[int]
    TAX_COMMISSION_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    standard_commission: _common_pb2.CommissionRates
    special_commission: _common_pb2.CommissionRates
    tax_commission: _common_pb2.CommissionRates
    discount: CommissionDiscount
    def __init__(self, symbol: _Optional[str] = ..., standard_commission: _Optional[_Union[_common_pb2.CommissionRates, _Mapping]] = ..., special_commission: _Optional[_Union[_common_pb2.CommissionRates, _Mapping]] = ..., tax_commission: _Optional[_Union[_common_pb2.CommissionRates, _Mapping]] = ..., discount: _Optional[_Union[CommissionDiscount, _Mapping]] = ...) -> None: ...

class ListTradesRequest(_message.Message):
    __slots__ = ("symbol", "order_id", "start_time", "end_time", "from_id", "limit")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    FROM_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    order_id: int
    start_time: int
    end_time: int
    from_id: int
    limit: int
    def __init__(self, symbol: _Optional[str] = ..., order_id: _Optional[int] = ..., start_time: _Optional[int] = ..., end_time: _Optional[int] = ..., from_id: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class ListTradesResponse(_message.Message):
    __slots__ = ("trades",)
    TRADES_FIELD_NUMBER: _ClassVar[int]
    trades: _containers.RepeatedCompositeFieldContainer[_common_pb2.AccountTrade]
    def __init__(self, trades: _Optional[_Iterable[_Union[_common_pb2.AccountTrade, _Mapping]]] = ...) -> None: ...

class GetOrderHistoryRequest(_message.Message):
    __slots__ = ("user_id", "symbol", "order_id", "start_time", "end_time", "limit")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    symbol: str
    order_id: int
    start_time: int
    end_time: int
    limit: int
    def __init__(self, user_id: _Optional[int] = ..., symbol: _Optional[str] = ..., order_id: _Optional[int] = ..., start_time: _Optional[int] = ..., end_time: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class GetOrderHistoryResponse(_message.Message):
    __slots__ = ("orders",)
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[_common_pb2.Order]
    def __init__(self, orders: _Optional[_Iterable[_Union[_common_pb2.Order, _Mapping]]] = ...) -> None: ...

class StreamUserEventsRequest(_message.Message):
    __slots__ = ("user_ids",)
    USER_IDS_FIELD_NUMBER: _ClassVar[int]
    user_ids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, user_ids: _Optional[_Iterable[int]] = ...) -> None: ...

class PublishUserEventsRequest(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[UserEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[UserEvent, _Mapping]]] = ...) -> None: ...

class PublishUserEventsResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class UserEvent(_message.Message):
    __slots__ = ("user_id", "event_time", "execution_report", "account_position", "balance_update")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_REPORT_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_POSITION_FIELD_NUMBER: _ClassVar[int]
    BALANCE_UPDATE_FIELD_NUMBER: _ClassVar[int]
    user_id: int
    event_time: int
    execution_report: ExecutionReport
    account_position: AccountPosition
    balance_update: BalanceUpdate
    def __init__(self, user_id: _Optional[int] = ..., event_time: _Optional[int] = ..., execution_report: _Optional[_Union[ExecutionReport, _Mapping]] = ..., account_position: _Optional[_Union[AccountPosition, _Mapping]] = ..., balance_update: _Optional[_Union[BalanceUpdate, _Mapping]] = ...) -> None: ...

class ExecutionReport(_message.Message):
    __slots__ = ("symbol", "client_order_id", "side", "order_type", "time_in_force", "quantity", "price", "stop_price", "orig_client_order_id", "execution_type", "order_status", "reject_reason", "order_id", "last_executed_qty", "cumulative_filled_qty", "last_executed_price", "commission", "commission_asset", "transaction_time", "trade_id", "is_working", "is_maker", "order_creation_time", "cumulative_quote_qty", "last_quote_qty", "quote_order_qty", "working_time", "self_trade_prevention_mode", "execution_id")
    class ExecutionType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        EXECUTION_TYPE_UNSPECIFIED: _ClassVar[ExecutionReport.ExecutionType]
        NEW: _ClassVar[ExecutionReport.ExecutionType]
        CANCELED: _ClassVar[ExecutionReport.ExecutionType]
        REPLACED: _ClassVar[ExecutionReport.ExecutionType]
        REJECTED: _ClassVar[ExecutionReport.ExecutionType]
        TRADE: _ClassVar[ExecutionReport.ExecutionType]
        EXPIRED: _ClassVar[ExecutionReport.ExecutionType]
        TRADE_PREVENTION: _ClassVar[ExecutionReport.ExecutionType]
    EXECUTION_TYPE_UNSPECIFIED: ExecutionReport.ExecutionType
    NEW: ExecutionReport.ExecutionType
    CANCELED: ExecutionReport.ExecutionType
    REPLACED: ExecutionReport.ExecutionType
    REJECTED: ExecutionReport.ExecutionType
    TRADE: ExecutionReport.ExecutionType
    EXPIRED: ExecutionReport.ExecutionType
    TRADE_PREVENTION: ExecutionReport.ExecutionType
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    ORDER_TYPE_FIELD_NUMBER: _ClassVar[int]
    TIME_IN_FORCE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    STOP_PRICE_FIELD_NUMBER: _ClassVar[int]
    ORIG_CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_TYPE_FIELD_NUMBER: _ClassVar[int]
    ORDER_STATUS_FIELD_NUMBER: _ClassVar[int]
    REJECT_REASON_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    LAST_EXECUTED_QTY_FIELD_NUMBER: _ClassVar[int]
    CUMULATIVE_FILLED_QTY_FIELD_NUMBER: _ClassVar[int]
    LAST_EXECUTED_PRICE_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_ASSET_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_TIME_FIELD_NUMBER: _ClassVar[int]
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    IS_WORKING_FIELD_NUMBER: _ClassVar[int]
    IS_MAKER_FIELD_NUMBER: _ClassVar[int]
    ORDER_CREATION_TIME_FIELD_NUMBER: _ClassVar[int]
    CUMULATIVE_QUOTE_QTY_FIELD_NUMBER: _ClassVar[int]
    LAST_QUOTE_QTY_FIELD_NUMBER: _ClassVar[int]
    QUOTE_ORDER_QTY_FIELD_NUMBER: _ClassVar[int]
    WORKING_TIME_FIELD_NUMBER: _ClassVar[int]
    SELF_TRADE_PREVENTION_MODE_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    client_order_id: str
    side: _common_pb2.Side
    order_type: _common_pb2.OrderType
    time_in_force: _common_pb2.TimeInForce
    quantity: str
    price: str
    stop_price: str
    orig_client_order_id: str
    execution_type: ExecutionReport.ExecutionType
    order_status: _common_pb2.OrderStatus
    reject_reason: str
    order_id: int
    last_executed_qty: str
    cumulative_filled_qty: str
    last_executed_price: str
    commission: str
    commission_asset: str
    transaction_time: int
    trade_id: int
    is_working: bool
    is_maker: bool
    order_creation_time: int
    cumulative_quote_qty: str
    last_quote_qty: str
    quote_order_qty: str
    working_time: int
    self_trade_prevention_mode: _common_pb2.SelfTradePrevention
    execution_id: int
    def __init__(self, symbol: _Optional[str] = ..., client_order_id: _Optional[str] = ..., side: _Optional[_Union[_common_pb2.Side, str]] = ..., order_type: _Optional[_Union[_common_pb2.OrderType, str]] = ..., time_in_force: _Optional[_Union[_common_pb2.TimeInForce, str]] = ..., quantity: _Optional[str] = ..., price: _Optional[str] = ..., stop_price: _Optional[str] = ..., orig_client_order_id: _Optional[str] = ..., execution_type: _Optional[_Union[ExecutionReport.ExecutionType, str]] = ..., order_status: _Optional[_Union[_common_pb2.OrderStatus, str]] = ..., reject_reason: _Optional[str] = ..., order_id: _Optional[int] = ..., last_executed_qty: _Optional[str] = ..., cumulative_filled_qty: _Optional[str] = ..., last_executed_price: _Optional[str] = ..., commission: _Optional[str] = ..., commission_asset: _Optional[str] = ..., transaction_time: _Optional[int] = ..., trade_id: _Optional[int] = ..., is_working: _Optional[bool] = ..., is_maker: _Optional[bool] = ..., order_creation_time: _Optional[int] = ..., cumulative_quote_qty: _Optional[str] = ..., last_quote_qty: _Optional[str] = ..., quote_order_qty: _Optional[str] = ..., working_time: _Optional[int] = ..., self_trade_prevention_mode: _Optional[_Union[_common_pb2.SelfTradePrevention, str]] = ..., execution_id: _Optional[int] = ...) -> None: ...

class AccountPosition(_message.Message):
    __slots__ = ("last_update_time", "balances")
    LAST_UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    BALANCES_FIELD_NUMBER: _ClassVar[int]
    last_update_time: int
    balances: _containers.RepeatedCompositeFieldContainer[_common_pb2.Balance]
    def __init__(self, last_update_time: _Optional[int] = ..., balances: _Optional[_Iterable[_Union[_common_pb2.Balance, _Mapping]]] = ...) -> None: ...

class BalanceUpdate(_message.Message):
    __slots__ = ("asset", "balance_delta", "clear_time")
    ASSET_FIELD_NUMBER: _ClassVar[int]
    BALANCE_DELTA_FIELD_NUMBER: _ClassVar[int]
    CLEAR_TIME_FIELD_NUMBER: _ClassVar[int]
    asset: str
    balance_delta: str
    clear_time: int
    def __init__(self, asset: _Optional[str] = ..., balance_delta: _Optional[str] = ..., clear_time: _Optional[int] = ...) -> None: ...
