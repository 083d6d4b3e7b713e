"""The embedded stores' SQLite plumbing: group commit, point reads on the event loop, and the
event source's grouping of what matching already sent."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from engine_ext.codes import EventKind
from engine_ext.events import Event
from exchange.v1 import matching_pb2
from services.common.adapters.embedded import event_stream
from services.common.adapters.embedded._sqlite import QuickReader, Worker, Writer
from services.matching.convert import engine_event


def _insert(conn: sqlite3.Connection, value: int) -> int:
    conn.execute("INSERT INTO t VALUES (?)", (value,))
    return value


def _insert_then_fail(conn: sqlite3.Connection, value: int) -> int:
    conn.execute("INSERT INTO t VALUES (?)", (value,))
    raise ValueError("refused")


def _values(conn: sqlite3.Connection) -> list[int]:
    return [v for (v,) in conn.execute("SELECT v FROM t ORDER BY v")]


@pytest.fixture
def writer(tmp_path: Path) -> Any:
    writer = Writer(tmp_path / "db.sqlite", "test-write")
    writer.call(lambda conn: conn.execute("CREATE TABLE t (v INTEGER)"))
    yield writer
    writer.close()


def test_an_operation_alone_in_its_transaction_is_undone_when_it_raises(writer: Writer) -> None:
    with pytest.raises(ValueError, match="refused"):
        writer.call(_insert_then_fail, 1)
    assert writer.call(_insert, 2) == 2
    assert writer.call(_values) == [2]


async def test_in_a_group_only_the_operation_that_raises_is_undone(writer: Writer) -> None:
    outcomes = await asyncio.gather(
        writer.run(_insert, 1), writer.run(_insert_then_fail, 2), writer.run(_insert, 3), return_exceptions=True
    )
    assert outcomes[0] == 1 and isinstance(outcomes[1], ValueError) and outcomes[2] == 3
    assert writer.call(_values) == [1, 3]


async def test_a_point_read_runs_on_the_loop_and_goes_to_the_worker_when_sqlite_is_busy(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    worker = Worker(path, "test-read")
    worker.call(lambda conn: conn.execute("CREATE TABLE t (v INTEGER)"))
    quick = QuickReader(path, worker)
    threads: list[str] = []

    def query(conn: sqlite3.Connection) -> str:
        import threading

        threads.append(threading.current_thread().name)
        if conn is quick.conn and len(threads) == 2:
            raise sqlite3.OperationalError("database is locked")
        return "read"

    try:
        assert await quick.run(query) == "read"  # on the loop's thread
        assert await quick.run(query) == "read"  # busy: again on the worker's
        assert threads[0] == threads[1] != threads[2] and threads[2].startswith("test-read")
        with pytest.raises(sqlite3.OperationalError, match="no such table"):
            await quick.run(lambda conn: conn.execute("SELECT * FROM missing"))  # other errors are errors
    finally:
        quick.close()
        worker.close()


def _reply(symbol: str, first_seq: int, count: int, time_ms: int) -> matching_pb2.EventBatch:
    events = [engine_event(symbol, time_ms, Event(seq, EventKind.LEVEL, 0, 0, 0, 0, 0, 0, 100, 1, 0))
              for seq in range(first_seq, first_seq + count)]
    return matching_pb2.EventBatch(results=[matching_pb2.CommandResult(events=events)])


async def test_what_matching_already_sent_is_handed_over_as_one_group() -> None:
    received: asyncio.Queue[Any] = asyncio.Queue()
    for reply in (_reply("ETHUSDT", 5, 2, 11), _reply("BTCUSDT", 1, 3, 12), _reply("BTCUSDT", 4, 1, 13)):
        received.put_nowait(reply)
    position = {"BTCUSDT": 1, "ETHUSDT": 0}  # BTCUSDT seq 1 was settled: skipped

    group = event_stream._group(await received.get(), received, position)

    assert [(b.symbol, b.time_ms, [e[0] for e in b.events]) for b in group] == [
        ("ETHUSDT", 11, [5, 6]), ("BTCUSDT", 12, [2, 3]), ("BTCUSDT", 13, [4])
    ]
    assert position == {"BTCUSDT": 4, "ETHUSDT": 6}


async def test_a_broken_stream_is_reported_after_the_batches_that_came_before_it() -> None:
    received: asyncio.Queue[Any] = asyncio.Queue()
    received.put_nowait(_reply("BTCUSDT", 1, 1, 10))
    received.put_nowait(event_stream._StreamEnded())
    position = {"BTCUSDT": 0}

    assert [b.events[0][0] for b in event_stream._group(await received.get(), received, position)] == [1]
    with pytest.raises(event_stream._StreamEnded):
        event_stream._group(await received.get(), received, position)
