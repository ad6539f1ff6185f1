//! The Grafana dashboard of one service in one environment, as a ConfigMap the Grafana
//! sidecar loads: it watches ConfigMaps labelled `grafana_dashboard: "1"` (the Grafana Helm
//! chart's `sidecar.dashboards.label` and `labelValue` defaults) and writes each data key as
//! a dashboard file; with `searchNamespace: ALL` it finds them in every namespace
//! (<https://github.com/grafana/helm-charts/tree/main/charts/grafana#sidecar-for-dashboards>).
//!
//! Panels: request rate, error rate, latency p50/p95/p99, pods ready, restarts, CPU and
//! memory against the requests and limits, and, for a canary service, stable against canary
//! (the mesh tells the tracks apart by workload: `<service>` and `<service>-canary`, as the
//! AnalysisTemplate reads them). The JSON is built in a fixed order and pretty-printed, so
//! the same model gives the same bytes.

use super::monitoring::{
    RATE_WINDOW, container_selector, error_rate_expr, latency_expr, request_selector,
};
use super::{Ctx, common_labels, object};
use crate::model::Strategy;
use serde_json::{Map, Value, json};

/// The ConfigMap's label the Grafana sidecar selects.
pub(crate) const SIDECAR_LABEL: (&str, &str) = ("grafana_dashboard", "1");
/// Grafana's dashboard JSON schema version the panels are written for (Grafana 10/11).
const SCHEMA_VERSION: u32 = 39;
/// Grafana limits a dashboard uid to 40 characters.
const UID_MAX: usize = 40;

/// `<service>-dashboard`, holding `<service>.json`.
pub(crate) fn config_map_name(service: &str) -> String {
    format!("{service}-dashboard")
}

/// The dashboard ConfigMap of the service in its environment.
pub(crate) fn dashboard_config_map(ctx: &Ctx) -> Value {
    let service = ctx.service;
    let mut labels = common_labels(&ctx.model.platform.name, service);
    labels.insert(SIDECAR_LABEL.0.into(), json!(SIDECAR_LABEL.1));
    let mut obj = object(
        "v1",
        "ConfigMap",
        &config_map_name(&service.name),
        Some(&ctx.namespace),
        &labels,
    );
    let text = serde_json::to_string_pretty(&dashboard(ctx)).expect("JSON serialises") + "\n";
    let mut data = Map::new();
    data.insert(format!("{}.json", service.name), json!(text));
    obj.insert("data".into(), Value::Object(data));
    Value::Object(obj)
}

/// A stable uid: `<env>-<service>`, or its head and a hash when longer than Grafana allows.
pub(crate) fn uid(env: &str, service: &str) -> String {
    let full = format!("{env}-{service}");
    if full.len() <= UID_MAX {
        return full;
    }
    let hash = full.bytes().fold(2166136261u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(16777619)
    });
    format!("{}-{hash:08x}", &full[..UID_MAX - 9])
}

/// One panel laid out on Grafana's 24-column grid.
struct Panel {
    title: String,
    unit: &'static str,
    /// `(expr, legend)` per query.
    targets: Vec<(String, String)>,
}

fn panel(title: &str, unit: &'static str, targets: Vec<(String, &str)>) -> Panel {
    Panel {
        title: title.to_owned(),
        unit,
        targets: targets
            .into_iter()
            .map(|(e, l)| (e, l.to_owned()))
            .collect(),
    }
}

