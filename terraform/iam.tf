# IAM roles for Kubernetes service accounts (IRSA): a pod of the ServiceAccount named in the
# trust policy gets the role's credentials, and nothing else in the cluster can.

locals {
  oidc_issuer = replace(aws_iam_openid_connect_provider.eks.url, "https://", "")
}

data "aws_iam_policy_document" "irsa_trust" {
  for_each = {
    services      = "system:serviceaccount:spotex:spotex"
    lb_controller = "system:serviceaccount:kube-system:aws-load-balancer-controller"
  }

  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.eks.arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:sub"
      values   = [each.value]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

# -- the exchange's services (ServiceAccount spotex/spotex, k8s/base/serviceaccount.yaml) -------

resource "aws_iam_role" "services" {
  name               = "${var.namespace}-services"
  assume_role_policy = data.aws_iam_policy_document.irsa_trust["services"].json
}

data "aws_iam_policy_document" "services" {
  # The ledger and user store: only this namespace's tables and their indexes. Transactions
  # (TransactWriteItems) are authorised per item by Put/Update/Delete/ConditionCheckItem.
  statement {
    sid = "Tables"
    actions = [
      "dynamodb:GetItem",
      "dynamodb:BatchGetItem",
      "dynamodb:Query",
      "dynamodb:Scan",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:DeleteItem",
      "dynamodb:BatchWriteItem",
      "dynamodb:ConditionCheckItem",
      # On start the services only check the tables Terraform made (SPOTEX_DYNAMODB_TABLES=check
      # in k8s/base/config.env: tables.py, check_tables), so they cannot create or alter any.
      "dynamodb:DescribeTable",
    ]
    resources = concat(
      [for table in aws_dynamodb_table.this : table.arn],
      [for table in aws_dynamodb_table.this : "${table.arn}/index/*"],
    )
  }

  # The engine topics and consumer groups of this namespace, when clients authenticate with
  # IAM (port 9098). The Kafka adapters use the plaintext listener today (docs/deploy.md,
  # "Not done"); this is ready for the switch, and costs nothing until then.
  statement {
    sid       = "KafkaCluster"
    actions   = ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"]
    resources = [aws_msk_cluster.this.arn]
  }

  statement {
    sid = "KafkaTopics"
    actions = [
      "kafka-cluster:CreateTopic",
      "kafka-cluster:DescribeTopic",
      "kafka-cluster:ReadData",
      "kafka-cluster:WriteData",
    ]
    resources = ["arn:${data.aws_partition.current.partition}:kafka:${var.region}:${data.aws_caller_identity.current.account_id}:topic/${aws_msk_cluster.this.cluster_name}/${aws_msk_cluster.this.cluster_uuid}/${var.namespace}.*"]
  }

  statement {
    sid       = "KafkaGroups"
    actions   = ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"]
    resources = ["arn:${data.aws_partition.current.partition}:kafka:${var.region}:${data.aws_caller_identity.current.account_id}:group/${aws_msk_cluster.this.cluster_name}/${aws_msk_cluster.this.cluster_uuid}/${var.namespace}.*"]
  }
}

resource "aws_iam_role_policy" "services" {
  name   = "tables-and-topics"
  role   = aws_iam_role.services.id
  policy = data.aws_iam_policy_document.services.json
}

# -- the AWS Load Balancer Controller (makes the ALB of k8s/base/ingress.yaml) ------------------

resource "aws_iam_role" "lb_controller" {
  name               = "${var.namespace}-aws-load-balancer-controller"
  assume_role_policy = data.aws_iam_policy_document.irsa_trust["lb_controller"].json
}

resource "aws_iam_role_policy_attachment" "lb_controller" {
  count      = var.lb_controller_policy_arn == "" ? 0 : 1
  role       = aws_iam_role.lb_controller.name
  policy_arn = var.lb_controller_policy_arn
}
