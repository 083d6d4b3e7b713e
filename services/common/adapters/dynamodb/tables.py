"""The ledger's DynamoDB tables: names, keys, indexes, and creating them (idempotently).

Every table is on-demand (PAY_PER_REQUEST). Point-in-time recovery is switched on for real
deployments (`pitr=True`); moto accepts the call too, the suites just skip it to stay fast.
docs/data-model.md explains each key against the access pattern it serves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import botocore.exceptions


@dataclass(frozen=True)
class TableNames:
    prefix: str

    @property
    def balances(self) -> str:  # PK user_id (N), SK asset (S)
        return f"{self.prefix}balances"

    @property
    def transfers(self) -> str:  # PK tx_id (S)
        return f"{self.prefix}transfers"

    @property
    def orders(self) -> str:  # PK symbol (S), SK order_id (N); GSI by_user_symbol (us, order_id)
        return f"{self.prefix}orders"

    @property
    def open_orders(self) -> str:  # PK user_id (N), SK so = "SYMBOL#<order id, 20 digits>" (S)
        return f"{self.prefix}open_orders"

    @property
    def client_ids(self) -> str:  # PK cid = "user#symbol#client order id" (S): the dedupe item
        return f"{self.prefix}client_ids"

    @property
    def trades(self) -> str:  # PK us = "user#symbol" (S), SK tk = trade_id * 2 + is_buyer (N)
        return f"{self.prefix}trades"

    @property
    def watermarks(self) -> str:  # PK symbol (S): settled seq, and the cursor of a chunked settlement
        return f"{self.prefix}watermarks"

    @property
    def sequences(self) -> str:  # PK name (S): atomic counters (order ids)
        return f"{self.prefix}sequences"


def _spec(names: TableNames) -> list[dict[str, Any]]:
    def key(hash_: tuple[str, str], range_: tuple[str, str] | None = None) -> dict[str, Any]:
        schema = [{"AttributeName": hash_[0], "KeyType": "HASH"}]
        attributes = [{"AttributeName": hash_[0], "AttributeType": hash_[1]}]
        if range_ is not None:
            schema.append({"AttributeName": range_[0], "KeyType": "RANGE"})
            attributes.append({"AttributeName": range_[0], "AttributeType": range_[1]})
        return {"KeySchema": schema, "AttributeDefinitions": attributes}

    orders = key(("symbol", "S"), ("order_id", "N"))
    orders["AttributeDefinitions"].append({"AttributeName": "us", "AttributeType": "S"})
    orders["GlobalSecondaryIndexes"] = [{
        "IndexName": "by_user_symbol",
        "KeySchema": [{"AttributeName": "us", "KeyType": "HASH"}, {"AttributeName": "order_id", "KeyType": "RANGE"}],
        "Projection": {"ProjectionType": "ALL"},
    }]
    return [
        {"TableName": names.balances, **key(("user_id", "N"), ("asset", "S"))},
        {"TableName": names.transfers, **key(("tx_id", "S"))},
        {"TableName": names.orders, **orders},
        {"TableName": names.open_orders, **key(("user_id", "N"), ("so", "S"))},
        {"TableName": names.client_ids, **key(("cid", "S"))},
        {"TableName": names.trades, **key(("us", "S"), ("tk", "N"))},
        {"TableName": names.watermarks, **key(("symbol", "S"))},
        {"TableName": names.sequences, **key(("name", "S"))},
    ]


def create_tables(client: Any, names: TableNames, *, pitr: bool = False) -> None:
    """Create whichever tables are missing and wait until they are ACTIVE; safe to race."""
    existing: set[str] = set()
    for page in client.get_paginator("list_tables").paginate():
        existing.update(page["TableNames"])
    created = []
    for spec in _spec(names):
        if spec["TableName"] in existing:
            continue
        try:
            client.create_table(BillingMode="PAY_PER_REQUEST", **spec)
            created.append(spec["TableName"])
        except botocore.exceptions.ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceInUseException":  # another process won
                raise
    for spec in _spec(names):
        client.get_waiter("table_exists").wait(TableName=spec["TableName"], WaiterConfig={"Delay": 1})
    if pitr:
        for name in created:
            client.update_continuous_backups(
                TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
            )
