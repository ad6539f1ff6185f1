//! Ports: unique names and numbers per service; health checks name a declared port.

use super::{RuleCtx, items};
use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::spec::SpecService;

pub fn check(ctx: &RuleCtx) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for service in ctx.every_service() {
        out.extend(check_service(service));
    }
    out
}

fn check_service(service: &SpecService) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    let mut numbers: Vec<u16> = Vec::new();
    for (port, _) in items(&service.layer.ports) {
        if let Some(name_node) = port.name.spanned() {
            let name = name_node.as_str();
            if names.contains(&name) {
                out.push(Diagnostic::error(
                    Code::DuplicatePort,
                    name_node.pos,
                    format!("service `{}` has two ports named `{name}`", service.name),
                ));
            }
            names.push(name);
        }
        if let Some(number) = port.port.spanned() {
            let (number, pos) = (number.value, number.pos);
            if numbers.contains(&number) {
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
    let Some(health) = service.layer.health_check.get() else {
        return out;
    };
    for (probe, field) in health.probes() {
        let Some(port) = field.get().and_then(|p| p.port.spanned()) else {
            continue;
        };
        let name = port.as_str();
        if !names.contains(&name) {
            let d = Diagnostic::error(
                Code::UnknownPort,
                port.pos,
                format!(
                    "the {probe} probe of `{}` names port `{name}`, which the service does not declare",
                    service.name
                ),
            );
            out.push(with_port_help(d, name, &names));
        }
    }
    out
}

/// The help of an unknown port name: the nearest declared name, or the declared names.
pub(super) fn with_port_help(d: Diagnostic, name: &str, names: &[&str]) -> Diagnostic {
    match did_you_mean(name, names.iter().copied()) {
        Some(s) => d.with_help(format!("did you mean `{s}`?")),
        None => d.with_help(format!(
            "declared ports: {}",
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        )),
    }
}
