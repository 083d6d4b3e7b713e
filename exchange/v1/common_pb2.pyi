from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Side(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SIDE_UNSPECIFIED: _ClassVar[Side]
    BUY: _ClassVar[Side]
    SELL: _ClassVar[Side]

class OrderType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_TYPE_UNSPECIFIED: _ClassVar[OrderType]
    LIMIT: _ClassVar[OrderType]
    MARKET: _ClassVar[OrderType]
    LIMIT_MAKER: _ClassVar[OrderType]
    STOP_LOSS: _ClassVar[OrderType]
    STOP_LOSS_LIMIT: _ClassVar[OrderType]
    TAKE_PROFIT: _ClassVar[OrderType]
    TAKE_PROFIT_LIMIT: _ClassVar[OrderType]

class TimeInForce(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TIME_IN_FORCE_UNSPECIFIED: _ClassVar[TimeInForce]
    GTC: _ClassVar[TimeInForce]
    IOC: _ClassVar[TimeInForce]
    FOK: _ClassVar[TimeInForce]

class SelfTradePrevention(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SELF_TRADE_PREVENTION_UNSPECIFIED: _ClassVar[SelfTradePrevention]
    NONE: _ClassVar[SelfTradePrevention]
    EXPIRE_TAKER: _ClassVar[SelfTradePrevention]
    EXPIRE_MAKER: _ClassVar[SelfTradePrevention]
    EXPIRE_BOTH: _ClassVar[SelfTradePrevention]

class OrderStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_STATUS_UNSPECIFIED: _ClassVar[OrderStatus]
    NEW: _ClassVar[OrderStatus]
    PARTIALLY_FILLED: _ClassVar[OrderStatus]
    FILLED: _ClassVar[OrderStatus]
    CANCELED: _ClassVar[OrderStatus]
    EXPIRED: _ClassVar[OrderStatus]
    EXPIRED_IN_MATCH: _ClassVar[OrderStatus]
    REJECTED: _ClassVar[OrderStatus]

class NewOrderRespType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NEW_ORDER_RESP_TYPE_UNSPECIFIED: _ClassVar[NewOrderRespType]
    ACK: _ClassVar[NewOrderRespType]
    RESULT: _ClassVar[NewOrderRespType]
    FULL: _ClassVar[NewOrderRespType]

class SymbolStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SYMBOL_STATUS_UNSPECIFIED: _ClassVar[SymbolStatus]
    TRADING: _ClassVar[SymbolStatus]
    HALT: _ClassVar[SymbolStatus]
    BREAK: _ClassVar[SymbolStatus]

class Permission(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PERMISSION_UNSPECIFIED: _ClassVar[Permission]
    PERMISSION_READ: _ClassVar[Permission]
    PERMISSION_TRADE: _ClassVar[Permission]
    PERMISSION_WITHDRAW: _ClassVar[Permission]
    PERMISSION_ADMIN: _ClassVar[Permission]
SIDE_UNSPECIFIED: Side
BUY: Side
SELL: Side
ORDER_TYPE_UNSPECIFIED: OrderType
LIMIT: OrderType
MARKET: OrderType
LIMIT_MAKER: OrderType
STOP_LOSS: OrderType
STOP_LOSS_LIMIT: OrderType
TAKE_PROFIT: OrderType
TAKE_PROFIT_LIMIT: OrderType
TIME_IN_FORCE_UNSPECIFIED: TimeInForce
GTC: TimeInForce
IOC: TimeInForce
FOK: TimeInForce
SELF_TRADE_PREVENTION_UNSPECIFIED: SelfTradePrevention
NONE: SelfTradePrevention
EXPIRE_TAKER: SelfTradePrevention
EXPIRE_MAKER: SelfTradePrevention
EXPIRE_BOTH: SelfTradePrevention
ORDER_STATUS_UNSPECIFIED: OrderStatus
NEW: OrderStatus
PARTIALLY_FILLED: OrderStatus
FILLED: OrderStatus
CANCELED: OrderStatus
EXPIRED: OrderStatus
EXPIRED_IN_MATCH: OrderStatus
REJECTED: OrderStatus
NEW_ORDER_RESP_TYPE_UNSPECIFIED: NewOrderRespType
ACK: NewOrderRespType
RESULT: NewOrderRespType
FULL: NewOrderRespType
SYMBOL_STATUS_UNSPECIFIED: SymbolStatus
TRADING: SymbolStatus
HALT: SymbolStatus
BREAK: SymbolStatus
PERMISSION_UNSPECIFIED: Permission
PERMISSION_READ: Permission
PERMISSION_TRADE: Permission
PERMISSION_WITHDRAW: Permission
PERMISSION_ADMIN: Permission

class Order(_message.Message):
    __slots__ = ("symbol", "order_id", "client_order_id", "price", "orig_qty", "executed_qty", "cummulative_quote_qty", "status", "time_in_force", "type", "side", "stop_price", "time", "update_time", "is_working", "working_time", "orig_quote_order_qty", "self_trade_prevention_mode", "order_list_id")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    ORIG_QTY_FIELD_NUMBER: _ClassVar[int]
    EXECUTED_QTY_FIELD_NUMBER: _ClassVar[int]
    CUMMULATIVE_QUOTE_QTY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TIME_IN_FORCE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    STOP_PRICE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    IS_WORKING_FIELD_NUMBER: _ClassVar[int]
    WORKING_TIME_FIELD_NUMBER: _ClassVar[int]
    ORIG_QUOTE_ORDER_QTY_FIELD_NUMBER: _ClassVar[int]
    SELF_TRADE_PREVENTION_MODE_FIELD_NUMBER: _ClassVar[int]
    ORDER_LIST_ID_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    order_id: int
    client_order_id: str
    price: str
    orig_qty: str
    executed_qty: str
    cummulative_quote_qty: str
    status: OrderStatus
    time_in_force: TimeInForce
    type: OrderType
    side: Side
    stop_price: str
    time: int
    update_time: int
    is_working: bool
    working_time: int
    orig_quote_order_qty: str
    self_trade_prevention_mode: SelfTradePrevention
    order_list_id: int
    def __init__(self, symbol: _Optional[str] = ..., order_id: _Optional[int] = ..., client_order_id: _Optional[str] = ..., price: _Optional[str] = ..., orig_qty: _Optional[str] = ..., executed_qty: _Optional[str] = ..., cummulative_quote_qty: _Optional[str] = ..., status: _Optional[_Union[OrderStatus, str]] = ..., time_in_force: _Optional[_Union[TimeInForce, str]] = ..., type: _Optional[_Union[OrderType, str]] = ..., side: _Optional[_Union[Side, str]] = ..., stop_price: _Optional[str] = ..., time: _Optional[int] = ..., update_time: _Optional[int] = ..., is_working: _Optional[bool] = ..., working_time: _Optional[int] = ..., orig_quote_order_qty: _Optional[str] = ..., self_trade_prevention_mode: _Optional[_Union[SelfTradePrevention, str]] = ..., order_list_id: _Optional[int] = ...) -> None: ...

class Fill(_message.Message):
    __slots__ = ("price", "qty", "commission", "commission_asset", "trade_id")
    PRICE_FIELD_NUMBER: _ClassVar[int]
    QTY_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_ASSET_FIELD_NUMBER: _ClassVar[int]
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    price: str
    qty: str
    commission: str
    commission_asset: str
    trade_id: int
    def __init__(self, price: _Optional[str] = ..., qty: _Optional[str] = ..., commission: _Optional[str] = ..., commission_asset: _Optional[str] = ..., trade_id: _Optional[int] = ...) -> None: ...

class AccountTrade(_message.Message):
    __slots__ = ("symbol", "id", "order_id", "order_list_id", "price", "qty", "quote_qty", "commission", "commission_asset", "time", "is_buyer", "is_maker", "is_best_match")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_LIST_ID_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    QTY_FIELD_NUMBER: _ClassVar[int]
    QUOTE_QTY_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_ASSET_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    IS_BUYER_FIELD_NUMBER: _ClassVar[int]
    IS_MAKER_FIELD_NUMBER: _ClassVar[int]
    IS_BEST_MATCH_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    id: int
    order_id: int
    order_list_id: int
    price: str
    qty: str
    quote_qty: str
    commission: str
    commission_asset: str
    time: int
    is_buyer: bool
    is_maker: bool
    is_best_match: bool
    def __init__(self, symbol: _Optional[str] = ..., id: _Optional[int] = ..., order_id: _Optional[int] = ..., order_list_id: _Optional[int] = ..., price: _Optional[str] = ..., qty: _Optional[str] = ..., quote_qty: _Optional[str] = ..., commission: _Optional[str] = ..., commission_asset: _Optional[str] = ..., time: _Optional[int] = ..., is_buyer: _Optional[bool] = ..., is_maker: _Optional[bool] = ..., is_best_match: _Optional[bool] = ...) -> None: ...

class PublicTrade(_message.Message):
    __slots__ = ("id", "price", "qty", "quote_qty", "time", "is_buyer_maker", "is_best_match")
    ID_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    QTY_FIELD_NUMBER: _ClassVar[int]
    QUOTE_QTY_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    IS_BUYER_MAKER_FIELD_NUMBER: _ClassVar[int]
    IS_BEST_MATCH_FIELD_NUMBER: _ClassVar[int]
    id: int
    price: str
    qty: str
    quote_qty: str
    time: int
    is_buyer_maker: bool
    is_best_match: bool
    def __init__(self, id: _Optional[int] = ..., price: _Optional[str] = ..., qty: _Optional[str] = ..., quote_qty: _Optional[str] = ..., time: _Optional[int] = ..., is_buyer_maker: _Optional[bool] = ..., is_best_match: _Optional[bool] = ...) -> None: ...

class Balance(_message.Message):
    __slots__ = ("asset", "free", "locked")
    ASSET_FIELD_NUMBER: _ClassVar[int]
    FREE_FIELD_NUMBER: _ClassVar[int]
    LOCKED_FIELD_NUMBER: _ClassVar[int]
    asset: str
    free: str
    locked: str
    def __init__(self, asset: _Optional[str] = ..., free: _Optional[str] = ..., locked: _Optional[str] = ...) -> None: ...

class CommissionRates(_message.Message):
    __slots__ = ("maker", "taker", "buyer", "seller")
    MAKER_FIELD_NUMBER: _ClassVar[int]
    TAKER_FIELD_NUMBER: _ClassVar[int]
    BUYER_FIELD_NUMBER: _ClassVar[int]
    SELLER_FIELD_NUMBER: _ClassVar[int]
    maker: str
    taker: str
    buyer: str
    seller: str
    def __init__(self, maker: _Optional[str] = ..., taker: _Optional[str] = ..., buyer: _Optional[str] = ..., seller: _Optional[str] = ...) -> None: ...

class PriceLevel(_message.Message):
    __slots__ = ("price", "qty")
    PRICE_FIELD_NUMBER: _ClassVar[int]
    QTY_FIELD_NUMBER: _ClassVar[int]
    price: str
    qty: str
    def __init__(self, price: _Optional[str] = ..., qty: _Optional[str] = ...) -> None: ...

class PriceFilter(_message.Message):
    __slots__ = ("min_price", "max_price", "tick_size")
    MIN_PRICE_FIELD_NUMBER: _ClassVar[int]
    MAX_PRICE_FIELD_NUMBER: _ClassVar[int]
    TICK_SIZE_FIELD_NUMBER: _ClassVar[int]
    min_price: str
    max_price: str
    tick_size: str
    def __init__(self, min_price: _Optional[str] = ..., max_price: _Optional[str] = ..., tick_size: _Optional[str] = ...) -> None: ...

class PercentPriceFilter(_message.Message):
    __slots__ = ("multiplier_up", "multiplier_down", "avg_price_mins")
    MULTIPLIER_UP_FIELD_NUMBER: _ClassVar[int]
    MULTIPLIER_DOWN_FIELD_NUMBER: _ClassVar[int]
    AVG_PRICE_MINS_FIELD_NUMBER: _ClassVar[int]
    multiplier_up: str
    multiplier_down: str
    avg_price_mins: int
    def __init__(self, multiplier_up: _Optional[str] = ..., multiplier_down: _Optional[str] = ..., avg_price_mins: _Optional[int] = ...) -> None: ...

class LotSizeFilter(_message.Message):
    __slots__ = ("min_qty", "max_qty", "step_size")
    MIN_QTY_FIELD_NUMBER: _ClassVar[int]
    MAX_QTY_FIELD_NUMBER: _ClassVar[int]
    STEP_SIZE_FIELD_NUMBER: _ClassVar[int]
    min_qty: str
    max_qty: str
    step_size: str
    def __init__(self, min_qty: _Optional[str] = ..., max_qty: _Optional[str] = ..., step_size: _Optional[str] = ...) -> None: ...

class NotionalFilter(_message.Message):
    __slots__ = ("min_notional", "apply_min_to_market", "max_notional", "apply_max_to_market", "avg_price_mins")
    MIN_NOTIONAL_FIELD_NUMBER: _ClassVar[int]
    APPLY_MIN_TO_MARKET_FIELD_NUMBER: _ClassVar[int]
    MAX_NOTIONAL_FIELD_NUMBER: _ClassVar[int]
    APPLY_MAX_TO_MARKET_FIELD_NUMBER: _ClassVar[int]
    AVG_PRICE_MINS_FIELD_NUMBER: _ClassVar[int]
    min_notional: str
    apply_min_to_market: bool
    max_notional: str
    apply_max_to_market: bool
    avg_price_mins: int
    def __init__(self, min_notional: _Optional[str] = ..., apply_min_to_market: _Optional[bool] = ..., max_notional: _Optional[str] = ..., apply_max_to_market: _Optional[bool] = ..., avg_price_mins: _Optional[int] = ...) -> None: ...

class SymbolFilters(_message.Message):
    __slots__ = ("price_filter", "percent_price", "lot_size", "market_lot_size", "notional", "max_num_orders", "max_num_algo_orders", "percent_price_by_side")
    PRICE_FILTER_FIELD_NUMBER: _ClassVar[int]
    PERCENT_PRICE_FIELD_NUMBER: _ClassVar[int]
    LOT_SIZE_FIELD_NUMBER: _ClassVar[int]
    MARKET_LOT_SIZE_FIELD_NUMBER: _ClassVar[int]
    NOTIONAL_FIELD_NUMBER: _ClassVar[int]
    MAX_NUM_ORDERS_FIELD_NUMBER: _ClassVar[int]
    MAX_NUM_ALGO_ORDERS_FIELD_NUMBER: _ClassVar[int]
    PERCENT_PRICE_BY_SIDE_FIELD_NUMBER: _ClassVar[int]
    price_filter: PriceFilter
    percent_price: PercentPriceFilter
    lot_size: LotSizeFilter
    market_lot_size: LotSizeFilter
    notional: NotionalFilter
    max_num_orders: int
    max_num_algo_orders: int
    percent_price_by_side: PercentPriceBySideFilter
    def __init__(self, price_filter: _Optional[_Union[PriceFilter, _Mapping]] = ..., percent_price: _Optional[_Union[PercentPriceFilter, _Mapping]] = ..., lot_size: _Optional[_Union[LotSizeFilter, _Mapping]] = ..., market_lot_size: _Optional[_Union[LotSizeFilter, _Mapping]] = ..., notional: _Optional[_Union[NotionalFilter, _Mapping]] = ..., max_num_orders: _Optional[int] = ..., max_num_algo_orders: _Optional[int] = ..., percent_price_by_side: _Optional[_Union[PercentPriceBySideFilter, _Mapping]] = ...) -> None: ...

class PercentPriceBySideFilter(_message.Message):
    __slots__ = ("bid_multiplier_up", "bid_multiplier_down", "ask_multiplier_up", "ask_multiplier_down", "avg_price_mins")
    BID_MULTIPLIER_UP_FIELD_NUMBER: _ClassVar[int]
    BID_MULTIPLIER_DOWN_FIELD_NUMBER: _ClassVar[int]
    ASK_MULTIPLIER_UP_FIELD_NUMBER: _ClassVar[int]
    ASK_MULTIPLIER_DOWN_FIELD_NUMBER: _ClassVar[int]
    AVG_PRICE_MINS_FIELD_NUMBER: _ClassVar[int]
    bid_multiplier_up: str
    bid_multiplier_down: str
    ask_multiplier_up: str
    ask_multiplier_down: str
    avg_price_mins: int
    def __init__(self, bid_multiplier_up: _Optional[str] = ..., bid_multiplier_down: _Optional[str] = ..., ask_multiplier_up: _Optional[str] = ..., ask_multiplier_down: _Optional[str] = ..., avg_price_mins: _Optional[int] = ...) -> None: ...

class SymbolInfo(_message.Message):
    __slots__ = ("symbol", "status", "base_asset", "base_asset_precision", "quote_asset", "quote_precision", "quote_asset_precision", "order_types", "quote_order_qty_market_allowed", "is_spot_trading_allowed", "cancel_replace_allowed", "amend_allowed", "default_self_trade_prevention_mode", "allowed_self_trade_prevention_modes", "filters", "price_scale", "qty_scale")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    BASE_ASSET_FIELD_NUMBER: _ClassVar[int]
    BASE_ASSET_PRECISION_FIELD_NUMBER: _ClassVar[int]
    QUOTE_ASSET_FIELD_NUMBER: _ClassVar[int]
    QUOTE_PRECISION_FIELD_NUMBER: _ClassVar[int]
    QUOTE_ASSET_PRECISION_FIELD_NUMBER: _ClassVar[int]
    ORDER_TYPES_FIELD_NUMBER: _ClassVar[int]
    QUOTE_ORDER_QTY_MARKET_ALLOWED_FIELD_NUMBER: _ClassVar[int]
    IS_SPOT_TRADING_ALLOWED_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REPLACE_ALLOWED_FIELD_NUMBER: _ClassVar[int]
    AMEND_ALLOWED_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_SELF_TRADE_PREVENTION_MODE_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_SELF_TRADE_PREVENTION_MODES_FIELD_NUMBER: _ClassVar[int]
    FILTERS_FIELD_NUMBER: _ClassVar[int]
    PRICE_SCALE_FIELD_NUMBER: _ClassVar[int]
    QTY_SCALE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    status: SymbolStatus
    base_asset: str
    base_asset_precision: int
    quote_asset: str
    quote_precision: int
    quote_asset_precision: int
    order_types: _containers.RepeatedScalarFieldContainer[OrderType]
    quote_order_qty_market_allowed: bool
    is_spot_trading_allowed: bool
    cancel_replace_allowed: bool
    amend_allowed: bool
    default_self_trade_prevention_mode: SelfTradePrevention
    allowed_self_trade_prevention_modes: _containers.RepeatedScalarFieldContainer[SelfTradePrevention]
    filters: SymbolFilters
    price_scale: int
    qty_scale: int
    def __init__(self, symbol: _Optional[str] = ..., status: _Optional[_Union[SymbolStatus, str]] = ..., base_asset: _Optional[str] = ..., base_asset_precision: _Optional[int] = ..., quote_asset: _Optional[str] = ..., quote_precision: _Optional[int] = ..., quote_asset_precision: _Optional[int] = ..., order_types: _Optional[_Iterable[_Union[OrderType, str]]] = ..., quote_order_qty_market_allowed: _Optional[bool] = ..., is_spot_trading_allowed: _Optional[bool] = ..., cancel_replace_allowed: _Optional[bool] = ..., amend_allowed: _Optional[bool] = ..., default_self_trade_prevention_mode: _Optional[_Union[SelfTradePrevention, str]] = ..., allowed_self_trade_prevention_modes: _Optional[_Iterable[_Union[SelfTradePrevention, str]]] = ..., filters: _Optional[_Union[SymbolFilters, _Mapping]] = ..., price_scale: _Optional[int] = ..., qty_scale: _Optional[int] = ...) -> None: ...
