"""Runs one (workload, engine) benchmark: untimed preparation, timed replay, asserted result.

Sizes: each workload's default size (benchmarks/test_*.py) times SPOTEX_BENCH_SCALE (default 1).
Rounds: SPOTEX_BENCH_ROUNDS (default 3); every round replays on a fresh book.
"""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass, field
from typing import Any

import pytest

from benchmarks import expected as expected_mod
from benchmarks.engines import (
    Engine,
    PyBookReplay,
    SpotexBatch,
    SpotexBatchChunks,
    SpotexBatchInto,
    SpotexBatchSlicesInto,
    SpotexPerCall,
    Unsupported,
)
from benchmarks.expected import Expected
from benchmarks.peers import LimitOrderBookReplay, LiquibookReplay
from engine_ext.workload import Workload, generate

ENGINES: dict[str, type[Engine]] = {
    cls.name: cls
    for cls in (SpotexPerCall, SpotexBatch, SpotexBatchChunks, SpotexBatchInto, SpotexBatchSlicesInto,
                PyBookReplay, LiquibookReplay, LimitOrderBookReplay)
}
ENGINE_NAMES = list(ENGINES)
ROUNDS = int(os.environ.get("SPOTEX_BENCH_ROUNDS", "3"))
SCALE = float(os.environ.get("SPOTEX_BENCH_SCALE", "1"))

RESULTS: list[dict[str, Any]] = []
"""One row per finished benchmark of this session, for the terminal table (conftest.py)."""


def scaled(n: int) -> int:
    return max(1, int(n * SCALE))


@dataclass
class Case:
    """A workload, its expected final state, and each engine's prepared commands (lazily)."""

    workload: Workload
    expected: Expected
    _prepared: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, name: str, n: int, seed: int = 1, **options: Any) -> Case:
        workload = generate(name, n, seed, **options)
        return cls(workload, expected_mod.load(workload))

    def prepared(self, engine: Engine) -> tuple[Any, Any]:
        """(setup, commands) in the engine's call form; raises Unsupported."""
        if engine.name not in self._prepared:
            try:
                self._prepared[engine.name] = (engine.prepare(self.workload.setup),
                                               engine.prepare(self.workload.commands))
            except Unsupported as exc:
                self._prepared[engine.name] = exc
        value = self._prepared[engine.name]
        if isinstance(value, Unsupported):
            raise value
        return value  # type: ignore[no-any-return]


def replay_and_check(case: Case, engine_name: str, benchmark: Any = None, rounds: int = ROUNDS) -> Any:
    """Replay `case` on a fresh book per round (timed by `benchmark` when given), then assert the
    last round's final book against the reference's. Returns the checked book."""
    cls = ENGINES[engine_name]
    reason = cls.unavailable()
    if reason:
        pytest.skip(reason)
    engine = cls()
    try:
        setup, commands = case.prepared(engine)
    except Unsupported as exc:
        pytest.skip(f"{engine_name} cannot express this workload: {exc}")
    holder: dict[str, Any] = {}

    def fresh_book() -> tuple[tuple[Any, Any], dict[str, Any]]:
        holder.clear()
        gc.collect()
        holder["book"] = engine.new_book(case.workload, setup)
        return (holder["book"], commands), {}

    if benchmark is None:
        result = engine.run(*fresh_book()[0])
    else:
        result = benchmark.pedantic(engine.run, setup=fresh_book, rounds=rounds, iterations=1)
    engine.check(holder["book"], result, case.workload, case.expected)
    if benchmark is not None:
        record(benchmark, case, engine_name)
    return holder["book"]


def record(benchmark: Any, case: Case, engine_name: str, **extra: Any) -> None:
    stats = benchmark.stats.stats
    commands = len(case.workload.commands)
    info = {
        "workload": case.workload.name,
        "engine": engine_name,
        "commands": commands,
        "setup_commands": len(case.workload.setup),
        "resting_after": len(case.expected.resting),
        "events": case.expected.n_events,
        "rejected": case.expected.n_rejected,
        **extra,
    }
    benchmark.extra_info.update(info)
    RESULTS.append({**info, "min": stats.min, "median": stats.median, "rounds": stats.rounds})
