"""A symbol, fee rates and a miniature exchange for settlement specifications."""

from __future__ import annotations

import pytest

from engine_ext.reference import OrderBook
from services.common.catalog import DEMO_SYMBOLS
from services.common.markets import Symbol
from services.tradeproc.fees import FeeSchedule
from tests.unit.tradeproc.simulated_exchange import SimulatedExchange

USDT = 100_000_000  # minor units per USDT
BTC = 100_000_000  # satoshi per BTC


@pytest.fixture
def btcusdt() -> Symbol:
    # one lot = 0.00001 BTC = 1,000 sat; one tick = 0.01 USDT; tick * lot = 10 minor units of USDT
    return DEMO_SYMBOLS[0]


@pytest.fixture
def fees() -> FeeSchedule:
    return FeeSchedule(maker_ppm=1_000, taker_ppm=2_000)  # 0.1 % and 0.2 %


@pytest.fixture
def exchange(btcusdt: Symbol, fees: FeeSchedule) -> SimulatedExchange:
    """Users 1 and 2 with 1,000,000 USDT and 10 BTC each; user 0 is the fee account."""
    sim = SimulatedExchange(btcusdt, OrderBook, fees)
    for user in (1, 2):
        sim.deposit(user, "USDT", 1_000_000 * USDT)
        sim.deposit(user, "BTC", 10 * BTC)
    return sim
