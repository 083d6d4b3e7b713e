"""A listed symbol (markets.Symbol) as the contracts' SymbolInfo message."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from exchange.v1 import common_pb2
from services.common.markets import Symbol

_ALL_STP_MODES = [
    common_pb2.NONE,
    common_pb2.EXPIRE_TAKER,
    common_pb2.EXPIRE_MAKER,
    common_pb2.EXPIRE_BOTH,
]


def _plain(value: Decimal) -> str:
    """Binance prints filter values with 8 decimals ("0.01000000"); a finer grid (a markets
    file's 18-decimal token) with as many as it needs, never rounded to zero."""
    exponent = int(value.normalize().as_tuple().exponent)
    return f"{value:.{max(8, -exponent)}f}"


def scale_of(step: Decimal) -> int:
    """The decimals of a tick or step size, which must be a power of ten (exchangeInfo's
    precisions are derived from it)."""
    exponent = step.normalize().as_tuple().exponent
    if step.normalize() != Decimal(1).scaleb(int(exponent)):
        raise ValueError(f"{step} is not a power of ten")
    return -int(exponent)


def symbol_info(symbol: Symbol) -> common_pb2.SymbolInfo:
    f = symbol.filters
    status = cast(Any, common_pb2.SymbolStatus.Value(symbol.status))
    return common_pb2.SymbolInfo(
        symbol=symbol.name,
        status=status,
        base_asset=symbol.base.name,
        base_asset_precision=symbol.base.precision,
        quote_asset=symbol.quote.name,
        quote_precision=symbol.quote.precision,
        quote_asset_precision=symbol.quote.precision,
        order_types=[cast(Any, int(t) + 1) for t in symbol.order_types],
        quote_order_qty_market_allowed=True,
        is_spot_trading_allowed=True,
        cancel_replace_allowed=True,
        amend_allowed=True,
        default_self_trade_prevention_mode=common_pb2.EXPIRE_MAKER,
        allowed_self_trade_prevention_modes=_ALL_STP_MODES,
        filters=common_pb2.SymbolFilters(
            price_filter=common_pb2.PriceFilter(
                min_price=_plain(f.min_price), max_price=_plain(f.max_price), tick_size=_plain(f.tick_size)
            ),
            lot_size=common_pb2.LotSizeFilter(
                min_qty=_plain(f.min_qty), max_qty=_plain(f.max_qty), step_size=_plain(f.step_size)
            ),
            market_lot_size=common_pb2.LotSizeFilter(
                min_qty=_plain(Decimal(0)), max_qty=_plain(f.max_qty), step_size=_plain(Decimal(0))
            ),
            notional=common_pb2.NotionalFilter(
                min_notional=_plain(f.min_notional),
                apply_min_to_market=True,
                max_notional=_plain(f.max_notional),
                apply_max_to_market=False,
                avg_price_mins=5,
            ),
            max_num_orders=f.max_num_orders,
            max_num_algo_orders=f.max_num_algo_orders,
            percent_price_by_side=common_pb2.PercentPriceBySideFilter(
                bid_multiplier_up=str(f.bid_multiplier_up),
                bid_multiplier_down=str(f.bid_multiplier_down),
                ask_multiplier_up=str(f.ask_multiplier_up),
                ask_multiplier_down=str(f.ask_multiplier_down),
                avg_price_mins=5,
            ),
        ),
        price_scale=scale_of(f.tick_size),
        qty_scale=scale_of(f.step_size),
    )
