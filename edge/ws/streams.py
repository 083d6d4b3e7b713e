"""Binance market stream names: which ones exist, and what a name says about its stream.

Binance documents its names with lowercase symbols (`btcusdt@trade`); a name is checked here
before any upstream is opened, so a typo gets an error reply instead of a silent stream.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from enum import Enum

# Binance's kline intervals, case-sensitive ("1m" minute, "1M" month).
KLINE_INTERVALS = frozenset(
    ("1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M")
)


class StreamKind(Enum):
    TRADE = "trade"
    AGG_TRADE = "aggTrade"
    DEPTH_DIFF = "depth"
    PARTIAL_DEPTH = "depthN"
    KLINE = "kline"
    TICKER = "ticker"
    MINI_TICKER = "miniTicker"
    BOOK_TICKER = "bookTicker"
    AVG_PRICE = "avgPrice"
    ALL_TICKERS = "!ticker@arr"
    ALL_MINI_TICKERS = "!miniTicker@arr"
    WINDOW_TICKER = "ticker_<window>"
    ALL_WINDOW_TICKERS = "!ticker_<window>@arr"


# Streams whose every event is the stream's whole current state: the last one can be replayed
# to a subscriber who joins a stream that is already open, so it need not wait for a change.
STATE_KINDS = frozenset(
    {
        StreamKind.PARTIAL_DEPTH,
        StreamKind.KLINE,
        StreamKind.TICKER,
        StreamKind.MINI_TICKER,
        StreamKind.BOOK_TICKER,
        StreamKind.AVG_PRICE,
        StreamKind.ALL_TICKERS,
        StreamKind.ALL_MINI_TICKERS,
        StreamKind.WINDOW_TICKER,
        StreamKind.ALL_WINDOW_TICKERS,
    }
)
ARRAY_KINDS = frozenset({StreamKind.ALL_TICKERS, StreamKind.ALL_MINI_TICKERS, StreamKind.ALL_WINDOW_TICKERS})
# The windows of Binance's rolling window ticker streams (@ticker_1h, !ticker_4h@arr...).
TICKER_WINDOWS = frozenset({"1h", "4h", "1d"})


@dataclass(frozen=True, slots=True)
class Stream:
    name: str  # exactly as Binance spells it, the key of every subscription
    kind: StreamKind
    symbol: str | None  # uppercase exchange symbol ("BTCUSDT"); None for the !...@arr streams
    alias_of: str | None = None  # an older spelling: the stream market data serves under this name

    @property
    def source(self) -> str:
        """The name market data knows the stream by."""
        return self.alias_of or self.name


_SYMBOL_STREAM = re.compile(r"([a-z0-9]{1,20})@([A-Za-z0-9_@+:]+)")
_SIMPLE = {
    "trade": StreamKind.TRADE,
    "aggTrade": StreamKind.AGG_TRADE,
    "depth": StreamKind.DEPTH_DIFF,
    "depth@100ms": StreamKind.DEPTH_DIFF,
    "ticker": StreamKind.TICKER,
    "miniTicker": StreamKind.MINI_TICKER,
    "bookTicker": StreamKind.BOOK_TICKER,
    "avgPrice": StreamKind.AVG_PRICE,
}
_PARTIAL_DEPTH = re.compile(r"depth(5|10|20)(@100ms)?")
_UTC8 = "@+08:00"
_DEFAULT_SPEED = "@1000ms"  # ccxt pro asks for it with watchOrderBookRate=1000
_ALL_MARKET = {"!ticker@arr": StreamKind.ALL_TICKERS, "!miniTicker@arr": StreamKind.ALL_MINI_TICKERS}
# Older spellings Binance still serves: python-binance's miniticker_socket opens the first. Both
# get the stream's own pushes, once a second (a 3000ms subscriber gets them more often).
_ALIASES = {"!miniTicker@arr@1000ms": "!miniTicker@arr", "!miniTicker@arr@3000ms": "!miniTicker@arr"}
_ALL_WINDOW_TICKERS = re.compile(r"!ticker_([0-9a-z]+)@arr")


class UnknownStream(ValueError):
    pass


def parse_stream(name: str, symbols: Collection[str]) -> Stream:
    """`symbols` are the listed exchange symbols (uppercase). Raises UnknownStream."""
    if name in _ALL_MARKET:
        return Stream(name, _ALL_MARKET[name], None)
    if name in _ALIASES:
        return Stream(name, _ALL_MARKET[_ALIASES[name]], None, alias_of=_ALIASES[name])
    every = _ALL_WINDOW_TICKERS.fullmatch(name)
    if every is not None and every[1] in TICKER_WINDOWS:
        return Stream(name, StreamKind.ALL_WINDOW_TICKERS, None)
    match = _SYMBOL_STREAM.fullmatch(name)
    if match is None:
        raise UnknownStream(name)
    symbol, rest = match[1].upper(), match[2]
    if symbol not in symbols:
        raise UnknownStream(name)
    if rest.endswith(_DEFAULT_SPEED):  # "depth@1000ms" is "depth": Binance's default speed, spelled out
        base = rest.removesuffix(_DEFAULT_SPEED)
        if base in ("depth", "depth5", "depth10", "depth20"):
            depth = StreamKind.DEPTH_DIFF if base == "depth" else StreamKind.PARTIAL_DEPTH
            return Stream(name, depth, symbol, alias_of=f"{match[1]}@{base}")
    kind = _SIMPLE.get(rest)
    if kind is None:
        if _PARTIAL_DEPTH.fullmatch(rest):
            kind = StreamKind.PARTIAL_DEPTH
        elif rest.startswith("kline_") and rest[len("kline_") :].removesuffix(_UTC8) in KLINE_INTERVALS:
            kind = StreamKind.KLINE  # in UTC, or with "@+08:00" in UTC+8 (the only zone Binance serves)
        elif rest.startswith("ticker_") and rest[len("ticker_") :] in TICKER_WINDOWS:
            kind = StreamKind.WINDOW_TICKER
        else:
            raise UnknownStream(name)
    return Stream(name, kind, symbol)


def looks_like_stream(name: str) -> bool:
    """Whether a /ws/<name> path means a stream (listen keys are plain alphanumerics)."""
    return "@" in name


def named_symbol(name: str) -> str | None:
    """The uppercase symbol a stream name names, if it names one."""
    head, at, _ = name.partition("@")
    return head.upper() if at and head.isalnum() else None
