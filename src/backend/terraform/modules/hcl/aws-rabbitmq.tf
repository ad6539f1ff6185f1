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
    description = "AMQPS from the VPC"
    from_port   = 5671
    to_port     = 5671
    protocol    = "tcp"
    cidr_blocks = var.allowed_cidr_blocks
  }

  ingress {
    description = "RabbitMQ management API over HTTPS from the VPC"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = var.allowed_cidr_blocks
  }
}

resource "aws_mq_broker" "this" {
  #checkov:skip=CKV_AWS_209:Amazon MQ for RabbitMQ supports only AWS owned encryption keys
  broker_name                = var.name
  engine_type                = "RabbitMQ"
  engine_version             = var.engine_version
  host_instance_type         = var.sku
  deployment_mode            = var.high_availability ? "CLUSTER_MULTI_AZ" : "SINGLE_INSTANCE"
  publicly_accessible        = false
  subnet_ids                 = var.high_availability ? var.subnet_ids : [var.subnet_ids[0]]
  security_groups            = [aws_security_group.this.id]
  auto_minor_version_upgrade = true
  tags                       = var.tags

  logs {
    general = true
  }

  user {
    username = "app"
    password = random_password.admin.result
  }
}

locals {
  id       = aws_mq_broker.this.arn
  endpoint = aws_mq_broker.this.instances[0].endpoints[0]
  host     = regex("^amqps://([^:]+):", local.endpoint)[0]
  connection = {
    host     = local.host
    port     = 5671
    username = "app"
    password = random_password.admin.result
    url      = "amqps://app:${random_password.admin.result}@${local.host}:5671"
  }
  management_url = aws_mq_broker.this.instances[0].console_url
}
