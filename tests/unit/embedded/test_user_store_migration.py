"""The embedded user store opens a file of an older schema and brings it up to date in place."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from services.common.adapters.embedded.users import SCHEMA_VERSION, SqliteUserStore
from services.common.ports import ListenKeyRecord


async def test_a_version_1_store_gains_listen_keys_and_keeps_its_users(tmp_path: Path) -> None:
    path = tmp_path / "users.sqlite"
    store = SqliteUserStore(path)
    alice = await store.create_user("alice@example.com", "h", 1)
    await store.close()
    with sqlite3.connect(path) as conn:  # what a store written before listenKeys were kept looks like
        conn.execute("DROP TABLE listen_keys")
        conn.execute("PRAGMA user_version = 1")

    store = SqliteUserStore(path)
    try:
        assert await store.user_by_id(alice.user_id) == alice
        assert await store.swap_listen_key(alice.user_id, None, ListenKeyRecord("k" * 60, 5))
        assert await store.listen_key(alice.user_id) == ListenKeyRecord("k" * 60, 5)
    finally:
        await store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
