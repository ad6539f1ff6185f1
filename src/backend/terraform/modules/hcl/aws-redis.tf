resource "random_password" "admin" {
  length  = 32
  special = false
}

resource "aws_security_group" "this" {
  name_prefix = "${var.name}-"
  description = "Clients of ${var.name} inside the VPC"
  vpc_id      = var.vpc_id
  tags        = var.tags

  ingress {
    description = "Redis from the VPC"
    from_port   = 6379
    to_port     = 6379
    protocol    = "tcp"
    cidr_blocks = var.allowed_cidr_blocks
  }
}

resource "aws_kms_key" "this" {
  #checkov:skip=CKV2_AWS_64:the default key policy (account root) is intended; access is granted through IAM
  description             = "ElastiCache ${var.name}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  tags                    = var.tags
}

resource "aws_elasticache_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.subnet_ids
  tags       = var.tags
}

resource "aws_elasticache_replication_group" "this" {
  #checkov:skip=CKV2_AWS_50:automatic failover follows the resource's highAvailability
  replication_group_id       = var.name
  description                = "Redis for ${var.name}"
  engine                     = "redis"
  engine_version             = var.engine_version
  node_type                  = var.sku
  port                       = 6379
  num_cache_clusters         = var.high_availability ? 2 : 1
  automatic_failover_enabled = var.high_availability
  multi_az_enabled           = var.high_availability
  subnet_group_name          = aws_elasticache_subnet_group.this.name
  security_group_ids         = [aws_security_group.this.id]
  at_rest_encryption_enabled = true
  kms_key_id                 = aws_kms_key.this.arn
  transit_encryption_enabled = true
  auth_token                 = random_password.admin.result
  snapshot_retention_limit   = var.backup_retention_days
  auto_minor_version_upgrade = true
  tags                       = var.tags
}

locals {
  id = aws_elasticache_replication_group.this.arn
  connection = {
    host     = aws_elasticache_replication_group.this.primary_endpoint_address
    port     = aws_elasticache_replication_group.this.port
    password = random_password.admin.result
    url      = "rediss://:${random_password.admin.result}@${aws_elasticache_replication_group.this.primary_endpoint_address}:${aws_elasticache_replication_group.this.port}"
  }
}
