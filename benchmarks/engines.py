"""The books a benchmark replays a workload on, behind one small interface.

Each engine turns the workload's commands into its own call form once (`prepare`, untimed),
builds a fresh book with the workload's setup applied (`new_book`, untimed), replays the
commands (`run`, the only timed part) and then proves its final book is the expected one
(`check`, after timing): a fast wrong engine fails.
"""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

import numpy as np

from benchmarks.expected import RESTING_DTYPE, Expected, digest
from benchmarks.pybook import PyBook
from engine_ext.events import EVENT_DTYPE
from engine_ext.workload import Workload, book_calls


class Unsupported(Exception):
    """The workload uses something this engine cannot express."""


class Engine:
    name: ClassVar[str]
    label: ClassVar[str]  # for tables: what is measured

    @classmethod
    def unavailable(cls) -> str | None:
        """Why this engine cannot run here (not built, not installed), or None."""
        return None

    def prepare(self, commands: np.ndarray) -> Any:
        raise NotImplementedError

    def new_book(self, workload: Workload, setup: Any) -> Any:
        raise NotImplementedError

    def run(self, book: Any, prepared: Any) -> Any:
        raise NotImplementedError

    def check(self, book: Any, result: Any, workload: Workload, expected: Expected) -> None:
        raise NotImplementedError


def _compiled_book() -> Any:
    from engine_ext.book import OrderBook

    return OrderBook


def _check_spotex(book: Any, expected: Expected) -> None:
    assert book.seq == expected.seq, f"seq {book.seq} != reference {expected.seq}"
    assert book.last_price == expected.last_price
    assert book.state_hash() == expected.state_hash, "final book differs from the reference's"


class SpotexPerCall(Engine):
    """A Python loop calling book.submit / book.cancel once per command."""

    name = "spotex-percall"
    label = "spotex per-call"

    @classmethod
    def unavailable(cls) -> str | None:
        try:
            _compiled_book()
        except ImportError as exc:
            return f"compiled book not importable ({exc}); build it with setup.py build_ext --inplace"
        return None

    def prepare(self, commands: np.ndarray) -> Any:
        return book_calls(commands)

    def new_book(self, workload: Workload, setup: Any) -> Any:
        book = _compiled_book()(tick_size=workload.tick_size, lot_size=workload.lot_size)
        if len(workload.setup):
            book.apply_batch(workload.setup)
        return book

    def run(self, book: Any, prepared: Any) -> Any:
        methods = (book.submit, book.cancel, book.amend, book.replace)
        for op, args in prepared:
            methods[op](*args)

    def check(self, book: Any, result: Any, workload: Workload, expected: Expected) -> None:
        _check_spotex(book, expected)


def _check_batch_parts(parts: list[tuple[np.ndarray, np.ndarray]], book: Any, workload: Workload,
                       expected: Expected) -> None:
    """The events of consecutive apply_batch calls, joined, must be the reference's stream."""
    parts = parts or [(np.zeros(0, EVENT_DTYPE), np.zeros(0, np.int64))]
    offsets = np.cumsum([0] + [len(events) for events, _ in parts[:-1]])
    events = np.concatenate([events for events, _ in parts])
    ends = np.concatenate([ends + offset for (_, ends), offset in zip(parts, offsets, strict=True)])
    assert len(ends) == len(workload.commands)
    assert len(events) == expected.n_events and (not len(ends) or ends[-1] == len(events))
    assert digest(np.ascontiguousarray(events).tobytes()) == expected.events_digest, (
        "event stream differs from the reference's"
    )
    _check_spotex(book, expected)


class SpotexBatch(SpotexPerCall):
    """book.apply_batch on the whole COMMAND_DTYPE array, events returned as one fresh array."""

    name = "spotex-batch"
    label = "spotex batch"

    def prepare(self, commands: np.ndarray) -> Any:
        return np.ascontiguousarray(commands)

    def run(self, book: Any, prepared: Any) -> Any:
        return [book.apply_batch(prepared)]

    def check(self, book: Any, result: Any, workload: Workload, expected: Expected) -> None:
        _check_batch_parts(result, book, workload, expected)


