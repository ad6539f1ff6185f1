resource "random_password" "admin" {
  length  = 32
  special = false
}

resource "google_sql_database_instance" "this" {
  #checkov:skip=CKV_GCP_6:TLS is enforced with ssl_mode = ENCRYPTED_ONLY (require_ssl is deprecated)
  #checkov:skip=CKV_GCP_79:the engine version is chosen by the service (infra.version)
  name                = var.name
  project             = var.project_id
  region              = var.region
  database_version    = "POSTGRES_${var.engine_version}"
  deletion_protection = var.deletion_protection

  settings {
    tier              = var.sku
    availability_type = var.high_availability ? "REGIONAL" : "ZONAL"
    disk_size         = var.storage_gb
    disk_autoresize   = true
    user_labels       = var.tags

    ip_configuration {
      ipv4_enabled    = false
      private_network = var.network_id
      ssl_mode        = "ENCRYPTED_ONLY"
    }

    backup_configuration {
      enabled                        = true
      point_in_time_recovery_enabled = true

      backup_retention_settings {
        retained_backups = var.backup_retention_days
      }
    }

    database_flags {
      name  = "log_checkpoints"
      value = "on"
    }

    database_flags {
      name  = "log_connections"
      value = "on"
    }

    database_flags {
      name  = "log_disconnections"
      value = "on"
    }

    database_flags {
      name  = "log_lock_waits"
      value = "on"
    }

    database_flags {
      name  = "log_min_messages"
      value = "error"
    }

    database_flags {
      name  = "log_temp_files"
      value = "0"
    }

    database_flags {
      name  = "log_min_duration_statement"
      value = "-1"
    }

    database_flags {
      name  = "log_duration"
      value = "on"
    }

    database_flags {
      name  = "log_hostname"
      value = "on"
    }

    database_flags {
      name  = "log_min_error_statement"
      value = "error"
    }

    database_flags {
      name  = "log_statement"
      value = "ddl"
    }

    database_flags {
      name  = "cloudsql.enable_pgaudit"
      value = "on"
    }
  }
}

resource "google_sql_database" "app" {
  name     = "app"
  project  = var.project_id
  instance = google_sql_database_instance.this.name
}

resource "google_sql_user" "app" {
  name     = "app_admin"
  project  = var.project_id
  instance = google_sql_database_instance.this.name
  password = random_password.admin.result
}

locals {
  id = google_sql_database_instance.this.name
  connection = {
    host     = google_sql_database_instance.this.private_ip_address
    port     = 5432
    database = google_sql_database.app.name
    username = google_sql_user.app.name
    password = random_password.admin.result
    url      = "postgresql://${google_sql_user.app.name}:${random_password.admin.result}@${google_sql_database_instance.this.private_ip_address}:5432/app?sslmode=require"
  }
}
