"""tradectl: the operator's command line.

    tradectl user create --email E --password P
    tradectl deposit --email E --asset A --amount N [--tx-id T]
    tradectl withdraw --email E --asset A --amount N [--tx-id T]
    tradectl apikey create --email E [--label L]      -> {"apiKey": ..., "secretKey": ...}
    tradectl balances --email E
    tradectl symbols list                              -> the pairs the running exchange holds
    tradectl symbols check --file F                    -> a markets file as the services would list it
    tradectl audit                                     -> exit 1 with a report if an invariant fails
    tradectl bench [--orders N] [--clients C] [--rate R] -> load test of the order path

It talks to the running services over gRPC (as the operator, with the admin token from the
data directory) and reads the stores directly only where no service answers for them: the
audit and looking a user up by email.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import json_format

from exchange.v1 import common_pb2, matching_pb2, matching_pb2_grpc, user_pb2, user_pb2_grpc
from services.common import backends
from services.common.caller import caller_metadata
from services.common.catalog import CatalogError, load_catalog
from services.common.config import Config
from services.common.grpcutil.channel import connect
from services.common.grpcutil.errors import status_of


class CommandFailed(Exception):
    pass


def _admin(config: Config) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {config.secrets().admin_token}"),)


async def _user_id(config: Config, email: str) -> int:
    store = backends.open_user_store(config)
    try:
        user = await store.user_by_email(email.strip().lower())
    finally:
        await store.close()
    if user is None:
        raise CommandFailed(f"no user with email {email}")
    return user.user_id


async def _users(config: Config) -> Any:
    return user_pb2_grpc.UserServiceStub(connect(config.address("user")))


async def user_create(config: Config, args: argparse.Namespace) -> Any:
    users = await _users(config)
    reply = await users.Register(user_pb2.RegisterRequest(email=args.email, password=args.password))
    return {"userId": reply.user_id, "email": args.email}


async def transfer(config: Config, args: argparse.Namespace) -> Any:
    users = await _users(config)
    user_id = await _user_id(config, args.email)
    message = user_pb2.DepositRequest if args.command == "deposit" else user_pb2.WithdrawRequest
    call = users.Deposit if args.command == "deposit" else users.Withdraw
    request = message(
        user_id=user_id, asset=args.asset, amount=args.amount, transaction_id=args.tx_id or str(uuid.uuid4())
    )
    reply = await call(request, metadata=_admin(config))
    return json_format.MessageToDict(reply)


async def apikey_create(config: Config, args: argparse.Namespace) -> Any:
    users = await _users(config)
    user_id = await _user_id(config, args.email)
    reply = await users.CreateApiKey(user_pb2.CreateApiKeyRequest(label=args.label), metadata=caller_metadata(user_id))
    return {"apiKey": reply.key.api_key, "secretKey": reply.secret_key}


async def balances(config: Config, args: argparse.Namespace) -> Any:
    users = await _users(config)
    user_id = await _user_id(config, args.email)
    reply = await users.GetBalances(user_pb2.GetBalancesRequest(user_id=user_id), metadata=_admin(config))
    return {"userId": user_id, "balances": [json_format.MessageToDict(b) for b in reply.balances]}


async def symbols_list(config: Config, args: argparse.Namespace) -> Any:
    matching = matching_pb2_grpc.MatchingServiceStub(connect(config.address("matching")))
    reply = await matching.ListSymbols(matching_pb2.ListSymbolsRequest())
    return [
        {
            "symbol": s.info.symbol,
            "status": common_pb2.SymbolStatus.Name(s.info.status),
            "base": s.info.base_asset,
            "quote": s.info.quote_asset,
            "tickSize": s.info.filters.price_filter.tick_size,
            "stepSize": s.info.filters.lot_size.step_size,
            "seq": s.seq,
            "shard": s.shard,
        }
        for s in reply.symbols
    ]


async def symbols_check(config: Config, args: argparse.Namespace) -> Any:
    """Before a deploy: what a markets file lists, or why the services would refuse it."""
    try:
        catalog = load_catalog(replace(config, markets_file=str(Path(args.file).resolve())))
    except CatalogError as refused:
        raise CommandFailed(str(refused)) from None
    return [
        {
            "symbol": s.name, "status": s.status, "base": s.base.name, "quote": s.quote.name, "shard": s.shard,
            "tickSize": str(s.filters.tick_size), "stepSize": str(s.filters.step_size),
            "minNotional": str(s.filters.min_notional),
            **({"demoPrice": str(catalog.reference_prices[s.name])} if s.name in catalog.reference_prices else {}),
        }
        for s in catalog.symbols
    ]  # fmt: skip


async def audit(config: Config, args: argparse.Namespace) -> Any:
    from services.tradectl.gather import audit_exchange

    problems = await audit_exchange(config, quiet_for_s=args.wait)
    if problems:
        raise CommandFailed("audit failed:\n" + "\n".join(f"- {p}" for p in problems))
    return {"audit": "ok"}


async def bench(config: Config, args: argparse.Namespace) -> Any:
    from services.tradectl.bench import run_bench

    return await run_bench(
        config,
        orders=args.orders,
        clients=args.clients,
        symbol=args.symbol,
        rate=args.rate,
        batch=args.batch,
        stream=args.stream,
    )


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="tradectl", description="Operate a spotex exchange.")
    commands = root.add_subparsers(dest="command", required=True)

    user = commands.add_parser("user", help="accounts").add_subparsers(dest="action", required=True)
    create = user.add_parser("create")
    create.add_argument("--email", required=True)
    create.add_argument("--password", required=True)
    create.set_defaults(run=user_create)

    for name in ("deposit", "withdraw"):
        move = commands.add_parser(name, help=f"{name} funds (idempotent by --tx-id)")
        move.add_argument("--email", required=True)
        move.add_argument("--asset", required=True)
        move.add_argument("--amount", required=True)
        move.add_argument("--tx-id", default="")
        move.set_defaults(run=transfer)

    keys = commands.add_parser("apikey", help="API keys").add_subparsers(dest="action", required=True)
    key = keys.add_parser("create")
    key.add_argument("--email", required=True)
    key.add_argument("--label", default="tradectl")
    key.set_defaults(run=apikey_create)

    held = commands.add_parser("balances")
    held.add_argument("--email", required=True)
    held.set_defaults(run=balances)

    listed = commands.add_parser("symbols").add_subparsers(dest="action", required=True)
    listed.add_parser("list", help="the pairs the running matching service holds").set_defaults(run=symbols_list)
    checked = listed.add_parser("check", help="a markets file, as the services would list it (docs/markets.md)")
    checked.add_argument("--file", required=True)
    checked.set_defaults(run=symbols_check)

    check = commands.add_parser("audit", help="check every invariant; exit 1 on a violation")
    check.add_argument("--wait", type=float, default=10.0, help="seconds to wait for settlement to catch up")
    check.set_defaults(run=audit)

    load = commands.add_parser("bench", help="load test of the order path over gRPC")
    load.add_argument("--orders", type=int, default=20_000)
    load.add_argument("--clients", type=int, default=64)
    load.add_argument("--symbol", default="BTCUSDT")
    load.add_argument("--batch", type=int, default=1, help="orders per call (>1 uses PlaceOrders)")
    load.add_argument(
        "--stream",
        action="store_true",
        help="each client places one order at a time on one PlaceOrderStream all share, as the edge does",
    )
    load.add_argument(
        "--rate", type=float, default=0.0, help="orders/s to pace at (0 = closed loop, as fast as answered)"
    )
    load.set_defaults(run=bench)
    return root


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    config = Config.from_env()
    try:
        result = asyncio.run(args.run(config, args))
    except CommandFailed as failure:
        print(failure, file=sys.stderr)
        raise SystemExit(1) from None
    except grpc.aio.AioRpcError as exc:
        error = status_of(exc)
        print(json.dumps({"code": error.binance_code, "msg": error.message}), file=sys.stderr)
        raise SystemExit(2) from None
    print(json.dumps(result, indent=2))
