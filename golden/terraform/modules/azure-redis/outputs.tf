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
