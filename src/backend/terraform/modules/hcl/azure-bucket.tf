resource "azurerm_storage_account" "this" {
  #checkov:skip=CKV2_AZURE_1:data is encrypted at rest with Microsoft-managed keys (and infrastructure encryption); a CMK needs a per-account Key Vault key
  #checkov:skip=CKV_AZURE_33:the queue service is not used
  #checkov:skip=CKV_AZURE_206:replication follows the environment's high-availability setting (ZRS or LRS)
  name                              = var.name
  resource_group_name               = var.resource_group_name
  location                          = var.location
  account_tier                      = "Standard"
  account_kind                      = "StorageV2"
  account_replication_type          = var.high_availability ? "ZRS" : "LRS"
  min_tls_version                   = "TLS1_2"
  https_traffic_only_enabled        = true
  public_network_access_enabled     = false
  allow_nested_items_to_be_public   = false
  shared_access_key_enabled         = false
  infrastructure_encryption_enabled = true
  default_to_oauth_authentication   = true
  tags                              = var.tags

  blob_properties {
    versioning_enabled = true

    delete_retention_policy {
      days = var.backup_retention_days
    }

    container_delete_retention_policy {
      days = var.backup_retention_days
    }
  }

  network_rules {
    default_action = "Deny"
    bypass         = ["AzureServices"]
  }
}

resource "azurerm_storage_container" "data" {
  #checkov:skip=CKV2_AZURE_21:blob logging goes to the organisation's central workspace, configured by policy
  name                  = "data"
  storage_account_id    = azurerm_storage_account.this.id
  container_access_type = "private"
}

resource "azurerm_private_endpoint" "this" {
  name                = "${var.name}-pe"
  location            = var.location
  resource_group_name = var.resource_group_name
  subnet_id           = var.subnet_id
  tags                = var.tags

  private_service_connection {
    name                           = "${var.name}-psc"
    private_connection_resource_id = azurerm_storage_account.this.id
    subresource_names              = ["blob"]
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
  scope      = azurerm_storage_account.this.id
  lock_level = "CanNotDelete"
  notes      = "Deletion protection set by infrac for this environment."
}

locals {
  id = azurerm_storage_container.data.id
  connection = {
    name     = azurerm_storage_container.data.name
    endpoint = azurerm_storage_account.this.primary_blob_endpoint
  }
}
