"""Symbols for order-entry specifications: BTCUSDT as the demo exchange lists it."""

from __future__ import annotations

import pytest

from services.common.catalog import DEMO_SYMBOLS
from services.common.markets import Symbol


@pytest.fixture
def btcusdt() -> Symbol:
    # tick 0.01 USDT, step 0.00001 BTC, minNotional 5 USDT, maxPrice 1000000, maxQty 9000;
    # one lot = 1000 satoshi, one notional unit (tick * lot) = 10 minor units of USDT.
    return DEMO_SYMBOLS[0]


@pytest.fixture
def symbols() -> dict[str, Symbol]:
    return {symbol.name: symbol for symbol in DEMO_SYMBOLS}
