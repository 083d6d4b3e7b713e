# The front door: CloudFront (TLS for clients, WAF) -> API Gateway (HTTP API: REST, throttling)
# -> VPC link -> the internal ALB -> edge pods; WebSocket paths (/ws, /stream) go from
# CloudFront straight to the ALB over a CloudFront VPC origin, since an HTTP API cannot carry
# a WebSocket upgrade (API Gateway's WebSocket APIs speak their own protocol, not Binance's).
#
# The ALB is made by the AWS Load Balancer Controller from k8s/base/ingress.yaml, so these
# resources exist only once it does: apply with edge_enabled = true after kubectl apply
# (docs/deploy.md). They find it by its fixed name.

locals {
  edge = var.edge_enabled ? 1 : 0
}

data "aws_lb" "edge" {
  count = local.edge
  name  = var.edge_alb_name
}

data "aws_lb_listener" "edge" {
  count             = local.edge
  load_balancer_arn = data.aws_lb.edge[0].arn
  port              = 80
}

# -- API Gateway (HTTP API) --------------------------------------------------------------------

resource "aws_security_group" "vpc_link" {
  count       = local.edge
  name        = "${var.namespace}-apigw-vpc-link"
  description = "API Gateway VPC link to the internal ALB"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_egress_rule" "vpc_link" {
  count             = local.edge
  security_group_id = aws_security_group.vpc_link[0].id
  description       = "HTTP to the internal ALB"
  cidr_ipv4         = var.vpc_cidr
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
}

resource "aws_apigatewayv2_vpc_link" "edge" {
  count              = local.edge
  name               = "${var.namespace}-edge"
  subnet_ids         = var.private_subnet_ids
  security_group_ids = [aws_security_group.vpc_link[0].id]
}

resource "aws_apigatewayv2_api" "edge" {
  count         = local.edge
  name          = "${var.namespace}-edge"
  protocol_type = "HTTP"
  description   = "Binance-style REST API of the exchange (edge/), behind CloudFront"
}

resource "aws_apigatewayv2_integration" "edge" {
  count                  = local.edge
  api_id                 = aws_apigatewayv2_api.edge[0].id
  integration_type       = "HTTP_PROXY"
  integration_method     = "ANY"
  integration_uri        = data.aws_lb_listener.edge[0].arn
  connection_type        = "VPC_LINK"
  connection_id          = aws_apigatewayv2_vpc_link.edge[0].id
  payload_format_version = "1.0"
  timeout_milliseconds   = 15000 # above the edge's own 10 s gRPC deadline
}

resource "aws_apigatewayv2_route" "edge" {
  for_each  = var.edge_enabled ? toset(["ANY /api/{proxy+}", "ANY /sapi/{proxy+}", "GET /openapi.json", "GET /", "GET /web/{proxy+}"]) : toset([])
  api_id    = aws_apigatewayv2_api.edge[0].id
  route_key = each.value
  target    = "integrations/${aws_apigatewayv2_integration.edge[0].id}"
}

resource "aws_cloudwatch_log_group" "api" {
  count             = local.edge
  name              = "/aws/apigateway/${var.namespace}-edge"
  retention_in_days = 30
}

resource "aws_apigatewayv2_stage" "edge" {
  count       = local.edge
  api_id      = aws_apigatewayv2_api.edge[0].id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_rate_limit  = var.api_throttle_rate
    throttling_burst_limit = var.api_throttle_burst
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api[0].arn
    format = jsonencode({
      requestId = "$context.requestId"
      ip        = "$context.identity.sourceIp"
      method    = "$context.httpMethod"
      path      = "$context.path"
      status    = "$context.status"
      latencyMs = "$context.responseLatency"
      upstream  = "$context.integrationLatency"
    })
  }
}

# -- CloudFront ----------------------------------------------------------------------------------

data "aws_cloudfront_cache_policy" "disabled" {
  name = "Managed-CachingDisabled"
}

data "aws_cloudfront_response_headers_policy" "security" {
  name = "Managed-SecurityHeadersPolicy" # HSTS, nosniff, frame and referrer policies
}

# WebSocket: the upgrade and Sec-WebSocket-* headers must pass, and CloudFront-Viewer-Address,
# the viewer the edge's per-IP connection limit counts (edge/client_address.py).
data "aws_cloudfront_origin_request_policy" "all_viewer_and_cloudfront" {
  name = "Managed-AllViewerAndCloudFrontHeaders-2022-06"
}

# REST: every viewer header but Host (API Gateway routes on its own host name), which no managed
# policy combines with CloudFront-Viewer-Address, so the headers are listed: what Binance
# clients send, and the viewer address the edge's per-IP weight limit counts.
resource "aws_cloudfront_origin_request_policy" "rest" {
  count   = local.edge
  name    = "${var.namespace}-edge-rest"
  comment = "Binance client headers and the viewer address, without Host"

  headers_config {
    header_behavior = "whitelist"
    headers {
      items = [
        "Accept", "Authorization", "CloudFront-Viewer-Address", "Content-Type", "User-Agent", "X-MBX-APIKEY",
      ]
    }
  }
  query_strings_config {
    query_string_behavior = "all" # signed requests: the exact query string
  }
  cookies_config {
    cookie_behavior = "none"
  }
}

