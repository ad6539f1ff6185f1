//! Sizes that cannot work: requests above limits, unparseable quantities, a minimum above
//! its maximum (replicas, node pools).

use super::{RuleCtx, int};
use crate::diagnostic::{Code, Diagnostic};
use crate::load::yaml::{Node, Value};
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
    for env in &ctx.merged.environments {
        let pools = env
            .node
            .get("cluster")
            .and_then(|c| c.get("nodePools"))
            .and_then(Node::as_map);
        for (name, pool) in pools.into_iter().flatten() {
            if let (Some(min), Some(max)) = (int(pool.value.get("min")), int(pool.value.get("max")))
                && min > max
            {
                let pos = pool.value.get("min").map_or(pool.key_pos, |n| n.pos);
                out.push(Diagnostic::error(
                    Code::MinExceedsMax,
                    pos,
                    format!("node pool `{name}` has min {min} above max {max}"),
                ));
            }
        }
    }
    out
}

fn check_service(service: &MergedService) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if let Some(replicas) = service.node.get("replicas")
        && let (Some(min), Some(max)) = (int(replicas.get("min")), int(replicas.get("max")))
        && min > max
    {
        let pos = replicas.get("min").map_or(replicas.pos, |n| n.pos);
        out.push(
                    Diagnostic::error(Code::MinExceedsMax, pos, format!("`{}` has replicas.min {min} above replicas.max {max}", service.name))
                        .with_help("after merging, min must not exceed max: raise max in the same layer that raises min"),
                );
    }
    let resources = service.node.get("resources");
    for (resource, parse) in [
        ("cpu", parse_cpu as fn(&str) -> Option<f64>),
        ("memory", parse_memory),
    ] {
        let request = resources
            .and_then(|r| r.get("requests"))
            .and_then(|r| r.get(resource));
        let limit = resources
            .and_then(|r| r.get("limits"))
            .and_then(|r| r.get(resource));
        let mut values = [None, None];
        for (i, node) in [request, limit].into_iter().enumerate() {
            let Some(node) = node else { continue };
            let text = match &node.value {
                Value::Str(s) => s.clone(),
                Value::Int(i) => i.to_string(),
                Value::Float(f) => f.to_string(),
                _ => continue,
            };
            match parse(&text) {
                Some(v) => values[i] = Some(v),
                None => out.push(
                    Diagnostic::error(
                        Code::InvalidQuantity,
                        node.pos,
                        format!("`{text}` is not a Kubernetes {resource} quantity"),
                    )
                    .with_help(if resource == "cpu" {
                        "write cores (`\"1\"`, `0.5`) or millicores (`250m`)"
                    } else {
                        "write bytes with a binary suffix: `256Mi`, `1Gi`"
                    }),
                ),
            }
        }
        if let ([Some(req), Some(lim)], Some(req_node)) = (values, request)
            && req > lim
        {
            out.push(
                Diagnostic::error(
                    Code::RequestsExceedLimits,
                    req_node.pos,
                    format!("`{}` requests more {resource} than its limit", service.name),
                )
                .with_label("above resources.limits")
                .with_help(format!(
                    "lower resources.requests.{resource} or raise resources.limits.{resource}"
                )),
            );
        }
    }
    out
}

/// CPU in cores: `250m`, `0.5`, `"2"`.
pub fn parse_cpu(s: &str) -> Option<f64> {
    let s = s.trim();
    let v = match s.strip_suffix('m') {
        Some(milli) => milli.parse::<f64>().ok()? / 1000.0,
        None => s.parse::<f64>().ok()?,
    };
    (v.is_finite() && v >= 0.0).then_some(v)
}

/// Memory in bytes: `256Mi`, `1Gi`, `500M`, `1e9`, `1024`.
pub fn parse_memory(s: &str) -> Option<f64> {
    let s = s.trim();
    const SUFFIXES: [(&str, f64); 12] = [
        ("Ki", 1024.0),
        ("Mi", 1048576.0),
        ("Gi", 1073741824.0),
        ("Ti", 1099511627776.0),
        ("Pi", 1125899906842624.0),
        ("Ei", 1152921504606846976.0),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
        ("E", 1e18),
    ];
    let (number, factor) = SUFFIXES
        .iter()
        .find_map(|(suffix, f)| s.strip_suffix(suffix).map(|n| (n, *f)))
        .unwrap_or((s, 1.0));
    let v = number.parse::<f64>().ok()? * factor;
    (v.is_finite() && v >= 0.0 && !number.is_empty()).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        assert_eq!(parse_cpu("250m"), Some(0.25));
        assert_eq!(parse_cpu("2"), Some(2.0));
        assert_eq!(parse_cpu("two"), None);
        assert_eq!(parse_memory("1Gi"), Some(1073741824.0));
        assert!(parse_memory("512Mi").unwrap() < parse_memory("1Gi").unwrap());
        assert_eq!(parse_memory("1GB"), None);
    }
}
