"""The embedded ledger opens a data directory written by an older version of itself."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from services.common.adapters.embedded.ledger import SqliteLedger
from services.common.ports import PlaceOutcome
from services.common.records import Balance
from tests.contract.builders import SYMBOL, an_order


def _as_version_1(path: Path) -> None:
    """Give the orders table back version 1's lifelong UNIQUE client order id."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        (table,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'orders'").fetchone()
        conn.execute("BEGIN")
        conn.execute(
            table.replace("CREATE TABLE orders (", "CREATE TABLE orders_v1 (").replace(
                "working_ms      INTEGER NOT NULL",
                "working_ms      INTEGER NOT NULL,\n    UNIQUE (user_id, symbol, client_order_id)",
            )
        )
        conn.execute("INSERT INTO orders_v1 SELECT * FROM orders")
        conn.execute("DROP TABLE orders")
        conn.execute("ALTER TABLE orders_v1 RENAME TO orders")
        conn.execute("PRAGMA user_version = 1")
        conn.execute("COMMIT")
    finally:
        conn.close()


async def test_a_version_1_ledger_keeps_its_orders_and_frees_the_ids_of_finished_ones(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    ledger = SqliteLedger(path)
    await ledger.deposit("usdt", 1, "USDT", 1_000)
    open_order = an_order(1, reserved=100, client_order_id="open")
    await ledger.place_order(open_order)
    await ledger.close()
    _as_version_1(path)
    with sqlite3.connect(path) as conn:
        assert "UNIQUE" in conn.execute("SELECT sql FROM sqlite_master WHERE name = 'orders'").fetchone()[0]

    migrated = SqliteLedger(path)
    try:
        assert await migrated.get_order(SYMBOL, 1) == open_order
        assert await migrated.balances(1) == [Balance("USDT", 900, 100)]
        outcome, _ = await migrated.place_order(an_order(2, reserved=100, client_order_id="open"))
        assert outcome is PlaceOutcome.DUPLICATE
        assert (await migrated.place_order(an_order(3, reserved=100)))[0] is PlaceOutcome.PLACED
    finally:
        await migrated.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
        assert "UNIQUE" not in conn.execute("SELECT sql FROM sqlite_master WHERE name = 'orders'").fetchone()[0]
