"""SPOTEX_DYNAMODB_TABLES=check: the services open tables that infrastructure code made, without
creating anything, and refuse to start, naming the tables, when they are not as specified."""

from __future__ import annotations

import uuid

import boto3
import pytest

from services.common.adapters.dynamodb.ledger import DynamoLedger
from services.common.adapters.dynamodb.tables import TableNames, TablesMismatch, ledger_tables
from services.common.adapters.dynamodb.users import DynamoUserStore
from tests.servers import real_servers

REGION = "us-east-1"


@pytest.fixture
def dynamodb() -> tuple[str, str, object]:
    endpoint = real_servers().dynamodb_endpoint
    client = boto3.client(
        "dynamodb", endpoint_url=endpoint, region_name=REGION,
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )
    return endpoint, f"check-{uuid.uuid4().hex[:8]}-", client


def names_with(client: object, prefix: str) -> list[str]:
    return [name for name in client.list_tables()["TableNames"] if name.startswith(prefix)]  # type: ignore[attr-defined]


def test_missing_tables_are_named_and_none_is_created(dynamodb: tuple[str, str, object]) -> None:
    endpoint, prefix, client = dynamodb
    with pytest.raises(TablesMismatch, match=f"{prefix}balances: missing") as refused:
        DynamoLedger(endpoint, prefix, REGION, create_tables=False)
    assert f"{prefix}orders: missing" in str(refused.value)
    assert names_with(client, prefix) == []


async def test_tables_made_elsewhere_are_opened_and_used(dynamodb: tuple[str, str, object]) -> None:
    endpoint, prefix, client = dynamodb
    for spec in ledger_tables(TableNames(prefix)):  # as Terraform would, from the same definitions
        client.create_table(BillingMode="PAY_PER_REQUEST", **spec)  # type: ignore[attr-defined]
    ledger = DynamoLedger(endpoint, prefix, REGION, create_tables=False)
    try:
        assert await ledger.deposit("t1", 1, "USDT", 100)
        assert (await ledger.balances(1))[0].available == 100
    finally:
        await ledger.close()
    with pytest.raises(TablesMismatch, match=f"{prefix}users: missing"):  # the user store's are not there
        DynamoUserStore(endpoint, prefix, REGION, create_tables=False)


def test_a_table_keyed_differently_is_refused(dynamodb: tuple[str, str, object]) -> None:
    endpoint, prefix, client = dynamodb
    for spec in ledger_tables(TableNames(prefix)):
        if spec["TableName"] == f"{prefix}trades":
            spec = {
                "TableName": spec["TableName"],
                "KeySchema": [{"AttributeName": "trade_id", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "trade_id", "AttributeType": "N"}],
            }
        client.create_table(BillingMode="PAY_PER_REQUEST", **spec)  # type: ignore[attr-defined]
    with pytest.raises(TablesMismatch) as refused:
        DynamoLedger(endpoint, prefix, REGION, create_tables=False)
    assert f"{prefix}trades: keys [('trade_id', 'HASH')]" in str(refused.value)
    assert "balances" not in str(refused.value)
