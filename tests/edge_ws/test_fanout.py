"""One upstream per stream per edge process, shared by its subscribers; a subscriber that does
not read is dropped while the others keep receiving everything."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
import websockets

from edge.ws import WsLimits
from edge.ws.direct import DirectWriter
from tests.e2e.platform import Platform
from tests.edge_ws.conftest import Edge, Traders, serve_edge
from tests.edge_ws.wsclient import Client, connect

SYMBOL = "BTCUSDT"


async def test_subscribers_of_one_stream_share_one_upstream(edge: Edge, traders: Traders) -> None:
    hub = edge.endpoints.context.hub
    async with connect(edge.ws + "/ws/0") as a, connect(edge.ws + "/ws/1") as b, connect(
        edge.ws + "/stream?streams=btcusdt@trade"
    ) as c:
        for client in (a, b):
            assert await client.request("SUBSCRIBE", ["btcusdt@trade", "btcusdt@depth@100ms"]) == {
                "result": None,
                "id": 1,
            }
        assert hub.upstream_count == 2
        assert hub.subscriber_count("btcusdt@trade") == 3 and hub.subscriber_count("btcusdt@depth@100ms") == 2
        seller = await traders.funded(BTC="1")
        buyer = await traders.funded(USDT="1000000")
        await seller.place(SYMBOL, "SELL", "0.01000", "95010.00")
        await buyer.place(SYMBOL, "BUY", "0.01000", "95010.00")
        trades = [await a.event(lambda m: m.get("e") == "trade"), await b.event(lambda m: m.get("e") == "trade")]
        trades.append((await c.event(lambda m: m.get("stream") == "btcusdt@trade"))["data"])
        assert trades[0] == trades[1] == trades[2]
        await a.request("UNSUBSCRIBE", ["btcusdt@depth@100ms"])
        assert hub.subscriber_count("btcusdt@depth@100ms") == 1
    await asyncio.sleep(0.1)
    assert hub.upstream_count == 0  # the last subscriber gone, the upstream is closed


async def _non_reading_client(url: str) -> Any:
    """A client whose socket buffers are tiny and who never reads: the edge's writes back up."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    host, port = url.removeprefix("ws://").split("/")[0].split(":")
    await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
    return await websockets.connect(url, sock=sock, compression=None, max_queue=1)


@pytest.mark.slow
@pytest.mark.parametrize("direct_writes", [True, False], ids=["direct", "asgi"])
async def test_a_slow_consumer_is_disconnected_and_the_others_get_every_trade(
    platform: Platform, traders: Traders, direct_writes: bool
) -> None:
    streams = ["btcusdt@trade", "btcusdt@aggTrade", "btcusdt@bookTicker", "btcusdt@depth@100ms"]
    url_path = "/stream?streams=" + "/".join(streams)
    limits = WsLimits(backlog_bytes=16_384, direct_writes=direct_writes)
    edge_under_test = serve_edge(platform, limits, send_buffer=4096)
    async with edge_under_test as edge, connect(edge.ws + url_path) as fast:
        hub = edge.endpoints.context.hub
        slow = await _non_reading_client(edge.ws + url_path)
        assert hub.subscriber_count("btcusdt@trade") == 2
        seller = await traders.funded(BTC="100")
        buyer = await traders.funded(USDT="100000000")
        received: list[int] = []

        async def read_fast() -> None:
            while True:
                message = await fast.recv(timeout=30)
                if message["stream"] == "btcusdt@trade":
                    received.append(message["data"]["t"])

        reading = asyncio.create_task(read_fast())
        placed = 0
        async with asyncio.timeout(60):
            while hub.subscriber_count("btcusdt@trade") > 1:
                await asyncio.gather(*(seller.place(SYMBOL, "SELL", "0.00100", "95020.00") for _ in range(10)))
                await asyncio.gather(*(buyer.place(SYMBOL, "BUY", "0.00100", "95020.00") for _ in range(10)))
                placed += 10
        # The fast client goes on receiving; every trade, in order, no gaps.
        await seller.place(SYMBOL, "SELL", "0.00100", "95020.00")
        await buyer.place(SYMBOL, "BUY", "0.00100", "95020.00")
        async with asyncio.timeout(10):
            while len(received) < placed + 1:
                await asyncio.sleep(0.05)
        reading.cancel()
        assert received == list(range(received[0], received[0] + placed + 1))  # trade ids have no gaps
        assert hub.subscriber_count("btcusdt@trade") == 1
        with pytest.raises(websockets.ConnectionClosed):
            async with asyncio.timeout(10):
                while True:
                    await slow.recv()
        await slow.close()
        print(f"slow consumer dropped after {placed} trades")


async def test_frames_go_straight_to_the_transport_under_uvicorn(
    edge: Edge, traders: Traders, monkeypatch: pytest.MonkeyPatch
) -> None:
    attached: list[DirectWriter | None] = []
    attach = DirectWriter.attach

    def recording() -> DirectWriter | None:
        attached.append(attach())
        return attached[-1]

    monkeypatch.setattr(DirectWriter, "attach", recording)
    async with connect(edge.ws + "/ws/btcusdt@trade") as client:
        assert await client.request("LIST_SUBSCRIPTIONS") == {"result": ["btcusdt@trade"], "id": 1}
    assert len(attached) == 1 and attached[0] is not None


async def test_the_server_pings_and_a_permessage_deflate_client_still_gets_its_frames(platform: Platform) -> None:
    async with serve_edge(platform, server={"ws_ping_interval": 0.2, "ws_per_message_deflate": True}) as edge:
        reader, writer = await asyncio.open_connection("127.0.0.1", edge.port)
        writer.write(
            b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        await reader.readuntil(b"\r\n\r\n")
        opcode = (await asyncio.wait_for(reader.readexactly(2), 5))[0] & 0x0F
        assert opcode == 0x9  # ping
        writer.close()
        # compression negotiated: the edge falls back to ASGI sends, and frames still arrive
        async with websockets.connect(edge.ws + "/ws/btcusdt@bookTicker", compression="deflate") as compressed:
            assert compressed.protocol.extensions
            client = Client(compressed)
            book = await client.recv()  # the stream's current state comes first
            assert set(book) == {"u", "s", "b", "B", "a", "A"}
            assert await client.request("LIST_SUBSCRIPTIONS") == {"result": ["btcusdt@bookTicker"], "id": 1}


async def test_two_edge_processes_each_deliver_every_trade_from_the_shared_feed(
    platform: Platform, traders: Traders
) -> None:
    """Edge replicas share nothing but the market data feed: each has its own upstream."""
    async with serve_edge(platform) as first, serve_edge(platform) as second:
        async with connect(first.ws + "/ws/btcusdt@trade") as a, connect(second.ws + "/ws/btcusdt@trade") as b:
            await asyncio.sleep(0.2)  # both upstreams registered before the trade
            seller = await traders.funded(BTC="1")
            buyer = await traders.funded(USDT="1000000")
            await seller.place(SYMBOL, "SELL", "0.02000", "95020.00")
            await buyer.place(SYMBOL, "BUY", "0.02000", "95020.00")
            from_first = await a.event(lambda m: m.get("e") == "trade")
            from_second = await b.event(lambda m: m.get("e") == "trade")
        assert from_first == from_second
        assert (from_first["p"], from_first["q"]) == ("95020.00000000", "0.02000000")
        assert first.endpoints.context.hub is not second.endpoints.context.hub
