output "vnet_id" {
  description = "The virtual network."
  value       = azurerm_virtual_network.this.id
}

output "nodes_subnet_id" {
  description = "The subnet of the AKS nodes."
  value       = azurerm_subnet.nodes.id
}

output "endpoints_subnet_id" {
  description = "The subnet of the data services' private endpoints."
  value       = azurerm_subnet.endpoints.id
}

output "private_dns_zone_ids" {
  description = "Private DNS zone per backing resource type."
  value       = { for kind, zone in azurerm_private_dns_zone.this : kind => zone.id }
}
