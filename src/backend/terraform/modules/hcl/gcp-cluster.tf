resource "google_service_account" "nodes" {
  project      = var.project_id
  account_id   = var.node_service_account
  display_name = "GKE nodes of ${var.name}"
}

resource "google_project_iam_member" "nodes" {
  for_each = toset(["roles/logging.logWriter", "roles/monitoring.metricWriter", "roles/monitoring.viewer", "roles/artifactregistry.reader"])
  project  = var.project_id
  role     = each.value
  member   = "serviceAccount:${google_service_account.nodes.email}"
}

resource "google_container_cluster" "this" {
  #checkov:skip=CKV_GCP_66:binary authorization needs an attestor per organisation; images are pinned by immutable tag
  #checkov:skip=CKV_GCP_21:resource_labels come from var.tags; every root passes platform, environment and managed-by
  #checkov:skip=CKV_GCP_12:network policy is enforced by GKE Dataplane V2 (ADVANCED_DATAPATH)
  #checkov:skip=CKV_GCP_65:Google Groups for RBAC needs a Workspace domain
  name                        = var.name
  project                     = var.project_id
  location                    = var.region
  network                     = var.network_id
  subnetwork                  = var.subnet_id
  min_master_version          = var.kubernetes_version
  remove_default_node_pool    = true
  initial_node_count          = 1
  deletion_protection         = var.deletion_protection
  enable_shielded_nodes       = true
  enable_intranode_visibility = true
  datapath_provider           = "ADVANCED_DATAPATH"
  resource_labels             = var.tags

  workload_identity_config {
    workload_pool = "${var.project_id}.svc.id.goog"
  }

  ip_allocation_policy {
    cluster_secondary_range_name  = "pods"
    services_secondary_range_name = "services"
  }

  private_cluster_config {
    enable_private_nodes    = true
    enable_private_endpoint = true
    master_ipv4_cidr_block  = "172.16.0.0/28"
  }

  master_authorized_networks_config {
    cidr_blocks {
      cidr_block   = var.cidr
      display_name = "the environment's network"
    }
  }

  master_auth {
    client_certificate_config {
      issue_client_certificate = false
    }
  }

  release_channel {
    channel = "REGULAR"
  }

  node_config {
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]

    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }
  }
}

resource "google_container_node_pool" "this" {
  for_each = var.node_pools
  name     = each.key
  project  = var.project_id
  location = var.region
  cluster  = google_container_cluster.this.name

  # Totals over the region's zones: min_node_count/max_node_count are per zone, so a
  # regional pool would multiply the request by the zone count.
  # https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/container_node_pool#total_min_node_count
  autoscaling {
    total_min_node_count = each.value.min
    total_max_node_count = each.value.max
  }

  management {
    auto_repair  = true
    auto_upgrade = true
  }

  node_config {
    machine_type    = each.value.vm_size
    labels          = each.value.labels
    resource_labels = var.tags
    service_account = google_service_account.nodes.email
    oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    image_type      = "COS_CONTAINERD"

    workload_metadata_config {
      mode = "GKE_METADATA"
    }

    shielded_instance_config {
      enable_secure_boot          = true
      enable_integrity_monitoring = true
    }
  }
}
