"""Composition root of the matching service: config -> log and snapshots -> shards -> gRPC."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

from grpc_health.v1 import health_pb2

from exchange.v1 import matching_pb2, matching_pb2_grpc
from services.common import backends
from services.common.aio import cancel_and_wait
from services.common.catalog import load_catalog
from services.common.config import Config
from services.common.grpcutil.server import RunningServer, Service, start_server
from services.common.process import serve_forever
from services.matching.servicer import MatchingServicer
from services.matching.shard import MatchingShard

log = logging.getLogger(__name__)


async def _not_serving_once_fenced(shards: list[MatchingShard], server: RunningServer) -> None:
    """A fenced shard has lost its journal to a newer process: stop attracting traffic, but stay
    up. Exiting would get this process restarted, and a restart claims the journal back."""
    waits = [asyncio.create_task(shard.wait_fenced()) for shard in shards]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()
    log.error("a matching shard was fenced by a newer process; reporting NOT_SERVING")
    for name in ("", *server.service_names):
        await server.health.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)


async def run(config: Config) -> None:
    log = backends.open_log(config)
    snapshots = backends.open_snapshots(config)
    catalog = load_catalog(config)
    by_shard: dict[int, list[str]] = defaultdict(list)
    for symbol in catalog.symbols:
        by_shard[symbol.shard].append(symbol.name)
    shards = [MatchingShard(shard, names, log, snapshots) for shard, names in sorted(by_shard.items())]
    for shard in shards:
        await shard.start()
    servicer = MatchingServicer(shards, catalog.symbols)
    descriptor = matching_pb2.DESCRIPTOR.services_by_name["MatchingService"]
    server = await start_server(
        [Service(descriptor, servicer, matching_pb2_grpc.add_MatchingServiceServicer_to_server)],
        config.ports["matching"],
        host=config.host,
        metrics_port=config.metrics_port("matching"),
    )
    watching = asyncio.create_task(_not_serving_once_fenced(shards, server))
    try:
        await serve_forever()
    finally:
        await cancel_and_wait(watching)
        await server.stop(grace=5.0)
        for shard in shards:
            await shard.stop()  # final snapshots make the next start fast
        await log.close()
