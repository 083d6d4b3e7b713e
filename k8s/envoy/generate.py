"""Write the Envoy sidecar config of every pod (k8s/envoy/<service>.yaml) from one description.

    .venv/bin/python k8s/envoy/generate.py          # rewrite the files
    .venv/bin/python k8s/envoy/generate.py --check  # exit 1 if a committed file is stale

How traffic flows (docs/deploy.md, "The mesh"): every process runs with SPOTEX_HOST=0.0.0.0,
so it serves its gRPC and metrics ports on the pod IP (kubelet probes, Prometheus) and dials
each peer at 0.0.0.0:<peer port>, which is loopback: the sidecar listens there, one listener
per peer the service calls, and carries the call over mTLS to the peer's pods (a headless
Service, so Envoy balances per request and ejects a failing pod, instead of kube-proxy pinning
one HTTP/2 connection to one pod). The peer's sidecar terminates mTLS on the mesh port and
hands the call to its app on 127.0.0.1. The ports are services/common/config.py's
DEFAULT_PORTS; tests/deploy checks the files against them and against this generator.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # the repository root: the generated stubs

NAMESPACE = "spotex"  # k8s/base/namespace.yaml: peers are <service>.spotex.svc.cluster.local
MESH_PORT = 15443  # each pod's sidecar: mTLS in, plain HTTP/2 to its app on loopback
READY_PORT = 15021  # the sidecar's /ready, for the kubelet (the admin port stays on loopback)
ADMIN_PORT = 9901
TLS_DIR = "/etc/envoy/tls"  # the pod's cert-manager Secret: tls.crt, tls.key, ca.crt

# Which services each process dials (config.address(...) in its composition root, with the
# real backends: tradeproc and marketdata read engine events from Kafka, not from matching).
PEERS: dict[str, tuple[str, ...]] = {
    "edge": ("user", "order", "marketdata", "tradeproc"),
    "user": ("tradeproc",),
    "order": ("matching", "tradeproc"),
    "matching": (),
    "marketdata": ("matching",),
    "tradeproc": (),
}
PORTS = {"user": 50051, "order": 50052, "matching": 50053, "marketdata": 50054, "tradeproc": 50055, "edge": 8080}

# The contract service each process serves (protos/exchange/v1): the routes below are derived
# from its methods, so a new RPC is classified by the next `generate.py` run, not forgotten.
CONTRACTS = {
    "user": ("exchange.v1.user_pb2", "UserService"),
    "order": ("exchange.v1.order_pb2", "OrderService"),
    "matching": ("exchange.v1.matching_pb2", "MatchingService"),
    "marketdata": ("exchange.v1.marketdata_pb2", "MarketDataService"),
    "tradeproc": ("exchange.v1.tradeproc_pb2", "TradeProcessingService"),
}
# Unary calls that change nothing, besides Get*/List*: safe to retry even when the first try
# may have reached the app.
READ_ONLY = frozenset({"Ping", "Authenticate", "VerifySession", "ResolveListenKey", "Snapshot"})
HEALTH_CHECK = "/grpc.health.v1.Health/Check"
# Every call may be retried when it provably never reached the peer's app (no connection, or
# the stream was refused before any byte was processed); writes get nothing more, since
# placing an order twice is what the order/matching idempotency keys exist to prevent, not
# something to provoke.
RETRY_NEVER_REACHED = "connect-failure,refused-stream"
RETRY_READS = "connect-failure,refused-stream,reset,unavailable"
UNARY_TIMEOUT = "15s"  # above the edge's 10 s rpc_timeout, so the caller's deadline speaks first

TYPES = {
    "hcm": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
    "router": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router",
    "downstream_tls": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
    "upstream_tls": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
    "http_options": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
}


def _address(host: str, port: int) -> dict[str, Any]:
    return {"socket_address": {"address": host, "port_value": port}}


def _tls_certificate() -> dict[str, Any]:
    return {
        "tls_certificates": [{
            "certificate_chain": {"filename": f"{TLS_DIR}/tls.crt"},
            "private_key": {"filename": f"{TLS_DIR}/tls.key"},
        }],
        "alpn_protocols": ["h2"],
    }


def _hcm(stat_prefix: str, routes: list[dict[str, Any]], *, codec: str = "HTTP2") -> dict[str, Any]:
    return {
        "name": "envoy.filters.network.http_connection_manager",
        "typed_config": {
            "@type": TYPES["hcm"],
            "stat_prefix": stat_prefix,
            "codec_type": codec,
            # Streams may stay quiet for long (a symbol with no trades); gRPC keepalives, not
            # an idle timer, find dead peers.
            "stream_idle_timeout": "0s",
            "http2_protocol_options": {"max_concurrent_streams": 1024},
            "route_config": {
                "name": stat_prefix,
                "virtual_hosts": [{"name": stat_prefix, "domains": ["*"], "routes": routes}],
            },
            "http_filters": [{"name": "envoy.filters.http.router", "typed_config": {"@type": TYPES["router"]}}],
        },
    }


def methods(peer: str) -> tuple[list[str], list[str]]:
    """The peer's streaming call paths and its read-only unary call paths."""
    module, name = CONTRACTS[peer]
    service = importlib.import_module(module).DESCRIPTOR.services_by_name[name]
    streams, reads = [], [HEALTH_CHECK]
    for method in service.methods:
        path = f"/{service.full_name}/{method.name}"
        if method.client_streaming or method.server_streaming:
            streams.append(path)
        elif method.name.startswith(("Get", "List")) or method.name in READ_ONLY:
            reads.append(path)
    return streams, reads


