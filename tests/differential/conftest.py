"""Both books of the differential tests (the stream count lives in profiles.py)."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from tests.unit.engine.book_spec import IMPLEMENTATIONS


@pytest.fixture(scope="session")
def reference_class() -> Any:
    return importlib.import_module(IMPLEMENTATIONS["reference"]).OrderBook


@pytest.fixture(scope="session")
def compiled_class() -> Any:
    return importlib.import_module(IMPLEMENTATIONS["compiled"]).OrderBook
