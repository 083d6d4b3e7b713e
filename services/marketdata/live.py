"""The state behind each subscribed stream name, shared by all of its subscribers.

A LiveStream is opened when a name gets its first subscriber and closed with its last one.
`poll(now)` is called on the stream's cadence (100 or 1000 ms) and returns what to push;
`current(now)` is what a new subscriber gets at once, so that state streams (tickers, partial
depth, klines...) do not leave a client waiting for the next change. Real-time streams (trade,
aggTrade, bookTicker) are produced by MarketData.apply and need no polling.

Periodic streams push only when their content changed since the last push, so an idle market
costs nothing per tick beyond a key comparison; partial book depth is the exception: Binance
pushes it on its cadence whatever happened.
"""

from __future__ import annotations

from collections.abc import Hashable

from .candles import Candle, CandleSeries, Interval, kline_view
from .domain import MarketData, SymbolMarket
from .streams import StreamKind, StreamSpec
from .views import (
    AvgPricePayload,
    BookTickerPayload,
    DepthUpdatePayload,
    KlinePayload,
    MiniTickerPayload,
    PartialDepthPayload,
    StreamEvent,
    TickerPayload,
    WindowTickerPayload,
)


class LiveStream:
    def __init__(self, spec: StreamSpec) -> None:
        self.spec = spec

    def poll(self, now_ms: int) -> list[StreamEvent]:
        return []

    def current(self, now_ms: int) -> list[StreamEvent]:
        return []

    def close(self) -> None:
        pass


class _RealTime(LiveStream):
    """trade and aggTrade: nothing to poll, nothing to replay."""


class _BookTicker(LiveStream):
    def __init__(self, spec: StreamSpec, market: SymbolMarket) -> None:
        super().__init__(spec)
        self._market = market

    def current(self, now_ms: int) -> list[StreamEvent]:
        return [StreamEvent(self.spec.name, now_ms, BookTickerPayload(self._market.book_ticker()))]


class _DiffDepth(LiveStream):
    def __init__(self, spec: StreamSpec, market: SymbolMarket) -> None:
        super().__init__(spec)
        self._market = market
        self._diff = market.open_diff(spec.cadence_ms)

    def poll(self, now_ms: int) -> list[StreamEvent]:
        m = self._market
        update = self._diff.cut(m.depth, m.fmt, m.last_update_id, now_ms)
        return [] if update is None else [StreamEvent(self.spec.name, now_ms, DepthUpdatePayload(update))]

    def close(self) -> None:
        self._market.close_diff(self.spec.cadence_ms)


class _Changing(LiveStream):
    """A stream that pushes its current state whenever its key changes."""

    def __init__(self, spec: StreamSpec) -> None:
        super().__init__(spec)
        self._last_key: Hashable = None

    def key(self, now_ms: int) -> Hashable:
        raise NotImplementedError

    def poll(self, now_ms: int) -> list[StreamEvent]:
        key = self.key(now_ms)
        if key == self._last_key:
            return []
        self._last_key = key
        return self.current(now_ms)


class _PartialDepth(LiveStream):
    """Pushed on every tick of its cadence, changed or not, as Binance's partial book depth is
    ("pushed every second"): a client watching a quiet book hears it is still there. The
    snapshot is built once per book change."""

    def __init__(self, spec: StreamSpec, market: SymbolMarket) -> None:
        super().__init__(spec)
        self._market = market
        self._payload: PartialDepthPayload | None = None
        self._update_id = -1

    def poll(self, now_ms: int) -> list[StreamEvent]:
        return self.current(now_ms)

    def current(self, now_ms: int) -> list[StreamEvent]:
        market = self._market
        if self._payload is None or market.last_update_id != self._update_id:
            self._payload = PartialDepthPayload(market.depth_snapshot(self.spec.levels))
            self._update_id = market.last_update_id
        return [StreamEvent(self.spec.name, now_ms, self._payload)]


def _ticker_key(market: SymbolMarket, now_ms: int, window_ms: int, with_book: bool) -> Hashable:
    # The window's content changes with a trade, or when its minute-aligned start moves on.
    last = market.tape.last_trade()
    window_start = (max(now_ms, market.time_ms) - window_ms) // 60_000
    return (last.trade_id if last else 0, window_start, market.last_update_id if with_book else 0)


def _ticker_event(spec: StreamSpec, market: SymbolMarket, now_ms: int) -> StreamEvent:
    ticker = market.ticker(spec.window_ms, now_ms)
    payload: MiniTickerPayload | TickerPayload | WindowTickerPayload
    if spec.window:
        payload = WindowTickerPayload(spec.window, ticker)
    elif spec.kind in (StreamKind.MINI_TICKER, StreamKind.ALL_MINI_TICKERS):
        payload = MiniTickerPayload(ticker)
    else:
        payload = TickerPayload(ticker)
    return StreamEvent(spec.name, now_ms, payload)


def _with_book(spec: StreamSpec) -> bool:
    """Only the full 24h ticker carries the best bid and ask: a book change changes it."""
    return spec.kind in (StreamKind.TICKER, StreamKind.ALL_TICKERS)


