"""(e) A deep book: 1,000,000 resting orders over thousands of levels.

`test_e_deep_book_build` times building it (1,000,000 inserts) and then measures bytes per resting
order in a fresh process (benchmarks/memory.py); `test_e_deep_book` times 50,000 mixed commands
(as (a)) on top of it. The build runs first: the reference's book after it is cached and restored
as the start of the second (benchmarks/expected.py).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from benchmarks import expected, memory
from benchmarks.harness import ENGINE_NAMES, RESULTS, Case, replay_and_check, scaled
from engine_ext.workload import generate

WORKLOAD = "deep_book"
SIZE = 50_000
RESTING = 1_000_000
MEMORY_TARGET = 200  # bytes per resting order, compiled book
MEMORY_ENGINES = ENGINE_NAMES


@pytest.fixture(scope="module")
def case() -> Case:
    return Case.load(WORKLOAD, scaled(SIZE), resting=scaled(RESTING))


def build_case(resting: int) -> Case:
    """The deep book's setup replayed as the timed commands, on an empty book."""
    deep = generate(WORKLOAD, 0, resting=resting)
    workload = dataclasses.replace(deep, name="deep_book_build", setup=deep.commands, commands=deep.setup)
    return Case(workload, expected.load(workload))


@pytest.fixture(scope="module")
def build() -> Case:
    return build_case(scaled(RESTING))


def measure_memory(engine: str, resting: int) -> dict[str, Any]:
    """Bytes per resting order: RSS growth, plus memory_bytes() or tracemalloc where there is one."""
    probe = memory.measure(engine, resting)
    if engine == "pybook":
        probe["traced_bytes"] = memory.measure(engine, resting, traced=True)["traced_bytes"]
    out: dict[str, Any] = {"rss_per_order": probe["rss_bytes"] / resting}
    if "memory_bytes" in probe:
        out["bytes_per_order"] = probe["memory_bytes"] / resting
    elif "traced_bytes" in probe:
        out["bytes_per_order"] = probe["traced_bytes"] / resting
    # A memory_bytes() that under-counts wildly would be a wrong engine passing: it must at least
    # cover the snapshot record of each order (56 bytes), and agree with RSS within 2x.
    if engine.startswith("spotex") and "bytes_per_order" in out:
        assert out["bytes_per_order"] >= 56, out
        assert out["rss_per_order"] <= 2 * out["bytes_per_order"] + 64, out
    return out


@pytest.mark.parametrize("engine", MEMORY_ENGINES)
def test_e_deep_book_build(benchmark: Any, build: Case, engine: str) -> None:
    book = replay_and_check(build, engine, benchmark, rounds=1)
    del book
    figures = measure_memory(engine, len(build.workload.commands))
    benchmark.extra_info.update(figures)
    RESULTS[-1].update(figures)


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_e_deep_book(benchmark: Any, case: Case, engine: str) -> None:
    replay_and_check(case, engine, benchmark)
