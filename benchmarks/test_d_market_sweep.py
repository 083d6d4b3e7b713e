"""(d) 10,000 MARKET orders, each sweeping ~10 price levels of 4 orders (about 40 fills each)."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.harness import ENGINE_NAMES, Case, replay_and_check, scaled

WORKLOAD = "market_sweep"
SIZE = 10_000


@pytest.fixture(scope="module")
def case() -> Case:
    return Case.load(WORKLOAD, scaled(SIZE))


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_d_market_sweep(benchmark: Any, case: Case, engine: str) -> None:
    replay_and_check(case, engine, benchmark)
