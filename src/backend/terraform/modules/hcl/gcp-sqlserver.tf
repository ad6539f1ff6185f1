resource "random_password" "admin" {
  length      = 32
  special     = false
  min_upper   = 1
  min_lower   = 1
  min_numeric = 1
}

resource "google_sql_database_instance" "this" {
  #checkov:skip=CKV_GCP_6:TLS is enforced with ssl_mode = ENCRYPTED_ONLY (require_ssl is deprecated)
  #checkov:skip=CKV_GCP_79:the engine version is chosen by the service (infra.version)
  name                = var.name
  project             = var.project_id
  region              = var.region
  database_version    = "SQLSERVER_${var.engine_version}_STANDARD"
  root_password       = random_password.admin.result
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
      enabled = true

      backup_retention_settings {
        retained_backups = var.backup_retention_days
      }
    }

    database_flags {
      name  = "cross db ownership chaining"
      value = "off"
    }

    database_flags {
      name  = "contained database authentication"
      value = "off"
    }

    database_flags {
      name  = "external scripts enabled"
      value = "off"
    }

    database_flags {
      name  = "remote access"
      value = "off"
    }

    database_flags {
      name  = "3625"
      value = "on"
    }

    database_flags {
      name  = "user options"
      value = "0"
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
    port     = 1433
    database = google_sql_database.app.name
    username = google_sql_user.app.name
    password = random_password.admin.result
    url      = "sqlserver://${google_sql_database_instance.this.private_ip_address}:1433;database=app;user=${google_sql_user.app.name};password=${random_password.admin.result};encrypt=true"
  }
}
