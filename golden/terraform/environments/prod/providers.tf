provider "azurerm" {
  storage_use_azuread = true

  features {}
}
