"""/openapi.json: an OpenAPI 3.1 document of the REST surface, generated from the routing
table (paths, methods, security, weight) and the request messages (parameters by JSON name),
so it cannot drift from what is served."""

from __future__ import annotations

from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor

from edge.rest.policy import SIGNED, Security
from edge.rest.routes import Binding

_ERROR = {
    "type": "object",
    "properties": {
        "code": {"type": "integer", "example": -1121},
        "msg": {"type": "string", "example": "Invalid symbol."},
    },
    "required": ["code", "msg"],
}
_SIGNED_PARAMS: list[dict[str, Any]] = [
    {"name": "timestamp", "in": "query", "required": True, "schema": {"type": "integer"}, "description": "ms"},
    {"name": "recvWindow", "in": "query", "schema": {"type": "integer", "maximum": 60000, "default": 5000}},
    {
        "name": "signature",
        "in": "query",
        "required": True,
        "schema": {"type": "string"},
        "description": "hex HMAC-SHA256 of the query string followed by the body, as sent",
    },
]
_SECURITY: dict[Security, list[dict[str, list[str]]]] = {
    Security.USER_DATA: [{"apiKey": []}],
    Security.TRADE: [{"apiKey": []}],
    Security.USER_STREAM: [{"apiKey": []}],
    Security.SESSION: [{"session": []}],
    Security.ADMIN: [{"session": []}],
}
_INTEGER_TYPES = {
    FieldDescriptor.TYPE_INT32,
    FieldDescriptor.TYPE_INT64,
    FieldDescriptor.TYPE_UINT32,
    FieldDescriptor.TYPE_UINT64,
}


def _schema(field: FieldDescriptor) -> dict[str, Any]:
    if field.type in _INTEGER_TYPES:
        item: dict[str, Any] = {"type": "integer"}
    elif field.type == FieldDescriptor.TYPE_BOOL:
        item = {"type": "boolean"}
    elif field.type == FieldDescriptor.TYPE_ENUM:
        item = {"type": "string", "enum": [v.name for v in field.enum_type.values if v.number != 0]}
    else:
        item = {"type": "string"}
    if field.is_repeated:
        return {"type": "string", "description": f"JSON array of {item.get('enum') or item['type']}"}
    return item


def _parameters(message: Descriptor, extra: frozenset[str]) -> list[dict[str, Any]]:
    params = [
        {"name": f.json_name, "in": "query", "schema": _schema(f)}
        for f in message.fields
        if f.type != FieldDescriptor.TYPE_MESSAGE and f.type != FieldDescriptor.TYPE_BYTES
    ]
    params.extend({"name": name, "in": "query", "schema": {"type": "string"}} for name in sorted(extra))
    return params


def _operation(binding: Binding) -> dict[str, Any]:
    policy = binding.policy
    operation: dict[str, Any] = {
        "operationId": binding.rpc_name.rsplit(".", 1)[-1] + ("_" + binding.edge_name if binding.edge_name else ""),
        "summary": binding.rpc_name if binding.rpc else f"edge: {binding.edge_name}",
        "x-binance-security": policy.security.value,
        "x-weight-example": policy.weight({}),
        "parameters": [],
        "responses": {
            "200": {"description": "Binance's JSON", "content": {"application/json": {"schema": {}}}},
            "4XX": {"description": "refused; nothing happened", "content": {"application/json": {"schema": _ERROR}}},
            "5XX": {"description": "outcome unknown", "content": {"application/json": {"schema": _ERROR}}},
        },
    }
    if binding.rpc is not None:
        operation["parameters"] = _parameters(binding.rpc.input_type, policy.edge_params)
    if policy.security in SIGNED:
        operation["parameters"] = [*operation["parameters"], *_SIGNED_PARAMS]
    security = _SECURITY.get(policy.security)
    if security:
        operation["security"] = security
    return operation


def openapi_document(table: list[Binding]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for binding in table:
        paths.setdefault(binding.path, {})[binding.http_method.lower()] = _operation(binding)
    _make_operation_ids_unique(paths)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "spotex REST API",
            "version": "v3",
            "description": "Binance Spot-compatible REST API. Parameters go in the query string or a form body; "
            "SIGNED endpoints need X-MBX-APIKEY, timestamp and signature.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-MBX-APIKEY"},
                "session": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            },
            "schemas": {"Error": _ERROR},
        },
    }


def _make_operation_ids_unique(paths: dict[str, dict[str, Any]]) -> None:
    """One RPC may serve several paths (GetTrades: trades and historicalTrades; GetKlines:
    klines and uiKlines), and OpenAPI wants every operationId once: those get the path's last
    segment too."""
    seen: dict[str, int] = {}
    for operations in paths.values():
        for operation in operations.values():
            seen[operation["operationId"]] = seen.get(operation["operationId"], 0) + 1
    for path, operations in paths.items():
        for operation in operations.values():
            if seen[operation["operationId"]] > 1:
                operation["operationId"] += "_" + path.rstrip("/").rsplit("/", 1)[-1]
