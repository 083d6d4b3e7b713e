"""The DynamoDB Ledger: the same semantics as the embedded SqliteLedger, on the tables of
`tables.py` (docs/data-model.md has the design and the reasons).

boto3 (a sync client) on a dedicated thread pool, not aiobotocore: the suites and the child
processes open ledgers outside any running event loop (and `asyncio.run` one per Hypothesis
example), so a loop-bound aiobotocore client would need lazy, per-loop creation; a boto3
client is thread-safe and loop-agnostic, the constructor can create the tables synchronously
exactly like the embedded one opens its file, and the pool size bounds the requests in flight
to the HTTP connection pool. The cost, a thread hop per call, is small next to a round trip.

Every multi-item rule is one TransactWriteItems: reserve = dedupe item + order + open-order
copy + conditional balance update (`available >= :r`), and concurrent reservations are group-
committed, up to 25 orders (100 items) in one transaction (see `_Placer`); a transfer = conditional transfer item +
balance update + the asset's net-deposits total; a settlement = watermark condition/move +
balance deltas + orders + trades (split into chunks of <= 100 items with a cursor on the
watermark item when larger; see `_apply_settlement`). A TransactionConflict (two transactions
on one item at once, real DynamoDB) is retried; a lost connection raises `Unavailable`.
`audit_snapshot` reads its values with one TransactGetItems and proves with Scans around it
that no item was missed (docs/data-model.md, "The audit snapshot").
"""

from __future__ import annotations

import asyncio
import hashlib
import queue
import random
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, fields
from typing import Any

from engine_ext.codes import STOP_TYPES, OrderStatus, OrderType, SelfTradePrevention, Side, TimeInForce
from services.common.adapters.dynamodb.client import DynamoStore, guarded
from services.common.adapters.dynamodb.tables import ledger_tables
from services.common.adapters.embedded.ledger import SettlementOutOfOrder, TransferConflict
from services.common.ports import (
    LARGEST_SUPPLY,
    InsufficientFunds,
    OpenOrderLimits,
    PlaceOutcome,
    SupplyExceeded,
    Unavailable,
)
from services.common.records import Balance, OrderPhase, OrderRecord, Settlement, TradeRecord

MAX_TRANSACTION_ITEMS = 100  # TransactWriteItems' limit
_CONFLICT_RETRIES = 50
_AUDIT_ATTEMPTS = 200

_ORDER_FIELDS = [f.name for f in fields(OrderRecord)]
_ORDER_ENUMS: dict[str, type] = {
    "side": Side, "order_type": OrderType, "tif": TimeInForce, "stp": SelfTradePrevention,
    "status": OrderStatus, "phase": OrderPhase,
}
_TRADE_FIELDS = [f.name for f in fields(TradeRecord)]
_STOP_TYPES = {int(t) for t in STOP_TYPES}
_DONE = int(OrderPhase.DONE)
_PENDING = int(OrderPhase.PENDING)
_CURSOR = ("inflight_from", "inflight_to", "next_chunk", "chunks", "digest")


def _n(value: int) -> dict[str, str]:
    return {"N": str(int(value))}


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _value(attribute: dict[str, Any]) -> Any:
    if "N" in attribute:
        return int(attribute["N"])
    if "S" in attribute:
        return attribute["S"]
    if "BOOL" in attribute:
        return attribute["BOOL"]
    raise TypeError(f"unexpected attribute {attribute}")


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _value(attribute) for name, attribute in item.items()}


def _order_attributes(order: OrderRecord) -> dict[str, dict[str, str]]:
    """The record's fields (enums as numbers) plus `us`, the key of the by_user_symbol index."""
    item = {}
    for name in _ORDER_FIELDS:
        value = getattr(order, name)
        item[name] = _s(value) if isinstance(value, str) else _n(value)
    item["us"] = _s(f"{order.user_id}#{order.symbol}")
    return item


def _order(item: dict[str, Any]) -> OrderRecord:
    values = {name: _value(item[name]) for name in _ORDER_FIELDS}
    for name, enum in _ORDER_ENUMS.items():
        values[name] = enum(values[name])
    return OrderRecord(**values)


def _trade(item: dict[str, Any]) -> TradeRecord:
    values = {name: _value(item[name]) for name in _TRADE_FIELDS}
    values["is_buyer"] = bool(values["is_buyer"])
    values["is_maker"] = bool(values["is_maker"])
    return TradeRecord(**values)


def _open_key(order: OrderRecord) -> dict[str, Any]:
    return {"user_id": _n(order.user_id), "so": _s(f"{order.symbol}#{order.order_id:020d}")}


def _check_positive(amount: int, tx_id: str) -> None:
    if amount <= 0:
        raise ValueError(f"transfer {tx_id}: amount {amount} must be positive")


