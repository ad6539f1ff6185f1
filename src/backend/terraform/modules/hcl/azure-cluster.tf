resource "azurerm_kubernetes_cluster" "this" {
  #checkov:skip=CKV_AZURE_4:container insights go to the organisation's central Log Analytics workspace, configured by policy
  #checkov:skip=CKV_AZURE_117:disk encryption sets need a per-cluster Key Vault key; disks are encrypted with platform keys
  #checkov:skip=CKV_AZURE_226:ephemeral OS disks depend on the VM size chosen per node pool
  #checkov:skip=CKV_AZURE_227:host encryption needs a subscription feature registration
  name                      = var.name
  resource_group_name       = var.resource_group_name
  location                  = var.location
  dns_prefix                = var.name
  kubernetes_version        = var.kubernetes_version
  sku_tier                  = "Standard"
  automatic_upgrade_channel = "patch"
  oidc_issuer_enabled       = true
  workload_identity_enabled = true
  local_account_disabled    = true
  azure_policy_enabled      = true
  private_cluster_enabled   = true
  tags                      = var.tags

  default_node_pool {
    name                         = var.system_pool.name
    vm_size                      = var.system_pool.vm_size
    auto_scaling_enabled         = true
    min_count                    = var.system_pool.min
    max_count                    = var.system_pool.max
    max_pods                     = 50
    vnet_subnet_id               = var.subnet_id
    node_labels                  = var.system_pool.labels
    only_critical_addons_enabled = length(var.node_pools) > 0
    tags                         = var.tags

    upgrade_settings {
      max_surge = "10%"
    }
  }

  identity {
    type = "SystemAssigned"
  }

  azure_active_directory_role_based_access_control {
    azure_rbac_enabled = true
  }

  key_vault_secrets_provider {
    secret_rotation_enabled = true
  }

  network_profile {
    network_plugin = "azure"
    network_policy = "azure"
  }
}

resource "azurerm_kubernetes_cluster_node_pool" "this" {
  #checkov:skip=CKV_AZURE_227:host encryption needs a subscription feature registration
  for_each              = var.node_pools
  name                  = each.key
  kubernetes_cluster_id = azurerm_kubernetes_cluster.this.id
  vm_size               = each.value.vm_size
  auto_scaling_enabled  = true
  min_count             = each.value.min
  max_count             = each.value.max
  max_pods              = 50
  vnet_subnet_id        = var.subnet_id
  node_labels           = each.value.labels
  tags                  = var.tags
}
