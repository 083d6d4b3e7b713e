"""Candles (klines) of one symbol for every Binance interval, 1s to 1M.

A trade updates one small "pending" candle, O(1); the pending candle is merged into every
interval's candle when its second ends or when someone reads candles (a merge of partial
candles is associative, so reading mid-second changes nothing). So 16 intervals cost 16 merges
per second, not 16 updates per trade. Only candles that had trades are stored; the series a
client sees is dense, as on Binance: a span without trades is a flat candle at the previous
close with zero volume, made up at query time.

Boundaries (UTC, Binance's default timeZone): fixed-length intervals are aligned to the Unix
epoch (so 3d candles start on epoch multiples of 3 days, as Binance's do), weeks start on
Monday 00:00, months on the 1st. Binance's `timeZone` moves those boundaries to local time;
such candles are rebuilt at query time from the stored UTC candles of the longest interval
whose boundaries are boundaries in both zones (8h candles for a daily candle at +08:00).
"""

from __future__ import annotations

import calendar
import re
from bisect import bisect_left
from dataclasses import dataclass
from datetime import UTC, datetime

from engine_ext.codes import Side

from .formatting import SymbolFormat
from .trades import Trade

DEFAULT_KLINES_LIMIT = 500
MAX_KLINES_LIMIT = 1000

_S = 1000
_M = 60 * _S
_H = 60 * _M
_D = 24 * _H
_FIXED_MS = {
    "1s": _S, "1m": _M, "3m": 3 * _M, "5m": 5 * _M, "15m": 15 * _M, "30m": 30 * _M,
    "1h": _H, "2h": 2 * _H, "4h": 4 * _H, "6h": 6 * _H, "8h": 8 * _H, "12h": 12 * _H,
    "1d": _D, "3d": 3 * _D, "1w": 7 * _D,
}
_MONDAY_OFFSET = 4 * _D  # 1970-01-01 was a Thursday; the first Monday is 4 days later
INTERVALS = (*_FIXED_MS, "1M")
# Intervals a zoned candle can be rebuilt from, longest first (all divide a day).
_BUILDING_BLOCKS = ("1d", "12h", "8h", "6h", "4h", "2h", "1h", "30m", "15m", "5m", "3m", "1m")
_TIME_ZONE = re.compile(r"^([+-]?)([0-9]{1,2})(?::([0-9]{2}))?$")


def parse_time_zone(text: str) -> int:
    """Binance timeZone ("0", "8", "-5", "+08:00", "05:45"; -12:00 to +14:00) -> ms east of UTC.
    An empty string is UTC."""
    if not text:
        return 0
    match = _TIME_ZONE.fullmatch(text)  # match() lets "$" pass a trailing newline
    if match is None or int(match[3] or 0) >= 60:
        raise ValueError(f"invalid timeZone {text!r}")
    minutes = int(match[2]) * 60 + int(match[3] or 0)
    minutes = -minutes if match[1] == "-" else minutes
    if not -12 * 60 <= minutes <= 14 * 60:
        raise ValueError(f"timeZone {text!r} out of range")
    return minutes * _M