def _outbound_routes(cluster: str) -> list[dict[str, Any]]:
    streams, reads = methods(cluster)
    # Streams live as long as the caller wants: no route timeout.
    routes: list[dict[str, Any]] = [
        {"match": {"path": path}, "route": {"cluster": cluster, "timeout": "0s"}} for path in streams
    ]
    retry_reads: dict[str, Any] = {
        "retry_on": RETRY_READS,
        "num_retries": 2,
        "per_try_timeout": "5s",
        "retry_back_off": {"base_interval": "0.025s", "max_interval": "0.25s"},
    }
    routes += [
        {"match": {"path": path}, "route": {"cluster": cluster, "timeout": UNARY_TIMEOUT, "retry_policy": retry_reads}}
        for path in reads
    ]
    writes = {
        "match": {"prefix": "/"},
        "route": {
            "cluster": cluster,
            "timeout": UNARY_TIMEOUT,
            "retry_policy": {"retry_on": RETRY_NEVER_REACHED, "num_retries": 2},
        },
    }
    return [*routes, writes]


def _peer_cluster(peer: str) -> dict[str, Any]:
    return {
        "name": peer,
        # Headless Service: DNS returns every ready pod, Envoy balances per request.
        "type": "STRICT_DNS",
        "dns_lookup_family": "V4_ONLY",
        "dns_refresh_rate": "5s",
        "respect_dns_ttl": True,
        "connect_timeout": "1s",
        "lb_policy": "LEAST_REQUEST",
        "load_assignment": {
            "cluster_name": peer,
            "endpoints": [{"lb_endpoints": [
                {"endpoint": {"address": _address(f"{peer}.{NAMESPACE}.svc.cluster.local", MESH_PORT)}}
            ]}],
        },
        "typed_extension_protocol_options": {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                "@type": TYPES["http_options"],
                "explicit_http_config": {"http2_protocol_options": {
                    "connection_keepalive": {"interval": "20s", "timeout": "5s"},
                    "max_concurrent_streams": 1024,
                }},
            },
        },
        # The order path runs thousands of calls a second through one sidecar: Envoy's
        # default of 1024 pending/active requests would start shedding below that.
        "circuit_breakers": {"thresholds": [{
            "priority": "DEFAULT",
            "max_connections": 1024,
            "max_pending_requests": 16384,
            "max_requests": 16384,
            "max_retries": 64,
        }]},
        # A pod that keeps failing (or answers UNAVAILABLE) is taken out of rotation for a
        # while; never more than half of them, so a peer-wide outage still gets traffic.
        "outlier_detection": {
            "consecutive_5xx": 5,
            "consecutive_gateway_failure": 3,
            "consecutive_local_origin_failure": 3,
            "split_external_local_origin_errors": True,
            "interval": "5s",
            "base_ejection_time": "15s",
            "max_ejection_percent": 50,
        },
        "transport_socket": {
            "name": "envoy.transport_sockets.tls",
            "typed_config": {
                "@type": TYPES["upstream_tls"],
                "sni": f"{peer}.{NAMESPACE}.svc.cluster.local",
                "common_tls_context": {
                    **_tls_certificate(),
                    "validation_context": {
                        "trusted_ca": {"filename": f"{TLS_DIR}/ca.crt"},
                        # Each service has its own certificate: a pod of `edge` cannot
                        # pose as `order`.
                        "match_typed_subject_alt_names": [{
                            "san_type": "DNS",
                            "matcher": {"exact": f"{peer}.{NAMESPACE}.svc.cluster.local"},
                        }],
                    },
                },
            },
        },
    }


