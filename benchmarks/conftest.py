"""Prints the throughput/ratio/target tables (benchmarks/report.py) at the end of `make bench`."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.harness import RESULTS
from benchmarks.report import render


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: Any) -> None:
    if RESULTS:
        terminalreporter.write_sep("=", "spotex engine benchmarks")
        terminalreporter.write(render(RESULTS))
