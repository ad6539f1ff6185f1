resource "google_redis_instance" "this" {
  name                    = var.name
  project                 = var.project_id
  region                  = var.region
  tier                    = var.high_availability ? "STANDARD_HA" : "BASIC"
  memory_size_gb          = var.storage_gb
  redis_version           = "REDIS_${replace(var.engine_version, ".", "_")}"
  authorized_network      = var.network_id
  connect_mode            = "PRIVATE_SERVICE_ACCESS"
  auth_enabled            = true
  transit_encryption_mode = "SERVER_AUTHENTICATION"
  labels                  = var.tags
}

locals {
  id = google_redis_instance.this.id
  connection = {
    host     = google_redis_instance.this.host
    port     = google_redis_instance.this.port
    password = google_redis_instance.this.auth_string
    url      = "rediss://:${google_redis_instance.this.auth_string}@${google_redis_instance.this.host}:${google_redis_instance.this.port}"
  }
}