class Interval:
    """A kline interval: where its candles open and close."""

    __slots__ = ("_length", "_offset", "_zone", "name")

    def __init__(self, name: str, zone_ms: int = 0) -> None:
        """`zone_ms`: the local time zone, east of UTC (Binance's timeZone parameter)."""
        if name not in INTERVALS:
            raise ValueError(f"invalid interval {name!r}")
        self.name = name
        self._length = _FIXED_MS.get(name, 0)  # 0 = calendar months
        self._zone = zone_ms
        # Local boundaries are UTC ones moved back by the zone.
        self._offset = (_MONDAY_OFFSET if name == "1w" else 0) - zone_ms

    @property
    def length_ms(self) -> int:
        """The fixed length, or 0 for calendar months."""
        return self._length

    @property
    def zone_ms(self) -> int:
        return self._zone

    def open_time(self, t: int) -> int:
        """Open time (ms, UTC) of the candle that contains t."""
        if self._length:
            return t - (t - self._offset) % self._length
        local = datetime.fromtimestamp((t + self._zone) // 1000, tz=UTC)
        return calendar.timegm((local.year, local.month, 1, 0, 0, 0)) * 1000 - self._zone

    def next_open(self, open_time: int) -> int:
        if self._length:
            return open_time + self._length
        local = datetime.fromtimestamp((open_time + self._zone) // 1000, tz=UTC)
        year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
        return calendar.timegm((year, month, 1, 0, 0, 0)) * 1000 - self._zone

    def previous_open(self, open_time: int) -> int:
        return self.open_time(open_time - 1)

    def close_time(self, open_time: int) -> int:
        return self.next_open(open_time) - 1


@dataclass(slots=True)
class Candle:
    open_time: int
    open: int  # ticks
    high: int
    low: int
    close: int
    volume: int  # lots
    quote_volume: int  # notional units
    count: int
    taker_buy_volume: int  # lots bought by takers (Binance "taker buy base asset volume")
    taker_buy_quote_volume: int
    first_trade_id: int  # -1 for a candle without trades
    last_trade_id: int

    @classmethod
    def flat(cls, open_time: int, price: int) -> Candle:
        return cls(open_time, price, price, price, price, 0, 0, 0, 0, 0, -1, -1)

    @classmethod
    def of(cls, open_time: int, trade: Trade) -> Candle:
        candle = cls.flat(open_time, trade.price)
        candle.first_trade_id = trade.trade_id
        candle.add(trade)
        return candle

    def add(self, trade: Trade) -> None:
        p, q = trade.price, trade.qty
        # Comparisons rather than max()/min(): this runs for every interval of every trade.
        if p > self.high:
            self.high = p
        elif p < self.low:
            self.low = p
        self.close = p
        self.volume += q
        self.quote_volume += p * q
        self.count += 1
        if trade.taker_side == Side.BUY:
            self.taker_buy_volume += q
            self.taker_buy_quote_volume += p * q
        self.last_trade_id = trade.trade_id


    def merge(self, later: Candle) -> None:
        """Fold in a partial candle of the same span whose trades all came after ours."""
        if later.high > self.high:
            self.high = later.high
        if later.low < self.low:
            self.low = later.low
        self.close = later.close
        self.volume += later.volume
        self.quote_volume += later.quote_volume
        self.count += later.count
        self.taker_buy_volume += later.taker_buy_volume
        self.taker_buy_quote_volume += later.taker_buy_quote_volume
        self.last_trade_id = later.last_trade_id

    def moved_to(self, open_time: int) -> Candle:
        return Candle(
            open_time, self.open, self.high, self.low, self.close, self.volume, self.quote_volume, self.count,
            self.taker_buy_volume, self.taker_buy_quote_volume, self.first_trade_id, self.last_trade_id,
        )


@dataclass(frozen=True, slots=True)
class KlineView:
    """One Binance kline; `binance()` is the REST array, `stream()` the WS `k` object."""

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
    first_trade_id: int
    last_trade_id: int

    def binance(self) -> list[object]:
        return [
            self.open_time, self.open, self.high, self.low, self.close, self.volume, self.close_time,
            self.quote_volume, self.trade_count, self.taker_buy_base_volume, self.taker_buy_quote_volume, "0",
        ]

    def stream(self, symbol: str, interval: str, is_closed: bool) -> dict[str, object]:
        return {
            "t": self.open_time, "T": self.close_time, "s": symbol, "i": interval,
            "f": self.first_trade_id, "L": self.last_trade_id,
            "o": self.open, "c": self.close, "h": self.high, "l": self.low, "v": self.volume,
            "n": self.trade_count, "x": is_closed, "q": self.quote_volume,
            "V": self.taker_buy_base_volume, "Q": self.taker_buy_quote_volume, "B": "0",
        }


def _building_block(interval: Interval) -> str:
    """The longest stored interval whose boundaries are boundaries of `interval` in its zone
    (it divides both the zone and the span; months start at a local midnight)."""
    span = interval.length_ms or _D
    return next(b for b in _BUILDING_BLOCKS if interval.zone_ms % _FIXED_MS[b] == 0 and span % _FIXED_MS[b] == 0)


def kline_view(fmt: SymbolFormat, interval: Interval, candle: Candle) -> KlineView:
    return KlineView(
        candle.open_time, fmt.price(candle.open), fmt.price(candle.high), fmt.price(candle.low),
        fmt.price(candle.close), fmt.qty(candle.volume), interval.close_time(candle.open_time),
        fmt.quote(candle.quote_volume), candle.count, fmt.qty(candle.taker_buy_volume),
        fmt.quote(candle.taker_buy_quote_volume), candle.first_trade_id, candle.last_trade_id,
    )


def clamp_klines_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_KLINES_LIMIT
    if limit <= 0:
        raise ValueError("limit must be positive")
    return min(limit, MAX_KLINES_LIMIT)


class CandleSeries:
    """The candles of one interval; the newest `capacity` traded candles are kept."""

    __slots__ = ("_candles", "_head", "_last", "_last_end", "_opens", "capacity", "interval")

    def __init__(self, interval: Interval, capacity: int = 10_000) -> None:
        self.interval = interval
        self.capacity = capacity
        self._candles: dict[int, Candle] = {}
        self._opens: list[int] = []  # sorted open times of stored candles, from _head on
        self._head = 0
        # The newest candle and where it ends: trade times never go backwards (MarketData
        # clamps them), so most merges land in it without computing a boundary.
        self._last: Candle | None = None
        self._last_end = 0

    def merge(self, part: Candle) -> None:
        """Fold in a partial candle (trades of one second at most, newer than any merged)."""
        if part.open_time < self._last_end and self._last is not None:
            self._last.merge(part)
            return
        open_time = self.interval.open_time(part.open_time)
        candle = self._candles.get(open_time)
        if candle is not None:
            candle.merge(part)
            return
        candle = self._candles[open_time] = part.moved_to(open_time)
        self._last, self._last_end = candle, self.interval.next_open(open_time)
        self._opens.append(open_time)
        if len(self._opens) - self._head > self.capacity:
            del self._candles[self._opens[self._head]]
            self._head += 1
            if self._head >= self.capacity:
                del self._opens[: self._head]
                self._head = 0

    def restore(self, candles: list[Candle]) -> None:
        """Start from stored candles (oldest first), before any merge."""
        for candle in candles:
            self._candles[candle.open_time] = candle
            self._opens.append(candle.open_time)
        if candles:
            self._last, self._last_end = candles[-1], self.interval.next_open(candles[-1].open_time)

    def stored_at(self, open_time: int) -> Candle | None:
        return self._candles.get(open_time)

    def stored(self) -> list[Candle]:
        """The candles that had trades, oldest first."""
        return [self._candles[t] for t in self._opens[self._head :]]

    def _before(self, open_time: int) -> Candle | None:
        """The newest stored candle opening strictly before open_time."""
        i = bisect_left(self._opens, open_time, lo=self._head)
        return self._candles[self._opens[i - 1]] if i > self._head else None

    def candle_at(self, open_time: int) -> Candle | None:
        """The candle opening at open_time, flat when it had no trades; None before the first."""
        candle = self._candles.get(open_time)
        if candle is not None:
            return candle
        previous = self._before(open_time)
        return None if previous is None else Candle.flat(open_time, previous.close)

    def klines(self, start: int | None, end: int | None, limit: int, now_ms: int) -> list[Candle]:
        """Binance GET /klines: candles with start <= openTime <= end, oldest first, at most
        `limit`; without startTime, the newest `limit` ones up to endTime (or now)."""
        if len(self._opens) == self._head:
            return []
        interval = self.interval
        first = self._opens[self._head]
        latest = max(interval.open_time(now_ms), self._opens[-1])
        if start is not None and start > latest:
            return []  # also keeps a far-future time (past year 9999: no calendar) out of open_time
        last = latest if end is None or end >= latest else interval.open_time(end)
        opens: list[int] = []
        if start is not None:
            t = max(first, interval.open_time(start))
            if t < start:
                t = interval.next_open(t)
            while t <= last and len(opens) < limit:
                opens.append(t)
                t = interval.next_open(t)
        else:
            t = last
            while t >= first and len(opens) < limit:
                opens.append(t)
                t = interval.previous_open(t)
            opens.reverse()
        return self._dense(opens)

    def _dense(self, opens: list[int]) -> list[Candle]:
        if not opens:
            return []
        previous = self._before(opens[0])
        candles = []
        for t in opens:
            candle = self._candles.get(t)
            if candle is None:
                assert previous is not None, "a span before the first candle is never listed"
                candle = Candle.flat(t, previous.close)
            candles.append(candle)
            previous = candle
        return candles


class CandleBook:
    """The candles of every interval of one symbol, fed trade by trade."""

    __slots__ = ("_flushed", "_pending", "_pending_end", "_series")

    def __init__(self, capacity: int = 10_000) -> None:
        self._series = {name: CandleSeries(Interval(name), capacity) for name in INTERVALS}
        self._pending: Candle | None = None  # trades not yet merged into the series
        self._pending_end = 0
        self._flushed: list[int] | None = None  # seconds merged since taken, when recorded

    @property
    def pending(self) -> Candle | None:
        return self._pending

    def record_flushes(self) -> None:
        """Remember which seconds get merged into the series (stored views follow them)."""
        if self._flushed is None:
            self._flushed = []

    def take_flushed(self) -> list[int]:
        """The open times of the seconds merged since the last call: the candle of each
        interval that contains one of them has changed."""
        flushed = self._flushed or []
        if self._flushed is not None:
            self._flushed = []
        return flushed

    def merged_candle(self, interval: str, second: int) -> Candle | None:
        """The stored candle of `interval` that contains `second`, as merged so far (the
        pending second is not merged by asking)."""
        series = self._series[interval]
        return series.stored_at(series.interval.open_time(second))

    def restore(self, series: dict[str, list[Candle]], pending: Candle | None) -> None:
        for name, candles in series.items():
            self._series[name].restore(candles)
        self._pending = pending
        self._pending_end = pending.open_time + 1000 if pending is not None else 0

    def add(self, trade: Trade) -> None:
        if self._pending is not None and trade.time < self._pending_end:
            self._pending.add(trade)
            return
        self.flush()
        second = trade.time - trade.time % 1000
        self._pending, self._pending_end = Candle.of(second, trade), second + 1000

    def flush(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            for series in self._series.values():
                series.merge(pending)
            if self._flushed is not None:
                self._flushed.append(pending.open_time)

    def series(self, interval: str) -> CandleSeries | None:
        """The interval's series, up to date (None for an interval Binance does not have)."""
        self.flush()
        return self._series.get(interval)

    def zoned_candle(self, interval: Interval, open_time: int) -> Candle | None:
        """The candle of a zoned `interval` (a kline stream at +08:00) opening at `open_time`,
        from the stored candles of the building block inside it: a handful of lookups, not a
        rebuild of the series. Flat when it had no trades; None before the first trade."""
        self.flush()
        length = interval.length_ms
        if length and interval.zone_ms % length == 0:  # the zone moves boundaries onto boundaries
            return self._series[interval.name].candle_at(open_time)
        name = _building_block(interval)
        block, source = _FIXED_MS[name], self._series[name]
        merged: Candle | None = None
        for start in range(open_time, interval.next_open(open_time), block):
            part = source.stored_at(start)
            if part is None:
                continue
            if merged is None:
                merged = part.moved_to(open_time)  # opens at its first trade, as zoned_series' do
            else:
                merged.merge(part)
        if merged is not None:
            return merged
        before = source.candle_at(open_time)
        return None if before is None else Candle.flat(open_time, before.close)

    def zoned_series(self, interval: str, zone_ms: int) -> CandleSeries | None:
        """The interval's series with boundaries in local time `zone_ms` east of UTC."""
        utc = self.series(interval)
        if utc is None or zone_ms == 0:
            return utc
        target = Interval(interval, zone_ms)
        length = target.length_ms
        if length and zone_ms % length == 0:
            return utc  # the zone moves every boundary onto another one (1h at +08:00)
        source = self._series[_building_block(target)]
        # Every block lies inside one local candle: blocks divide both the zone and the span.
        zoned = CandleSeries(target, source.capacity)
        for candle in source.stored():
            zoned.merge(candle)
        return zoned
