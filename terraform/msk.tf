# MSK: the matching journal (<namespace>.engine.commands) and the engine events
# (<namespace>.engine.events). Three brokers, one per zone; topics are replicated three times
# and a write is acknowledged by at least two replicas (acks=all, min.insync.replicas=2), so
# losing a broker loses nothing acknowledged (services/common/adapters/kafka/log.py, "On MSK").
# The topics are created by the pods' first init container (k8s/base/kafka_topics.py) with
# these settings; the broker defaults below say the same for anything else.

resource "aws_msk_configuration" "this" {
  name           = "${var.namespace}-kafka"
  kafka_versions = [var.msk_kafka_version]

  server_properties = <<-PROPERTIES
    auto.create.topics.enable=false
    default.replication.factor=3
    min.insync.replicas=2
    unclean.leader.election.enable=false
    num.partitions=8
    message.max.bytes=8388608
    replica.fetch.max.bytes=10485760
  PROPERTIES
}

resource "aws_security_group" "msk" {
  name        = "${var.namespace}-msk"
  description = "MSK brokers: Kafka from the EKS pods only"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "msk_plaintext" {
  security_group_id            = aws_security_group.msk.id
  description                  = "Kafka, plaintext listener (what the aiokafka adapters speak today)"
  referenced_security_group_id = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 9092
  to_port                      = 9092
}

resource "aws_vpc_security_group_ingress_rule" "msk_iam" {
  security_group_id            = aws_security_group.msk.id
  description                  = "Kafka, TLS + IAM listener"
  referenced_security_group_id = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 9098
  to_port                      = 9098
}

resource "aws_kms_key" "msk" {
  description         = "${var.namespace}: MSK data at rest"
  enable_key_rotation = true
}

resource "aws_cloudwatch_log_group" "msk" {
  name              = "/aws/msk/${var.namespace}"
  retention_in_days = 30
}

resource "aws_msk_cluster" "this" {
  cluster_name           = var.namespace
  kafka_version          = var.msk_kafka_version
  number_of_broker_nodes = 3
  # Old log segments go to MSK's tiered storage: the engine topics keep everything
  # (retention.ms=-1), which local disks alone would make expensive.
  storage_mode = "TIERED"

  broker_node_group_info {
    instance_type   = var.msk_instance_type
    client_subnets  = var.private_subnet_ids
    security_groups = [aws_security_group.msk.id]

    storage_info {
      ebs_storage_info {
        volume_size = var.msk_volume_size
      }
    }
  }

  configuration_info {
    arn      = aws_msk_configuration.this.arn
    revision = aws_msk_configuration.this.latest_revision
  }

  # Plaintext inside the VPC for the current adapters (security group: EKS pods only), TLS +
  # IAM alongside for the switch (docs/deploy.md); brokers always talk TLS among themselves.
  client_authentication {
    unauthenticated = true
    sasl {
      iam = true
    }
  }

  encryption_info {
    encryption_at_rest_kms_key_arn = aws_kms_key.msk.arn
    encryption_in_transit {
      client_broker = "TLS_PLAINTEXT"
      in_cluster    = true
    }
  }

  enhanced_monitoring = "PER_TOPIC_PER_PARTITION"

  open_monitoring {
    prometheus {
      jmx_exporter {
        enabled_in_broker = true
      }
      node_exporter {
        enabled_in_broker = true
      }
    }
  }

  logging_info {
    broker_logs {
      cloudwatch_logs {
        enabled   = true
        log_group = aws_cloudwatch_log_group.msk.name
      }
    }
  }
}