class _Canceled(Exception):
    """A TransactWriteItems refused by a condition: the reason code of each item, in order."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(reasons)
        self.reasons = reasons


_ORDERS_PER_TRANSACTION = MAX_TRANSACTION_ITEMS // 4  # a reservation is up to 4 items


@dataclass(slots=True)
class _Placement:
    order: OrderRecord
    attributes: dict[str, Any]
    limits: OpenOrderLimits | None
    done: Future[tuple[PlaceOutcome, OrderRecord | None]]

    @property
    def cid(self) -> str:
        return f"{self.order.user_id}#{self.order.symbol}#{self.order.client_order_id}"

    @property
    def counted(self) -> tuple[int, str] | None:
        """The (user, symbol) whose open orders this placement must count, if it has limits."""
        limits = self.limits
        return (self.order.user_id, self.order.symbol) if limits and (limits.orders or limits.algo_orders) else None

    @property
    def balance(self) -> tuple[int, str] | None:
        return (self.order.user_id, self.order.reserved_asset) if self.order.reserved else None


class _Placer:
    """Group commit of reservations: the orders that arrive while a transaction is in flight go
    into the next one together, each with its own conditions, instead of a transaction each
    (a request costs DynamoDB, and moto far more, much more than an item in it).

    `threads` threads take from one queue, so up to that many transactions are in flight. A
    transaction may not name one item twice, so an order whose balance item or client order id
    is already in the forming batch waits for the next. A refused transaction says which item's
    condition failed (CancellationReasons, one per item): those orders get their outcome and the
    rest are sent again without them. Threads, not an asyncio task: the ledger is loop-agnostic
    (see the module doc), and the callers' futures are concurrent.futures ones.

    Open-order limits: DynamoDB cannot count inside a transaction, so a placement with limits
    counts (a consistent Query) just before its transaction, and no two transactions of this
    placer count the same (user, symbol) at once: in this process, orders sent together cannot
    each see room for themselves. Order services in other processes are not excluded (an open
    order counter item, checked by the transaction, would do that: not built)."""

    def __init__(self, ledger: DynamoLedger, threads: int) -> None:
        self._ledger = ledger
        self._queue: queue.SimpleQueue[_Placement | None] = queue.SimpleQueue()
        self._counting: set[tuple[int, str]] = set()  # (user, symbol) of transactions in flight
        self._counted = threading.Condition()
        self._threads = [
            threading.Thread(target=self._serve, name=f"dynamo-placer-{i}", daemon=True) for i in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    def submit(
        self, order: OrderRecord, attributes: dict[str, Any], limits: OpenOrderLimits | None
    ) -> Future[tuple[PlaceOutcome, OrderRecord | None]]:
        placement = _Placement(order, attributes, limits, Future())
        self._queue.put(placement)
        return placement.done

    def stop(self) -> None:
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()

    def _serve(self) -> None:
        waiting: list[_Placement] = []  # left out of the last batch: first in the next
        while True:
            first = waiting.pop(0) if waiting else self._queue.get()
            if first is None:
                return
            # A caller that gave up before its order was sent (a cancelled await cancels the
            # future) is left out: nothing of it is written. Once running, it cannot be cancelled.
            if not first.done.set_running_or_notify_cancel():
                continue
            counting: set[tuple[int, str]] = set()  # what this batch counts, claimed from other threads
            if (key := first.counted) is not None:
                with self._counted:  # wait out another thread's transaction counting the same
                    self._counted.wait_for(lambda: key not in self._counting)
                    self._counting.add(key)
                counting.add(key)
            batch, balances, cids = [first], {first.balance}, {first.cid}
            candidates, waiting = waiting, []
            while len(batch) < _ORDERS_PER_TRANSACTION:
                if candidates:
                    placement: _Placement | None = candidates.pop(0)
                else:
                    try:
                        placement = self._queue.get_nowait()
                    except queue.Empty:
                        break
                if placement is None:
                    self._queue.put(None)  # for this thread's next turn, after this batch
                    break
                if placement.cid in cids or (placement.balance is not None and placement.balance in balances):
                    waiting.append(placement)
                    continue
                if placement.counted is not None and not self._claim(placement.counted, counting):
                    waiting.append(placement)
                    continue
                if not placement.done.set_running_or_notify_cancel():
                    continue
                batch.append(placement)
                balances.add(placement.balance)
                cids.add(placement.cid)
            waiting += candidates
            try:
                outcomes = guarded(self._ledger._place_batch, batch)
            except Unavailable as exc:  # the transaction's fate is every order's
                outcomes = [exc] * len(batch)
            except Exception as exc:
                # refused as a whole (a malformed request, say): one order must not fail the
                # others, so each goes alone
                outcomes = [exc] if len(batch) == 1 else [self._alone(placement) for placement in batch]
            finally:
                with self._counted:
                    self._counting -= counting
                    self._counted.notify_all()
            for placement, outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    placement.done.set_exception(outcome)
                else:
                    placement.done.set_result(outcome)

    def _claim(self, key: tuple[int, str], counting: set[tuple[int, str]]) -> bool:
        """Take `key` for the forming batch unless another thread's transaction counts it."""
        with self._counted:
            if key in self._counting and key not in counting:
                return False
            self._counting.add(key)
        counting.add(key)
        return True

    def _alone(self, placement: _Placement) -> tuple[PlaceOutcome, OrderRecord | None] | Exception:
        try:
            return guarded(self._ledger._place_batch, [placement])[0]
        except Exception as exc:
            return exc


def _over_limit(placement: _Placement, counts: dict[tuple[int, str], tuple[int, int]]) -> PlaceOutcome | None:
    """Check `placement` against its limits and the (open, stop) counts of its (user, symbol);
    if it fits, count it in."""
    key, limits = placement.counted, placement.limits
    if key is None or limits is None:
        return None
    orders, stops = counts[key]
    refusal = limits.refusal(orders, stops)
    if refusal is None:
        counts[key] = (orders + 1, stops + (placement.order.order_type in _STOP_TYPES))
    return refusal


