"""(c) On a book of 500,000 resting orders: 1,000,000 commands, ~70% cancels of random live orders, ~30% new limits."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.harness import ENGINE_NAMES, Case, replay_and_check, scaled

WORKLOAD = "cancel_heavy"
SIZE = 1_000_000


@pytest.fixture(scope="module")
def case() -> Case:
    return Case.load(WORKLOAD, scaled(SIZE))


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_c_cancel_heavy(benchmark: Any, case: Case, engine: str) -> None:
    replay_and_check(case, engine, benchmark)
