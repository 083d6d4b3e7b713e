"""spotex's own REST for newcomers and the web UI (/api/v1), Binance's listenKey endpoints,
and /openapi.json."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal as D

import httpx
import pytest

from edge.rest.routes import routing_table
from tests.edge.conftest import PASSWORD, Account, Exchange, Ledger, RawClient, session_headers


@pytest.fixture
def http(exchange: Exchange) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=exchange.url, timeout=10) as client:
        yield client


def test_register_login_and_manage_api_keys_with_a_session(
    http: httpx.Client, new_account: Callable[..., Account]
) -> None:
    account = new_account()
    again = http.post("/api/v1/register", json={"email": account.email, "password": PASSWORD})
    assert again.status_code == 400 and again.json()["msg"] == "A user with this email already exists."
    wrong = http.post("/api/v1/login", json={"email": account.email, "password": "not the password at all"})
    assert (wrong.status_code, wrong.json()) == (401, {"code": -1002, "msg": "Invalid email or password."})

    headers = session_headers(account.token)
    keys = http.get("/api/v1/apiKeys", headers=headers).json()["keys"]
    assert [(k["apiKey"], k["permissions"]) for k in keys] == [
        (account.api_key, ["PERMISSION_READ", "PERMISSION_TRADE"])
    ]
    read_only = http.post("/api/v1/apiKey", data={"label": "ro", "permissions": "READ"}, headers=headers).json()
    assert read_only["key"]["permissions"] == ["PERMISSION_READ"] and len(read_only["secretKey"]) == 64

    assert http.get("/api/v1/apiKeys").json()["code"] == -1002  # no session
    assert http.get("/api/v1/apiKeys", headers=session_headers("forged.jwt.token")).status_code == 401


def test_a_revoked_key_stops_working_at_once(
    http: httpx.Client, new_account: Callable[..., Account], raw: Callable[..., RawClient]
) -> None:
    account = new_account()
    client = raw(account)
    assert client.signed("GET", "/api/v3/account").status_code == 200
    revoked = http.request(
        "DELETE", "/api/v1/apiKey", params={"apiKey": account.api_key}, headers=session_headers(account.token)
    )
    assert (revoked.status_code, revoked.json()) == (200, {})
    refused = client.signed("GET", "/api/v3/account")
    assert (refused.status_code, refused.json()["code"]) == (401, -2015)


def test_a_read_only_key_cannot_trade(
    http: httpx.Client, new_account: Callable[..., Account], raw: Callable[..., RawClient], ledger: Ledger
) -> None:
    account = new_account(USDT="100")
    created = http.post(
        "/api/v1/apiKey", json={"permissions": ["PERMISSION_READ"]}, headers=session_headers(account.token)
    ).json()
    reader = Account(account.user_id, account.email, account.token, created["key"]["apiKey"], created["secretKey"])
    client = raw(reader)
    assert client.signed("GET", "/api/v3/openOrders").json() == []
    order = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.0001"}
    refused = client.signed("POST", "/api/v3/order", {**order, "price": "50000"}, in_body=True)
    assert (refused.status_code, refused.json()["code"]) == (401, -2015)
    assert ledger.open_orders(account) == []


def test_the_faucet_credits_the_session_own_account(
    http: httpx.Client, new_account: Callable[..., Account], ledger: Ledger
) -> None:
    account = new_account()
    granted = http.post(
        "/api/v1/faucet", data={"asset": "BTC", "amount": "0.5", "userId": "1"}, headers=session_headers(account.token)
    )
    assert granted.status_code == 200, granted.text
    assert granted.json()["balance"] == {"asset": "BTC", "free": "0.50000000", "locked": "0.00000000"}
    assert ledger.balances(account) == {"BTC": (D("0.5"), D(0))}
    balances = http.get("/api/v1/balances", headers=session_headers(account.token)).json()["balances"]
    assert balances == [{"asset": "BTC", "free": "0.50000000", "locked": "0.00000000"}]
    unknown = http.post("/api/v1/faucet", data={"asset": "DOGE", "amount": "1"}, headers=session_headers(account.token))
    assert unknown.status_code == 400 and unknown.json()["code"] == -1100
    # amounts in Binance's decimal grammar only: Decimal() alone would take each of these
    headers = session_headers(account.token)
    for amount in ("1_000", " 1", "\u0663", "+1", "1e2", "NaN"):
        odd = http.post("/api/v1/faucet", data={"asset": "BTC", "amount": amount}, headers=headers)
        assert (odd.status_code, odd.json()["code"]) == (400, -1100), (amount, odd.text)
    for missing, sent in (("asset", {"amount": "1"}), ("amount", {"asset": "BTC"}), ("asset", {})):
        refused = http.post("/api/v1/faucet", data=sent, headers=headers).json()
        assert (refused["code"], f"'{missing}'" in refused["msg"]) == (-1102, True), refused
    assert ledger.balances(account) == {"BTC": (D("0.5"), D(0))}


def test_admin_deposits_need_the_operator_token(
    exchange: Exchange, http: httpx.Client, new_account: Callable[..., Account], ledger: Ledger
) -> None:
    account = new_account()
    deposit = {"userId": str(account.user_id), "asset": "ETH", "amount": "3", "transactionId": "chain-tx-1"}
    as_user = http.post("/api/v1/admin/deposit", data=deposit, headers=session_headers(account.token))
    assert as_user.status_code == 401
    operator = session_headers(exchange.platform.config.secrets().admin_token)
    first = http.post("/api/v1/admin/deposit", data=deposit, headers=operator).json()
    again = http.post("/api/v1/admin/deposit", data=deposit, headers=operator).json()
    assert (first["duplicate"], again["duplicate"]) == (False, True)
    assert ledger.balances(account) == {"ETH": (D(3), D(0))}


def test_listen_keys_need_only_the_api_key(
    new_account: Callable[..., Account], raw: Callable[..., RawClient]
) -> None:
    account = new_account()
    http = raw(account).http
    key_header = {"X-MBX-APIKEY": account.api_key}
    created = http.post("/api/v3/userDataStream", headers=key_header).json()
    assert set(created) == {"listenKey"} and created["listenKey"]
    missing = "Mandatory parameter 'listenKey' was not sent, was empty/null, or malformed."
    for method in ("PUT", "DELETE"):
        unnamed = http.request(method, "/api/v3/userDataStream", headers=key_header)
        assert (unnamed.status_code, unnamed.json()) == (400, {"code": -1102, "msg": missing})
    kept = http.put("/api/v3/userDataStream", params={"listenKey": created["listenKey"]}, headers=key_header)
    assert (kept.status_code, kept.json()) == (200, {})
    closed = http.delete("/api/v3/userDataStream", params={"listenKey": created["listenKey"]}, headers=key_header)
    assert (closed.status_code, closed.json()) == (200, {})
    assert http.post("/api/v3/userDataStream").json()["code"] == -2014


def test_openapi_documents_every_route_of_the_table(http: httpx.Client) -> None:
    document = http.get("/openapi.json").json()
    assert document["openapi"].startswith("3.")
    served = {(b.http_method.lower(), b.path) for b in routing_table()}
    documented = {(method, path) for path, item in document["paths"].items() for method in item}
    assert documented == served
    place = document["paths"]["/api/v3/order"]["post"]
    names = {p["name"] for p in place["parameters"]}
    assert {"symbol", "side", "type", "quantity", "newClientOrderId", "timestamp", "signature"} <= names
    side = next(p for p in place["parameters"] if p["name"] == "side")
    assert side["schema"]["enum"] == ["BUY", "SELL"]
    assert place["security"] == [{"apiKey": []}]
    # OpenAPI wants each operationId once (GetTrades serves trades and historicalTrades)
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert document["paths"]["/api/v3/historicalTrades"]["get"]["operationId"] == "GetTrades_historicalTrades"
