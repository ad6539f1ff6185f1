output "name" {
  description = "The AKS cluster."
  value       = azurerm_kubernetes_cluster.this.name
}

output "oidc_issuer_url" {
  description = "The issuer that workload identity federated credentials trust."
  value       = azurerm_kubernetes_cluster.this.oidc_issuer_url
}

output "endpoint" {
  description = "The Kubernetes API endpoint."
  value       = azurerm_kubernetes_cluster.this.kube_config[0].host
  sensitive   = true
}

output "ca_certificate" {
  description = "The cluster CA certificate, PEM."
  value       = base64decode(azurerm_kubernetes_cluster.this.kube_config[0].cluster_ca_certificate)
  sensitive   = true
}

output "kubelet_object_id" {
  description = "The kubelet identity, which pulls the images."
  value       = azurerm_kubernetes_cluster.this.kubelet_identity[0].object_id
}
