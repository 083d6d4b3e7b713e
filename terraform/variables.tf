# -- where: an existing VPC (this code references it, it does not create one) ------------------

variable "region" {
  description = "AWS region of everything but the CloudFront WAF (always us-east-1)."
  type        = string
  default     = "us-east-1"
}

variable "namespace" {
  description = "Prefix of every table, topic and key: SPOTEX_NAMESPACE in k8s/overlays/aws/config.env must be the same."
  type        = string
  default     = "spotex"
}

variable "vpc_id" {
  description = "The VPC the cluster and the data services live in."
  type        = string
}

variable "vpc_cidr" {
  description = "The VPC's CIDR block (security group rules)."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets in three availability zones: EKS nodes, MSK brokers (one per zone), ElastiCache, the API Gateway VPC link."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) == 3
    error_message = "MSK places one of its 3 brokers in each subnet: give exactly 3 private subnets, in 3 zones."
  }
}

variable "tags" {
  description = "Extra tags on every resource."
  type        = map(string)
  default     = {}
}

# -- EKS ----------------------------------------------------------------------------------------

variable "eks_version" {
  description = "Kubernetes version of the cluster (the manifests are validated against 1.33)."
  type        = string
  default     = "1.33"
}

variable "eks_public_access_cidrs" {
  description = "Who may reach the Kubernetes API from outside the VPC; empty = private endpoint only."
  type        = list(string)
  default     = []
}

variable "critical_instance_types" {
  description = "On-demand nodes: matching and trade processing (never on spot)."
  type        = list(string)
  default     = ["c7i.xlarge"]
}

variable "critical_node_count" {
  description = "Size of the on-demand node group (min = desired; max is twice that)."
  type        = number
  default     = 3
}

variable "general_instance_types" {
  description = "Spot nodes for the stateless services (several types: spot capacity is found more easily)."
  type        = list(string)
  default     = ["c7i.xlarge", "c6i.xlarge", "m7i.xlarge"]
}

variable "general_node_min" {
  description = "Smallest size of the spot node group."
  type        = number
  default     = 2
}

variable "general_node_max" {
  description = "Largest size of the spot node group."
  type        = number
  default     = 12
}

variable "lb_controller_policy_arn" {
  description = "ARN of the IAM policy the AWS Load Balancer Controller project publishes (docs/deploy.md); attached to its IRSA role when set."
  type        = string
  default     = ""
}

# -- MSK ----------------------------------------------------------------------------------------

variable "msk_kafka_version" {
  description = "Kafka version of the MSK cluster."
  type        = string
  default     = "3.8.x"
}

variable "msk_instance_type" {
  description = "Broker instance type."
  type        = string
  default     = "kafka.m7g.large"
}

variable "msk_volume_size" {
  description = "EBS storage per broker, GiB (the engine topics keep everything: retention -1; tiered storage holds the old segments)."
  type        = number
  default     = 500
}

# -- ElastiCache ----------------------------------------------------------------------------------

variable "redis_node_type" {
  description = "ElastiCache node type."
  type        = string
  default     = "cache.r7g.large"
}

variable "redis_engine_version" {
  description = "Redis OSS engine version."
  type        = string
  default     = "7.1"
}

# -- the front door: API Gateway, CloudFront, WAF ----------------------------------------------------

variable "edge_enabled" {
  description = "Create API Gateway, CloudFront and the WAF. They point at the ALB that the Ingress (k8s/base/ingress.yaml) creates, so set this on the second apply, after kubectl apply (docs/deploy.md)."
  type        = bool
  default     = false
}

variable "edge_alb_name" {
  description = "Name of that ALB: the Ingress's alb.ingress.kubernetes.io/load-balancer-name."
  type        = string
  default     = "spotex-edge"
}

variable "waf_rate_limit" {
  description = "Requests per client IP per 5 minutes before the WAF blocks it (Binance allows 6000 request weight a minute)."
  type        = number
  default     = 30000
}

variable "api_throttle_rate" {
  description = "API Gateway steady-state requests per second, whole API."
  type        = number
  default     = 5000
}

variable "api_throttle_burst" {
  description = "API Gateway burst, whole API."
  type        = number
  default     = 10000
}
