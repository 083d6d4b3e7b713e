"""The order endpoints no client library above exercises: cancelReplace, amend keepPriority,
allOrders, order/test; each checked against the order service's own state. ETHBTC is this
module's market."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal as D

import pytest

from tests.edge.conftest import Account, Ledger, RawClient

SYMBOL = "ETHBTC"
BID = {"symbol": SYMBOL, "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "1", "price": "0.03"}


def test_cancel_replace_moves_an_order_in_one_step(
    new_account: Callable[..., Account], raw: Callable[..., RawClient], ledger: Ledger
) -> None:
    account = new_account(BTC="1")
    client = raw(account)
    placed = client.signed("POST", "/api/v3/order", BID, in_body=True).json()
    replace = {**BID, "price": "0.031", "cancelReplaceMode": "STOP_ON_FAILURE", "cancelOrderId": str(placed["orderId"])}
    moved = client.signed("POST", "/api/v3/order/cancelReplace", replace, in_body=True)
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert (body["cancelResult"], body["newOrderResult"]) == ("SUCCESS", "SUCCESS")
    assert body["cancelResponse"]["status"] == "CANCELED" and body["newOrderResponse"]["price"] == "0.03100000"
    (resting,) = ledger.open_orders(account)
    assert (resting.order_id, resting.price) == (body["newOrderResponse"]["orderId"], "0.03100000")
    assert ledger.balances(account)["BTC"] == (D("0.969"), D("0.031"))


def test_cancel_replace_of_an_unknown_order_is_minus_2022_with_both_halves(
    new_account: Callable[..., Account], raw: Callable[..., RawClient], ledger: Ledger
) -> None:
    account = new_account(BTC="1")
    client = raw(account)
    replace = {**BID, "cancelReplaceMode": "STOP_ON_FAILURE", "cancelOrderId": "987654321"}
    failed = client.signed("POST", "/api/v3/order/cancelReplace", replace, in_body=True)
    assert failed.status_code == 400
    assert failed.json() == {
        "code": -2022,
        "msg": "Order cancel-replace failed.",
        "data": {
            "cancelResult": "FAILURE",
            "newOrderResult": "NOT_ATTEMPTED",
            "cancelResponse": {"code": -2011, "msg": "Unknown order sent."},
            "newOrderResponse": None,
        },
    }
    assert ledger.open_orders(account) == [] and ledger.balances(account) == {"BTC": (D(1), D(0))}


def test_cancel_replace_allowed_to_fail_that_places_the_new_order_is_a_partial_failure(
    new_account: Callable[..., Account], raw: Callable[..., RawClient], ledger: Ledger
) -> None:
    """Binance answers 409 / -2021 whenever one half happened: here the new order is live, and a
    client must not read it as "nothing done" (400 / -2022)."""
    account = new_account(BTC="1")
    client = raw(account)
    replace = {**BID, "cancelReplaceMode": "ALLOW_FAILURE", "cancelOrderId": "987654321"}
    half = client.signed("POST", "/api/v3/order/cancelReplace", replace, in_body=True)
    assert half.status_code == 409, half.text
    body = half.json()
    assert (body["code"], body["msg"]) == (-2021, "Order cancel-replace partially failed.")
    assert (body["data"]["cancelResult"], body["data"]["newOrderResult"]) == ("FAILURE", "SUCCESS")
    assert body["data"]["cancelResponse"] == {"code": -2011, "msg": "Unknown order sent."}
    (resting,) = ledger.open_orders(account)
    assert resting.order_id == body["data"]["newOrderResponse"]["orderId"]


def test_amend_keep_priority_reduces_the_quantity_and_the_reservation(
    new_account: Callable[..., Account], raw: Callable[..., RawClient], ledger: Ledger
) -> None:
    account = new_account(BTC="1")
    client = raw(account)
    placed = client.signed("POST", "/api/v3/order", BID, in_body=True).json()
    amend = {"symbol": SYMBOL, "orderId": str(placed["orderId"]), "newQty": "0.4"}
    amended = client.signed("PUT", "/api/v3/order/amend/keepPriority", amend, in_body=True)
    assert amended.status_code == 200, amended.text
    order = amended.json()["amendedOrder"]
    assert (order["orderId"], order["qty"], order["status"]) == (placed["orderId"], "0.40000000", "NEW")
    assert ledger.balances(account)["BTC"] == (D("0.988"), D("0.012"))
    # the order keeps its clientOrderId: naming it again is fine, a new one is refused, not dropped
    same_id = {**amend, "newQty": "0.3", "newClientOrderId": placed["clientOrderId"]}
    again = client.signed("PUT", "/api/v3/order/amend/keepPriority", same_id, in_body=True)
    assert again.status_code == 200 and again.json()["amendedOrder"]["clientOrderId"] == placed["clientOrderId"]
    renamed = client.signed(
        "PUT", "/api/v3/order/amend/keepPriority", {**same_id, "newQty": "0.2", "newClientOrderId": "renamed"},
        in_body=True,
    )
    assert (renamed.status_code, renamed.json()["code"]) == (400, -1106), renamed.text
    assert ledger.balances(account)["BTC"] == (D("0.991"), D("0.009"))  # still 0.3 at 0.03
    too_big = client.signed("PUT", "/api/v3/order/amend/keepPriority", {**amend, "newQty": "2"}, in_body=True)
    assert too_big.status_code == 400 and too_big.json()["code"] == -1013
    no_qty = client.signed("PUT", "/api/v3/order/amend/keepPriority", {k: amend[k] for k in ("symbol", "orderId")})
    assert (no_qty.status_code, no_qty.json()["code"]) == (400, -1102)
    assert no_qty.json()["msg"] == "Mandatory parameter 'newQty' was not sent, was empty/null, or malformed."


def test_racing_amends_of_one_order_never_raise_its_quantity(
    new_account: Callable[..., Account], raw: Callable[..., RawClient], ledger: Ledger
) -> None:
    # 0.8 -> 0.3 and 0.8 -> 0.6 at once: applied in that order, the second raised the order
    # past its locked funds and settlement stopped for the whole exchange
    from concurrent.futures import ThreadPoolExecutor

    account = new_account(BTC="1")
    client = raw(account)
    for _ in range(4):
        placed = client.signed("POST", "/api/v3/order", {**BID, "quantity": "0.8"}, in_body=True).json()
        amend = {"symbol": SYMBOL, "orderId": str(placed["orderId"])}
        requests = [{**amend, "newQty": qty} for qty in ("0.3", "0.6")]
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(
                lambda params: client.signed("PUT", "/api/v3/order/amend/keepPriority", params, in_body=True),
                requests))  # fmt: skip
        assert [a.status_code for a in answers].count(200) >= 1
        (order,) = ledger.open_orders(account)
        assert order.orig_qty in ("0.30000000", "0.60000000")
        assert ledger.balances(account)["BTC"][1] == D(order.orig_qty) * D("0.03")  # locked = what it costs
        client.signed("DELETE", "/api/v3/order", amend)
    assert ledger.balances(account)["BTC"] == (D("1"), D("0"))


def test_all_orders_lists_open_and_finished_orders_and_order_test_places_nothing(
    new_account: Callable[..., Account], raw: Callable[..., RawClient], ledger: Ledger
) -> None:
    account = new_account(BTC="1")
    client = raw(account)
    first = client.signed("POST", "/api/v3/order", BID, in_body=True).json()
    client.signed("DELETE", "/api/v3/order", {"symbol": SYMBOL, "orderId": str(first["orderId"])})
    second = client.signed("POST", "/api/v3/order", {**BID, "price": "0.02"}, in_body=True).json()
    listed = client.signed("GET", "/api/v3/allOrders", {"symbol": SYMBOL}).json()
    assert [(o["orderId"], o["status"]) for o in listed] == [(first["orderId"], "CANCELED"), (second["orderId"], "NEW")]

    tested = client.signed("POST", "/api/v3/order/test", {**BID, "computeCommissionRates": "true"}, in_body=True)
    assert tested.status_code == 200
    rates = client.signed("GET", "/api/v3/account", {}).json()["commissionRates"]
    none = "0.00000000"
    assert tested.json() == {
        "standardCommissionForOrder": {"maker": rates["maker"], "taker": rates["taker"]},
        "specialCommissionForOrder": {"maker": none, "taker": none},
        "taxCommissionForOrder": {"maker": none, "taker": none},
        "discount": {"enabledForAccount": False, "enabledForSymbol": False, "discountAsset": "", "discount": none},
    }
    assert client.signed("POST", "/api/v3/order/test", BID, in_body=True).json() == {}
    assert [o.order_id for o in ledger.open_orders(account)] == [second["orderId"]]
    assert client.signed("GET", "/api/v3/myTrades", {"symbol": SYMBOL}).json() == []


def test_an_order_the_engine_refuses_is_no_order_in_the_history(
    new_account: Callable[..., Account], raw: Callable[..., RawClient], ledger: Ledger
) -> None:
    """A LIMIT_MAKER that would take is refused with -2010; on Binance no order exists, so it is in
    neither allOrders (whose page still fills with the orders that exist) nor GET order."""
    seller, maker = new_account(ETH="1"), new_account(BTC="1")
    ask = raw(seller).signed("POST", "/api/v3/order", {**BID, "side": "SELL", "price": "0.05"}, in_body=True).json()
    client = raw(maker)
    kept = [client.signed("POST", "/api/v3/order", {**BID, "price": price}, in_body=True).json()["orderId"]
            for price in ("0.01", "0.011")]  # fmt: skip
    maker_bid = {k: v for k, v in BID.items() if k != "timeInForce"}  # LIMIT_MAKER takes none
    would_take = {**maker_bid, "type": "LIMIT_MAKER", "price": "0.06", "newClientOrderId": "maker-would-take"}
    for _ in range(3):
        refused = client.signed("POST", "/api/v3/order", would_take, in_body=True)
        assert (refused.status_code, refused.json()["code"]) == (400, -2010)
    kept.append(client.signed("POST", "/api/v3/order", {**BID, "price": "0.012"}, in_body=True).json()["orderId"])

    pages = (({}, kept), ({"limit": "2"}, kept[-2:]), ({"orderId": str(kept[0]), "limit": "2"}, kept[:2]))
    for params, expected in pages:
        listed = client.signed("GET", "/api/v3/allOrders", {"symbol": SYMBOL, **params}).json()
        assert [o["orderId"] for o in listed] == expected, params
    missing = client.signed("GET", "/api/v3/order", {"symbol": SYMBOL, "origClientOrderId": "maker-would-take"})
    assert (missing.status_code, missing.json()["code"]) == (400, -2013)
    assert ledger.balances(maker)["BTC"] == (D("0.967"), D("0.033"))  # nothing of the refusals stays locked
    raw(seller).signed("DELETE", "/api/v3/order", {"symbol": SYMBOL, "orderId": str(ask["orderId"])})
    for order_id in kept:
        client.signed("DELETE", "/api/v3/order", {"symbol": SYMBOL, "orderId": str(order_id)})


HOUR_MS = 3_600_000


@pytest.mark.parametrize(
    ("path", "params", "expected"),
    [
        ("/api/v3/allOrders", {}, (-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")),
        ("/api/v3/myTrades", {}, (-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")),
        ("/api/v3/allOrders", {"symbol": SYMBOL, "startTime": "0", "endTime": str(24 * HOUR_MS + 1)},
         (-1127, "More than 24 hours between startTime and endTime.")),
        ("/api/v3/myTrades", {"symbol": SYMBOL, "startTime": "0", "endTime": str(24 * HOUR_MS + 1)},
         (-1127, "More than 24 hours between startTime and endTime.")),
        ("/api/v3/myTrades", {"symbol": SYMBOL, "fromId": "1", "startTime": "0"},
         (-1128, "Combination of optional parameters invalid.")),
        ("/api/v3/myTrades", {"symbol": SYMBOL, "orderId": "1", "endTime": "0"},
         (-1128, "Combination of optional parameters invalid.")),
        ("/api/v3/allOrders", {"symbol": SYMBOL, "limit": "1001"},
         (-1100, "Illegal characters found in parameter 'limit'; legal range is '1-1000'.")),
        ("/api/v3/myTrades", {"symbol": SYMBOL, "limit": "0"},
         (-1100, "Illegal characters found in parameter 'limit'; legal range is '1-1000'.")),
    ],
    ids=["allOrders no symbol", "myTrades no symbol", "allOrders over 24h", "myTrades over 24h",
         "myTrades fromId with a time", "myTrades orderId with a time", "allOrders limit", "myTrades limit"],
)
def test_order_history_queries_refuse_what_binance_refuses(
    new_account: Callable[..., Account], raw: Callable[..., RawClient], path: str, params: dict[str, str],
    expected: tuple[int, str],
) -> None:
    answer = raw(new_account()).signed("GET", path, params)
    assert answer.status_code == 400, answer.text
    assert (answer.json()["code"], answer.json()["msg"]) == expected
    # exactly 24 hours is still a valid window
    if expected[0] == -1127:
        fine = raw(new_account()).signed("GET", path, {**params, "endTime": str(24 * HOUR_MS)})
        assert fine.status_code == 200 and fine.json() == []


def test_a_client_order_id_can_be_used_again_once_its_order_is_done(
    new_account: Callable[..., Account], raw: Callable[..., RawClient], ledger: Ledger
) -> None:
    """Binance: newClientOrderId is "a unique id among open orders". A market maker resending a
    refused LIMIT_MAKER with the same id, or reusing a canceled order's id, must be placed."""
    seller, maker = new_account(ETH="1"), new_account(BTC="1")
    ask = {"symbol": SYMBOL, "side": "SELL", "type": "LIMIT", "timeInForce": "GTC", "quantity": "1", "price": "0.05"}
    raw(seller).signed("POST", "/api/v3/order", ask, in_body=True)
    client = raw(maker)
    post_only = {"symbol": SYMBOL, "side": "BUY", "type": "LIMIT_MAKER", "quantity": "1", "newClientOrderId": "mm-1"}

    taking = client.signed("POST", "/api/v3/order", {**post_only, "price": "0.05"}, in_body=True)
    assert (taking.status_code, taking.json()["code"]) == (400, -2010)
    resting = client.signed("POST", "/api/v3/order", {**post_only, "price": "0.04"}, in_body=True)
    assert resting.status_code == 200, resting.text
    assert resting.json()["clientOrderId"] == "mm-1"
    twice = client.signed("POST", "/api/v3/order", {**post_only, "price": "0.039"}, in_body=True)
    assert (twice.status_code, twice.json()) == (400, {"code": -2010, "msg": "Duplicate order sent."})

    client.signed("DELETE", "/api/v3/order", {"symbol": SYMBOL, "origClientOrderId": "mm-1"})
    reused = client.signed("POST", "/api/v3/order", {**post_only, "price": "0.038"}, in_body=True)
    assert reused.status_code == 200, reused.text
    found = client.signed("GET", "/api/v3/order", {"symbol": SYMBOL, "origClientOrderId": "mm-1"}).json()
    assert (found["orderId"], found["price"], found["status"]) == (reused.json()["orderId"], "0.03800000", "NEW")
    assert [o.order_id for o in ledger.open_orders(maker)] == [reused.json()["orderId"]]
    assert ledger.balances(maker)["BTC"] == (D("0.962"), D("0.038"))


