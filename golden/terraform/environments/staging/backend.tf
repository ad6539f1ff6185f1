terraform {
  backend "azurerm" {
    container_name       = "tfstate"
    key                  = "staging.tfstate"
    resource_group_name  = "terraform-state-rg"
    storage_account_name = "paymentsenginestate"
  }
}
