output "name" {
  description = "The GKE cluster."
  value       = google_container_cluster.this.name
}

output "workload_pool" {
  description = "The workload identity pool Kubernetes service accounts federate through."
  value       = "${var.project_id}.svc.id.goog"
}
