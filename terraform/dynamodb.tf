# The ledger's and the user store's tables, exactly as services/common/adapters/dynamodb/tables.py
# declares them (ledger_tables + user_tables): names "<namespace>-<table>", keys, indexes,
# on-demand capacity. tests/deploy/test_terraform.py compares the two, so they cannot drift.
# The services also create a missing table on start (same definitions); here they get
# point-in-time recovery, encryption and deletion protection from the first second, and a
# `terraform destroy` cannot drop the exchange's money by accident.
# docs/data-model.md explains each key against the access pattern it serves.

locals {
  dynamodb_tables = {
    balances     = { hash_key = "user_id", hash_type = "N", range_key = "asset", range_type = "S" }
    transfers    = { hash_key = "tx_id", hash_type = "S", range_key = null, range_type = null }
    net_deposits = { hash_key = "asset", hash_type = "S", range_key = null, range_type = null }
    orders       = { hash_key = "symbol", hash_type = "S", range_key = "order_id", range_type = "N" }
    open_orders  = { hash_key = "user_id", hash_type = "N", range_key = "so", range_type = "S" }
    client_ids   = { hash_key = "cid", hash_type = "S", range_key = null, range_type = null }
    trades       = { hash_key = "us", hash_type = "S", range_key = "tk", range_type = "N" }
    watermarks   = { hash_key = "symbol", hash_type = "S", range_key = null, range_type = null }
    sequences    = { hash_key = "name", hash_type = "S", range_key = null, range_type = null }
    users        = { hash_key = "user_id", hash_type = "N", range_key = null, range_type = null }
    emails       = { hash_key = "email", hash_type = "S", range_key = null, range_type = null }
    api_keys     = { hash_key = "api_key", hash_type = "S", range_key = null, range_type = null }
    user_keys    = { hash_key = "user_id", hash_type = "N", range_key = "api_key", range_type = "S" }
  }

  # Global secondary indexes: the table each belongs to, its keys. Every one projects ALL.
  dynamodb_indexes = [
    { table = "orders", name = "by_user_symbol", hash_key = "us", hash_type = "S", range_key = "order_id", range_type = "N" },
  ]
}

resource "aws_kms_key" "dynamodb" {
  description         = "${var.namespace}: DynamoDB tables (balances, orders, trades, users, API keys)"
  enable_key_rotation = true
}

resource "aws_dynamodb_table" "this" {
  for_each = local.dynamodb_tables

  name                        = "${var.namespace}-${each.key}"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = each.value.hash_key
  range_key                   = each.value.range_key
  deletion_protection_enabled = true

  # Key attributes of the table and of its indexes, each once (DynamoDB refuses duplicates).
  dynamic "attribute" {
    for_each = merge(
      { (each.value.hash_key) = each.value.hash_type },
      each.value.range_key == null ? {} : { (each.value.range_key) = each.value.range_type },
      { for index in local.dynamodb_indexes : index.hash_key => index.hash_type if index.table == each.key },
      { for index in local.dynamodb_indexes : index.range_key => index.range_type if index.table == each.key },
    )
    content {
      name = attribute.key
      type = attribute.value
    }
  }

  dynamic "global_secondary_index" {
    for_each = [for index in local.dynamodb_indexes : index if index.table == each.key]
    content {
      name            = global_secondary_index.value.name
      hash_key        = global_secondary_index.value.hash_key
      range_key       = global_secondary_index.value.range_key
      projection_type = "ALL"
    }
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.dynamodb.arn
  }

  # Streams stay off: nothing reads them (docs/data-model.md).
}
