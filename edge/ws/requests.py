"""The live requests a client sends on a market stream connection, parsed and checked.

    {"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": 1}   -> {"result": null, "id": 1}
    {"method": "LIST_SUBSCRIPTIONS", "id": 3}                        -> {"result": [...], "id": 3}
    {"method": "SET_PROPERTY", "params": ["combined", true], "id": 5}
    {"method": "GET_PROPERTY", "params": ["combined"], "id": 2}      -> {"result": true, "id": 2}

Anything else gets Binance's error reply, `{"error": {"code": c, "msg": m}, "id": id}`, with the
codes Binance documents: 0 unknown property, 1 invalid value type, 2 invalid request,
3 invalid JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

import orjson

RequestId = int | str | None

_MAX_ID = 2**63 - 1
_MAX_ID_CHARS = 36


class Method(Enum):
    SUBSCRIBE = "SUBSCRIBE"
    UNSUBSCRIBE = "UNSUBSCRIBE"
    LIST_SUBSCRIPTIONS = "LIST_SUBSCRIPTIONS"
    SET_PROPERTY = "SET_PROPERTY"
    GET_PROPERTY = "GET_PROPERTY"


COMBINED = "combined"  # the one property Binance defines


@dataclass(frozen=True, slots=True)
class Request:
    method: Method
    params: tuple[Any, ...]
    id: RequestId


class RequestRefused(Exception):
    def __init__(self, code: int, msg: str, request_id: RequestId = None) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.request_id = request_id

    def reply(self) -> str:
        return error_reply(self.code, self.msg, self.request_id)


def invalid(msg: str, request_id: RequestId = None) -> RequestRefused:
    return RequestRefused(2, f"Invalid request: {msg}", request_id)


def result_reply(result: Any, request_id: RequestId) -> str:
    return orjson.dumps({"result": result, "id": request_id}).decode()


def error_reply(code: int, msg: str, request_id: RequestId) -> str:
    return orjson.dumps({"error": {"code": code, "msg": msg}, "id": request_id}).decode()


def parse_request(text: str | bytes) -> Request:
    """Raises RequestRefused with the reply to send."""
    try:
        message = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise RequestRefused(3, f"Invalid JSON: {exc}") from None
    if not isinstance(message, dict):
        raise invalid("expected a JSON object")
    request_id = _request_id(message.get("id"))
    method_name = message.get("method")
    if method_name is None:
        raise invalid("missing field `method`", request_id)
    try:
        method = Method(method_name)
    except (ValueError, TypeError):
        expected = ", ".join(f"`{m.value}`" for m in Method)
        raise invalid(f"unknown variant `{method_name}`, expected one of {expected}", request_id) from None
    params = message.get("params", [])
    if not isinstance(params, list):
        raise invalid("`params` must be an array", request_id)
    request = Request(method, tuple(params), request_id)
    _check_params(request)
    return request


def _request_id(value: Any) -> RequestId:
    # Binance: a 64-bit signed integer, an alphanumeric string of up to 36 characters, or null
    # (its refusal still says "unsigned").
    if value is None:
        return None
    if isinstance(value, bool):
        raise invalid("request ID must be an unsigned integer")
    if isinstance(value, int):
        if not -_MAX_ID - 1 <= value <= _MAX_ID:
            raise invalid("request ID must be an unsigned integer")
        return value
    if isinstance(value, str) and len(value) <= _MAX_ID_CHARS and value.replace("-", "").isalnum():
        return value
    raise invalid("request ID must be an unsigned integer")


def _check_params(request: Request) -> None:
    method, params, rid = request.method, request.params, request.id
    if method in (Method.SUBSCRIBE, Method.UNSUBSCRIBE):
        if not params:
            raise invalid("`params` must name at least one stream", rid)
        if not all(isinstance(p, str) for p in params):
            raise invalid("stream names must be strings", rid)
    elif method is Method.LIST_SUBSCRIPTIONS:
        if params:
            raise invalid("too many parameters", rid)
    elif method is Method.SET_PROPERTY:
        if len(params) != 2:
            raise invalid("SET_PROPERTY takes [name, value]", rid)
        _check_property(params[0], rid)
        if not isinstance(params[1], bool):
            raise RequestRefused(1, "Invalid value type: expected Boolean", rid)
    elif method is Method.GET_PROPERTY:
        if len(params) != 1:
            raise invalid("GET_PROPERTY takes [name]", rid)
        _check_property(params[0], rid)


def _check_property(name: Any, rid: RequestId) -> None:
    if not isinstance(name, str):
        raise invalid("property name must be a string", rid)
    if name != COMBINED:
        raise RequestRefused(0, "Unknown property", rid)
