variable "name" {
  description = "Name of the resource, within the cloud's naming limits."
  type        = string
}

variable "tags" {
  description = "Tags (labels on GCP) for every resource."
  type        = map(string)
}

variable "kubernetes_version" {
  description = "Kubernetes minor version; null leaves it to the cloud's default."
  type        = string
  default     = null
}

variable "node_pools" {
  description = "Autoscaled node pools by name."
  type        = map(object({ vm_size = string, min = number, max = number, labels = map(string) }))
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
  description = "Subnet of the nodes."
  type        = string
}

variable "system_pool" {
  description = "The default (system) node pool."
  type = object({
    name    = string
    vm_size = string
    min     = number
    max     = number
    labels  = map(string)
  })
}
