"""Every benchmark's workload and final-state assertions, run once at a tiny size.

The benchmarks (benchmarks/, `make bench`) only prove something if their assertions hold; this
runs the same code paths on a few thousand commands so CI exercises them. Nothing is timed.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import pytest

from benchmarks import engines, expected
from benchmarks.grpc_echo import measure
from benchmarks.harness import ENGINE_NAMES, Case, replay_and_check
from engine_ext.workload import WORKLOADS, book_calls, generate

SMOKE_SIZES: dict[str, dict[str, Any]] = {
    "test_a_mixed": {"n": 5_000},
    "test_b_insert_only": {"n": 5_000},
    "test_c_cancel_heavy": {"n": 5_000},
    "test_d_market_sweep": {"n": 100},
    "test_e_deep_book": {"n": 2_000, "resting": 5_000},
}


def _case(module_name: str) -> Case:
    module = importlib.import_module(f"benchmarks.{module_name}")
    sizes = dict(SMOKE_SIZES[module_name])
    return Case.load(module.WORKLOAD, sizes.pop("n"), **sizes)


@pytest.fixture(scope="module", params=list(SMOKE_SIZES))
def case(request: pytest.FixtureRequest) -> Case:
    return _case(request.param)


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_engine_ends_with_the_reference_book(case: Case, engine: str) -> None:
    replay_and_check(case, engine)


def test_generated_cancels_target_live_orders(case: Case) -> None:
    assert case.expected.n_rejected == 0


def test_generator_is_deterministic_for_a_seed() -> None:
    for name in WORKLOADS:
        first, again, other = generate(name, 300), generate(name, 300), generate(name, 300, seed=2)
        assert first.commands.tobytes() == again.commands.tobytes()
        assert first.setup.tobytes() == again.setup.tobytes()
        assert first.commands.tobytes() != other.commands.tobytes()


def test_mixed_workload_has_the_asked_for_mix() -> None:
    commands = generate("mixed", 20_000).commands
    calls = book_calls(commands)
    share = np.bincount(commands["op"], minlength=2) / len(commands)
    takers = (commands["order_type"] == 1) | (commands["tif"] == 1)
    assert 0.27 < share[1] < 0.33
    assert 0.08 < takers.mean() < 0.12
    assert len(calls) == len(commands)


def test_deep_book_build_case_checks_every_engine() -> None:
    deep_module = importlib.import_module("benchmarks.test_e_deep_book")
    build = deep_module.build_case(3_000)
    assert len(build.expected.resting) == 3_000
    for engine in deep_module.MEMORY_ENGINES:
        replay_and_check(build, engine)


def test_a_wrong_book_fails_the_check() -> None:
    case = _case("test_a_mixed")
    wrong = engines.PyBookReplay()
    setup, commands = case.prepared(wrong)
    book = wrong.new_book(case.workload, setup)
    wrong.run(book, commands[:-10])
    with pytest.raises(AssertionError):
        wrong.check(book, None, case.workload, case.expected)
    assert expected.CACHE_DIR.name == "expected"


async def test_the_grpc_echo_yardstick_answers_every_shape() -> None:
    figures = await measure(seconds=0.2)
    assert set(figures) == {"unary, 1 in flight", "unary, 64 in flight", "one stream, 32 in flight"}
    for shape, figure in figures.items():
        assert figure["calls_per_s"] > 0 and 0 < figure["p50_ms"] <= figure["p99_ms"], shape
