variable "name" {
  description = "Name of the resource, within the cloud's naming limits."
  type        = string
}

variable "tags" {
  description = "Tags (labels on GCP) for every resource."
  type        = map(string)
}

variable "cidr" {
  description = "IPv4 CIDR of the environment's network."
  type        = string
}

variable "resource_group_name" {
  description = "The environment's resource group."
  type        = string
}

variable "location" {
  description = "Azure region."
  type        = string
}
