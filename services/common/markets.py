"""Assets and symbols: the decimal world of traders mapped onto the integer world of the engine.

Money inside the platform is always an integer:
- a balance is an integer number of the asset's minor units (10**-precision of the asset);
- an engine price is an integer number of ticks (`tick_size` quote per one base);
- an engine quantity is an integer number of lots (`step_size` base);
- an engine notional unit is one tick times one lot, `tick_size * step_size` quote.

A symbol is only listable if one lot is a whole number of base minor units and one notional
unit is a whole number of quote minor units, so every trade settles exactly, with no rounding.
Decimals exist only at the edges (parsing requests, formatting responses).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from engine_ext.codes import OrderType


class MarketError(ValueError):
    """A value cannot be represented on the symbol's grid (off-tick price, bad decimal...)."""


@dataclass(frozen=True, slots=True)
class Asset:
    name: str
    precision: int  # decimals of the minor unit: 8 means balances count 0.00000001s

    @property
    def minor(self) -> Decimal:
        return Decimal(1).scaleb(-self.precision)

    def to_minor(self, amount: Decimal) -> int:
        """Exact conversion; raises MarketError when `amount` has more decimals than the asset."""
        units = amount / self.minor
        if units != units.to_integral_value():
            raise MarketError(f"{amount} has more than {self.precision} decimals for {self.name}")
        return int(units)

    def from_minor(self, units: int) -> Decimal:
        return (Decimal(units) * self.minor).quantize(self.minor)

    def format(self, units: int) -> str:
        """Binance prints amounts with a fixed 8 decimals (or the asset's own, if more)."""
        places = max(8, self.precision)
        return f"{Decimal(units).scaleb(-self.precision):.{places}f}"


@dataclass(frozen=True, slots=True)
class Filters:
    """Binance's symbol filters, in decimals as exchangeInfo shows them."""

    tick_size: Decimal
    min_price: Decimal
    max_price: Decimal
    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal
    min_notional: Decimal
    max_notional: Decimal
    # PERCENT_PRICE_BY_SIDE multipliers around the reference price
    bid_multiplier_up: Decimal = Decimal("5")
    bid_multiplier_down: Decimal = Decimal("0.2")
    ask_multiplier_up: Decimal = Decimal("5")
    ask_multiplier_down: Decimal = Decimal("0.2")
    max_num_orders: int = 200
    max_num_algo_orders: int = 5


@dataclass(frozen=True, slots=True)
class Symbol:
    name: str  # e.g. "BTCUSDT"
    base: Asset
    quote: Asset
    filters: Filters
    shard: int = 0  # which matching partition owns the book
    status: str = "TRADING"
    order_types: tuple[OrderType, ...] = tuple(OrderType)
    # derived integer factors, checked in __post_init__
    base_minor_per_lot: int = field(init=False)
    quote_minor_per_notional: int = field(init=False)

    def __post_init__(self) -> None:
        lot = self.filters.step_size / self.base.minor
        notional = self.filters.tick_size * self.filters.step_size / self.quote.minor
        if lot != lot.to_integral_value() or lot < 1:
            raise MarketError(f"{self.name}: step size {self.filters.step_size} is not whole base minor units")
        if notional != notional.to_integral_value() or notional < 1:
            raise MarketError(f"{self.name}: tick*step is not a whole number of quote minor units")
        object.__setattr__(self, "base_minor_per_lot", int(lot))
        object.__setattr__(self, "quote_minor_per_notional", int(notional))

    # -- decimal -> engine integers (raise MarketError off the grid) ----------------------
    def price_to_ticks(self, price: Decimal) -> int:
        return _on_grid(price, self.filters.tick_size, "price", "tick size")

    def qty_to_lots(self, qty: Decimal) -> int:
        return _on_grid(qty, self.filters.step_size, "quantity", "step size")

    def quote_to_notional_units(self, quote: Decimal) -> int:
        """quoteOrderQty: whole notional units that fit in `quote` (rounded down, as Binance)."""
        return int(quote / (self.filters.tick_size * self.filters.step_size))

    # -- engine integers -> decimals ------------------------------------------------------
    def ticks_to_price(self, ticks: int) -> Decimal:
        return ticks * self.filters.tick_size

    def lots_to_qty(self, lots: int) -> Decimal:
        return lots * self.filters.step_size

    # -- engine integers -> balance minor units ---------------------------------------------
    def lots_to_base_minor(self, lots: int) -> int:
        return lots * self.base_minor_per_lot

    def notional_to_quote_minor(self, ticks: int, lots: int) -> int:
        return ticks * lots * self.quote_minor_per_notional


DECIMAL_RANGE = r"^([0-9]{1,20})(\.[0-9]{1,20})?$"  # Binance's legal range for decimals
_DECIMAL = re.compile(DECIMAL_RANGE)


def is_decimal(text: str) -> bool:
    """Whether `text` is a decimal in Binance's grammar (DECIMAL_RANGE)."""
    return _DECIMAL.fullmatch(text) is not None


def parse_decimal(text: str, what: str) -> Decimal:
    """Parse a trader-supplied decimal string in Binance's grammar (DECIMAL_RANGE): ASCII
    digits and one point only. Decimal() alone also takes signs, exponents, NaN, padding
    spaces, underscores ("1_000") and other scripts' digits."""
    if not is_decimal(text):
        raise MarketError(f"{what} is not a plain decimal number: {text!r}")
    return Decimal(text)


def _on_grid(value: Decimal, step: Decimal, what: str, step_name: str) -> int:
    units = value / step
    if units != units.to_integral_value():
        raise MarketError(f"{what} {value} is not a multiple of the {step_name} {step}")
    return int(units)
