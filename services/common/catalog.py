"""The assets and symbols a fresh exchange lists, with filters close to Binance's own."""

from __future__ import annotations

from decimal import Decimal as D

from services.common.markets import Asset, Filters, Symbol

ASSETS: dict[str, Asset] = {
    name: Asset(name, 8) for name in ("BTC", "ETH", "SOL", "BNB", "USDT")
}


def _symbol(base: str, quote: str, tick: str, step: str, min_notional: str, shard: int) -> Symbol:
    filters = Filters(
        tick_size=D(tick),
        min_price=D(tick),
        max_price=D("1000000"),
        step_size=D(step),
        min_qty=D(step),
        max_qty=D("9000"),
        min_notional=D(min_notional),
        max_notional=D("9000000"),
    )
    return Symbol(f"{base}{quote}", ASSETS[base], ASSETS[quote], filters, shard=shard)


DEMO_SYMBOLS: tuple[Symbol, ...] = (
    _symbol("BTC", "USDT", "0.01", "0.00001", "5", 0),
    _symbol("ETH", "USDT", "0.01", "0.0001", "5", 1),
    _symbol("ETH", "BTC", "0.00001", "0.001", "0.0001", 2),
    _symbol("SOL", "USDT", "0.01", "0.001", "5", 3),
    _symbol("BNB", "USDT", "0.01", "0.001", "5", 4),
)

# Where the demo market maker quotes around at start (USDT or BTC per base unit).
DEMO_REFERENCE_PRICES: dict[str, D] = {
    "BTCUSDT": D("95000"),
    "ETHUSDT": D("3400"),
    "ETHBTC": D("0.0358"),
    "SOLUSDT": D("180"),
    "BNBUSDT": D("640"),
}
