output "name" {
  description = "The AKS cluster."
  value       = azurerm_kubernetes_cluster.this.name
}

output "oidc_issuer_url" {
  description = "The issuer that workload identity federated credentials trust."
  value       = azurerm_kubernetes_cluster.this.oidc_issuer_url
}
