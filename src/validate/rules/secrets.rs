//! Secrets stay out of the repository: `config` carries no passwords or keys, and a
//! secret reference names its environment's store.

use super::RuleCtx;
use crate::diagnostic::{Code, Diagnostic};
use crate::load::yaml::Node;
use crate::merge::MergedService;

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
    for service in ctx.merged.registry_services.values() {
        out.extend(literal_config(service));
    }
    for env in &ctx.merged.environments {
        let store = env
            .node
            .get("secretStore")
            .and_then(|s| s.get("type"))
            .and_then(Node::as_str);
        for service in env.services.values() {
            out.extend(literal_config(service));
            let Some(store) = store else { continue };
            for (key, entry) in service
                .node
                .get("secrets")
                .and_then(Node::as_map)
                .into_iter()
                .flatten()
            {
                let Some(used) = entry.value.get("store") else {
                    continue;
                };
                if let Some(name) = used.as_str()
                    && name != store
                {
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

fn literal_config(service: &MergedService) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (key, entry) in service
        .node
        .get("config")
        .and_then(Node::as_map)
        .into_iter()
        .flatten()
    {
        let upper = key.to_ascii_uppercase();
        let empty = entry.value.as_str().is_some_and(str::is_empty) || entry.value.is_null();
        if !empty && SECRET_WORDS.iter().any(|w| upper.contains(w)) {
            out.push(
                Diagnostic::error(Code::LiteralSecret, entry.value.pos, format!("`config.{key}` of `{}` looks like a secret written in the repository", service.name))
                    .with_label("a literal value")
                    .with_help(format!("move it under `secrets:` as a reference: `{key}: {{store: <type>, path: <secret>, key: <property>}}`")),
            );
        }
    }
    out
}
