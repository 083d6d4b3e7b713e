"""Why an order is refused, in Binance's own words.

Every refusal is an `OrderRejected` carrying the Binance error code and message verbatim
(`{"code": ..., "msg": ...}` is what the edge answers) plus `reason`, the ErrorReason name of
protos/exchange/v1/errors.proto, so the servicer maps it to a gRPC status through the one
error table (tests/unit/order/test_errors.py keeps every reason in that table); the servicer
answers with `msg`, which is exact where the table's template is generic.

The messages were checked against binance-spot-api-docs/errors.md and against answers the
live API is known to give where the two differ (-1111: the documented template is
"Parameter '%s' has too much precision." but spot answers "Precision is over the maximum
defined for this asset."; spotex answers what clients see in practice).
"""

from __future__ import annotations

from engine_ext.codes import OrderType, RejectReason

CLIENT_ORDER_ID_RANGE = r"^[\.A-Z\:/a-z0-9_-]{1,36}$"  # ... and for client order ids


class OrderRejected(Exception):
    """An order (or an order parameter) the exchange refuses. Nothing was reserved or sent."""

    def __init__(self, reason: str, code: int, msg: str, param: str | None = None) -> None:
        super().__init__(f"{code} {msg}")
        self.reason = reason  # ErrorReason name (errors.proto)
        self.code = code  # Binance's negative error code
        self.msg = msg  # Binance's message, placeholders filled in
        self.param = param  # the Binance parameter at fault, when there is one

    def to_binance(self) -> dict[str, int | str]:
        return {"code": self.code, "msg": self.msg}


# -- -11xx: the request itself ------------------------------------------------------------


def illegal_characters(param: str, legal_range: str) -> OrderRejected:
    return OrderRejected(
        "ILLEGAL_PARAMETER", -1100,
        f"Illegal characters found in parameter '{param}'; legal range is '{legal_range}'.", param,
    )


def duplicate_parameter(param: str) -> OrderRejected:
    return OrderRejected("TOO_MANY_PARAMETERS", -1101, "Duplicate values for a parameter detected.", param)


def mandatory_missing(param: str) -> OrderRejected:
    return OrderRejected(
        "MANDATORY_PARAMETER_MISSING", -1102,
        f"Mandatory parameter '{param}' was not sent, was empty/null, or malformed.", param,
    )


def lookup_interval_too_big(hours: int) -> OrderRejected:
    return OrderRejected(
        "LOOKUP_INTERVAL_TOO_BIG", -1127, f"More than {hours} hours between startTime and endTime.", str(hours)
    )


def one_of_missing(first: str, second: str) -> OrderRejected:
    return OrderRejected(
        "MANDATORY_PARAMETER_MISSING", -1102,
        f"Param '{first}' or '{second}' must be sent, but both were empty/null!", first,
    )


def unread_parameters(read: int, sent: int) -> OrderRejected:
    """Binance's answer to a parameter it does not know."""
    return OrderRejected(
        "UNREAD_PARAMETERS", -1104,
        f"Not all sent parameters were read; read '{read}' parameter(s) but was sent '{sent}'.",
    )


def not_required(param: str) -> OrderRejected:
    return OrderRejected("PARAMETER_NOT_REQUIRED", -1106, f"Parameter '{param}' sent when not required.", param)


def client_order_id_kept() -> OrderRejected:
    """A keepPriority amend naming a new client id: an order keeps its own here."""
    return OrderRejected(
        "PARAMETER_NOT_REQUIRED", -1106,
        "Parameter 'newClientOrderId' sent when not required: an amended order keeps its clientOrderId.",
        "newClientOrderId",
    )


def too_much_precision(param: str) -> OrderRejected:
    return OrderRejected("BAD_PRECISION", -1111, "Precision is over the maximum defined for this asset.", param)


def invalid_time_in_force() -> OrderRejected:
    return OrderRejected("INVALID_TIME_IN_FORCE", -1115, "Invalid timeInForce.", "timeInForce")


def invalid_order_type() -> OrderRejected:
    return OrderRejected("INVALID_ORDER_TYPE", -1116, "Invalid orderType.", "type")


def invalid_side() -> OrderRejected:
    return OrderRejected("INVALID_SIDE", -1117, "Invalid side.", "side")


def invalid_symbol() -> OrderRejected:
    return OrderRejected("INVALID_SYMBOL", -1121, "Invalid symbol.", "symbol")


# -- -1013: refused before the matching engine (filters and values) ------------------------

_FILTER_REASONS = {
    "PRICE_FILTER": "FILTER_PRICE_FILTER",
    "PERCENT_PRICE_BY_SIDE": "FILTER_PERCENT_PRICE",  # the reason covers both; the message names the filter
    "LOT_SIZE": "FILTER_LOT_SIZE",
    "MARKET_LOT_SIZE": "FILTER_MARKET_LOT_SIZE",
    "NOTIONAL": "FILTER_NOTIONAL",
    "MAX_NUM_ORDERS": "FILTER_MAX_NUM_ORDERS",
    "MAX_NUM_ALGO_ORDERS": "FILTER_MAX_NUM_ALGO_ORDERS",
}


def filter_failure(name: str) -> OrderRejected:
    return OrderRejected(_FILTER_REASONS[name], -1013, f"Filter failure: {name}")


