//! An environment's own settings (SPEC "Version 2 additions"): the secret store's address
//! where the store needs one and nowhere else; a warning where a protected environment
//! leaves its Kubernetes version to the cloud.

use super::RuleCtx;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Approval, SecretStoreKind};
use crate::spec::SpecEnv;

pub fn check(ctx: &RuleCtx) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for env in &ctx.spec.environments {
        out.extend(secret_store_address(env));
        out.extend(unpinned_version(env));
    }
    out
}

fn secret_store_address(env: &SpecEnv) -> Option<Diagnostic> {
    let field = &env.spec.secret_store;
    let store = field.spanned()?;
    let kind = *store.value.kind.get()?;
    let address = &store.value.address;
    match kind {
        SecretStoreKind::Vault | SecretStoreKind::Infisical if !address.is_present() => Some(
            Diagnostic::error(
                Code::SecretStoreAddress,
                store.key_pos,
                format!(
                    "the `{}` secret store of environment `{}` has no `address`",
                    kind.as_str(),
                    env.name
                ),
            )
            .with_label("no server URL")
            .with_help(format!(
                "add the store's server URL under `secretStore` in environments/{}.yaml, e.g. `address: \"https://vault.example.com:8200\"`",
                env.name
            )),
        ),
        SecretStoreKind::AwsSecretsManager
        | SecretStoreKind::AzureKeyVault
        | SecretStoreKind::GcpSecretManager => {
            let pos = address.pos()?;
            Some(
                Diagnostic::error(
                    Code::SecretStoreAddress,
                    pos,
                    format!(
                        "`secretStore.address` does not apply to `{}` (environment `{}`)",
                        kind.as_str(),
                        env.name
                    ),
                )
                .with_label("not used by a cloud store")
                .with_help("remove `address`: a cloud store is reached through the cloud's own endpoint"),
            )
        }
        SecretStoreKind::Vault | SecretStoreKind::Infisical => None,
    }
}

fn unpinned_version(env: &SpecEnv) -> Option<Diagnostic> {
    let cluster = env.spec.cluster.spanned()?;
    if cluster.value.version.is_present() {
        return None;
    }
    let approval = env
        .spec
        .promotion
        .get()
        .and_then(|p| p.approval.get())
        .copied();
    let reason = if approval == Some(Approval::Required) {
        "needs approval"
    } else if env.name == "prod" {
        "is production"
    } else {
        return None;
    };
    Some(
        Diagnostic::warning(
            Code::UnpinnedClusterVersion,
            cluster.key_pos,
            format!(
                "environment `{}` {reason} but does not pin `cluster.version`: the cloud's default Kubernetes version applies",
                env.name
            ),
        )
        .with_label("no `version`")
        .with_help("pin the version this environment was tested with, e.g. `version: \"1.31\"` under `cluster`"),
    )
}
