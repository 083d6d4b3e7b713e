"""What the exchange lists: its assets and trading pairs (symbols) with their filters.

By default the demo catalog below (five pairs, filters close to Binance's own). An operator
lists their own in a TOML file named by SPOTEX_MARKETS_FILE (docs/markets.md); every process
reads the same file at start, so all of them agree on the pairs, their filters and shards.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal as D
from pathlib import Path
from typing import Any

from services.common.config import Config
from services.common.markets import Asset, Filters, MarketError, Symbol, is_decimal
from services.common.ports import LARGEST_SUPPLY, Ledger
from services.common.symbol_info import scale_of

ASSETS: dict[str, Asset] = {
    name: Asset(name, 8) for name in ("BTC", "ETH", "SOL", "BNB", "USDT")
}


def default_filters(tick_size: D, step_size: D, min_notional: D) -> dict[str, Any]:
    """A pair's filters where its listing names only these three (the demo catalog's, and a
    markets file's defaults): any price, quantity and notional up to generous bounds."""
    return {
        "tick_size": tick_size, "min_price": tick_size, "max_price": D("1000000"),
        "step_size": step_size, "min_qty": step_size, "max_qty": D("9000"),
        "min_notional": min_notional, "max_notional": D("9000000"),
    }  # fmt: skip


def _symbol(base: str, quote: str, tick: str, step: str, min_notional: str, shard: int) -> Symbol:
    filters = Filters(**default_filters(D(tick), D(step), D(min_notional)))
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


@dataclass(frozen=True)
class Catalog:
    assets: Mapping[str, Asset]
    symbols: tuple[Symbol, ...]
    # where `make run`'s demo market maker quotes each pair (pairs without one are not quoted)
    reference_prices: Mapping[str, D]

    @property
    def by_name(self) -> dict[str, Symbol]:
        return {symbol.name: symbol for symbol in self.symbols}


DEMO_CATALOG = Catalog(ASSETS, DEMO_SYMBOLS, DEMO_REFERENCE_PRICES)


class CatalogError(ValueError):
    """A markets file that cannot be listed as it is; the message says where and why."""


def load_catalog(config: Config) -> Catalog:
    """The markets file's catalog if SPOTEX_MARKETS_FILE names one, else the demo catalog.
    Read once per process: its start-up check, its services (all of them in --mode single) and
    their adapters share one catalog, even if the file changes while they start."""
    if not config.markets_file:
        return DEMO_CATALOG
    return _read_catalog(config.markets_file, config.kafka_partitions)


@functools.cache
def _read_catalog(markets_file: str, partitions: int) -> Catalog:  # a refusal is not cached
    path = Path(markets_file)
    try:
        document = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogError(f"{path}: {exc}") from None
    return parse_catalog(document, partitions, source=str(path))


_FILTER_FIELDS = {f.name: f.type for f in fields(Filters)}
_STATUSES = ("TRADING", "HALT", "BREAK")


def parse_catalog(document: Mapping[str, Any], partitions: int, source: str = "markets file") -> Catalog:
    """`[assets]` NAME = decimals; `[[symbols]]` with base, quote, tick_size, step_size,
    min_notional, shard and, optionally, any other Filters field, status and demo_price."""
    unknown = sorted(set(document) - {"assets", "symbols"})
    if unknown:
        raise CatalogError(f"{source}: unknown tables {unknown}: a markets file has [assets] and [[symbols]]")
    raw_assets = document.get("assets")
    if not isinstance(raw_assets, dict) or not raw_assets:
        raise CatalogError(f"{source}: an [assets] table naming each asset's decimals is required")
    assets: dict[str, Asset] = {}
    for name, decimals in raw_assets.items():
        if not (name.isascii() and name.isalnum() and name.isupper()):
            raise CatalogError(f"{source}: asset {name!r}: names are upper-case letters and digits")
        if not isinstance(decimals, int) or isinstance(decimals, bool) or not 0 <= decimals <= 18:
            raise CatalogError(f"{source}: asset {name}: decimals must be an integer from 0 to 18")
        assets[name] = Asset(name, decimals)
    entries = document.get("symbols")
    if not isinstance(entries, list) or not entries:
        raise CatalogError(f"{source}: at least one [[symbols]] entry is required")
    symbols: list[Symbol] = []
    prices: dict[str, D] = {}
    for number, entry in enumerate(entries, 1):
        where = f"{source}: symbols entry {number}"
        symbol, price = _symbol_entry(entry, assets, partitions, where)
        if any(listed.name == symbol.name for listed in symbols):
            raise CatalogError(f"{where}: {symbol.name} is listed twice")
        symbols.append(symbol)
        if price is not None:
            prices[symbol.name] = price
    return Catalog(assets, tuple(symbols), prices)


