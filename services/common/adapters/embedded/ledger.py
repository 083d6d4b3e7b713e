"""The embedded Ledger: balances, deposits/withdrawals, orders, trades and settlement
watermarks in one SQLite file (WAL, synchronous=FULL; see `_sqlite.py`).

Several processes write it at once (order, user, tradeproc). Every write operation below runs
inside a `BEGIN IMMEDIATE` transaction taken by the `Writer`, so each multi-step rule (dedupe
+ reserve + insert; watermark + deltas + orders + trades) is atomic with respect to every
other process and to a crash, and a second process waits its turn (`busy_timeout`) instead of
failing. Operations queued together in this process share one transaction and one fsync
(group commit), each in its own savepoint, so one that raises is undone alone.

The event loop never blocks: SQL, fsyncs and lock waits run on the ledger's two threads (the
Writer's, and a Worker with a second connection for queries, which WAL lets read the last
committed state while a commit is in flight). Operations are a handful of indexed statements,
so the lock is never held long. The two point reads of the order path (a user's balances and
open-order counts, ~20 us) run on the event loop itself (`QuickReader`), handed to the Worker
only if SQLite reports the database busy.

Money can never go negative: `balances` has CHECK(available >= 0 AND locked >= 0) and the
code only ever adds signed amounts to it, so a bug elsewhere surfaces as an error and a
rolled-back operation, never as a silently clamped balance.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from enum import IntEnum
from operator import attrgetter
from pathlib import Path
from typing import Any

from engine_ext.codes import STOP_TYPES, OrderStatus, OrderType, SelfTradePrevention, Side, TimeInForce
from services.common.adapters.embedded._sqlite import QuickReader, Worker, Writer, read_transaction
from services.common.ports import LARGEST_SUPPLY, InsufficientFunds, OpenOrderLimits, PlaceOutcome, SupplyExceeded
from services.common.records import Balance, OrderPhase, OrderRecord, Settlement, TradeRecord

# 2: client order ids unique among unfinished orders only (was: forever)
# 3: index orders_open_stops, so MAX_NUM_ALGO_ORDERS is counted without reading order rows
# 4: balances.updated_ms, when each balance last changed (the account's updateTime)
SCHEMA_VERSION = 4

# Partial indexes only serve queries whose WHERE repeats their condition literally, which is
# why the phase values appear as literals in the SQL below, not as parameters.
_DONE = int(OrderPhase.DONE)
_PENDING = int(OrderPhase.PENDING)
_STOP_TYPES = f"({', '.join(str(int(t)) for t in sorted(STOP_TYPES))})"

_ORDER_COLUMNS_SQL = """
    order_id        INTEGER PRIMARY KEY,
    symbol          TEXT    NOT NULL,
    user_id         INTEGER NOT NULL,
    client_order_id TEXT    NOT NULL,
    side            INTEGER NOT NULL,
    order_type      INTEGER NOT NULL,
    tif             INTEGER NOT NULL,
    stp             INTEGER NOT NULL,
    price           INTEGER NOT NULL,
    qty             INTEGER NOT NULL,
    quote_qty       INTEGER NOT NULL,
    stop_price      INTEGER NOT NULL,
    cap             INTEGER NOT NULL,
    reserved_asset  TEXT    NOT NULL,
    reserved        INTEGER NOT NULL CHECK (reserved >= 0),
    created_ms      INTEGER NOT NULL,
    updated_ms      INTEGER NOT NULL,
    status          INTEGER NOT NULL,
    phase           INTEGER NOT NULL,
    filled          INTEGER NOT NULL,
    cum_quote       INTEGER NOT NULL,
    working_ms      INTEGER NOT NULL
