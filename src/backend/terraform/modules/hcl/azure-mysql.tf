resource "random_password" "admin" {
  length  = 32
  special = false
}

resource "azurerm_mysql_flexible_server" "this" {
  #checkov:skip=CKV_AZURE_94:geo-redundant backups follow the resource's highAvailability
  #checkov:skip=CKV_AZURE_53:public access is disabled with public_network_access = "Disabled" (the check reads an older argument)
  name                         = var.name
  resource_group_name          = var.resource_group_name
  location                     = var.location
  version                      = var.engine_version
  sku_name                     = var.sku
  administrator_login          = "app_admin"
  administrator_password       = random_password.admin.result
  backup_retention_days        = var.backup_retention_days
  geo_redundant_backup_enabled = var.high_availability
  public_network_access        = "Disabled"
  zone                         = "1"
  tags                         = var.tags

  storage {
    size_gb           = var.storage_gb
    auto_grow_enabled = true
  }

  dynamic "high_availability" {
    for_each = var.high_availability ? ["ZoneRedundant"] : []
    content {
      mode                      = high_availability.value
      standby_availability_zone = "2"
    }
  }
}

resource "azurerm_mysql_flexible_server_configuration" "tls" {
  name                = "require_secure_transport"
  resource_group_name = var.resource_group_name
  server_name         = azurerm_mysql_flexible_server.this.name
  value               = "ON"
}

resource "azurerm_mysql_flexible_database" "app" {
  name                = "app"
  resource_group_name = var.resource_group_name
  server_name         = azurerm_mysql_flexible_server.this.name
  charset             = "utf8mb4"
  collation           = "utf8mb4_unicode_ci"
}

resource "azurerm_private_endpoint" "this" {
  name                = "${var.name}-pe"
  location            = var.location
  resource_group_name = var.resource_group_name
  subnet_id           = var.subnet_id
  tags                = var.tags

  private_service_connection {
    name                           = "${var.name}-psc"
    private_connection_resource_id = azurerm_mysql_flexible_server.this.id
    subresource_names              = ["mysqlServer"]
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
  scope      = azurerm_mysql_flexible_server.this.id
  lock_level = "CanNotDelete"
  notes      = "Deletion protection set by infrac for this environment."
}

locals {
  id = azurerm_mysql_flexible_server.this.id
  connection = {
    host     = azurerm_mysql_flexible_server.this.fqdn
    port     = 3306
    database = azurerm_mysql_flexible_database.app.name
    username = "app_admin"
    password = random_password.admin.result
    url      = "mysql://app_admin:${random_password.admin.result}@${azurerm_mysql_flexible_server.this.fqdn}:3306/app?ssl-mode=REQUIRED"
  }
}