def _symbol_entry(
    entry: Any, assets: Mapping[str, Asset], partitions: int, where: str
) -> tuple[Symbol, D | None]:
    if not isinstance(entry, dict):
        raise CatalogError(f"{where}: not a table")
    known = {"base", "quote", "shard", "status", "demo_price", *_FILTER_FIELDS}
    unknown = sorted(set(entry) - known)
    if unknown:
        raise CatalogError(f"{where}: unknown keys {unknown}")
    missing = [key for key in ("base", "quote", "tick_size", "step_size", "min_notional", "shard") if key not in entry]
    if missing:
        raise CatalogError(f"{where}: missing {missing}")
    base, quote = (assets.get(entry[key]) if isinstance(entry[key], str) else None for key in ("base", "quote"))
    if base is None or quote is None or base == quote:
        raise CatalogError(f"{where}: base and quote must be two different assets of [assets]")
    shard = entry["shard"]
    if not isinstance(shard, int) or isinstance(shard, bool) or not 0 <= shard < partitions:
        raise CatalogError(f"{where}: shard must be an integer from 0 to {partitions - 1} (SPOTEX_KAFKA_PARTITIONS)")
    status = entry.get("status", "TRADING")
    if status not in _STATUSES:
        raise CatalogError(f"{where}: status must be one of {list(_STATUSES)}")
    values = default_filters(
        _decimal(entry, "tick_size", where), _decimal(entry, "step_size", where), _decimal(entry, "min_notional", where)
    )
    for name, kind in _FILTER_FIELDS.items():
        if name in entry:
            values[name] = _integer(entry, name, where) if kind in (int, "int") else _decimal(entry, name, where)
    filters = Filters(**values)
    _check_coherent(filters, base, quote, f"{where}: {base.name}{quote.name}")
    price = _decimal(entry, "demo_price", where) if "demo_price" in entry else None
    try:
        return Symbol(f"{base.name}{quote.name}", base, quote, filters, shard=shard, status=status), price
    except MarketError as exc:
        raise CatalogError(f"{where}: {exc}") from None


def _check_coherent(f: Filters, base: Asset, quote: Asset, where: str) -> None:
    """Filters a pair could trade under: tick and step sizes powers of ten (exchangeInfo's
    precisions come from them), lower bounds on the grid and below the upper ones, and the
    smallest order within what an account can hold."""
    for name in ("tick_size", "step_size"):
        try:
            scale_of(getattr(f, name))
        except ValueError:
            raise CatalogError(f'{where}: {name} must be a power of ten ("0.01", "1")') from None
    if f.min_price % f.tick_size or f.min_qty % f.step_size:
        raise CatalogError(f"{where}: min_price and min_qty must be multiples of tick_size and step_size")
    for low, high in (
        ("min_price", "max_price"), ("min_qty", "max_qty"), ("min_notional", "max_notional"),
        ("bid_multiplier_down", "bid_multiplier_up"), ("ask_multiplier_down", "ask_multiplier_up"),
    ):  # fmt: skip
        if getattr(f, low) > getattr(f, high):
            raise CatalogError(f"{where}: {low} is above {high}")
    # no balance exceeds its asset's LARGEST_SUPPLY (the ledger's cap on deposits)
    if f.min_qty / base.minor > LARGEST_SUPPLY or f.min_notional / quote.minor > LARGEST_SUPPLY:
        raise CatalogError(
            f"{where}: the smallest order is more than an account can hold (2**62 minor units): "
            "give the asset fewer decimals"
        )


def _decimal(entry: Mapping[str, Any], key: str, where: str) -> D:
    value = entry[key]
    if not isinstance(value, str) or not is_decimal(value):
        raise CatalogError(f'{where}: {key} must be a decimal string such as "0.01"')
    amount = D(value)
    if amount <= 0:
        raise CatalogError(f"{where}: {key} must be above zero")
    return amount


def _integer(entry: Mapping[str, Any], key: str, where: str) -> int:
    value = entry[key]
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise CatalogError(f"{where}: {key} must be a positive integer")
    return value


def catalog_units(catalog: Catalog) -> dict[str, str]:
    """The units the stores count amounts in, per asset and pair: a balance counts its asset's
    smallest unit, an order's price counts ticks and its quantity steps (services/common/markets.py)."""
    def text(unit: D) -> str:
        return format(unit.normalize(), "f")

    units = {f"asset {name}": text(asset.minor) for name, asset in catalog.assets.items()}
    for symbol in catalog.symbols:
        units[f"{symbol.name} tick_size"] = text(symbol.filters.tick_size)
        units[f"{symbol.name} step_size"] = text(symbol.filters.step_size)
    return units


async def pin_catalog_units(ledger: Ledger, catalog: Catalog) -> None:
    """Refuse a catalog that changes a unit the stores already count amounts in: an order at
    3000 ticks of 0.0001 (0.3) read with a tick of 0.001 would be 3.0, with 0.3's funds locked.
    Units seen for the first time are recorded; a pair or asset no longer listed is left alone."""
    given = catalog_units(catalog)
    differ = await ledger.pin_units(given)
    if differ:
        changes = "; ".join(f"{name} is {given[name]} here but {stored} in the stored balances and orders"
                            for name, stored in sorted(differ.items()))
        raise CatalogError(f"a unit changed under stored amounts ({changes}): keep the stored units, "
                           "or list the pair or asset under a new name, or start from an empty data directory")
