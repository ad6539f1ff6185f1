resource "random_password" "admin" {
  length           = 32
  special          = true
  override_special = "-_.~"
  min_upper        = 1
  min_lower        = 1
  min_numeric      = 1
  min_special      = 1
}

resource "aws_security_group" "this" {
  name_prefix = "${var.name}-"
  description = "Clients of ${var.name} inside the VPC"
  vpc_id      = var.vpc_id
  tags        = var.tags

  ingress {
    description = "OpenSearch HTTPS from the VPC"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = var.allowed_cidr_blocks
  }
}

resource "aws_kms_key" "this" {
  #checkov:skip=CKV2_AWS_64:the default key policy (account root) is intended; access is granted through IAM
  description             = "OpenSearch ${var.name}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  tags                    = var.tags
}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

resource "aws_opensearch_domain" "this" {
  #checkov:skip=CKV_AWS_317:audit logs need a CloudWatch resource policy per account; fine-grained access control is on
  #checkov:skip=CKV_AWS_318:dedicated master nodes are a sizing decision (nodes); data nodes span two zones when highAvailability
  #checkov:skip=CKV2_AWS_59:dedicated master nodes are a sizing decision (nodes)
  #checkov:skip=CKV_AWS_84:log publishing needs a CloudWatch resource policy per account
  domain_name    = var.name
  engine_version = "OpenSearch_${var.engine_version}"
  tags           = var.tags

  cluster_config {
    instance_type          = var.sku
    instance_count         = var.nodes
    zone_awareness_enabled = var.high_availability

    dynamic "zone_awareness_config" {
      for_each = var.high_availability ? [2] : []
      content {
        availability_zone_count = zone_awareness_config.value
      }
    }
  }

  ebs_options {
    ebs_enabled = true
    volume_size = var.storage_gb
    volume_type = "gp3"
  }

  vpc_options {
    subnet_ids         = var.high_availability ? slice(var.subnet_ids, 0, 2) : [var.subnet_ids[0]]
    security_group_ids = [aws_security_group.this.id]
  }

  encrypt_at_rest {
    enabled    = true
    kms_key_id = aws_kms_key.this.arn
  }

  node_to_node_encryption {
    enabled = true
  }

  domain_endpoint_options {
    enforce_https       = true
    tls_security_policy = "Policy-Min-TLS-1-2-2019-07"
  }

  advanced_security_options {
    enabled                        = true
    internal_user_database_enabled = true

    master_user_options {
      master_user_name     = "app_admin"
      master_user_password = random_password.admin.result
    }
  }

  access_policies = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
      Action    = "es:ESHttp*"
      Resource  = "arn:aws:es:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:domain/${var.name}/*"
    }]
  })
}

locals {
  id = aws_opensearch_domain.this.arn
  connection = {
    url      = "https://${aws_opensearch_domain.this.endpoint}"
    username = "app_admin"
    password = random_password.admin.result
  }
}
