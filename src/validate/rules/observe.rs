//! `migrations`, `metrics` and `alerts` on the merged service: what lowering needs in each
//! block (reported at the block), the metrics port among the service's ports, and request
//! alerts on a service that declares no `metrics` (a warning: no rule is generated for them).

use super::{RuleCtx, items};
use crate::diagnostic::{Code, Diagnostic};
use crate::load::yaml::Pos;
use crate::spec::{Field, SpecService};

pub fn check(ctx: &RuleCtx) -> Vec<Diagnostic> {
    ctx.every_service().flat_map(check_service).collect()
}

/// A `MissingField` error at `pos` when `absent` is not empty.
fn missing(service: &SpecService, block: &str, pos: Pos, absent: &[&str]) -> Option<Diagnostic> {
    if absent.is_empty() {
        return None;
    }
    let list = absent
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ");
    Some(
        Diagnostic::error(
            Code::MissingField,
            pos,
            format!("`{block}` of `{}` has no {list}", service.name),
        )
        .with_label("required after merging"),
    )
}

fn absent<'a>(fields: &[(&'a str, bool)]) -> Vec<&'a str> {
    fields
        .iter()
        .filter(|(_, present)| !present)
        .map(|(name, _)| *name)
        .collect()
}

fn check_service(service: &SpecService) -> Vec<Diagnostic> {
    let layer = &service.layer;
    let mut out = Vec::new();
    if let Some(m) = layer.migrations.spanned() {
        let fields = [
            ("tool", m.value.tool.is_present()),
            ("command", m.value.command.is_present()),
        ];
        out.extend(missing(service, "migrations", m.pos, &absent(&fields)));
    }
    if let Some(m) = layer.metrics.spanned() {
        match m.value.port.spanned() {
            None if !m.value.port.is_present() => {
                out.extend(missing(service, "metrics", m.pos, &["port"]));
            }
            None => {}
            Some(port) => {
                let names: Vec<&str> = items(&layer.ports)
                    .filter_map(|(p, _)| p.name.get().map(String::as_str))
                    .collect();
                if !names.contains(&port.value.as_str()) {
                    let d = Diagnostic::error(
                        Code::UnknownPort,
                        port.pos,
                        format!(
                            "the metrics of `{}` name port `{}`, which the service does not declare",
                            service.name, port.value
                        ),
                    );
                    out.push(super::ports::with_port_help(d, &port.value, &names));
                }
            }
        }
    }
    let Some(alerts) = layer.alerts.get() else {
        return out;
    };
    let thresholds: [(&str, Threshold, bool); 3] = [
        (
            "errorRate",
            above(&alerts.error_rate, |t| t.above.is_present()),
            true,
        ),
        (
            "latencyP95Ms",
            above(&alerts.latency_p95_ms, |t| t.above.is_present()),
            true,
        ),
        (
            "restarts",
            above(&alerts.restarts, |t| t.above.is_present()),
            false,
        ),
    ];
    for (name, threshold, needs_metrics) in thresholds {
        let Some((pos, has_above)) = threshold else {
            continue;
        };
        if !has_above {
            out.extend(missing(service, &format!("alerts.{name}"), pos, &["above"]));
        }
        if needs_metrics && !layer.metrics.is_present() {
            out.push(
                Diagnostic::warning(
                    Code::AlertsWithoutMetrics,
                    pos,
                    format!(
                        "the `{name}` alert of `{}` needs request metrics, but the service declares no `metrics`: no rule is generated for it",
                        service.name
                    ),
                )
                .with_label("not alerted on")
                .with_help("declare where the service is scraped, e.g. `metrics: {port: http, path: /metrics}`"),
            );
        }
    }
    out
}

/// Where a set threshold is and whether it writes `above`.
type Threshold = Option<(Pos, bool)>;

/// The position of a set threshold and whether it writes `above`.
fn above<T>(field: &Field<T>, has_above: impl Fn(&T) -> bool) -> Threshold {
    field.spanned().map(|t| (t.pos, has_above(&t.value)))
}
