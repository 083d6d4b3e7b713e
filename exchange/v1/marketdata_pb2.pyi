from exchange.v1 import common_pb2 as _common_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PingRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PingResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetServerTimeRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetServerTimeResponse(_message.Message):
    __slots__ = ("server_time",)
    SERVER_TIME_FIELD_NUMBER: _ClassVar[int]
    server_time: int
    def __init__(self, server_time: _Optional[int] = ...) -> None: ...

class GetExchangeInfoRequest(_message.Message):
    __slots__ = ("symbol", "symbols", "permissions", "symbol_status", "show_permission_sets")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_STATUS_FIELD_NUMBER: _ClassVar[int]
    SHOW_PERMISSION_SETS_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    symbols: _containers.RepeatedScalarFieldContainer[str]
    permissions: _containers.RepeatedScalarFieldContainer[str]
    symbol_status: _common_pb2.SymbolStatus
    show_permission_sets: bool
    def __init__(self, symbol: _Optional[str] = ..., symbols: _Optional[_Iterable[str]] = ..., permissions: _Optional[_Iterable[str]] = ..., symbol_status: _Optional[_Union[_common_pb2.SymbolStatus, str]] = ..., show_permission_sets: _Optional[bool] = ...) -> None: ...

class RateLimit(_message.Message):
    __slots__ = ("rate_limit_type", "interval", "interval_num", "limit")
    RATE_LIMIT_TYPE_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_NUM_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    rate_limit_type: str
    interval: str
    interval_num: int
    limit: int
    def __init__(self, rate_limit_type: _Optional[str] = ..., interval: _Optional[str] = ..., interval_num: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class GetExchangeInfoResponse(_message.Message):
    __slots__ = ("timezone", "server_time", "rate_limits", "symbols")
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    SERVER_TIME_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMITS_FIELD_NUMBER: _ClassVar[int]
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    timezone: str
    server_time: int
    rate_limits: _containers.RepeatedCompositeFieldContainer[RateLimit]
    symbols: _containers.RepeatedCompositeFieldContainer[_common_pb2.SymbolInfo]
    def __init__(self, timezone: _Optional[str] = ..., server_time: _Optional[int] = ..., rate_limits: _Optional[_Iterable[_Union[RateLimit, _Mapping]]] = ..., symbols: _Optional[_Iterable[_Union[_common_pb2.SymbolInfo, _Mapping]]] = ...) -> None: ...

class GetDepthRequest(_message.Message):
    __slots__ = ("symbol", "limit", "symbol_status")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_STATUS_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    limit: int
    symbol_status: _common_pb2.SymbolStatus
    def __init__(self, symbol: _Optional[str] = ..., limit: _Optional[int] = ..., symbol_status: _Optional[_Union[_common_pb2.SymbolStatus, str]] = ...) -> None: ...

class GetDepthResponse(_message.Message):
    __slots__ = ("last_update_id", "bids", "asks", "time")
    LAST_UPDATE_ID_FIELD_NUMBER: _ClassVar[int]
    BIDS_FIELD_NUMBER: _ClassVar[int]
    ASKS_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    last_update_id: int
    bids: _containers.RepeatedCompositeFieldContainer[_common_pb2.PriceLevel]
    asks: _containers.RepeatedCompositeFieldContainer[_common_pb2.PriceLevel]
    time: int
    def __init__(self, last_update_id: _Optional[int] = ..., bids: _Optional[_Iterable[_Union[_common_pb2.PriceLevel, _Mapping]]] = ..., asks: _Optional[_Iterable[_Union[_common_pb2.PriceLevel, _Mapping]]] = ..., time: _Optional[int] = ...) -> None: ...

class GetTradesRequest(_message.Message):
    __slots__ = ("symbol", "limit", "from_id")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    FROM_ID_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    limit: int
    from_id: int
    def __init__(self, symbol: _Optional[str] = ..., limit: _Optional[int] = ..., from_id: _Optional[int] = ...) -> None: ...

class GetTradesResponse(_message.Message):
    __slots__ = ("trades",)
    TRADES_FIELD_NUMBER: _ClassVar[int]
    trades: _containers.RepeatedCompositeFieldContainer[_common_pb2.PublicTrade]
    def __init__(self, trades: _Optional[_Iterable[_Union[_common_pb2.PublicTrade, _Mapping]]] = ...) -> None: ...

class GetAggTradesRequest(_message.Message):
    __slots__ = ("symbol", "from_id", "start_time", "end_time", "limit")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    FROM_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    from_id: int
    start_time: int
    end_time: int
    limit: int
    def __init__(self, symbol: _Optional[str] = ..., from_id: _Optional[int] = ..., start_time: _Optional[int] = ..., end_time: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class AggTrade(_message.Message):
    __slots__ = ("agg_trade_id", "price", "qty", "first_trade_id", "last_trade_id", "time", "is_buyer_maker", "is_best_match")
    AGG_TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    QTY_FIELD_NUMBER: _ClassVar[int]
    FIRST_TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    LAST_TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    IS_BUYER_MAKER_FIELD_NUMBER: _ClassVar[int]
    IS_BEST_MATCH_FIELD_NUMBER: _ClassVar[int]
    agg_trade_id: int
    price: str
    qty: str
    first_trade_id: int
    last_trade_id: int
    time: int
    is_buyer_maker: bool
    is_best_match: bool
    def __init__(self, agg_trade_id: _Optional[int] = ..., price: _Optional[str] = ..., qty: _Optional[str] = ..., first_trade_id: _Optional[int] = ..., last_trade_id: _Optional[int] = ..., time: _Optional[int] = ..., is_buyer_maker: _Optional[bool] = ..., is_best_match: _Optional[bool] = ...) -> None: ...

class GetAggTradesResponse(_message.Message):
    __slots__ = ("agg_trades",)
    AGG_TRADES_FIELD_NUMBER: _ClassVar[int]
    agg_trades: _containers.RepeatedCompositeFieldContainer[AggTrade]
    def __init__(self, agg_trades: _Optional[_Iterable[_Union[AggTrade, _Mapping]]] = ...) -> None: ...

class GetKlinesRequest(_message.Message):
    __slots__ = ("symbol", "interval", "start_time", "end_time", "time_zone", "limit")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    interval: str
    start_time: int
    end_time: int
    time_zone: str
    limit: int
    def __init__(self, symbol: _Optional[str] = ..., interval: _Optional[str] = ..., start_time: _Optional[int] = ..., end_time: _Optional[int] = ..., time_zone: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class Kline(_message.Message):
    __slots__ = ("open_time", "open", "high", "low", "close", "volume", "close_time", "quote_volume", "trade_count", "taker_buy_base_volume", "taker_buy_quote_volume")
    OPEN_TIME_FIELD_NUMBER: _ClassVar[int]
    OPEN_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    LOW_FIELD_NUMBER: _ClassVar[int]
    CLOSE_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    CLOSE_TIME_FIELD_NUMBER: _ClassVar[int]
    QUOTE_VOLUME_FIELD_NUMBER: _ClassVar[int]
    TRADE_COUNT_FIELD_NUMBER: _ClassVar[int]
    TAKER_BUY_BASE_VOLUME_FIELD_NUMBER: _ClassVar[int]
    TAKER_BUY_QUOTE_VOLUME_FIELD_NUMBER: _ClassVar[int]
    open_time: int
    open: str
    high: str
    low: str
    close: str
    volume: str
    close_time: int
    quote_volume: str
    trade_count: int
    taker_buy_base_volume: str
    taker_buy_quote_volume: str
    def __init__(self, open_time: _Optional[int] = ..., open: _Optional[str] = ..., high: _Optional[str] = ..., low: _Optional[str] = ..., close: _Optional[str] = ..., volume: _Optional[str] = ..., close_time: _Optional[int] = ..., quote_volume: _Optional[str] = ..., trade_count: _Optional[int] = ..., taker_buy_base_volume: _Optional[str] = ..., taker_buy_quote_volume: _Optional[str] = ...) -> None: ...

class GetKlinesResponse(_message.Message):
    __slots__ = ("klines",)
    KLINES_FIELD_NUMBER: _ClassVar[int]
    klines: _containers.RepeatedCompositeFieldContainer[Kline]
    def __init__(self, klines: _Optional[_Iterable[_Union[Kline, _Mapping]]] = ...) -> None: ...

class GetAvgPriceRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class GetAvgPriceResponse(_message.Message):
    __slots__ = ("mins", "price", "close_time")
    MINS_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    CLOSE_TIME_FIELD_NUMBER: _ClassVar[int]
    mins: int
    price: str
    close_time: int
    def __init__(self, mins: _Optional[int] = ..., price: _Optional[str] = ..., close_time: _Optional[int] = ...) -> None: ...

class GetTickerRequest(_message.Message):
    __slots__ = ("symbol", "symbols", "type", "symbol_status")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_STATUS_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    symbols: _containers.RepeatedScalarFieldContainer[str]
    type: str
    symbol_status: _common_pb2.SymbolStatus
    def __init__(self, symbol: _Optional[str] = ..., symbols: _Optional[_Iterable[str]] = ..., type: _Optional[str] = ..., symbol_status: _Optional[_Union[_common_pb2.SymbolStatus, str]] = ...) -> None: ...

class GetRollingTickerRequest(_message.Message):
    __slots__ = ("symbol", "symbols", "window_size", "type", "symbol_status")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    WINDOW_SIZE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_STATUS_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    symbols: _containers.RepeatedScalarFieldContainer[str]
    window_size: str
    type: str
    symbol_status: _common_pb2.SymbolStatus
    def __init__(self, symbol: _Optional[str] = ..., symbols: _Optional[_Iterable[str]] = ..., window_size: _Optional[str] = ..., type: _Optional[str] = ..., symbol_status: _Optional[_Union[_common_pb2.SymbolStatus, str]] = ...) -> None: ...

class GetTradingDayTickerRequest(_message.Message):
    __slots__ = ("symbol", "symbols", "time_zone", "type", "symbol_status")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_STATUS_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    symbols: _containers.RepeatedScalarFieldContainer[str]
    time_zone: str
    type: str
    symbol_status: _common_pb2.SymbolStatus
    def __init__(self, symbol: _Optional[str] = ..., symbols: _Optional[_Iterable[str]] = ..., time_zone: _Optional[str] = ..., type: _Optional[str] = ..., symbol_status: _Optional[_Union[_common_pb2.SymbolStatus, str]] = ...) -> None: ...

class Ticker24h(_message.Message):
    __slots__ = ("symbol", "price_change", "price_change_percent", "weighted_avg_price", "prev_close_price", "last_price", "last_qty", "bid_price", "bid_qty", "ask_price", "ask_qty", "open_price", "high_price", "low_price", "volume", "quote_volume", "open_time", "close_time", "first_id", "last_id", "count")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    PRICE_CHANGE_FIELD_NUMBER: _ClassVar[int]
    PRICE_CHANGE_PERCENT_FIELD_NUMBER: _ClassVar[int]
    WEIGHTED_AVG_PRICE_FIELD_NUMBER: _ClassVar[int]
    PREV_CLOSE_PRICE_FIELD_NUMBER: _ClassVar[int]
    LAST_PRICE_FIELD_NUMBER: _ClassVar[int]
    LAST_QTY_FIELD_NUMBER: _ClassVar[int]
    BID_PRICE_FIELD_NUMBER: _ClassVar[int]
    BID_QTY_FIELD_NUMBER: _ClassVar[int]
    ASK_PRICE_FIELD_NUMBER: _ClassVar[int]
    ASK_QTY_FIELD_NUMBER: _ClassVar[int]
    OPEN_PRICE_FIELD_NUMBER: _ClassVar[int]
    HIGH_PRICE_FIELD_NUMBER: _ClassVar[int]
    LOW_PRICE_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    QUOTE_VOLUME_FIELD_NUMBER: _ClassVar[int]
    OPEN_TIME_FIELD_NUMBER: _ClassVar[int]
    CLOSE_TIME_FIELD_NUMBER: _ClassVar[int]
    FIRST_ID_FIELD_NUMBER: _ClassVar[int]
    LAST_ID_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    price_change: str
    price_change_percent: str
    weighted_avg_price: str
    prev_close_price: str
    last_price: str
    last_qty: str
    bid_price: str
    bid_qty: str
    ask_price: str
    ask_qty: str
    open_price: str
    high_price: str
    low_price: str
    volume: str
    quote_volume: str
    open_time: int
    close_time: int
    first_id: int
    last_id: int
    count: int
    def __init__(self, symbol: _Optional[str] = ..., price_change: _Optional[str] = ..., price_change_percent: _Optional[str] = ..., weighted_avg_price: _Optional[str] = ..., prev_close_price: _Optional[str] = ..., last_price: _Optional[str] = ..., last_qty: _Optional[str] = ..., bid_price: _Optional[str] = ..., bid_qty: _Optional[str] = ..., ask_price: _Optional[str] = ..., ask_qty: _Optional[str] = ..., open_price: _Optional[str] = ..., high_price: _Optional[str] = ..., low_price: _Optional[str] = ..., volume: _Optional[str] = ..., quote_volume: _Optional[str] = ..., open_time: _Optional[int] = ..., close_time: _Optional[int] = ..., first_id: _Optional[int] = ..., last_id: _Optional[int] = ..., count: _Optional[int] = ...) -> None: ...

class GetTicker24hResponse(_message.Message):
    __slots__ = ("tickers",)
    TICKERS_FIELD_NUMBER: _ClassVar[int]
    tickers: _containers.RepeatedCompositeFieldContainer[Ticker24h]
    def __init__(self, tickers: _Optional[_Iterable[_Union[Ticker24h, _Mapping]]] = ...) -> None: ...

class PriceTicker(_message.Message):
    __slots__ = ("symbol", "price")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    price: str
    def __init__(self, symbol: _Optional[str] = ..., price: _Optional[str] = ...) -> None: ...

class GetPriceResponse(_message.Message):
    __slots__ = ("prices",)
    PRICES_FIELD_NUMBER: _ClassVar[int]
    prices: _containers.RepeatedCompositeFieldContainer[PriceTicker]
    def __init__(self, prices: _Optional[_Iterable[_Union[PriceTicker, _Mapping]]] = ...) -> None: ...

class BookTicker(_message.Message):
    __slots__ = ("symbol", "bid_price", "bid_qty", "ask_price", "ask_qty", "update_id")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    BID_PRICE_FIELD_NUMBER: _ClassVar[int]
    BID_QTY_FIELD_NUMBER: _ClassVar[int]
    ASK_PRICE_FIELD_NUMBER: _ClassVar[int]
    ASK_QTY_FIELD_NUMBER: _ClassVar[int]
    UPDATE_ID_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    bid_price: str
    bid_qty: str
    ask_price: str
    ask_qty: str
    update_id: int
    def __init__(self, symbol: _Optional[str] = ..., bid_price: _Optional[str] = ..., bid_qty: _Optional[str] = ..., ask_price: _Optional[str] = ..., ask_qty: _Optional[str] = ..., update_id: _Optional[int] = ...) -> None: ...

class GetBookTickerResponse(_message.Message):
    __slots__ = ("book_tickers",)
    BOOK_TICKERS_FIELD_NUMBER: _ClassVar[int]
    book_tickers: _containers.RepeatedCompositeFieldContainer[BookTicker]
    def __init__(self, book_tickers: _Optional[_Iterable[_Union[BookTicker, _Mapping]]] = ...) -> None: ...

class SubscribeRequest(_message.Message):
    __slots__ = ("streams",)
    STREAMS_FIELD_NUMBER: _ClassVar[int]
    streams: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, streams: _Optional[_Iterable[str]] = ...) -> None: ...

class MarketEvent(_message.Message):
    __slots__ = ("stream", "event_time", "trade", "agg_trade", "depth", "kline", "ticker", "mini_ticker", "book_ticker", "partial_depth", "avg_price", "window_ticker", "last_in_array")
    STREAM_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    TRADE_FIELD_NUMBER: _ClassVar[int]
    AGG_TRADE_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    KLINE_FIELD_NUMBER: _ClassVar[int]
    TICKER_FIELD_NUMBER: _ClassVar[int]
    MINI_TICKER_FIELD_NUMBER: _ClassVar[int]
    BOOK_TICKER_FIELD_NUMBER: _ClassVar[int]
    PARTIAL_DEPTH_FIELD_NUMBER: _ClassVar[int]
    AVG_PRICE_FIELD_NUMBER: _ClassVar[int]
    WINDOW_TICKER_FIELD_NUMBER: _ClassVar[int]
    LAST_IN_ARRAY_FIELD_NUMBER: _ClassVar[int]
    stream: str
    event_time: int
    trade: TradeUpdate
    agg_trade: AggTradeUpdate
    depth: DepthUpdate
    kline: KlineUpdate
    ticker: Ticker24h
    mini_ticker: MiniTicker
    book_ticker: BookTicker
    partial_depth: PartialDepth
    avg_price: AvgPriceUpdate
    window_ticker: WindowTicker
    last_in_array: bool
    def __init__(self, stream: _Optional[str] = ..., event_time: _Optional[int] = ..., trade: _Optional[_Union[TradeUpdate, _Mapping]] = ..., agg_trade: _Optional[_Union[AggTradeUpdate, _Mapping]] = ..., depth: _Optional[_Union[DepthUpdate, _Mapping]] = ..., kline: _Optional[_Union[KlineUpdate, _Mapping]] = ..., ticker: _Optional[_Union[Ticker24h, _Mapping]] = ..., mini_ticker: _Optional[_Union[MiniTicker, _Mapping]] = ..., book_ticker: _Optional[_Union[BookTicker, _Mapping]] = ..., partial_depth: _Optional[_Union[PartialDepth, _Mapping]] = ..., avg_price: _Optional[_Union[AvgPriceUpdate, _Mapping]] = ..., window_ticker: _Optional[_Union[WindowTicker, _Mapping]] = ..., last_in_array: _Optional[bool] = ...) -> None: ...

class WindowTicker(_message.Message):
    __slots__ = ("window", "ticker")
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    TICKER_FIELD_NUMBER: _ClassVar[int]
    window: str
    ticker: Ticker24h
    def __init__(self, window: _Optional[str] = ..., ticker: _Optional[_Union[Ticker24h, _Mapping]] = ...) -> None: ...

class AvgPriceUpdate(_message.Message):
    __slots__ = ("symbol", "interval", "price", "last_trade_time")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    LAST_TRADE_TIME_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    interval: str
    price: str
    last_trade_time: int
    def __init__(self, symbol: _Optional[str] = ..., interval: _Optional[str] = ..., price: _Optional[str] = ..., last_trade_time: _Optional[int] = ...) -> None: ...

class TradeUpdate(_message.Message):
    __slots__ = ("symbol", "trade_id", "price", "qty", "trade_time", "is_buyer_maker")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    QTY_FIELD_NUMBER: _ClassVar[int]
    TRADE_TIME_FIELD_NUMBER: _ClassVar[int]
    IS_BUYER_MAKER_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    trade_id: int
    price: str
    qty: str
    trade_time: int
    is_buyer_maker: bool
    def __init__(self, symbol: _Optional[str] = ..., trade_id: _Optional[int] = ..., price: _Optional[str] = ..., qty: _Optional[str] = ..., trade_time: _Optional[int] = ..., is_buyer_maker: _Optional[bool] = ...) -> None: ...

class AggTradeUpdate(_message.Message):
    __slots__ = ("symbol", "agg_trade")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    AGG_TRADE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    agg_trade: AggTrade
    def __init__(self, symbol: _Optional[str] = ..., agg_trade: _Optional[_Union[AggTrade, _Mapping]] = ...) -> None: ...

class DepthUpdate(_message.Message):
    __slots__ = ("symbol", "first_update_id", "final_update_id", "bids", "asks")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    FIRST_UPDATE_ID_FIELD_NUMBER: _ClassVar[int]
    FINAL_UPDATE_ID_FIELD_NUMBER: _ClassVar[int]
    BIDS_FIELD_NUMBER: _ClassVar[int]
    ASKS_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    first_update_id: int
    final_update_id: int
    bids: _containers.RepeatedCompositeFieldContainer[_common_pb2.PriceLevel]
    asks: _containers.RepeatedCompositeFieldContainer[_common_pb2.PriceLevel]
    def __init__(self, symbol: _Optional[str] = ..., first_update_id: _Optional[int] = ..., final_update_id: _Optional[int] = ..., bids: _Optional[_Iterable[_Union[_common_pb2.PriceLevel, _Mapping]]] = ..., asks: _Optional[_Iterable[_Union[_common_pb2.PriceLevel, _Mapping]]] = ...) -> None: ...

class PartialDepth(_message.Message):
    __slots__ = ("last_update_id", "bids", "asks")
    LAST_UPDATE_ID_FIELD_NUMBER: _ClassVar[int]
    BIDS_FIELD_NUMBER: _ClassVar[int]
    ASKS_FIELD_NUMBER: _ClassVar[int]
    last_update_id: int
    bids: _containers.RepeatedCompositeFieldContainer[_common_pb2.PriceLevel]
    asks: _containers.RepeatedCompositeFieldContainer[_common_pb2.PriceLevel]
    def __init__(self, last_update_id: _Optional[int] = ..., bids: _Optional[_Iterable[_Union[_common_pb2.PriceLevel, _Mapping]]] = ..., asks: _Optional[_Iterable[_Union[_common_pb2.PriceLevel, _Mapping]]] = ...) -> None: ...

class KlineUpdate(_message.Message):
    __slots__ = ("symbol", "interval", "kline", "first_trade_id", "last_trade_id", "is_closed")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    KLINE_FIELD_NUMBER: _ClassVar[int]
    FIRST_TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    LAST_TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    IS_CLOSED_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    interval: str
    kline: Kline
    first_trade_id: int
    last_trade_id: int
    is_closed: bool
    def __init__(self, symbol: _Optional[str] = ..., interval: _Optional[str] = ..., kline: _Optional[_Union[Kline, _Mapping]] = ..., first_trade_id: _Optional[int] = ..., last_trade_id: _Optional[int] = ..., is_closed: _Optional[bool] = ...) -> None: ...

class MiniTicker(_message.Message):
    __slots__ = ("symbol", "close_price", "open_price", "high_price", "low_price", "volume", "quote_volume")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    CLOSE_PRICE_FIELD_NUMBER: _ClassVar[int]
    OPEN_PRICE_FIELD_NUMBER: _ClassVar[int]
    HIGH_PRICE_FIELD_NUMBER: _ClassVar[int]
    LOW_PRICE_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    QUOTE_VOLUME_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    close_price: str
    open_price: str
    high_price: str
    low_price: str
    volume: str
    quote_volume: str
    def __init__(self, symbol: _Optional[str] = ..., close_price: _Optional[str] = ..., open_price: _Optional[str] = ..., high_price: _Optional[str] = ..., low_price: _Optional[str] = ..., volume: _Optional[str] = ..., quote_volume: _Optional[str] = ...) -> None: ...
