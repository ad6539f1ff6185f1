//! Cloud naming and sizing rules that would otherwise fail only at `terraform apply`, each
//! reported on the field that causes it.

use super::RuleCtx;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Approval, CloudProvider, InfraType, SecretStoreKind};
use crate::spec::SpecEnv;

pub fn check(ctx: &RuleCtx) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for env in &ctx.spec.environments {
        out.extend(key_vault_name(env));
        out.extend(private_services_range(env));
        out.extend(opensearch_zone_nodes(env));
    }
    out
}

/// Whether the environment is protected (the Terraform target's default for
/// `highAvailability`): named prod, or promoted into with a required approval.
fn protected(env: &SpecEnv) -> bool {
    env.name == "prod"
        || env
            .spec
            .promotion
            .get()
            .and_then(|p| p.approval.get())
            .is_some_and(|a| *a == Approval::Required)
}

fn provider(env: &SpecEnv) -> Option<CloudProvider> {
    env.spec.cloud.get().and_then(|c| c.provider.get()).copied()
}

/// Key Vault names: 3–24 characters, letters, digits and dashes, starting with a letter,
/// ending with a letter or digit, no two dashes in a row.
/// <https://learn.microsoft.com/en-us/azure/key-vault/general/about-keys-secrets-certificates#vault-name-and-object-name>
pub fn is_key_vault_name(name: &str) -> bool {
    let b = name.as_bytes();
    (3..=24).contains(&b.len())
        && b[0].is_ascii_alphabetic()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && !name.contains("--")
}

fn key_vault_name(env: &SpecEnv) -> Option<Diagnostic> {
    let store = env.spec.secret_store.get()?;
    if *store.kind.get()? != SecretStoreKind::AzureKeyVault {
        return None;
    }
    let name = store.name.spanned()?;
    if is_key_vault_name(&name.value) {
        return None;
    }
    Some(
        Diagnostic::error(
            Code::KeyVaultName,
            name.pos,
            format!(
                "`{}` is not a valid Key Vault name (environment `{}`)",
                name.value, env.name
            ),
        )
        .with_label(format!("{} characters", name.value.len()))
        .with_help(
            "use 3 to 24 letters, digits and single dashes, starting with a letter and ending with a letter or digit",
        ),
    )
}

/// The GCP network module carves the private-services range as `cidrsubnet(cidr, 4, 2)`;
/// Google needs that range to be a /24 or larger.
/// <https://cloud.google.com/vpc/docs/configure-private-services-access#allocating-range>
fn private_services_range(env: &SpecEnv) -> Option<Diagnostic> {
    if provider(env)? != CloudProvider::Gcp {
        return None;
    }
    let cidr = env.spec.network.get()?.cidr.spanned()?;
    let prefix: u32 = cidr.value.rsplit_once('/')?.1.parse().ok()?;
    if prefix <= 20 {
        return None;
    }
    Some(
        Diagnostic::error(
            Code::PrivateServicesRange,
            cidr.pos,
            format!(
                "network `{}` of environment `{}` leaves a private-services range of /{} (GCP needs at least a /24)",
                cidr.value,
                env.name,
                prefix + 4
            ),
        )
        .with_label("smaller than a /20")
        .with_help("use a /20 or larger network, e.g. `cidr: 10.10.0.0/16`"),
    )
}

/// AWS OpenSearch with zone awareness over two zones (what `highAvailability` provisions)
/// needs an even instance count.
/// <https://docs.aws.amazon.com/opensearch-service/latest/developerguide/managedomains-multiaz.html>
fn opensearch_zone_nodes(env: &SpecEnv) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if provider(env) != Some(CloudProvider::Aws) {
        return out;
    }
    for service in env.services.values() {
        for (name, entry) in service.layer.infra.get().into_iter().flatten() {
            let Some(entry) = entry.get() else { continue };
            if entry.kind.get() != Some(&InfraType::Elasticsearch) {
                continue;
            }
            let ha = entry
                .high_availability
                .get()
                .copied()
                .unwrap_or_else(|| protected(env));
            let Some(nodes) = entry.nodes.spanned() else {
                continue;
            };
            if !ha || nodes.value % 2 == 0 {
                continue;
            }
            out.push(
                Diagnostic::error(
                    Code::OpenSearchZoneNodes,
                    nodes.pos,
                    format!(
                        "`{}` of `{}` in `{}` spans two Availability Zones with {} nodes, an odd count",
                        name.as_str(),
                        service.name,
                        env.name,
                        nodes.value
                    ),
                )
                .with_label("odd node count")
                .with_help(format!(
                    "use an even count such as `nodes: {}`, or `highAvailability: false`",
                    nodes.value + 1
                )),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::is_key_vault_name;

    #[test]
    fn key_vault_names() {
        assert!(is_key_vault_name("shop-prod-kv"));
        assert!(!is_key_vault_name("payments-platform-production-kv"));
        assert!(!is_key_vault_name("kv"));
        assert!(!is_key_vault_name("1shop"));
        assert!(!is_key_vault_name("shop--kv"));
        assert!(!is_key_vault_name("shop-kv-"));
    }
}
