variable "name" {
  description = "Name of the resource, within the cloud's naming limits."
  type        = string
}

variable "tags" {
  description = "Tags (labels on GCP) for every resource."
  type        = map(string)
}

variable "engine_version" {
  description = "Engine version."
  type        = string
  default     = null
}

variable "sku" {
  description = "The cloud's own size name."
  type        = string
}

variable "storage_gb" {
  description = "Storage in GB."
  type        = number
}

variable "backup_retention_days" {
  description = "Days backups are kept."
  type        = number
}

variable "high_availability" {
  description = "Zone-redundant / multi-AZ deployment."
  type        = bool
}

variable "deletion_protection" {
  description = "Refuse deletion (protected environments)."
  type        = bool
}

variable "brokers" {
  description = "Kafka brokers (throughput units on Event Hubs)."
  type        = number
  default     = 3
}

variable "nodes" {
  description = "Search nodes."
  type        = number
  default     = 1
}

variable "topics" {
  description = "Kafka topics created with the resource."
  type        = list(string)
  default     = []
}

variable "resource_group_name" {
  description = "The environment's resource group."
  type        = string
}

variable "location" {
  description = "Azure region."
  type        = string
}

variable "subnet_id" {
  description = "Subnet of the private endpoint."
  type        = string
}

variable "private_dns_zone_id" {
  description = "Private DNS zone of the endpoint."
  type        = string
}
