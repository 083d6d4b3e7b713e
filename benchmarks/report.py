"""Markdown tables of the engine benchmarks, with ratios against every baseline and the targets.

    python -m benchmarks.report .benchmarks/engine.json [more.json ...]   # --benchmark-json files

Throughput is commands per second at the median round (commands / median seconds); `make bench`
prints the same tables at the end of the run (benchmarks/conftest.py).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

OURS = ("spotex-percall", "spotex-batch", "spotex-batch-4k", "spotex-batch-out", "spotex-batch-64k-out")
PEERS = ("pybook", "liquibook", "limit-order-book")
TITLES = {
    "spotex-percall": "spotex per-call",
    "spotex-batch": "spotex batch",
    "spotex-batch-4k": "spotex batch (4k slices)",
    "spotex-batch-out": "spotex batch (warm out=)",
    "spotex-batch-64k-out": "spotex batch (64k slices, warm out=)",
    "pybook": "pure Python",
    "liquibook": "liquibook",
    "limit-order-book": "limit-order-book",
}
WORKLOADS = {
    "mixed": "(a) mixed",
    "insert_only": "(b) insert-only",
    "cancel_heavy": "(c) cancel-heavy",
    "market_sweep": "(d) market sweep",
    "deep_book": "(e) deep book, mixed",
    "deep_book_build": "(e) deep book, build",
}
MEMORY_TITLES = {
    "spotex-percall": "spotex, built per call (memory_bytes)",
    "spotex-batch": "spotex, built by one apply_batch (memory_bytes)",
    "spotex-batch-4k": "spotex, built by 4096-command batches (memory_bytes)",
    "spotex-batch-out": "spotex, built by one apply_batch into a caller's buffer (memory_bytes)",
    "spotex-batch-64k-out": "spotex, built by 65,536-command batches into a caller's buffer (memory_bytes)",
    "pybook": "pure Python (tracemalloc)",
}
TARGET_PER_CALL = 3_000_000
TARGET_BATCH = 10_000_000
TARGET_PEER_RATIO = 3.0
TARGET_BYTES = 200


def rows_from_json(path: Path) -> list[dict[str, Any]]:
    """The rows `harness.record` keeps, rebuilt from a pytest-benchmark JSON file."""
    data = json.loads(path.read_text())
    rows = []
    for bench in data["benchmarks"]:
        info = bench.get("extra_info", {})
        if "workload" in info:
            stats = bench["stats"]
            rows.append({**info, "min": stats["min"], "median": stats["median"], "rounds": stats["rounds"],
                         "timer": bench.get("options", {}).get("timer", "")})
    return rows


def _rate(row: dict[str, Any]) -> float:
    return float(row["commands"] / row["median"]) if row["median"] else 0.0


def _fmt_rate(rate: float | None) -> str:
    if rate is None:
        return "-"
    return f"{rate / 1e6:.2f}M" if rate >= 1e5 else f"{rate / 1e3:.1f}k"


def _fmt_ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a and b else "-"


def render(rows: Iterable[dict[str, Any]]) -> str:
    rows = list(rows)
    rates: dict[tuple[str, str], float] = {}
    counts: dict[str, tuple[int, int]] = {}
    memory: dict[str, dict[str, Any]] = {}
    for row in rows:
        rates[row["workload"], row["engine"]] = _rate(row)
        counts[row["workload"]] = (row["commands"], row.get("resting_after", 0))
        if "rss_per_order" in row:
            memory[row["engine"]] = row
    order = [w for w in WORKLOADS if w in counts]
    engines = OURS + PEERS
    timers = sorted({str(row.get("timer", "")) for row in rows} - {""})
    clock = f"; timer {', '.join(timers)}" if timers else ""
    out = [f"Commands per second (median round; M = million{clock}):", ""]
    out.append("| workload | commands | resting after | " + " | ".join(TITLES[e] for e in engines) + " |")
    out.append("|---|---:|---:|" + "---:|" * len(engines))
    for w in order:
        cells = [_fmt_rate(rates.get((w, e))) for e in engines]
        out.append(f"| {WORKLOADS[w]} | {counts[w][0]:,} | {counts[w][1]:,} | " + " | ".join(cells) + " |")
    out += ["", "Ratios (ours / peer, same run):", ""]
    pairs = [(o, p) for o in OURS for p in PEERS]
    out.append("| workload | " + " | ".join(f"{TITLES[o]} / {TITLES[p]}" for o, p in pairs) + " |")
    out.append("|---|" + "---:|" * len(pairs))
    for w in order:
        cells = [_fmt_ratio(rates.get((w, o)), rates.get((w, p))) for o, p in pairs]
        out.append(f"| {WORKLOADS[w]} | " + " | ".join(cells) + " |")
    if memory:
        out += ["", "Memory of the deep book (e), bytes per resting order after building it:", ""]
        out.append("| engine | own accounting | RSS growth |")
        out.append("|---|---:|---:|")
        for e in engines:
            m = memory.get(e)
            if m is None:
                continue
            own = f"{m['bytes_per_order']:.0f} B" if "bytes_per_order" in m else "-"
            out.append(f"| {MEMORY_TITLES.get(e, TITLES[e])} | {own} | {m['rss_per_order']:.0f} B |")
    out += ["", "Targets:", ""]
    out.append("| target | measured | met |")
    out.append("|---|---:|---|")
    per_call, batch = rates.get(("mixed", "spotex-percall")), rates.get(("mixed", "spotex-batch"))
    out.append(_target(f"per-call >= {TARGET_PER_CALL / 1e6:.0f}M commands/s on (a)", per_call,
                       _fmt_rate(per_call), TARGET_PER_CALL))
    peer_rates = [rates[("mixed", p)] for p in PEERS if ("mixed", p) in rates]
    worst = per_call / max(peer_rates) if per_call and peer_rates else None
    out.append(_target(f"per-call >= {TARGET_PEER_RATIO:.0f}x every peer on (a)", worst,
                       f"{worst:.2f}x the fastest peer" if worst else "-", TARGET_PEER_RATIO))
    out.append(_target(f"batch >= {TARGET_BATCH / 1e6:.0f}M commands/s on (a)", batch, _fmt_rate(batch),
                       TARGET_BATCH))
    for variant in OURS[2:]:
        rate = rates.get(("mixed", variant))
        if rate:
            out.append(_target(f"(for comparison) {TITLES[variant]} on (a)", rate, _fmt_rate(rate), TARGET_BATCH))
    ours_mem = memory.get("spotex-percall", {}).get("bytes_per_order")
    met = "-" if ours_mem is None else ("yes" if ours_mem <= TARGET_BYTES else "NO")
    shown = f"{ours_mem:.0f} B" if ours_mem is not None else "-"
    out.append(f"| <= {TARGET_BYTES} B per resting order on (e) | {shown} | {met} |")
    return "\n".join(out) + "\n"


def _target(title: str, value: float | None, shown: str, target: float) -> str:
    met = "-" if value is None else ("yes" if value >= target else "NO")
    return f"| {title} | {shown} | {met} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("json", type=Path, nargs="+", help="pytest-benchmark --benchmark-json output(s)")
    args = parser.parse_args()
    print(render([row for path in args.json for row in rows_from_json(path)]), end="")


if __name__ == "__main__":
    main()
