from __future__ import annotations

from engine_ext.codes import OrderType, SelfTradePrevention, Side, TimeInForce
from engine_ext.events import OrderState
from services.common.records import Balance, OrderPhase, OrderRecord
from services.tradectl.audit import BookFacts, LedgerFacts, find_violations, in_book_not_open


def order(order_id: int, user: int, reserved: int, filled: int = 0, phase: OrderPhase = OrderPhase.LIVE) -> OrderRecord:
    return OrderRecord(
        order_id=order_id, symbol="BTCUSDT", user_id=user, client_order_id=f"c{order_id}",
        side=Side.BUY, order_type=OrderType.LIMIT, tif=TimeInForce.GTC, stp=SelfTradePrevention.NONE,
        price=100, qty=10, quote_qty=0, stop_price=0, cap=0, reserved_asset="USDT", reserved=reserved,
        created_ms=1, phase=phase, filled=filled,
    )


def resting(order_id: int, user: int, side: int, price: int, filled: int = 0) -> OrderState:
    return OrderState(order_id, user, side, OrderType.LIMIT, TimeInForce.GTC, 0, price, 0, 10, filled, 0)


def healthy() -> tuple[LedgerFacts, BookFacts]:
    ledger = LedgerFacts(
        balances={1: [Balance("USDT", 500, 1000)], 0: [Balance("USDT", 3, 0)]},
        net_deposits={"USDT": 1503},
        unfinished_orders=[order(7, 1, 1000)],
    )
    book = BookFacts("BTCUSDT", seq=9, settled_seq=9, resting=[resting(7, 1, 0, 100)], stops=[])
    return ledger, book


def test_a_consistent_exchange_has_no_violations():
    ledger, book = healthy()
    assert find_violations(ledger, [book]) == []


def test_an_asset_that_is_not_conserved_is_reported():
    ledger, book = healthy()
    ledger = LedgerFacts(ledger.balances, {"USDT": 1500}, ledger.unfinished_orders)
    assert find_violations(ledger, [book]) == [
        "USDT: deposits - withdrawals = 1500 but balances + fees hold 1503"
    ]


def test_a_negative_balance_is_reported():
    ledger, book = healthy()
    balances = {**ledger.balances, 2: [Balance("USDT", -1, 0)]}
    ledger = LedgerFacts(balances, {"USDT": 1502}, ledger.unfinished_orders)
    assert "user 2 USDT: negative balance (available -1, locked 0)" in find_violations(ledger, [book])


def test_locked_funds_without_an_order_are_reported():
    ledger, _ = healthy()
    ledger = LedgerFacts(ledger.balances, ledger.net_deposits, [])
    problems = find_violations(ledger, [BookFacts("BTCUSDT", 9, 9, [], [])])
    assert problems == ["user 1 USDT: locked 1000 but open orders reserve 0"]


def test_an_order_missing_from_its_book_or_filled_differently_is_reported():
    ledger, _ = healthy()
    assert find_violations(ledger, [BookFacts("BTCUSDT", 9, 9, [], [])]) == [
        "BTCUSDT order 7: open in the ledger but not in the book"
    ]
    book = BookFacts("BTCUSDT", 9, 9, [resting(7, 1, 0, 100, filled=2)], [])
    assert find_violations(ledger, [book]) == ["BTCUSDT order 7: filled 0 in the ledger, 2 in the book"]


def test_a_book_order_the_ledger_does_not_know_and_a_crossed_book_are_reported():
    ledger, _ = healthy()
    book = BookFacts("BTCUSDT", 9, 9, [resting(7, 1, 0, 100), resting(8, 2, 1, 99)], [])
    assert find_violations(ledger, [book]) == [
        "BTCUSDT: crossed book (bid 100 >= ask 99)",
        "BTCUSDT order 8: in the book (filled 0) but not open in the ledger (no record of it)",
    ]
    assert in_book_not_open(ledger, [book]) == [("BTCUSDT", 8)]
    # with what the ledger says of it (gather reads it), the report says what to look at
    done = order(8, 2, 0, filled=3, phase=OrderPhase.DONE)
    told = LedgerFacts(ledger.balances, ledger.net_deposits, ledger.unfinished_orders, {8: done})
    assert find_violations(told, [book])[1] == (
        f"BTCUSDT order 8: in the book (filled 0) but not open in the ledger ({done.status.name}, phase DONE, filled 3)"
    )


def test_settlement_lagging_the_book_is_reported_before_comparing_states():
    ledger, book = healthy()
    lagging = BookFacts("BTCUSDT", 12, 9, book.resting, [])
    assert find_violations(ledger, [lagging]) == ["BTCUSDT: settlement is at seq 9, the book at 12"]
