resource "azurerm_cosmosdb_account" "this" {
  #checkov:skip=CKV_AZURE_100:data is encrypted at rest with Microsoft-managed keys; a CMK needs a per-account Key Vault key
  name                               = var.name
  resource_group_name                = var.resource_group_name
  location                           = var.location
  offer_type                         = "Standard"
  kind                               = "MongoDB"
  mongo_server_version               = var.engine_version
  public_network_access_enabled      = false
  access_key_metadata_writes_enabled = false
  automatic_failover_enabled         = var.high_availability
  minimal_tls_version                = "Tls12"
  tags                               = var.tags

  capabilities {
    name = "EnableMongo"
  }

  consistency_policy {
    consistency_level = "Session"
  }

  geo_location {
    location          = var.location
    failover_priority = 0
    zone_redundant    = var.high_availability
  }

  backup {
    type                = "Periodic"
    interval_in_minutes = 240
    retention_in_hours  = min(var.backup_retention_days * 24, 720)
    storage_redundancy  = var.high_availability ? "Zone" : "Local"
  }
}

resource "azurerm_cosmosdb_mongo_database" "app" {
  name                = "app"
  resource_group_name = var.resource_group_name
  account_name        = azurerm_cosmosdb_account.this.name
}

resource "azurerm_private_endpoint" "this" {
  name                = "${var.name}-pe"
  location            = var.location
  resource_group_name = var.resource_group_name
  subnet_id           = var.subnet_id
  tags                = var.tags

  private_service_connection {
    name                           = "${var.name}-psc"
    private_connection_resource_id = azurerm_cosmosdb_account.this.id
    subresource_names              = ["MongoDB"]
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
  scope      = azurerm_cosmosdb_account.this.id
  lock_level = "CanNotDelete"
  notes      = "Deletion protection set by infrac for this environment."
}

locals {
  id = azurerm_cosmosdb_account.this.id
  connection = {
    host     = "${azurerm_cosmosdb_account.this.name}.mongo.cosmos.azure.com"
    port     = 10255
    database = azurerm_cosmosdb_mongo_database.app.name
    username = azurerm_cosmosdb_account.this.name
    password = azurerm_cosmosdb_account.this.primary_key
    url      = azurerm_cosmosdb_account.this.primary_mongodb_connection_string
  }
}
