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
    description = "PostgreSQL from the VPC"
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = var.allowed_cidr_blocks
  }
}

resource "aws_db_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.subnet_ids
  tags       = var.tags
}

resource "aws_db_parameter_group" "this" {
  name_prefix = "${var.name}-"
  family      = "postgres${var.engine_version}"
  tags        = var.tags

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  parameter {
    name  = "log_min_duration_statement"
    value = "1000"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_db_instance" "this" {
  #checkov:skip=CKV_AWS_157:Multi-AZ follows the resource's highAvailability (on by default in protected environments)
  #checkov:skip=CKV_AWS_293:deletion protection follows the environment (on when protected)
  #checkov:skip=CKV_AWS_118:enhanced monitoring needs a per-account IAM role; CloudWatch logs and Performance Insights are on
  #checkov:skip=CKV_AWS_354:Performance Insights data is encrypted with the AWS managed key
  identifier                          = var.name
  engine                              = "postgres"
  engine_version                      = var.engine_version
  instance_class                      = var.sku
  allocated_storage                   = var.storage_gb
  storage_type                        = "gp3"
  storage_encrypted                   = true
  db_name                             = "app"
  username                            = "app_admin"
  password                            = random_password.admin.result
  db_subnet_group_name                = aws_db_subnet_group.this.name
  parameter_group_name                = aws_db_parameter_group.this.name
  vpc_security_group_ids              = [aws_security_group.this.id]
  publicly_accessible                 = false
  multi_az                            = var.high_availability
  backup_retention_period             = var.backup_retention_days
  deletion_protection                 = var.deletion_protection
  skip_final_snapshot                 = !var.deletion_protection
  final_snapshot_identifier           = "${var.name}-final"
  copy_tags_to_snapshot               = true
  iam_database_authentication_enabled = true
  auto_minor_version_upgrade          = true
  performance_insights_enabled        = true
  enabled_cloudwatch_logs_exports     = ["postgresql", "upgrade"]
  tags                                = var.tags
}

locals {
  id = aws_db_instance.this.arn
  connection = {
    host     = aws_db_instance.this.address
    port     = aws_db_instance.this.port
    database = aws_db_instance.this.db_name
    username = aws_db_instance.this.username
    password = random_password.admin.result
    url      = "postgresql://${aws_db_instance.this.username}:${random_password.admin.result}@${aws_db_instance.this.address}:${aws_db_instance.this.port}/${aws_db_instance.this.db_name}?sslmode=require"
  }
}
