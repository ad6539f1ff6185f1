//! Provider sources and version pins, and the `versions.tf` every root and module carries.
//!
//! The single place a provider version is written; nothing else names a registry source.

use hcl::{Block, Body};

use super::hclx::{obj, s};

/// A Terraform provider infrac generates code for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Provider {
    Aws,
    Azurerm,
    Google,
    Helm,
    Random,
    Tls,
    Vault,
    Infisical,
    Kafka,
    Rabbitmq,
}

/// The Terraform CLI versions the generated code supports.
pub const REQUIRED_VERSION: &str = ">= 1.5.0";

impl Provider {
    /// The local name used in `required_providers` and provider blocks.
    pub fn local_name(self) -> &'static str {
        match self {
            Provider::Aws => "aws",
            Provider::Azurerm => "azurerm",
            Provider::Google => "google",
            Provider::Helm => "helm",
            Provider::Random => "random",
            Provider::Tls => "tls",
            Provider::Vault => "vault",
            Provider::Infisical => "infisical",
            Provider::Kafka => "kafka",
            Provider::Rabbitmq => "rabbitmq",
        }
    }

    /// Registry source and a `~>` pin.
    pub fn source_and_version(self) -> (&'static str, &'static str) {
        match self {
            Provider::Aws => ("hashicorp/aws", "~> 5.80"),
            Provider::Azurerm => ("hashicorp/azurerm", "~> 4.30"),
            Provider::Google => ("hashicorp/google", "~> 6.20"),
            // 2.x: the `kubernetes` and `exec` blocks (3.x made them attributes).
            Provider::Helm => ("hashicorp/helm", "~> 2.17"),
            Provider::Random => ("hashicorp/random", "~> 3.6"),
            Provider::Tls => ("hashicorp/tls", "~> 4.0"),
            Provider::Vault => ("hashicorp/vault", "~> 4.5"),
            Provider::Infisical => ("infisical/infisical", "~> 0.15"),
            Provider::Kafka => ("Mongey/kafka", "~> 0.8"),
            Provider::Rabbitmq => ("cyrilgdn/rabbitmq", "~> 1.8"),
        }
    }
}

/// `terraform { required_version, required_providers }` for `providers` (sorted, deduplicated).
pub fn versions_body(providers: &[Provider]) -> Body {
    let mut providers = providers.to_vec();
    providers.sort();
    providers.dedup();
    let mut required = Block::builder("required_providers");
    for p in providers {
        let (source, version) = p.source_and_version();
        required = required.add_attribute((
            p.local_name(),
            obj([("source", s(source)), ("version", s(version))]),
        ));
    }
    Body::builder()
        .add_block(
            Block::builder("terraform")
                .add_attribute(("required_version", REQUIRED_VERSION))
                .add_block(required.build())
                .build(),
        )
        .build()
}
