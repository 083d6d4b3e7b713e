"""The routing table: every (HTTP method, path) of the REST surface and the RPC behind it,
read from the `google.api.http` annotations of the contracts, so a new annotated RPC is
served (and documented in /openapi.json) without touching the edge.

A few Binance endpoints have no RPC of their own; `EDGE_BINDINGS` lists them, each with why.
An RPC with an annotation but no `policy.POLICIES` entry is refused at start-up: serving it
would mean guessing who may call it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from google.api import annotations_pb2, http_pb2
from google.protobuf.descriptor import FileDescriptor, MethodDescriptor

from edge.rest import policy
from edge.rest.policy import Policy
from exchange.v1 import marketdata_pb2, order_pb2, tradeproc_pb2, user_pb2

CONTRACTS: tuple[FileDescriptor, ...] = (
    marketdata_pb2.DESCRIPTOR,
    order_pb2.DESCRIPTOR,
    tradeproc_pb2.DESCRIPTOR,
    user_pb2.DESCRIPTOR,
)
_VERBS = ("get", "put", "post", "delete", "patch")


@dataclass(frozen=True)
class Binding:
    http_method: str  # "GET", ...
    path: str  # "/api/v3/order"
    policy: Policy
    rpc: MethodDescriptor | None  # None: the edge answers itself (EDGE_BINDINGS)
    edge_name: str = ""  # what the edge-native endpoint is, for the handler and the docs

    @property
    def rpc_name(self) -> str:
        return self.rpc.full_name if self.rpc is not None else f"edge.{self.edge_name}"


def _rules(rule: http_pb2.HttpRule) -> Iterator[tuple[str, str]]:
    for verb in _VERBS:
        path = getattr(rule, verb)
        if path:
            yield verb.upper(), path
    for extra in rule.additional_bindings:
        yield from _rules(extra)


def annotated_bindings() -> list[Binding]:
    bindings = []
    for file in CONTRACTS:
        for service in file.services_by_name.values():
            for method in service.methods:
                options = method.GetOptions()
                if not options.HasExtension(annotations_pb2.http):
                    continue  # internal RPC
                found = policy.POLICIES.get(method.full_name)
                if found is None:
                    raise LookupError(f"{method.full_name} has a REST mapping but no policy in edge/rest/policy.py")
                for verb, path in _rules(options.Extensions[annotations_pb2.http]):
                    bindings.append(Binding(verb, path, found, method))
    return bindings


# Binance endpoints the contracts do not annotate, because no service holds their answer:
# - /api/v3/rateLimit/order reports the ORDERS counters, which live in the edge;
# - /api/v1/faucet (dev mode only) deposits test funds to the session's own account, through
#   UserService.Deposit with the operator's token;
# - /sapi/v1/system/status (ccxt fetch_status, python-binance get_system_status) is whether the
#   order path answers: the gRPC health of the services behind it, as the edge sees them;
# - order lists (OCO, OTO, OTOCO) are not offered (every symbol says ocoAllowed/otoAllowed
#   false): placing one gets Binance's refusal, the lists of an account are empty, and asking
#   for (or canceling) one by id gets Binance's answer for a list that does not exist.
EDGE_BINDINGS: tuple[Binding, ...] = (
    Binding("GET", "/api/v3/rateLimit/order", policy.RATE_LIMIT_ORDER, None, edge_name="rateLimitOrder"),
    Binding("POST", "/api/v1/faucet", policy.FAUCET, None, edge_name="faucet"),
    Binding("GET", "/sapi/v1/system/status", policy.SYSTEM_STATUS, None, edge_name="systemStatus"),
    Binding("POST", "/api/v3/orderList/oco", policy.ORDER_LIST_PLACE, None, edge_name="placeOco"),
    Binding("POST", "/api/v3/order/oco", policy.ORDER_LIST_PLACE, None, edge_name="placeOcoOldPath"),
    Binding("POST", "/api/v3/orderList/oto", policy.ORDER_LIST_PLACE, None, edge_name="placeOto"),
    Binding("POST", "/api/v3/orderList/otoco", policy.ORDER_LIST_PLACE, None, edge_name="placeOtoco"),
    Binding("GET", "/api/v3/openOrderList", policy.OPEN_ORDER_LISTS, None, edge_name="openOrderLists"),
    Binding("GET", "/api/v3/allOrderList", policy.ALL_ORDER_LISTS, None, edge_name="allOrderLists"),
    Binding("GET", "/api/v3/orderList", policy.ORDER_LIST_STATUS, None, edge_name="orderListStatus"),
    Binding("DELETE", "/api/v3/orderList", policy.ORDER_LIST_CANCEL, None, edge_name="cancelOrderList"),
)


def routing_table() -> list[Binding]:
    return [*annotated_bindings(), *EDGE_BINDINGS]
