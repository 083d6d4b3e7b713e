"""Composition root of the user service: config -> user store and ledger -> domain -> gRPC."""

from __future__ import annotations

from exchange.v1 import tradeproc_pb2_grpc, user_pb2, user_pb2_grpc
from services.common import backends
from services.common.catalog import load_catalog, pin_catalog_units
from services.common.config import Config
from services.common.grpcutil.channel import connect
from services.common.grpcutil.errors import ErrorTable
from services.common.grpcutil.server import Service, start_server
from services.common.process import serve_forever
from services.user.domain import UserDomain
from services.user.servicer import ERRORS, UserServicer
from services.user.user_events import TransferPublisher


async def run(config: Config) -> None:
    store = backends.open_user_store(config)
    ledger = backends.open_ledger(config)
    catalog = load_catalog(config)
    await pin_catalog_units(ledger, catalog)
    tradeproc = connect(config.address("tradeproc"))
    assets = catalog.assets
    publisher = TransferPublisher(tradeproc_pb2_grpc.TradeProcessingServiceStub(tradeproc), assets)
    domain = UserDomain(store, ledger, config.secrets(), assets=assets, on_transfer=publisher.publish)
    publisher.start()
    server = await start_server(
        [user_service(domain)],
        config.ports["user"],
        host=config.host,
        errors=error_table(config),
        metrics_port=config.metrics_port("user"),
    )
    try:
        await serve_forever()
    finally:
        await server.stop(grace=5.0)
        await publisher.close()
        await tradeproc.close()
        domain.close()
        await ledger.close()
        await store.close()


def user_service(domain: UserDomain) -> Service:
    return Service(
        user_pb2.DESCRIPTOR.services_by_name["UserService"],
        UserServicer(domain),
        user_pb2_grpc.add_UserServiceServicer_to_server,
    )


def error_table(config: Config) -> ErrorTable:
    """The servicer's table plus the chosen Ledger's refusals that ports.py does not name yet
    (a tx id reused for a different transfer), mapped here where the backend is known, so the
    domain stays backend-free."""
    if config.backend != "embedded":
        return ERRORS
    from services.common.adapters.embedded.ledger import TransferConflict

    return {**ERRORS, TransferConflict: "TRANSACTION_ID_CONFLICT"}
