resource "random_password" "admin" {
  length      = 32
  special     = false
  min_upper   = 1
  min_lower   = 1
  min_numeric = 1
}

resource "azurerm_mssql_server" "this" {
  #checkov:skip=CKV_AZURE_23:auditing goes to the organisation's central Log Analytics workspace, configured by policy
  #checkov:skip=CKV_AZURE_24:auditing retention is set on the central workspace
  #checkov:skip=CKV2_AZURE_2:vulnerability assessment needs a storage account per server; Defender is enabled by policy
  #checkov:skip=CKV2_AZURE_27:Entra-only authentication would need a group per service; the admin login stays in the secret store
  name                          = var.name
  resource_group_name           = var.resource_group_name
  location                      = var.location
  version                       = "12.0"
  administrator_login           = "app_admin"
  administrator_login_password  = random_password.admin.result
  minimum_tls_version           = "1.2"
  public_network_access_enabled = false
  tags                          = var.tags
}

resource "azurerm_mssql_database" "app" {
  #checkov:skip=CKV_AZURE_229:zone redundancy follows the resource's highAvailability
  #checkov:skip=CKV_AZURE_224:ledger is an application decision
  name                                = "app"
  server_id                           = azurerm_mssql_server.this.id
  sku_name                            = var.sku
  max_size_gb                         = var.storage_gb
  zone_redundant                      = var.high_availability
  transparent_data_encryption_enabled = true
  tags                                = var.tags

  short_term_retention_policy {
    retention_days = var.backup_retention_days
  }
}

resource "azurerm_private_endpoint" "this" {
  name                = "${var.name}-pe"
  location            = var.location
  resource_group_name = var.resource_group_name
  subnet_id           = var.subnet_id
  tags                = var.tags

  private_service_connection {
    name                           = "${var.name}-psc"
    private_connection_resource_id = azurerm_mssql_server.this.id
    subresource_names              = ["sqlServer"]
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
  scope      = azurerm_mssql_server.this.id
  lock_level = "CanNotDelete"
  notes      = "Deletion protection set by infrac for this environment."
}

locals {
  id = azurerm_mssql_server.this.id
  connection = {
    host     = azurerm_mssql_server.this.fully_qualified_domain_name
    port     = 1433
    database = azurerm_mssql_database.app.name
    username = "app_admin"
    password = random_password.admin.result
    url      = "sqlserver://${azurerm_mssql_server.this.fully_qualified_domain_name}:1433;database=app;user=app_admin;password=${random_password.admin.result};encrypt=true"
  }
}
