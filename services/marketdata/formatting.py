"""A symbol's engine integers as the decimal strings Binance sends.

Integers stay integers until this module: a price is a number of ticks, a quantity a number of
lots, a notional (price x qty) a number of tick x lot units (services/common/markets.py). Only
ratios that are not integers by nature (a weighted average, a percentage) go through Decimal,
and only to be printed.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal

from services.common.markets import Symbol

# Binance prints every amount with 8 decimals ("0.01000000"); a grid finer than that would lose
# digits, so such a symbol gets as many decimals as its grid needs.
_MIN_PLACES = 8
_PERCENT = Decimal("0.001")  # Binance's priceChangePercent has three decimals: "-1.234"
# Engine integers reach 2**62 and notionals 2**124: enough digits that a ratio never rounds
# before the final quantize.
_EXACT = Context(prec=80)


def _places(step: Decimal) -> int:
    exponent = step.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(_MIN_PLACES, -exponent)


class SymbolFormat:
    """Formats one symbol's ticks, lots and notionals; exact (no rounding) for all three."""

    __slots__ = ("_notional", "_price_places", "_qty_places", "_quote_places", "symbol")

    def __init__(self, symbol: Symbol) -> None:
        self.symbol = symbol
        tick, step = symbol.filters.tick_size, symbol.filters.step_size
        self._notional = tick * step
        self._price_places = _places(tick)
        self._qty_places = _places(step)
        self._quote_places = _places(self._notional)

    @property
    def name(self) -> str:
        return self.symbol.name

    def price(self, ticks: int) -> str:
        return f"{self.symbol.ticks_to_price(ticks):.{self._price_places}f}"

    def qty(self, lots: int) -> str:
        return f"{self.symbol.lots_to_qty(lots):.{self._qty_places}f}"

    def quote(self, notional: int) -> str:
        """A quote amount given in notional units (sum of ticks x lots)."""
        return f"{_EXACT.multiply(Decimal(notional), self._notional):.{self._quote_places}f}"

    def average_price(self, notional: int, lots: int) -> str:
        """notional / lots as a price (weightedAvgPrice, avgPrice); zero when nothing traded."""
        if lots == 0:
            return self.price(0)
        price = _EXACT.multiply(_EXACT.divide(Decimal(notional), Decimal(lots)), self.symbol.filters.tick_size)
        value = price.quantize(Decimal(1).scaleb(-self._price_places), rounding=ROUND_HALF_EVEN, context=_EXACT)
        return f"{value:.{self._price_places}f}"

    def percent_change(self, open_ticks: int, last_ticks: int) -> str:
        if open_ticks == 0:
            return "0.000"
        change = _EXACT.divide(Decimal(100 * (last_ticks - open_ticks)), Decimal(open_ticks))
        return f"{change.quantize(_PERCENT, rounding=ROUND_HALF_EVEN, context=_EXACT):.3f}"
