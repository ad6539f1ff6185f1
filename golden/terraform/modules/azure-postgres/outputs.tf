output "id" {
  description = "Cloud id of the resource, for access grants."
  value       = local.id
}

output "host" {
  description = "Connection detail for the secret store."
  value       = local.connection.host
}

output "port" {
  description = "Connection detail for the secret store."
  value       = local.connection.port
}

output "database" {
  description = "Connection detail for the secret store."
  value       = local.connection.database
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

output "url" {
  description = "Connection detail for the secret store."
  value       = local.connection.url
  sensitive   = true
}
