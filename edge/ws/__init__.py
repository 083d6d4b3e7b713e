"""Binance Spot's WebSocket streams: market streams (raw, combined, live SUBSCRIBE) and the
user data stream of a listenKey, served from the market data and trade processing services.

    endpoints.py   the URLs (/ws, /ws/<stream|listenKey|anything>, /stream?streams=, /ws-api/v3)
    api.py         the WebSocket API: REST's operations and the user data stream subscription
    connection.py  one client: subscriptions, live requests, outbox, closing
    requests.py    SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS / SET_PROPERTY / GET_PROPERTY
    streams.py     stream names; catalog.py: the listed symbols they may name
    hub.py         one upstream per stream per edge process, fan-out to local subscribers
    direct.py      each event framed once, written straight to uvicorn's transports
    upstream.py    MarketDataService.Subscribe (and GetAvgPrice) as upstreams (embedded backends)
    relayed.py     the market stream fan-out (Redis pub/sub) as upstreams (real backends)
    render.py      marketdata.proto events -> Binance's JSON
    user_data.py   listenKeys, StreamUserEvents routed to sockets, listenKeyExpired
    limits.py      Binance's connection limits; the server's ping settings
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from edge.lifecycle import ShutdownNotice
from edge.rest.handler import RestApi
from edge.rest.operations import ClosedListenKeys
from exchange.v1 import marketdata_pb2_grpc, tradeproc_pb2_grpc, user_pb2_grpc
from services.common import backends
from services.common.config import Config
from services.common.grpcutil.channel import connect

from .catalog import SymbolCatalog
from .connection import WsContext
from .endpoints import WsEndpoints
from .hub import MarketHub
from .limits import WsLimits, server_options
from .relayed import RelayedUpstreams
from .upstream import MarketDataUpstreams, UpstreamSource
from .user_data import ListenKeys, UserEvents

__all__ = ["WsLimits", "context_from_config", "routes", "server_options"]


def market_upstreams(config: Config, marketdata: marketdata_pb2_grpc.MarketDataServiceStub) -> UpstreamSource:
    """Embedded: a gRPC Subscribe per stream on market data. Real: one Redis pub/sub
    subscription per stream, shared with market data by every edge replica
    (SPOTEX_WS_FANOUT=redis picks it alone, as services/marketdata/main.py does)."""
    subscriber = backends.open_stream_subscriber(config)
    if subscriber is None:
        return MarketDataUpstreams(marketdata)
    return RelayedUpstreams(subscriber)


def context_from_config(config: Config, limits: WsLimits) -> WsContext:
    """Long-lived channels of the WebSocket side's own (streams outlive any request)."""
    marketdata = marketdata_pb2_grpc.MarketDataServiceStub(connect(config.address("marketdata")))
    return WsContext(
        hub=MarketHub(market_upstreams(config, marketdata)),
        catalog=SymbolCatalog(marketdata),
        user_events=UserEvents(tradeproc_pb2_grpc.TradeProcessingServiceStub(connect(config.address("tradeproc")))),
        listen_keys=ListenKeys(user_pb2_grpc.UserServiceStub(connect(config.address("user")))),
        limits=limits,
    )


def routes(
    clients: object,
    config: Config,
    limits: WsLimits | None = None,
    rest: RestApi | None = None,
    closed_keys: ClosedListenKeys | None = None,
    shutdown_notice: ShutdownNotice | None = None,
) -> list[BaseRoute]:
    """The WebSocket routes of the edge app. `clients` (the REST side's stubs) is not used:
    streams get their own channels. Limits default to Binance's, overridable from the
    environment (SPOTEX_EDGE_WS_*). `rest` (the REST side's pipeline) serves /ws-api/v3;
    `closed_keys` tells of listenKeys closed through the REST side; `shutdown_notice`, of the
    edge about to stop (every client is sent serverShutdown)."""
    chosen = limits or WsLimits.from_env()
    endpoints = WsEndpoints(lambda: context_from_config(config, chosen), chosen, rest)
    if closed_keys is not None:
        closed_keys.listen(endpoints.listen_key_closed)
    if shutdown_notice is not None:
        shutdown_notice.listen(endpoints.announce_shutdown)
    return endpoints.routes()
