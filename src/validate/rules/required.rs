//! Fields every service needs, checked on the merged service (any layer may set them) and
//! reported at the service's key in the registry.

use super::RuleCtx;
use crate::diagnostic::{Code, Diagnostic};
use crate::load::yaml::Node;
use crate::merge::MergedService;

const REQUIRED: [&str; 12] = [
    "team",
    "namespace",
    "image",
    "build.language",
    "build.context",
    "replicas.min",
    "replicas.max",
    "resources.requests.cpu",
    "resources.requests.memory",
    "resources.limits.cpu",
    "resources.limits.memory",
    "ports",
];

pub fn check(ctx: &RuleCtx) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // What the registry already lacks, per service: reported there, once, and not again for
    // each environment.
    let mut known: std::collections::BTreeMap<&str, Vec<&'static str>> = Default::default();
    for service in ctx.merged.registry_services.values() {
        let lacks = absent(service);
        out.extend(missing(service, None, &lacks, &[]));
        known.insert(&service.name, lacks);
    }
    for env in &ctx.merged.environments {
        for service in env.services.values() {
            let known = known
                .get(service.name.as_str())
                .map_or(&[][..], Vec::as_slice);
            out.extend(missing(service, Some(&env.name), &absent(service), known));
        }
    }
    out
}

fn absent(service: &MergedService) -> Vec<&'static str> {
    REQUIRED
        .iter()
        .copied()
        .filter(|path| lookup(&service.node, path).is_none())
        .filter(|path| {
            *path != "ports"
                || service.node.get("healthCheck").is_some()
                || service.node.get("expose").is_some()
        })
        .collect()
}

/// The diagnostic for the fields in `absent` that `known` does not already report.
fn missing(
    service: &MergedService,
    env: Option<&str>,
    absent: &[&str],
    known: &[&str],
) -> Vec<Diagnostic> {
    let absent: Vec<&str> = absent
        .iter()
        .copied()
        .filter(|p| !known.contains(p))
        .collect();
    if absent.is_empty() {
        return Vec::new();
    }
    let list = absent
        .iter()
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let place = match env {
        Some(env) => format!(" in environment `{env}`"),
        None => String::new(),
    };
    vec![
        Diagnostic::error(Code::MissingField, service.key_pos, format!("service `{}` has no {list}{place}", service.name))
            .with_label("required after merging")
            .with_help("set it on the service, or once for every service under the registry's `defaults:` (image and build only on the service)"),
    ]
}

fn lookup<'a>(node: &'a Node, path: &str) -> Option<&'a Node> {
    path.split('.')
        .try_fold(node, |n, step| n.get(step))
        .filter(|n| !n.is_null())
}