resource "aws_cloudfront_vpc_origin" "alb" {
  count = local.edge

  vpc_origin_endpoint_config {
    name                   = "${var.namespace}-edge-alb"
    arn                    = data.aws_lb.edge[0].arn
    http_port              = 80
    https_port             = 443
    origin_protocol_policy = "http-only" # inside the VPC; the ALB has no certificate

    origin_ssl_protocols {
      items    = ["TLSv1.2"]
      quantity = 1
    }
  }
}

resource "aws_cloudfront_distribution" "edge" {
  count        = local.edge
  enabled      = true
  comment      = "${var.namespace}: REST (via API Gateway) and WebSocket (via the ALB)"
  http_version = "http2and3"
  price_class  = "PriceClass_All"
  web_acl_id   = aws_wafv2_web_acl.edge[0].arn

  origin {
    origin_id   = "api-gateway"
    domain_name = replace(aws_apigatewayv2_api.edge[0].api_endpoint, "https://", "")

    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "https-only"
      origin_ssl_protocols   = ["TLSv1.2"]
    }
  }

  origin {
    origin_id   = "alb-websocket"
    domain_name = data.aws_lb.edge[0].dns_name

    vpc_origin_config {
      vpc_origin_id            = aws_cloudfront_vpc_origin.alb[0].id
      origin_keepalive_timeout = 60
      origin_read_timeout      = 60
    }
  }

  # REST: nothing is cached (prices move; every private call is signed).
  default_cache_behavior {
    target_origin_id           = "api-gateway"
    viewer_protocol_policy     = "https-only"
    allowed_methods            = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    cached_methods             = ["GET", "HEAD"]
    cache_policy_id            = data.aws_cloudfront_cache_policy.disabled.id
    origin_request_policy_id   = aws_cloudfront_origin_request_policy.rest[0].id
    response_headers_policy_id = data.aws_cloudfront_response_headers_policy.security.id
    compress                   = true
  }

  dynamic "ordered_cache_behavior" {
    for_each = ["/ws*", "/stream*"]
    content {
      path_pattern               = ordered_cache_behavior.value
      target_origin_id           = "alb-websocket"
      viewer_protocol_policy     = "https-only"
      allowed_methods            = ["GET", "HEAD"]
      cached_methods             = ["GET", "HEAD"]
      cache_policy_id            = data.aws_cloudfront_cache_policy.disabled.id
      origin_request_policy_id   = data.aws_cloudfront_origin_request_policy.all_viewer_and_cloudfront.id
      response_headers_policy_id = data.aws_cloudfront_response_headers_policy.security.id
      compress                   = false
    }
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  # Clients use the *.cloudfront.net name; for your own domain, set an ACM certificate
  # (us-east-1) and aliases here.
  viewer_certificate {
    cloudfront_default_certificate = true
  }
}

# -- WAF (CloudFront scope: us-east-1) ---------------------------------------------------------------

resource "aws_wafv2_web_acl" "edge" {
  count    = local.edge
  provider = aws.us_east_1
  name     = "${var.namespace}-edge"
  scope    = "CLOUDFRONT"

  default_action {
    allow {}
  }

  rule {
    name     = "aws-ip-reputation"
    priority = 0

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesAmazonIpReputationList"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "aws-ip-reputation"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-common"
    priority = 1

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesCommonRuleSet"

        # Signed Binance requests carry every parameter in the query string or body; a batch
        # of orders passes the rule group's 2 KB query / 8 KB body limits. The edge enforces
        # its own limits (64 KiB body, 64 parameters: edge/settings.py), so count, not block.
        rule_action_override {
          name = "SizeRestrictions_QUERYSTRING"
          action_to_use {
            count {}
          }
        }

        rule_action_override {
          name = "SizeRestrictions_BODY"
          action_to_use {
            count {}
          }
        }
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "aws-common"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-known-bad-inputs"
    priority = 2

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "aws-known-bad-inputs"
      sampled_requests_enabled   = true
    }
  }

  # Per client address, before anything reaches API Gateway or the edge's own limiter.
  rule {
    name     = "rate-per-ip"
    priority = 3

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit                 = var.waf_rate_limit
        evaluation_window_sec = 300
        aggregate_key_type    = "IP"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "rate-per-ip"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${var.namespace}-edge"
    sampled_requests_enabled   = true
  }
}

# Every request the WAF blocked or counted, for finding false positives (the log group's name
# must start with aws-waf-logs-, in the web ACL's region).
resource "aws_cloudwatch_log_group" "waf" {
  count             = local.edge
  provider          = aws.us_east_1
  name              = "aws-waf-logs-${var.namespace}-edge"
  retention_in_days = 90
}

resource "aws_wafv2_web_acl_logging_configuration" "edge" {
  count                   = local.edge
  provider                = aws.us_east_1
  resource_arn            = aws_wafv2_web_acl.edge[0].arn
  log_destination_configs = [aws_cloudwatch_log_group.waf[0].arn]

  logging_filter {
    default_behavior = "DROP"

    filter {
      behavior    = "KEEP"
      requirement = "MEETS_ANY"

      condition {
        action_condition {
          action = "BLOCK"
        }
      }

      condition {
        action_condition {
          action = "COUNT"
        }
      }
    }
  }
}
