resource "google_storage_bucket" "this" {
  #checkov:skip=CKV_GCP_62:access logs go to Cloud Audit Logs (data access), configured for the organisation
  name                        = var.name
  project                     = var.project_id
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = !var.deletion_protection
  labels                      = var.tags

  versioning {
    enabled = true
  }

  soft_delete_policy {
    retention_duration_seconds = var.backup_retention_days * 86400
  }
}

locals {
  id = google_storage_bucket.this.name
  connection = {
    name     = google_storage_bucket.this.name
    endpoint = "https://storage.googleapis.com"
  }
}
