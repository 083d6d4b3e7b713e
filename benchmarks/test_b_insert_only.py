"""(b) 1,000,000 non-crossing GTC limits: every one rests."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.harness import ENGINE_NAMES, Case, replay_and_check, scaled

WORKLOAD = "insert_only"
SIZE = 1_000_000


@pytest.fixture(scope="module")
def case() -> Case:
    return Case.load(WORKLOAD, scaled(SIZE))


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_b_insert_only(benchmark: Any, case: Case, engine: str) -> None:
    replay_and_check(case, engine, benchmark)
