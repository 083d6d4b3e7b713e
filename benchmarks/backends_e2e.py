"""The order path end to end on each backend set, in one run (issue 5's measurement).

    .venv/bin/python -m benchmarks.backends_e2e [--orders N] [--clients C] [--rate R] [--rounds K]

Each round starts the five services as processes on 127.0.0.1 twice: on the embedded backends
and on the real ones (Kafka on tansu, DynamoDB on moto, Redis), runs `tradectl bench` against
each, and stops them. Rounds alternate the two so that a noisy neighbour hurts both alike.
moto is measured alone in the same run (conditional updates and transactions per second from
one client), so the report shows which part of the real set's figure is moto's own speed.
Servers: those SPOTEX_REDIS_URL / SPOTEX_KAFKA_BOOTSTRAP / SPOTEX_DYNAMODB_ENDPOINT name, else
local ones started for the run (services.devservers).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import boto3

from services.tradectl.bench import run_bench
from tests.e2e.platform import Platform
from tests.servers import real_servers, stop_real_servers


def _bench_once(backend: str, orders: int, clients: int, rate: float) -> dict[str, Any]:
    platform = Platform(Path(tempfile.mkdtemp(prefix=f"spotex-{backend}-")) / "exchange", backend=backend)
    platform.start_all()
    try:
        return asyncio.run(run_bench(platform.config, orders=orders, clients=clients, rate=rate))
    finally:
        platform.stop_all()


def moto_alone(endpoint: str, seconds: float = 3.0) -> dict[str, float]:
    """One client's sequential calls against the moto server: its own ceiling on this machine."""
    client = boto3.client(
        "dynamodb", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )
    table = f"bench-{uuid.uuid4().hex[:8]}"
    client.create_table(
        TableName=table, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    )
    try:
        for i in range(100):
            client.put_item(TableName=table, Item={"pk": {"S": f"k{i}"}, "n": {"N": "1000000000"}})

        def rate_of(call: Any) -> float:
            done, deadline = 0, time.perf_counter() + seconds
            started = time.perf_counter()
            while time.perf_counter() < deadline:
                call(done)
                done += 1
            return round(done / (time.perf_counter() - started), 1)

        def update(i: int) -> None:
            client.update_item(
                TableName=table, Key={"pk": {"S": f"k{i % 100}"}}, UpdateExpression="SET n = n - :one",
                ConditionExpression="n >= :one", ExpressionAttributeValues={":one": {"N": "1"}},
            )

        def transact(size: int) -> Any:
            def call(i: int) -> None:
                client.transact_write_items(TransactItems=[
                    {"Update": {"TableName": table, "Key": {"pk": {"S": f"k{(i * size + j) % 100}"}},
                                "UpdateExpression": "SET n = n - :one", "ConditionExpression": "n >= :one",
                                "ExpressionAttributeValues": {":one": {"N": "1"}}}}
                    for j in range(size)
                ])
            return call

        return {
            "conditional_update_per_s": rate_of(update),
            "transact_10_items_per_s": rate_of(transact(10)),
            "transact_100_items_per_s": rate_of(transact(100)),
        }
    finally:
        client.delete_table(TableName=table)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--rate", type=float, default=0.0, help="offered orders/s (0 = closed loop)")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    results: dict[str, list[dict[str, Any]]] = {"embedded": [], "real": []}
    moto: list[dict[str, float]] = []
    try:
        servers = real_servers()
        for _ in range(args.rounds):
            for backend in ("embedded", "real"):
                report = _bench_once(backend, args.orders, args.clients, args.rate)
                results[backend].append(report)
                print(backend, json.dumps(report), flush=True)
            moto.append(moto_alone(servers.dynamodb_endpoint))
            print("moto alone", json.dumps(moto[-1]), flush=True)
    finally:
        stop_real_servers()

    print(f"\n| backends | orders/s | p50 ms | p99 ms | refused | stage p99 ms (validation+ledger / journal / "
          f"matching / settlement) |  ({args.orders} orders, {args.clients} clients, "
          f"{'closed loop' if not args.rate else f'{args.rate:g}/s offered'}, median of {args.rounds})")
    print("| --- | --- | --- | --- | --- | --- |")
    for backend, reports in results.items():
        stages = reports[0]["stages_p99_ms_vs_budget"]
        per_stage = " / ".join(
            f"{statistics.median(r['stages_p99_ms_vs_budget'][name]['p99'] for r in reports):g}" for name in stages
        )
        print(
            f"| {backend} | {statistics.median(r['orders_per_s'] for r in reports):g} "
            f"| {statistics.median(r['end_to_end_ms']['p50'] for r in reports):g} "
            f"| {statistics.median(r['end_to_end_ms']['p99'] for r in reports):g} "
            f"| {sum(sum(r['failed'].values()) for r in reports)} | {per_stage} |"
        )
    for key in moto[0]:
        print(f"moto alone, {key}: {statistics.median(m[key] for m in moto):g}")


if __name__ == "__main__":
    main()
