//! Fields every service needs, checked on the merged service (any layer may set them) and
//! reported at the service's key in the registry.

use super::RuleCtx;
use crate::diagnostic::{Code, Diagnostic};
use crate::spec::{Field, ServiceLayer, SpecService};

/// Each required field with how to tell whether the merged service writes it (readable or
/// not: a value of the wrong type is the schema's to report, not a missing field).
type Written = fn(&ServiceLayer) -> bool;

const REQUIRED: [(&str, Written); 12] = [
    ("team", |s| s.team.is_present()),
    ("namespace", |s| s.namespace.is_present()),
    ("image", |s| s.image.is_present()),
    ("build.language", |s| {
        inner(&s.build, |b| b.language.is_present())
    }),
    ("build.context", |s| {
        inner(&s.build, |b| b.context.is_present())
    }),
    ("replicas.min", |s| {
        inner(&s.replicas, |r| r.min.is_present())
    }),
    ("replicas.max", |s| {
        inner(&s.replicas, |r| r.max.is_present())
    }),
    ("resources.requests.cpu", |s| {
        inner(&s.resources, |r| inner(&r.requests, |q| q.cpu.is_present()))
    }),
    ("resources.requests.memory", |s| {
        inner(&s.resources, |r| {
            inner(&r.requests, |q| q.memory.is_present())
        })
    }),
    ("resources.limits.cpu", |s| {
        inner(&s.resources, |r| inner(&r.limits, |q| q.cpu.is_present()))
    }),
    ("resources.limits.memory", |s| {
        inner(&s.resources, |r| {
            inner(&r.limits, |q| q.memory.is_present())
        })
    }),
    ("ports", |s| s.ports.is_present()),
];

/// Whether `field` is readable and `f` holds of it.
fn inner<T>(field: &Field<T>, f: impl Fn(&T) -> bool) -> bool {
    field.get().is_some_and(f)
}

pub fn check(ctx: &RuleCtx) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // What the registry already lacks, per service: reported there, once, and not again for
    // each environment.
    let mut known: std::collections::BTreeMap<&str, Vec<&'static str>> = Default::default();
    for service in ctx.spec.registry_services.values() {
        let lacks = absent(service);
        out.extend(missing(service, None, &lacks, &[]));
        known.insert(&service.name, lacks);
    }
    for env in &ctx.spec.environments {
        for service in env.services.values() {
            let known = known
                .get(service.name.as_str())
                .map_or(&[][..], Vec::as_slice);
            out.extend(missing(service, Some(&env.name), &absent(service), known));
        }
    }
    out
}

fn absent(service: &SpecService) -> Vec<&'static str> {
    let layer = &service.layer;
    REQUIRED
        .iter()
        .filter(|(_, written)| !written(layer))
        .map(|(path, _)| *path)
        .filter(|path| {
            *path != "ports" || layer.health_check.is_present() || layer.expose.is_present()
        })
        .collect()
}

/// The diagnostic for the fields in `absent` that `known` does not already report.
fn missing(
    service: &SpecService,
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