class _Ticker(_Changing):
    """<symbol>@ticker, @miniTicker and @ticker_<window>."""

    def __init__(self, spec: StreamSpec, market: SymbolMarket) -> None:
        super().__init__(spec)
        self._market = market

    def key(self, now_ms: int) -> Hashable:
        return _ticker_key(self._market, now_ms, self.spec.window_ms, _with_book(self.spec))

    def current(self, now_ms: int) -> list[StreamEvent]:
        return [_ticker_event(self.spec, self._market, now_ms)]


class _AllTickers(LiveStream):
    """!ticker@arr, !miniTicker@arr and !ticker_<window>@arr: like Binance, each push carries
    only the symbols whose ticker changed. One StreamEvent per symbol, all with the same event
    time."""

    def __init__(self, spec: StreamSpec, markets: list[SymbolMarket]) -> None:
        super().__init__(spec)
        self._markets = markets
        self._keys: dict[str, Hashable] = {}

    def _event(self, market: SymbolMarket, now_ms: int) -> StreamEvent:
        return _ticker_event(self.spec, market, now_ms)

    def poll(self, now_ms: int) -> list[StreamEvent]:
        out = []
        for market in self._markets:
            key = _ticker_key(market, now_ms, self.spec.window_ms, _with_book(self.spec))
            if self._keys.get(market.name) != key:
                self._keys[market.name] = key
                out.append(self._event(market, now_ms))
        return out

    def current(self, now_ms: int) -> list[StreamEvent]:
        return [self._event(m, now_ms) for m in self._markets]


class _AvgPrice(_Changing):
    def __init__(self, spec: StreamSpec, market: SymbolMarket) -> None:
        super().__init__(spec)
        self._market = market

    def key(self, now_ms: int) -> Hashable:
        return self._market.average_price(now_ms)

    def current(self, now_ms: int) -> list[StreamEvent]:
        avg = self._market.average_price(now_ms)
        return [StreamEvent(self.spec.name, now_ms, AvgPricePayload(self._market.name, avg))]


class _Kline(LiveStream):
    """The open candle whenever it changes; when a new candle opens, the previous one is pushed
    once more with x = true (its final state), as Binance does."""

    def __init__(self, spec: StreamSpec, market: SymbolMarket) -> None:
        super().__init__(spec)
        self._market = market
        series = market.candles.series(spec.interval)
        assert series is not None, "the stream name was checked against the intervals"
        self._series: CandleSeries | None = None if spec.zone_ms else series
        self._interval = Interval(spec.interval, spec.zone_ms) if spec.zone_ms else series.interval
        self._pushed_open: int | None = None
        self._pushed_key: tuple[int, int] | None = None

    def _candle_at(self, open_time: int) -> Candle | None:
        if self._series is not None:
            return self._series.candle_at(open_time)
        return self._market.candles.zoned_candle(self._interval, open_time)

    def _event(self, candle: Candle, now_ms: int, closed: bool) -> StreamEvent:
        view = kline_view(self._market.fmt, self._interval, candle)
        return StreamEvent(self.spec.name, now_ms, KlinePayload(self._market.name, self.spec.interval, view, closed))

    def poll(self, now_ms: int) -> list[StreamEvent]:
        self._market.candles.flush()
        now = max(now_ms, self._market.time_ms)
        open_time = self._interval.open_time(now)
        out = []
        if self._pushed_open is not None and self._pushed_open < open_time:
            final = self._candle_at(self._pushed_open)
            if final is not None:
                out.append(self._event(final, now_ms, closed=True))
            self._pushed_open = None
        candle = self._candle_at(open_time)
        if candle is not None and (open_time, candle.last_trade_id) != self._pushed_key:
            self._pushed_key = (open_time, candle.last_trade_id)
            self._pushed_open = open_time
            out.append(self._event(candle, now_ms, closed=False))
        return out

    def current(self, now_ms: int) -> list[StreamEvent]:
        self._market.candles.flush()
        open_time = self._interval.open_time(max(now_ms, self._market.time_ms))
        candle = self._candle_at(open_time)
        return [] if candle is None else [self._event(candle, now_ms, closed=False)]


def open_stream(data: MarketData, spec: StreamSpec) -> LiveStream:
    kind = spec.kind
    if kind in (StreamKind.ALL_TICKERS, StreamKind.ALL_MINI_TICKERS, StreamKind.ALL_WINDOW_TICKERS):
        return _AllTickers(spec, data.markets())
    assert spec.symbol is not None
    market = data.market(spec.symbol)
    if kind is StreamKind.DEPTH_DIFF:
        return _DiffDepth(spec, market)
    if kind is StreamKind.PARTIAL_DEPTH:
        return _PartialDepth(spec, market)
    if kind is StreamKind.BOOK_TICKER:
        return _BookTicker(spec, market)
    if kind in (StreamKind.TICKER, StreamKind.MINI_TICKER, StreamKind.WINDOW_TICKER):
        return _Ticker(spec, market)
    if kind is StreamKind.AVG_PRICE:
        return _AvgPrice(spec, market)
    if kind is StreamKind.KLINE:
        return _Kline(spec, market)
    return _RealTime(spec)
