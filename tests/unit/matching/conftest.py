from __future__ import annotations

from collections.abc import Sequence

import pytest

from services.common.ports import LogRecord, Unavailable


class MemoryLog:
    """An in-memory Log with a switch that makes appends fail (to simulate an outage), and
    gaps: offsets counted without a record, as tansu leaves after an unclean stop."""

    def __init__(self) -> None:
        self.partitions: dict[tuple[str, int], list[bytes | None]] = {}
        self.fail_topics: set[str] = set()

    async def append(self, topic: str, partition: int, payloads: Sequence[bytes]) -> int:
        if topic in self.fail_topics:
            raise Unavailable(f"{topic} is down")
        records = self.partitions.setdefault((topic, partition), [])
        first = len(records)
        records.extend(payloads)
        return first

    async def read(self, topic: str, partition: int, from_offset: int, limit: int) -> list[LogRecord]:
        records = self.partitions.get((topic, partition), [])
        found = [LogRecord(i, data) for i, data in enumerate(records[from_offset:], from_offset) if data is not None]
        return found[:limit]

    def leave_gap(self, topic: str, partition: int) -> None:
        self.partitions.setdefault((topic, partition), []).append(None)

    async def end_offset(self, topic: str, partition: int) -> int:
        return len(self.partitions.get((topic, partition), []))

    async def close(self) -> None:
        pass


class MemorySnapshots:
    def __init__(self) -> None:
        self.saved: dict[str, tuple[int, bytes]] = {}

    async def save(self, symbol: str, journal_offset: int, data: bytes) -> None:
        self.saved[symbol] = (journal_offset, data)

    async def load(self, symbol: str) -> tuple[int, bytes] | None:
        return self.saved.get(symbol)


@pytest.fixture
def memory_log() -> MemoryLog:
    return MemoryLog()


@pytest.fixture
def memory_snapshots() -> MemorySnapshots:
    return MemorySnapshots()
