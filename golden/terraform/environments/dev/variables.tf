variable "location" {
  description = "Azure region."
  type        = string
  default     = "southafricanorth"
}

variable "key_vault_name" {
  description = "The Key Vault the ClusterSecretStore reads."
  type        = string
  default     = "payments-dev-kv"
}

variable "key_vault_resource_group_name" {
  description = "Resource group of that Key Vault."
  type        = string
}

variable "ci_principal" {
  description = "Object id of the principal CI pushes images as; it gets AcrPush on the registry."
  type        = string
}