class SpotexBatchChunks(SpotexBatch):
    """book.apply_batch on consecutive slices of CHUNK commands without `out=`, as a service
    feeding the book from a queue would: each call returns a fresh (small) events array."""

    CHUNK = 4096
    name = "spotex-batch-4k"
    label = "spotex batch, 4096-command slices"

    def run(self, book: Any, prepared: Any) -> Any:
        apply_batch, chunk = book.apply_batch, self.CHUNK
        return [apply_batch(prepared[i : i + chunk]) for i in range(0, len(prepared), chunk)]


class SpotexBatchInto(SpotexBatch):
    """book.apply_batch on the whole array with `out=`: the events go into a caller's buffer that
    was allocated and first-touched before timing and is reused by every round."""

    name = "spotex-batch-out"
    label = "spotex batch into a reused out= buffer"

    def prepare(self, commands: np.ndarray) -> Any:
        commands = np.ascontiguousarray(commands)
        return _BatchInput(commands, _warm_event_buffer(commands, len(commands)))

    def new_book(self, workload: Workload, setup: Any) -> Any:
        book = _compiled_book()(tick_size=workload.tick_size, lot_size=workload.lot_size)
        if len(setup.commands):
            book.apply_batch(setup.commands, out=setup.out)
        return book

    def run(self, book: Any, prepared: Any) -> Any:
        return [book.apply_batch(prepared.commands, out=prepared.out)]


class _BatchInput(NamedTuple):
    """A workload's commands and the caller-owned event buffer every round writes into."""

    commands: np.ndarray
    out: np.ndarray


def _warm_event_buffer(commands: np.ndarray, slice_size: int) -> np.ndarray:
    """An EVENT_DTYPE buffer for the events of `commands`, allocated and first-touched here
    (untimed), as a matching loop keeps one warm buffer per shard. Sized from a replay on an
    empty book, plus room for what a setup can add (a rejected cancel then emits two events)."""
    if not len(commands):
        return np.zeros(0, dtype=EVENT_DTYPE)
    events, _ = _compiled_book()(tick_size=1, lot_size=1).apply_batch(commands)
    rejects = int(np.count_nonzero(events["kind"] == 1))
    out = np.empty(len(events) + rejects + 4 * slice_size, dtype=EVENT_DTYPE)
    out.fill(0)  # fault every page in now, not in the timed run
    return out


class SpotexBatchSlicesInto(SpotexBatchInto):
    """book.apply_batch on consecutive slices of SLICE commands, each writing its events straight
    into the warm caller-owned buffer (`out=`) just behind the previous slice's: no allocation and
    no page faults in the timed run, and every event of the run is kept and checked."""

    SLICE = 65_536
    name = "spotex-batch-64k-out"
    label = "spotex batch, 65,536-command slices into a warm out= buffer"

    def prepare(self, commands: np.ndarray) -> Any:
        commands = np.ascontiguousarray(commands)
        return _BatchInput(commands, _warm_event_buffer(commands, self.SLICE))

    def run(self, book: Any, prepared: Any) -> Any:
        commands, out = prepared
        apply_batch, step = book.apply_batch, self.SLICE
        parts = []
        at = 0
        for i in range(0, len(commands), step):
            events, ends = apply_batch(commands[i : i + step], out=out[at:])
            parts.append((events, ends))
            at += len(events)
        return parts


def assert_same_resting(actual: np.ndarray, expected: Expected, engine: str) -> None:
    want = expected.resting
    assert len(actual) == len(want), f"{engine}: {len(actual)} resting orders, reference {len(want)}"
    for name in RESTING_DTYPE.names or ():
        bad = np.flatnonzero(actual[name] != want[name])
        assert not len(bad), (
            f"{engine}: resting order #{bad[0]} {actual[bad[0]]} != reference {want[bad[0]]}"
        )


class PyBookReplay(Engine):
    """The pure-Python SortedDict + deque book, called per command like the engine."""

    name = "pybook"
    label = "pure Python (sortedcontainers)"

    def prepare(self, commands: np.ndarray) -> Any:
        return book_calls(commands)

    def new_book(self, workload: Workload, setup: Any) -> Any:
        book = PyBook(workload.tick_size, workload.lot_size)
        self.run(book, setup)
        return book

    def run(self, book: Any, prepared: Any) -> Any:
        methods = (book.submit, book.cancel)
        for op, args in prepared:
            methods[op](*args)

    def check(self, book: Any, result: Any, workload: Workload, expected: Expected) -> None:
        assert_same_resting(np.array(book.resting(), dtype=RESTING_DTYPE), expected, self.name)