/// The dashboard JSON of the service in its environment.
pub(crate) fn dashboard(ctx: &Ctx) -> Value {
    let service = ctx.service;
    let sel = request_selector(ctx);
    let containers = container_selector(ctx);
    let w = RATE_WINDOW;
    let requests = format!("istio_requests_total{{{sel}}}");
    let resource = |kind: &str, resource: &str| {
        format!("max(kube_pod_container_resource_{kind}{{{containers},resource=\"{resource}\"}})")
    };
    let mut panels = vec![
        panel(
            "Request rate",
            "reqps",
            vec![(format!("sum(rate({requests}[{w}]))"), "requests/s")],
        ),
        panel(
            "Error rate (5xx)",
            "percentunit",
            vec![(error_rate_expr(&sel), "errors")],
        ),
        panel(
            "Latency",
            "ms",
            vec![
                (latency_expr(&sel, "0.5", ""), "p50"),
                (latency_expr(&sel, "0.95", ""), "p95"),
                (latency_expr(&sel, "0.99", ""), "p99"),
            ],
        ),
        panel(
            "Pods ready",
            "short",
            vec![(
                format!("sum(kube_pod_container_status_ready{{{containers}}})"),
                "ready",
            )],
        ),
        panel(
            "Restarts",
            "short",
            vec![(
                format!(
                    "sum(increase(kube_pod_container_status_restarts_total{{{containers}}}[{w}]))"
                ),
                "restarts",
            )],
        ),
        panel(
            "CPU",
            "cores",
            vec![
                (
                    format!(
                        "sum by (pod) (rate(container_cpu_usage_seconds_total{{{containers}}}[{w}]))"
                    ),
                    "{{pod}}",
                ),
                (resource("requests", "cpu"), "request"),
                (resource("limits", "cpu"), "limit"),
            ],
        ),
        panel(
            "Memory",
            "bytes",
            vec![
                (
                    format!("sum by (pod) (container_memory_working_set_bytes{{{containers}}})"),
                    "{{pod}}",
                ),
                (resource("requests", "memory"), "request"),
                (resource("limits", "memory"), "limit"),
            ],
        ),
    ];
    if service.rollout.strategy == Strategy::Canary {
        let by = "destination_workload";
        panels.push(panel(
            "Stable vs canary: request rate",
            "reqps",
            vec![(
                format!("sum by ({by}) (rate({requests}[{w}]))"),
                "{{destination_workload}}",
            )],
        ));
        panels.push(panel(
            "Stable vs canary: error rate",
            "percentunit",
            vec![(
                format!(
                    "sum by ({by}) (rate(istio_requests_total{{{sel},response_code=~\"5..\"}}[{w}])) / sum by ({by}) (rate({requests}[{w}]))"
                ),
                "{{destination_workload}}",
            )],
        ));
        panels.push(panel(
            "Stable vs canary: latency p95",
            "ms",
            vec![(
                latency_expr(&sel, "0.95", &format!(", {by}")),
                "{{destination_workload}}",
            )],
        ));
    }
    let datasource = json!({"type": "prometheus", "uid": "${datasource}"});
    let panels: Vec<Value> = panels
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let targets: Vec<Value> = p
                .targets
                .iter()
                .enumerate()
                .map(|(j, (expr, legend))| {
                    obj! {
                        "refId" => ref_id(j),
                        "datasource" => datasource.clone(),
                        "expr" => expr.as_str(),
                        "legendFormat" => legend.as_str(),
                    }
                })
                .collect();
            obj! {
                "id" => i + 1,
                "type" => "timeseries",
                "title" => p.title,
                "datasource" => datasource.clone(),
                "gridPos" => obj! {"h" => 8, "w" => 12, "x" => (i % 2) * 12, "y" => (i / 2) * 8},
                "fieldConfig" => obj! {"defaults" => obj! {"unit" => p.unit}, "overrides" => json!([])},
                "targets" => targets,
            }
        })
        .collect();
    obj! {
        "uid" => uid(&ctx.env.name, &service.name),
        "title" => format!("{} ({})", service.name, ctx.env.name),
        "tags" => json!(["infrac", ctx.env.name, service.team]),
        "timezone" => "utc",
        "editable" => false,
        "schemaVersion" => SCHEMA_VERSION,
        "version" => 1,
        "refresh" => "30s",
        "time" => json!({"from": "now-6h", "to": "now"}),
        "templating" => json!({"list": [{
            "name": "datasource", "label": "Prometheus", "type": "datasource",
            "query": "prometheus", "hide": 0,
        }]}),
        "annotations" => json!({"list": []}),
        "panels" => panels,
    }
}

/// `A`, `B`, … for the queries of a panel.
fn ref_id(i: usize) -> String {
    char::from(b'A' + u8::try_from(i % 26).expect("below 26")).to_string()
}
