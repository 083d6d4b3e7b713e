"""Binance user data stream payloads: executionReport per order change, outboundAccountPosition."""

from __future__ import annotations

import re
from typing import Any

from engine_ext.codes import OrderType, SelfTradePrevention, Side, TimeInForce
from services.common.catalog import ASSETS
from services.common.records import Balance
from services.order.domain import cancel_client_order_id
from services.tradeproc.domain import settle
from services.tradeproc.user_stream import account_position, changed_balances, execution_reports
from tests.unit.tradeproc.simulated_exchange import SimulatedExchange

P95K = 9_500_000
BINANCE_KEYS = ["e", "E", "s", "c", "S", "o", "f", "q", "p", "P", "F", "g", "C", "x", "X", "r", "i", "l", "z",
                "L", "n", "N", "T", "t", "I", "w", "m", "M", "O", "Z", "Y", "Q", "W", "V"]


def reports_of_last_command(sim: SimulatedExchange) -> list[tuple[int, dict[str, Any]]]:
    events, records, time_ms = sim.batches[-1]
    return execution_reports(sim.symbol, events, records, time_ms, sim.fees)


def changed_of_last_command(sim: SimulatedExchange) -> dict[int, set[str]]:
    events, records, time_ms = sim.batches[-1]
    return changed_balances(settle(sim.symbol, events, records, time_ms, sim.fees), events, records)


def test_a_new_limit_order_is_reported_new_and_working(exchange: SimulatedExchange) -> None:
    order = exchange.submit(1, Side.BUY, OrderType.LIMIT, price=P95K, qty=123)
    [(user, report)] = reports_of_last_command(exchange)
    assert user == 1
    assert list(report) == BINANCE_KEYS
    # recorded at t - 1, accepted by the engine at t: one time for the order, as on Binance
    # (O == T == W, the placement's transactTime); E is when the event happened
    t = exchange.time_ms
    assert order and order.created_ms == t - 1
    assert report == {
        "e": "executionReport", "E": t, "s": "BTCUSDT", "c": "c1", "S": "BUY", "o": "LIMIT", "f": "GTC",
        "q": "0.00123000", "p": "95000.00000000", "P": "0.00000000", "F": "0.00000000", "g": -1, "C": "",
        "x": "NEW", "X": "NEW", "r": "NONE", "i": 1, "l": "0.00000000", "z": "0.00000000", "L": "0.00000000",
        "n": "0", "N": None, "T": t - 1, "t": -1, "I": 1, "w": True, "m": False, "M": False, "O": t - 1,
        "Z": "0.00000000", "Y": "0.00000000", "Q": "0.00000000", "W": t - 1, "V": "NONE",
    }


def test_each_fill_is_a_trade_report_and_the_last_one_says_filled(exchange: SimulatedExchange) -> None:
    exchange.submit(2, Side.SELL, OrderType.LIMIT, price=P95K, qty=100)
    exchange.submit(2, Side.SELL, OrderType.LIMIT, price=P95K + 100, qty=100)
    exchange.submit(1, Side.BUY, OrderType.MARKET, qty=150)
    taker = [r for user, r in reports_of_last_command(exchange) if user == 1]
    assert [(r["x"], r["X"], r["l"], r["z"], r["L"], r["n"], r["N"], r["m"]) for r in taker] == [
        ("NEW", "NEW", "0.00000000", "0.00000000", "0.00000000", "0", None, False),
        ("TRADE", "PARTIALLY_FILLED", "0.00100000", "0.00100000", "95000.00000000", "0.00000200", "BTC", False),
        ("TRADE", "FILLED", "0.00050000", "0.00150000", "95001.00000000", "0.00000100", "BTC", False),
    ]
    assert [r["t"] for r in taker[1:]] == [1, 2]
    assert taker[-1]["Z"] == "142.50050000" and taker[-1]["Y"] == "47.50050000"
    assert taker[-1]["w"] is False and "W" in taker[-1]


def test_the_maker_gets_its_own_trade_report(exchange: SimulatedExchange) -> None:
    exchange.submit(2, Side.SELL, OrderType.LIMIT, price=P95K, qty=100)
    exchange.submit(1, Side.BUY, OrderType.LIMIT, price=P95K, qty=40)
    [maker] = [r for user, r in reports_of_last_command(exchange) if user == 2]
    assert (maker["x"], maker["X"], maker["m"], maker["n"], maker["N"], maker["w"]) == (
        "TRADE", "PARTIALLY_FILLED", True, "0.03800000", "USDT", True
    )


def test_a_cancel_is_reported_with_the_orders_client_id_as_original(exchange: SimulatedExchange) -> None:
    order = exchange.submit(1, Side.BUY, OrderType.LIMIT, price=P95K, qty=100)
    assert order
    exchange.cancel(order.order_id)
    [(_, report)] = reports_of_last_command(exchange)
    assert (report["x"], report["X"], report["C"], report["w"]) == ("CANCELED", "CANCELED", "c1", False)
    # `c` is the cancel's own id: the one the cancel's answer carries when its sender named none
    assert report["c"] == cancel_client_order_id(report["s"], order.order_id) != "c1"
    assert re.fullmatch(r"[A-Za-z0-9]{22}", report["c"])


def test_an_ioc_remainder_is_reported_expired(exchange: SimulatedExchange) -> None:
    exchange.submit(1, Side.BUY, OrderType.LIMIT, price=P95K, qty=100, tif=TimeInForce.IOC)
    reports = reports_of_last_command(exchange)
    assert [(r["x"], r["X"]) for _, r in reports] == [("NEW", "NEW"), ("EXPIRED", "EXPIRED")]


