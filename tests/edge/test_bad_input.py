"""Bad input of every kind gets Binance's error, with Binance's HTTP status, and changes
nothing: after each case the account's balances and open orders are what they were."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal as D
from typing import Any

import httpx
import pytest

from tests.edge.conftest import Account, Exchange, Ledger, RawClient, now_ms, open_account, sign

SYMBOL = "BTCUSDT"  # nothing in this module ever trades
ORDER = {"symbol": SYMBOL, "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.001", "price": "50000"}


@pytest.fixture(scope="module")
def trader(exchange: Exchange) -> Account:
    return open_account(exchange, {"USDT": "1000"})


@pytest.fixture
def client(raw: Callable[..., RawClient], trader: Account) -> RawClient:
    return raw(trader)


@pytest.fixture(autouse=True)
def nothing_changes(ledger: Ledger, trader: Account) -> Iterator[None]:
    before = (ledger.balances(trader), ledger.open_orders(trader))
    yield
    assert (ledger.balances(trader), ledger.open_orders(trader)) == before
    assert before == ({"USDT": (D(1000), D(0))}, [])


def error_of(response: httpx.Response) -> tuple[int, int, str]:
    body = response.json()
    return response.status_code, body["code"], body["msg"]


def with_(**changes: Any) -> dict[str, str]:
    order = {**ORDER, **changes}
    return {k: v for k, v in order.items() if v is not None}


INSUFFICIENT = "Account has insufficient balance for requested action."
MISSING = "Mandatory parameter '%s' was not sent, was empty/null, or malformed."
REFUSED_ORDERS = [
    ("missing symbol", with_(symbol=None), 400, -1102, MISSING % "symbol"),
    ("unknown symbol", with_(symbol="NOPEUSDT"), 400, -1121, "Invalid symbol."),
    ("bad side", with_(side="FOO"), 400, -1117, "Invalid side."),
    ("bad type", with_(type="FOO"), 400, -1116, "Invalid orderType."),
    ("bad timeInForce", with_(timeInForce="FOO"), 400, -1115, "Invalid timeInForce."),
    ("the UNSPECIFIED enum name", with_(side="SIDE_UNSPECIFIED"), 400, -1117, "Invalid side."),
    ("missing price", with_(price=None), 400, -1102, MISSING % "price"),
    ("garbage quantity", with_(quantity="1e-3"), 400, -1100, None),
    ("price off the grid", with_(price="50000.001"), 400, -1013, "Filter failure: PRICE_FILTER"),
    ("price above maxPrice", with_(price="2000000"), 400, -1013, "Filter failure: PRICE_FILTER"),
    ("quantity below minQty", with_(quantity="0.000001"), 400, -1013, "Filter failure: LOT_SIZE"),
    ("notional below minNotional", with_(quantity="0.00001", price="100"), 400, -1013, "Filter failure: NOTIONAL"),
    ("more than the balance", with_(quantity="1"), 400, -2010, INSUFFICIENT),
    ("an iceberg", with_(icebergQty="0.0005"), 400, -2010, "Iceberg orders are not supported for this symbol."),
    ("an unknown parameter", with_(foo="bar"), 400, -1104, None),
    ("a bad newOrderRespType", with_(newOrderRespType="ALL"), 400, -1100, None),
]


@pytest.mark.parametrize(
    ("case", "params", "status", "code", "msg"), REFUSED_ORDERS, ids=[c[0] for c in REFUSED_ORDERS]
)
def test_a_refused_order_gets_binance_error_and_places_nothing(
    client: RawClient, case: str, params: dict[str, str], status: int, code: int, msg: str | None
) -> None:
    got = error_of(client.signed("POST", "/api/v3/order", params, in_body=True))
    assert got[:2] == (status, code), got
    if msg is not None:
        assert got[2] == msg


def test_wrong_signature_is_refused_400_minus_1022(client: RawClient) -> None:
    # 400 as Binance answers it (a malformed request); a bad key is 401 (-2014 / -2015)
    got = error_of(client.signed("POST", "/api/v3/order", ORDER, in_body=True, secret="x" * 64))
    assert got == (400, -1022, "Signature for this request is not valid.")


def test_a_signature_over_other_bytes_than_were_sent_is_refused(client: RawClient) -> None:
    # same parameters, re-ordered after signing: Binance signs bytes, not a parameter set
    assert client.account is not None
    body = f"timestamp={now_ms()}&symbol=BTCUSDT&side=BUY"
    signature = sign(client.account.secret, body)
    reordered = "&".join(reversed(body.split("&")))
    response = client.http.get(
        f"/api/v3/account?{reordered}&signature={signature}", headers={"X-MBX-APIKEY": client.account.api_key}
    )
    assert error_of(response)[:2] == (400, -1022)


def test_a_stale_timestamp_is_refused_minus_1021(client: RawClient) -> None:
    got = error_of(client.signed("POST", "/api/v3/order", ORDER, in_body=True, timestamp=now_ms() - 60_000))
    assert got == (400, -1021, "Timestamp for this request is outside of the recvWindow.")


def test_a_timestamp_ahead_of_the_server_is_refused_minus_1021_saying_so(client: RawClient) -> None:
    got = error_of(client.signed("POST", "/api/v3/order", ORDER, in_body=True, timestamp=now_ms() + 5_000))
    assert got == (400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.")


def test_a_recv_window_above_60000_is_refused(client: RawClient) -> None:
    got = error_of(client.signed("GET", "/api/v3/account", {"recvWindow": "70000"}))
    assert got[:2] == (400, -1131)
    assert error_of(client.signed("GET", "/api/v3/account", {"recvWindow": "60000.001"}))[:2] == (400, -1131)


@pytest.mark.parametrize("window", ["5000", "6000.346", "59999.9"])
def test_a_recv_window_may_have_up_to_three_decimals(client: RawClient, window: str) -> None:
    assert client.signed("GET", "/api/v3/account", {"recvWindow": window}).status_code == 200


@pytest.mark.parametrize("window", ["5000.1234", "5e3", "-1", "5000.", "\u0665\u0660\u0660\u0660"])
def test_a_malformed_recv_window_is_refused_minus_1100(client: RawClient, window: str) -> None:
    assert error_of(client.signed("GET", "/api/v3/account", {"recvWindow": window}))[:2] == (400, -1100)


@pytest.mark.parametrize(
    ("query", "code", "msg"),
    [
        ("symbol=BTCUSDT", -1102, MISSING % "timestamp"),
        ("timestamp=abc&signature=" + "0" * 64, -1102, None),
        ("timestamp=%C2%B2&signature=" + "0" * 64, -1102, None),  # "²": a digit to str.isdigit()
        ("timestamp=" + "\u0661" * 13 + "&signature=" + "0" * 64, -1102, None),  # Arabic-Indic digits
        ("timestamp=9999999999999999999&signature=" + "0" * 64, -1102, None),  # beyond int64
        ("timestamp=%d", -1102, MISSING % "signature"),
    ],
    ids=["no timestamp", "malformed timestamp", "superscript digit", "other script's digits", "beyond int64",
         "no signature"],
)
def test_signed_endpoints_need_timestamp_and_signature(
    client: RawClient, query: str, code: int, msg: str | None
) -> None:
    assert client.account is not None
    query = query % now_ms() if "%d" in query else query
    response = client.http.get(f"/api/v3/account?{query}", headers={"X-MBX-APIKEY": client.account.api_key})
    got = error_of(response)
    assert got[:2] == (400, code)
    if msg:
        assert got[2] == msg


@pytest.mark.parametrize(
    ("api_key", "code"),
    [("", -2014), ("short", -2014), ("A" * 64, -2015)],
    ids=["no key", "malformed key", "unknown key"],
)
def test_bad_api_keys_are_refused_401(client: RawClient, api_key: str, code: int) -> None:
    got = error_of(client.signed("GET", "/api/v3/account", api_key=api_key))
    assert got[:2] == (401, code)


def test_a_parameter_sent_twice_is_refused_minus_1101(client: RawClient) -> None:
    got = error_of(client.signed("POST", "/api/v3/order", ORDER, in_body=True, extra="&symbol=BTCUSDT"))
    assert got == (400, -1101, "Duplicate values for a parameter detected.")


def test_an_oversized_body_is_refused_before_it_is_read(client: RawClient) -> None:
    response = client.signed("POST", "/api/v3/order", ORDER, in_body=True, extra="&pad=" + "x" * 100_000)
    assert response.status_code == 413 and response.json()["code"] == -1101


def test_undecodable_bytes_are_refused_minus_1100(client: RawClient) -> None:
    assert client.account is not None
    response = client.http.post(
        "/api/v3/order",
        content=b"symbol=BTC\xff\xfe&timestamp=1",
        headers={"X-MBX-APIKEY": client.account.api_key, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert error_of(response)[:2] == (400, -1100)


def test_unknown_orders_are_minus_2011_on_cancel_and_minus_2013_on_query(client: RawClient) -> None:
    assert error_of(client.signed("DELETE", "/api/v3/order", {"symbol": SYMBOL, "orderId": "987654321"}))[:2] == (
        400,
        -2011,
    )
    assert error_of(client.signed("GET", "/api/v3/order", {"symbol": SYMBOL, "orderId": "987654321"})) == (
        400,
        -2013,
        "Order does not exist.",
    )


def test_canceling_all_open_orders_when_there_are_none_is_minus_2011(client: RawClient) -> None:
    assert client.signed("GET", "/api/v3/openOrders", {"symbol": "SOLUSDT"}).json() == []
    got = error_of(client.signed("DELETE", "/api/v3/openOrders", {"symbol": "SOLUSDT"}))
    assert got == (400, -2011, "Unknown order sent.")  # as Binance answers it


def test_a_malformed_number_is_minus_1100(client: RawClient) -> None:
    got = error_of(client.signed("GET", "/api/v3/order", {"symbol": SYMBOL, "orderId": "12ab"}))
    assert got == (400, -1100, "Illegal characters found in parameter 'orderId'; legal range is '^[0-9]{1,20}$'.")


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/api/v3/depth", -1102),
        ("/api/v3/depth?symbol=NOPE", -1121),
        ("/api/v3/depth?symbol=BTCUSDT&limit=many", -1100),
        ("/api/v3/depth?symbol=BTCUSDT&limit=%C2%B2", -1100),
        ("/api/v3/depth?symbol=BTCUSDT&limit=" + "9" * 5000, -1100),  # beyond int()'s digit limit
        ("/api/v3/klines?symbol=BTCUSDT&interval=2m", -1120),
        ("/api/v3/ticker/price?symbols=[BTCUSDT", -1100),
        ("/api/v3/ticker/price?symbol=BTCUSDT&symbols=[%22BTCUSDT%22]", -1128),
        ("/api/v3/trades?symbol=BTCUSDT&symbol=ETHUSDT", -1101),
    ],
)
def test_bad_market_data_requests_get_binance_errors(client: RawClient, path: str, code: int) -> None:
    response = client.http.get(path)
    assert error_of(response)[:2] == (400, code), response.text


def test_unknown_paths_and_methods_get_a_binance_shaped_404_and_405(client: RawClient) -> None:
    missing = client.http.get("/api/v3/nothingHere")
    assert missing.status_code == 404 and missing.json()["code"] == -1000
    wrong = client.http.patch("/api/v3/order")
    assert wrong.status_code == 405 and wrong.json()["code"] == -1000


def test_parameters_may_be_split_between_query_and_body(client: RawClient, ledger: Ledger) -> None:
    """Binance signs query + body; the services see the union. (A test order: nothing placed.)"""
    assert client.account is not None
    query = f"symbol={SYMBOL}&side=BUY&type=LIMIT"
    body = f"timeInForce=GTC&quantity=0.001&price=50000&timestamp={now_ms()}"
    signature = sign(client.account.secret, query + body)
    response = client.http.post(
        f"/api/v3/order/test?{query}",
        content=f"{body}&signature={signature}",
        headers={"X-MBX-APIKEY": client.account.api_key, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (response.status_code, response.json()) == (200, {})


def test_far_future_klines_are_none_rather_than_an_error(client: RawClient) -> None:
    for query in ("interval=1M&startTime=253402300800000", "interval=1M&endTime=9223372036854775807",
                  "interval=1d&startTime=253402300800000"):
        response = client.http.get(f"/api/v3/klines?symbol={SYMBOL}&{query}")
        assert response.status_code == 200 and isinstance(response.json(), list), (query, response.text)
        if "startTime" in query:
            assert response.json() == []


@pytest.fixture
def resting(client: RawClient) -> Iterator[dict[str, Any]]:
    """One open order of the trader's, canceled after the test (so nothing changes)."""
    placed = client.signed("POST", "/api/v3/order", {**ORDER, "newClientOrderId": "resting-1"}, in_body=True)
    assert placed.status_code == 200, placed.text
    yield placed.json()
    client.signed("DELETE", "/api/v3/order", {"symbol": SYMBOL, "orderId": str(placed.json()["orderId"])})


