"""(a) 1,000,000 mixed commands on one symbol: ~60% limits around a random-walk mid (some
crossing), ~30% cancels of live orders, ~10% MARKET or IOC takers."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.harness import ENGINE_NAMES, Case, replay_and_check, scaled

WORKLOAD = "mixed"
SIZE = 1_000_000


@pytest.fixture(scope="module")
def case() -> Case:
    return Case.load(WORKLOAD, scaled(SIZE))


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_a_mixed(benchmark: Any, case: Case, engine: str) -> None:
    replay_and_check(case, engine, benchmark)
