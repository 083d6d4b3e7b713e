"""Composition root of the matching service: config -> log and snapshots -> shards -> gRPC."""

from __future__ import annotations

from collections import defaultdict

from exchange.v1 import matching_pb2, matching_pb2_grpc
from services.common import backends
from services.common.catalog import DEMO_SYMBOLS
from services.common.config import Config
from services.common.grpcutil.server import Service, start_server
from services.common.process import serve_forever
from services.matching.servicer import MatchingServicer
from services.matching.shard import MatchingShard


async def run(config: Config) -> None:
    log = backends.open_log(config)
    snapshots = backends.open_snapshots(config)
    by_shard: dict[int, list[str]] = defaultdict(list)
    for symbol in DEMO_SYMBOLS:
        by_shard[symbol.shard].append(symbol.name)
    shards = [MatchingShard(shard, names, log, snapshots) for shard, names in sorted(by_shard.items())]
    for shard in shards:
        await shard.start()
    servicer = MatchingServicer(shards, DEMO_SYMBOLS)
    descriptor = matching_pb2.DESCRIPTOR.services_by_name["MatchingService"]
    server = await start_server(
        [Service(descriptor, servicer, matching_pb2_grpc.add_MatchingServiceServicer_to_server)],
        config.ports["matching"],
        host=config.host,
        metrics_port=config.metrics_port("matching"),
    )
    try:
        await serve_forever()
    finally:
        await server.stop(grace=5.0)
        for shard in shards:
            await shard.stop()  # final snapshots make the next start fast
        await log.close()