def _still_open(client: RawClient, order: dict[str, Any]) -> None:
    found = client.signed("GET", "/api/v3/order", {"symbol": SYMBOL, "orderId": str(order["orderId"])}).json()
    assert (found["status"], found["origQty"], found["clientOrderId"]) == ("NEW", order["origQty"], "resting-1")


ILLEGAL = "Illegal characters found in parameter '%s'; legal range is '%s'."
DECIMAL = "^([0-9]{1,20})(\\.[0-9]{1,20})?$"
CLIENT_ID = "^[\\.A-Z\\:/a-z0-9_-]{1,36}$"


@pytest.mark.parametrize(
    ("method", "path", "params", "expected"),
    [
        ("DELETE", "/api/v3/order", {"cancelRestrictions": "ONLY_PARTIALLY_FILLED"},
         (400, -2011, "Order was not canceled due to cancel restrictions.")),
        ("DELETE", "/api/v3/order", {"newClientOrderId": "bad id!"},
         (400, -1100, ILLEGAL % ("newClientOrderId", CLIENT_ID))),
        ("DELETE", "/api/v3/order", {"newClientOrderId": "x" * 37},
         (400, -1100, ILLEGAL % ("newClientOrderId", CLIENT_ID))),
        ("PUT", "/api/v3/order/amend/keepPriority", {"newQty": "0.00_05"},
         (400, -1100, ILLEGAL % ("newQty", DECIMAL))),
        ("PUT", "/api/v3/order/amend/keepPriority", {"newQty": "\u0660.\u0660\u0660\u0660\u0665"},
         (400, -1100, ILLEGAL % ("newQty", DECIMAL))),
        ("PUT", "/api/v3/order/amend/keepPriority", {"newQty": " 0.0005"},
         (400, -1100, ILLEGAL % ("newQty", DECIMAL))),
        ("POST", "/api/v3/order/cancelReplace",
         {**ORDER, "cancelReplaceMode": "STOP_ON_FAILURE", "quantity": "abc"},
         (400, -1100, ILLEGAL % ("quantity", DECIMAL))),
        ("POST", "/api/v3/order/cancelReplace",
         {**ORDER, "cancelReplaceMode": "ALLOW_FAILURE", "price": None},
         (400, -1102, MISSING % "price")),
        ("POST", "/api/v3/order/cancelReplace",
         {**ORDER, "cancelReplaceMode": "STOP_ON_FAILURE", "cancelNewClientOrderId": "no spaces"},
         (400, -1100, ILLEGAL % ("cancelNewClientOrderId", CLIENT_ID))),
    ],
    ids=["cancelRestrictions", "cancel id", "cancel id too long", "newQty underscore", "newQty other digits",
         "newQty padded", "cancelReplace bad quantity", "cancelReplace no price", "cancelReplace cancel id"],
)
def test_a_refused_cancel_or_amend_leaves_the_order_as_it_was(
    client: RawClient, resting: dict[str, Any], method: str, path: str, params: dict[str, str | None],
    expected: tuple[int, int, str],
) -> None:
    sent = {k: v for k, v in params.items() if v is not None}
    sent.setdefault("symbol", SYMBOL)
    sent["cancelOrderId" if "cancelReplace" in path else "orderId"] = str(resting["orderId"])
    got = error_of(client.signed(method, path, sent, in_body=method != "DELETE"))
    assert got == expected
    _still_open(client, resting)


def test_cancel_restrictions_that_the_order_meets_cancel_it(client: RawClient, resting: dict[str, Any]) -> None:
    answer = client.signed("DELETE", "/api/v3/order",
                           {"symbol": SYMBOL, "orderId": str(resting["orderId"]), "cancelRestrictions": "ONLY_NEW"})
    assert (answer.status_code, answer.json()["status"]) == (200, "CANCELED"), answer.text
