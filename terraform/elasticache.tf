# ElastiCache (Redis OSS): book snapshots, market-data views, WebSocket fan-out across edge
# replicas and the shared rate-limit counters (docs/redis.md). One shard with a replica in
# another zone and automatic failover; cluster mode off, because the services speak to one
# Redis URL (redis-py's Redis, not RedisCluster). TLS in transit (the URL is rediss://) and an
# AUTH token, which only the Secret spotex-backends holds (terraform output redis_url).

resource "random_password" "redis_auth" {
  length  = 64
  special = false # ElastiCache refuses some specials (@, ", /) in AUTH tokens
}

resource "aws_elasticache_subnet_group" "this" {
  name       = "${var.namespace}-redis"
  subnet_ids = var.private_subnet_ids
}

resource "aws_security_group" "redis" {
  name        = "${var.namespace}-redis"
  description = "ElastiCache: Redis from the EKS pods only"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "redis" {
  security_group_id            = aws_security_group.redis.id
  description                  = "Redis (TLS)"
  referenced_security_group_id = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
}

resource "aws_kms_key" "redis" {
  description         = "${var.namespace}: ElastiCache data at rest"
  enable_key_rotation = true
}

resource "aws_elasticache_replication_group" "this" {
  replication_group_id = "${var.namespace}-redis"
  description          = "${var.namespace}: snapshots, market-data views, fan-out, rate limits"
  engine               = "redis"
  engine_version       = var.redis_engine_version
  node_type            = var.redis_node_type
  port                 = 6379

  num_cache_clusters         = 2 # a primary and a replica in another zone
  automatic_failover_enabled = true
  multi_az_enabled           = true

  subnet_group_name  = aws_elasticache_subnet_group.this.name
  security_group_ids = [aws_security_group.redis.id]

  transit_encryption_enabled = true
  auth_token                 = random_password.redis_auth.result
  at_rest_encryption_enabled = true
  kms_key_id                 = aws_kms_key.redis.arn

  snapshot_retention_limit   = 7
  auto_minor_version_upgrade = true
  apply_immediately          = false
}
