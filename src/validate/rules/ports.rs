//! Ports: unique names and numbers per service; health checks name a declared port.

use super::{RuleCtx, int};
use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::load::yaml::Node;
use crate::merge::MergedService;

pub fn check(ctx: &RuleCtx) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let envs = ctx
        .merged
        .environments
        .iter()
        .flat_map(|e| e.services.values());
    for service in ctx.merged.registry_services.values().chain(envs) {
        out.extend(check_service(service));
    }
    out
}

fn check_service(service: &MergedService) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let ports = service
        .node
        .get("ports")
        .and_then(Node::as_seq)
        .unwrap_or(&[]);
    let mut names: Vec<&str> = Vec::new();
    let mut numbers: Vec<i64> = Vec::new();
    for port in ports {
        if let Some(name_node) = port.get("name")
            && let Some(name) = name_node.as_str()
        {
            if names.contains(&name) {
                out.push(Diagnostic::error(
                    Code::DuplicatePort,
                    name_node.pos,
                    format!("service `{}` has two ports named `{name}`", service.name),
                ));
            }
            names.push(name);
        }
        if let Some(number) = int(port.get("port")) {
            if numbers.contains(&number) {
                let pos = port.get("port").map_or(port.pos, |n| n.pos);
                out.push(
                    Diagnostic::error(
                        Code::DuplicatePort,
                        pos,
                        format!("service `{}` uses port {number} twice", service.name),
                    )
                    .with_help("give each port its own number"),
                );
            }
            numbers.push(number);
        }
    }
    for probe in ["readiness", "liveness", "startup"] {
        let Some(port) = service
            .node
            .get("healthCheck")
            .and_then(|h| h.get(probe))
            .and_then(|p| p.get("port"))
        else {
            continue;
        };
        let Some(name) = port.as_str() else { continue };
        if !names.contains(&name) {
            let mut d = Diagnostic::error(
                Code::UnknownPort,
                port.pos,
                format!(
                    "the {probe} probe of `{}` names port `{name}`, which the service does not declare",
                    service.name
                ),
            );
            d = match did_you_mean(name, names.iter().copied()) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(format!(
                    "declared ports: {}",
                    if names.is_empty() {
                        "none".to_owned()
                    } else {
                        names.join(", ")
                    }
                )),
            };
            out.push(d);
        }
    }
    out
}
