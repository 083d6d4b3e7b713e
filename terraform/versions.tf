terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0" # aws_cloudfront_vpc_origin needs >= 5.82
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
    tls = {
      source  = "hashicorp/tls"
      version = "~> 4.0"
    }
  }

  # Keep the state remote and locked in a real account, e.g.:
  # backend "s3" {
  #   bucket       = "my-terraform-state"
  #   key          = "spotex/terraform.tfstate"
  #   region       = "us-east-1"
  #   use_lockfile = true
  # }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge({ app = "spotex", namespace = var.namespace }, var.tags)
  }
}

# CloudFront's WAF web ACL must live in us-east-1, whatever the region of the rest.
provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"

  default_tags {
    tags = merge({ app = "spotex", namespace = var.namespace }, var.tags)
  }
}
