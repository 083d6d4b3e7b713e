"""Binance's order responses: ACK, RESULT, FULL, query-order and cancel, to the character."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from engine_ext.codes import OrderStatus, OrderType, SelfTradePrevention, Side, TimeInForce
from engine_ext.events import Event
from engine_ext.reference import OrderBook
from services.common.markets import Asset, Filters, Symbol
from services.common.records import OrderPhase, OrderRecord
from services.order.domain import OrderIntent, new_order_record, reserve_funds
from services.order.errors import OrderRejected
from services.order.responses import (
    cancel_response,
    format_price,
    format_qty,
    order_response,
    order_view,
)
from services.tradeproc.fees import FeeSchedule

FEES = FeeSchedule(maker_ppm=1_000, taker_ppm=2_000)
NOW = 1_700_000_000_000


def place(
    book: OrderBook, symbol: Symbol, order_id: int, side: Side, order_type: OrderType, *,
    price: int = 0, qty: int = 0, quote_qty: int = 0, stop_price: int = 0, user_id: int = 1,
    tif: TimeInForce = TimeInForce.GTC,
) -> tuple[OrderRecord, list[Event]]:
    order = OrderIntent(symbol, side, order_type, tif, price, qty, quote_qty, stop_price,
                        SelfTradePrevention.NONE, None, "FULL")
    reservation = reserve_funds(order, 10**15)
    record = new_order_record(order, reservation, order_id=order_id, user_id=user_id,
                              client_order_id=f"client-{order_id}", created_ms=NOW)
    book.submit(order_id, user_id, side, order_type, tif, price, qty, quote_qty, stop_price,
                SelfTradePrevention.NONE, reservation.cap)
    return record, book.last_events()


@pytest.fixture
def book() -> OrderBook:
    return OrderBook(tick_size=1, lot_size=1)


@pytest.fixture
def asks(book: OrderBook, btcusdt: Symbol) -> OrderBook:
    """0.001 BTC at 95000.00 and 0.002 BTC at 95001.00, from user 2."""
    place(book, btcusdt, 1, Side.SELL, OrderType.LIMIT, price=9_500_000, qty=100, user_id=2)
    place(book, btcusdt, 2, Side.SELL, OrderType.LIMIT, price=9_500_100, qty=200, user_id=2)
    return book


def test_ack_has_only_the_identity_of_the_order(book: OrderBook, btcusdt: Symbol) -> None:
    record, events = place(book, btcusdt, 9, Side.BUY, OrderType.LIMIT, price=9_000_000, qty=100)
    assert order_response(btcusdt, record, events, transact_time_ms=NOW + 5, fees=FEES, response_type="ACK") == {
        "symbol": "BTCUSDT", "orderId": 9, "orderListId": -1, "clientOrderId": "client-9", "transactTime": NOW + 5,
    }


def test_result_of_a_resting_limit_order(book: OrderBook, btcusdt: Symbol) -> None:
    record, events = place(book, btcusdt, 9, Side.BUY, OrderType.LIMIT, price=9_000_001, qty=123)
    assert order_response(btcusdt, record, events, transact_time_ms=NOW, fees=FEES, response_type="RESULT") == {
        "symbol": "BTCUSDT",
        "orderId": 9,
        "orderListId": -1,
        "clientOrderId": "client-9",
        "transactTime": NOW,
        "price": "90000.01000000",
        "origQty": "0.00123000",
        "executedQty": "0.00000000",
        "origQuoteOrderQty": "0.00000000",
        "cummulativeQuoteQty": "0.00000000",
        "status": "NEW",
        "timeInForce": "GTC",
        "type": "LIMIT",
        "side": "BUY",
        "workingTime": NOW,
        "selfTradePreventionMode": "NONE",
    }


def test_full_of_a_market_buy_lists_its_fills_with_taker_commission_in_base(
    asks: OrderBook, btcusdt: Symbol
) -> None:
    record, events = place(asks, btcusdt, 9, Side.BUY, OrderType.MARKET, qty=250)
    response = order_response(btcusdt, record, events, transact_time_ms=NOW, fees=FEES)  # MARKET defaults to FULL
    # the book's first two trades: trade ids 1 and 2 (their events' seqs are 6 and 9)
    assert response["status"] == "FILLED"
    assert (response["price"], response["origQty"], response["executedQty"]) == ("0.00000000", "0.00250000",
                                                                                 "0.00250000")
    assert response["cummulativeQuoteQty"] == "237.50150000"  # 95 + 0.0015 * 95001
    assert response["fills"] == [
        {"price": "95000.00000000", "qty": "0.00100000", "commission": "0.00000200", "commissionAsset": "BTC",
         "tradeId": 1},
        {"price": "95001.00000000", "qty": "0.00150000", "commission": "0.00000300", "commissionAsset": "BTC",
         "tradeId": 2},
    ]


def test_full_of_a_sell_pays_commission_in_quote(book: OrderBook, btcusdt: Symbol) -> None:
    place(book, btcusdt, 1, Side.BUY, OrderType.LIMIT, price=9_500_000, qty=100, user_id=2)
    record, events = place(book, btcusdt, 9, Side.SELL, OrderType.MARKET, qty=100)
    [fill] = order_response(btcusdt, record, events, transact_time_ms=NOW, fees=FEES)["fills"]
    assert (fill["commission"], fill["commissionAsset"]) == ("0.19000000", "USDT")  # 0.2 % of 95 USDT


def test_an_order_by_quote_shows_its_quote_and_what_it_executed_as_its_quantity(
    asks: OrderBook, btcusdt: Symbol
) -> None:
    record, events = place(asks, btcusdt, 9, Side.BUY, OrderType.MARKET, quote_qty=950_000_000)  # 95 USDT
    response = order_response(btcusdt, record, events, transact_time_ms=NOW, fees=FEES)
    assert (response["origQty"], response["origQuoteOrderQty"], response["executedQty"]) == (
        "0.00100000", "95.00000000", "0.00100000"
    )
    assert response["status"] == "FILLED"


def test_an_ioc_remainder_expires(asks: OrderBook, btcusdt: Symbol) -> None:
    record, events = place(asks, btcusdt, 9, Side.BUY, OrderType.LIMIT, price=9_500_000, qty=150,
                           tif=TimeInForce.IOC)
    response = order_response(btcusdt, record, events, transact_time_ms=NOW, fees=FEES)
    assert (response["status"], response["executedQty"], response["timeInForce"]) == ("EXPIRED", "0.00100000", "IOC")


def test_a_stop_order_is_not_working_yet_and_shows_its_stop_price(book: OrderBook, btcusdt: Symbol) -> None:
    record, events = place(book, btcusdt, 9, Side.SELL, OrderType.STOP_LOSS_LIMIT, price=8_900_000, qty=100,
                           stop_price=9_000_000)
    response = order_response(btcusdt, record, events, transact_time_ms=NOW, fees=FEES, response_type="RESULT")
    assert (response["status"], response["workingTime"], response["stopPrice"]) == ("NEW", -1, "90000.00000000")


def test_a_maker_order_that_would_take_is_refused(asks: OrderBook, btcusdt: Symbol) -> None:
    record, events = place(asks, btcusdt, 9, Side.BUY, OrderType.LIMIT_MAKER, price=9_500_000, qty=100)
    with pytest.raises(OrderRejected) as caught:
        order_response(btcusdt, record, events, transact_time_ms=NOW, fees=FEES)
    assert caught.value.to_binance() == {"code": -2010, "msg": "Order would immediately match and take."}


def test_a_stop_that_would_trigger_at_once_is_refused(asks: OrderBook, btcusdt: Symbol) -> None:
    place(asks, btcusdt, 8, Side.BUY, OrderType.MARKET, qty=100)  # last price 95000
    record, events = place(asks, btcusdt, 9, Side.SELL, OrderType.STOP_LOSS, qty=100, stop_price=9_600_000)
    with pytest.raises(OrderRejected) as caught:
        order_response(btcusdt, record, events, transact_time_ms=NOW, fees=FEES)
    assert caught.value.to_binance() == {"code": -2010, "msg": "Order would trigger immediately."}


# -- GET /api/v3/order and DELETE /api/v3/order -----------------------------------------------------


def settled(record: OrderRecord, **changes: object) -> OrderRecord:
    return replace(record, **changes)  # type: ignore[arg-type]


def test_query_order_shape_of_a_filled_order(book: OrderBook, btcusdt: Symbol) -> None:
    record, _ = place(book, btcusdt, 9, Side.BUY, OrderType.LIMIT, price=9_500_000, qty=100)
    done = settled(record, status=OrderStatus.FILLED, phase=OrderPhase.DONE, filled=100, cum_quote=95 * 10**8,
                   updated_ms=NOW + 7, working_ms=NOW + 1)
    assert order_view(btcusdt, done) == {
        "symbol": "BTCUSDT",
        "orderId": 9,
        "orderListId": -1,
        "clientOrderId": "client-9",
        "price": "95000.00000000",
        "origQty": "0.00100000",
        "executedQty": "0.00100000",
        "cummulativeQuoteQty": "95.00000000",
        "status": "FILLED",
        "timeInForce": "GTC",
        "type": "LIMIT",
        "side": "BUY",
        "stopPrice": "0.00000000",
        "icebergQty": "0.00000000",
        "time": NOW,
        "updateTime": NOW + 7,
        "isWorking": True,
        "workingTime": NOW + 1,
        "origQuoteOrderQty": "0.00000000",
        "selfTradePreventionMode": "NONE",
    }


def test_a_stop_waiting_for_its_trigger_is_not_working(book: OrderBook, btcusdt: Symbol) -> None:
    record, _ = place(book, btcusdt, 9, Side.SELL, OrderType.STOP_LOSS, qty=100, stop_price=9_000_000)
    view = order_view(btcusdt, settled(record, phase=OrderPhase.LIVE))
    assert (view["isWorking"], view["workingTime"], view["stopPrice"]) == (False, -1, "90000.00000000")


def test_cancel_response_names_both_client_ids(book: OrderBook, btcusdt: Symbol) -> None:
    record, _ = place(book, btcusdt, 9, Side.SELL, OrderType.LIMIT, price=9_500_000, qty=100)
    canceled = settled(record, status=OrderStatus.CANCELED, phase=OrderPhase.DONE, working_ms=NOW)
    assert cancel_response(btcusdt, canceled, cancel_client_order_id="cancel-1", transact_time_ms=NOW + 9) == {
        "symbol": "BTCUSDT",
        "origClientOrderId": "client-9",
        "orderId": 9,
        "orderListId": -1,
        "clientOrderId": "cancel-1",
        "transactTime": NOW + 9,
        "price": "95000.00000000",
        "origQty": "0.00100000",
        "executedQty": "0.00000000",
        "origQuoteOrderQty": "0.00000000",
        "cummulativeQuoteQty": "0.00000000",
        "status": "CANCELED",
        "timeInForce": "GTC",
        "type": "LIMIT",
        "side": "SELL",
        "selfTradePreventionMode": "NONE",
    }


def test_a_grid_finer_than_eight_decimals_is_printed_in_full() -> None:
    fine = Symbol(
        "SHIBUSDT", Asset("SHIB", 2), Asset("USDT", 12),
        Filters(tick_size=Decimal("0.0000000001"), min_price=Decimal("0.0000000001"), max_price=Decimal("1"),
                step_size=Decimal("1"), min_qty=Decimal("1"), max_qty=Decimal("10000000000"),
                min_notional=Decimal("1"), max_notional=Decimal("1000000")),
    )
    assert format_price(fine, 123) == "0.0000000123"
    assert format_qty(fine, 5) == "5.00000000"
