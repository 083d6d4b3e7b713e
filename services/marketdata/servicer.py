"""MarketDataService over gRPC. Thin: request fields -> MarketData query -> proto (convert.py).

Refusals come from the domain as MarketDataError(reason, *params) and leave as ServiceError,
which the server's error interceptor turns into the status of errors.proto.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import grpc

from exchange.v1 import common_pb2, marketdata_pb2, marketdata_pb2_grpc
from services.common.grpcutil.errors import ServiceError
from services.common.markets import Symbol
from services.common.symbol_info import symbol_info

from . import convert
from .domain import MarketData, MarketDataError
from .hub import StreamHub, SubscriberDropped

SPOT_PERMISSION = "SPOT"  # the one permission set every symbol here has (exchangeInfo permissionSets)

# Binance's published spot limits; the edge enforces them, exchangeInfo only reports them.
RATE_LIMITS = (
    marketdata_pb2.RateLimit(rate_limit_type="REQUEST_WEIGHT", interval="MINUTE", interval_num=1, limit=6000),
    marketdata_pb2.RateLimit(rate_limit_type="ORDERS", interval="SECOND", interval_num=10, limit=100),
    marketdata_pb2.RateLimit(rate_limit_type="ORDERS", interval="DAY", interval_num=1, limit=200000),
    marketdata_pb2.RateLimit(rate_limit_type="RAW_REQUESTS", interval="MINUTE", interval_num=5, limit=61000),
)
# Streams whose payload marketdata.proto has no field for yet.
_ARRAY_STREAMS = frozenset({"!ticker@arr", "!miniTicker@arr"})


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except MarketDataError as exc:
        metadata = {"param": exc.params[0]} if exc.reason == "ILLEGAL_PARAMETER" and exc.params else None
        raise ServiceError(exc.reason, *exc.params, metadata=metadata) from None


def _symbol(name: str) -> str:
    if not name:
        raise MarketDataError("MANDATORY_PARAMETER_MISSING", "symbol")
    return name


def _symbols(symbol: str, symbols: Sequence[str]) -> list[str]:
    """Binance's `symbol` / `symbols` pair: at most one of them; neither = every symbol."""
    if symbol and symbols:
        raise MarketDataError("INVALID_PARAMETER_COMBINATION")
    return [symbol] if symbol else list(symbols)


def _with_status(symbols: Mapping[str, Any], names: list[str], one: bool, status: int) -> list[str] | None:
    """Binance's symbolStatus on market data: a single symbol not in that status is refused;
    of several (or all: `names` empty) those not in it are left out. None: none is left."""
    if not status:
        return names
    wanted = common_pb2.SymbolStatus.Name(status)
    if one:
        if names[0] in symbols and symbols[names[0]].status != wanted:  # unknown: INVALID_SYMBOL later
            raise MarketDataError("SYMBOL_STATUS_MISMATCH")
        return names
    kept = [name for name in names or symbols if name not in symbols or symbols[name].status == wanted]
    return kept or None


def _ticker_type(text: str) -> None:
    """Binance's `type`: FULL (the default) or MINI; the edge renders MINI from the full ticker."""
    if text not in ("", "FULL", "MINI"):
        raise MarketDataError("ILLEGAL_PARAMETER", "type", "FULL, MINI")


def _opt(message: object, field: str) -> int | None:
    return getattr(message, field) if message.HasField(field) else None  # type: ignore[attr-defined]


