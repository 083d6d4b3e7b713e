"""Market data's views kept in a MarketViewStore (Redis), so that a restart serves at once and
resumes the event stream where the stored views stand instead of replaying all history.

What is kept per symbol, all at one seq (the store writes each symbol's update atomically):
    depth       every level of both sides (maps "bids", "asks": price -> qty)
    trades      the newest 1000 trades and aggregate trades (Binance's /trades maximum)
    ticker      the minute and hour buckets of RollingStats (7 days), its last pruned close,
                and the trades of the avgPrice window (5 minutes)
    klines      the newest 1000 traded candles of each interval (the /klines maximum) and the
                candle of the current second not yet merged into them
Older trades and candles stay in memory only: after a restart /historicalTrades and /klines
reach back 1000 entries until history builds up again.

Writing follows applying, never blocks it: `ViewRecorder.applied` notes what a batch touched
(levels, trade count, seconds merged into candles), and one writer task turns the notes of
every symbol into one `write` (one round trip), reading the values from the views as they are
at that moment. Everything runs on one event loop, so what a write carries is the views at
the symbol's current seq, whole. While a write is in flight the notes of the next batches
pile up: the write rate adapts to the round trip instead of one write per batch.

Rows are integers in ASCII, comma-separated, in the field order of the dataclass they encode.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from engine_ext.codes import EventKind
from engine_ext.events import EVENT_FIELDS
from services.common.aio import reraise_if_cancelled
from services.common.ports import EventBatch, MarketViewStore, SeriesUpdate, StoredViews, ViewLayout, ViewUpdate

from .candles import INTERVALS, Candle
from .depth import BUY, SELL
from .domain import MarketData, SymbolMarket
from .tickers import Stats
from .trades import AggTrade, Trade

log = logging.getLogger(__name__)

TRADES_KEPT = 1000
CANDLES_KEPT = 1000
RETRY_S = (0.1, 0.5, 1.0, 2.0, 5.0)
# At most this often: each write costs a round trip and a MULTI/EXEC whatever it carries, and
# staleness costs nothing (a restart replays the events after the stored seq). Measured in
# benchmarks/marketdata_views.py.
WRITE_EVERY_S = 0.05

_SIDES = {BUY: "bids", SELL: "asks"}
_CANDLES = {name: f"kline:{name}" for name in INTERVALS}
LAYOUT = ViewLayout(
    values=("time", "pruned_close", "pending"),
    maps=("bids", "asks"),
    lists=("trades", "aggs", "avg"),
    series=("minutes", "hours", *_CANDLES.values()),
)
_TRADE, _LEVEL = int(EventKind.TRADE), int(EventKind.LEVEL)
_SEQ, _KIND, _SIDE, _PRICE = (EVENT_FIELDS.index(name) for name in ("seq", "kind", "side", "price"))


def _ints(row: bytes) -> list[int]:
    return [int(v) for v in row.split(b",")]


def _trade_row(t: Trade) -> bytes:
    return b"%d,%d,%d,%d,%d,%d" % (t.trade_id, t.taker_order_id, t.taker_side, t.price, t.qty, t.time)


def _agg_row(a: AggTrade) -> bytes:
    return b"%d,%d,%d,%d,%d,%d,%d,%d" % (
        a.agg_id, a.taker_order_id, a.is_buyer_maker, a.price, a.qty, a.first_trade_id, a.last_trade_id, a.time,
    )


def _stats_row(s: Stats) -> bytes:
    return b"%d,%d,%d,%d,%d,%d,%d,%d,%d,%d" % (
        s.first_id, s.last_id, s.open, s.high, s.low, s.close, s.close_qty, s.volume, s.quote_volume, s.count,
    )


def _candle_row(c: Candle) -> bytes:
    return b"%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d" % (
        c.open_time, c.open, c.high, c.low, c.close, c.volume, c.quote_volume, c.count, c.taker_buy_volume,
        c.taker_buy_quote_volume, c.first_trade_id, c.last_trade_id,
    )


def _trade(row: bytes) -> Trade:
    return Trade(*_ints(row))


def _agg(row: bytes) -> AggTrade:
    a, order, m, price, qty, first, last, time = _ints(row)
    return AggTrade(a, order, bool(m), price, qty, first, last, time)


def _stats(row: bytes) -> Stats:
    return Stats(*_ints(row))


def _candle(row: bytes) -> Candle:
    return Candle(*_ints(row))


# -- writing -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Notes:
    """What changed in one symbol since its last write."""

    replace: bool = False
    levels: set[tuple[int, int]] = field(default_factory=set)
    trades: int = 0
    trade_times: set[int] = field(default_factory=set)


def full_update(market: SymbolMarket) -> ViewUpdate:
    """Everything kept, replacing what is stored."""
    update = ViewUpdate(market.name, market.last_update_id, replace=True)
    depth, tape, window = market.depth, market.tape, len(market.avg_price)
    for side, name in _SIDES.items():
        update.maps[name] = {price: b"%d" % qty for price, qty in depth.top(side, depth.level_count(side))}
    update.lists["trades"] = ([_trade_row(t) for t in tape.recent(TRADES_KEPT)], TRADES_KEPT)
    update.lists["aggs"] = ([_agg_row(a) for a in tape.aggregates(None, None, None, TRADES_KEPT)], TRADES_KEPT)
    update.lists["avg"] = ([_trade_row(t) for t in market.avg_price.newest(window)], window)
    update.series["minutes"] = SeriesUpdate({k: _stats_row(s) for k, s in market.stats.minutes.items()})
    update.series["hours"] = SeriesUpdate({k: _stats_row(s) for k, s in market.stats.hours.items()})
    for interval, name in _CANDLES.items():
        series = market.candles.series(interval)  # flushes the pending second first
        assert series is not None
        stored = series.stored()[-CANDLES_KEPT:]
        update.series[name] = SeriesUpdate({c.open_time: _candle_row(c) for c in stored})
    market.candles.take_flushed()  # all of it is in this update
    _values(market, update)
    return update


def _values(market: SymbolMarket, update: ViewUpdate) -> None:
    pending = market.candles.pending
    update.values["time"] = b"%d" % market.time_ms
    update.values["pruned_close"] = b"%d" % market.stats.pruned_close
    update.values["pending"] = _candle_row(pending) if pending is not None else b""


def _delta(market: SymbolMarket, notes: _Notes, last_agg: int) -> ViewUpdate:
    update = ViewUpdate(market.name, market.last_update_id)
    depth = market.depth
    changed: dict[int, dict[int, bytes | None]] = {BUY: {}, SELL: {}}
    for side, price in notes.levels:
        qty = depth.qty(side, price)
        changed[side][price] = b"%d" % qty if qty else None
    for side, name in _SIDES.items():
        if changed[side]:
            update.maps[name] = changed[side]
    if notes.trades:
        new = market.tape.recent(min(notes.trades, TRADES_KEPT))
        update.lists["trades"] = ([_trade_row(t) for t in new], TRADES_KEPT)
        aggs = market.tape.aggregates_after(last_agg)[-TRADES_KEPT:]
        update.lists["aggs"] = ([_agg_row(a) for a in aggs], TRADES_KEPT)
        window = len(market.avg_price)
        avg = market.avg_price.newest(min(notes.trades, window))
        update.lists["avg"] = ([_trade_row(t) for t in avg], window)
        for name, buckets in (("minutes", market.stats.minutes), ("hours", market.stats.hours)):
            keys = {t - t % buckets.span for t in notes.trade_times}
            buckets_changed = {k: _stats_row(s) for k in keys if (s := buckets.get(k)) is not None}
            update.series[name] = SeriesUpdate(buckets_changed, drop_below=buckets.oldest)
    flushed = market.candles.take_flushed()
    if flushed:
        for interval, name in _CANDLES.items():
            upserts: dict[int, bytes] = {}
            for second in flushed:
                candle = market.candles.merged_candle(interval, second)
                if candle is not None:
                    upserts[candle.open_time] = _candle_row(candle)
            update.series[name] = SeriesUpdate(upserts, keep=CANDLES_KEPT)
    _values(market, update)
    return update


class ViewRecorder:
    """Keeps the store following the views; `run` is the writer task."""

    def __init__(self, data: MarketData, store: MarketViewStore, min_interval_s: float = WRITE_EVERY_S) -> None:
        self._data = data
        self._store = store
        self._min_interval_s = min_interval_s
        self._notes: dict[str, _Notes] = {}
        self._noted_seq: dict[str, int] = {}  # per symbol, the last seq already noted
        self._noted_time: dict[str, int] = {}
        self._last_agg: dict[str, int] = {}  # per symbol, the newest aggregate stored
        self._saved: dict[str, int] = {}
        self._wake = asyncio.Event()
        self._progress = asyncio.Condition()
        self.writes = 0
        for market in data.markets():
            market.candles.record_flushes()

    def restored(self, symbol: str) -> None:
        """The symbol's views were just restored from the store: it holds them already."""
        market = self._data.market(symbol)
        self._noted_seq[symbol] = self._saved[symbol] = market.last_update_id
        self._noted_time[symbol] = market.time_ms
        last = market.tape.aggregates(None, None, None, 1)
        self._last_agg[symbol] = last[0].agg_id if last else 0

    def replaced(self, symbol: str) -> None:
        """The symbol's depth was replaced wholesale (a book snapshot): store everything again."""
        market = self._data.market(symbol)
        self._noted_seq[symbol], self._noted_time[symbol] = market.last_update_id, market.time_ms
        self._notes[symbol] = _Notes(replace=True)
        self._wake.set()

    def applied(self, batch: EventBatch) -> None:
        """Note what the batch just applied changed. Cheap: one pass over its new events."""
        symbol = batch.symbol
        noted = self._noted_seq.get(symbol)
        if noted is None:
            if self._data.find(symbol) is None:
                return  # not listed here (MarketData ignores it too)
            noted = 0
            self._notes[symbol] = _Notes(replace=True)  # first write: nothing older may linger
        if not batch.events or batch.events[-1][_SEQ] <= noted:
            return
        notes = self._notes.get(symbol)
        if notes is None:
            notes = self._notes[symbol] = _Notes()
        # MarketData's clock for the batch: it never goes backwards
        time_ms = self._noted_time[symbol] = max(self._noted_time.get(symbol, 0), batch.time_ms)
        if not notes.replace:
            levels, trades = notes.levels, 0
            for event in batch.events:
                if event[_SEQ] <= noted:
                    continue
                kind = event[_KIND]
                if kind == _LEVEL:
                    levels.add((event[_SIDE], event[_PRICE]))
                elif kind == _TRADE:
                    trades += 1
            if trades:
                notes.trades += trades
                notes.trade_times.add(time_ms)
        self._noted_seq[symbol] = batch.events[-1][_SEQ]
        self._wake.set()

    def _take_updates(self) -> list[ViewUpdate]:
        notes, self._notes = self._notes, {}
        updates = []
        for symbol, note in notes.items():
            market = self._data.market(symbol)
            update = full_update(market) if note.replace else _delta(market, note, self._last_agg.get(symbol, 0))
            last = market.tape.aggregates(None, None, None, 1)
            self._last_agg[symbol] = last[0].agg_id if last else 0
            updates.append(update)
        return updates

    async def save(self) -> None:
        """Write what changed since the last save. If the write fails, what is stored is
        unknown: the symbols it carried are rewritten whole next time."""
        updates = self._take_updates()
        if not updates:
            return
        try:
            await self._store.write(updates)
        except BaseException:
            for update in updates:
                self._notes[update.symbol] = _Notes(replace=True)
            raise
        self.writes += 1
        async with self._progress:
            for update in updates:
                self._saved[update.symbol] = update.seq
            self._progress.notify_all()

    async def run(self) -> None:
        """Until cancelled. An outage costs nothing but a full rewrite once the store is back."""
        failures = 0
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.save()
            except Exception as exc:
                reraise_if_cancelled()
                log.warning("could not store market data views", extra={"error": str(exc)})
                await asyncio.sleep(RETRY_S[min(failures, len(RETRY_S) - 1)])
                failures += 1
                self._wake.set()
                continue
            failures = 0
            if self._min_interval_s:
                await asyncio.sleep(self._min_interval_s)

    async def wait_saved(self, symbol: str, seq: int) -> None:
        """Until the store holds the symbol's views at seq or later (tests, shutdown)."""
        async with self._progress:
            await self._progress.wait_for(lambda: self._saved.get(symbol, 0) >= seq)


