"""The embedded ledger opens a data directory written by an older version of itself."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest

from engine_ext.codes import OrderType
from services.common.adapters.embedded.ledger import SCHEMA_VERSION, SqliteLedger
from services.common.ports import LARGEST_SUPPLY, OpenOrderLimits, PlaceOutcome, SupplyExceeded
from services.common.records import Balance, OrderRecord
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
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert "UNIQUE" not in conn.execute("SELECT sql FROM sqlite_master WHERE name = 'orders'").fetchone()[0]
        assert _indexes(conn) >= {"orders_unfinished", "orders_open_stops"}


def _a_stop(order_id: int) -> OrderRecord:
    return dataclasses.replace(an_order(order_id), order_type=OrderType.STOP_LOSS_LIMIT, stop_price=9)


def _indexes(conn: sqlite3.Connection) -> set[str]:
    return {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}


async def test_a_version_2_ledger_gets_the_index_that_counts_open_stop_orders(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    ledger = SqliteLedger(path)
    await ledger.deposit("usdt", 1, "USDT", 1_000)
    await ledger.place_order(_a_stop(1))
    await ledger.place_order(an_order(2, reserved=100))
    await ledger.close()
    with sqlite3.connect(path, isolation_level=None) as conn:  # as version 2 left it
        conn.execute("DROP INDEX orders_open_stops")
        conn.execute("PRAGMA user_version = 2")

    migrated = SqliteLedger(path)
    try:
        assert await migrated.open_order_counts(1, SYMBOL) == (2, 1)
        limits = OpenOrderLimits(orders=200, algo_orders=1)
        stop = _a_stop(3)
        assert (await migrated.place_order(stop, limits))[0] is PlaceOutcome.TOO_MANY_ALGO_ORDERS
    finally:
        await migrated.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
        assert "orders_open_stops" in _indexes(conn)


async def test_an_index_made_for_other_stop_types_is_made_again(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    ledger = SqliteLedger(path)
    await ledger.deposit("usdt", 1, "USDT", 1_000)
    await ledger.place_order(_a_stop(1))
    await ledger.close()
    with sqlite3.connect(path, isolation_level=None) as conn:  # as code with fewer stop types made it
        conn.execute("DROP INDEX orders_open_stops")
        older = "CREATE INDEX orders_open_stops ON orders (user_id, symbol) WHERE phase <> 2 AND order_type IN (3)"
        conn.execute(older)

    reopened = SqliteLedger(path)
    try:
        assert await reopened.open_order_counts(1, SYMBOL) == (1, 1)
    finally:
        await reopened.close()


async def test_a_ledger_from_before_the_supply_cap_counts_its_past_deposits_against_it(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    ledger = SqliteLedger(path)
    await ledger.deposit("in", 1, "BTC", LARGEST_SUPPLY - 5)
    await ledger.withdraw("out", 1, "BTC", 5)
    await ledger.close()
    with sqlite3.connect(path, isolation_level=None) as conn:  # as the code before the cap left it
        conn.execute("DROP TABLE net_transfers")

    reopened = SqliteLedger(path)
    try:
        assert await reopened.deposit("room", 2, "BTC", 10)  # 5 withdrawn + 5 never used
        with pytest.raises(SupplyExceeded):
            await reopened.deposit("beyond", 2, "BTC", 1)
        assert await reopened.net_deposits() == {"BTC": LARGEST_SUPPLY}
    finally:
        await reopened.close()


async def test_a_version_3_ledger_keeps_its_balances_and_starts_recording_when_they_change(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    ledger = SqliteLedger(path)
    await ledger.deposit("usdt", 1, "USDT", 1_000)
    await ledger.deposit("btc", 1, "BTC", 3)
    await ledger.close()
    with sqlite3.connect(path, isolation_level=None) as conn:  # as version 3 left it
        conn.execute("ALTER TABLE balances DROP COLUMN updated_ms")
        conn.execute("PRAGMA user_version = 3")

    migrated = SqliteLedger(path)
    try:
        assert [(b.asset, b.updated_ms) for b in await migrated.balances(1)] == [("BTC", 0), ("USDT", 0)]
        await migrated.place_order(an_order(1, reserved=100))
        (btc, usdt) = await migrated.balances(1)
        assert (btc, usdt) == (Balance("BTC", 3, 0), Balance("USDT", 900, 100))
        assert btc.updated_ms == 0 and usdt.updated_ms > 0
    finally:
        await migrated.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
