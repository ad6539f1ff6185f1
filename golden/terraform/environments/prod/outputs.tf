output "network" {
  description = "The network the cells share: every output of module.network, read by each cell in this region through terraform_remote_state."
  value       = module.network
}