def _local_app_cluster(service: str) -> dict[str, Any]:
    return {
        "name": "local_app",
        "type": "STATIC",
        "connect_timeout": "1s",
        "load_assignment": {
            "cluster_name": "local_app",
            "endpoints": [{"lb_endpoints": [{"endpoint": {"address": _address("127.0.0.1", PORTS[service])}}]}],
        },
        "typed_extension_protocol_options": {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                "@type": TYPES["http_options"],
                "explicit_http_config": {"http2_protocol_options": {"max_concurrent_streams": 1024}},
            },
        },
        "circuit_breakers": {"thresholds": [{
            "priority": "DEFAULT",
            "max_connections": 1024,
            "max_pending_requests": 16384,
            "max_requests": 16384,
        }]},
    }


def _inbound_listener(service: str) -> dict[str, Any]:
    # No timeout here: the calling sidecar holds the route timeout, the caller its deadline.
    routes = [{"match": {"prefix": "/"}, "route": {"cluster": "local_app", "timeout": "0s"}}]
    return {
        "name": "inbound_mesh",
        "address": _address("0.0.0.0", MESH_PORT),
        "filter_chains": [{
            "transport_socket": {
                "name": "envoy.transport_sockets.tls",
                "typed_config": {
                    "@type": TYPES["downstream_tls"],
                    "require_client_certificate": True,
                    "common_tls_context": {
                        **_tls_certificate(),
                        # Any mesh certificate may call; which caller may call which method is
                        # the services' own business (admin token, user metadata).
                        "validation_context": {"trusted_ca": {"filename": f"{TLS_DIR}/ca.crt"}},
                    },
                },
            },
            "filters": [_hcm("inbound", routes)],
        }],
    }


def _ready_listener() -> dict[str, Any]:
    routes = [{
        "match": {"path": "/ready"},
        "route": {"cluster": "envoy_admin", "timeout": "1s"},
    }]
    return {
        "name": "ready",
        "address": _address("0.0.0.0", READY_PORT),
        "filter_chains": [{"filters": [_hcm("ready", routes, codec="AUTO")]}],
    }


def _admin_cluster() -> dict[str, Any]:
    return {
        "name": "envoy_admin",
        "type": "STATIC",
        "connect_timeout": "0.25s",
        "load_assignment": {
            "cluster_name": "envoy_admin",
            "endpoints": [{"lb_endpoints": [{"endpoint": {"address": _address("127.0.0.1", ADMIN_PORT)}}]}],
        },
    }


def config_for(service: str) -> dict[str, Any]:
    listeners = [_ready_listener()]
    clusters = [_admin_cluster()]
    if service != "edge":  # the edge is reached over HTTP from the ALB, not through the mesh
        listeners.append(_inbound_listener(service))
        clusters.append(_local_app_cluster(service))
    for peer in PEERS[service]:
        # The app dials 0.0.0.0:<peer port> (SPOTEX_HOST), i.e. loopback: this listener.
        listeners.append({
            "name": f"outbound_{peer}",
            "address": _address("127.0.0.1", PORTS[peer]),
            "filter_chains": [{"filters": [_hcm(f"outbound_{peer}", _outbound_routes(peer))]}],
        })
        clusters.append(_peer_cluster(peer))
    return {
        "node": {"id": service, "cluster": service},
        # Admin can change the proxy (drain, quit): loopback only.
        "admin": {"address": _address("127.0.0.1", ADMIN_PORT)},
        "static_resources": {"listeners": listeners, "clusters": clusters},
    }


def render(service: str) -> str:
    header = (
        f"# Envoy sidecar of `{service}` pods. Generated by k8s/envoy/generate.py: edit that, then run it.\n"
        "# Validated offline by tests/deploy (envoy --mode validate).\n"
    )
    return header + str(yaml.safe_dump(config_for(service), sort_keys=False, width=120))


def main(argv: list[str]) -> int:
    stale = []
    for service in PEERS:
        path = HERE / f"{service}.yaml"
        text = render(service)
        if "--check" in argv:
            if not path.exists() or path.read_text() != text:
                stale.append(path.name)
        else:
            path.write_text(text)
    if stale:
        print(f"stale (run k8s/envoy/generate.py): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
