"""The SnapshotStore port: each symbol's newest book snapshot with its journal offset."""

from __future__ import annotations

import os
import random
import struct

import pytest

from services.common.ports import SnapshotStore
from tests.contract.backends import Backend
from tests.contract.processes import Spawn


async def test_a_symbol_never_saved_has_no_snapshot(snapshots: SnapshotStore) -> None:
    assert await snapshots.load("BTCUSDT") is None


async def test_load_returns_the_saved_bytes_with_their_journal_offset(snapshots: SnapshotStore) -> None:
    await snapshots.save("BTCUSDT", 41, b"\x00book\xff")
    assert await snapshots.load("BTCUSDT") == (41, b"\x00book\xff")


async def test_a_new_snapshot_replaces_the_previous_one(snapshots: SnapshotStore) -> None:
    await snapshots.save("BTCUSDT", 10, b"old")
    await snapshots.save("BTCUSDT", 20, b"newer and longer")
    await snapshots.save("BTCUSDT", 30, b"")
    assert await snapshots.load("BTCUSDT") == (30, b"")


async def test_symbols_are_independent(snapshots: SnapshotStore) -> None:
    await snapshots.save("BTCUSDT", 1, b"btc")
    await snapshots.save("ETHUSDT", 2, b"eth")
    assert await snapshots.load("BTCUSDT") == (1, b"btc")
    assert await snapshots.load("ETHUSDT") == (2, b"eth")


async def test_a_large_snapshot_round_trips(snapshots: SnapshotStore) -> None:
    data = os.urandom(8_000_000)
    await snapshots.save("BTCUSDT", 123_456_789, data)
    assert await snapshots.load("BTCUSDT") == (123_456_789, data)


async def test_snapshots_survive_reopening_the_store(backend: Backend) -> None:
    await backend.snapshots()().save("BTCUSDT", 7, b"book")
    assert await backend.snapshots()().load("BTCUSDT") == (7, b"book")


@pytest.mark.slow
async def test_a_saver_killed_mid_save_leaves_a_whole_snapshot_no_older_than_the_last_acknowledged(
    backend: Backend, spawn: Spawn
) -> None:
    for _round in range(3):
        saver = await spawn("save_snapshots_forever", backend.snapshots(), "BTCUSDT", 400_000)
        lines = [await saver.line() for _ in range(random.randint(1, 10))]
        lines += await saver.kill(within=0.05)
        last_acknowledged = int(lines[-1].split()[1])

        loaded = await backend.snapshots()().load("BTCUSDT")
        assert loaded is not None
        offset, data = loaded
        assert offset >= last_acknowledged
        assert data == struct.pack("<q", offset) * 50_000, "the offset and the bytes come from different saves"
