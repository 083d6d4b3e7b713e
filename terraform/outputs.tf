# What the Kubernetes overlay needs (k8s/overlays/aws, docs/deploy.md), and where clients go.

output "cluster_name" {
  description = "aws eks update-kubeconfig --name <this>"
  value       = aws_eks_cluster.this.name
}

output "ecr_repository_url" {
  description = "Push the image here; k8s/overlays/aws/kustomization.yaml images.newName."
  value       = aws_ecr_repository.spotex.repository_url
}

output "service_role_arn" {
  description = "IRSA role of the spotex ServiceAccount: the overlay's eks.amazonaws.com/role-arn."
  value       = aws_iam_role.services.arn
}

output "lb_controller_role_arn" {
  description = "IRSA role of the AWS Load Balancer Controller's ServiceAccount."
  value       = aws_iam_role.lb_controller.arn
}

output "kafka_bootstrap" {
  description = "SPOTEX_KAFKA_BOOTSTRAP (plaintext listener, inside the VPC)."
  value       = aws_msk_cluster.this.bootstrap_brokers
}

output "redis_url" {
  description = "SPOTEX_REDIS_URL, with the AUTH token: goes into k8s/overlays/aws/secrets/backends.env only."
  value       = "rediss://:${random_password.redis_auth.result}@${aws_elasticache_replication_group.this.primary_endpoint_address}:6379/0"
  sensitive   = true
}

output "dynamodb_tables" {
  description = "The exchange's tables (SPOTEX_NAMESPACE-prefixed)."
  value       = sort([for table in aws_dynamodb_table.this : table.name])
}

output "public_endpoint" {
  description = "Where clients connect: https://<this>/api/v3/..., wss://<this>/ws (after the second apply)."
  value       = var.edge_enabled ? aws_cloudfront_distribution.edge[0].domain_name : null
}
