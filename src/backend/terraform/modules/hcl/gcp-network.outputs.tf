output "network_id" {
  description = "The VPC network; data services peer with it through private services access."
  value       = google_compute_network.this.id
}

output "subnet_id" {
  description = "The subnet of the GKE nodes."
  value       = google_compute_subnetwork.nodes.id
}

output "private_services_connection" {
  description = "The private services access peering, for depends_on."
  value       = google_service_networking_connection.this.id
}
