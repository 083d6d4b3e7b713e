"""SQLite plumbing shared by the embedded log and ledger.

Every store here follows the same rules, so they live in one place:
- WAL journal: readers (in this or any other process) never block the writer and see each
  commit from their next query on; the writer never blocks readers.
- synchronous=FULL: in WAL mode NORMAL skips the fsync at commit and a power cut can lose the
  last transactions; the ports promise "returned means durable", so every COMMIT fsyncs.
- Writes take the lock up front (`BEGIN IMMEDIATE`): a deferred transaction that reads and
  then must upgrade gets SQLITE_BUSY at once instead of waiting, so two processes could not
  both check a balance and then write; `busy_timeout` makes a second writer wait its turn.
- Blocking work (SQL, fsync, waiting for another process's lock) runs on threads owned by the
  store, never on the event loop: a `Writer` thread with the writing connection and a
  `Worker` thread with a second connection for queries, so they never wait behind an fsync.
  One thread per connection also means no connection is ever used by two threads at once.

Group commit: a commit costs one fsync, which on a busy disk takes milliseconds, far more
than the SQL. So the Writer runs every operation queued while the previous commit was
flushing in ONE transaction, each inside its own SAVEPOINT: an operation that raises is
rolled back alone, the others commit together, and nobody's result is delivered before the
COMMIT (the fsync) returned. A lone caller pays exactly what a plain transaction costs.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar, cast

from services.common.ports import Unavailable

T = TypeVar("T")
log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000  # a writer waits this long for another process's transaction
MAX_GROUP = 512  # operations per group commit: bounds how long one transaction holds the lock
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def safe_file_name(name: str, what: str) -> str:
    """Topic and symbol names become file names: refuse anything that could leave the directory."""
    if not _SAFE_NAME.match(name) or ".." in name:
        raise ValueError(f"{what} {name!r} cannot be used as a file name")
    return name


def connect(path: Path) -> sqlite3.Connection:
    created = make_durable_directory(path.parent) or not path.exists()
    # isolation_level=None: the sqlite3 module starts no transactions of its own; the Writer
    # issues BEGIN IMMEDIATE / COMMIT itself.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    _set_wal(conn)
    conn.execute("PRAGMA synchronous = FULL")
    if created:  # SQLite fsyncs the file's contents, never the directory entry naming a new file
        fsync_directory(path.parent)
    return conn


def _set_wal(conn: sqlite3.Connection) -> None:
    """journal_mode = WAL: persistent in the file (this writes it), a no-op once set. While
    another process opens a new file and sets it too, SQLite answers "locked" at once rather than
    through the busy handler, so that race is retried here."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def make_durable_directory(directory: Path) -> bool:
    """mkdir -p, fsyncing each parent whose entries changed; True if anything was created."""
    if directory.is_dir():
        return False
    make_durable_directory(directory.parent)
    try:
        directory.mkdir()
    except FileExistsError:  # another process made it meanwhile
        return False
    fsync_directory(directory.parent)
    return True


def fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def begin_immediate(conn: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE, retrying every fraction of a millisecond while another process holds
    the write lock.

    Several processes write the ledger (the order service reserving, trade processing settling),
    and their transactions are short. SQLite's own busy handler sleeps 1, 2, 5, 10, 15, 20, 25 ms
    ... between attempts, far longer than the holder needs, and that showed up as tens of ms of
    p99. So the BEGIN alone runs with no busy timeout and this loop retries with pauses from
    0.1 ms to 2 ms, up to the same overall limit."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    pause = 0.0001
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.002)
    finally:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT on a `Worker`'s connection (a `Writer` needs none: it wraps
    every operation itself); any exception rolls everything back and propagates."""
    begin_immediate(conn)
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # some errors (disk full, I/O) make SQLite roll back by itself
            conn.execute("ROLLBACK")
        raise


@contextmanager
def read_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A consistent snapshot across several SELECTs (a single SELECT needs none)."""
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        conn.execute("COMMIT")


