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
    description = "DocumentDB from the VPC"
    from_port   = 27017
    to_port     = 27017
    protocol    = "tcp"
    cidr_blocks = var.allowed_cidr_blocks
  }
}

resource "aws_kms_key" "this" {
  #checkov:skip=CKV2_AWS_64:the default key policy (account root) is intended; access is granted through IAM
  description             = "DocumentDB ${var.name}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  tags                    = var.tags
}

resource "aws_docdb_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.subnet_ids
  tags       = var.tags
}

resource "aws_docdb_cluster_parameter_group" "this" {
  name_prefix = "${var.name}-"
  family      = "docdb5.0"
  tags        = var.tags

  parameter {
    name  = "tls"
    value = "enabled"
  }

  parameter {
    name  = "audit_logs"
    value = "enabled"
  }
}

resource "aws_docdb_cluster" "this" {
  #checkov:skip=CKV_AWS_360:backup retention follows infra.sizing (backupRetentionDays), 30 days by default in protected environments
  cluster_identifier              = var.name
  engine                          = "docdb"
  engine_version                  = "5.0.0"
  master_username                 = "app_admin"
  master_password                 = random_password.admin.result
  db_subnet_group_name            = aws_docdb_subnet_group.this.name
  db_cluster_parameter_group_name = aws_docdb_cluster_parameter_group.this.name
  vpc_security_group_ids          = [aws_security_group.this.id]
  storage_encrypted               = true
  kms_key_id                      = aws_kms_key.this.arn
  backup_retention_period         = var.backup_retention_days
  deletion_protection             = var.deletion_protection
  skip_final_snapshot             = !var.deletion_protection
  final_snapshot_identifier       = "${var.name}-final"
  enabled_cloudwatch_logs_exports = ["audit", "profiler"]
  tags                            = var.tags
}

resource "aws_docdb_cluster_instance" "this" {
  count                      = var.high_availability ? 2 : 1
  identifier                 = "${var.name}-${count.index}"
  cluster_identifier         = aws_docdb_cluster.this.id
  instance_class             = var.sku
  auto_minor_version_upgrade = true
  tags                       = var.tags
}

locals {
  id = aws_docdb_cluster.this.arn
  connection = {
    host     = aws_docdb_cluster.this.endpoint
    port     = aws_docdb_cluster.this.port
    database = "app"
    username = aws_docdb_cluster.this.master_username
    password = random_password.admin.result
    url      = "mongodb://${aws_docdb_cluster.this.master_username}:${random_password.admin.result}@${aws_docdb_cluster.this.endpoint}:${aws_docdb_cluster.this.port}/app?tls=true&replicaSet=rs0&readPreference=secondaryPreferred&retryWrites=false"
  }
}
