"""The Kubernetes manifests (k8s/): schema-valid, renderable, and in agreement with the code
(ports, settings, health checks) and with each other (every reference resolves)."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from edge.rest.routes import routing_table
from services.common.config import DEFAULT_PORTS
from tests.deploy.manifests import (
    GRPC_SERVICES,
    K8S,
    K8S_VERSION,
    NAMESPACE,
    OVERLAY,
    ROOT,
    STATELESS,
    Rendered,
    config_names,
    container,
    env_file,
    existing_or_example,
    kustomization_references,
    manifest_files,
    pod_spec,
    render_overlay,
    yaml_docs,
)

# Custom resources of cert-manager (the mesh certificates): no schema ships with
# kubernetes-validate, so they get the structural check below instead.
CERT_MANAGER_KINDS = {"Issuer", "ClusterIssuer", "Certificate"}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    return render_overlay(tmp_path_factory.mktemp("render"))


def _validate(doc: dict[str, Any]) -> None:
    if doc["apiVersion"].startswith("cert-manager.io/"):
        assert doc["kind"] in CERT_MANAGER_KINDS, doc["kind"]
        assert doc["metadata"]["name"] and doc["metadata"]["namespace"] == NAMESPACE
        assert isinstance(doc["spec"], dict) and doc["spec"]
        return
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


@pytest.mark.parametrize("path", manifest_files(), ids=lambda p: str(p.relative_to(K8S)))
def test_every_manifest_is_valid_for_the_pinned_kubernetes(path: Path) -> None:
    docs = yaml_docs(path)
    assert docs, f"{path} holds no object"
    for doc in docs:
        _validate(doc)


def test_the_rendered_overlay_is_valid(rendered: Rendered) -> None:
    kinds = {doc["kind"] for doc in rendered.docs}
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Ingress"} <= kinds
    for doc in rendered.docs:
        _validate(doc)
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == NAMESPACE, doc["metadata"]


def test_strict_validation_catches_unknown_fields() -> None:
    """The check above is only worth something if a typo fails it."""
    doc = copy.deepcopy(yaml_docs(K8S / "base" / "order.yaml")[0])
    pod_spec(doc)["containers"][0]["portz"] = [{"containerPort": 1}]
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_every_file_a_kustomization_names_exists() -> None:
    for kustomization, path in kustomization_references(OVERLAY):
        if path.parent.name == "secrets":  # filled in by the operator, committed as .example
            path = existing_or_example(path)
        assert path.exists(), f"{kustomization.relative_to(ROOT)} names {path}, which does not exist"


def test_every_reference_between_objects_resolves(rendered: Rendered) -> None:
    config_maps = {doc["metadata"]["name"] for doc in rendered.of_kind("ConfigMap")}
    secrets = {doc["metadata"]["name"] for doc in rendered.of_kind("Secret")}
    secrets |= {doc["spec"]["secretName"] for doc in rendered.of_kind("Certificate")}  # cert-manager makes them
    accounts = {doc["metadata"]["name"] for doc in rendered.of_kind("ServiceAccount")}
    for workload in rendered.of_kind("Deployment"):
        name = workload["metadata"]["name"]
        spec = pod_spec(workload)
        assert spec["serviceAccountName"] in accounts
        for volume in spec["volumes"]:
            if "configMap" in volume:
                assert volume["configMap"]["name"] in config_maps, (name, volume)
            if "secret" in volume:
                assert volume["secret"]["secretName"] in secrets, (name, volume)
        for item in [*spec.get("initContainers", []), *spec["containers"]]:
            for source in item.get("envFrom", []):
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in config_maps, (name, source)
                if "secretRef" in source:
                    assert source["secretRef"]["name"] in secrets, (name, source)
            mounted = {mount["name"] for mount in item.get("volumeMounts", [])}
            assert mounted <= {volume["name"] for volume in spec["volumes"]}, (name, item["name"])
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert workload["spec"]["selector"]["matchLabels"].items() <= labels.items()
    pod_labels = [w["spec"]["template"]["metadata"]["labels"] for w in rendered.of_kind("Deployment")]
    for doc in [*rendered.of_kind("Service"), *rendered.of_kind("PodDisruptionBudget")]:
        selector = doc["spec"]["selector"]
        selector = selector.get("matchLabels", selector)
        assert any(selector.items() <= labels.items() for labels in pod_labels), doc["metadata"]["name"]
    deployments = {doc["metadata"]["name"] for doc in rendered.of_kind("Deployment")}
    for hpa in rendered.of_kind("HorizontalPodAutoscaler"):
        assert hpa["spec"]["scaleTargetRef"]["name"] in deployments
    services = {doc["metadata"]["name"]: doc for doc in rendered.of_kind("Service")}
    for ingress in rendered.of_kind("Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                ports = {port["name"] for port in services[backend["name"]]["spec"]["ports"]}
                assert backend["port"]["name"] in ports


def test_the_overlay_sets_image_and_iam_role(rendered: Rendered) -> None:
    if not rendered.by_kustomize:  # the stand-in applies neither images nor patches: read them
        kustomization = yaml_docs(OVERLAY / "kustomization.yaml")[0]
        assert [image["name"] for image in kustomization["images"]] == ["spotex"]
        assert ".dkr.ecr." in kustomization["images"][0]["newName"]
        [patch] = kustomization["patches"]
        assert patch["target"] == {"kind": "ServiceAccount", "name": "spotex"}
        assert "eks.amazonaws.com/role-arn: arn:aws:iam::" in patch["patch"]
        return
    for workload in rendered.of_kind("Deployment"):
        for item in [*pod_spec(workload).get("initContainers", []), *pod_spec(workload)["containers"]]:
            assert item["image"] != "spotex" and ":" in item["image"], item["image"]
    account = rendered.get("ServiceAccount", "spotex")
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].startswith("arn:aws:iam::")


# -- agreement with the code -------------------------------------------------------------------


def _settings_in_manifests() -> dict[Path, set[str]]:
    """Every SPOTEX_* name the deployment sets, by file."""
    found: dict[Path, set[str]] = {}
    for path in [*K8S.rglob("*.env"), *K8S.rglob("*.env.example"), *K8S.rglob("*.yaml"), *K8S.rglob("*.py")]:
        if path.parent == K8S / "envoy":
            continue
        names = set(re.findall(r"\bSPOTEX_[A-Z0-9_]+\b", path.read_text()))
        if names:
            found[path] = names
    return found


def test_the_settings_are_exactly_configs_names() -> None:
    known = config_names()
    found = _settings_in_manifests()
    assert found, "no SPOTEX_* setting in k8s/"
    for path, names in found.items():
        assert names <= known, f"{path.relative_to(ROOT)}: not in services/common/config.py: {names - known}"


def test_the_services_get_the_real_backends_and_where_they_are() -> None:
    base = env_file(K8S / "base" / "config.env")
    overlay = {**base, **env_file(OVERLAY / "config.env")}
    secret = env_file(existing_or_example(OVERLAY / "secrets" / "backends.env"))
    assert base["SPOTEX_BACKEND"] == "real"
    assert base["SPOTEX_HOST"] == "0.0.0.0"  # serve on the pod IP, dial peers on loopback (the sidecar)
    assert base["SPOTEX_DEV_MODE"] == "0"  # no faucet in production
    assert base["SPOTEX_DYNAMODB_ENDPOINT"] == ""  # AWS's own
    for name in ("SPOTEX_KAFKA_BOOTSTRAP", "SPOTEX_AWS_REGION", "SPOTEX_NAMESPACE", "SPOTEX_KAFKA_PARTITIONS"):
        assert overlay.get(name), name
    assert set(secret) == {"SPOTEX_REDIS_URL"}  # it carries the AUTH token: a Secret, not the ConfigMap
    assert secret["SPOTEX_REDIS_URL"].startswith("rediss://")  # ElastiCache with TLS in transit
    assert "SPOTEX_REDIS_URL" not in overlay


@pytest.mark.parametrize("service", GRPC_SERVICES)
def test_grpc_ports_probes_and_metrics_match_config(rendered: Rendered, service: str) -> None:
    port = DEFAULT_PORTS[service]
    workload = rendered.workload(service)
    app = container(workload, service)
    assert app["command"] == ["python", "-m", f"services.{service}"]
    ports = {item["name"]: item["containerPort"] for item in app["ports"]}
    assert ports == {"grpc": port, "metrics": port + 1000}
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert app[probe]["grpc"]["port"] == port, probe  # grpc.health.v1 on the service's port
    annotations = workload["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(port + 1000)
    service_ports = {item["name"]: item["port"] for item in rendered.get("Service", service)["spec"]["ports"]}
    assert service_ports == {"mesh": 15443, "grpc": port, "metrics": port + 1000}
    assert rendered.get("Service", service)["spec"]["clusterIP"] == "None"  # Envoy balances per pod


def test_the_edge_serves_http_on_its_port_behind_the_alb(rendered: Rendered) -> None:
    port = DEFAULT_PORTS["edge"]
    edge = container(rendered.workload("edge"), "edge")
    assert edge["command"] == ["python", "-m", "edge"]
    assert edge["ports"] == [{"name": "http", "containerPort": port}]
    assert edge["readinessProbe"]["httpGet"] == {"path": "/api/v3/ping", "port": "http"}
    assert rendered.get("Service", "edge")["spec"]["ports"][0]["port"] == port
    ingress = rendered.get("Ingress", "edge")
    annotations = ingress["metadata"]["annotations"]
    assert ingress["spec"]["ingressClassName"] == "alb"
    assert annotations["alb.ingress.kubernetes.io/target-type"] == "ip"
    assert annotations["alb.ingress.kubernetes.io/healthcheck-path"] == "/api/v3/ping"
    assert "idle_timeout.timeout_seconds=3600" in annotations["alb.ingress.kubernetes.io/load-balancer-attributes"]
    rules = [(path["path"], path["pathType"]) for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]]

    def routed(url: str) -> bool:  # Kubernetes' matching: a Prefix matches whole path segments
        return any(url == path or (kind == "Prefix" and url.startswith(path.rstrip("/") + "/")) for path, kind in rules)

    # every URL the edge serves: its REST routing table, its WebSockets, the web UI
    served = {binding.path for binding in routing_table()}
    served |= {"/ws", "/ws/btcusdt@trade", "/stream", "/ws-api/v3", "/", "/web/app.js", "/openapi.json"}
    assert not {url for url in served if not routed(url)}


def test_matching_is_a_single_writer_replaced_not_rolled(rendered: Rendered) -> None:
    matching = rendered.workload("matching")
    assert matching["spec"]["replicas"] == 1
    assert matching["spec"]["strategy"] == {"type": "Recreate"}
    scaled = [hpa["spec"]["scaleTargetRef"]["name"] for hpa in rendered.of_kind("HorizontalPodAutoscaler")]
    assert "matching" not in scaled
    assert pod_spec(matching)["nodeSelector"] == {"eks.amazonaws.com/capacityType": "ON_DEMAND"}


def test_budgets_and_autoscalers(rendered: Rendered) -> None:
    scaled = {h["spec"]["scaleTargetRef"]["name"] for h in rendered.of_kind("HorizontalPodAutoscaler")}
    assert scaled == set(STATELESS)
    for name in STATELESS:
        assert "replicas" not in rendered.workload(name)["spec"], f"{name}: the HPA owns replicas"
    budgets = {doc["metadata"]["name"] for doc in rendered.of_kind("PodDisruptionBudget")}
    assert budgets == {*GRPC_SERVICES, "edge"}
    for name in ("matching", "tradeproc"):  # one replica: a budget must still let a drain evict it
        assert rendered.get("PodDisruptionBudget", name)["spec"] == {
            "maxUnavailable": 1,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
        }


@pytest.mark.parametrize("service", [*GRPC_SERVICES, "edge"])
def test_every_pod_has_its_envoy_sidecar(rendered: Rendered, service: str) -> None:
    workload = rendered.workload(service)
    envoy = container(workload, "envoy")
    assert envoy in pod_spec(workload)["initContainers"] and envoy["restartPolicy"] == "Always"
    assert envoy["image"].startswith("envoyproxy/envoy:v1.40.")  # the version tests/deploy validates with
    volumes = {volume["name"]: volume for volume in pod_spec(workload)["volumes"]}
    assert volumes["envoy-config"]["configMap"]["name"].startswith(f"envoy-{service}")
    assert volumes["mesh-tls"]["secret"]["secretName"] == f"{service}-mesh-tls"
    certificates = yaml_docs(OVERLAY / "mesh-certificates.yaml")
    certificate = [doc for doc in certificates if doc["spec"].get("secretName") == f"{service}-mesh-tls"]
    assert certificate and certificate[0]["spec"]["dnsNames"] == [f"{service}.{NAMESPACE}.svc.cluster.local"]


@pytest.mark.parametrize("service", ["matching", "tradeproc", "marketdata"])
def test_kafka_users_create_the_topics_durably_first(rendered: Rendered, service: str) -> None:
    first = pod_spec(rendered.workload(service))["initContainers"][0]
    assert first["name"] == "kafka-topics"
    source = (K8S / "base" / "kafka_topics.py").read_text()
    assert "replication_factor=REPLICATION_FACTOR" in source and "REPLICATION_FACTOR = 3" in source
    assert "topic_configs=MSK_TOPIC_CONFIGS" in source
