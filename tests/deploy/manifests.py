"""Reading the deployment files (k8s/, terraform/) for the offline checks in this folder.

The Kubernetes objects are rendered the way `kubectl apply -k k8s/overlays/aws` would: with
kustomize when a `kubectl` or `kustomize` binary is at hand (SPOTEX_KUBECTL names one, else
PATH), else by a small stand-in that follows the kustomizations' `resources` and
`configMapGenerator`/`secretGenerator` entries (no patches, no name hashes), which is enough
for the cross-reference checks.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "k8s"
OVERLAY = K8S / "overlays" / "aws"
TERRAFORM = ROOT / "terraform"
K8S_VERSION = "1.33"  # the EKS version terraform/variables.tf defaults to
NAMESPACE = "spotex"

GRPC_SERVICES = ("user", "order", "matching", "marketdata", "tradeproc")
STATELESS = ("edge", "user", "order", "marketdata")  # scaled by an HPA


def venv_tool(name: str) -> str | None:
    """A console script of the test environment (its bin/ need not be on PATH), else PATH's."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


def yaml_docs(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def manifest_files() -> list[Path]:
    """Every file of Kubernetes objects (not kustomizations, not Envoy configs)."""
    files = []
    for path in sorted(K8S.rglob("*.yaml")):
        if path.name == "kustomization.yaml" or path.parent == K8S / "envoy":
            continue
        files.append(path)
    return files


def config_names() -> set[str]:
    """Every SPOTEX_* variable services/common/config.py (the ports' names included) and
    edge/settings.py read."""
    source = (ROOT / "services" / "common" / "config.py").read_text()
    names = set(re.findall(r"\"(SPOTEX_[A-Z0-9_]+)\"", source))
    from services.common.config import DEFAULT_PORTS

    assert 'f"SPOTEX_{name.upper()}_PORT"' in source, "config.py names its port variables differently now"
    names.update(f"SPOTEX_{name.upper()}_PORT" for name in DEFAULT_PORTS)
    edge = (ROOT / "edge" / "settings.py").read_text()
    assert 'env.get(f"SPOTEX_EDGE_{name}")' in edge, "edge/settings.py names its numbers differently now"
    names.update(re.findall(r"\"(SPOTEX_[A-Z0-9_]+)\"", edge))
    names.update(f"SPOTEX_EDGE_{name}" for name in re.findall(r"number\(\"([A-Z0-9_]+)\"", edge))
    return names


def env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def existing_or_example(path: Path) -> Path:
    """Secret files are filled in by the operator and never committed: their .example then."""
    return path if path.exists() else path.with_name(path.name + ".example")


@dataclass
class Rendered:
    docs: list[dict[str, Any]]
    by_kustomize: bool

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [doc for doc in self.docs if doc["kind"] == kind]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        found = [doc for doc in self.of_kind(kind) if doc["metadata"]["name"] == name]
        assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
        return found[0]

    def workload(self, name: str) -> dict[str, Any]:
        return self.get("Deployment", name)


def kustomize_command() -> list[str] | None:
    named = os.environ.get("SPOTEX_KUBECTL")
    if named:
        return [named, "kustomize"] if Path(named).name.startswith("kubectl") else [named, "build"]
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    return None


def render_overlay(tmp: Path) -> Rendered:
    """The overlay's objects, rendered in a copy of k8s/ where the secret files are their
    committed examples."""
    copy = tmp / "k8s"
    shutil.copytree(K8S, copy)
    secrets = copy / "overlays" / "aws" / "secrets"
    for example in secrets.glob("*.example"):
        target = example.with_name(example.name.removesuffix(".example"))
        if not target.exists():
            shutil.copy(example, target)
    command = kustomize_command()
    if command is not None:
        out = subprocess.run(
            [*command, str(copy / "overlays" / "aws")], capture_output=True, text=True, timeout=60, check=False
        )
        assert out.returncode == 0, out.stderr
        return Rendered([doc for doc in yaml.safe_load_all(out.stdout) if doc], by_kustomize=True)
    return Rendered(list(_assemble(copy / "overlays" / "aws", namespace=None)), by_kustomize=False)


def _assemble(directory: Path, namespace: str | None) -> Iterator[dict[str, Any]]:
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    namespace = kustomization.get("namespace", namespace)
    for entry in kustomization.get("resources", []):
        path = (directory / entry).resolve()
        docs = _assemble(path, namespace) if path.is_dir() else iter(yaml_docs(path))
        for doc in docs:
            if namespace and doc["kind"] != "Namespace" and "namespace" not in doc["metadata"]:
                doc["metadata"]["namespace"] = namespace
            yield doc
    for key, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
        for generator in kustomization.get(key, []):
            if generator.get("behavior") == "merge":
                continue
            data: dict[str, str] = {}
            for env in generator.get("envs", []):
                data.update(env_file(directory / env))
            for file in generator.get("files", []):
                name, _, source = file.rpartition("=")
                data[name or Path(source).name] = (directory / source).read_text()
            yield {
                "apiVersion": "v1",
                "kind": kind,
                "metadata": {"name": generator["name"], "namespace": generator.get("namespace", namespace)},
                "data": data,
            }


def kustomization_references(directory: Path) -> Iterator[tuple[Path, Path]]:
    """(kustomization, path it names) for every file or folder a kustomization refers to."""
    file = directory / "kustomization.yaml"
    kustomization = yaml.safe_load(file.read_text())
    for entry in kustomization.get("resources", []):
        path = (directory / entry).resolve()
        yield file, path
        if path.is_dir():
            yield from kustomization_references(path)
    for key in ("configMapGenerator", "secretGenerator"):
        for generator in kustomization.get(key, []):
            for env in generator.get("envs", []):
                yield file, directory / env
            for entry in generator.get("files", []):
                yield file, directory / entry.rpartition("=")[2]
    for patch in kustomization.get("patches", []):
        if "path" in patch:
            yield file, directory / patch["path"]


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def container(workload: dict[str, Any], name: str) -> dict[str, Any]:
    spec = pod_spec(workload)
    for item in [*spec.get("initContainers", []), *spec["containers"]]:
        if item["name"] == name:
            found: dict[str, Any] = item
            return found
    raise AssertionError(f"{workload['metadata']['name']} has no container {name}")


# -- Terraform (python-hcl2 keeps the quotes of string values and block labels) ---------------


def unquote(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def terraform_blocks(parsed: dict[str, dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    """{"<type>.<name>": body} of every `resource`/`data` block, or {"<name>": body} of
    every `variable`/`output`, across the parsed files."""
    found: dict[str, dict[str, Any]] = {}
    for document in parsed.values():
        for entry in document.get(kind, []):
            for label, body in entry.items():
                if kind in ("resource", "data"):
                    for name, inner in body.items():
                        found[f"{unquote(label)}.{unquote(name)}"] = inner
                else:
                    found[unquote(label)] = body
    return found


def terraform_locals(parsed: dict[str, dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for document in parsed.values():
        for entry in document.get("locals", []):
            merged.update({key: value for key, value in entry.items() if not key.startswith("__")})
    return merged
