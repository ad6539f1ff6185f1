output "cluster_name" {
  description = "The Kubernetes cluster."
  value       = module.cluster.name
}

output "postgres_endpoints" {
  description = "Endpoint of each postgres resource, by <service>-<name>."
  value       = { for key, m in module.postgres : key => m.host }
}

output "redis_endpoints" {
  description = "Endpoint of each redis resource, by <service>-<name>."
  value       = { for key, m in module.redis : key => m.host }
}

output "kafka_endpoints" {
  description = "Endpoint of each kafka resource, by <service>-<name>."
  value       = { for key, m in module.kafka : key => m.bootstrap_servers }
}

output "workload_identities" {
  description = "Client id of each service's identity; pods read it as AZURE_CLIENT_ID from the secret store."
  value       = { for key, m in azurerm_user_assigned_identity.service : key => m.client_id }
}

output "secret_operator_client_id" {
  description = "Annotate the External Secrets Operator's ServiceAccount (external-secrets/external-secrets) with azure.workload.identity/client-id set to this client id (Helm value serviceAccount.annotations at its install)."
  value       = azurerm_user_assigned_identity.secret_operator.client_id
}
