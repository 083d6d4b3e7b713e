"""The embedded SnapshotStore: one file per symbol, `<directory>/<symbol>.snapshot`.

A file holds a header (magic, journal offset, length, CRC-32 of the data) and the book's bytes,
so the offset can never be paired with the wrong book. It is replaced atomically:
1. write `<symbol>.snapshot.tmp` and fsync it — the new bytes are on disk before anyone can
   see them under the real name;
2. rename it over `<symbol>.snapshot` — atomic: a reader or a crash sees the old file or the
   new one, never a mix;
3. fsync the directory — makes the rename itself durable, so `save` returning means a crash
   cannot bring the old snapshot back.
A fixed tmp name is enough because each book has one writer (its matching shard); a tmp left
by a crash is simply overwritten by the next save.
The CRC catches what the file system cannot promise (bit rot, a copy cut short): a bad file
raises rather than silently restoring a wrong book.
"""

from __future__ import annotations

import asyncio
import os
import struct
import zlib
from pathlib import Path

from services.common.adapters.embedded._sqlite import fsync_directory, make_durable_directory, safe_file_name

_MAGIC = b"SPXSNAP1"
_HEADER = struct.Struct("<8sqQI")  # magic, journal offset, data length, crc32 of data


class CorruptSnapshot(ValueError):
    pass


class FileSnapshotStore:
    def __init__(self, directory: Path) -> None:
        self._directory = Path(directory)

    async def save(self, symbol: str, journal_offset: int, data: bytes) -> None:
        await asyncio.to_thread(self._save, self._path(symbol), journal_offset, bytes(data))

    async def load(self, symbol: str) -> tuple[int, bytes] | None:
        return await asyncio.to_thread(_load, self._path(symbol))

    async def close(self) -> None:
        """Nothing is held open; here so every store closes the same way."""

    def _path(self, symbol: str) -> Path:
        return self._directory / f"{safe_file_name(symbol, 'symbol')}.snapshot"

    def _save(self, path: Path, journal_offset: int, data: bytes) -> None:
        make_durable_directory(self._directory)
        tmp = path.with_name(path.name + ".tmp")
        header = _HEADER.pack(_MAGIC, journal_offset, len(data), zlib.crc32(data))
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            _write_all(fd, header)
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        fsync_directory(self._directory)


def _load(path: Path) -> tuple[int, bytes] | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    if len(raw) < _HEADER.size:
        raise CorruptSnapshot(f"{path}: shorter than its header")
    magic, journal_offset, length, crc = _HEADER.unpack_from(raw)
    data = raw[_HEADER.size :]
    if magic != _MAGIC or length != len(data) or zlib.crc32(data) != crc:
        raise CorruptSnapshot(f"{path}: bad header or checksum")
    return journal_offset, data


def _write_all(fd: int, buffer: bytes) -> None:
    view = memoryview(buffer)
    while view:
        view = view[os.write(fd, view) :]
