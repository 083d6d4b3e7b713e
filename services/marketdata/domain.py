"""Market data, pure: engine events in, Binance's public views and stream payloads out.

`MarketData` is fed `EventBatch`es in seq order (from the EventSource) and answers the REST
queries; `services/marketdata/live.py` cuts the periodic streams from it. No I/O and no clock:
every time-dependent query takes `now_ms` from the caller.

Delivery is at least once upstream, so applying is idempotent per symbol: events with a seq at
or below the last applied one are ignored, and a seq that skips ahead raises SequenceGap
before anything changes (the caller resynchronises from a book snapshot).

The package, one concept per module:
    domain.py      MarketData / SymbolMarket: applying events, the REST queries
    depth.py       DepthBook (LEVEL events -> sorted levels), DiffDepthStream (U/u diffs)
    trades.py      TradeTape: recent trades, aggregate trades
    tickers.py     RollingStats (24 h and windowSize tickers), AveragePrice (avgPrice)
    candles.py     CandleBook: klines of the 16 Binance intervals
    views.py       what is answered, with Binance's JSON shapes (`binance()`)
    formatting.py  engine integers -> decimal strings
    streams.py     Binance stream names; live.py: the state behind each subscribed stream
    hub.py         fan-out to subscribers (asyncio, bounded queues)
    feed.py        EventSource -> MarketData -> hub; book_source.py: matching's snapshots
    saved_views.py the views kept in a MarketViewStore (Redis): written as applied, restored on start
    relay.py       the streams edge replicas use, through a StreamPublisher (Redis pub/sub)
    servicer.py, convert.py, main.py: gRPC
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from engine_ext.codes import EventKind
from engine_ext.events import EVENT_FIELDS, trade_id
from services.common.markets import Symbol
from services.common.ports import EventBatch

from .candles import CandleBook, KlineView, clamp_klines_limit, kline_view, parse_time_zone
from .depth import (
    BUY,
    SELL,
    DepthBook,
    DepthSnapshot,
    DiffDepthStream,
    clamp_depth_limit,
    depth_snapshot,
)
from .formatting import SymbolFormat
from .tickers import DAY_MS, AveragePrice, RollingStats, parse_window_size
from .trades import (
    MAX_AGG_TRADES_SPAN_MS,
    AggTrade,
    AggTradeView,
    PublicTradeView,
    Trade,
    TradeTape,
    agg_trade_view,
    clamp_trades_limit,
    trade_view,
)
from .views import (
    AggTradePayload,
    AvgPriceView,
    BookTickerPayload,
    BookTickerView,
    PriceView,
    StreamEvent,
    TickerView,
    TradePayload,
    book_ticker_view,
    ticker_view,
)

_TRADE, _LEVEL = int(EventKind.TRADE), int(EventKind.LEVEL)
# Batches carry plain tuples in engine_ext.events.Event's field order (ports.EventBatch).
_SEQ, _KIND, _SIDE, _ORDER_ID, _PRICE, _QTY, _FILLED = (
    EVENT_FIELDS.index(name) for name in ("seq", "kind", "side", "order_id", "price", "qty", "filled")
)


def _every_stream(stream: str) -> bool:
    return True


class MarketDataError(Exception):
    """A request market data refuses; `reason` is an exchange.v1.ErrorReason name and `args`
    fill the placeholders of its Binance message."""

    def __init__(self, reason: str, *args: str) -> None:
        super().__init__(reason, *args)
        self.reason = reason
        self.params = args


class SequenceGap(Exception):
    """Events were missed: the symbol's views can no longer be trusted until resynchronised."""

    def __init__(self, symbol: str, expected: int, got: int) -> None:
        super().__init__(f"{symbol}: expected seq {expected}, got {got}")
        self.symbol = symbol
        self.expected = expected
        self.got = got


@dataclass(frozen=True, slots=True)
class Capacities:
    """How much history is kept in memory per symbol (the event log holds the rest)."""

    trades: int = 10_000  # recent trades and aggregate trades
    candles: int = 10_000  # traded candles per interval