def test_account_update_time_is_when_a_balance_last_changed(
    new_account: Callable[..., Account], raw: Callable[..., RawClient]
) -> None:
    client = raw(new_account())
    assert client.signed("GET", "/api/v3/account", {}).json()["updateTime"] == 0  # nothing ever held
    funded = new_account(BTC="1")
    client = raw(funded)
    deposited = client.signed("GET", "/api/v3/account", {}).json()["updateTime"]
    assert 0 < deposited <= time.time() * 1000
    time.sleep(0.01)
    assert client.signed("GET", "/api/v3/account", {}).json()["updateTime"] == deposited  # reading changes nothing
    client.signed("POST", "/api/v3/order", BID, in_body=True)  # reserves BTC
    assert client.signed("GET", "/api/v3/account", {}).json()["updateTime"] > deposited


def test_account_commission_gives_the_rates_an_order_on_the_symbol_pays(
    new_account: Callable[..., Account], raw: Callable[..., RawClient]
) -> None:
    client = raw(new_account())
    answer = client.signed("GET", "/api/v3/account/commission", {"symbol": SYMBOL})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    account = client.signed("GET", "/api/v3/account", {}).json()
    zero = {"maker": "0.00000000", "taker": "0.00000000", "buyer": "0.00000000", "seller": "0.00000000"}
    assert body == {
        "symbol": SYMBOL,
        "standardCommission": account["commissionRates"],  # the rates settlement charges
        "specialCommission": zero,
        "taxCommission": zero,
        "discount": {"enabledForAccount": False, "enabledForSymbol": False, "discountAsset": "",
                     "discount": "0.00000000"},
    }
    assert D(body["standardCommission"]["taker"]) > 0


