"""Binance stream names: what a subscriber may ask for, parsed once into a StreamSpec."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from .candles import INTERVALS
from .tickers import DAY_MS, HOUR_MS


class StreamKind(Enum):
    TRADE = "trade"  # real time
    AGG_TRADE = "aggTrade"  # real time
    BOOK_TICKER = "bookTicker"  # real time
    DEPTH_DIFF = "depth"  # every 1000 or 100 ms
    PARTIAL_DEPTH = "partialDepth"  # every 1000 or 100 ms
    KLINE = "kline"
    TICKER = "ticker"
    MINI_TICKER = "miniTicker"
    AVG_PRICE = "avgPrice"
    ALL_TICKERS = "!ticker@arr"
    ALL_MINI_TICKERS = "!miniTicker@arr"
    WINDOW_TICKER = "ticker_<window>"
    ALL_WINDOW_TICKERS = "!ticker_<window>@arr"


REAL_TIME = frozenset({StreamKind.TRADE, StreamKind.AGG_TRADE, StreamKind.BOOK_TICKER})
PARTIAL_DEPTH_LEVELS = (5, 10, 20)
FAST_MS = 100
SLOW_MS = 1000
# Binance's kline streams in UTC+8 (<symbol>@kline_<interval>@+08:00), the only zone it serves.
UTC8_SUFFIX = "@+08:00"
UTC8_MS = 8 * HOUR_MS
# The windows Binance serves rolling window ticker streams for (any other is refused).
TICKER_WINDOWS_MS = {"1h": HOUR_MS, "4h": 4 * HOUR_MS, "1d": DAY_MS}


@dataclass(frozen=True, slots=True)
class StreamSpec:
    name: str  # as the subscriber wrote it (Binance's stream name, symbol lowercase)
    kind: StreamKind
    symbol: str | None  # the exchange's symbol ("BTCUSDT"); None for the all-market streams
    cadence_ms: int = SLOW_MS  # how often a periodic stream is cut; 0 for real-time streams
    levels: int = 0  # partial depth
    interval: str = ""  # kline
    window: str = ""  # rolling window ticker: "1h", "4h" or "1d"
    zone_ms: int = 0  # kline: its time zone east of UTC (Binance's @+08:00 streams)

    @property
    def window_ms(self) -> int:
        """The ticker's window: 24 hours, unless the name gives another one."""
        return TICKER_WINDOWS_MS[self.window] if self.window else DAY_MS


_SYMBOL_STREAM = re.compile(r"^([a-z0-9]+)@(.+)$")
_PARTIAL = re.compile(r"^depth(5|10|20)(@100ms)?$")
_ALL_WINDOW_TICKERS = re.compile(r"^!ticker_([0-9a-z]+)@arr$")
_SIMPLE = {
    "trade": StreamKind.TRADE,
    "aggTrade": StreamKind.AGG_TRADE,
    "bookTicker": StreamKind.BOOK_TICKER,
    "ticker": StreamKind.TICKER,
    "miniTicker": StreamKind.MINI_TICKER,
    "avgPrice": StreamKind.AVG_PRICE,
}


def parse_stream(name: str, symbols_by_lower: Mapping[str, str]) -> StreamSpec:
    """Raises ValueError for a name Binance would not accept or a symbol not listed here.
    The symbol must be lowercase, as on Binance."""
    if name == "!ticker@arr":
        return StreamSpec(name, StreamKind.ALL_TICKERS, None)
    if name == "!miniTicker@arr":
        return StreamSpec(name, StreamKind.ALL_MINI_TICKERS, None)
    every = _ALL_WINDOW_TICKERS.match(name)
    if every is not None and every[1] in TICKER_WINDOWS_MS:
        return StreamSpec(name, StreamKind.ALL_WINDOW_TICKERS, None, window=every[1])
    match = _SYMBOL_STREAM.match(name)
    if match is None or match[1] not in symbols_by_lower:
        raise ValueError(f"unknown stream {name!r}")
    symbol, rest = symbols_by_lower[match[1]], match[2]
    kind = _SIMPLE.get(rest)
    if kind is not None:
        return StreamSpec(name, kind, symbol, 0 if kind in REAL_TIME else SLOW_MS)
    # Binance documents exactly two names per diff cadence; accepting aliases (@depth@1000ms)
    # would give one shared diff state two names to be cut under.
    if rest in ("depth", "depth@100ms"):
        return StreamSpec(name, StreamKind.DEPTH_DIFF, symbol, FAST_MS if rest == "depth@100ms" else SLOW_MS)
    partial = _PARTIAL.match(rest)
    if partial is not None:
        cadence = FAST_MS if partial[2] == "@100ms" else SLOW_MS
        return StreamSpec(name, StreamKind.PARTIAL_DEPTH, symbol, cadence, levels=int(partial[1]))
    if rest.startswith("kline_") and rest[6:] in INTERVALS:
        return StreamSpec(name, StreamKind.KLINE, symbol, SLOW_MS, interval=rest[6:])
    zoned = rest.removesuffix(UTC8_SUFFIX)
    if zoned != rest and zoned.startswith("kline_") and zoned[6:] in INTERVALS:
        return StreamSpec(name, StreamKind.KLINE, symbol, SLOW_MS, interval=zoned[6:], zone_ms=UTC8_MS)
    if rest.startswith("ticker_") and rest[7:] in TICKER_WINDOWS_MS:
        return StreamSpec(name, StreamKind.WINDOW_TICKER, symbol, SLOW_MS, window=rest[7:])
    raise ValueError(f"unknown stream {name!r}")
