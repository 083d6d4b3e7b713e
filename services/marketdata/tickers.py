"""Rolling-window statistics of one symbol: the 24 h ticker, Binance's `ticker?windowSize=`,
and the 5-minute average price.

Cost per trade is O(1): the trade is added to its minute bucket and its hour bucket. A window
query merges at most 59 minute buckets (the head of the window up to the next whole hour) and one
bucket per hour after that, so a 24 h ticker costs at most ~84 merges however many trades there
were. Everything summed is an integer (lots, notional units, counts).

Window semantics are Binance's documented ones for /api/v3/ticker: the window opens on a whole
minute (openTime = now - windowSize, rounded down to the minute) and closes now, so it can be up
to 59 999 ms wider than asked. The same rule is used for ticker/24hr.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import deque
from dataclasses import dataclass
from itertools import islice

from .trades import Trade

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS
MAX_WINDOW_MS = 7 * DAY_MS
AVG_PRICE_MINS = 5

_WINDOW_SIZE = re.compile(r"^([1-9][0-9]*)([mhd])$")
_WINDOW_UNIT_MS = {"m": MINUTE_MS, "h": HOUR_MS, "d": DAY_MS}
_WINDOW_MAX = {"m": 59, "h": 23, "d": 7}


def parse_window_size(text: str) -> int:
    """Binance windowSize: 1m..59m, 1h..23h, 1d..7d; returns milliseconds."""
    match = _WINDOW_SIZE.match(text)
    if match is None or int(match[1]) > _WINDOW_MAX[match[2]]:
        raise ValueError(f"invalid windowSize {text!r}")
    return int(match[1]) * _WINDOW_UNIT_MS[match[2]]


@dataclass(slots=True)
class Stats:
    """Aggregates of the trades of a time span, merged left to right (oldest first)."""

    first_id: int
    last_id: int
    open: int  # ticks
    high: int
    low: int
    close: int
    close_qty: int  # lots of the last trade (Binance lastQty)
    volume: int  # lots
    quote_volume: int  # notional units
    count: int

    @classmethod
    def of(cls, trade: Trade) -> Stats:
        p, q = trade.price, trade.qty
        return cls(trade.trade_id, trade.trade_id, p, p, p, p, q, q, p * q, 1)

    def add(self, trade: Trade) -> None:
        p = trade.price
        self.last_id = trade.trade_id
        if p > self.high:
            self.high = p
        elif p < self.low:
            self.low = p
        self.close = p
        self.close_qty = trade.qty
        self.volume += trade.qty
        self.quote_volume += p * trade.qty
        self.count += 1

    def merge(self, later: Stats) -> None:
        self.last_id = later.last_id
        self.high = max(self.high, later.high)
        self.low = min(self.low, later.low)
        self.close = later.close
        self.close_qty = later.close_qty
        self.volume += later.volume
        self.quote_volume += later.quote_volume
        self.count += later.count

    def copy(self) -> Stats:
        return Stats(
            self.first_id, self.last_id, self.open, self.high, self.low, self.close, self.close_qty,
            self.volume, self.quote_volume, self.count,
        )


@dataclass(frozen=True, slots=True)
class WindowStats:
    open_time: int
    close_time: int
    stats: Stats | None  # None: no trade in the window
    prev_close: int  # ticks: the last trade price before the window (0 if none is known)
    last_price: int  # the last trade price overall (0 before any trade)
    last_qty: int


class _Buckets:
    """Per-span Stats keyed by span start; spans arrive in time order, so the keys are a sorted
    list (with a moving head for expiry) that windows bisect."""

    __slots__ = ("_head", "_keys", "_stats", "span")

    def __init__(self, span: int) -> None:
        self.span = span
        self._stats: dict[int, Stats] = {}
        self._keys: list[int] = []
        self._head = 0

    def add(self, trade: Trade) -> None:
        key = trade.time - trade.time % self.span
        bucket = self._stats.get(key)
        if bucket is None:
            self._stats[key] = Stats.of(trade)
            self._keys.append(key)
        else:
            bucket.add(trade)

    def between(self, start: int, stop: int | None) -> list[Stats]:
        """The buckets with start <= key < stop, oldest first."""
        keys = self._keys
        lo = bisect_left(keys, start, lo=self._head)
        hi = len(keys) if stop is None else bisect_left(keys, stop, lo=lo)
        return [self._stats[k] for k in keys[lo:hi]]

    def get(self, key: int) -> Stats | None:
        return self._stats.get(key)

    def items(self) -> list[tuple[int, Stats]]:
        return [(k, self._stats[k]) for k in self._keys[self._head :]]

    @property
    def oldest(self) -> int | None:
        """The oldest key kept (older spans are forgotten)."""
        return self._keys[self._head] if self._head < len(self._keys) else None

    def restore(self, items: list[tuple[int, Stats]]) -> None:
        """Start from stored buckets, ascending keys."""
        self._stats = dict(items)
        self._keys = [k for k, _ in items]
        self._head = 0

    def last_before(self, start: int) -> Stats | None:
        i = bisect_left(self._keys, start, lo=self._head)
        return self._stats[self._keys[i - 1]] if i > self._head else None

    def drop_before(self, start: int) -> Stats | None:
        """Forget spans older than `start`; returns the newest forgotten one."""
        keys, dropped = self._keys, None
        while self._head < len(keys) and keys[self._head] < start:
            dropped = self._stats.pop(keys[self._head])
            self._head += 1
        if self._head > len(keys) // 2:
            del keys[: self._head]
            self._head = 0
        return dropped


class RollingStats:
    """Minute and hour buckets over the last 7 days (Binance's longest windowSize) and an hour."""

    __slots__ = ("_hours", "_last", "_minutes", "_pruned_close")

    def __init__(self) -> None:
        self._minutes = _Buckets(MINUTE_MS)
        self._hours = _Buckets(HOUR_MS)
        self._last: Trade | None = None
        self._pruned_close = 0  # close of the newest forgotten minute: prevClose of old windows

    def add(self, trade: Trade) -> None:
        self._minutes.add(trade)
        self._hours.add(trade)
        self._last = trade
        horizon = trade.time - MAX_WINDOW_MS - HOUR_MS
        dropped = self._minutes.drop_before(horizon - horizon % MINUTE_MS)
        if dropped is not None:
            self._pruned_close = dropped.close
        self._hours.drop_before(horizon - horizon % HOUR_MS - HOUR_MS)

    @property
    def last_trade(self) -> Trade | None:
        return self._last

    @property
    def minutes(self) -> _Buckets:
        return self._minutes

    @property
    def hours(self) -> _Buckets:
        return self._hours

    @property
    def pruned_close(self) -> int:
        return self._pruned_close

    def restore(
        self, minutes: list[tuple[int, Stats]], hours: list[tuple[int, Stats]], last: Trade | None, pruned_close: int
    ) -> None:
        self._minutes.restore(minutes)
        self._hours.restore(hours)
        self._last = last
        self._pruned_close = pruned_close

    def window(self, window_ms: int, now_ms: int) -> WindowStats:
        open_time = now_ms - window_ms
        open_time -= open_time % MINUTE_MS
        first_hour = -(-open_time // HOUR_MS) * HOUR_MS  # the first whole hour inside the window
        total: Stats | None = None
        for stats in self._minutes.between(open_time, first_hour) + self._hours.between(first_hour, None):
            if total is None:
                total = stats.copy()
            else:
                total.merge(stats)
        before = self._minutes.last_before(open_time)
        prev_close = before.close if before is not None else self._pruned_close
        last = self._last
        return WindowStats(
            open_time, now_ms, total, prev_close, last.price if last else 0, last.qty if last else 0
        )


class AveragePrice:
    """Binance avgPrice: volume-weighted price of the trades of the last 5 minutes, exactly:
    a queue of the window's trades with running integer sums, O(1) amortised per trade."""

    __slots__ = ("_lots", "_notional", "_trades", "window_ms")

    def __init__(self, mins: int = AVG_PRICE_MINS) -> None:
        self.window_ms = mins * MINUTE_MS
        self._trades: deque[Trade] = deque()
        self._lots = 0
        self._notional = 0

    def add(self, trade: Trade) -> None:
        self._trades.append(trade)
        self._lots += trade.qty
        self._notional += trade.notional
        self._expire(trade.time)

    def __len__(self) -> int:
        return len(self._trades)

    def newest(self, n: int) -> list[Trade]:
        """The newest n trades of the window, oldest first."""
        newest = list(islice(reversed(self._trades), n))
        newest.reverse()
        return newest

    def restore(self, trades: list[Trade]) -> None:
        for trade in trades:
            self._trades.append(trade)
            self._lots += trade.qty
            self._notional += trade.notional

    def _expire(self, now_ms: int) -> None:
        # Keep the newest trade even when it is older than the window: with no recent trade the
        # last price is the best estimate there is, and a 0 would make every price filter that
        # is relative to avgPrice (PERCENT_PRICE_BY_SIDE) refuse everything.
        while len(self._trades) > 1 and self._trades[0].time <= now_ms - self.window_ms:
            old = self._trades.popleft()
            self._lots -= old.qty
            self._notional -= old.notional

    def current(self, now_ms: int) -> tuple[int, int, int] | None:
        """(notional, lots, last trade time) of the window, or None before any trade."""
        self._expire(now_ms)
        if not self._trades:
            return None
        return self._notional, self._lots, self._trades[-1].time
