//! Secrets stay out of the repository: `config` carries no passwords or keys, and a
//! secret reference names its environment's store.

use super::RuleCtx;
use crate::diagnostic::{Code, Diagnostic};
use crate::spec::{Field, SpecService};

/// Config keys that name a secret; their values belong in the secret store.
const SECRET_WORDS: [&str; 8] = [
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "CREDENTIAL",
];

pub fn check(ctx: &RuleCtx) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for service in ctx.spec.registry_services.values() {
        out.extend(literal_config(service));
    }
    for env in &ctx.spec.environments {
        let store = env.spec.secret_store.get().and_then(|s| s.kind.get());
        for service in env.services.values() {
            out.extend(literal_config(service));
            let Some(store) = store else { continue };
            let store = store.as_str();
            for (key, entry) in service.layer.secrets.get().into_iter().flatten() {
                let Some(used) = entry.get().and_then(|e| e.store.spanned()) else {
                    continue;
                };
                let name = used.value.as_str();
                if name != store {
                    out.push(
                            Diagnostic::error(Code::SecretStoreMismatch, used.pos, format!("secret `{key}` of `{}` reads from `{name}`, but environment `{}` uses `{store}`", service.name, env.name))
                                .with_help(format!("use `store: {store}` (override the secret in environments/{}.yaml if stores differ per environment)", env.name)),
                        );
                }
            }
        }
    }
    out
}

fn literal_config(service: &SpecService) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (key, value) in service.layer.config.get().into_iter().flatten() {
        let upper = key.to_ascii_uppercase();
        let (empty, pos) = match value {
            Field::Absent => continue,
            Field::Set(s) => (s.value.is_empty(), s.pos),
            Field::Invalid(s) => (false, s.pos),
        };
        if !empty && SECRET_WORDS.iter().any(|w| upper.contains(w)) {
            out.push(
                Diagnostic::error(Code::LiteralSecret, pos, format!("`config.{key}` of `{}` looks like a secret written in the repository", service.name))
                    .with_label("a literal value")
                    .with_help(format!("move it under `secrets:` as a reference: `{key}: {{store: <type>, path: <secret>, key: <property>}}`")),
            );
        }
    }
    out
}