class DynamoLedger(DynamoStore):
    def __init__(
        self, endpoint_url: str | None = None, table_prefix: str = "spotex-", region: str = "us-east-1",
        pitr: bool | str = False, pool_size: int | str = 16, placement_threads: int | str = 2,
        create_tables: bool | str = True,
    ) -> None:
        self._last_audit_scan: dict[str, list[dict[str, Any]]] | None = None
        self._placement_threads = int(placement_threads)
        self._placer: _Placer | None = None
        self._placer_lock = threading.Lock()
        # DynamoDB reads up to 100 items in one TransactGetItems; moto still enforces the old 25
        self._transact_get_limit = MAX_TRANSACTION_ITEMS if endpoint_url is None else 25
        super().__init__(
            endpoint_url, table_prefix, region, pitr, pool_size, ledger_tables, "dynamo-ledger", create_tables
        )

    # -- deposits and withdrawals ---------------------------------------------------------------
    async def deposit(self, tx_id: str, user_id: int, asset: str, amount: int) -> bool:
        """Raises TransferConflict if tx_id was used for a different transfer."""
        _check_positive(amount, tx_id)
        return await self._run(self._transfer, "deposit", tx_id, user_id, asset, amount)

    async def withdraw(self, tx_id: str, user_id: int, asset: str, amount: int) -> bool:
        """Raises TransferConflict if tx_id was used for a different transfer."""
        _check_positive(amount, tx_id)
        return await self._run(self._transfer, "withdrawal", tx_id, user_id, asset, amount)

    def _transfer(self, kind: str, tx_id: str, user_id: int, asset: str, amount: int) -> bool:
        record = {"tx_id": _s(tx_id), "kind": _s(kind), "user_id": _n(user_id), "asset": _s(asset),
                  "amount": _n(amount)}
        balance_key = {"user_id": _n(user_id), "asset": _s(asset)}
        if kind == "deposit":
            balance = {"Update": {
                "TableName": self._names.balances, "Key": balance_key,
                "UpdateExpression": "ADD available :a, locked :zero, v :one SET updated_ms = :now",
                "ExpressionAttributeValues": {":a": _n(amount), ":zero": _n(0), ":one": _n(1), ":now": _now()},
            }}
        else:
            balance = {"Update": {
                "TableName": self._names.balances, "Key": balance_key,
                "UpdateExpression": "ADD available :minus, v :one SET updated_ms = :now",
                "ConditionExpression": "available >= :a",
                "ExpressionAttributeValues": {":a": _n(amount), ":minus": _n(-amount), ":one": _n(1),
                                              ":now": _now()},
            }}
        net: dict[str, Any] = {"Update": {  # the audit reads per-asset totals, never the whole history
            "TableName": self._names.net_deposits, "Key": {"asset": _s(asset)},
            "UpdateExpression": "ADD net :n", "ExpressionAttributeValues": {":n": _n(amount if kind == "deposit"
                                                                                   else -amount)},
        }}
        if kind == "deposit":  # the supply cap (ports.LARGEST_SUPPLY)
            if amount > LARGEST_SUPPLY:
                raise SupplyExceeded(f"{asset}: a deposit of {amount} > {LARGEST_SUPPLY}")
            net["Update"]["ConditionExpression"] = "attribute_not_exists(net) OR net <= :room"
            net["Update"]["ExpressionAttributeValues"][":room"] = _n(LARGEST_SUPPLY - amount)
        items = [
            {"Put": {"TableName": self._names.transfers, "Item": record,
                     "ConditionExpression": "attribute_not_exists(tx_id)"}},
            balance,
            net,
        ]
        try:
            self._transact(items)
        except _Canceled as canceled:
            if canceled.reasons[0] == "ConditionalCheckFailed":
                seen = self._get(self._names.transfers, {"tx_id": _s(tx_id)})
                if seen is not None and _plain(seen) != _plain(record):
                    raise TransferConflict(f"tx_id {tx_id} was already used for {_plain(seen)}") from None
                return False
            if canceled.reasons[2] == "ConditionalCheckFailed":
                raise SupplyExceeded(f"{asset}: net deposits + {amount} > {LARGEST_SUPPLY}") from None
            raise InsufficientFunds(f"user {user_id} cannot withdraw {amount} {asset}") from None
        return True

    async def pin_units(self, units: Mapping[str, str]) -> dict[str, str]:
        return await self._run(self._pin_units, dict(units))

    def _pin_units(self, units: dict[str, str]) -> dict[str, str]:
        # items of the sequences table (name "unit:<name>"): a handful, written once per listing
        differ = {}
        for name, unit in units.items():
            key = {"name": _s(f"unit:{name}")}
            try:
                self._client.put_item(TableName=self._names.sequences, Item={**key, "unit": _s(unit)},
                                      ConditionExpression="attribute_not_exists(#n)",
                                      ExpressionAttributeNames={"#n": "name"})
            except self._client.exceptions.ConditionalCheckFailedException:
                stored = self._get(self._names.sequences, key)
                if stored is not None and stored["unit"]["S"] != unit:
                    differ[name] = stored["unit"]["S"]
        return differ

    async def balances(self, user_id: int) -> list[Balance]:
        items = await self._run(
            self._query, {"TableName": self._names.balances, "KeyConditionExpression": "user_id = :u",
                          "ExpressionAttributeValues": {":u": _n(user_id)}, "ConsistentRead": True},
        )
        return [_balance(i) for i in items]

    async def all_balances(self) -> dict[int, list[Balance]]:
        return _balances_by_user(await self._run(self._scan, self._names.balances))

    async def net_deposits(self) -> dict[str, int]:
        return _net_deposits(await self._run(self._scan, self._names.net_deposits))

    async def audit_snapshot(self) -> tuple[dict[int, list[Balance]], dict[str, int], list[OrderRecord]]:
        """Every balance, net deposits and every unfinished order at one instant: the values from
        one TransactGetItems (serializable with every write transaction), the keys from Scans
        before and after it that prove no item was missed (docs/data-model.md, "The audit snapshot")."""
        return await self._run(self._audit_snapshot)

    def _audit_scan(self) -> dict[str, list[dict[str, Any]]]:
        """Consistent Scans of the audited tables. `open_orders` is scanned before `watermarks`:
        a settlement that deleted an open order before the first scan ended shows in the second."""
        names = self._names
        return {table: self._scan(table) for table in (names.balances, names.net_deposits, names.open_orders,
                                                       names.watermarks)}

    def _audit_snapshot(self) -> tuple[dict[int, list[Balance]], dict[str, int], list[OrderRecord]]:
        names = self._names
        key_attributes = {names.balances: ("user_id", "asset"), names.net_deposits: ("asset",),
                          names.open_orders: ("user_id", "so"), names.watermarks: ("symbol",)}
        # Any scan taken before T serves as `before`, so the previous audit's `after` does:
        # back-to-back audits (tradectl, the tests) cost one TransactGetItems and one pass each.
        before = self._last_audit_scan or self._audit_scan()
        for _ in range(_AUDIT_ATTEMPTS):
            keys = [(table, {k: item[k] for k in key_attributes[table]}) for table, items in before.items()
                    for item in items]
            if len(keys) > self._transact_get_limit:
                return self._audit_by_double_read(before)
            at_t: dict[str, list[dict[str, Any]]] = {table: [] for table in before}
            for (table, _), item in zip(keys, self._transact_get(keys) if keys else [], strict=True):
                if item is not None:  # deleted since the scan: not there at T
                    at_t[table].append(item)
            after = self._last_audit_scan = self._audit_scan()
            # Missed would be an item that exists at T but was not scanned before: created after
            # that scan. Balances, net deposits and watermarks are never deleted, so such an item
            # is in `after`; an open order may have been deleted again after T, but only by a
            # settlement, which counts the open orders it deletes in its watermark's `closed`.
            marks = {item["symbol"]["S"]: item for item in at_t[names.watermarks]}
            if (all(_keys(after[t], key_attributes[t]) == _keys(before[t], key_attributes[t]) for t in before)
                    and not any("inflight_from" in mark for mark in marks.values())
                    and all(_closed(mark) == _closed(marks.get(mark["symbol"]["S"]))
                            for mark in after[names.watermarks])):
                return _audit_result(at_t[names.balances], at_t[names.net_deposits], at_t[names.open_orders])
            before = after
            time.sleep(random.uniform(0, 0.005))
        raise Unavailable(f"no consistent audit snapshot in {_AUDIT_ATTEMPTS} attempts")

    def _audit_by_double_read(
        self, previous: dict[str, list[dict[str, Any]]]
    ) -> tuple[dict[int, list[Balance]], dict[str, int], list[OrderRecord]]:
        """More items than one TransactGetItems reads: two identical passes in a row (every
        balance write bumps `v`, every order change changes its copy, the net deposits only
        move with a transfer), so no item changed between its two reads, and no settlement is
        half-applied. Needs a moment without writes to the audited tables (docs/data-model.md)."""
        names = self._names
        for _ in range(_AUDIT_ATTEMPTS):
            time.sleep(random.uniform(0, 0.005))
            current = self._audit_scan()
            settling = any("inflight_from" in item for item in current[names.watermarks])
            if not settling and all(_sorted(current[t]) == _sorted(previous[t]) for t in current):
                return _audit_result(current[names.balances], current[names.net_deposits],
                                     current[names.open_orders])
            previous = current
        raise Unavailable(f"no quiet instant for an audit snapshot in {_AUDIT_ATTEMPTS} reads")

    # -- orders ---------------------------------------------------------------------------------
    async def allocate_order_ids(self, count: int) -> range:
        if count < 1:
            raise ValueError(f"allocate at least one order id, not {count}")
        return await self._run(self._allocate_order_ids, count)

    def _allocate_order_ids(self, count: int) -> range:
        response = self._client.update_item(
            TableName=self._names.sequences, Key={"name": _s("order_id")},
            UpdateExpression="ADD next_value :c", ExpressionAttributeValues={":c": _n(count)},
            ReturnValues="UPDATED_NEW",
        )
        last = int(response["Attributes"]["next_value"]["N"])  # the counter is the last id handed out
        return range(last - count + 1, last + 1)

    async def place_order(
        self, order: OrderRecord, limits: OpenOrderLimits | None = None
    ) -> tuple[PlaceOutcome, OrderRecord]:
        """Returns the stored order when DUPLICATE, otherwise `order` itself. The limits are
        counted just before the reservation's transaction (see _Placer)."""
        if order.reserved < 0:
            raise ValueError(f"order {order.order_id}: negative reservation {order.reserved}")
        attributes = _order_attributes(order)  # taken here: the record may change once we return
        outcome, existing = await asyncio.wrap_future(self._placements().submit(order, attributes, limits))
        return outcome, order if existing is None else existing

    def _placements(self) -> _Placer:
        with self._placer_lock:
            if self._placer is None:
                self._placer = _Placer(self, self._placement_threads)
            return self._placer

    async def close(self) -> None:
        placer, self._placer = self._placer, None
        if placer is not None:
            await asyncio.to_thread(placer.stop)
        await super().close()

    def _place_batch(self, batch: list[_Placement]) -> list[tuple[PlaceOutcome, OrderRecord | None] | Exception]:
        """Place the orders in one transaction; those a condition refuses get their outcome,
        and the others go again in a transaction without them."""
        outcomes: dict[int, tuple[PlaceOutcome, OrderRecord | None] | Exception] = {}
        counts = {key: self._open_order_counts(*key) for key in {p.counted for p in batch} if key is not None}
        pending = list(range(len(batch)))
        while pending:
            # this transaction's own orders count too; one it refuses no longer does
            so_far = dict(counts)
            for index in pending:
                refusal = _over_limit(batch[index], so_far)
                if refusal is not None:  # unless the client order id is taken: that comes first
                    outcomes[index] = self._stored(batch[index]) or (refusal, None)
            pending = [index for index in pending if index not in outcomes]
            if not pending:
                break
            items: list[dict[str, Any]] = []
            spans: list[tuple[int, int, int]] = []  # (batch index, first item, item count)
            for index in pending:
                placement = batch[index]
                order_items = self._placement_items(placement.order, placement.attributes, placement.cid)
                spans.append((index, len(items), len(order_items)))
                items += order_items
            try:
                self._transact(items)
            except _Canceled as canceled:
                if len(canceled.reasons) != len(items):
                    raise RuntimeError(f"{len(canceled.reasons)} cancellation reasons for {len(items)} items") from None
                refused = False
                for index, first, count in spans:
                    reasons = canceled.reasons[first : first + count]
                    if "ConditionalCheckFailed" in reasons:
                        outcomes[index] = self._refused(batch[index], reasons)
                        refused = True
                if not refused:
                    raise RuntimeError(f"transaction refused without a failed condition: {canceled.reasons}") from None
                pending = [index for index in pending if index not in outcomes]
                continue
            for index in pending:
                outcomes[index] = (PlaceOutcome.PLACED, None)
            break
        return [outcomes[index] for index in range(len(batch))]

    def _refused(
        self, placement: _Placement, reasons: list[str]
    ) -> tuple[PlaceOutcome, OrderRecord | None] | Exception:
        if reasons[0] == "ConditionalCheckFailed":
            # Nothing found: the order holding the id finished between the refusal and this read
            # (the dedupe item and the order commit together, so it cannot be missing).
            return self._stored(placement) or Unavailable(
                f"client order id {placement.cid} was freed while this order was placed; nothing was written"
            )
        if reasons[1] == "ConditionalCheckFailed":
            stored = self._get(self._names.orders, {"symbol": _s(placement.order.symbol),
                                                    "order_id": _n(placement.order.order_id)})
            found = None if stored is None else _order(stored)
            if found is not None and (found.user_id, found.client_order_id) == (
                placement.order.user_id, placement.order.client_order_id
            ):
                # this very order, committed in an attempt whose answer was lost, and finished
                # since (which freed its client order id): placed, once
                return PlaceOutcome.PLACED, None
            return ValueError(f"order id {placement.order.order_id} is already taken")
        return PlaceOutcome.INSUFFICIENT_FUNDS, None

    def _stored(self, placement: _Placement) -> tuple[PlaceOutcome, OrderRecord | None] | None:
        """The outcome when the placement's client order id is held by an unfinished order (or
        is this very order's), else None: a finished order's id is free."""
        existing = self._by_client_id(placement.cid)
        if existing is None:
            return None
        if existing.order_id == placement.order.order_id:
            # this very order committed in an attempt whose answer was lost (botocore retries a
            # request after a dropped connection): placed, once, not a duplicate
            return PlaceOutcome.PLACED, None
        if existing.phase is OrderPhase.DONE:
            return None
        return PlaceOutcome.DUPLICATE, existing

    def _placement_items(self, order: OrderRecord, attributes: dict[str, Any], cid: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = [
            # unique among unfinished orders, as Binance: the id of a finished order (`done`,
            # set by the settlement that finished it) may be taken again
            {"Put": {"TableName": self._names.client_ids,
                     "Item": {"cid": _s(cid), "order_id": _n(order.order_id), "symbol": _s(order.symbol)},
                     "ConditionExpression": "attribute_not_exists(cid) OR done = :done",
                     "ExpressionAttributeValues": {":done": {"BOOL": True}}}},
            {"Put": {"TableName": self._names.orders, "Item": {**attributes, "v": _n(1)},
                     "ConditionExpression": "attribute_not_exists(order_id)"}},
            {"Put": {"TableName": self._names.open_orders, "Item": {**attributes, **_open_key(order), "v": _n(1)}}},
        ]
        if order.reserved:
            # the funds check is the update's own condition: no window between check and debit
            items.append({"Update": {
                "TableName": self._names.balances,
                "Key": {"user_id": _n(order.user_id), "asset": _s(order.reserved_asset)},
                "UpdateExpression": "ADD available :minus, locked :r, v :one SET updated_ms = :now",
                "ConditionExpression": "available >= :r",
                "ExpressionAttributeValues": {":r": _n(order.reserved), ":minus": _n(-order.reserved),
                                              ":one": _n(1), ":now": _n(order.created_ms)},
            }})
        return items

    def _by_client_id(self, cid: str) -> OrderRecord | None:
        pointer = self._get(self._names.client_ids, {"cid": _s(cid)})
        if pointer is None:
            return None
        item = self._get(self._names.orders, {"symbol": pointer["symbol"], "order_id": pointer["order_id"]})
        return None if item is None else _order(item)

    async def get_order(self, symbol: str, order_id: int) -> OrderRecord | None:
        item = await self._run(self._get, self._names.orders, {"symbol": _s(symbol), "order_id": _n(order_id)})
        return None if item is None else _order(item)

    async def get_order_by_client_id(self, user_id: int, symbol: str, client_order_id: str) -> OrderRecord | None:
        return await self._run(self._by_client_id, f"{user_id}#{symbol}#{client_order_id}")

    async def get_orders(self, symbol: str, order_ids: Sequence[int]) -> dict[int, OrderRecord]:
        keys = [{"symbol": _s(symbol), "order_id": _n(order_id)} for order_id in dict.fromkeys(order_ids)]
        chunks = [keys[start : start + 100] for start in range(0, len(keys), 100)]  # BatchGetItem's limit
        found: dict[int, OrderRecord] = {}
        for items in await asyncio.gather(*(self._run(self._batch_get, self._names.orders, c) for c in chunks)):
            for item in items:
                order = _order(item)
                found[order.order_id] = order
        return found

    async def open_orders(self, user_id: int, symbol: str | None) -> list[OrderRecord]:
        """PENDING and LIVE orders (everything not DONE), oldest first."""
        request: dict[str, Any] = {
            "TableName": self._names.open_orders, "ConsistentRead": True,
            "KeyConditionExpression": "user_id = :u", "ExpressionAttributeValues": {":u": _n(user_id)},
        }
        if symbol is not None:
            request["KeyConditionExpression"] += " AND begins_with(so, :s)"
            request["ExpressionAttributeValues"][":s"] = _s(f"{symbol}#")
        items = await self._run(self._query, request)
        return sorted((_order(item) for item in items), key=lambda o: o.order_id)

    async def pending_orders(self) -> list[OrderRecord]:
        """A consistent scan of the open-orders table (only unfinished orders live there):
        recovery after an order-service crash, so rare and over a small table."""
        items = await self._run(
            self._scan, self._names.open_orders, {"FilterExpression": "phase = :p",
                                                  "ExpressionAttributeValues": {":p": _n(_PENDING)}},
        )
        return sorted((_order(item) for item in items), key=lambda o: o.order_id)

    async def open_order_counts(self, user_id: int, symbol: str) -> tuple[int, int]:
        return await self._run(self._open_order_counts, user_id, symbol)

    def _open_order_counts(self, user_id: int, symbol: str) -> tuple[int, int]:
        items = self._query({
            "TableName": self._names.open_orders, "ConsistentRead": True,
            "KeyConditionExpression": "user_id = :u AND begins_with(so, :s)",
            "ExpressionAttributeValues": {":u": _n(user_id), ":s": _s(f"{symbol}#")},
            "ProjectionExpression": "order_type",
        })
        return len(items), sum(1 for item in items if _value(item["order_type"]) in _STOP_TYPES)

    async def list_orders(
        self, user_id: int, symbol: str, from_order_id: int | None, start_ms: int | None, end_ms: int | None, limit: int
    ) -> list[OrderRecord]:
        """Binance's allOrders: from `from_order_id` (or `start_ms`) onwards when given,
        otherwise the most recent `limit`; either way oldest first. Times are inclusive.
        Served by the by_user_symbol index (eventually consistent, as GSIs are)."""
        items = await self._run(
            self._history, self._names.orders, "by_user_symbol", "order_id", "created_ms",
            f"{user_id}#{symbol}", from_order_id, start_ms, end_ms, limit, None,
        )
        return [_order(item) for item in items]

    # -- settlement -------------------------------------------------------------------------------
    async def settled_seq(self, symbol: str) -> int:
        item = await self._run(self._get, self._names.watermarks, {"symbol": _s(symbol)})
        return _value(item["seq"]) if item is not None and "seq" in item else 0

    async def apply_settlement(self, settlement: Settlement) -> bool:
        """Raises SettlementOutOfOrder (a ValueError) if the watermark is neither from_seq - 1 nor
        >= to_seq, InsufficientFunds if a delta would make a balance negative; either way
        nothing of the settlement is applied (see `_apply_settlement` for large settlements)."""
        if not 1 <= settlement.from_seq <= settlement.to_seq:
            raise ValueError(f"settlement seqs {settlement.from_seq}..{settlement.to_seq} are not a range")
        writes, digest = self._settlement_writes(settlement)
        return await self._run(self._apply_settlement, settlement, writes, digest)

    def _settlement_writes(self, settlement: Settlement) -> tuple[list[tuple[str, dict[str, Any]]], str]:
        """Every write but the watermark's, in a fixed order (debits first), tagged with its
        kind; and a digest of the whole, so a resumed chunked settlement is the same one."""
        writes: list[tuple[str, dict[str, Any]]] = []
        deltas = sorted(
            ((user, asset, d.available, d.locked) for (user, asset), d in settlement.balances.items()
             if d.available or d.locked),
            key=lambda d: (min(d[2], 0) + min(d[3], 0) == 0, d[0], d[1]),  # debits first
        )
        now = _n(settlement.time_ms)  # not the clock: a redelivery must make the same writes (digest)
        for user, asset, available, locked in deltas:
            conditions, values = [], {":a": _n(available), ":l": _n(locked), ":one": _n(1), ":now": now}
            if available < 0:
                conditions.append("available >= :need_a")
                values[":need_a"] = _n(-available)
            if locked < 0:
                conditions.append("locked >= :need_l")
                values[":need_l"] = _n(-locked)
            update: dict[str, Any] = {
                "TableName": self._names.balances, "Key": {"user_id": _n(user), "asset": _s(asset)},
                "UpdateExpression": "ADD available :a, locked :l, v :one SET updated_ms = :now",
                "ExpressionAttributeValues": values,
            }
            if conditions:
                update["ConditionExpression"] = " AND ".join(conditions)
            writes.append(("balance", {"Update": update}))
        for order_id in sorted(settlement.orders):
            order = settlement.orders[order_id]
            attributes = _order_attributes(order)
            # The record is the order's whole new state, so a Put (an Update of every field costs
            # moto ~10x more to parse). Its identity must be the stored one's: a settlement
            # built from a different order is refused, not merged.
            writes.append(("order", {"Put": {
                "TableName": self._names.orders, "Item": attributes,
                "ConditionExpression": "attribute_not_exists(order_id) OR (user_id = :user AND client_order_id = :cid"
                                       " AND created_ms = :created)",
                "ExpressionAttributeValues": {":user": attributes["user_id"], ":cid": attributes["client_order_id"],
                                              ":created": attributes["created_ms"]},
            }}))
            if order.phase is OrderPhase.DONE:
                writes.append(("open", {"Delete": {"TableName": self._names.open_orders, "Key": _open_key(order)}}))
                # its client order id is free again (a settlement only names an order it changed,
                # so this never frees the id of a newer order that took it over)
                writes.append(("client_id", {"Update": {
                    "TableName": self._names.client_ids,
                    "Key": {"cid": _s(f"{order.user_id}#{order.symbol}#{order.client_order_id}")},
                    "UpdateExpression": "SET done = :done", "ExpressionAttributeValues": {":done": {"BOOL": True}},
                }}))
            else:
                writes.append(("open", {"Put": {"TableName": self._names.open_orders,
                                                "Item": {**attributes, **_open_key(order)}}}))
        for trade in settlement.trades:
            item = {name: _n(v) if isinstance(v, (int, bool)) else _s(v)
                    for name, v in ((n, getattr(trade, n)) for n in _TRADE_FIELDS)}
            item["us"] = _s(f"{trade.user_id}#{trade.symbol}")
            item["tk"] = _n(trade.trade_id * 2 + int(trade.is_buyer))
            writes.append(("trade", {"Put": {"TableName": self._names.trades, "Item": item,
                                             "ConditionExpression": "attribute_not_exists(tk)"}}))
        digest = hashlib.sha256(repr(writes).encode()).hexdigest()[:32]
        return writes, digest

    def _apply_settlement(
        self, settlement: Settlement, writes: list[tuple[str, dict[str, Any]]], digest: str
    ) -> bool:
        """One transaction when the writes fit (<= 99 + the watermark). Otherwise chunks of 99
        writes, each with an update of the watermark item that checks and moves a cursor
        (from, to, next chunk, digest): a chunk applies exactly once, in order, and a retry or a
        redelivery resumes at the cursor. Debits go first, so with <= 99 debited balances every
        write that can be refused is in chunk 0, and a refused settlement leaves nothing."""
        symbol, from_seq, to_seq = settlement.symbol, settlement.from_seq, settlement.to_seq
        per_chunk = MAX_TRANSACTION_ITEMS - 1
        chunks = [writes[i : i + per_chunk] for i in range(0, len(writes), per_chunk)] or [[]]
        key = {"symbol": _s(symbol)}
        start = 0
        if len(chunks) > 1:  # resume a half-applied one, or refuse early
            item = self._get(self._names.watermarks, key) or {}
            mark = _plain(item)
            if mark.get("seq", 0) >= to_seq:
                return False
            if "inflight_from" in mark:
                if (mark["inflight_from"], mark["inflight_to"], mark["digest"]) != (from_seq, to_seq, digest):
                    raise SettlementOutOfOrder(f"{symbol}: settlement {mark['inflight_from']}.."
                                               f"{mark['inflight_to']} is half-applied, cannot apply "
                                               f"{from_seq}..{to_seq}")
                start = mark["next_chunk"]
        for index in range(start, len(chunks)):
            last = index == len(chunks) - 1
            values: dict[str, Any] = {}
            if index == 0:
                condition = "attribute_not_exists(inflight_from) AND " + (
                    "attribute_not_exists(seq)" if from_seq == 1 else "seq = :prev")
                if from_seq != 1:
                    values[":prev"] = _n(from_seq - 1)
            else:
                condition = "inflight_from = :from AND inflight_to = :to AND digest = :d AND next_chunk = :i"
                values.update({":from": _n(from_seq), ":to": _n(to_seq), ":d": _s(digest), ":i": _n(index)})
            if last:
                update = "SET seq = :to" + (" REMOVE " + ", ".join(_CURSOR) if index > 0 else "")
                values[":to"] = _n(to_seq)
            else:
                update = "SET inflight_from = :from, inflight_to = :to, digest = :d, next_chunk = :next, chunks = :n"
                values.update({":from": _n(from_seq), ":to": _n(to_seq), ":d": _s(digest),
                               ":next": _n(index + 1), ":n": _n(len(chunks))})
            chunk = chunks[index]
            closed = sum(1 for kind, write in chunk if kind == "open" and "Delete" in write)
            if closed:  # the audit's proof that no open order came and went unseen
                update += " ADD closed :closed"
                values[":closed"] = _n(closed)
            watermark = {"Update": {"TableName": self._names.watermarks, "Key": key, "UpdateExpression": update,
                                    "ConditionExpression": condition, "ExpressionAttributeValues": values}}
            try:
                self._transact([watermark, *(write for _, write in chunk)])
            except _Canceled as canceled:
                if canceled.reasons[0] == "ConditionalCheckFailed":
                    mark = _plain(self._get(self._names.watermarks, key) or {})
                    if mark.get("seq", 0) >= to_seq:
                        return False  # applied already (or, chunked, finished by a racing caller)
                    raise SettlementOutOfOrder(
                        f"{symbol}: settled up to seq {mark.get('seq', 0)}"
                        + (f" (settling {mark['inflight_from']}..{mark['inflight_to']})" if "inflight_from" in mark
                           else "")
                        + f", cannot apply {from_seq}..{to_seq}"
                    ) from None
                kinds = [kind for (kind, _), reason in zip(chunk, canceled.reasons[1:], strict=True)
                         if reason == "ConditionalCheckFailed"]
                if "balance" in kinds:
                    raise InsufficientFunds(f"{symbol} {from_seq}..{to_seq}: a balance would go below zero"
                                            + ("" if index == 0 else f" in chunk {index} (half-applied)")) from None
                if "order" in kinds:
                    raise ValueError(f"{symbol} {from_seq}..{to_seq}: an order's user, client order id or creation"
                                     " time differs from the stored order's") from None
                raise SettlementOutOfOrder(
                    f"{symbol}: a trade of seqs {from_seq}..{to_seq} is already recorded") from None
        return True

    async def list_trades(
        self, user_id: int, symbol: str, order_id: int | None, from_id: int | None,
        start_ms: int | None, end_ms: int | None, limit: int,
    ) -> list[TradeRecord]:
        """Binance's myTrades: the same paging rule as `list_orders`, by trade id."""
        items = await self._run(
            self._history, self._names.trades, None, "tk", "time_ms", f"{user_id}#{symbol}",
            None if from_id is None else from_id * 2, start_ms, end_ms, limit, order_id,
        )
        return [_trade(item) for item in items]

    # -- requests (on the pool's threads) ----------------------------------------------------------
    def _transact(self, items: list[dict[str, Any]]) -> None:
        """TransactWriteItems; raises _Canceled with the reasons if a condition refused it."""
        for attempt in range(_CONFLICT_RETRIES):
            try:
                self._client.transact_write_items(TransactItems=items)
                return
            except self._client.exceptions.TransactionCanceledException as exc:
                reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
                if "ConditionalCheckFailed" in reasons:
                    raise _Canceled(reasons) from None
                if not any(r in ("TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded")
                           for r in reasons):
                    raise
            except self._client.exceptions.TransactionInProgressException:
                pass
            time.sleep(random.uniform(0, min(0.2, 0.002 * 2**attempt)))
        raise Unavailable(f"transaction still conflicting after {_CONFLICT_RETRIES} attempts")

    def _transact_get(self, keys: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any] | None]:
        """TransactGetItems (<= 100 keys): the items as of one instant, None where missing."""
        for attempt in range(_CONFLICT_RETRIES):
            try:
                response = self._client.transact_get_items(
                    TransactItems=[{"Get": {"TableName": table, "Key": key}} for table, key in keys])
                return [r.get("Item") for r in response["Responses"]]
            except self._client.exceptions.TransactionCanceledException:
                time.sleep(random.uniform(0, min(0.2, 0.002 * 2**attempt)))  # a conflicting write
        raise Unavailable(f"TransactGetItems still conflicting after {_CONFLICT_RETRIES} attempts")

    def _get(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self._client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
        return item

    def _batch_get(self, table: str, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        request = {table: {"Keys": keys, "ConsistentRead": True}}
        while request:
            response = self._client.batch_get_item(RequestItems=request)
            found.extend(response["Responses"].get(table, []))
            request = response.get("UnprocessedKeys") or {}
            if request:
                time.sleep(0.01)
        return found

    def _query(self, request: dict[str, Any]) -> list[dict[str, Any]]:
        return self._pages("query", request)

    def _scan(self, table: str, extra: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return self._pages("scan", {"TableName": table, "ConsistentRead": True, **(extra or {})})

    def _pages(self, operation: str, request: dict[str, Any], limit: int | None = None) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        call = getattr(self._client, operation)
        while True:
            response = call(**request)
            items.extend(response.get("Items", []))
            if "LastEvaluatedKey" not in response or (limit is not None and len(items) >= limit):
                return items if limit is None else items[:limit]
            request = {**request, "ExclusiveStartKey": response["LastEvaluatedKey"]}

    def _history(
        self, table: str, index: str | None, sort_key: str, time_attribute: str, us: str,
        from_key: int | None, start_ms: int | None, end_ms: int | None, limit: int, order_id: int | None,
    ) -> list[dict[str, Any]]:
        """Items of `us` ordered by `sort_key`, from `from_key` (inclusive) or within the time
        window; the newest `limit` when neither a from-key nor a start time is given."""
        if limit <= 0:
            return []
        values: dict[str, Any] = {":us": _s(us)}
        key_condition = "us = :us"
        if from_key is not None:
            key_condition += f" AND {sort_key} >= :from"
            values[":from"] = _n(from_key)
        filters, names = [], {}
        if start_ms is not None:
            filters.append("#t >= :start")
            values[":start"] = _n(start_ms)
        if end_ms is not None:
            filters.append("#t <= :end")
            values[":end"] = _n(end_ms)
        if filters:
            names["#t"] = time_attribute
        if order_id is not None:
            filters.append("order_id = :order")
            values[":order"] = _n(order_id)
        newest = from_key is None and start_ms is None
        request: dict[str, Any] = {"TableName": table, "KeyConditionExpression": key_condition,
                                   "ExpressionAttributeValues": values, "ScanIndexForward": not newest}
        if index is not None:
            request["IndexName"] = index
        else:
            request["ConsistentRead"] = True
        if filters:
            request["FilterExpression"] = " AND ".join(filters)
        if names:
            request["ExpressionAttributeNames"] = names
        items = self._pages("query", request, limit)
        return items[::-1] if newest else items


def _sorted(items: list[dict[str, Any]]) -> list[str]:
    return sorted(repr(sorted(item.items())) for item in items)


def _keys(items: list[dict[str, Any]], names: tuple[str, ...]) -> set[tuple[str, ...]]:
    return {tuple(repr(item[name]) for name in names) for item in items}


def _closed(mark: dict[str, Any] | None) -> int:
    """How many open orders the symbol's settlements have deleted so far."""
    return 0 if mark is None or "closed" not in mark else int(mark["closed"]["N"])


def _audit_result(
    balances: list[dict[str, Any]], net_deposits: list[dict[str, Any]], open_orders: list[dict[str, Any]]
) -> tuple[dict[int, list[Balance]], dict[str, int], list[OrderRecord]]:
    unfinished = sorted((_order(item) for item in open_orders), key=lambda o: o.order_id)
    return _balances_by_user(balances), _net_deposits(net_deposits), unfinished


def _balances_by_user(items: list[dict[str, Any]]) -> dict[int, list[Balance]]:
    result: dict[int, list[Balance]] = {}
    for item in sorted(items, key=lambda i: (int(i["user_id"]["N"]), i["asset"]["S"])):
        result.setdefault(_value(item["user_id"]), []).append(_balance(item))
    return result


def _balance(item: dict[str, Any]) -> Balance:
    changed = item.get("updated_ms")  # items written before balances kept it have none
    return Balance(_value(item["asset"]), _value(item["available"]), _value(item["locked"]),
                   _value(changed) if changed else 0)


def _now() -> dict[str, str]:
    """A transfer's time: when the ledger writes it (an attribute value)."""
    return _n(time.time_ns() // 1_000_000)


def _net_deposits(items: list[dict[str, Any]]) -> dict[str, int]:
    return {_value(item["asset"]): _value(item["net"]) for item in sorted(items, key=lambda i: i["asset"]["S"])}
