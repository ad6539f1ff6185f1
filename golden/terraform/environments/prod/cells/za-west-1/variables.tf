variable "location" {
  description = "Azure region."
  type        = string
  default     = "southafricawest"
}

variable "key_vault_name" {
  description = "The Key Vault the ClusterSecretStore reads."
  type        = string
  default     = "payments-prod-kv"
}

variable "key_vault_resource_group_name" {
  description = "Resource group of that Key Vault."
  type        = string
}

variable "container_registry_resource_group_name" {
  description = "Resource group of the platform's container registry (platform.imageRegistry), created by the first Azure environment."
  type        = string
  default     = "payments-engine-dev"
}
