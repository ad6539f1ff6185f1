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
  database_version    = "MYSQL_${replace(var.engine_version, ".", "_")}"
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
      enabled            = true
      binary_log_enabled = true

      backup_retention_settings {
        retained_backups = var.backup_retention_days
      }
    }

    database_flags {
      name  = "local_infile"
      value = "off"
    }

    database_flags {
      name  = "skip_show_database"
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
  host     = "%"
  password = random_password.admin.result
}

locals {
  id = google_sql_database_instance.this.name
  connection = {
    host     = google_sql_database_instance.this.private_ip_address
    port     = 3306
    database = google_sql_database.app.name
    username = google_sql_user.app.name
    password = random_password.admin.result
    url      = "mysql://${google_sql_user.app.name}:${random_password.admin.result}@${google_sql_database_instance.this.private_ip_address}:3306/app?ssl-mode=REQUIRED"
  }
}
