"""The app as composed (in-process, real services where needed): dev-mode endpoints, and
what a client sees when a service cannot be reached."""

from __future__ import annotations

import dataclasses

import httpx

from edge.app import build_app
from edge.client_address import viewer_address
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


def test_a_path_with_a_trailing_slash_is_unknown_not_redirected(exchange: Exchange) -> None:
    for path in ("/api/v3/ping/", "/api/v3/depth/?symbol=BTCUSDT"):
        response = httpx.get(exchange.url + path, follow_redirects=False)
        assert (response.status_code, response.json()["code"]) == (404, -1000), path


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


async def test_behind_cloudfront_the_viewer_address_is_the_one_limited(exchange: Exchange) -> None:
    clients = Clients.from_config(exchange.platform.config)
    settings = EdgeSettings(weight_per_minute=3, client_address_header="CloudFront-Viewer-Address")
    app = build_app(clients, exchange.platform.config, settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://edge") as http:

        async def ping(viewer: str, forwarded_for: str = "") -> int:
            headers = {"CloudFront-Viewer-Address": viewer, "X-Forwarded-For": forwarded_for or viewer}
            return (await http.get("/api/v3/ping", headers=headers)).status_code

        # a client that varies X-Forwarded-For is still the one viewer CloudFront names
        assert [await ping("198.51.100.10:46532", f"10.0.0.{i}") for i in range(4)] == [200, 200, 200, 429]
        assert await ping("2001:db8::1:443") == 200  # another viewer, IPv6, its own budget
        assert await ping("2001:db8::1:444") == 200  # the same viewer from another port
    await clients.close()


async def test_without_the_setting_no_header_chooses_the_address_limited(exchange: Exchange) -> None:
    clients = Clients.from_config(exchange.platform.config)
    app = build_app(clients, exchange.platform.config, EdgeSettings(weight_per_minute=3))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://edge") as http:
        statuses = [
            (await http.get("/api/v3/ping", headers={"CloudFront-Viewer-Address": f"198.51.100.{i}:1"})).status_code
            for i in range(4)
        ]
    assert statuses == [200, 200, 200, 429]  # all counted against the TCP peer
    await clients.close()


def test_a_viewer_address_is_an_ip_and_a_port_or_nothing() -> None:
    assert viewer_address("198.51.100.10:46532") == ("198.51.100.10", 46532)
    assert viewer_address("2001:0db8:85a3::8a2e:0370:7334:443") == ("2001:db8:85a3::8a2e:370:7334", 443)
    assert viewer_address("[2001:db8::1]:443") == ("2001:db8::1", 443)
    for garbage in ("", "198.51.100.10", "example.com:443", "1.2.3.4:port", "999.1.1.1:80"):
        assert viewer_address(garbage) is None, garbage
