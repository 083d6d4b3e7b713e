"""Binary records of the matching journal (`engine.commands`) and event stream (`engine.events`).

Both carry the engine's packed NumPy records unchanged (engine_ext/events.py), so encoding a
batch is one `tobytes()` and decoding is one `frombuffer()`: the journal's cost is the disk,
not Python. Layouts are little-endian and versioned by their magic.

Journal record (one per group-committed batch of one shard):
    b"JRN2", int64 time_ms, int64 epoch, int32 n_symbols, int32 n; the symbol table
    (n_symbols times uint16 length + utf-8 name); n uint16 indexes into the table (whose book
    each command is for); n COMMAND_DTYPE records. The table keeps a record self-contained, so
    a replay needs nothing but the log. `epoch` is the writer's (see Epoch claim); b"JRN1"
    records (written before epochs existed: no epoch field) decode with epoch 0.
Epoch claim (appended by a shard when it takes over the journal, see shard.py "Fencing"):
    b"CLM1", int64 time_ms, int64 epoch, int64 writer (random per shard instance: tells a
    shard its own claims from another process's claim of the same number).
Event record (one per symbol per batch):
    b"EVT1", int64 time_ms, int64 first_seq, int64 last_seq, uint16 len + symbol utf-8,
    then EVENT_DTYPE records.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from engine_ext.events import COMMAND_DTYPE, EVENT_DTYPE

_JOURNAL_V1 = struct.Struct("<4sqii")  # magic, time_ms, n_symbols, n_commands
_JOURNAL = struct.Struct("<4sqqii")  # magic, time_ms, epoch, n_symbols, n_commands
_CLAIM = struct.Struct("<4sqqq")  # magic, time_ms, epoch, writer
_EVENTS = struct.Struct("<4sqqqH")  # magic, time_ms, first_seq, last_seq, symbol length


@dataclass(frozen=True, slots=True)
class CommandBatch:
    time_ms: int
    symbols: list[str]  # per command
    commands: np.ndarray  # COMMAND_DTYPE, same length as symbols
    epoch: int = 0  # the writer's epoch


@dataclass(frozen=True, slots=True)
class EpochClaim:
    """A shard taking over its journal: records of lower epochs after this one are void."""

    time_ms: int
    epoch: int
    writer: int


def encode_claim(claim: EpochClaim) -> bytes:
    return _CLAIM.pack(b"CLM1", claim.time_ms, claim.epoch, claim.writer)


def decode_journal(data: bytes) -> CommandBatch | EpochClaim:
    """A journal record: a command batch or an epoch claim."""
    if data[:4] == b"CLM1":
        _magic, time_ms, epoch, writer = _CLAIM.unpack_from(data)
        return EpochClaim(time_ms, epoch, writer)
    return decode_commands(data)


def encode_commands(batch: CommandBatch) -> bytes:
    table = sorted(set(batch.symbols))
    index = {name: i for i, name in enumerate(table)}
    names = b"".join(struct.pack("<H", len(n.encode())) + n.encode() for n in table)
    owners = np.fromiter((index[s] for s in batch.symbols), dtype="<u2", count=len(batch.symbols))
    return (
        _JOURNAL.pack(b"JRN2", batch.time_ms, batch.epoch, len(table), len(batch.symbols))
        + names
        + owners.tobytes()
        + np.ascontiguousarray(batch.commands, dtype=COMMAND_DTYPE).tobytes()
    )


def decode_commands(data: bytes) -> CommandBatch:
    magic = data[:4]
    if magic == b"JRN2":
        _magic, time_ms, epoch, n_symbols, n = _JOURNAL.unpack_from(data)
        pos = _JOURNAL.size
    elif magic == b"JRN1":
        _magic, time_ms, n_symbols, n = _JOURNAL_V1.unpack_from(data)
        epoch, pos = 0, _JOURNAL_V1.size
    else:
        raise ValueError(f"not a command batch: {magic!r}")
    table = []
    for _ in range(n_symbols):
        (length,) = struct.unpack_from("<H", data, pos)
        table.append(data[pos + 2 : pos + 2 + length].decode())
        pos += 2 + length
    owners = np.frombuffer(data, dtype="<u2", count=n, offset=pos)
    pos += 2 * n
    commands = np.frombuffer(data, dtype=COMMAND_DTYPE, count=n, offset=pos)
    return CommandBatch(time_ms, [table[i] for i in owners.tolist()], commands, epoch)


@dataclass(frozen=True, slots=True)
class EventRecord:
    symbol: str
    time_ms: int
    first_seq: int
    last_seq: int
    events: np.ndarray  # EVENT_DTYPE


def encode_events(record: EventRecord) -> bytes:
    name = record.symbol.encode()
    header = _EVENTS.pack(b"EVT1", record.time_ms, record.first_seq, record.last_seq, len(name))
    return header + name + np.ascontiguousarray(record.events, dtype=EVENT_DTYPE).tobytes()


def decode_events(data: bytes, *, header_only: bool = False) -> EventRecord:
    magic, time_ms, first_seq, last_seq, length = _EVENTS.unpack_from(data)
    if magic != b"EVT1":
        raise ValueError(f"not an event record: {magic!r}")
    pos = _EVENTS.size
    symbol = data[pos : pos + length].decode()
    pos += length
    events = np.empty(0, dtype=EVENT_DTYPE) if header_only else np.frombuffer(data, dtype=EVENT_DTYPE, offset=pos)
    return EventRecord(symbol, time_ms, first_seq, last_seq, events)
