"""The smoke tests import the benchmark modules, which live in benchmarks/ at the repository root
(importable under `python -m pytest`, as `make test` runs it; this covers a bare `pytest` too)."""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
