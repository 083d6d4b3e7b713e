"""GET /api/v3/exchangeInfo in Binance's shape: typed SymbolFilters -> the `filters` list
tagged by filterType, plus the keys Binance always sends and spotex has no field for
(spotex has no icebergs, OCO/OTO or trailing stops, and no margin)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from edge.rest.render import Renderer
from exchange.v1 import common_pb2, marketdata_pb2

_ORDER_TYPE = common_pb2.OrderType.Name
_STP = common_pb2.SelfTradePrevention.Name
_STATUS = common_pb2.SymbolStatus.Name


def symbol_filters(f: common_pb2.SymbolFilters) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if f.HasField("price_filter"):
        p = f.price_filter
        out.append({
            "filterType": "PRICE_FILTER", "minPrice": p.min_price, "maxPrice": p.max_price, "tickSize": p.tick_size
        })
    if f.HasField("lot_size"):
        lot = f.lot_size
        out.append({"filterType": "LOT_SIZE", "minQty": lot.min_qty, "maxQty": lot.max_qty, "stepSize": lot.step_size})
    if f.HasField("market_lot_size"):
        m = f.market_lot_size
        out.append({"filterType": "MARKET_LOT_SIZE", "minQty": m.min_qty, "maxQty": m.max_qty, "stepSize": m.step_size})
    if f.HasField("percent_price"):
        pp = f.percent_price
        out.append({
            "filterType": "PERCENT_PRICE",
            "multiplierUp": pp.multiplier_up,
            "multiplierDown": pp.multiplier_down,
            "avgPriceMins": pp.avg_price_mins,
        })
    if f.HasField("percent_price_by_side"):
        s = f.percent_price_by_side
        out.append({
            "filterType": "PERCENT_PRICE_BY_SIDE",
            "bidMultiplierUp": s.bid_multiplier_up,
            "bidMultiplierDown": s.bid_multiplier_down,
            "askMultiplierUp": s.ask_multiplier_up,
            "askMultiplierDown": s.ask_multiplier_down,
            "avgPriceMins": s.avg_price_mins,
        })
    if f.HasField("notional"):
        n = f.notional
        # MIN_NOTIONAL is NOTIONAL's predecessor (min half only); older clients read only it.
        out.append({
            "filterType": "MIN_NOTIONAL",
            "minNotional": n.min_notional,
            "applyToMarket": n.apply_min_to_market,
            "avgPriceMins": n.avg_price_mins,
        })
        out.append({
            "filterType": "NOTIONAL",
            "minNotional": n.min_notional,
            "applyMinToMarket": n.apply_min_to_market,
            "maxNotional": n.max_notional,
            "applyMaxToMarket": n.apply_max_to_market,
            "avgPriceMins": n.avg_price_mins,
        })
    if f.max_num_orders:
        out.append({"filterType": "MAX_NUM_ORDERS", "maxNumOrders": f.max_num_orders})
    if f.max_num_algo_orders:
        out.append({"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": f.max_num_algo_orders})
    return out


def symbol_entry(s: common_pb2.SymbolInfo, show_permission_sets: bool = True) -> dict[str, Any]:
    return {
        "symbol": s.symbol,
        "status": _STATUS(s.status),
        "baseAsset": s.base_asset,
        "baseAssetPrecision": s.base_asset_precision,
        "quoteAsset": s.quote_asset,
        "quotePrecision": s.quote_precision,
        "quoteAssetPrecision": s.quote_asset_precision,
        "baseCommissionPrecision": s.base_asset_precision,
        "quoteCommissionPrecision": s.quote_asset_precision,
        "orderTypes": [_ORDER_TYPE(t) for t in s.order_types],
        "icebergAllowed": False,
        "ocoAllowed": False,
        "otoAllowed": False,
        "opoAllowed": False,
        "quoteOrderQtyMarketAllowed": s.quote_order_qty_market_allowed,
        "allowTrailingStop": False,
        "cancelReplaceAllowed": s.cancel_replace_allowed,
        "amendAllowed": s.amend_allowed,
        "pegInstructionsAllowed": False,
        "isSpotTradingAllowed": s.is_spot_trading_allowed,
        "isMarginTradingAllowed": False,
        "filters": symbol_filters(s.filters),
        # Binance moved the permissions into permissionSets (2024) and sends [] here.
        "permissions": [],
        "permissionSets": [["SPOT"]] if show_permission_sets else [],
        "defaultSelfTradePreventionMode": _STP(s.default_self_trade_prevention_mode),
        "allowedSelfTradePreventionModes": [_STP(m) for m in s.allowed_self_trade_prevention_modes],
    }


def exchange_info_renderer(rate_limits: Sequence[Mapping[str, Any]]) -> Renderer:
    """The rateLimits reported are the edge's, since the edge is what enforces them."""
    limits = [dict(limit) for limit in rate_limits]

    def render(response: marketdata_pb2.GetExchangeInfoResponse, request: Any, params: Mapping[str, str]) -> Any:
        show_sets = not request.HasField("show_permission_sets") or request.show_permission_sets
        return {
            "timezone": response.timezone or "UTC",
            "serverTime": response.server_time,
            "rateLimits": limits,
            "exchangeFilters": [],
            "symbols": [symbol_entry(s, show_sets) for s in response.symbols],
        }

    return render
