"""Every engine unit test runs against both books: the reference and the compiled one.

The compiled book is imported, never skipped: if `engine_ext.book` is missing or broken, its
half of the suite errors loudly (build it with `.venv/bin/python setup.py -q build_ext --inplace`).
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from tests.unit.engine.book_spec import IMPLEMENTATIONS


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def book_class(request: pytest.FixtureRequest) -> Any:
    return importlib.import_module(IMPLEMENTATIONS[request.param]).OrderBook


@pytest.fixture
def book(book_class: Any) -> Any:
    return book_class(tick_size=1, lot_size=1)