"""

_OPEN_STOPS_INDEX = (
    f"CREATE INDEX orders_open_stops ON orders (user_id, symbol) WHERE phase <> {_DONE} AND order_type IN {_STOP_TYPES}"
)
# Binance: a client order id is "unique among open orders"; once its order is done, the id may
# be used again, and a lookup by it finds the newest order that had it.
_ORDER_INDEXES = f"""
CREATE INDEX orders_by_user ON orders (user_id, symbol, order_id);
CREATE INDEX orders_unfinished ON orders (user_id, symbol, order_id) WHERE phase <> {_DONE};
CREATE INDEX orders_pending ON orders (order_id) WHERE phase = {_PENDING};
CREATE UNIQUE INDEX orders_open_client_id ON orders (user_id, symbol, client_order_id) WHERE phase <> {_DONE};
CREATE INDEX orders_by_client_id ON orders (user_id, symbol, client_order_id, order_id)"""

_SCHEMA = f"""
CREATE TABLE balances (
    user_id   INTEGER NOT NULL,
    asset     TEXT    NOT NULL,
    available INTEGER NOT NULL DEFAULT 0,
    locked    INTEGER NOT NULL DEFAULT 0,
    updated_ms INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, asset),
    CHECK (available >= 0 AND locked >= 0)
) WITHOUT ROWID;

-- deposits and withdrawals: the primary key makes each tx_id count once
CREATE TABLE transfers (
    tx_id   TEXT    PRIMARY KEY,
    kind    TEXT    NOT NULL CHECK (kind IN ('deposit', 'withdrawal')),
    user_id INTEGER NOT NULL,
    asset   TEXT    NOT NULL,
    amount  INTEGER NOT NULL CHECK (amount > 0)
) WITHOUT ROWID;

CREATE TABLE orders ({_ORDER_COLUMNS_SQL});
{_ORDER_INDEXES};

-- one row per side of a fill: the key makes a replayed trade fail instead of doubling
CREATE TABLE trades (
    symbol           TEXT    NOT NULL,
    trade_id         INTEGER NOT NULL,
    is_buyer         INTEGER NOT NULL,
    order_id         INTEGER NOT NULL,
    user_id          INTEGER NOT NULL,
    counter_order_id INTEGER NOT NULL,
    price            INTEGER NOT NULL,
    qty              INTEGER NOT NULL,
    quote_qty        INTEGER NOT NULL,
    commission       INTEGER NOT NULL,
    commission_asset TEXT    NOT NULL,
    is_maker         INTEGER NOT NULL,
    time_ms          INTEGER NOT NULL,
    PRIMARY KEY (symbol, trade_id, is_buyer)
) WITHOUT ROWID;
CREATE INDEX trades_by_user ON trades (user_id, symbol, trade_id);
CREATE INDEX trades_by_order ON trades (order_id);

