"""Request parameters: the raw query string and form body as Binance reads them, then typed
into the request message by JSON name (the contracts' JSON names are Binance's keys).

Binance accepts every parameter in the query string or the form body, whatever the method
(python-binance sends DELETE parameters in the body), and treats an empty value as "not
sent". A parameter sent twice, or in both places, is refused (-1101), and so is one the
endpoint does not read (-1104): silently ignoring a misspelt `timeInForce` would place an
order the trader did not mean.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote_plus

import orjson
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from edge.errors import ApiError, from_rejection, refused
from exchange.v1 import common_pb2
from services.order import errors as order_errors

AUTH_PARAMS = frozenset({"timestamp", "recvWindow", "signature"})

_INT_RANGE = "^[0-9]{1,20}$"
_INT = re.compile(r"[0-9]{1,20}")
_SYMBOLS_RANGE = '^\\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\\]$'
_INT_BOUNDS = {
    FieldDescriptor.TYPE_INT32: 2**31 - 1,
    FieldDescriptor.TYPE_INT64: 2**63 - 1,
    FieldDescriptor.TYPE_UINT32: 2**32 - 1,
    FieldDescriptor.TYPE_UINT64: 2**64 - 1,
}

# Binance's own error for a bad value of these enums; the others get -1100 with the legal
# values. The texts come from the order service's constructors, never copied here.
_ENUM_ERRORS: dict[str, Callable[[], order_errors.OrderRejected]] = {
    "side": order_errors.invalid_side,
    "type": order_errors.invalid_order_type,
    "timeInForce": order_errors.invalid_time_in_force,
}
# Parameters spotex reads only to refuse them with Binance's answer.
REFUSED_ORDER_PARAMS: dict[str, Callable[[], order_errors.OrderRejected]] = {
    "icebergQty": order_errors.iceberg_not_supported,
    "trailingDelta": order_errors.trailing_stop_not_supported,
}


def parse_params(query: bytes, body: bytes, max_params: int) -> dict[str, str]:
    """The parameters of the query string and the form body, in that order."""
    params: dict[str, str] = {}
    for raw in (query, body):
        if not raw:
            continue
        pairs = raw.split(b"&")
        if len(pairs) + len(params) > max_params:
            raise ApiError(400, -1101, "Too many parameters sent for this endpoint.")
        for pair in pairs:
            if not pair:
                continue
            key_raw, _, value_raw = pair.partition(b"=")
            try:
                key = _unquote(key_raw)
                value = _unquote(value_raw)
            except UnicodeDecodeError:
                raise refused("ILLEGAL_PARAMETER", _printable(key_raw), "ASCII, URL-encoded") from None
            if key in params:
                raise from_rejection(order_errors.duplicate_parameter(key))
            params[key] = value
    return params


def _not_an_object() -> ApiError:
    return ApiError(400, -1100, "Illegal characters found in the request body; legal range is a JSON object.")


def _unquote(raw: bytes) -> str:
    text = raw.decode("ascii")
    # most keys and values carry no escapes; unquote_plus is the costliest step otherwise
    if "%" in text or "+" in text:
        return unquote_plus(text, errors="strict")
    return text


def parse_json_params(body: bytes) -> dict[str, str]:
    """A JSON object body (the web UI's requests) as parameters; lists stay JSON text, as
    Binance's `symbols=["A","B"]`."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise _not_an_object() from None
    if not isinstance(document, dict):
        raise _not_an_object()
    return object_params(document)


def object_params(document: Mapping[str, Any]) -> dict[str, str]:
    """A JSON object's members as parameters (a JSON body, or a WebSocket API request's
    params): null is absent, booleans as Binance spells them, lists stay JSON text."""
    params: dict[str, str] = {}
    for key, value in document.items():
        if value is None:
            continue
        if isinstance(value, bool):
            params[key] = "true" if value else "false"
        elif isinstance(value, list | dict):
            params[key] = orjson.dumps(value).decode()
        else:
            params[key] = str(value)
    return params


def _printable(raw: bytes) -> str:
    return raw.decode("ascii", errors="replace")[:64]


def _illegal(name: str, legal_range: str) -> ApiError:
    return from_rejection(order_errors.illegal_characters(name, legal_range))


# -- typing parameters into a request message ------------------------------------------------

_Setter = Callable[[Message, str], None]


def _int_setter(field: FieldDescriptor, name: str) -> _Setter:
    bound = _INT_BOUNDS.get(field.type, 2**63 - 1)

    def set_int(message: Message, value: str) -> None:
        if not _INT.fullmatch(value) or int(value) > bound:
            raise _illegal(name, _INT_RANGE)
        setattr(message, field.name, int(value))

    return set_int


def _enum_names(field: FieldDescriptor) -> dict[str, int]:
    # The zero value is "not sent" (docs/protos.md), never a value a client may send.
    return {v.name: v.number for v in field.enum_type.values if v.number != 0}


def _enum_error(field: FieldDescriptor, name: str, names: Mapping[str, int]) -> ApiError:
    special = _ENUM_ERRORS.get(name)
    return from_rejection(special()) if special else _illegal(name, ", ".join(names))


def _enum_setter(field: FieldDescriptor, name: str) -> _Setter:
    names = _enum_names(field)

    def set_enum(message: Message, value: str) -> None:
        number = names.get(value)
        if number is None:
            raise _enum_error(field, name, names)
        setattr(message, field.name, number)

    return set_enum


def _bool_setter(field: FieldDescriptor, name: str) -> _Setter:
    def set_bool(message: Message, value: str) -> None:
        lowered = value.lower()
        if lowered not in ("true", "false"):
            raise _illegal(name, "true, false")
        setattr(message, field.name, lowered == "true")

    return set_bool


def _string_setter(field: FieldDescriptor, name: str) -> _Setter:
    def set_string(message: Message, value: str) -> None:
        setattr(message, field.name, value)

    return set_string


def _list_values(name: str, value: str) -> list[str]:
    """Binance's list parameters are JSON arrays (`symbols=["BTCUSDT","ETHUSDT"]`); a plain
    comma-separated list is accepted too (the web UI's forms)."""
    if value.startswith("["):
        try:
            items = orjson.loads(value)
        except orjson.JSONDecodeError:
            items = None
        if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
            raise _illegal(name, _SYMBOLS_RANGE)
        return items
    return [item for item in (part.strip() for part in value.split(",")) if item]


def _repeated_setter(field: FieldDescriptor, name: str) -> _Setter:
    if field.type == FieldDescriptor.TYPE_ENUM:
        names = _enum_names(field)
        prefix = field.enum_type.values[0].name.removesuffix("UNSPECIFIED")  # e.g. "PERMISSION_"

        def set_enums(message: Message, value: str) -> None:
            numbers = []
            for item in _list_values(name, value):
                number = names.get(item, names.get(prefix + item))
                if number is None:
                    raise _enum_error(field, name, names)
                numbers.append(number)
            getattr(message, field.name).extend(numbers)

        return set_enums

    def set_strings(message: Message, value: str) -> None:
        getattr(message, field.name).extend(_list_values(name, value))

    return set_strings


def _setter(field: FieldDescriptor) -> _Setter | None:
    name = field.json_name
    if field.is_repeated:
        if field.type in (FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_ENUM):
            return _repeated_setter(field, name)
        return None
    if field.type in _INT_BOUNDS:
        return _int_setter(field, name)
    if field.type == FieldDescriptor.TYPE_ENUM:
        return _enum_setter(field, name)
    if field.type == FieldDescriptor.TYPE_BOOL:
        return _bool_setter(field, name)
    if field.type == FieldDescriptor.TYPE_STRING:
        return _string_setter(field, name)
    return None  # messages and bytes have no query-string form


class MessageDecoder:
    """Parameters -> one request message type. Built once per endpoint at start-up."""

    def __init__(self, message_class: type[Message], edge_params: frozenset[str] = frozenset()) -> None:
        self.message_class = message_class
        descriptor: Descriptor = message_class.DESCRIPTOR
        self.fields: dict[str, _Setter] = {}
        for field in descriptor.fields:
            setter = _setter(field)
            if setter is not None:
                self.fields[field.json_name] = setter
        # Read by the edge itself (authentication, rendering options), not by the service.
        self.edge_params = edge_params | AUTH_PARAMS

    def decode(self, params: Mapping[str, str], refused_params: Mapping[str, Callable[[], Any]] | None = None) -> Any:
        message = self.message_class()
        unread = 0
        fields = self.fields
        for name, value in params.items():
            setter = fields.get(name)
            if setter is None:
                if refused_params and name in refused_params:
                    raise from_rejection(refused_params[name]())
                if name not in self.edge_params:
                    unread += 1
                continue
            if value:
                setter(message, value)
        if unread:
            raise from_rejection(order_errors.unread_parameters(len(params) - unread, len(params)))
        return message


def permission_names(numbers: Any) -> tuple[str, ...]:
    return tuple(common_pb2.Permission.Name(n) for n in numbers)
