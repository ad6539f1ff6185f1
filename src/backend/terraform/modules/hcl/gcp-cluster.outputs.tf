output "name" {
  description = "The GKE cluster."
  value       = google_container_cluster.this.name
}

output "workload_pool" {
  description = "The workload identity pool Kubernetes service accounts federate through."
  value       = "${var.project_id}.svc.id.goog"
}

output "endpoint" {
  description = "The Kubernetes API endpoint (private)."
  value       = "https://${google_container_cluster.this.private_cluster_config[0].private_endpoint}"
}

output "ca_certificate" {
  description = "The cluster CA certificate, PEM."
  value       = base64decode(google_container_cluster.this.master_auth[0].cluster_ca_certificate)
}

output "node_service_account_email" {
  description = "The node service account, which pulls the images."
  value       = google_service_account.nodes.email
}
