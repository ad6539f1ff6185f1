terraform {
  backend "azurerm" {
    container_name       = "tfstate"
    key                  = "prod-za-west-1.tfstate"
    resource_group_name  = "terraform-state-rg"
    storage_account_name = "paymentsenginestate"
  }
}
