//! DNS-1123 names: services, environments, backing resources and ports become Kubernetes
//! objects and directories, so no name can escape the output directory.

use super::RuleCtx;
use crate::diagnostic::{Code, Diagnostic};
use crate::spec::ServiceLayer;

/// A DNS-1123 label: lowercase alphanumerics and `-`, alphanumeric at both ends, ≤ 63.
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn suggestion(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    out = out.trim_matches('-').to_owned();
    out.truncate(63);
    out
}

fn bad_name(what: &str, name: &str, pos: crate::load::yaml::Pos) -> Diagnostic {
    Diagnostic::error(
        Code::InvalidName,
        pos,
        format!("{what} `{name}` is not a DNS-1123 label"),
    )
    .with_label("lowercase letters, digits and `-`, at most 63 characters")
    .with_help(format!("use `{}`", suggestion(name)))
}

pub fn check(ctx: &RuleCtx) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let spec = ctx.spec;
    for key in spec.registry.services.get().map_or(&[][..], |k| &k.0) {
        if !is_dns_label(key.as_str()) {
            out.push(bad_name("service name", key.as_str(), key.pos));
        }
    }
    // Backing resource and port names, on each service with the registry defaults (a name
    // a default writes is reported once, at the default: the same place deduplicates).
    for service in spec.registry_services.values() {
        check_inner_names(&service.layer, &mut out);
    }
    for env in &spec.environments {
        if !is_dns_label(&env.name) {
            let pos = crate::diagnostic::Sources::file_pos(env.file);
            out.push(bad_name("environment name (the file stem)", &env.name, pos));
        }
        let suffix = env.spec.namespace_suffix.get().map_or("", String::as_str);
        for service in env.services.values() {
            let Some(ns) = service.layer.namespace.spanned() else {
                continue;
            };
            let ns_name = ns.as_str();
            let full = format!("{ns_name}{suffix}");
            if full.len() > 63 && is_dns_label(ns_name) {
                out.push(
                    Diagnostic::error(
                        Code::NameTooLong,
                        ns.pos,
                        format!(
                            "namespace `{full}` in environment `{}` is longer than 63 characters",
                            env.name
                        ),
                    )
                    .with_help("shorten the namespace or the environment's namespaceSuffix"),
                );
            }
        }
    }
    out
}

/// Backing resource names and port names inside one service.
fn check_inner_names(service: &ServiceLayer, out: &mut Vec<Diagnostic>) {
    for name in service.infra.get().into_iter().flat_map(|m| m.keys()) {
        if !is_dns_label(name.as_str()) {
            out.push(bad_name(
                "backing resource name",
                name.as_str(),
                name.key_pos,
            ));
        }
    }
    for (port, _) in super::items(&service.ports) {
        let Some(name_node) = port.name.spanned() else {
            continue;
        };
        let name = name_node.as_str();
        if !is_dns_label(name) || name.len() > 15 || !name.bytes().any(|b| b.is_ascii_lowercase()) {
            out.push(
                Diagnostic::error(Code::InvalidName, name_node.pos, format!("port name `{name}` is not a valid Kubernetes port name"))
                    .with_help("at most 15 lowercase letters, digits and `-`, with at least one letter (e.g. `http`, `grpc`, `metrics`)"),
            );
        }
    }
}
