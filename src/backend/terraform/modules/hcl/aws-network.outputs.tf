output "vpc_id" {
  description = "The VPC."
  value       = aws_vpc.this.id
}

output "private_subnet_ids" {
  description = "Private subnets, one per availability zone."
  value       = aws_subnet.private[*].id
}

output "cidr" {
  description = "The VPC CIDR."
  value       = aws_vpc.this.cidr_block
}
