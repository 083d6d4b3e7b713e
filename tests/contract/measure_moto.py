"""Throughput of moto alone, and of our DynamoDB ledger on it:
`python -m tests.contract.measure_moto [--endpoint URL] [--stock]`.

Not a test: it prints what the issue's "measure moto alone" asks for, so a report can tell
moto's cost from ours. Raw requests (one boto3 client, one at a time, as a caller awaiting
each): conditional UpdateItem, TransactWriteItems of 10 and of 100 conditional Puts (on an
empty table and on one holding 5,000 items, where stock moto's whole-table copy shows); then
DynamoLedger.place_order (one at a time, and 16 in flight) and apply_settlement (1 fill, and 15
fills = 97 items, the most one transaction holds), and audit_snapshot of a small ledger. Starts its own server
(services.common.adapters.dynamodb.local; `--stock` for moto's own threaded `moto.server`)
unless `--endpoint` names one.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

from engine_ext.codes import Side
from services.common.adapters.dynamodb.client import dynamodb_client
from services.common.adapters.dynamodb.ledger import DynamoLedger
from services.common.records import Settlement
from tests.contract.builders import SYMBOL, an_order, fill


def rate(count: int, run: Callable[[int], Any]) -> float:
    start = time.perf_counter()
    for i in range(count):
        run(i)
    return count / (time.perf_counter() - start)


def raw(endpoint: str) -> None:
    client = dynamodb_client(endpoint, "us-east-1", 4)
    table = f"raw-{uuid.uuid4().hex[:8]}"
    client.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}])
    client.put_item(TableName=table, Item={"k": {"S": "balance"}, "available": {"N": "1000000000"}})

    def update(_: int) -> None:
        client.update_item(TableName=table, Key={"k": {"S": "balance"}},
                           UpdateExpression="ADD available :minus, locked :one",
                           ConditionExpression="available >= :one",
                           ExpressionAttributeValues={":minus": {"N": "-1"}, ":one": {"N": "1"}})

    print(f"conditional UpdateItem: {rate(300, update):8.1f}/s")
    for label, prefill in (("empty table", 0), ("5,000 items", 5_000)):
        for start in range(0, prefill, 25):
            client.batch_write_item(RequestItems={table: [
                {"PutRequest": {"Item": {"k": {"S": f"fill-{label}-{i}"}, "v": {"N": str(i)}}}}
                for i in range(start, min(start + 25, prefill))]})
        for size in (10, 100):
            def transact(i: int, size: int = size, label: str = label) -> None:
                client.transact_write_items(TransactItems=[
                    {"Put": {"TableName": table, "Item": {"k": {"S": f"t{size}-{label}-{i}-{j}"}, "v": {"N": "1"}},
                             "ConditionExpression": "attribute_not_exists(k)"}} for j in range(size)])

            per_second = rate(200 if size == 10 else 40, transact)
            print(f"TransactWriteItems x{size:<3} ({label}): {per_second:8.1f}/s = {per_second * size:8.1f} items/s")
    client.close()


async def ledger(endpoint: str) -> None:
    store = DynamoLedger(endpoint, f"measure-{uuid.uuid4().hex[:8]}-")
    try:
        await store.deposit("usdt", 1, "USDT", 10**15)
        await store.deposit("btc", 2, "BTC", 10**15)
        ids = iter(range(1, 10**9))
        start = time.perf_counter()
        for _ in range(200):
            await store.place_order(an_order(next(ids), reserved=1))
        print(f"place_order, one at a time: {200 / (time.perf_counter() - start):8.1f}/s")
        start = time.perf_counter()
        await asyncio.gather(*(store.place_order(an_order(next(ids), reserved=1)) for _ in range(400)))
        print(f"place_order, 16 in flight:  {400 / (time.perf_counter() - start):8.1f}/s")
        for fills, rounds in ((1, 100), (15, 20)):
            settlements = []
            seq = await store.settled_seq(SYMBOL)
            for _ in range(rounds):
                settlement = Settlement(SYMBOL, seq + 1, seq + fills)
                for k in range(fills):
                    buy = an_order(next(ids), user_id=1, reserved=10)
                    sell = an_order(next(ids), user_id=2, side=Side.SELL, reserved=1)
                    await store.place_order(buy)
                    await store.place_order(sell)
                    fill(settlement, buy, sell, trade_id=seq + k + 1, base=1, quote=10)
                settlements.append(settlement)
                seq += fills
            start = time.perf_counter()
            for settlement in settlements:
                assert await store.apply_settlement(settlement)
            elapsed = time.perf_counter() - start
            per_second = rounds / elapsed
            print(f"apply_settlement of {fills:>2} fill(s): {per_second:8.1f}/s = {per_second * fills:8.1f} fills/s")
    finally:
        await store.close()
    small = DynamoLedger(endpoint, f"measure-{uuid.uuid4().hex[:8]}-")
    try:  # the audit of a small ledger (one TransactGetItems): 3 users, 2 assets, 6 open orders
        for user in (1, 2, 3):
            for asset in ("USDT", "BTC"):
                await small.deposit(f"{user}{asset}", user, asset, 1_000)
            await small.place_order(an_order(2 * user, user_id=user, reserved=10))
            await small.place_order(an_order(2 * user + 1, user_id=user, side=Side.SELL, reserved=10))
        start = time.perf_counter()
        for _ in range(50):
            await small.audit_snapshot()
        print(f"audit_snapshot of 19 items: {50 / (time.perf_counter() - start):8.1f}/s")
    finally:
        await small.close()


def start_server(stock: bool) -> tuple[subprocess.Popen[bytes], str]:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = (["-m", "moto.server", "-p", str(port)] if stock
               else ["-m", "services.common.adapters.dynamodb.local", str(port), "--exit-on-stdin-eof"])
    server = subprocess.Popen([sys.executable, *command], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):
                return server, endpoint
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("moto did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", help="a running DynamoDB (moto) endpoint")
    parser.add_argument("--stock", action="store_true", help="start moto's own threaded server instead of ours")
    args = parser.parse_args()
    server = None
    endpoint = args.endpoint
    if endpoint is None:
        server, endpoint = start_server(args.stock)
    try:
        print(f"moto at {endpoint} ({'stock moto.server' if args.stock else 'ours' if server else 'given'})")
        raw(endpoint)
        asyncio.run(ledger(endpoint))
    finally:
        if server is not None:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
