output "id" {
  description = "Cloud id of the resource, for access grants."
  value       = local.id
}

output "bootstrap_servers" {
  description = "Connection detail for the secret store."
  value       = local.connection.bootstrap_servers
}

output "username" {
  description = "Connection detail for the secret store."
  value       = local.connection.username
}

output "password" {
  description = "Connection detail for the secret store."
  value       = local.connection.password
  sensitive   = true
}
