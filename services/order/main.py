"""Composition root of the order service: config -> ledger, matching routes, settlement watch
-> desk -> gRPC. On start it re-drives orders a previous process left PENDING."""

from __future__ import annotations

import asyncio

from exchange.v1 import matching_pb2, matching_pb2_grpc, order_pb2, order_pb2_grpc
from services.common import backends
from services.common.aio import cancel_and_wait
from services.common.catalog import load_catalog, pin_catalog_units
from services.common.config import Config
from services.common.grpcutil.channel import connect
from services.common.grpcutil.server import Service, start_server
from services.common.process import serve_forever
from services.order.desk import OrderDesk
from services.order.router import MatchingRouter
from services.order.servicer import OrderServicer
from services.order.settlement_watch import SettlementWatch
from services.tradeproc.fees import FeeSchedule


async def run(config: Config) -> None:
    catalog = load_catalog(config)
    symbols = catalog.by_name
    ledger = backends.open_ledger(config)
    await pin_catalog_units(ledger, catalog)
    router = MatchingRouter({name: config.address("matching") for name in symbols})
    settlement = SettlementWatch(config.address("tradeproc"))
    settlement.start()
    fees = FeeSchedule(maker_ppm=config.maker_fee_ppm, taker_ppm=config.taker_fee_ppm)
    desk = OrderDesk(symbols, ledger, router, settlement, fees)
    async with connect(config.address("matching")) as channel:
        listed = await matching_pb2_grpc.MatchingServiceStub(channel).ListSymbols(matching_pb2.ListSymbolsRequest())
    desk.last_price.update({s.info.symbol: s.last_price for s in listed.symbols if s.last_price})
    await desk.redrive_pending()
    redriving = asyncio.create_task(desk.redrive_forever(), name="redrive-pending-orders")

    descriptor = order_pb2.DESCRIPTOR.services_by_name["OrderService"]
    servicer = OrderServicer(desk)
    server = await start_server(
        [Service(descriptor, servicer, order_pb2_grpc.add_OrderServiceServicer_to_server)],
        config.ports["order"],
        host=config.host,
        metrics_port=config.metrics_port("order"),
    )
    try:
        await serve_forever()
    finally:
        servicer.stop_streams()
        await server.stop(grace=5.0)
        await cancel_and_wait(redriving)
        await router.close()
        await settlement.close()
        await ledger.close()
