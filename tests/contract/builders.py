"""Records for the ledger suites: orders, and settlements of fills as trade processing makes them."""

from __future__ import annotations

import dataclasses

from engine_ext.codes import OrderStatus, OrderType, SelfTradePrevention, Side, TimeInForce
from services.common.records import FEE_ACCOUNT_USER_ID, OrderPhase, OrderRecord, Settlement, TradeRecord

SYMBOL = "BTCUSDT"
BASE, QUOTE = "BTC", "USDT"


def an_order(
    order_id: int,
    *,
    user_id: int = 1,
    side: Side = Side.BUY,
    reserved: int = 100,
    symbol: str = SYMBOL,
    client_order_id: str | None = None,
    created_ms: int = 1_000,
) -> OrderRecord:
    """A GTC limit order reserving quote (BUY) or base (SELL), in phase PENDING."""
    return OrderRecord(
        order_id=order_id,
        symbol=symbol,
        user_id=user_id,
        client_order_id=client_order_id if client_order_id is not None else f"c{order_id}",
        side=side,
        order_type=OrderType.LIMIT,
        tif=TimeInForce.GTC,
        stp=SelfTradePrevention.NONE,
        price=10,
        qty=10,
        quote_qty=0,
        stop_price=0,
        cap=0,
        reserved_asset=QUOTE if side is Side.BUY else BASE,
        reserved=reserved,
        created_ms=created_ms,
    )


def fill(
    settlement: Settlement,
    buy: OrderRecord,
    sell: OrderRecord,
    *,
    trade_id: int,
    base: int,
    quote: int,
    fee_ppm: int = 1_000,
    time_ms: int = 2_000,
) -> tuple[OrderRecord, OrderRecord]:
    """Add one fill to `settlement`: the buyer pays `quote` out of its locked quote and gets
    `base` less the fee; the seller gives `base` out of its locked base and gets `quote` less
    the fee; the fees go to the fee account. Returns both orders' new states."""
    buyer_fee, seller_fee = base * fee_ppm // 1_000_000, quote * fee_ppm // 1_000_000
    settlement.credit(buy.user_id, QUOTE, locked=-quote)
    settlement.credit(buy.user_id, BASE, available=base - buyer_fee)
    settlement.credit(sell.user_id, BASE, locked=-base)
    settlement.credit(sell.user_id, QUOTE, available=quote - seller_fee)
    settlement.credit(FEE_ACCOUNT_USER_ID, BASE, available=buyer_fee)
    settlement.credit(FEE_ACCOUNT_USER_ID, QUOTE, available=seller_fee)
    new_buy = _filled(buy, spent=quote, lots=1, quote=quote, time_ms=time_ms)
    new_sell = _filled(sell, spent=base, lots=1, quote=quote, time_ms=time_ms)
    settlement.orders[new_buy.order_id] = new_buy
    settlement.orders[new_sell.order_id] = new_sell
    for order, counter, fee, asset in ((buy, sell, buyer_fee, BASE), (sell, buy, seller_fee, QUOTE)):
        settlement.trades.append(
            TradeRecord(
                symbol=settlement.symbol, trade_id=trade_id, order_id=order.order_id, user_id=order.user_id,
                counter_order_id=counter.order_id, price=10, qty=1, quote_qty=quote, commission=fee,
                commission_asset=asset, is_buyer=order is buy, is_maker=order is sell, time_ms=time_ms,
            )
        )
    return new_buy, new_sell


def release(settlement: Settlement, order: OrderRecord, *, time_ms: int = 3_000) -> OrderRecord:
    """Cancel `order`: what it still reserves goes back to available; the order is DONE."""
    settlement.credit(order.user_id, order.reserved_asset, available=order.reserved, locked=-order.reserved)
    done = dataclasses.replace(
        order, reserved=0, status=OrderStatus.CANCELED, phase=OrderPhase.DONE, updated_ms=time_ms
    )
    settlement.orders[done.order_id] = done
    return done


def _filled(order: OrderRecord, *, spent: int, lots: int, quote: int, time_ms: int) -> OrderRecord:
    reserved = order.reserved - spent
    return dataclasses.replace(
        order,
        reserved=reserved,
        filled=order.filled + lots,
        cum_quote=order.cum_quote + quote,
        status=OrderStatus.PARTIALLY_FILLED if reserved else OrderStatus.FILLED,
        phase=OrderPhase.LIVE if reserved else OrderPhase.DONE,
        updated_ms=time_ms,
    )


def run_of_fills(buy: OrderRecord, sell: OrderRecord, first_seq: int, count: int) -> Settlement:
    """Seqs first_seq.. first_seq + count - 1, one fill each (1 base lot for 10 quote) between the
    same two orders, given as they were before seq 1: the same arguments always build the same
    settlement, whoever builds it (a process redelivering another's half-applied one)."""
    before = first_seq - 1
    if before:
        buy = _filled(buy, spent=10 * before, lots=before, quote=10 * before, time_ms=2_000)
        sell = _filled(sell, spent=before, lots=before, quote=10 * before, time_ms=2_000)
    settlement = Settlement(buy.symbol, first_seq, first_seq + count - 1)
    for seq in range(first_seq, first_seq + count):
        buy, sell = fill(settlement, buy, sell, trade_id=seq, base=1, quote=10)
    return settlement