class MarketDataServicer(marketdata_pb2_grpc.MarketDataServiceServicer):
    def __init__(
        self,
        data: MarketData,
        hub: StreamHub,
        symbols: Sequence[Symbol],
        clock_ms: Callable[[], int] = wall_clock_ms,
    ) -> None:
        self._data = data
        self._hub = hub
        self._symbols = {s.name: s for s in symbols}
        self._clock_ms = clock_ms

    async def Ping(
        self, request: marketdata_pb2.PingRequest, context: grpc.aio.ServicerContext
    ) -> marketdata_pb2.PingResponse:
        return marketdata_pb2.PingResponse()

    def _named(self, request: Any) -> list[str] | None:
        """A ticker request's symbols (empty: all) with its symbolStatus applied; None: none."""
        names = _symbols(request.symbol, request.symbols)
        return _with_status(self._symbols, names, bool(request.symbol), request.symbol_status)

    async def GetServerTime(
        self, request: marketdata_pb2.GetServerTimeRequest, context: grpc.aio.ServicerContext
    ) -> marketdata_pb2.GetServerTimeResponse:
        return marketdata_pb2.GetServerTimeResponse(server_time=self._clock_ms())

    async def GetExchangeInfo(
        self, request: marketdata_pb2.GetExchangeInfoRequest, context: grpc.aio.ServicerContext
    ) -> marketdata_pb2.GetExchangeInfoResponse:
        with _refusals():
            names = _symbols(request.symbol, request.symbols) or list(self._symbols)
            if any(name not in self._symbols for name in names):
                raise MarketDataError("INVALID_SYMBOL")
            if request.symbol_status:
                if request.symbol or request.symbols:
                    raise MarketDataError("INVALID_PARAMETER_COMBINATION")
                wanted = common_pb2.SymbolStatus.Name(request.symbol_status)
                names = [name for name in names if self._symbols[name].status == wanted]
            if request.permissions:
                if request.symbol or request.symbols:
                    raise MarketDataError("INVALID_PARAMETER_COMBINATION")
                if SPOT_PERMISSION not in request.permissions:
                    names = []  # every symbol here trades under SPOT alone
        return marketdata_pb2.GetExchangeInfoResponse(
            timezone="UTC",
            server_time=self._clock_ms(),
            rate_limits=RATE_LIMITS,
            symbols=[symbol_info(self._symbols[name]) for name in names],
        )

    async def GetDepth(
        self, request: marketdata_pb2.GetDepthRequest, context: grpc.aio.ServicerContext
    ) -> marketdata_pb2.GetDepthResponse:
        with _refusals():
            symbol = _symbol(request.symbol)
            _with_status(self._symbols, [symbol], True, request.symbol_status)
            return convert.depth(self._data.depth(symbol, _opt(request, "limit")))

    async def GetTrades(
        self, request: marketdata_pb2.GetTradesRequest, context: grpc.aio.ServicerContext
    ) -> marketdata_pb2.GetTradesResponse:
        with _refusals():
            trades = self._data.trades(_symbol(request.symbol), _opt(request, "limit"), _opt(request, "from_id"))
        return marketdata_pb2.GetTradesResponse(trades=[convert.public_trade(t) for t in trades])

    async def GetAggTrades(
        self, request: marketdata_pb2.GetAggTradesRequest, context: grpc.aio.ServicerContext
    ) -> marketdata_pb2.GetAggTradesResponse:
        with _refusals():
            aggs = self._data.agg_trades(
                _symbol(request.symbol),
                _opt(request, "from_id"),
                _opt(request, "start_time"),
                _opt(request, "end_time"),
                _opt(request, "limit"),
            )
        return marketdata_pb2.GetAggTradesResponse(agg_trades=[convert.agg_trade(a) for a in aggs])

    async def GetKlines(
        self, request: marketdata_pb2.GetKlinesRequest, context: grpc.aio.ServicerContext
    ) -> marketdata_pb2.GetKlinesResponse:
        with _refusals():
            if not request.interval:
                raise MarketDataError("MANDATORY_PARAMETER_MISSING", "interval")
            klines = self._data.klines(
                _symbol(request.symbol),
                request.interval,
                _opt(request, "start_time"),
                _opt(request, "end_time"),
                _opt(request, "limit"),
                now_ms=self._clock_ms(),
                time_zone=request.time_zone,
            )
        return marketdata_pb2.GetKlinesResponse(klines=[convert.kline(k) for k in klines])

    async def GetAvgPrice(
        self, request: marketdata_pb2.GetAvgPriceRequest, context: grpc.aio.ServicerContext
    ) -> marketdata_pb2.GetAvgPriceResponse:
        with _refusals():
            avg = self._data.avg_price(_symbol(request.symbol), now_ms=self._clock_ms())
        return marketdata_pb2.GetAvgPriceResponse(mins=avg.mins, price=avg.price, close_time=avg.close_time)

    async def GetTicker24h(
        self, request: marketdata_pb2.GetTickerRequest, context: grpc.aio.ServicerContext
    ) -> marketdata_pb2.GetTicker24hResponse:
        with _refusals():
            _ticker_type(request.type)
            names = self._named(request)
            tickers = [] if names is None else self._data.tickers_24h(names, now_ms=self._clock_ms())
        return marketdata_pb2.GetTicker24hResponse(tickers=[convert.ticker(t) for t in tickers])

    async def GetRollingTicker(
        self, request: marketdata_pb2.GetRollingTickerRequest, context: grpc.aio.ServicerContext
    ) -> marketdata_pb2.GetTicker24hResponse:
        with _refusals():
            _ticker_type(request.type)
            names = self._named(request)
            tickers = [] if names is None else self._data.rolling_tickers(
                names, request.window_size or "1d", now_ms=self._clock_ms()
            )
        return marketdata_pb2.GetTicker24hResponse(tickers=[convert.ticker(t) for t in tickers])

    async def GetTradingDayTicker(
        self, request: marketdata_pb2.GetTradingDayTickerRequest, context: grpc.aio.ServicerContext
    ) -> marketdata_pb2.GetTicker24hResponse:
        with _refusals():
            _ticker_type(request.type)
            names = self._named(request)
            tickers = [] if names is None else self._data.trading_day_tickers(
                names, request.time_zone, now_ms=self._clock_ms()
            )
        return marketdata_pb2.GetTicker24hResponse(tickers=[convert.ticker(t) for t in tickers])

    async def GetPrice(
        self, request: marketdata_pb2.GetTickerRequest, context: grpc.aio.ServicerContext
    ) -> marketdata_pb2.GetPriceResponse:
        with _refusals():
            names = self._named(request)
            prices = [] if names is None else self._data.prices(names)
        return marketdata_pb2.GetPriceResponse(
            prices=[marketdata_pb2.PriceTicker(symbol=p.symbol, price=p.price) for p in prices]
        )

    async def GetBookTicker(
        self, request: marketdata_pb2.GetTickerRequest, context: grpc.aio.ServicerContext
    ) -> marketdata_pb2.GetBookTickerResponse:
        with _refusals():
            names = self._named(request)
            books = [] if names is None else self._data.book_tickers(names)
        return marketdata_pb2.GetBookTickerResponse(book_tickers=[convert.book_ticker(b) for b in books])

    async def Subscribe(
        self, request: marketdata_pb2.SubscribeRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[marketdata_pb2.MarketEvent]:
        with _refusals():
            subscriber = self._hub.subscribe(list(request.streams))
        try:
            # Initial metadata now, not with the first event: it tells the caller the streams
            # are registered. The edge awaits it before acking SUBSCRIBE, so a REST depth
            # snapshot fetched after the ack (ccxt does exactly that) is never older than the
            # first diff's U - 1, and the client never has to refetch.
            await context.send_initial_metadata(())
            pending: marketdata_pb2.MarketEvent | None = None
            async for event in subscriber.events():
                message = convert.market_event(event)
                if pending is not None:
                    # an array stream's push ends where the next event has another time
                    pending.last_in_array = message.stream != pending.stream or message.event_time != pending.event_time
                    yield pending
                    pending = None
                if message.stream in _ARRAY_STREAMS:
                    pending = message  # held until we know whether it closes its array
                    if subscriber.idle():
                        pending.last_in_array = True
                        yield pending
                        pending = None
                else:
                    yield message
        except SubscriberDropped as exc:
            # the client resubscribes (and, for depth, resyncs) as on Binance
            raise ServiceError("SUBSCRIBER_TOO_SLOW", detail=str(exc)) from exc
        finally:
            self._hub.unsubscribe(subscriber)
