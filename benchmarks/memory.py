"""Bytes per resting order of a deep book, measured in a fresh subprocess per engine.

`python -m benchmarks.memory ENGINE RESTING SEED [tracemalloc]` builds the deep book (e)'s
setup (`RESTING` non-crossing orders) with one engine and prints a JSON line:
- `rss_bytes`: growth of the process's resident set across the build (/proc/self/statm), after
  the commands were already translated, so it counts the book and what its adapter keeps;
- `memory_bytes`: the compiled book's own `memory_bytes()` (its allocator-level accounting, which
  includes the book's event buffer: after a batch it keeps room for the whole batch's events);
- `traced_bytes`: with `tracemalloc`, Python allocations made by the build (pure-Python book).
A fresh process keeps earlier books and freed arenas out of the figures.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from engine_ext.workload import Workload, deep_book_setup

ROOT = Path(__file__).resolve().parents[1]


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _measure(engine_name: str, resting: int, seed: int, traced: bool) -> dict[str, Any]:
    from benchmarks.harness import ENGINES

    orders = deep_book_setup(resting, seed)  # not deep_book(): its shadow book would leave freed arenas
    workload = Workload("deep_book_build", seed, orders[:0], orders)
    engine = ENGINES[engine_name]()
    prepared = engine.prepare(workload.commands)
    nothing = engine.prepare(workload.setup)
    gc.collect()
    if traced:
        import tracemalloc

        tracemalloc.start()
    before = _rss()
    book = engine.new_book(workload, nothing)
    result = engine.run(book, prepared)
    del result  # the batch API's events array is the caller's, not the book's
    gc.collect()
    out: dict[str, Any] = {"engine": engine_name, "resting": resting, "rss_bytes": _rss() - before}
    if traced:
        import tracemalloc

        out["traced_bytes"] = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
    if hasattr(book, "memory_bytes"):
        out["memory_bytes"] = int(book.memory_bytes())
    return out


def measure(engine_name: str, resting: int, seed: int = 1, traced: bool = False) -> dict[str, Any]:
    """`_measure` in a fresh interpreter."""
    argv = [sys.executable, "-m", "benchmarks.memory", engine_name, str(resting), str(seed)]
    if traced:
        argv.append("tracemalloc")
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"memory probe for {engine_name} failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


if __name__ == "__main__":
    name, count, seed_arg = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    print(json.dumps(_measure(name, count, seed_arg, traced=len(sys.argv) > 4)))