def test_a_maker_expired_by_self_trade_prevention_is_a_trade_prevention(exchange: SimulatedExchange) -> None:
    exchange.submit(1, Side.SELL, OrderType.LIMIT, price=P95K, qty=100)
    exchange.submit(1, Side.BUY, OrderType.LIMIT, price=P95K, qty=100, stp=SelfTradePrevention.EXPIRE_MAKER)
    reports = [r for _, r in reports_of_last_command(exchange)]
    assert [(r["i"], r["x"], r["X"]) for r in reports] == [
        (2, "NEW", "NEW"), (1, "TRADE_PREVENTION", "EXPIRED_IN_MATCH")
    ]


def test_a_refused_submit_is_not_pushed_nor_its_funds(exchange: SimulatedExchange) -> None:
    # Binance: "REJECTED ... is never pushed into the User Data Stream"; the REST call answered -2010
    exchange.submit(2, Side.SELL, OrderType.LIMIT, price=P95K, qty=100)
    exchange.submit(1, Side.BUY, OrderType.LIMIT_MAKER, price=P95K, qty=100)
    assert reports_of_last_command(exchange) == []
    assert changed_of_last_command(exchange) == {}


def test_a_stop_is_new_but_not_working_until_it_triggers(exchange: SimulatedExchange) -> None:
    exchange.submit(2, Side.SELL, OrderType.LIMIT, price=P95K, qty=100)
    exchange.submit(1, Side.BUY, OrderType.LIMIT, price=P95K, qty=100)  # last price 95,000.00
    exchange.submit(1, Side.BUY, OrderType.STOP_LOSS, qty=50, stop_price=P95K + 1)
    [(_, placed)] = reports_of_last_command(exchange)
    assert (placed["x"], placed["w"], placed["P"]) == ("NEW", False, "95000.01000000")
    exchange.submit(2, Side.SELL, OrderType.LIMIT, price=P95K + 1, qty=100)
    exchange.submit(1, Side.BUY, OrderType.LIMIT, price=P95K + 1, qty=10)  # last price reaches the stop
    stop_reports = [r for _, r in reports_of_last_command(exchange) if r["i"] == 3]
    assert [(r["x"], r["X"], r["w"]) for r in stop_reports] == [("NEW", "NEW", True), ("TRADE", "FILLED", False)]


def test_a_keep_priority_amend_is_reported_replaced(exchange: SimulatedExchange) -> None:
    order = exchange.submit(1, Side.BUY, OrderType.LIMIT, price=P95K, qty=100)
    assert order
    exchange.amend(order.order_id, 60)
    [(_, report)] = reports_of_last_command(exchange)
    assert (report["x"], report["X"], report["q"]) == ("REPLACED", "NEW", "0.00060000")


def test_the_users_whose_balances_moved_are_named_with_their_assets(exchange: SimulatedExchange) -> None:
    exchange.submit(2, Side.SELL, OrderType.LIMIT, price=P95K, qty=100)
    exchange.submit(1, Side.BUY, OrderType.LIMIT, price=P95K, qty=100)
    assert changed_of_last_command(exchange) == {0: {"BTC", "USDT"}, 1: {"BTC", "USDT"}, 2: {"BTC", "USDT"}}


def test_a_new_order_announces_the_funds_its_placement_locked(exchange: SimulatedExchange) -> None:
    # Binance sends outboundAccountPosition with the NEW: the lock is a balance change too
    exchange.submit(1, Side.BUY, OrderType.LIMIT, price=P95K, qty=100)
    assert changed_of_last_command(exchange) == {1: {"USDT"}}
    exchange.submit(2, Side.SELL, OrderType.LIMIT, price=P95K + 1, qty=100)
    assert changed_of_last_command(exchange) == {2: {"BTC"}}


def test_account_position_lists_free_and_locked_per_asset() -> None:
    position = account_position([Balance("BTC", 150_000_000, 1), Balance("USDT", 0, 5 * 10**8)], ASSETS, 77)
    assert position == {
        "e": "outboundAccountPosition", "E": 77, "u": 77,
        "B": [{"a": "BTC", "f": "1.50000000", "l": "0.00000001"}, {"a": "USDT", "f": "0.00000000", "l": "5.00000000"}],
    }


def test_a_market_order_that_runs_out_of_book_reads_like_binances_own_sample(exchange: SimulatedExchange) -> None:
    """binance-spot-api-docs faqs/market_orders_faq.md: a MARKET BUY of 6 meets 2 + 2 and expires."""
    exchange.submit(2, Side.SELL, OrderType.LIMIT, price=P95K, qty=200)
    exchange.submit(2, Side.SELL, OrderType.LIMIT, price=P95K, qty=200)
    order = exchange.submit(1, Side.BUY, OrderType.MARKET, qty=600)
    taker = [r for user, r in reports_of_last_command(exchange) if user == 1]
    fields = ("x", "X", "q", "l", "z", "n", "N", "t", "w", "m", "M", "Y", "Q")
    assert [tuple(r[f] for f in fields) for r in taker] == [
        ("NEW", "NEW", "0.00600000", "0.00000000", "0.00000000", "0", None, -1, True, False, False, "0.00000000",
         "0.00000000"),
        ("TRADE", "PARTIALLY_FILLED", "0.00600000", "0.00200000", "0.00200000", "0.00000400", "BTC", 1, False,
         False, True, "190.00000000", "0.00000000"),
        ("TRADE", "PARTIALLY_FILLED", "0.00600000", "0.00200000", "0.00400000", "0.00000400", "BTC", 2, False,
         False, True, "190.00000000", "0.00000000"),
        ("EXPIRED", "EXPIRED", "0.00600000", "0.00000000", "0.00400000", "0", None, -1, False, False, False,
         "0.00000000", "0.00000000"),
    ]
    assert order and {r["W"] for r in taker} == {order.created_ms} and taker[-1]["Z"] == "380.00000000"