# -- restoring ---------------------------------------------------------------------------------


def _restore_market(market: SymbolMarket, stored: StoredViews) -> None:
    for side, name in _SIDES.items():
        for price, qty in stored.maps.get(name, {}).items():
            market.depth.set_level(side, price, int(qty))
    trades = [_trade(row) for row in stored.lists.get("trades", [])]
    market.tape.restore(trades, [_agg(row) for row in stored.lists.get("aggs", [])])
    market.stats.restore(
        [(k, _stats(row)) for k, row in stored.series.get("minutes", [])],
        [(k, _stats(row)) for k, row in stored.series.get("hours", [])],
        trades[-1] if trades else None,
        int(stored.values.get("pruned_close") or 0),
    )
    market.avg_price.restore([_trade(row) for row in stored.lists.get("avg", [])])
    pending = stored.values.get("pending")
    market.candles.restore(
        {interval: [_candle(row) for _, row in stored.series.get(name, [])] for interval, name in _CANDLES.items()},
        _candle(pending) if pending else None,
    )
    market.last_update_id = stored.seq
    market.time_ms = int(stored.values.get("time") or 0)


async def restore_views(
    data: MarketData, store: MarketViewStore, recorder: ViewRecorder | None, newest: dict[str, int] | None = None
) -> dict[str, int]:
    """Load each symbol's stored views into `data` (fresh, nothing applied yet); returns the
    seq each restored symbol now stands at. `newest`: the engine's current seq per symbol when
    known; views stored beyond it belong to another history (a reset exchange) and are ignored.
    """
    restored: dict[str, int] = {}
    for market in data.markets():
        if market.last_update_id:
            raise RuntimeError(f"{market.name}: views already hold events; restore before applying any")
        stored = await store.read(market.name, LAYOUT)
        if stored is None:
            continue
        if newest is not None and stored.seq > newest.get(market.name, 0):
            log.warning("stored views are ahead of the engine; rebuilding instead",
                        extra={"symbol": market.name, "stored": stored.seq, "engine": newest.get(market.name, 0)})
            continue
        _restore_market(market, stored)
        restored[market.name] = stored.seq
        if recorder is not None:
            recorder.restored(market.name)
    return restored
