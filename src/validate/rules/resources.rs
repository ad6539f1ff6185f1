//! Sizes that cannot work: requests above limits, unparseable quantities, a minimum above
//! its maximum (replicas, node pools).

use super::RuleCtx;
use crate::diagnostic::{Code, Diagnostic};
use crate::spec::{Field, QuantitiesLayer, Quantity, Spanned, SpecService};

pub fn check(ctx: &RuleCtx) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for service in ctx.every_service() {
        out.extend(check_service(service));
    }
    for env in &ctx.spec.environments {
        let pools = env.spec.cluster.get().and_then(|c| c.node_pools.get());
        for (name, pool) in pools.into_iter().flatten() {
            let Some(pool) = pool.get() else { continue };
            if let (Some(min), Some(max)) = (pool.min.spanned(), pool.max.get())
                && min.value > *max
            {
                out.push(Diagnostic::error(
                    Code::MinExceedsMax,
                    min.pos,
                    format!(
                        "node pool `{}` has min {} above max {max}",
                        name.as_str(),
                        min.value
                    ),
                ));
            }
        }
    }
    out
}

fn check_service(service: &SpecService) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let layer = &service.layer;
    if let Some(replicas) = layer.replicas.get()
        && let (Some(min), Some(max)) = (replicas.min.spanned(), replicas.max.get())
        && min.value > *max
    {
        out.push(
                    Diagnostic::error(Code::MinExceedsMax, min.pos, format!("`{}` has replicas.min {} above replicas.max {max}", service.name, min.value))
                        .with_help("after merging, min must not exceed max: raise max in the same layer that raises min"),
                );
    }
    let resources = layer.resources.get();
    let quantities = |pick: fn(&crate::spec::ResourcesLayer) -> &Field<QuantitiesLayer>| {
        resources.and_then(|r| pick(r).get())
    };
    let (requests, limits) = (quantities(|r| &r.requests), quantities(|r| &r.limits));
    for (resource, parse) in [
        ("cpu", parse_cpu as fn(&str) -> Option<f64>),
        ("memory", parse_memory),
    ] {
        fn pick<'q>(q: &'q QuantitiesLayer, resource: &str) -> Option<&'q Spanned<Quantity>> {
            if resource == "cpu" {
                q.cpu.spanned()
            } else {
                q.memory.spanned()
            }
        }
        let pick = |q| pick(q, resource);
        let request = requests.and_then(pick);
        let limit = limits.and_then(pick);
        let mut values = [None, None];
        for (i, quantity) in [request, limit].into_iter().enumerate() {
            let Some(quantity) = quantity else { continue };
            let text = &quantity.value.0;
            match parse(text) {
                Some(v) => values[i] = Some(v),
                None => out.push(
                    Diagnostic::error(
                        Code::InvalidQuantity,
                        quantity.pos,
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