_AMOUNT_WORDS = {"stopPrice": "stop price", "quoteOrderQty": "quote order qty"}


def invalid_value(param: str) -> OrderRejected:
    """A zero amount: Binance answers "Invalid quantity." (and likewise for the others)."""
    return OrderRejected("INVALID_AMOUNT", -1013, f"Invalid {_AMOUNT_WORDS.get(param, param)}.", param)


def invalid_amend_quantity() -> OrderRejected:
    """keepPriority amend with newQty not above what has filled or not below the quantity."""
    return OrderRejected(
        "INVALID_AMEND_QUANTITY", -1013, "newQty must be greater than 0 and less than the order's quantity.", "newQty"
    )


def amount_too_large() -> OrderRejected:
    return OrderRejected("AMOUNT_TOO_LARGE", -1013, "Price * QTY is too large.")


# -- -2010: NEW_ORDER_REJECTED ------------------------------------------------------------

_TYPE_NAMES = {
    OrderType.LIMIT: "Limit orders",
    OrderType.MARKET: "Market orders",
    OrderType.LIMIT_MAKER: "Limit maker orders",
    OrderType.STOP_LOSS: "Stop loss orders",
    OrderType.STOP_LOSS_LIMIT: "Stop loss limit orders",
    OrderType.TAKE_PROFIT: "Take profit orders",
    OrderType.TAKE_PROFIT_LIMIT: "Take profit limit orders",
}


def insufficient_balance() -> OrderRejected:
    return OrderRejected("INSUFFICIENT_BALANCE", -2010, "Account has insufficient balance for requested action.")


def market_closed() -> OrderRejected:
    return OrderRejected("SYMBOL_NOT_TRADING", -2010, "Market is closed.")


def order_type_not_supported(order_type: OrderType) -> OrderRejected:
    return OrderRejected(
        "ORDER_TYPE_NOT_SUPPORTED", -2010, f"{_TYPE_NAMES[order_type]} are not supported for this symbol."
    )


def iceberg_not_supported() -> OrderRejected:
    return OrderRejected("ORDER_TYPE_NOT_SUPPORTED", -2010, "Iceberg orders are not supported for this symbol.")


def trailing_stop_not_supported() -> OrderRejected:
    return OrderRejected(
        "ORDER_TYPE_NOT_SUPPORTED", -2010, "Trailing stop orders are not supported for this symbol."
    )


def would_match_and_take() -> OrderRejected:
    return OrderRejected("WOULD_MATCH_AND_TAKE", -2010, "Order would immediately match and take.")


def would_trigger_immediately() -> OrderRejected:
    # errors.md's wording; errors.proto has "Order would immediately trigger." (to be aligned).
    return OrderRejected("WOULD_TRIGGER_IMMEDIATELY", -2010, "Order would trigger immediately.")


def unsupported_combination() -> OrderRejected:
    return OrderRejected("UNSUPPORTED_ORDER_COMBINATION", -2010, "Unsupported order combination")


def duplicate_order() -> OrderRejected:
    return OrderRejected("DUPLICATE_CLIENT_ORDER_ID", -2010, "Duplicate order sent.")


def cancel_restricted() -> OrderRejected:
    """cancelRestrictions named another status than the order's (Binance -2011)."""
    return OrderRejected("CANCEL_RESTRICTED", -2011, "Order was not canceled due to cancel restrictions.")


def unknown_order() -> OrderRejected:
    """Cancel or amend of an order that is not open (Binance -2011 CANCEL_REJECTED)."""
    return OrderRejected("UNKNOWN_ORDER", -2011, "Unknown order sent.")


def amend_rejection(reason: int) -> OrderRejected:
    """The Binance error for a keepPriority amend the engine answered with `REJECTED(reason)`:
    INVALID_QUANTITY when another amend lowered the order first."""
    match RejectReason(reason):
        case RejectReason.INVALID_QUANTITY:
            return invalid_amend_quantity()
        case RejectReason.NOT_AMENDABLE:
            return OrderRejected("ORDER_NOT_AMENDABLE", -1013, "Order amend is not supported for this order.")
        case _:
            return unknown_order()


def engine_rejection(reason: int) -> OrderRejected:
    """The Binance error for a submit the engine answered with `REJECTED(reason)`.

    Validation catches every reason but WOULD_TAKE, WOULD_TRIGGER_IMMEDIATELY and
    INSUFFICIENT_FUNDS (they depend on the book); the others mean the order service let through
    what it should not have, and are answered as Binance answers the nearest filter failure.
    """
    match RejectReason(reason):
        case RejectReason.WOULD_TAKE:
            return would_match_and_take()
        case RejectReason.INSUFFICIENT_FUNDS:
            return insufficient_balance()
        case RejectReason.WOULD_TRIGGER_IMMEDIATELY:
            return would_trigger_immediately()
        case RejectReason.INVALID_QUANTITY:
            return filter_failure("LOT_SIZE")
        case RejectReason.INVALID_PRICE | RejectReason.INVALID_STOP_PRICE:
            return filter_failure("PRICE_FILTER")
        case RejectReason.OVERFLOW:
            return amount_too_large()
        case RejectReason.DUPLICATE_ORDER_ID:
            return duplicate_order()
        case RejectReason.UNKNOWN_ORDER:
            return unknown_order()
        case _:
            return unsupported_combination()
