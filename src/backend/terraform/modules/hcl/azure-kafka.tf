resource "azurerm_eventhub_namespace" "this" {
  name                          = var.name
  resource_group_name           = var.resource_group_name
  location                      = var.location
  sku                           = "Standard"
  capacity                      = var.brokers
  public_network_access_enabled = false
  minimum_tls_version           = "1.2"
  local_authentication_enabled  = true
  tags                          = var.tags
}

resource "azurerm_eventhub" "topic" {
  for_each          = toset(var.topics)
  name              = each.key
  namespace_id      = azurerm_eventhub_namespace.this.id
  partition_count   = 3
  message_retention = 7
}

resource "azurerm_eventhub_namespace_authorization_rule" "app" {
  name                = "app"
  namespace_name      = azurerm_eventhub_namespace.this.name
  resource_group_name = var.resource_group_name
  listen              = true
  send                = true
  manage              = false
}

resource "azurerm_private_endpoint" "this" {
  name                = "${var.name}-pe"
  location            = var.location
  resource_group_name = var.resource_group_name
  subnet_id           = var.subnet_id
  tags                = var.tags

  private_service_connection {
    name                           = "${var.name}-psc"
    private_connection_resource_id = azurerm_eventhub_namespace.this.id
    subresource_names              = ["namespace"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = [var.private_dns_zone_id]
  }
}

resource "azurerm_management_lock" "this" {
  count      = var.deletion_protection ? 1 : 0
  name       = "${var.name}-lock"
  scope      = azurerm_eventhub_namespace.this.id
  lock_level = "CanNotDelete"
  notes      = "Deletion protection set by infrac for this environment."
}

locals {
  id = azurerm_eventhub_namespace.this.id
  connection = {
    bootstrap_servers = "${azurerm_eventhub_namespace.this.name}.servicebus.windows.net:9093"
    username          = "$ConnectionString"
    password          = azurerm_eventhub_namespace_authorization_rule.app.primary_connection_string
  }
}
