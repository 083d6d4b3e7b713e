"""Contract messages -> Binance's JSON.

Most responses are the message itself under its JSON names (the contracts' JSON names are
Binance's keys), with int64 as JSON numbers and enums as their names: Binance sends numbers
where protobuf's canonical JSON would send strings, so `json_format` is not used. The plan of
each message type is computed once (`_plan`), never per request.

Where Binance's shape is not the message's, a dedicated renderer says so (render_orders.py,
render_market.py); `RENDERERS` maps each RPC to its renderer, the generic one by default.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

Renderer = Callable[[Any, Any, Mapping[str, str]], Any]  # (response, request, params) -> JSON value


# -- the generic renderer ---------------------------------------------------------------------

_Plan = list[tuple[str, str, Callable[[Any], Any] | None, bool]]  # json name, field, convert, repeated


@cache
def _plan(descriptor: Descriptor) -> _Plan:
    plan: _Plan = []
    for field in descriptor.fields:
        convert: Callable[[Any], Any] | None = None
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            convert = message_renderer(field.message_type)
        elif field.type == FieldDescriptor.TYPE_ENUM:
            names = {v.number: v.name for v in field.enum_type.values}
            convert = names.get
        elif field.type == FieldDescriptor.TYPE_BYTES:
            convert = bytes.hex
        plan.append((field.json_name, field.name, convert, field.is_repeated))
    return plan


@cache
def message_renderer(descriptor: Descriptor) -> Callable[[Message], dict[str, Any]]:
    plan: _Plan | None = None  # built on first use: nested types may refer back to this one

    def render(message: Message) -> dict[str, Any]:
        nonlocal plan
        if plan is None:
            plan = _plan(descriptor)
        out: dict[str, Any] = {}
        for json_name, name, convert, repeated in plan:
            value = getattr(message, name)
            if repeated:
                out[json_name] = [convert(v) for v in value] if convert else list(value)
            else:
                out[json_name] = convert(value) if convert else value
        return out

    return render


def render_message(message: Message) -> dict[str, Any]:
    return message_renderer(message.DESCRIPTOR)(message)


def generic(response: Message, request: Message, params: Mapping[str, str]) -> Any:
    return render_message(response)


def empty(response: Any, request: Any, params: Mapping[str, str]) -> Any:
    return {}