class Worker:
    """A connection and the one thread that uses it: the stores' query side (or a writer
    without group commit, each write in `write_transaction`)."""

    def __init__(self, path: Path, name: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self.conn = self._executor.submit(connect, path).result()

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """`fn(conn, *args)` on the worker's thread."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, partial(fn, self.conn, *args))

    def call(self, fn: Callable[..., T], *args: object) -> T:
        """The same, blocking the caller (start-up, outside the event loop)."""
        return self._executor.submit(fn, self.conn, *args).result()

    def close(self) -> None:
        self._executor.submit(self.conn.close).result()
        self._executor.shutdown(wait=True)


class QuickReader:
    """A connection the event loop queries directly, for point reads on an index (tens of
    microseconds). On the order path a hop to the Worker's thread and back cost far more than
    the query: two thread wake-ups and a wait for the GIL behind a busy event loop (median 14 ms
    at 1,400 orders/s, docs/performance.md). A WAL reader takes no lock a writer holds, but it can
    find the database busy for a moment (a checkpoint resetting the WAL, recovery after a
    crash): with no busy timeout that raises at once, and the query goes to `fallback`, so the
    loop never waits on SQLite."""

    def __init__(self, path: Path, fallback: Worker) -> None:
        self.conn = connect(path)
        self.conn.execute("PRAGMA busy_timeout = 0")
        self._fallback = fallback

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        try:
            return fn(self.conn, *args)
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
        return await self._fallback.run(fn, *args)

    def close(self) -> None:
        self.conn.close()


@dataclass(slots=True)
class _Operation:
    fn: Callable[..., Any]
    args: tuple[object, ...]
    result: asyncio.Future[Any] | Future[Any]
    loop: asyncio.AbstractEventLoop | None  # None: `result` is a concurrent Future (blocking call)


class Writer:
    """The writing connection, on its own thread, with group commit (see the module docstring).

    An operation is `fn(conn, *args)`: plain statements, no BEGIN/COMMIT of its own; what it
    returns is delivered once committed, what it raises is delivered after its savepoint was
    rolled back. If the transaction as a whole fails, every operation in it gets the error
    and none of them happened.
    """

    def __init__(self, path: Path, name: str) -> None:
        self._closed = False
        self._queue: queue.SimpleQueue[_Operation | None] = queue.SimpleQueue()
        opened: Future[None] = Future()
        # daemon: a process that exits without close() must not hang on this thread; whatever
        # it had not committed was never acknowledged to anyone
        self._thread = threading.Thread(target=self._serve, args=(path, opened), name=name, daemon=True)
        self._thread.start()
        opened.result()

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        loop = asyncio.get_running_loop()
        result: asyncio.Future[T] = loop.create_future()
        self._put(_Operation(fn, args, result, loop))
        return await result

    def call(self, fn: Callable[..., T], *args: object) -> T:
        """The same, blocking the caller (start-up, outside the event loop)."""
        result: Future[T] = Future()
        self._put(_Operation(fn, args, result, None))
        return result.result()

    def close(self) -> None:
        """Runs what is already queued, then stops."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
        self._thread.join()

    def _put(self, operation: _Operation) -> None:
        if self._closed:  # nothing would ever serve it: fail now rather than hang the caller
            raise RuntimeError("the store is closed")
        self._queue.put(operation)

    def _serve(self, path: Path, opened: Future[None]) -> None:
        try:
            conn = connect(path)
        except BaseException as exc:
            opened.set_exception(exc)
            return
        opened.set_result(None)
        try:
            while (group := self._next_group()) is not None:
                operations, stop = group
                _commit_group(conn, operations)
                if stop:
                    break
        finally:
            conn.close()
            self._fail_leftovers()

    def _fail_leftovers(self) -> None:
        """Operations that raced with close() behind the stop marker: refuse, do not strand them."""
        while True:
            try:
                operation = self._queue.get_nowait()
            except queue.Empty:
                return
            if operation is not None:
                _deliver([operation], [(RuntimeError("the store is closed"), None)])

    def _next_group(self) -> tuple[list[_Operation], bool] | None:
        """Wait for one operation, then take whatever else is already queued."""
        first = self._queue.get()
        if first is None:
            return None
        operations = [first]
        while len(operations) < MAX_GROUP:
            try:
                more = self._queue.get_nowait()
            except queue.Empty:
                break
            if more is None:
                return operations, True
            operations.append(more)
        return operations, False


def _commit_group(conn: sqlite3.Connection, operations: list[_Operation]) -> None:
    outcomes: list[tuple[BaseException | None, Any]] = []
    # an operation alone in its transaction needs no savepoint: rolling the transaction back
    # undoes exactly that operation (two statements less for the common single append)
    alone = len(operations) == 1
    try:
        begin_immediate(conn)
        for op in operations:
            if not alone:
                conn.execute("SAVEPOINT operation")
            try:
                value = op.fn(conn, *op.args)
            except Exception as exc:
                if not conn.in_transaction:  # an error SQLite answers by aborting everything
                    raise
                if alone:
                    conn.execute("ROLLBACK")
                    _deliver(operations, [(exc, None)])
                    return
                conn.execute("ROLLBACK TO operation")  # undoes this operation only
                conn.execute("RELEASE operation")
                outcomes.append((exc, None))
            else:
                if not alone:
                    conn.execute("RELEASE operation")
                outcomes.append((None, value))
        conn.execute("COMMIT")
    except Exception as exc:  # BEGIN timed out, the disk failed...: the whole group did not happen
        if conn.in_transaction:  # some errors (disk full, I/O) make SQLite roll back by itself
            conn.execute("ROLLBACK")
        outcomes = [(_unavailable(exc), None)] * len(operations)
    _deliver(operations, outcomes)


def _deliver(operations: list[_Operation], outcomes: list[tuple[BaseException | None, Any]]) -> None:
    """Hand every outcome to its caller: one wake-up per event loop for the whole group, not
    one per operation (each call_soon_threadsafe writes to the loop's self-pipe)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[Any, BaseException | None, Any]]] = {}
    for op, (error, value) in zip(operations, outcomes, strict=True):
        if op.loop is None:
            _resolve_blocking(cast(Future[Any], op.result), error, value)
        else:
            by_loop.setdefault(op.loop, []).append((op.result, error, value))
    for loop, resolved in by_loop.items():
        try:
            loop.call_soon_threadsafe(_resolve_all, resolved)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            pass
        except Exception:  # one caller's bad hand-off must not stop the thread serving the rest
            log.exception("could not deliver the outcome of a write")


def _resolve_all(resolved: list[tuple[asyncio.Future[Any], BaseException | None, Any]]) -> None:
    for result, error, value in resolved:
        _resolve(result, error, value)


def _unavailable(exc: Exception) -> Exception:
    """A lock we could not get in time is the port's Unavailable: nothing happened, retry."""
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        unavailable = Unavailable(f"the database stayed locked for {BUSY_TIMEOUT_MS} ms")
        unavailable.__cause__ = exc
        return unavailable
    return exc


def _resolve(result: asyncio.Future[Any], error: BaseException | None, value: Any) -> None:
    if result.cancelled():  # the caller gave up waiting; the write itself stands or fell as reported
        return
    if error is not None:
        result.set_exception(error)
    else:
        result.set_result(value)


def _resolve_blocking(result: Future[Any], error: BaseException | None, value: Any) -> None:
    if error is not None:
        result.set_exception(error)
    else:
        result.set_result(value)
