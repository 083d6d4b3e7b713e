"""The app as composed (in-process, real services where needed): dev-mode endpoints, and
what a client sees when a service cannot be reached."""

from __future__ import annotations

import dataclasses

import httpx

from edge.app import build_app
from edge.clients import SERVICE_HOSTS, Clients
from edge.settings import EdgeSettings
from tests.edge.conftest import Exchange


async def test_the_faucet_exists_only_in_dev_mode(exchange: Exchange) -> None:
    config = dataclasses.replace(exchange.platform.config, dev_mode=False)
    clients = Clients.from_config(config)
    app = build_app(clients, config, EdgeSettings())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://edge") as http:
        response = await http.post("/api/v1/faucet", data={"asset": "BTC", "amount": "1"})
        assert (response.status_code, response.json()["code"]) == (404, -1000)
        assert "/api/v1/faucet" not in (await http.get("/openapi.json")).json()["paths"]
    await clients.close()


async def test_an_unreachable_service_is_an_unknown_outcome_503_never_a_4xx(exchange: Exchange) -> None:
    # port 1 on 127.0.0.1: connections are refused at once
    clients = Clients({name: "127.0.0.1:1" for name in set(SERVICE_HOSTS.values())})
    app = build_app(clients, exchange.platform.config, EdgeSettings())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://edge") as http:
        depth = await http.get("/api/v3/depth", params={"symbol": "BTCUSDT"})
        assert (depth.status_code, depth.json()["code"]) == (503, -1001)
        signed = await http.get("/api/v3/account?timestamp=1&signature=00", headers={"X-MBX-APIKEY": "k" * 64})
        assert (signed.status_code, signed.json()["code"]) == (503, -1001)
    await clients.close()
