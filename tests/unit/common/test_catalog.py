"""The markets file (SPOTEX_MARKETS_FILE): what it lists, and every way it is refused."""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from services.common.catalog import DEMO_CATALOG, CatalogError, load_catalog, parse_catalog
from services.common.config import Config
from services.common.symbol_info import symbol_info

DOCS = Path(__file__).resolve().parents[3] / "docs" / "markets.md"


def docs_example_text() -> str:
    """The markets file docs/markets.md shows."""
    (example,) = re.findall(r"```toml\n(.*?)```", DOCS.read_text(), re.S)
    return str(example)


def docs_example() -> dict[str, Any]:
    return tomllib.loads(docs_example_text())


def test_the_documented_example_is_the_demo_catalog_plus_one_pair() -> None:
    catalog = parse_catalog(docs_example(), partitions=8)
    assert catalog.symbols[:5] == DEMO_CATALOG.symbols
    assert dict(catalog.reference_prices) == {**DEMO_CATALOG.reference_prices, "DOGEUSDT": Decimal("0.35")}
    doge = catalog.by_name["DOGEUSDT"]
    assert (doge.base.name, doge.quote.name, doge.shard, doge.status) == ("DOGE", "USDT", 5, "TRADING")
    assert (doge.filters.tick_size, doge.filters.step_size, doge.filters.max_qty) == (
        Decimal("0.00001"), Decimal("1"), Decimal("10000000"),
    )  # fmt: skip
    assert (doge.base_minor_per_lot, doge.quote_minor_per_notional) == (10**8, 1000)


def test_no_file_is_the_demo_catalog_and_a_relative_path_is_taken_from_the_start_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_catalog(Config.from_env({"SPOTEX_DATA_DIR": str(tmp_path)})) is DEMO_CATALOG
    (tmp_path / "m.toml").write_text(
        '[assets]\nAAA = 2\nBBB = 4\n[[symbols]]\nbase = "AAA"\nquote = "BBB"\ntick_size = "0.01"\n'
        'step_size = "0.01"\nmin_notional = "1"\nshard = 7\nstatus = "HALT"\n'
    )
    monkeypatch.chdir(tmp_path)
    config = Config.from_env({"SPOTEX_DATA_DIR": str(tmp_path), "SPOTEX_MARKETS_FILE": "m.toml"})
    assert config.markets_file == str(tmp_path / "m.toml")
    (pair,) = load_catalog(config).symbols
    assert (pair.name, pair.status, pair.shard, pair.filters.min_price) == ("AAABBB", "HALT", 7, Decimal("0.01"))
    assert load_catalog(config).reference_prices == {}


def _one_pair(**changes: Any) -> dict[str, Any]:
    pair = {
        "base": "BTC", "quote": "USDT", "tick_size": "0.01", "step_size": "0.00001", "min_notional": "5", "shard": 0,
    }  # fmt: skip
    pair.update(changes)
    return {"assets": {"BTC": 8, "USDT": 8}, "symbols": [{k: v for k, v in pair.items() if v is not None}]}


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ({"symbols": []}, "an [assets] table"),
        ({"assets": {"btc": 8}, "symbols": []}, "upper-case"),
        ({"assets": {"BTC": 19}, "symbols": []}, "decimals must be an integer from 0 to 18"),
        ({"assets": {"BTC": 8}}, "at least one [[symbols]]"),
        (_one_pair(quote="EUR"), "two different assets"),
        (_one_pair(quote="BTC"), "two different assets"),
        (_one_pair(tick_size=None), "missing ['tick_size']"),
        (_one_pair(tick="0.01"), "unknown keys ['tick']"),
        (_one_pair(tick_size=0.01), "decimal string"),
        (_one_pair(tick_size="1e-2"), "decimal string"),
        (_one_pair(min_notional="0"), "above zero"),
        (_one_pair(step_size="0.000000001"), "not whole base minor units"),
        (_one_pair(tick_size="0.0001"), "tick*step is not a whole number"),
        (_one_pair(shard=8), "shard must be an integer from 0 to 7"),
        (_one_pair(shard=True), "shard must be an integer"),
        (_one_pair(status="OPEN"), "status must be one of"),
        (_one_pair(max_num_orders=0), "positive integer"),
        ({**_one_pair(), "symbols": _one_pair()["symbols"] * 2}, "BTCUSDT is listed twice"),
        ({**_one_pair(), "symbol": []}, "unknown tables ['symbol']"),
        (_one_pair(base=["BTC"]), "two different assets"),
        (_one_pair(min_qty="10000"), "BTCUSDT: min_qty is above max_qty"),
        (_one_pair(max_price="0.005"), "BTCUSDT: min_price is above max_price"),
        (_one_pair(min_notional="10000000"), "BTCUSDT: min_notional is above max_notional"),
        (_one_pair(min_price="0.015"), "multiples of tick_size and step_size"),
        (_one_pair(tick_size="0.05"), "tick_size must be a power of ten"),
        (_one_pair(step_size="0.00002"), "step_size must be a power of ten"),
        (_one_pair(bid_multiplier_down="6"), "bid_multiplier_down is above bid_multiplier_up"),
        (_one_pair(ask_multiplier_up="0.1"), "ask_multiplier_down is above ask_multiplier_up"),
        ({"assets": {"PEPE": 18, "USDT": 8}, "symbols": [{
            "base": "PEPE", "quote": "USDT", "tick_size": "0.0000000001", "step_size": "100", "min_notional": "1",
            "shard": 0}]}, "more than an account can hold"),
    ],
)
def test_a_file_that_cannot_be_listed_is_refused_with_its_reason(document: dict[str, Any], reason: str) -> None:
    with pytest.raises(CatalogError) as refused:
        parse_catalog(document, partitions=8, source="m.toml")
    assert reason in str(refused.value) and str(refused.value).startswith("m.toml: ")


def test_an_unreadable_file_is_refused_with_its_reason(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[assets\n")
    for path in (bad, tmp_path / "missing.toml"):
        config = Config.from_env({"SPOTEX_DATA_DIR": str(tmp_path), "SPOTEX_MARKETS_FILE": str(path)})
        with pytest.raises(CatalogError, match=re.escape(str(path))):
            load_catalog(config)


def test_a_pair_finer_than_8_decimals_shows_its_grid_unrounded() -> None:
    """exchangeInfo prints Binance's 8 decimals, or more where the grid needs them (a tick of
    1e-10 printed as 0.00000000 made ccxt refuse the market)."""
    catalog = parse_catalog({"assets": {"PEPE": 18, "USDT": 18}, "symbols": [{
        "base": "PEPE", "quote": "USDT", "tick_size": "0.0000000001", "step_size": "1", "min_notional": "1",
        "shard": 0}]}, partitions=8)  # fmt: skip
    price = symbol_info(catalog.symbols[0]).filters.price_filter
    assert (price.tick_size, price.min_price, price.max_price) == ("0.0000000001", "0.0000000001", "1000000.00000000")