-- the last engine event seq settled per symbol (exactly-once settlement)
CREATE TABLE watermarks (symbol TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;

CREATE TABLE sequences (name TEXT PRIMARY KEY, next_value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO sequences VALUES ('order_id', 1)
"""

# Rows <-> records: the column lists come from the records, so a new field fails loudly
# (no such column) instead of being silently dropped.
_ORDER_COLUMNS = [f.name for f in fields(OrderRecord)]
_ORDER_ENUMS: dict[str, type[IntEnum]] = {
    "side": Side, "order_type": OrderType, "tif": TimeInForce, "stp": SelfTradePrevention,
    "status": OrderStatus, "phase": OrderPhase,
}
_ORDER_SELECT = f"SELECT {', '.join(_ORDER_COLUMNS)} FROM orders"
_ORDER_VALUES = attrgetter(*_ORDER_COLUMNS)
_IMMUTABLE_ORDER_COLUMNS = {"order_id", "symbol", "user_id", "client_order_id", "created_ms"}
_ORDER_UPSERT = (
    f"INSERT INTO orders ({', '.join(_ORDER_COLUMNS)}) VALUES ({', '.join('?' * len(_ORDER_COLUMNS))}) "
    "ON CONFLICT (order_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _ORDER_COLUMNS if c not in _IMMUTABLE_ORDER_COLUMNS)
)
_ORDER_INSERT = _ORDER_UPSERT.split(" ON CONFLICT")[0]

_TRADE_COLUMNS = [f.name for f in fields(TradeRecord)]
_TRADE_SELECT = f"SELECT {', '.join(_TRADE_COLUMNS)} FROM trades"
_TRADE_VALUES = attrgetter(*_TRADE_COLUMNS)
_TRADE_INSERT = f"INSERT INTO trades ({', '.join(_TRADE_COLUMNS)}) VALUES ({', '.join('?' * len(_TRADE_COLUMNS))})"

_IN_CHUNK = 500  # ids per `IN (...)`: far below SQLite's bound-parameter limit
_QUICK_ORDERS = 32  # get_orders of up to this many ids runs on the event loop (~8 us per id)


class SettlementOutOfOrder(ValueError):
    """A settlement that neither continues the symbol's watermark nor repeats an applied one."""


class TransferConflict(ValueError):
    """A tx_id reused for a different transfer: the caller has two meanings for one id."""


class SqliteLedger:
    def __init__(self, path: Path) -> None:
        """Opens (creating if needed) the ledger file; blocking, so call it at start-up."""
        self._writer = Writer(Path(path), "ledger-write")
        self._writer.call(_create_schema)
        self._reader = Worker(Path(path), "ledger-read")
        self._quick = QuickReader(Path(path), self._reader)  # point reads on the order path

    async def close(self) -> None:
        self._quick.close()
        await asyncio.to_thread(self._reader.close)
        await asyncio.to_thread(self._writer.close)

    # -- deposits and withdrawals ---------------------------------------------------------------
    async def deposit(self, tx_id: str, user_id: int, asset: str, amount: int) -> bool:
        """Raises TransferConflict if tx_id was used for a different transfer."""
        _check_positive(amount, tx_id)
        return await self._writer.run(_transfer, "deposit", tx_id, user_id, asset, amount)

    async def withdraw(self, tx_id: str, user_id: int, asset: str, amount: int) -> bool:
        """Raises TransferConflict if tx_id was used for a different transfer."""
        _check_positive(amount, tx_id)
        return await self._writer.run(_transfer, "withdrawal", tx_id, user_id, asset, amount)

    async def balances(self, user_id: int) -> list[Balance]:
        rows = await self._quick.run(_fetch, "SELECT asset, available, locked, updated_ms FROM balances"
                                     " WHERE user_id = ? ORDER BY asset", (user_id,))
        return [Balance(*row) for row in rows]

    async def all_balances(self) -> dict[int, list[Balance]]:
        return await self._reader.run(_all_balances)

    async def net_deposits(self) -> dict[str, int]:
        return await self._reader.run(_net_deposits)

    async def audit_snapshot(self) -> tuple[dict[int, list[Balance]], dict[str, int], list[OrderRecord]]:
        """Balances, net deposits and unfinished orders read in one read transaction, so a
        deposit or settlement landing between separate reads cannot look like a violation."""
        return await self._reader.run(_audit_snapshot)

    # -- orders ---------------------------------------------------------------------------------
    async def pin_units(self, units: Mapping[str, str]) -> dict[str, str]:
        return await self._writer.run(_pin_units, dict(units))

    async def allocate_order_ids(self, count: int) -> range:
        if count < 1:
            raise ValueError(f"allocate at least one order id, not {count}")
        return await self._writer.run(_allocate_order_ids, count)

    async def place_order(
        self, order: OrderRecord, limits: OpenOrderLimits | None = None
    ) -> tuple[PlaceOutcome, OrderRecord]:
        """Returns the stored order when DUPLICATE, otherwise `order` itself. Client order ids
        are unique per (user, symbol) among unfinished orders (the partial unique index). The
        limits are counted inside the write transaction: one writer, so no order slips in between."""
        if order.reserved < 0:
            raise ValueError(f"order {order.order_id}: negative reservation {order.reserved}")
        # the row is taken here, on the caller's side: the record may change once we return
        outcome, existing = await self._writer.run(_place_order, _ORDER_VALUES(order), limits)
        return outcome, order if existing is None else _order(existing)

    async def get_order(self, symbol: str, order_id: int) -> OrderRecord | None:
        rows = await self._reader.run(_fetch, f"{_ORDER_SELECT} WHERE order_id = ? AND symbol = ?",
                                      (order_id, symbol))
        return _order(rows[0]) if rows else None

    async def get_order_by_client_id(self, user_id: int, symbol: str, client_order_id: str) -> OrderRecord | None:
        rows = await self._reader.run(
            _fetch,
            f"{_ORDER_SELECT} WHERE user_id = ? AND symbol = ? AND client_order_id = ? ORDER BY order_id DESC LIMIT 1",
            (user_id, symbol, client_order_id),
        )
        return _order(rows[0]) if rows else None

    async def get_orders(self, symbol: str, order_ids: Sequence[int]) -> dict[int, OrderRecord]:
        # trade processing's read before every settlement: a few orders are a point read
        runner = self._quick if len(order_ids) <= _QUICK_ORDERS else self._reader
        return await runner.run(_get_orders, symbol, list(order_ids))

    async def open_orders(self, user_id: int, symbol: str | None) -> list[OrderRecord]:
        """PENDING and LIVE orders (everything not DONE), oldest first."""
        by_symbol = "" if symbol is None else "AND symbol = ? "
        params = (user_id,) if symbol is None else (user_id, symbol)
        sql = f"{_ORDER_SELECT} WHERE user_id = ? {by_symbol}AND phase <> {_DONE} ORDER BY order_id"
        return [_order(row) for row in await self._reader.run(_fetch, sql, params)]

    async def pending_orders(self) -> list[OrderRecord]:
        rows = await self._reader.run(_fetch, f"{_ORDER_SELECT} WHERE phase = {_PENDING} ORDER BY order_id", ())
        return [_order(row) for row in rows]

    async def open_order_counts(self, user_id: int, symbol: str) -> tuple[int, int]:
        """Unfinished orders (PENDING and LIVE, as `open_orders`), and how many of them are stop
        types (Binance counts a triggered stop-limit as an algo order until it is done)."""
        return await self._quick.run(_open_order_counts, user_id, symbol)

    async def list_orders(
        self, user_id: int, symbol: str, from_order_id: int | None, start_ms: int | None, end_ms: int | None, limit: int
    ) -> list[OrderRecord]:
        """Binance's allOrders: from `from_order_id` (or `start_ms`) onwards when given,
        otherwise the most recent `limit`; either way oldest first. Times are inclusive."""
        rows = await self._reader.run(
            _history, _ORDER_SELECT, ("order_id",), "created_ms", {"user_id": user_id, "symbol": symbol},
            _Page(from_order_id, start_ms, end_ms, limit),
        )
        return [_order(row) for row in rows]

    # -- settlement -------------------------------------------------------------------------------
    async def settled_seq(self, symbol: str) -> int:
        rows = await self._reader.run(_fetch, "SELECT seq FROM watermarks WHERE symbol = ?", (symbol,))
        return int(rows[0][0]) if rows else 0

    async def apply_settlement(self, settlement: Settlement) -> bool:
        """Raises SettlementOutOfOrder (a ValueError) if the watermark is neither from_seq - 1 nor
        >= to_seq, InsufficientFunds if a delta would make a balance negative; either way
        nothing of the settlement is applied."""
        if not 1 <= settlement.from_seq <= settlement.to_seq:
            raise ValueError(f"settlement seqs {settlement.from_seq}..{settlement.to_seq} are not a range")
        deltas = [(user, asset, d.available, d.locked) for (user, asset), d in settlement.balances.items()
                  if d.available or d.locked]
        return await self._writer.run(
            _apply_settlement, settlement.symbol, settlement.from_seq, settlement.to_seq, settlement.time_ms, deltas,
            [_ORDER_VALUES(order) for order in settlement.orders.values()],
            [_TRADE_VALUES(trade) for trade in settlement.trades],
        )

    async def list_trades(
        self, user_id: int, symbol: str, order_id: int | None, from_id: int | None,
        start_ms: int | None, end_ms: int | None, limit: int,
    ) -> list[TradeRecord]:
        """Binance's myTrades: the same paging rule as `list_orders`, by trade id."""
        filters: dict[str, object] = {"user_id": user_id, "symbol": symbol}
        if order_id is not None:
            filters["order_id"] = order_id
        rows = await self._reader.run(
            _history, _TRADE_SELECT, ("trade_id", "is_buyer"), "time_ms", filters,  # a self-trade has 2 sides
            _Page(from_id, start_ms, end_ms, limit),
        )
        return [_trade(row) for row in rows]


def _check_positive(amount: int, tx_id: str) -> None:
    if amount <= 0:
        raise ValueError(f"transfer {tx_id}: amount {amount} must be positive")


# -- write operations: run by the Writer inside its transaction, one savepoint each ---------


# The audit sums the transfers themselves, not net_transfers: its check stays independent of
# the running total the supply cap keeps.
_NET = "SUM(CASE kind WHEN 'deposit' THEN amount ELSE -amount END)"


def _create_schema(conn: sqlite3.Connection) -> None:
    # in the Writer's BEGIN IMMEDIATE: of two processes starting together, one creates the
    # tables and the other then sees the current version
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == 0:
        _run_script(conn, _SCHEMA)
    elif version == 1:
        _run_script(conn, _TO_VERSION_2)
    elif version > SCHEMA_VERSION:
        raise RuntimeError(f"ledger schema version {version}, this code knows {SCHEMA_VERSION}")
    # version 3 added the index made below; version 4 the time each balance last changed
    if not any(column[1] == "updated_ms" for column in conn.execute("PRAGMA table_info(balances)")):
        conn.execute("ALTER TABLE balances ADD COLUMN updated_ms INTEGER NOT NULL DEFAULT 0")
    _make_stop_index(conn)
    # Each asset's deposits less withdrawals, kept with every transfer: a deposit checks the
    # supply cap against it without summing the asset's whole transfer history under the write
    # lock. Made (and filled from that history) the first time a file is opened by this code.
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'net_transfers'").fetchone() is None:
        conn.execute("CREATE TABLE net_transfers (asset TEXT PRIMARY KEY, net INTEGER NOT NULL) WITHOUT ROWID")
        conn.execute(f"INSERT INTO net_transfers SELECT asset, {_NET} FROM transfers GROUP BY asset")
    # the units stored amounts count in (Ledger.pin_units)
    conn.execute("CREATE TABLE IF NOT EXISTS units (name TEXT PRIMARY KEY, unit TEXT NOT NULL) WITHOUT ROWID")
    if version != SCHEMA_VERSION:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _make_stop_index(conn: sqlite3.Connection) -> None:
    """orders_open_stops as this code defines it. It lists the stop order types in its WHERE
    clause, and the count of _OPEN_STOPS must repeat them to use the index it names: missing
    (older files) or made by code with other stop types, it is made now (otherwise every such
    count would fail with 'no query solution')."""
    row = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'orders_open_stops'").fetchone()
    if row is not None and f"order_type IN {_STOP_TYPES}" in row[0]:
        return
    if row is not None:
        conn.execute("DROP INDEX orders_open_stops")
    conn.execute(_OPEN_STOPS_INDEX)


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    # not executescript(): it would COMMIT first and break the transaction (hence no
    # semicolons inside the scripts' comments)
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


# Version 1 declared the client order id UNIQUE forever, in the table itself: SQLite drops a
# table constraint only by copying the table.
_TO_VERSION_2 = f"""
CREATE TABLE orders_v2 ({_ORDER_COLUMNS_SQL});
INSERT INTO orders_v2 SELECT * FROM orders;
DROP TABLE orders;
ALTER TABLE orders_v2 RENAME TO orders;
{_ORDER_INDEXES}
"""


def _transfer(conn: sqlite3.Connection, kind: str, tx_id: str, user_id: int, asset: str, amount: int) -> bool:
    seen = conn.execute(
        "SELECT kind, user_id, asset, amount FROM transfers WHERE tx_id = ?", (tx_id,)
    ).fetchone()
    if seen is not None:
        if seen != (kind, user_id, asset, amount):
            raise TransferConflict(f"tx_id {tx_id} was already used for {seen}")
        return False
    if kind == "deposit":
        row = conn.execute("SELECT net FROM net_transfers WHERE asset = ?", (asset,)).fetchone()
        net = row[0] if row else 0
        if net + amount > LARGEST_SUPPLY:
            raise SupplyExceeded(f"{asset}: net deposits {net} + {amount} > {LARGEST_SUPPLY}")
        _add_to_balance(conn, user_id, asset, amount, 0, _now_ms())
    else:
        debited = conn.execute(
            "UPDATE balances SET available = available - ?, updated_ms = ?"
            " WHERE user_id = ? AND asset = ? AND available >= ?",
            (amount, _now_ms(), user_id, asset, amount),
        ).rowcount
        if not debited:
            raise InsufficientFunds(f"user {user_id} cannot withdraw {amount} {asset}")
    conn.execute("INSERT INTO transfers VALUES (?, ?, ?, ?, ?)", (tx_id, kind, user_id, asset, amount))
    conn.execute(
        "INSERT INTO net_transfers VALUES (?, ?) ON CONFLICT (asset) DO UPDATE SET net = net + excluded.net",
        (asset, amount if kind == "deposit" else -amount),
    )
    return True


def _pin_units(conn: sqlite3.Connection, units: dict[str, str]) -> dict[str, str]:
    conn.executemany("INSERT OR IGNORE INTO units VALUES (?, ?)", units.items())
    stored = {name: conn.execute("SELECT unit FROM units WHERE name = ?", (name,)).fetchone()[0] for name in units}
    return {name: unit for name, unit in stored.items() if unit != units[name]}


def _allocate_order_ids(conn: sqlite3.Connection, count: int) -> range:
    end: int = conn.execute(
        "UPDATE sequences SET next_value = next_value + ? WHERE name = 'order_id' RETURNING next_value", (count,)
    ).fetchone()[0]
    return range(end - count, end)


# Counted from partial indexes alone, never from order rows, and pinned to them: without
# statistics SQLite's planner took orders_by_client_id, which walks every order the user ever
# had on the symbol (finished ones too), so each placement grew slower with the user's history.
_OPEN_ORDERS = (
    f"SELECT COUNT(*) FROM orders INDEXED BY orders_unfinished WHERE user_id = ? AND symbol = ? AND phase <> {_DONE}"
)
_OPEN_STOPS = (
    "SELECT COUNT(*) FROM orders INDEXED BY orders_open_stops"
    f" WHERE user_id = ? AND symbol = ? AND phase <> {_DONE} AND order_type IN {_STOP_TYPES}"
)


def _open_order_counts(conn: sqlite3.Connection, user_id: int, symbol: str) -> tuple[int, int]:
    return _count(conn, _OPEN_ORDERS, user_id, symbol), _count(conn, _OPEN_STOPS, user_id, symbol)


def _count(conn: sqlite3.Connection, sql: str, user_id: int, symbol: str) -> int:
    return int(conn.execute(sql, (user_id, symbol)).fetchone()[0])


def _over_limits(conn: sqlite3.Connection, user_id: int, symbol: str, limits: OpenOrderLimits) -> PlaceOutcome | None:
    # only the counts a limit needs: a plain limit order has no algo-order limit
    orders = _count(conn, _OPEN_ORDERS, user_id, symbol) if limits.orders else 0
    stops = _count(conn, _OPEN_STOPS, user_id, symbol) if limits.algo_orders else 0
    return limits.refusal(orders, stops)


def _place_order(
    conn: sqlite3.Connection, order: tuple[Any, ...], limits: OpenOrderLimits | None
) -> tuple[PlaceOutcome, tuple[Any, ...] | None]:
    """Returns the outcome and, for a DUPLICATE, the stored order's row."""
    values = dict(zip(_ORDER_COLUMNS, order, strict=True))
    user_id, symbol, asset, reserved = values["user_id"], values["symbol"], values["reserved_asset"], values["reserved"]
    stored = conn.execute(
        "SELECT user_id, symbol, client_order_id FROM orders WHERE order_id = ?", (values["order_id"],)
    ).fetchone()
    if stored is not None:
        if stored != (user_id, symbol, values["client_order_id"]):
            raise ValueError(f"order id {values['order_id']} is already taken")
        return PlaceOutcome.PLACED, None  # this very order, written before: see Ledger.place_order
    existing = conn.execute(
        f"{_ORDER_SELECT} WHERE user_id = ? AND symbol = ? AND client_order_id = ? AND phase <> {_DONE}",
        (user_id, symbol, values["client_order_id"]),
    ).fetchone()
    if existing is not None:
        return PlaceOutcome.DUPLICATE, existing
    refused = _over_limits(conn, user_id, symbol, limits) if limits is not None else None
    if refused is not None:
        return refused, None
    if reserved:
        # the funds check is the UPDATE's own WHERE clause: no window between check and debit
        debited = conn.execute(
            "UPDATE balances SET available = available - ?, locked = locked + ?, updated_ms = ?"
            " WHERE user_id = ? AND asset = ? AND available >= ?",
            (reserved, reserved, values["created_ms"], user_id, asset, reserved),
        ).rowcount
        if not debited:
            return PlaceOutcome.INSUFFICIENT_FUNDS, None
    conn.execute(_ORDER_INSERT, order)
    return PlaceOutcome.PLACED, None


def _apply_settlement(
    conn: sqlite3.Connection, symbol: str, from_seq: int, to_seq: int, time_ms: int,
    deltas: list[tuple[int, str, int, int]], orders: list[tuple[Any, ...]], trades: list[tuple[Any, ...]],
) -> bool:
    row = conn.execute("SELECT seq FROM watermarks WHERE symbol = ?", (symbol,)).fetchone()
    watermark = row[0] if row else 0
    if watermark >= to_seq:
        return False  # a redelivered batch: already applied
    if watermark != from_seq - 1:
        raise SettlementOutOfOrder(f"{symbol}: settled up to seq {watermark}, cannot apply {from_seq}..{to_seq}")
    # any raise below rolls the whole settlement back (the Writer's savepoint), watermark included
    for user_id, asset, available, locked in deltas:
        _add_to_balance(conn, user_id, asset, available, locked, time_ms)
    conn.executemany(_ORDER_UPSERT, orders)
    try:
        conn.executemany(_TRADE_INSERT, trades)
    except sqlite3.IntegrityError as exc:
        raise SettlementOutOfOrder(f"{symbol}: a trade of seqs {from_seq}..{to_seq} is already recorded") from exc
    conn.execute(
        "INSERT INTO watermarks VALUES (?, ?) ON CONFLICT (symbol) DO UPDATE SET seq = excluded.seq", (symbol, to_seq)
    )
    return True


def _now_ms() -> int:
    """A transfer's time: when the ledger applies it."""
    return time.time_ns() // 1_000_000


def _add_to_balance(
    conn: sqlite3.Connection, user_id: int, asset: str, available: int, locked: int, time_ms: int
) -> None:
    """Add signed amounts; the CHECK constraint refuses a negative result (never clamped).

    UPDATE, then INSERT if there was no row: not an upsert, because SQLite checks CHECK
    constraints on the row an upsert proposes to insert, before it finds the conflict."""
    try:
        updated = conn.execute(
            "UPDATE balances SET available = available + ?, locked = locked + ?, updated_ms = ?"
            " WHERE user_id = ? AND asset = ?",
            (available, locked, time_ms, user_id, asset),
        ).rowcount
        if not updated:  # we hold the write lock: nobody can insert the row in between
            conn.execute("INSERT INTO balances VALUES (?, ?, ?, ?, ?)", (user_id, asset, available, locked, time_ms))
    except sqlite3.IntegrityError as exc:
        raise InsufficientFunds(
            f"user {user_id} {asset}: available {available:+}, locked {locked:+} would go below zero"
        ) from exc


# -- the queries (run on the reader thread) ----------------------------------------------------


def _fetch(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> list[Any]:
    return conn.execute(sql, params).fetchall()


def _all_balances(conn: sqlite3.Connection) -> dict[int, list[Balance]]:
    result: dict[int, list[Balance]] = {}
    for user_id, asset, available, locked in conn.execute(
        "SELECT user_id, asset, available, locked FROM balances ORDER BY user_id, asset"
    ):
        result.setdefault(user_id, []).append(Balance(asset, available, locked))
    return result


def _net_deposits(conn: sqlite3.Connection) -> dict[str, int]:
    rows = conn.execute(f"SELECT asset, {_NET} FROM transfers GROUP BY asset ORDER BY asset")
    return dict(rows.fetchall())


def _audit_snapshot(conn: sqlite3.Connection) -> tuple[dict[int, list[Balance]], dict[str, int], list[OrderRecord]]:
    with read_transaction(conn):
        unfinished = conn.execute(f"{_ORDER_SELECT} WHERE phase <> {_DONE} ORDER BY order_id").fetchall()
        return _all_balances(conn), _net_deposits(conn), [_order(row) for row in unfinished]


def _get_orders(conn: sqlite3.Connection, symbol: str, order_ids: list[int]) -> dict[int, OrderRecord]:
    found: dict[int, OrderRecord] = {}
    for start in range(0, len(order_ids), _IN_CHUNK):
        chunk = order_ids[start : start + _IN_CHUNK]
        sql = f"{_ORDER_SELECT} WHERE symbol = ? AND order_id IN ({', '.join('?' * len(chunk))})"
        for row in conn.execute(sql, (symbol, *chunk)):
            order = _order(row)
            found[order.order_id] = order
    return found


@dataclass(frozen=True, slots=True)
class _Page:
    """Binance's history paging: from an id (inclusive), a time window (inclusive), a limit."""

    from_id: int | None
    start_ms: int | None
    end_ms: int | None
    limit: int


def _history(
    conn: sqlite3.Connection, select: str, key: tuple[str, ...], time_column: str,
    filters: dict[str, object], page: _Page,
) -> list[Any]:
    """Rows matching `filters` (column = value), ordered by `key` (whose first column is the
    id `from_id` applies to). With neither a from-id nor a start time, the newest `limit`."""
    conditions = [f"{column} = ?" for column in filters]
    params = list(filters.values())
    for clause, value in (
        (f"{key[0]} >= ?", page.from_id), (f"{time_column} >= ?", page.start_ms), (f"{time_column} <= ?", page.end_ms)
    ):
        if value is not None:
            conditions.append(clause)
            params.append(value)
    newest = page.from_id is None and page.start_ms is None
    order_by = ", ".join(f"{column} DESC" if newest else column for column in key)
    rows = conn.execute(
        f"{select} WHERE {' AND '.join(conditions)} ORDER BY {order_by} LIMIT ?", (*params, max(page.limit, 0))
    ).fetchall()
    return rows[::-1] if newest else rows


# per column: None, or the enum's members by value (a dict lookup costs a fraction of a call
# to the enum class, and trade processing reads every order it settles)
_ORDER_DECODERS = tuple(
    {member.value: member for member in _ORDER_ENUMS[name]} if name in _ORDER_ENUMS else None
    for name in _ORDER_COLUMNS
)


def _order(row: Sequence[Any]) -> OrderRecord:
    values: list[Any] = [v if decode is None else decode[v] for decode, v in zip(_ORDER_DECODERS, row, strict=True)]
    return OrderRecord(*values)


def _trade(row: Sequence[Any]) -> TradeRecord:
    values = dict(zip(_TRADE_COLUMNS, row, strict=True))
    values["is_buyer"] = bool(values["is_buyer"])
    values["is_maker"] = bool(values["is_maker"])
    return TradeRecord(**values)
