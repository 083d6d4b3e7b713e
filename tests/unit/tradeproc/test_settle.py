"""Settlement: what engine events do to balances, orders and trade history.

Prices in ticks (0.01 USDT), quantities in lots (0.00001 BTC = 1,000 sat); a trade of q lots
at p ticks moves p * q * 10 minor units of USDT and q * 1,000 sat. Maker fee 0.1 %, taker 0.2 %.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine_ext.codes import (
    EventKind,
    OrderStatus,
    OrderType,
    RejectReason,
    SelfTradePrevention,
    Side,
    TimeInForce,
)
from engine_ext.events import Event
from engine_ext.reference import OrderBook
from services.common.markets import Symbol
from services.common.records import FEE_ACCOUNT_USER_ID, OrderPhase, OrderRecord, TradeRecord
from services.order.domain import OrderIntent, new_order_record, reserve_funds
from services.tradeproc.domain import SettlementError, order_ids_in, settle
from services.tradeproc.fees import FeeSchedule
from tests.unit.tradeproc.conftest import BTC, USDT
from tests.unit.tradeproc.simulated_exchange import SimulatedExchange

BUY, SELL = Side.BUY, Side.SELL
LIMIT, MARKET = OrderType.LIMIT, OrderType.MARKET
P95K = 9_500_000  # 95,000.00 USDT
P96K = 9_600_000


def ev(seq: int, kind: EventKind, order_id: int = 0, user_id: int = 0, *, side: Side = BUY, code: int = 0,
       maker_order_id: int = 0, maker_user_id: int = 0, price: int = 0, qty: int = 0, filled: int = 0) -> Event:
    return Event(seq, kind, side, code, order_id, user_id, maker_order_id, maker_user_id, price, qty, filled)


def pending_limit(symbol: Symbol, order_id: int, user_id: int, side: Side, price: int, qty: int) -> OrderRecord:
    order = OrderIntent(symbol, side, LIMIT, TimeInForce.GTC, price, qty, 0, 0, SelfTradePrevention.NONE, None, "ACK")
    return new_order_record(order, reserve_funds(order, 10**18), order_id=order_id, user_id=user_id,
                            client_order_id=f"c{order_id}", created_ms=1)


# -- a trade -------------------------------------------------------------------------------------


def test_a_trade_pays_the_seller_in_quote_less_the_maker_fee(exchange: SimulatedExchange) -> None:
    exchange.submit(2, SELL, LIMIT, price=P95K, qty=100)  # maker: 0.001 BTC at 95,000
    exchange.submit(1, BUY, LIMIT, price=P95K, qty=100)  # taker
    assert exchange.balance(2, "USDT") == (1_000_000 * USDT + 95 * USDT - 9_500_000, 0)  # 95 USDT - 0.1 %
    assert exchange.balance(2, "BTC") == (10 * BTC - 100_000, 0)


def test_a_trade_pays_the_buyer_in_base_less_the_taker_fee(exchange: SimulatedExchange) -> None:
    exchange.submit(2, SELL, LIMIT, price=P95K, qty=100)
    exchange.submit(1, BUY, LIMIT, price=P95K, qty=100)
    assert exchange.balance(1, "BTC") == (10 * BTC + 100_000 - 200, 0)  # 0.001 BTC - 0.2 %
    assert exchange.balance(1, "USDT") == (1_000_000 * USDT - 95 * USDT, 0)


def test_the_fee_account_collects_both_fees(exchange: SimulatedExchange) -> None:
    exchange.submit(2, SELL, LIMIT, price=P95K, qty=100)
    exchange.submit(1, BUY, LIMIT, price=P95K, qty=100)
    assert exchange.balance(FEE_ACCOUNT_USER_ID, "BTC") == (200, 0)
    assert exchange.balance(FEE_ACCOUNT_USER_ID, "USDT") == (9_500_000, 0)


def test_a_fee_is_rounded_down_in_the_traders_favour(btcusdt: Symbol) -> None:
    sim = SimulatedExchange(btcusdt, OrderBook, FeeSchedule(333, 333))
    for user in (1, 2):
        sim.deposit(user, "USDT", 10 * USDT)
        sim.deposit(user, "BTC", BTC)
    sim.submit(2, SELL, LIMIT, price=3, qty=1)  # 30 minor units of USDT for 1,000 sat
    sim.submit(1, BUY, LIMIT, price=3, qty=1)
    assert sim.balance(FEE_ACCOUNT_USER_ID, "BTC") == (0, 0)  # 1,000 * 333 / 1e6 = 0.333 -> 0
    assert sim.balance(FEE_ACCOUNT_USER_ID, "USDT") == (0, 0)
    assert sim.balance(2, "USDT")[0] == 10 * USDT + 30


def test_a_trade_is_recorded_once_for_each_side(exchange: SimulatedExchange) -> None:
    maker = exchange.submit(2, SELL, LIMIT, price=P95K, qty=100)
    taker = exchange.submit(1, BUY, LIMIT, price=P96K, qty=100)
    assert maker and taker
    trades = exchange.settlements[-1].trades  # the book's first trade: trade id 1
    assert trades == [
        TradeRecord("BTCUSDT", trade_id=1, order_id=taker.order_id, user_id=1, counter_order_id=maker.order_id,
                    price=P95K, qty=100, quote_qty=95 * USDT, commission=200, commission_asset="BTC",
                    is_buyer=True, is_maker=False, time_ms=exchange.time_ms),
        TradeRecord("BTCUSDT", trade_id=1, order_id=maker.order_id, user_id=2, counter_order_id=taker.order_id,
                    price=P95K, qty=100, quote_qty=95 * USDT, commission=9_500_000, commission_asset="USDT",
                    is_buyer=False, is_maker=True, time_ms=exchange.time_ms),
    ]


def test_a_trade_event_from_before_trade_ids_is_recorded_with_its_seq_as_trade_id(exchange: SimulatedExchange) -> None:
    # Such events (filled 0) may still wait in the event log when the engine is upgraded.
    exchange.submit(2, SELL, LIMIT, price=P95K, qty=100)
    exchange.submit(1, BUY, LIMIT, price=P96K, qty=100)
    events, records, time_ms = exchange.batches[-1]
    old = [e._replace(filled=0) if e.kind == EventKind.TRADE else e for e in events]

    trades = settle(exchange.symbol, old, records, time_ms, exchange.fees).trades

    (seq,) = [e.seq for e in old if e.kind == EventKind.TRADE]
    assert [t.trade_id for t in trades] == [seq, seq]


def test_a_filled_order_is_done_with_its_fills_and_nothing_reserved(exchange: SimulatedExchange) -> None:
    exchange.submit(2, SELL, LIMIT, price=P95K, qty=100)
    buy = exchange.submit(1, BUY, LIMIT, price=P95K, qty=100)
    assert buy
    assert (buy.status, buy.phase, buy.filled, buy.cum_quote, buy.reserved) == (
        OrderStatus.FILLED, OrderPhase.DONE, 100, 95 * USDT, 0
    )


# -- reservations ----------------------------------------------------------------------------------


def test_a_buy_that_trades_below_its_limit_gets_the_difference_back_at_once(exchange: SimulatedExchange) -> None:
    exchange.submit(2, SELL, LIMIT, price=P95K, qty=100)
    buy = exchange.submit(1, BUY, LIMIT, price=P96K, qty=300)  # 100 fill at 95,000; 200 rest at 96,000
    assert buy and buy.status == OrderStatus.PARTIALLY_FILLED
    assert buy.reserved == P96K * 200 * 10  # exactly what its leaves need at its own price
    assert exchange.balance(1, "USDT") == (1_000_000 * USDT - 95 * USDT - 192 * USDT, 192 * USDT)


def test_a_cancel_releases_what_the_order_still_reserves(exchange: SimulatedExchange) -> None:
    sell = exchange.submit(2, SELL, LIMIT, price=P95K, qty=300)
    exchange.submit(1, BUY, LIMIT, price=P95K, qty=100)
    assert sell
    exchange.cancel(sell.order_id)
    canceled = exchange.orders[sell.order_id]
    assert (canceled.status, canceled.phase, canceled.reserved) == (OrderStatus.CANCELED, OrderPhase.DONE, 0)
    assert exchange.balance(2, "BTC") == (10 * BTC - 100_000, 0)


def test_a_market_buy_by_quantity_gives_back_what_its_cap_did_not_spend(exchange: SimulatedExchange) -> None:
    exchange.submit(2, SELL, LIMIT, price=P95K, qty=100)
    buy = exchange.submit(1, BUY, MARKET, qty=100)  # locked the whole balance while it ran
    assert buy and buy.cap == 1_000_000 * USDT // 10
    assert (buy.status, buy.reserved) == (OrderStatus.FILLED, 0)
    assert exchange.balance(1, "USDT") == (1_000_000 * USDT - 95 * USDT, 0)


def test_a_market_buy_its_balance_cannot_pay_for_is_rejected_and_locks_nothing(
    btcusdt: Symbol, fees: FeeSchedule
) -> None:
    sim = SimulatedExchange(btcusdt, OrderBook, fees)
    sim.deposit(1, "USDT", 150 * USDT)
    sim.deposit(2, "BTC", BTC)
    sim.submit(2, SELL, LIMIT, price=P95K, qty=200)
    buy = sim.submit(1, BUY, MARKET, qty=200)  # wants 190 USDT, has 150: nothing is bought
    assert buy and (buy.status, buy.filled, buy.reserved) == (OrderStatus.REJECTED, 0, 0)
    assert sim.balance(1, "USDT") == (150 * USDT, 0)


def test_a_market_buy_its_balance_pays_for_takes_what_the_book_offers(btcusdt: Symbol, fees: FeeSchedule) -> None:
    sim = SimulatedExchange(btcusdt, OrderBook, fees)
    sim.deposit(1, "USDT", 150 * USDT)
    sim.deposit(2, "BTC", BTC)
    sim.submit(2, SELL, LIMIT, price=P95K, qty=100)
    buy = sim.submit(1, BUY, MARKET, qty=200)  # the book holds 0.001 BTC (95 USDT): bought, rest expires
    assert buy and (buy.status, buy.filled, buy.reserved) == (OrderStatus.EXPIRED, 100, 0)
    assert sim.balance(1, "USDT") == (150 * USDT - P95K * 100 * 10, 0)


def test_a_market_sell_by_quote_gives_back_the_base_it_did_not_sell(exchange: SimulatedExchange) -> None:
    exchange.submit(1, BUY, LIMIT, price=P95K, qty=1_000)
    sell = exchange.submit(2, SELL, MARKET, quote_qty=P95K * 100)  # receive 95 USDT: sells 0.001 BTC
    assert sell and (sell.status, sell.filled, sell.reserved) == (OrderStatus.FILLED, 100, 0)
    assert exchange.balance(2, "BTC") == (10 * BTC - 100_000, 0)


def test_a_triggered_stop_market_buy_spends_within_its_headroom(exchange: SimulatedExchange) -> None:
    exchange.submit(2, SELL, LIMIT, price=P95K, qty=100)
    exchange.submit(1, BUY, LIMIT, price=P95K, qty=100)  # last price 95,000
    stop = exchange.submit(1, BUY, OrderType.STOP_LOSS, qty=100, stop_price=P96K)
    assert stop and stop.reserved == P96K * 100 * 11  # 110 % of the stop value
    exchange.submit(2, SELL, LIMIT, price=P96K, qty=200)
    exchange.submit(1, BUY, LIMIT, price=P96K, qty=100)  # trades at 96,000: the stop fires
    fired = exchange.orders[stop.order_id]
    assert (fired.status, fired.filled, fired.cum_quote, fired.reserved) == (OrderStatus.FILLED, 100, 96 * USDT, 0)
    assert fired.working_ms == exchange.time_ms


def test_an_order_the_engine_refuses_releases_everything(exchange: SimulatedExchange) -> None:
    exchange.submit(2, SELL, LIMIT, price=P95K, qty=100)
    maker = exchange.submit(1, BUY, OrderType.LIMIT_MAKER, price=P95K, qty=100)  # would take
    assert maker and (maker.status, maker.phase, maker.reserved) == (OrderStatus.REJECTED, OrderPhase.DONE, 0)
    assert exchange.balance(1, "USDT") == (1_000_000 * USDT, 0)


def test_self_trade_prevention_releases_the_expired_makers_reservation(exchange: SimulatedExchange) -> None:
    own = exchange.submit(1, SELL, LIMIT, price=P95K, qty=100)
    exchange.submit(1, BUY, LIMIT, price=P95K, qty=100, stp=SelfTradePrevention.EXPIRE_MAKER)
    assert own
    expired = exchange.orders[own.order_id]
    assert (expired.status, expired.reserved) == (OrderStatus.EXPIRED_IN_MATCH, 0)
    assert exchange.balance(1, "BTC") == (10 * BTC, 0)


def test_a_self_trade_settles_through_both_orders_and_costs_only_fees(exchange: SimulatedExchange) -> None:
    exchange.submit(1, SELL, LIMIT, price=P95K, qty=100)
    exchange.submit(1, BUY, LIMIT, price=P95K, qty=100, stp=SelfTradePrevention.NONE)
    assert exchange.balance(1, "BTC") == (10 * BTC - 200, 0)  # taker fee on the base bought
    assert exchange.balance(1, "USDT") == (1_000_000 * USDT - 9_500_000, 0)  # maker fee on the quote


# -- order lifecycle ------------------------------------------------------------------------------


def test_accepted_makes_the_order_live_and_working_since_it_was_placed(exchange: SimulatedExchange) -> None:
    order = exchange.submit(1, BUY, LIMIT, price=P95K, qty=100)
    # the engine accepts it a moment after the order service recorded it; Binance's order has
    # one time (time == transactTime == workingTime), the one it was recorded with
    assert order and exchange.time_ms > order.created_ms
    assert (order.phase, order.status, order.working_ms) == (OrderPhase.LIVE, OrderStatus.NEW, order.created_ms)


def test_a_stop_is_live_but_not_working_until_triggered(exchange: SimulatedExchange) -> None:
    order = exchange.submit(1, SELL, OrderType.STOP_LOSS, qty=100, stop_price=P95K)
    assert order and (order.phase, order.working_ms) == (OrderPhase.LIVE, 0)


def test_an_amend_down_releases_the_excess(exchange: SimulatedExchange) -> None:
    order = exchange.submit(1, BUY, LIMIT, price=P95K, qty=300)
    assert order
    exchange.amend(order.order_id, 100)
    amended = exchange.orders[order.order_id]
    assert (amended.qty, amended.reserved) == (100, P95K * 100 * 10)
    assert exchange.balance(1, "USDT") == (1_000_000 * USDT - 95 * USDT, 95 * USDT)


def test_a_refused_amend_or_cancel_changes_nothing(exchange: SimulatedExchange) -> None:
    order = exchange.submit(2, SELL, LIMIT, price=P95K, qty=300)
    assert order
    exchange.submit(1, BUY, LIMIT, price=P95K, qty=200)
    before = replace(exchange.orders[order.order_id])
    exchange.amend(order.order_id, 100)  # not above what has filled: INVALID_QUANTITY
    exchange.cancel(999)  # UNKNOWN_ORDER
    assert exchange.orders[order.order_id] == before
    assert all(not s.balances for s in exchange.settlements[-2:])


def test_an_amend_that_would_cost_more_is_refused(btcusdt: Symbol, fees: FeeSchedule) -> None:
    record = replace(pending_limit(btcusdt, 1, 1, BUY, P95K, 100), phase=OrderPhase.LIVE)
    amended_up = [ev(5, EventKind.AMENDED, 1, 1, price=P95K, qty=200)]
    with pytest.raises(SettlementError, match="must not raise"):
        settle(btcusdt, amended_up, {1: record}, 10, fees)


def test_a_duplicate_order_id_rejection_releases_nothing(btcusdt: Symbol, fees: FeeSchedule) -> None:
    record = pending_limit(btcusdt, 1, 1, BUY, P95K, 100)
    settlement = settle(btcusdt, [ev(5, EventKind.REJECTED, 1, 1, code=RejectReason.DUPLICATE_ORDER_ID)],
                        {1: record}, 10, fees)
    assert not settlement.balances and 1 not in settlement.orders


def test_a_refused_amend_leaves_the_order_out_of_the_settlement(btcusdt: Symbol, fees: FeeSchedule) -> None:
    # unchanged, so not written again: writing a finished order again would free its client
    # order id a second time (docs/data-model.md), whoever holds that id by then
    for phase in (OrderPhase.LIVE, OrderPhase.DONE):
        record = replace(pending_limit(btcusdt, 1, 1, BUY, P95K, 100), phase=phase)
        refused = [ev(5, EventKind.REJECTED, 1, 1, code=RejectReason.INVALID_QUANTITY)]
        settlement = settle(btcusdt, refused, {1: record}, 10, fees)
        assert not settlement.balances and 1 not in settlement.orders


def test_a_cancel_rejected_for_a_pending_order_leaves_it_pending(btcusdt: Symbol, fees: FeeSchedule) -> None:
    record = pending_limit(btcusdt, 1, 1, BUY, P95K, 100)
    settlement = settle(btcusdt, [ev(5, EventKind.REJECTED, 1, code=RejectReason.UNKNOWN_ORDER, side=BUY)],
                        {1: record}, 10, fees)
    assert not settlement.balances and 1 not in settlement.orders


# -- the batch ------------------------------------------------------------------------------------


def test_the_settlement_names_the_seq_range_it_covers(exchange: SimulatedExchange) -> None:
    exchange.submit(2, SELL, LIMIT, price=P95K, qty=100)
    exchange.submit(1, BUY, LIMIT, price=P95K, qty=100)
    assert [(s.symbol, s.from_seq, s.to_seq) for s in exchange.settlements] == [("BTCUSDT", 1, 2), ("BTCUSDT", 3, 7)]


def test_a_batch_with_a_gap_is_refused(btcusdt: Symbol, fees: FeeSchedule) -> None:
    record = pending_limit(btcusdt, 1, 1, BUY, P95K, 100)
    gap = [ev(5, EventKind.ACCEPTED, 1, 1), ev(7, EventKind.LEVEL, price=P95K, qty=100, filled=1)]
    with pytest.raises(SettlementError, match="contiguous"):
        settle(btcusdt, gap, {1: record}, 10, fees)


def test_an_empty_batch_is_refused(btcusdt: Symbol, fees: FeeSchedule) -> None:
    with pytest.raises(SettlementError, match="empty batch"):
        settle(btcusdt, [], {}, 10, fees)


def test_an_event_of_an_order_without_a_record_is_refused(btcusdt: Symbol, fees: FeeSchedule) -> None:
    with pytest.raises(SettlementError, match="no record for order 1"):
        settle(btcusdt, [ev(5, EventKind.ACCEPTED, 1, 1)], {}, 10, fees)


def test_an_engine_fill_count_that_disagrees_with_the_record_is_refused(btcusdt: Symbol, fees: FeeSchedule) -> None:
    record = replace(pending_limit(btcusdt, 1, 1, BUY, P95K, 100), phase=OrderPhase.LIVE)
    wrong = [ev(5, EventKind.ORDER, 1, 1, code=OrderStatus.FILLED, price=P95K, qty=0, filled=100)]
    with pytest.raises(SettlementError, match="filled 100 per the engine"):
        settle(btcusdt, wrong, {1: record}, 10, fees)


def test_the_records_given_are_not_modified(btcusdt: Symbol, fees: FeeSchedule) -> None:
    record = pending_limit(btcusdt, 1, 1, BUY, P95K, 100)
    original = replace(record)
    settlement = settle(btcusdt, [ev(5, EventKind.ACCEPTED, 1, 1)], {1: record}, 10, fees)
    assert record == original and settlement.orders[1].phase == OrderPhase.LIVE


def test_order_ids_in_names_every_order_a_batch_touches(exchange: SimulatedExchange) -> None:
    exchange.submit(2, SELL, LIMIT, price=P95K, qty=100)
    exchange.submit(1, BUY, LIMIT, price=P95K, qty=100)
    assert order_ids_in(exchange.events) == {1, 2}
