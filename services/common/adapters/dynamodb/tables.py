"""The DynamoDB tables of the Ledger and the UserStore: names, keys, indexes, and creating
them (idempotently).

Every table is on-demand (PAY_PER_REQUEST), set at creation. Point-in-time recovery is switched
on by the adapters when `pitr=True` (what `services/common/backends.py` passes for AWS); moto
accepts the call too, the suites just skip it to stay fast. Where infrastructure code
(Terraform/CloudFormation) creates the tables instead, it must use these same definitions and
set both. docs/data-model.md explains each key against the access pattern it serves.
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

    @property
    def net_deposits(self) -> str:  # PK asset (S): deposits minus withdrawals, kept with each transfer
        return f"{self.prefix}net_deposits"

    @property
    def users(self) -> str:  # PK user_id (N)
        return f"{self.prefix}users"

    @property
    def emails(self) -> str:  # PK email (S): the uniqueness item of a user's email
        return f"{self.prefix}emails"

    @property
    def api_keys(self) -> str:  # PK api_key (S): every field of the key
        return f"{self.prefix}api_keys"

    @property
    def user_keys(self) -> str:  # PK user_id (N), SK api_key (S): which keys a user has
        return f"{self.prefix}user_keys"


def _key(hash_: tuple[str, str], range_: tuple[str, str] | None = None) -> dict[str, Any]:
    schema = [{"AttributeName": hash_[0], "KeyType": "HASH"}]
    attributes = [{"AttributeName": hash_[0], "AttributeType": hash_[1]}]
    if range_ is not None:
        schema.append({"AttributeName": range_[0], "KeyType": "RANGE"})
        attributes.append({"AttributeName": range_[0], "AttributeType": range_[1]})
    return {"KeySchema": schema, "AttributeDefinitions": attributes}


def ledger_tables(names: TableNames) -> list[dict[str, Any]]:
    """CreateTable arguments of the Ledger's tables (without BillingMode)."""
    orders = _key(("symbol", "S"), ("order_id", "N"))
    orders["AttributeDefinitions"].append({"AttributeName": "us", "AttributeType": "S"})
    orders["GlobalSecondaryIndexes"] = [{
        "IndexName": "by_user_symbol",
        "KeySchema": [{"AttributeName": "us", "KeyType": "HASH"}, {"AttributeName": "order_id", "KeyType": "RANGE"}],
        "Projection": {"ProjectionType": "ALL"},
    }]
    return [
        {"TableName": names.balances, **_key(("user_id", "N"), ("asset", "S"))},
        {"TableName": names.transfers, **_key(("tx_id", "S"))},
        {"TableName": names.net_deposits, **_key(("asset", "S"))},
        {"TableName": names.orders, **orders},
        {"TableName": names.open_orders, **_key(("user_id", "N"), ("so", "S"))},
        {"TableName": names.client_ids, **_key(("cid", "S"))},
        {"TableName": names.trades, **_key(("us", "S"), ("tk", "N"))},
        {"TableName": names.watermarks, **_key(("symbol", "S"))},
        {"TableName": names.sequences, **_key(("name", "S"))},
    ]


def user_tables(names: TableNames) -> list[dict[str, Any]]:
    """CreateTable arguments of the UserStore's tables (without BillingMode)."""
    return [
        {"TableName": names.users, **_key(("user_id", "N"))},
        {"TableName": names.emails, **_key(("email", "S"))},
        {"TableName": names.api_keys, **_key(("api_key", "S"))},
        {"TableName": names.user_keys, **_key(("user_id", "N"), ("api_key", "S"))},
        {"TableName": names.sequences, **_key(("name", "S"))},
    ]


def create_tables(client: Any, specs: list[dict[str, Any]], *, pitr: bool = False) -> None:
    """Create whichever tables are missing, on-demand, and wait until they are ACTIVE; safe to
    race (another process creating the same table is fine). With `pitr`, point-in-time
    recovery is switched on for every table (idempotent: a no-op when it already is)."""
    waiting = []
    for spec in specs:
        try:
            status = client.create_table(BillingMode="PAY_PER_REQUEST", **spec)["TableDescription"]["TableStatus"]
        except botocore.exceptions.ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceInUseException":  # exists, or another process won
                raise
            status = "UNKNOWN"
        if status != "ACTIVE":  # AWS answers CREATING; moto creates at once
            waiting.append(spec["TableName"])
    for name in waiting:
        client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
    if pitr:
        for spec in specs:
            client.update_continuous_backups(
                TableName=spec["TableName"], PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
            )


class TablesMismatch(RuntimeError):
    """A table the adapters need is missing, not ACTIVE, or keyed differently from its spec."""


def check_tables(client: Any, specs: list[dict[str, Any]]) -> None:
    """Check, without creating anything, that every table exists, is ACTIVE and has the keys and
    indexes of its spec: for deployments where infrastructure code owns the tables, so that the
    services' role need not be allowed CreateTable (`SPOTEX_DYNAMODB_TABLES=check`)."""
    problems = []
    for spec in specs:
        name = spec["TableName"]
        try:
            table = client.describe_table(TableName=name)["Table"]
        except botocore.exceptions.ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            problems.append(f"{name}: missing")
            continue
        if table["TableStatus"] not in ("ACTIVE", "UPDATING"):
            problems.append(f"{name}: {table['TableStatus']}")
        if _keys(table["KeySchema"]) != _keys(spec["KeySchema"]):
            problems.append(f"{name}: keys {_keys(table['KeySchema'])}, expected {_keys(spec['KeySchema'])}")
        indexes = {i["IndexName"]: _keys(i["KeySchema"]) for i in table.get("GlobalSecondaryIndexes", [])}
        for index in spec.get("GlobalSecondaryIndexes", []):
            if indexes.get(index["IndexName"]) != _keys(index["KeySchema"]):
                problems.append(f"{name}: index {index['IndexName']} missing or keyed differently")
    if problems:
        raise TablesMismatch("DynamoDB tables not as the adapters need them: " + "; ".join(problems))


def _keys(schema: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(key["AttributeName"], key["KeyType"]) for key in schema]
