from __future__ import annotations

from decimal import Decimal

from services.common.markets import Asset, Filters, Symbol
from services.marketdata.formatting import SymbolFormat
from tests.unit.marketdata.market_feed import BTCUSDT

BTC = SymbolFormat(BTCUSDT)


def _symbol(tick: str, step: str, base_precision: int = 8, quote_precision: int = 8) -> Symbol:
    d = Decimal
    filters = Filters(d(tick), d(tick), d("1000000"), d(step), d(step), d("9000"), d("1"), d("9000000"))
    return Symbol("XY", Asset("X", base_precision), Asset("Y", quote_precision), filters)


def test_prices_and_quantities_have_binances_eight_decimals() -> None:
    assert BTC.price(9_500_001) == "95000.01000000"
    assert BTC.qty(123) == "0.00123000"
    assert BTC.quote(9_500_001 * 123) == "116.85001230"  # 95000.01 * 0.00123, exactly


def test_a_grid_finer_than_eight_decimals_keeps_every_digit() -> None:
    fine = SymbolFormat(_symbol("0.0000000001", "0.000000001", base_precision=9, quote_precision=19))
    assert fine.price(1) == "0.0000000001"
    assert fine.qty(3) == "0.000000003"
    assert fine.quote(1) == "0.0000000000000000001"


def test_huge_notionals_are_printed_exactly() -> None:
    notional = (2**62) * (2**62)
    digits = str(notional)  # one notional unit is 0.0000001 USDT: move the point by 7
    assert BTC.quote(notional) == f"{digits[:-7]}.{digits[-7:]}0"


def test_averages_and_percentages_round_half_even_at_their_last_digit() -> None:
    assert BTC.average_price(notional=2, lots=3) == "0.00666667"  # 0.00666666.. ticks of 0.01
    assert BTC.average_price(notional=0, lots=0) == "0.00000000"
    assert BTC.percent_change(3, 2) == "-33.333"
    assert BTC.percent_change(8, 9) == "12.500"
    assert BTC.percent_change(0, 5) == "0.000"


def test_a_negative_change_is_signed() -> None:
    assert BTC.price(-150) == "-1.50000000"
