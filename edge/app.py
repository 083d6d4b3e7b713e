"""The edge's ASGI app: the REST surface of the routing table, /openapi.json generated from the
same table, the WebSocket routes of edge/ws when that package is present, and the web UI
(edge/web: `/` and its files under `/web/`, static, built on the public API alone)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.datastructures import URLPath
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Match, Mount, NoMatchFound, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from edge.auth import Authenticator
from edge.client_address import ClientAddressFromHeader
from edge.clients import Clients
from edge.errors import ApiError, method_not_allowed, not_found
from edge.lifecycle import ShutdownNotice
from edge.openapi import openapi_document
from edge.ratelimit import InMemoryRateLimiter, RateLimiter
from edge.rest.handler import RestApi
from edge.rest.operations import ClosedListenKeys, build_operations
from edge.rest.routes import routing_table
from edge.settings import EdgeSettings
from services.common.config import Config

try:
    from edge.ws import routes as ws_routes
except ImportError:  # the WebSocket half is optional
    ws_routes = None  # type: ignore[assignment]


def build_app(
    clients: Clients,
    config: Config,
    settings: EdgeSettings | None = None,
    limiter: RateLimiter | None = None,
) -> Starlette:
    settings = settings or EdgeSettings.from_env()
    table = routing_table()
    authenticator = Authenticator(clients.user, config.secrets().admin_token, settings.rpc_timeout_s)
    limiter = limiter or InMemoryRateLimiter(settings)
    closed_keys = ClosedListenKeys()  # DELETE userDataStream (REST or WebSocket API) ends its streams at once
    shutdown_notice = ShutdownNotice()  # edge.main tells it before the server stops
    paths = build_operations(table, clients, authenticator, limiter, settings, config.dev_mode, closed_keys)
    api = RestApi(paths, authenticator, limiter, settings)
    document = orjson.dumps(openapi_document([b for b in table if b.path in api.paths]))

    async def openapi(request: Request) -> Response:
        return Response(document, media_type="application/json")

    routes: list[BaseRoute] = [RestRoutes({path: api.endpoint(path) for path in api.paths})]
    routes.append(Route("/openapi.json", openapi, methods=["GET"]))
    # the UI's files under /web only: a static mount at / would answer unknown API paths with
    # its own 404 instead of Binance's {"code": -1000, ...}
    routes.append(Route("/", _web_ui_page, methods=["GET", "HEAD"]))
    routes.append(Mount("/web", _WithWebUiHeaders(StaticFiles(directory=WEB_UI))))
    if ws_routes is not None:
        routes.extend(ws_routes(clients, config, rest=api, closed_keys=closed_keys, shutdown_notice=shutdown_notice))
    middleware = []
    if settings.client_address_header:
        middleware.append(Middleware(ClientAddressFromHeader, header=settings.client_address_header))
    app = Starlette(routes=routes, middleware=middleware, exception_handlers={404: _not_found, 405: _not_allowed})
    # Binance answers /api/v3/ping/ with 404 -1000; Starlette would redirect it to /api/v3/ping
    app.router.redirect_slashes = False
    app.state.shutdown_notice = shutdown_notice
    return app


WEB_UI = Path(__file__).parent / "web"
# The page holds an API secret in its session storage: it loads nothing from elsewhere, cannot
# be framed (clickjacking an order form), and sends no referrer.
WEB_UI_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


async def _web_ui_page(request: Request) -> Response:
    return FileResponse(WEB_UI / "index.html", media_type="text/html", headers=WEB_UI_HEADERS)


class _WithWebUiHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [(name.encode(), value.encode()) for name, value in WEB_UI_HEADERS.items()]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self._app(scope, receive, send_with_headers)


class RestRoutes(BaseRoute):
    """Every REST path as one route found by a dict lookup: Starlette tries its routes one
    regex at a time, which for ~40 Binance paths is a measurable share of a request."""

    def __init__(self, endpoints: dict[str, ASGIApp]) -> None:
        self._endpoints = endpoints

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        endpoint = self._endpoints.get(scope["path"]) if scope["type"] == "http" else None
        return (Match.FULL, {"endpoint": endpoint}) if endpoint is not None else (Match.NONE, {})

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await scope["endpoint"](scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)


def _binance_error(error: ApiError) -> Response:
    return Response(orjson.dumps(error.body()), status_code=error.status, media_type="application/json")


async def _not_found(request: Request, exc: Exception) -> Response:
    return _binance_error(not_found(request.method, request.url.path))


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return _binance_error(method_not_allowed(request.method, request.url.path))