class SymbolMarket:
    """Everything market data knows about one symbol, advanced one event batch at a time."""

    def __init__(self, symbol: Symbol, capacities: Capacities) -> None:
        self.fmt = SymbolFormat(symbol)
        self.name = symbol.name
        self.last_update_id = 0  # seq of the last applied event, of any kind
        self.time_ms = 0  # time of the last applied batch (never goes backwards)
        self.depth = DepthBook()
        self.tape = TradeTape(capacities.trades)
        self.stats = RollingStats()
        self.avg_price = AveragePrice()
        self.candles = CandleBook(capacities.candles)
        self._diffs: dict[int, DiffDepthStream] = {}  # cadence ms -> the stream's shared state
        self._diff_users: dict[int, int] = {}
        self.stream_prefix = self.name.lower()
        self._trade_stream = f"{self.stream_prefix}@trade"
        self._agg_stream = f"{self.stream_prefix}@aggTrade"
        self._book_stream = f"{self.stream_prefix}@bookTicker"

    # -- feeding ---------------------------------------------------------------------------
    def load_book(
        self, seq: int, bids: Iterable[tuple[int, int]], asks: Iterable[tuple[int, int]], time_ms: int
    ) -> None:
        """Start (or restart) the depth from a book snapshot that holds every event up to seq.
        Trade history is kept: it is only ever extended, never contradicted, by later events."""
        if seq < self.last_update_id:
            # Going back would apply the events in between twice (trades, candles, tickers).
            raise ValueError(f"{self.name}: snapshot at seq {seq} is older than the applied {self.last_update_id}")
        self.depth.clear()
        for price, qty in bids:
            self.depth.set_level(BUY, price, qty)
        for price, qty in asks:
            self.depth.set_level(SELL, price, qty)
        self.last_update_id = seq
        self.time_ms = max(self.time_ms, time_ms)
        for diff in self._diffs.values():
            diff.restart(seq)

    def apply(self, batch: EventBatch, wanted: Callable[[str], bool] = _every_stream) -> list[StreamEvent]:
        """Apply the batch's new events; returns the real-time stream events they caused, for
        the stream names `wanted` accepts (formatting costs more than applying, and while the
        history is replayed at start nobody listens)."""
        events = batch.events
        first = 0
        while first < len(events) and events[first][_SEQ] <= self.last_update_id:
            first += 1
        if first == len(events):
            return []
        expected = self.last_update_id + 1
        for event in events[first:]:
            if event[_SEQ] != expected:
                raise SequenceGap(self.name, expected, event[_SEQ])
            expected += 1
        # A failover may hand over to a matching node whose clock is a little behind; candles
        # and windows assume time never goes backwards.
        time_ms = self.time_ms = max(self.time_ms, batch.time_ms)
        bid_before, ask_before = self.depth.best(BUY), self.depth.best(SELL)
        out: list[StreamEvent] = []
        want_trades, want_aggs = wanted(self._trade_stream), wanted(self._agg_stream)
        for event in events[first:]:
            seq, kind, side = event[_SEQ], event[_KIND], event[_SIDE]
            if kind == _LEVEL:
                price = event[_PRICE]
                self.depth.set_level(side, price, event[_QTY])  # qty: the level's new total
                for diff in self._diffs.values():
                    diff.level_changed(side, price)
            elif kind == _TRADE:
                # order_id/side are the taker's; the price is the maker's (docs/engine.md)
                trade = Trade(trade_id(seq, event[_FILLED]), event[_ORDER_ID], side, event[_PRICE], event[_QTY],
                              time_ms)
                closed = self.tape.add(trade)
                if closed is not None and want_aggs:
                    out.append(self._agg_event(closed, time_ms))
                self._record_trade(trade)
                if want_trades:
                    payload = TradePayload(self.name, trade_view(self.fmt, trade))
                    out.append(StreamEvent(self._trade_stream, time_ms, payload))
            self.last_update_id = seq
        closed = self.tape.close_aggregate()
        if closed is not None and want_aggs:
            out.append(self._agg_event(closed, time_ms))
        if wanted(self._book_stream) and (self.depth.best(BUY), self.depth.best(SELL)) != (bid_before, ask_before):
            out.append(StreamEvent(self._book_stream, time_ms, BookTickerPayload(self.book_ticker())))
        return out

    def _record_trade(self, trade: Trade) -> None:
        self.stats.add(trade)
        self.avg_price.add(trade)
        self.candles.add(trade)

    def _agg_event(self, agg: AggTrade, time_ms: int) -> StreamEvent:
        return StreamEvent(self._agg_stream, time_ms, AggTradePayload(self.name, agg_trade_view(self.fmt, agg)))

    # -- diff depth streams ------------------------------------------------------------------
    def open_diff(self, cadence_ms: int) -> DiffDepthStream:
        """The shared diff state of `@depth` (1000 ms) or `@depth@100ms`. A new one starts at the
        current last_update_id, so its first diff has U = last_update_id + 1."""
        diff = self._diffs.get(cadence_ms)
        if diff is None:
            diff = self._diffs[cadence_ms] = DiffDepthStream(self.name, self.last_update_id)
        self._diff_users[cadence_ms] = self._diff_users.get(cadence_ms, 0) + 1
        return diff

    def close_diff(self, cadence_ms: int) -> None:
        self._diff_users[cadence_ms] -= 1
        if not self._diff_users[cadence_ms]:
            del self._diffs[cadence_ms], self._diff_users[cadence_ms]

    # -- views -------------------------------------------------------------------------------
    def depth_snapshot(self, limit: int) -> DepthSnapshot:
        return depth_snapshot(self.depth, self.fmt, self.last_update_id, self.time_ms, limit)

    def book_ticker(self) -> BookTickerView:
        return book_ticker_view(self.fmt, self.depth.best(BUY), self.depth.best(SELL), self.last_update_id)

    def ticker(self, window_ms: int, now_ms: int) -> TickerView:
        window = self.stats.window(window_ms, max(now_ms, self.time_ms))
        return ticker_view(self.fmt, window, self.depth.best(BUY), self.depth.best(SELL))

    def average_price(self, now_ms: int) -> AvgPriceView:
        mins = self.avg_price.window_ms // 60_000
        current = self.avg_price.current(max(now_ms, self.time_ms))
        if current is None:
            return AvgPriceView(mins, self.fmt.price(0), 0)
        notional, lots, last_time = current
        return AvgPriceView(mins, self.fmt.average_price(notional, lots), last_time)

    def last_price(self) -> str:
        last = self.tape.last_trade()
        return self.fmt.price(last.price if last else 0)


