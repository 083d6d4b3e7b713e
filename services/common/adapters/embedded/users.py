"""The embedded UserStore: users and API keys in one SQLite file (WAL, synchronous=FULL, see
`_sqlite.py`), safe to share between processes (several user-service replicas, tradectl).

Uniqueness is the database's job, not a read-then-write in Python: `email UNIQUE` makes two
processes registering the same address at once end with one user and one AlreadyExists.

Every method is one short statement, but a commit fsyncs and a write may wait for another
process's lock (busy_timeout), so all SQL runs on threads owned by the store, never on the
event loop: one writer connection, and one reader so that a key lookup (each edge process
makes one per key at most every 2 s) is never queued behind a registration's fsync.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

from services.common.adapters.embedded._sqlite import Worker, write_transaction
from services.common.ports import AlreadyExists, ApiKeyRecord, ListenKeyRecord, UserRecord

SCHEMA_VERSION = 2

_Row = tuple[Any, ...]  # what sqlite3 returns; typed by the column lists below

_SCHEMA = """
-- AUTOINCREMENT: ids are never reused, even after the newest user is deleted, because the
-- ledger keys balances by user id. They start at 1: 0 is the fee account.
-- (No semicolons in comments: the schema is split on them.)
CREATE TABLE users (
    user_id       INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    created_ms    INTEGER NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1))
);

CREATE TABLE api_keys (
    api_key           TEXT    PRIMARY KEY,
    user_id           INTEGER NOT NULL REFERENCES users (user_id),
    secret_ciphertext BLOB    NOT NULL,
    label             TEXT    NOT NULL,
    permissions       TEXT    NOT NULL,  -- comma-separated names
    created_ms        INTEGER NOT NULL,
    revoked           INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))
) WITHOUT ROWID;

CREATE INDEX api_keys_by_user ON api_keys (user_id, created_ms);

PRAGMA user_version = 1;
"""

# Each step takes the schema from version N to N + 1 (index N - 1); a store of an older version
# is brought up to date at open, in the same transaction that reads its version.
_MIGRATIONS = (
    # 2: listenKeys, one per user, shared by every user-service process (they were in memory)
    """
    CREATE TABLE listen_keys (
        user_id    INTEGER PRIMARY KEY REFERENCES users (user_id),
        listen_key TEXT    NOT NULL,
        expires_ms INTEGER NOT NULL
    );
    PRAGMA user_version = 2;
    """,
)

_USER_SELECT = "SELECT user_id, email, password_hash, created_ms, is_admin FROM users"
_KEY_SELECT = "SELECT api_key, user_id, secret_ciphertext, label, permissions, created_ms, revoked FROM api_keys"


class SqliteUserStore:
    def __init__(self, path: Path) -> None:
        """Opens (creating if needed) the store's file; blocking, so call it at start-up."""
        self._writer = Worker(Path(path), "users-write")
        self._writer.call(_create_schema)
        self._reader = Worker(Path(path), "users-read")

    async def close(self) -> None:
        await asyncio.to_thread(self._reader.close)
        await asyncio.to_thread(self._writer.close)

    # -- users ------------------------------------------------------------------------------

    async def create_user(self, email: str, password_hash: str, created_ms: int, is_admin: bool = False) -> UserRecord:
        return await self._writer.run(_create_user, email, password_hash, created_ms, is_admin)

    async def user_by_email(self, email: str) -> UserRecord | None:
        row = await self._reader.run(_one, f"{_USER_SELECT} WHERE email = ?", (email,))
        return _user(row) if row else None

    async def user_by_id(self, user_id: int) -> UserRecord | None:
        row = await self._reader.run(_one, f"{_USER_SELECT} WHERE user_id = ?", (user_id,))
        return _user(row) if row else None

    # -- API keys ---------------------------------------------------------------------------

    async def add_api_key(self, key: ApiKeyRecord) -> None:
        await self._writer.run(_add_api_key, key)

    async def api_key(self, api_key: str) -> ApiKeyRecord | None:
        row = await self._reader.run(_one, f"{_KEY_SELECT} WHERE api_key = ?", (api_key,))
        return _key(row) if row else None

    async def api_keys(self, user_id: int) -> list[ApiKeyRecord]:
        rows = await self._reader.run(_all, f"{_KEY_SELECT} WHERE user_id = ? ORDER BY created_ms, api_key", (user_id,))
        return [_key(row) for row in rows]

    async def revoke_api_key(self, user_id: int, api_key: str) -> bool:
        return await self._writer.run(_revoke_api_key, user_id, api_key)

    # -- listen keys ------------------------------------------------------------------------

    async def listen_key(self, user_id: int) -> ListenKeyRecord | None:
        row = await self._reader.run(_one, "SELECT listen_key, expires_ms FROM listen_keys WHERE user_id = ?",
                                     (user_id,))
        return ListenKeyRecord(str(row[0]), int(row[1])) if row else None

    async def swap_listen_key(self, user_id: int, expected: str | None, new: ListenKeyRecord | None) -> bool:
        return await self._writer.run(_swap_listen_key, user_id, expected, new)


