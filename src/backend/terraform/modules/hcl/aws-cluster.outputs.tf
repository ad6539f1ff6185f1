output "name" {
  description = "The EKS cluster."
  value       = aws_eks_cluster.this.name
}

output "endpoint" {
  description = "The Kubernetes API endpoint (private)."
  value       = aws_eks_cluster.this.endpoint
}

output "oidc_provider_arn" {
  description = "The IAM OIDC provider that IRSA roles trust."
  value       = aws_iam_openid_connect_provider.this.arn
}

output "oidc_issuer" {
  description = "The cluster's OIDC issuer, without https://."
  value       = replace(aws_eks_cluster.this.identity[0].oidc[0].issuer, "https://", "")
}

output "ca_certificate" {
  description = "The cluster CA certificate, PEM."
  value       = base64decode(aws_eks_cluster.this.certificate_authority[0].data)
}