class MarketData:
    """All listed symbols; the REST queries of GET /api/v3/{depth,trades,...}."""

    def __init__(self, symbols: Iterable[Symbol], capacities: Capacities | None = None) -> None:
        caps = capacities or Capacities()
        self._markets = {s.name: SymbolMarket(s, caps) for s in symbols}
        self.by_stream_prefix = {m.stream_prefix: m.name for m in self._markets.values()}

    @property
    def symbols(self) -> list[str]:
        return list(self._markets)

    def find(self, symbol: str) -> SymbolMarket | None:
        return self._markets.get(symbol)

    def market(self, symbol: str) -> SymbolMarket:
        market = self._markets.get(symbol)
        if market is None:
            raise MarketDataError("INVALID_SYMBOL")
        return market

    def markets(self, symbols: Sequence[str] = ()) -> list[SymbolMarket]:
        """The named markets in the order given, or all of them when none is named."""
        return [self.market(s) for s in symbols] if symbols else list(self._markets.values())

    def positions(self) -> dict[str, int]:
        """Per symbol, the last applied seq: where the EventSource should resume."""
        return {name: m.last_update_id for name, m in self._markets.items()}

    # -- feeding ---------------------------------------------------------------------------
    def apply(self, batch: EventBatch, wanted: Callable[[str], bool] = _every_stream) -> list[StreamEvent]:
        market = self._markets.get(batch.symbol)
        if market is None:
            return []  # a symbol listed after this process started; served after a restart
        return market.apply(batch, wanted)

    def load_book(
        self, symbol: str, seq: int, bids: Iterable[tuple[int, int]], asks: Iterable[tuple[int, int]], time_ms: int
    ) -> None:
        self.market(symbol).load_book(seq, bids, asks, time_ms)

    # -- REST ----------------------------------------------------------------------------------
    def depth(self, symbol: str, limit: int | None = None) -> DepthSnapshot:
        return self.market(symbol).depth_snapshot(_limit(clamp_depth_limit, limit))

    def trades(self, symbol: str, limit: int | None = None, from_id: int | None = None) -> list[PublicTradeView]:
        """GET /api/v3/trades (the newest), or historicalTrades with from_id; oldest first."""
        market = self.market(symbol)
        n = _limit(clamp_trades_limit, limit)
        trades = market.tape.recent(n) if from_id is None else market.tape.from_id(from_id, n)
        return [trade_view(market.fmt, t) for t in trades]

    def agg_trades(
        self,
        symbol: str,
        from_id: int | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
    ) -> list[AggTradeView]:
        market = self.market(symbol)
        n = _limit(clamp_trades_limit, limit)
        if from_id is not None and (start_time is not None or end_time is not None):
            raise MarketDataError("INVALID_PARAMETER_COMBINATION")
        if start_time is not None and end_time is not None:
            if end_time < start_time:
                raise MarketDataError("INVALID_PARAMETER_COMBINATION")
            if end_time - start_time > MAX_AGG_TRADES_SPAN_MS:
                raise MarketDataError("LOOKUP_INTERVAL_TOO_BIG", str(MAX_AGG_TRADES_SPAN_MS // 3_600_000))
        aggs = market.tape.aggregates(from_id, start_time, end_time, n)
        return [agg_trade_view(market.fmt, a) for a in aggs]

    def klines(
        self,
        symbol: str,
        interval: str,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int | None = None,
        *,
        now_ms: int,
        time_zone: str = "",
    ) -> list[KlineView]:
        market = self.market(symbol)
        try:
            zone_ms = parse_time_zone(time_zone)
        except ValueError:
            raise MarketDataError("ILLEGAL_PARAMETER", "timeZone", "-12:00 to +14:00") from None
        series = market.candles.zoned_series(interval, zone_ms)
        if series is None:
            raise MarketDataError("INVALID_INTERVAL")
        if start_time is not None and end_time is not None and start_time > end_time:
            raise MarketDataError("INVALID_PARAMETER_COMBINATION")
        n = _limit(clamp_klines_limit, limit)
        candles = series.klines(start_time, end_time, n, max(now_ms, market.time_ms))
        return [kline_view(market.fmt, series.interval, c) for c in candles]

    def avg_price(self, symbol: str, *, now_ms: int) -> AvgPriceView:
        return self.market(symbol).average_price(now_ms)

    def tickers_24h(self, symbols: Sequence[str] = (), *, now_ms: int) -> list[TickerView]:
        return [m.ticker(DAY_MS, now_ms) for m in self.markets(symbols)]

    def rolling_tickers(self, symbols: Sequence[str], window_size: str = "1d", *, now_ms: int) -> list[TickerView]:
        """GET /api/v3/ticker: Binance requires symbol(s) here (no "all")."""
        if not symbols:
            raise MarketDataError("MANDATORY_PARAMETER_MISSING", "symbol")
        try:
            window_ms = parse_window_size(window_size)
        except ValueError:
            raise MarketDataError("ILLEGAL_PARAMETER", "windowSize", "1m..59m, 1h..23h, 1d..7d") from None
        return [m.ticker(window_ms, now_ms) for m in self.markets(symbols)]

    def trading_day_tickers(self, symbols: Sequence[str], time_zone: str = "0", *, now_ms: int) -> list[TickerView]:
        """GET /api/v3/ticker/tradingDay: each symbol's current day in `time_zone`, from its
        first ms until now; closeTime is the day's last ms, as Binance gives it."""
        if not symbols:
            raise MarketDataError("MANDATORY_PARAMETER_MISSING", "symbol")
        try:
            zone_ms = parse_time_zone(time_zone or "0")
        except ValueError:
            raise MarketDataError("ILLEGAL_PARAMETER", "timeZone", "-12:00 to +14:00") from None
        tickers = []
        for market in self.markets(symbols):
            now = max(now_ms, market.time_ms)
            day_start = (now + zone_ms) // DAY_MS * DAY_MS - zone_ms
            ticker = market.ticker(now - day_start, now)
            tickers.append(replace(ticker, close_time=day_start + DAY_MS - 1))
        return tickers

    def prices(self, symbols: Sequence[str] = ()) -> list[PriceView]:
        return [PriceView(m.name, m.last_price()) for m in self.markets(symbols)]

    def book_tickers(self, symbols: Sequence[str] = ()) -> list[BookTickerView]:
        return [m.book_ticker() for m in self.markets(symbols)]


def _limit(clamp: Callable[[int | None], int], limit: int | None) -> int:
    try:
        return clamp(limit)
    except ValueError:
        raise MarketDataError("ILLEGAL_PARAMETER", "limit", "a positive integer") from None
