"""What every engine's book must look like after a workload: the reference book's final state.

The pure-Python reference (`engine_ext/reference.py`) is slow on a million commands, so its
result is computed once per workload and kept under `.benchmarks/expected/`, keyed by a digest
of the command arrays and of reference.py's source (a changed generator or reference never
reuses a stale answer; answers of an older reference are deleted, so the cache stays bounded by
the workloads in use).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine_ext.codes import EventKind, Side
from engine_ext.workload import Workload

CACHE_DIR = Path(__file__).resolve().parents[1] / ".benchmarks" / "expected"
RESTING_DTYPE = np.dtype([("order_id", "<i8"), ("side", "<i8"), ("price", "<i8"), ("leaves", "<i8")])


@dataclass(frozen=True)
class Expected:
    """The reference's answer for one workload (setup, then commands)."""

    state_hash: bytes
    seq: int  # after setup and commands
    last_price: int
    events_digest: bytes  # blake2b-128 of the commands' EVENT_DTYPE array
    n_events: int  # events of the commands (not the setup)
    n_rejected: int  # REJECTED events among them
    resting: np.ndarray  # RESTING_DTYPE, in orders() order: bids best->worst, asks, FIFO in a level

    def side(self, side: Side) -> np.ndarray:
        rows: np.ndarray = self.resting[self.resting["side"] == int(side)]
        return rows

    def best(self, side: Side) -> tuple[int, int] | None:
        rows = self.side(side)
        if not len(rows):
            return None
        price = int(rows["price"][0])
        return price, int(rows["leaves"][rows["price"] == price].sum())

    def levels(self, side: Side) -> tuple[np.ndarray, np.ndarray]:
        """(prices, aggregated leaves) of one side, best first."""
        rows = self.side(side)
        if not len(rows):
            return rows["price"], rows["leaves"]
        price = rows["price"]
        starts = np.flatnonzero(np.r_[True, price[1:] != price[:-1]])
        return price[starts], np.add.reduceat(rows["leaves"], starts)


def digest(data: bytes | memoryview) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def workload_digest(workload: Workload) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(workload.key.encode())
    h.update(np.ascontiguousarray(workload.setup).tobytes())
    h.update(np.ascontiguousarray(workload.commands).tobytes())
    return h.hexdigest()


def _reference_source_digest() -> str:
    from engine_ext import reference

    return digest(Path(reference.__file__).read_bytes()).hex()


def resting_of(orders: list) -> np.ndarray:  # type: ignore[type-arg]
    """OrderState records (a book's `orders()`) as RESTING_DTYPE rows."""
    out = np.zeros(len(orders), dtype=RESTING_DTYPE)
    if orders:
        cols = list(zip(*((o.order_id, o.side, o.price, o.orig_qty - o.filled_qty) for o in orders),
                        strict=True))
        for name, col in zip(RESTING_DTYPE.names or (), cols, strict=True):
            out[name] = col
    return out


def _snapshot_path(commands: np.ndarray, workload: Workload) -> Path:
    h = hashlib.blake2b(np.ascontiguousarray(commands).tobytes(), digest_size=16)
    h.update(f"{workload.tick_size}/{workload.lot_size}".encode())
    return CACHE_DIR / f"book-{h.hexdigest()[:24]}-ref{_reference_source_digest()[:12]}.snap"


def compute(workload: Workload) -> Expected:
    """Replay the workload on the reference book (slow). The reference's book after a setup-free
    run is kept as a snapshot, so a later workload whose setup is those same commands (the deep
    book (e) after its build) restores it instead of replaying a million inserts again."""
    from engine_ext.reference import OrderBook

    after_setup = _snapshot_path(workload.setup, workload)
    if len(workload.setup) and after_setup.exists():
        book = OrderBook.restore(after_setup.read_bytes())
    else:
        book = OrderBook(tick_size=workload.tick_size, lot_size=workload.lot_size)
        if len(workload.setup):
            book.apply_batch(workload.setup)
    events, ends = book.apply_batch(workload.commands)
    assert len(ends) == len(workload.commands)
    if not len(workload.setup):
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        _snapshot_path(workload.commands, workload).write_bytes(book.snapshot())
    orders = book.orders()
    return Expected(
        state_hash=book.state_hash(),
        seq=book.seq,
        last_price=book.last_price,
        events_digest=digest(np.ascontiguousarray(events).tobytes()),
        n_events=len(events),
        n_rejected=int((events["kind"] == EventKind.REJECTED).sum()),
        resting=resting_of(orders),
    )


def load(workload: Workload) -> Expected:
    """`compute(workload)`, cached on disk."""
    ref_tag = f"ref{_reference_source_digest()[:12]}"
    path = CACHE_DIR / f"{workload.key}-{workload_digest(workload)[:16]}-{ref_tag}"
    meta, arrays = path.with_suffix(".json"), path.with_suffix(".npy")
    if meta.exists() and arrays.exists():
        fields = json.loads(meta.read_text())
        return Expected(
            state_hash=bytes.fromhex(fields["state_hash"]),
            seq=fields["seq"],
            last_price=fields["last_price"],
            events_digest=bytes.fromhex(fields["events_digest"]),
            n_events=fields["n_events"],
            n_rejected=fields["n_rejected"],
            resting=np.load(arrays),
        )
    expected = compute(workload)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    for stale in CACHE_DIR.glob("*"):  # answers of an older reference.py are never read again
        if not stale.stem.endswith(ref_tag):
            stale.unlink(missing_ok=True)
    np.save(arrays, expected.resting)
    meta.write_text(json.dumps({
        "state_hash": expected.state_hash.hex(),
        "seq": expected.seq,
        "last_price": expected.last_price,
        "events_digest": expected.events_digest.hex(),
        "n_events": expected.n_events,
        "n_rejected": expected.n_rejected,
    }))
    return expected