@pytest.mark.parametrize(
    ("params", "expected"),
    [({}, (-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")),
     ({"symbol": "NOPEUSDT"}, (-1121, "Invalid symbol."))],
    ids=["no symbol", "unknown symbol"],
)
def test_account_commission_refuses_what_binance_refuses(
    new_account: Callable[..., Account], raw: Callable[..., RawClient], params: dict[str, str],
    expected: tuple[int, str],
) -> None:
    answer = raw(new_account()).signed("GET", "/api/v3/account/commission", params)
    assert answer.status_code == 400, answer.text
    assert (answer.json()["code"], answer.json()["msg"]) == expected


def test_an_order_has_one_time_its_placement_answer_and_queries_agree_on(
    new_account: Callable[..., Account], raw: Callable[..., RawClient]
) -> None:
    # GET order's `time` was the order service's clock and transactTime the engine's, a few ms
    # later: ccxt's fetch_orders(since=<the timestamp create_order gave>) did not find the order
    account = new_account(BTC="1")
    client = raw(account)
    placed = client.signed("POST", "/api/v3/order", {**BID, "newOrderRespType": "RESULT"}, in_body=True).json()
    t = placed["transactTime"]
    order = client.signed("GET", "/api/v3/order", {"symbol": SYMBOL, "orderId": str(placed["orderId"])}).json()
    assert (order["time"], order["workingTime"], placed["workingTime"]) == (t, t, t)
    since = client.signed("GET", "/api/v3/allOrders", {"symbol": SYMBOL, "startTime": str(t)}).json()
    assert [o["orderId"] for o in since] == [placed["orderId"]]
