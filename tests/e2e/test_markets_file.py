"""An operator's own markets file (SPOTEX_MARKETS_FILE, docs/markets.md) through `make run`'s
launcher: every process lists its pairs, a new pair trades, a halted one is shown and not
quoted, and a file that cannot be listed stops the launcher at once with its reason."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest

from exchange.v1 import common_pb2, order_pb2, order_pb2_grpc
from services.common.adapters.embedded.ledger import SqliteLedger
from services.common.caller import caller_metadata
from services.common.catalog import DEMO_CATALOG, catalog_units
from tests.e2e.platform import REPO
from tests.e2e.test_launcher import Launcher, _trade_count
from tests.unit.common.test_catalog import docs_example_text

HALTED_PAIR = """
[[symbols]]
base = "SOL"
quote = "BTC"
tick_size = "0.000001"
step_size = "0.01"
min_notional = "0.0001"
shard = 6
status = "HALT"
demo_price = "0.0019"
"""


def test_make_run_lists_trades_and_halts_the_pairs_of_a_markets_file(tmp_path: Path) -> None:
    markets = tmp_path / "markets.toml"
    markets.write_text(docs_example_text() + HALTED_PAIR)
    launcher = Launcher(tmp_path / "data", settings={"SPOTEX_MARKETS_FILE": str(markets)})
    try:
        launcher.wait_edge()
        info = launcher.get("/api/v3/exchangeInfo")
        assert isinstance(info, dict)
        listed = {s["symbol"]: s for s in info["symbols"]}
        assert set(listed) == {"BTCUSDT", "ETHUSDT", "ETHBTC", "SOLUSDT", "BNBUSDT", "DOGEUSDT", "SOLBTC"}
        doge = {f["filterType"]: f for f in listed["DOGEUSDT"]["filters"]}
        assert (doge["PRICE_FILTER"]["tickSize"], doge["LOT_SIZE"]["stepSize"]) == ("0.00001000", "1.00000000")
        assert listed["SOLBTC"]["status"] == "HALT"
        deadline = time.monotonic() + 90
        while _trade_count(launcher, "DOGEUSDT") == 0:  # the demo quotes the new pair and takes from it
            assert time.monotonic() < deadline, "no demo trade on DOGEUSDT in 90 s"
            time.sleep(0.5)
        assert _trade_count(launcher, "SOLBTC") == 0  # halted: quoted by no one
        with grpc.insecure_channel(f"127.0.0.1:{launcher.ports['order']}") as channel:
            request = order_pb2.PlaceOrderRequest(
                symbol="SOLBTC", side=common_pb2.SELL, type=common_pb2.LIMIT, time_in_force=common_pb2.GTC,
                quantity="1.00", price="0.001900",
            )
            with pytest.raises(grpc.RpcError) as refused:  # and refused, whoever asks
                order_pb2_grpc.OrderServiceStub(channel).PlaceOrder(request, metadata=caller_metadata(1), timeout=10)
        assert refused.value.code() is grpc.StatusCode.FAILED_PRECONDITION
        assert "Market is closed." in str(refused.value.details())
    finally:
        code, left = launcher.ctrl_c()
    assert (code, left) == (0, [])


def test_a_markets_file_that_cannot_be_listed_stops_make_run_with_its_reason(tmp_path: Path) -> None:
    markets = tmp_path / "markets.toml"
    markets.write_text(
        '[assets]\nBTC = 8\nUSDT = 8\n[[symbols]]\nbase = "BTC"\nquote = "USDT"\ntick_size = "0.0001"\n'
        'step_size = "0.00001"\nmin_notional = "5"\nshard = 0\n'
    )
    launcher = Launcher(tmp_path / "data", settings={"SPOTEX_MARKETS_FILE": str(markets)})
    try:
        code = launcher.process.wait(timeout=30)
    finally:
        launcher.kill()
    said = Path(launcher.log.name).read_text()
    assert code != 0 and launcher.children() == []
    assert f"spotex: {markets}: symbols entry 1: BTCUSDT: tick*step is not a whole number" in said


def test_a_markets_file_that_changes_a_stored_unit_stops_make_run_and_each_service(tmp_path: Path) -> None:
    """Stored orders count ticks and steps, balances an asset's smallest unit: a tick of 0.01
    read as 0.1 would re-price every resting order (with the old price's funds locked)."""
    data = tmp_path / "data"
    data.mkdir()
    ledger = SqliteLedger(data / "ledger.sqlite")  # what a run of the demo catalog left there

    async def listed_before() -> None:
        assert await ledger.pin_units(catalog_units(DEMO_CATALOG)) == {}
        await ledger.close()

    asyncio.run(listed_before())
    markets = tmp_path / "markets.toml"
    markets.write_text(
        '[assets]\nBTC = 8\nUSDT = 8\n[[symbols]]\nbase = "BTC"\nquote = "USDT"\ntick_size = "0.1"\n'
        'step_size = "0.00001"\nmin_notional = "5"\nshard = 0\n'
    )
    reason = "BTCUSDT tick_size is 0.1 here but 0.01 in the stored balances and orders"
    launcher = Launcher(data, settings={"SPOTEX_MARKETS_FILE": str(markets)})
    try:
        code = launcher.process.wait(timeout=30)
    finally:
        launcher.kill()
    assert code != 0 and launcher.children() == []
    assert reason in Path(launcher.log.name).read_text()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPOTEX_")}
    env.update(SPOTEX_DATA_DIR=str(data), SPOTEX_MARKETS_FILE=str(markets), SPOTEX_METRICS="0", PYTHONPATH=str(REPO))
    for service in ("order", "tradeproc", "user"):  # alone, as on Kubernetes
        alone = subprocess.run([sys.executable, "-m", f"services.{service}"], env=env, cwd=REPO,
                               capture_output=True, text=True, timeout=60)
        assert alone.returncode != 0 and f"{service}: " in alone.stderr and reason in alone.stderr, alone.stderr[-2000:]
