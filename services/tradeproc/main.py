"""Composition root of trade processing: config -> ledger + event source -> loop -> gRPC."""

from __future__ import annotations

import asyncio

from exchange.v1 import tradeproc_pb2, tradeproc_pb2_grpc
from services.common import backends
from services.common.aio import cancel_and_wait, ended_result
from services.common.catalog import load_catalog, pin_catalog_units
from services.common.config import Config
from services.common.grpcutil.server import Service, start_server
from services.common.process import serve_forever
from services.tradeproc.fees import FeeSchedule
from services.tradeproc.servicer import TradeProcessingServicer
from services.tradeproc.settlement_loop import SettlementLoop


async def run(config: Config) -> None:
    ledger = backends.open_ledger(config)
    fees = FeeSchedule(maker_ppm=config.maker_fee_ppm, taker_ppm=config.taker_fee_ppm)
    catalog = load_catalog(config)
    await pin_catalog_units(ledger, catalog)
    symbols = catalog.by_name
    loop = SettlementLoop(symbols, ledger, backends.event_source(config, "tradeproc"), fees)
    settling = asyncio.create_task(loop.run(), name="settlement-loop")
    servicer = TradeProcessingServicer(symbols, catalog.assets, ledger, loop, fees)
    descriptor = tradeproc_pb2.DESCRIPTOR.services_by_name["TradeProcessingService"]
    server = await start_server(
        [Service(descriptor, servicer, tradeproc_pb2_grpc.add_TradeProcessingServiceServicer_to_server)],
        config.ports["tradeproc"],
        host=config.host,
        metrics_port=config.metrics_port("tradeproc"),
    )
    try:
        await asyncio.wait([settling, asyncio.create_task(serve_forever())], return_when=asyncio.FIRST_COMPLETED)
        ended_result(settling)  # the loop only ends by failing: surface why
    finally:
        await server.stop(grace=5.0)
        await cancel_and_wait(settling)
        await ledger.close()
