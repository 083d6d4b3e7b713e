"""`tradectl symbols check --file F`: a markets file checked before any service reads it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.tradectl.cli import main
from tests.unit.common.test_catalog import docs_example_text


def test_a_listable_file_prints_its_pairs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    markets = tmp_path / "markets.toml"
    markets.write_text(docs_example_text())
    main(["symbols", "check", "--file", str(markets)])
    listed = {pair["symbol"]: pair for pair in json.loads(capsys.readouterr().out)}
    assert len(listed) == 6 and listed["DOGEUSDT"] == {
        "symbol": "DOGEUSDT", "status": "TRADING", "base": "DOGE", "quote": "USDT", "shard": 5,
        "tickSize": "0.00001", "stepSize": "1", "minNotional": "1", "demoPrice": "0.35",
    }  # fmt: skip


def test_a_file_that_cannot_be_listed_exits_1_with_its_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    markets = tmp_path / "markets.toml"
    markets.write_text('[assets]\nBTC = 8\n[[symbols]]\nbase = "BTC"\nquote = "EUR"\n')
    with pytest.raises(SystemExit) as exited:
        main(["symbols", "check", "--file", str(markets)])
    assert exited.value.code == 1
    assert capsys.readouterr().err.startswith(f"{markets}: symbols entry 1: missing")
