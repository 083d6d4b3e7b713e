"""Bad input on the socket gets Binance's error reply and changes nothing; Binance's limits on
streams, messages and connections hold."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import websockets

from edge.ws import WsLimits
from tests.e2e.platform import Platform
from tests.edge_ws.conftest import Edge, serve_edge
from tests.edge_ws.wsclient import Client, connect

TRADES = "btcusdt@trade"
PACE_S = 0.25  # stay under Binance's 5 incoming messages per second


async def _ask(client: Client, raw: str | bytes) -> Any:
    await asyncio.sleep(PACE_S)
    await client.connection.send(raw)
    return await client.recv()


@pytest.mark.parametrize(
    ("raw", "code", "reply_id"),
    [
        ("not json at all", 3, None),
        ('{"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": 1', 3, None),
        (b"\x00\xff\xfe binary", 3, None),
        ("[1, 2, 3]", 2, None),
        ('{"params": ["btcusdt@trade"], "id": 7}', 2, 7),
        ('{"method": "SUBSCRIBE_ALL", "params": [], "id": 8}', 2, 8),
        ('{"method": 42, "id": 9}', 2, 9),
        ('{"method": "SUBSCRIBE", "params": "btcusdt@trade", "id": 10}', 2, 10),
        ('{"method": "SUBSCRIBE", "params": [], "id": 11}', 2, 11),
        ('{"method": "SUBSCRIBE", "params": [42], "id": 12}', 2, 12),
        ('{"method": "SUBSCRIBE", "params": ["btcusdt@nonsense"], "id": 13}', 2, 13),
        ('{"method": "SUBSCRIBE", "params": ["BTCUSDT@trade"], "id": 14}', 2, 14),
        ('{"method": "SUBSCRIBE", "params": ["nosuchcoin@trade"], "id": 15}', 2, 15),
        ('{"method": "SUBSCRIBE", "params": ["btcusdt@kline_2m"], "id": 16}', 2, 16),
        ('{"method": "SUBSCRIBE", "params": ["btcusdt@depth@500ms"], "id": 17}', 2, 17),
        ('{"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": 9223372036854775808}', 2, None),
        ('{"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": 1.5}', 2, None),
        ('{"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": {"a": 1}}', 2, None),
        ('{"method": "LIST_SUBSCRIPTIONS", "params": ["x"], "id": 18}', 2, 18),
        ('{"method": "SET_PROPERTY", "params": ["combined", "yes"], "id": 19}', 1, 19),
        ('{"method": "SET_PROPERTY", "params": ["compressed", true], "id": 20}', 0, 20),
        ('{"method": "SET_PROPERTY", "params": [1, true], "id": 21}', 2, 21),
        ('{"method": "GET_PROPERTY", "params": [], "id": 22}', 2, 22),
    ],
)
async def test_bad_requests_get_binance_errors_and_change_nothing(
    edge: Edge, raw: str | bytes, code: int, reply_id: Any
) -> None:
    async with connect(edge.ws + "/ws") as client:
        assert await client.request("SUBSCRIBE", [TRADES]) == {"result": None, "id": 1}
        reply = await _ask(client, raw)
        assert set(reply) == {"error", "id"} and reply["id"] == reply_id
        assert reply["error"]["code"] == code and isinstance(reply["error"]["msg"], str)
        if code == 2:
            assert reply["error"]["msg"].startswith("Invalid request: ")
        await asyncio.sleep(PACE_S)
        assert await client.request("LIST_SUBSCRIPTIONS") == {"result": [TRADES], "id": 2}
        await asyncio.sleep(PACE_S)
        assert await client.request("GET_PROPERTY", ["combined"]) == {"result": False, "id": 3}


async def test_a_subscribe_naming_one_bad_stream_subscribes_none_of_them(edge: Edge) -> None:
    async with connect(edge.ws + "/ws") as client:
        reply = await client.request("SUBSCRIBE", ["ethusdt@trade", "ethusdt@bogus", "ethusdt@bookTicker"])
        assert reply["error"]["code"] == 2 and "ethusdt@bogus" in reply["error"]["msg"]
        assert await client.request("LIST_SUBSCRIPTIONS") == {"result": [], "id": 2}
    assert edge.endpoints.context.hub.upstream_count == 0


async def test_string_null_and_negative_request_ids_are_echoed(edge: Edge) -> None:
    # Binance: "64-bit signed integer; alphanumeric strings, max length 36; null"
    async with connect(edge.ws + "/ws") as client:
        assert await _ask(client, '{"method": "LIST_SUBSCRIPTIONS", "id": "req-1"}') == {"result": [], "id": "req-1"}
        assert await _ask(client, '{"method": "LIST_SUBSCRIPTIONS", "id": null}') == {"result": [], "id": None}
        lowest = -(2**63)
        assert await _ask(client, f'{{"method": "LIST_SUBSCRIPTIONS", "id": {lowest}}}') == {"result": [], "id": lowest}


async def test_a_path_that_is_not_a_stream_opens_an_empty_connection(edge: Edge) -> None:
    for path in ("/ws/0", "/ws/17", "/ws/btcusdt@nonsense", "/ws/anything/at/all"):
        async with connect(edge.ws + path) as client:
            assert await client.request("LIST_SUBSCRIPTIONS") == {"result": [], "id": 1}


async def test_a_combined_url_with_an_unknown_stream_is_refused(edge: Edge) -> None:
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with connect(edge.ws + "/stream?streams=btcusdt@trade/btcusdt@bogus"):
            pass
    assert refused.value.response.status_code == 400


async def test_more_than_five_messages_a_second_closes_the_connection(edge: Edge) -> None:
    async with connect(edge.ws + "/ws") as client:
        for _ in range(10):
            await client.send({"method": "LIST_SUBSCRIPTIONS", "id": 1})
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await client.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


async def test_a_connection_cannot_exceed_its_stream_limit(platform: Platform) -> None:
    async with serve_edge(platform, WsLimits(streams_per_connection=3)) as edge, connect(edge.ws + "/ws") as client:
        assert (await client.request("SUBSCRIBE", ["btcusdt@trade", "btcusdt@aggTrade"]))["result"] is None
        refused = await client.request("SUBSCRIBE", ["ethusdt@trade", "ethusdt@aggTrade"])
        assert refused["error"]["code"] == 2 and "3 streams" in refused["error"]["msg"]
        listed = await client.request("LIST_SUBSCRIPTIONS")
        assert listed["result"] == ["btcusdt@trade", "btcusdt@aggTrade"]


async def test_connections_per_ip_are_limited(platform: Platform) -> None:
    async with serve_edge(platform, WsLimits(connections_per_window=3)) as edge:
        for _ in range(3):
            async with connect(edge.ws + "/ws"):
                pass
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with connect(edge.ws + "/ws"):
                pass
    assert refused.value.response.status_code == 429
