"""The fee rule: parts per million of what a trader receives, rounded down."""

from __future__ import annotations

from engine_ext.codes import Side
from services.common.markets import Symbol
from services.tradeproc.fees import FeeSchedule, fill_commission, trade_fee


def test_a_fee_is_parts_per_million_of_what_is_received() -> None:
    assert trade_fee(1_000_000, 1_000) == 1_000


def test_a_fee_is_rounded_down() -> None:
    assert trade_fee(1_999, 1_000) == 1
    assert trade_fee(999, 1_000) == 0


def test_makers_and_takers_pay_their_own_rate() -> None:
    fees = FeeSchedule(maker_ppm=1, taker_ppm=2)
    assert (fees.rate(is_maker=True), fees.rate(is_maker=False)) == (1, 2)


def test_a_buyer_pays_commission_in_base_and_a_seller_in_quote(btcusdt: Symbol) -> None:
    fees = FeeSchedule(maker_ppm=1_000, taker_ppm=2_000)
    # 100 lots = 100,000 sat; at 9,500,000 ticks = 9,500,000,000 minor units of USDT
    assert fill_commission(btcusdt, Side.BUY, 9_500_000, 100, is_maker=False, fees=fees) == (200, "BTC")
    assert fill_commission(btcusdt, Side.SELL, 9_500_000, 100, is_maker=True, fees=fees) == (9_500_000, "USDT")
