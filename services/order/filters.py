"""Binance's symbol filters (binance-spot-api-docs/filters.md), each one pure function.

Each check takes decimals as the trader sent them (already parsed) and either returns the
engine integer the value stands for or raises `OrderRejected` with Binance's
"Filter failure: <FILTER>". Comparisons are exact: Decimal arithmetic in a context wide
enough that no product is ever rounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext

from engine_ext.codes import Side
from services.common.markets import MarketError, Symbol
from services.order.errors import filter_failure

_EXACT_DIGITS = 80  # 20 integer + 20 fraction digits (Binance's decimal range) times two, with room


@dataclass(frozen=True, slots=True)
class LotSize:
    """A LOT_SIZE-shaped rule; used for MARKET_LOT_SIZE, which markets.Filters does not carry yet.

    Binance disables a part set to 0 (a MARKET_LOT_SIZE with stepSize 0 checks no grid).
    """

    min_qty: Decimal
    max_qty: Decimal
    step_size: Decimal


def check_price_filter(symbol: Symbol, price: Decimal) -> int:
    """PRICE_FILTER for `price` and `stopPrice`: within [minPrice, maxPrice] (0 = no bound) and
    on the tick grid. Returns ticks."""
    f = symbol.filters
    if (f.min_price and price < f.min_price) or (f.max_price and price > f.max_price):
        raise filter_failure("PRICE_FILTER")
    try:
        return symbol.price_to_ticks(price)
    except MarketError:
        raise filter_failure("PRICE_FILTER") from None


def check_lot_size(symbol: Symbol, qty: Decimal) -> int:
    """LOT_SIZE: within [minQty, maxQty] and on the step grid. Returns lots."""
    f = symbol.filters
    if qty < f.min_qty or qty > f.max_qty:
        raise filter_failure("LOT_SIZE")
    try:
        return symbol.qty_to_lots(qty)
    except MarketError:
        raise filter_failure("LOT_SIZE") from None


def check_market_lot_size(rule: LotSize | None, qty: Decimal) -> None:
    """MARKET_LOT_SIZE: the extra quantity rule of MARKET orders (LOT_SIZE applies as well)."""
    if rule is None:
        return
    if (rule.min_qty and qty < rule.min_qty) or (rule.max_qty and qty > rule.max_qty):
        raise filter_failure("MARKET_LOT_SIZE")
    if rule.step_size and qty % rule.step_size != 0:
        raise filter_failure("MARKET_LOT_SIZE")


def check_percent_price_by_side(symbol: Symbol, side: Side, price: Decimal, reference: Decimal | None) -> None:
    """PERCENT_PRICE_BY_SIDE: a limit price within the side's multipliers of the reference
    (Binance's weighted average price). No reference yet (no trade) = nothing to compare."""
    if reference is None:
        return
    f = symbol.filters
    if side == Side.BUY:
        up, down = f.bid_multiplier_up, f.bid_multiplier_down
    else:
        up, down = f.ask_multiplier_up, f.ask_multiplier_down
    with localcontext() as ctx:
        ctx.prec = _EXACT_DIGITS
        if price > reference * up or price < reference * down:
            raise filter_failure("PERCENT_PRICE_BY_SIDE")


def check_notional(symbol: Symbol, notional: Decimal | None, *, is_market: bool) -> None:
    """NOTIONAL: price * quantity within [minNotional, maxNotional] (0 = no bound).

    For MARKET orders Binance's BTCUSDT has applyMinToMarket=true and applyMaxToMarket=false;
    markets.Filters has no such flags yet, so spotex applies the minimum only, as there.
    `notional` None = unknown (a market order before any trade): nothing to check.
    """
    if notional is None:
        return
    f = symbol.filters
    if f.min_notional and notional < f.min_notional:
        raise filter_failure("NOTIONAL")
    if not is_market and f.max_notional and notional > f.max_notional:
        raise filter_failure("NOTIONAL")


def check_max_num_orders(symbol: Symbol, open_orders: int) -> None:
    """MAX_NUM_ORDERS: the user's open orders on the symbol (pending stops included) must stay
    within the limit once this one is added."""
    limit = symbol.filters.max_num_orders
    if limit and open_orders >= limit:
        raise filter_failure("MAX_NUM_ORDERS")


def check_max_num_algo_orders(symbol: Symbol, open_algo_orders: int) -> None:
    """MAX_NUM_ALGO_ORDERS: the same for stop orders ("algo" orders on Binance)."""
    limit = symbol.filters.max_num_algo_orders
    if limit and open_algo_orders >= limit:
        raise filter_failure("MAX_NUM_ALGO_ORDERS")


def exact_product(a: Decimal, b: Decimal) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = _EXACT_DIGITS
        return a * b

