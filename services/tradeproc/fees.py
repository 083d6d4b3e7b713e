"""Trading fees: one rule, used by settlement and by the order service's `fills`.

A fee is parts per million of what the trader receives (the buyer pays in base, the seller
in quote), rounded down: the trader never pays more than the rate, and the exact amount
taken is what the fee account receives, so every asset is conserved.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from engine_ext.codes import Side
from services.common.markets import Symbol

PPM = 1_000_000


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """Maker and taker rates in parts per million (Config.maker_fee_ppm / taker_fee_ppm)."""

    maker_ppm: int
    taker_ppm: int

    def rate(self, is_maker: bool) -> int:
        return self.maker_ppm if is_maker else self.taker_ppm

    def rates_text(self) -> dict[str, str]:
        """Binance's maker/taker commission strings (account, account/commission, order/test)."""
        return {"maker": rate_text(self.maker_ppm), "taker": rate_text(self.taker_ppm)}


def rate_text(ppm: int) -> str:
    """A rate in parts per million as Binance's fraction string (1000 -> "0.00100000")."""
    return f"{Decimal(ppm).scaleb(-6):.8f}"


def trade_fee(received: int, ppm: int) -> int:
    """The fee on `received` minor units at `ppm`, rounded down."""
    return received * ppm // PPM


def fill_commission(
    symbol: Symbol, side: Side, price: int, qty: int, *, is_maker: bool, fees: FeeSchedule
) -> tuple[int, str]:
    """(commission in minor units, its asset) of one fill of `qty` lots at `price` ticks for
    the order on `side`: a buyer pays in base, a seller in quote."""
    if side == Side.BUY:
        return trade_fee(symbol.lots_to_base_minor(qty), fees.rate(is_maker)), symbol.base.name
    return trade_fee(symbol.notional_to_quote_minor(price, qty), fees.rate(is_maker)), symbol.quote.name