# -- statements (run on the store's threads) -------------------------------------------------


def _create_schema(conn: sqlite3.Connection) -> None:
    with write_transaction(conn):  # two processes starting together: one creates, one sees it
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RuntimeError(f"user store schema version {version}, this code knows {SCHEMA_VERSION}")
        # not executescript(): it would COMMIT first and break the transaction
        for script in (_SCHEMA, *_MIGRATIONS)[version:]:
            for statement in script.split(";"):
                if statement.strip():
                    conn.execute(statement)


def _create_user(
    conn: sqlite3.Connection, email: str, password_hash: str, created_ms: int, is_admin: bool
) -> UserRecord:
    try:
        with write_transaction(conn):
            user_id: int = conn.execute(
                "INSERT INTO users (email, password_hash, created_ms, is_admin) VALUES (?, ?, ?, ?) RETURNING user_id",
                (email, password_hash, created_ms, int(is_admin)),
            ).fetchone()[0]
    except sqlite3.IntegrityError:  # the UNIQUE email: the only constraint a valid row can break
        raise AlreadyExists(email) from None
    return UserRecord(user_id, email, password_hash, created_ms, is_admin)


def _add_api_key(conn: sqlite3.Connection, key: ApiKeyRecord) -> None:
    try:
        with write_transaction(conn):
            conn.execute(
                "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    key.api_key,
                    key.user_id,
                    key.secret_ciphertext,
                    key.label,
                    ",".join(key.permissions),
                    key.created_ms,
                    int(key.revoked),
                ),
            )
    except sqlite3.IntegrityError:  # the key is the primary key
        raise AlreadyExists(f"API key {key.api_key[:8]}...") from None


def _revoke_api_key(conn: sqlite3.Connection, user_id: int, api_key: str) -> bool:
    # Scoped to the owner: a user can only ever revoke their own keys. Revoking twice is False
    # the second time, so callers can tell "revoked now" from "was not live".
    with write_transaction(conn):
        changed = conn.execute(
            "UPDATE api_keys SET revoked = 1 WHERE api_key = ? AND user_id = ? AND revoked = 0", (api_key, user_id)
        ).rowcount
    return bool(changed)


def _swap_listen_key(
    conn: sqlite3.Connection, user_id: int, expected: str | None, new: ListenKeyRecord | None
) -> bool:
    with write_transaction(conn):
        row = conn.execute("SELECT listen_key FROM listen_keys WHERE user_id = ?", (user_id,)).fetchone()
        if (row[0] if row else None) != expected:
            return False
        if new is None:
            conn.execute("DELETE FROM listen_keys WHERE user_id = ?", (user_id,))
        else:
            conn.execute(
                "INSERT OR REPLACE INTO listen_keys VALUES (?, ?, ?)", (user_id, new.listen_key, new.expires_ms)
            )
    return True


def _one(conn: sqlite3.Connection, sql: str, params: tuple[object, ...]) -> _Row | None:
    row: _Row | None = conn.execute(sql, params).fetchone()
    return row


def _all(conn: sqlite3.Connection, sql: str, params: tuple[object, ...]) -> list[_Row]:
    return conn.execute(sql, params).fetchall()


def _user(row: _Row) -> UserRecord:
    user_id, email, password_hash, created_ms, is_admin = row
    return UserRecord(int(user_id), str(email), str(password_hash), int(created_ms), bool(is_admin))


def _key(row: _Row) -> ApiKeyRecord:
    api_key, user_id, secret, label, permissions, created_ms, revoked = row
    return ApiKeyRecord(
        api_key=str(api_key),
        user_id=int(user_id),
        secret_ciphertext=bytes(secret),
        label=str(label),
        permissions=tuple(p for p in str(permissions).split(",") if p),
        created_ms=int(created_ms),
        revoked=bool(revoked),
    )
