"""An operator's own markets file (SPOTEX_MARKETS_FILE, docs/markets.md) through `make run`'s
launcher: every process lists its pairs, a new pair trades, a halted one is shown and not
quoted, and a file that cannot be listed stops the launcher at once with its reason."""

from __future__ import annotations

import time
from pathlib import Path

import grpc
import pytest

from exchange.v1 import common_pb2, order_pb2, order_pb2_grpc
from services.common.caller import caller_metadata
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
