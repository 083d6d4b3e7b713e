"""SIGKILL of the edge while signed orders flow through it: the edge keeps no state of its own,
so every order it acknowledged is in the order service, the audit passes, and what a trader
holds from before the crash (API key, listenKey) works on the restarted edge. And the system
status it reports follows the health of the services behind it."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from services.tradectl.gather import audit_exchange
from tests.e2e.platform import AUDIT_WAIT_S, Platform
from tests.edge.conftest import Account, Exchange, Ledger, RawClient, _start_edge, open_account

ORDERS = 150
FLOW_LIMIT_S = 90  # the flow stops by itself even if the edge never comes back


@pytest.fixture
def exchange(tmp_path: Path) -> Iterator[Exchange]:
    platform = Platform(tmp_path / "exchange")
    # one trader places ORDERS / 2 orders in a few seconds: beyond Binance's 50 per 10 s
    platform.overrides["SPOTEX_EDGE_ORDERS_PER_10S"] = "100000"
    platform.start_all()
    try:
        running = Exchange(platform, f"http://127.0.0.1:{platform.ports['edge']}", _start_edge(platform))
        try:
            yield running
        finally:
            running.edge.kill()
            running.edge.wait(timeout=15)
    finally:
        platform.stop_all()


def _flow(exchange: Exchange, buyer: Account, seller: Account, acknowledged: list[tuple[Account, int]],
          stop: threading.Event) -> None:
    """Crossing LIMIT orders until told to stop; a client whose connection broke opens another."""
    deadline = time.monotonic() + FLOW_LIMIT_S
    clients = {id(buyer): RawClient(exchange, buyer), id(seller): RawClient(exchange, seller)}
    n = 0
    try:
        while not stop.is_set() and len(acknowledged) < ORDERS and time.monotonic() < deadline:
            account, side = (buyer, "BUY") if n % 2 == 0 else (seller, "SELL")
            params = {"symbol": "BTCUSDT", "side": side, "type": "LIMIT", "timeInForce": "GTC",
                      "quantity": "0.001", "price": "30000.00", "newOrderRespType": "ACK"}
            try:
                reply = clients[id(account)].signed("POST", "/api/v3/order", params, in_body=True)
            except Exception:  # the edge is down: a client backs off and retries
                clients[id(account)].close()
                clients[id(account)] = RawClient(exchange, account)
                time.sleep(0.05)
                continue
            if reply.status_code == 200:
                acknowledged.append((account, reply.json()["orderId"]))
                n += 1
            else:
                time.sleep(0.05)  # 5xx while the services reconnect: retry
    finally:
        for client in clients.values():
            client.close()


def _restart_edge(exchange: Exchange) -> None:
    exchange.edge.kill()  # SIGKILL
    exchange.edge.wait(timeout=10)
    exchange.edge = _start_edge(exchange.platform)


def test_an_edge_killed_mid_stream_loses_no_acknowledged_order(exchange: Exchange) -> None:
    buyer = open_account(exchange, {"USDT": "100000"})
    seller = open_account(exchange, {"BTC": "10"})
    stream = RawClient(exchange, buyer)
    listen_key = stream.http.post("/api/v3/userDataStream", headers={"X-MBX-APIKEY": buyer.api_key}).json()["listenKey"]

    acknowledged: list[tuple[Account, int]] = []
    stop = threading.Event()
    flowing = threading.Thread(target=_flow, args=(exchange, buyer, seller, acknowledged, stop))
    flowing.start()
    try:
        deadline = time.monotonic() + FLOW_LIMIT_S
        while len(acknowledged) < ORDERS // 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        _restart_edge(exchange)
        while len(acknowledged) < ORDERS and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        flowing.join(timeout=30)
    assert len(acknowledged) >= ORDERS, f"the flow stalled at {len(acknowledged)} orders after the restart"
    exchange.platform.assert_alive()

    ledger = Ledger(exchange.platform)
    try:
        for account, order_id in acknowledged:
            assert ledger.order(account, "BTCUSDT", order_id).order_id == order_id
    finally:
        ledger.close()
    assert asyncio.run(audit_exchange(exchange.platform.config, quiet_for_s=AUDIT_WAIT_S)) == []

    # the listenKey made before the crash lives in the user service: the new edge serves it
    stream.close()
    stream = RawClient(exchange, buyer)
    kept = stream.http.put("/api/v3/userDataStream", params={"listenKey": listen_key},
                           headers={"X-MBX-APIKEY": buyer.api_key})
    assert kept.status_code == 200, kept.text
    with connect(f"ws://127.0.0.1:{exchange.platform.ports['edge']}/ws/{listen_key}", open_timeout=10) as socket:
        placed = stream.signed("POST", "/api/v3/order", {
            "symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
            "quantity": "0.001", "price": "20000.00"}, in_body=True)
        assert placed.status_code == 200, placed.text
        order_id = placed.json()["orderId"]
        end = time.monotonic() + 15
        reports = []
        while time.monotonic() < end:
            event = json.loads(socket.recv(timeout=max(0.1, end - time.monotonic())))
            if event.get("e") == "executionReport":
                reports.append(event)
                if event["i"] == order_id:
                    break
        assert [(r["i"], r["x"]) for r in reports][-1:] == [(order_id, "NEW")]
    stream.close()


def test_the_system_status_says_maintenance_while_a_service_of_the_order_path_is_down(exchange: Exchange) -> None:
    with httpx.Client(base_url=exchange.url, timeout=10) as http:
        assert http.get("/sapi/v1/system/status").json() == {"status": 0, "msg": "normal"}
        exchange.platform.stop("tradeproc")
        assert http.get("/sapi/v1/system/status").json() == {"status": 1, "msg": "system_maintenance"}
        exchange.platform.start("tradeproc")
        deadline = time.monotonic() + 30  # gRPC's reconnect backoff, on 2 busy cores
        while http.get("/sapi/v1/system/status").json()["status"] != 0:
            assert time.monotonic() < deadline, "still in maintenance after the service came back"
            time.sleep(0.1)
