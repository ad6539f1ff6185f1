//! Observing one service in one environment: the ServiceMonitor that scrapes its `metrics`,
//! the PrometheusRule of its `alerts` and its Grafana dashboard (`dashboard`).
//!
//! Both CRDs are the Prometheus Operator's (`monitoring.coreos.com/v1`):
//! <https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.ServiceMonitor>,
//! <https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.PrometheusRule>.
//!
//! Request alerts (`errorRate`, `latencyP95Ms`) read the mesh's standard request metrics
//! (`istio_requests_total`, `istio_request_duration_milliseconds`, reported by the
//! destination; <https://istio.io/latest/docs/reference/config/metrics/>), the same series
//! the canary analysis reads, whatever the service's framework; they are generated only for
//! a service that declares `metrics` (`validate::rules::observe` warns otherwise). Restarts
//! come from kube-state-metrics (`kube_pod_container_status_restarts_total`, by the
//! container, which is named after the service).

use super::{Ctx, common_labels, dashboard, object, service_selector};
use serde_json::{Map, Value, json};

/// The window request rates are computed over: four scrapes at the usual 1m interval.
pub(crate) const RATE_WINDOW: &str = "5m";

/// The monitoring documents of a service in an environment, in a fixed order.
pub(crate) fn monitoring(ctx: &Ctx) -> Vec<Value> {
    let mut docs = Vec::new();
    docs.extend(service_monitor(ctx));
    docs.extend(prometheus_rule(ctx));
    // A dashboard for every service (SPEC: "a Grafana dashboard per service"): its panels read
    // the mesh's request metrics, kube-state-metrics and cAdvisor, never the service's own
    // `metrics`, so a service without them still gets a full dashboard.
    docs.push(dashboard::dashboard_config_map(ctx));
    docs
}

/// The ServiceMonitor of a service with `metrics`: every Service of the service (stable,
/// preview) by its name label, the pods' `version` copied onto the series so the dashboard
/// can tell the tracks apart.
pub(crate) fn service_monitor(ctx: &Ctx) -> Option<Value> {
    let service = ctx.service;
    let metrics = service.metrics.as_ref()?;
    let labels = common_labels(&ctx.model.platform.name, service);
    let mut obj = object(
        "monitoring.coreos.com/v1",
        "ServiceMonitor",
        &service.name,
        Some(&ctx.namespace),
        &labels,
    );
    obj.insert(
        "spec".into(),
        json!({
            "selector": {"matchLabels": service_selector(&service.name)},
            "endpoints": [{"port": metrics.port, "path": metrics.path}],
            "podTargetLabels": ["version"],
        }),
    );
    Some(Value::Object(obj))
}

/// The label selector of the mesh's request metrics for the service in its namespace.
pub(crate) fn request_selector(ctx: &Ctx) -> String {
    format!(
        "reporter=\"destination\",destination_service_name=\"{}\",destination_workload_namespace=\"{}\"",
        ctx.service.name, ctx.namespace
    )
}

/// The share of 5xx responses of the service, over [`RATE_WINDOW`].
pub(crate) fn error_rate_expr(selector: &str) -> String {
    format!(
        "sum(rate(istio_requests_total{{{selector},response_code=~\"5..\"}}[{RATE_WINDOW}])) / sum(rate(istio_requests_total{{{selector}}}[{RATE_WINDOW}]))"
    )
}

/// A latency quantile of the service in milliseconds, over [`RATE_WINDOW`].
pub(crate) fn latency_expr(selector: &str, quantile: &str, by: &str) -> String {
    format!(
        "histogram_quantile({quantile}, sum by (le{by}) (rate(istio_request_duration_milliseconds_bucket{{{selector}}}[{RATE_WINDOW}])))"
    )
}

/// The selector of the service's containers in kube-state-metrics.
pub(crate) fn container_selector(ctx: &Ctx) -> String {
    format!(
        "namespace=\"{}\",container=\"{}\"",
        ctx.namespace, ctx.service.name
    )
}

/// The PrometheusRule of the service's `alerts`, labelled with service, team and
/// environment (on the object, and on every alert for routing); none without a rule.
pub(crate) fn prometheus_rule(ctx: &Ctx) -> Option<Value> {
    let service = ctx.service;
    let alerts = &service.alerts;
    let owner = owner_labels(ctx);
    let selector = request_selector(ctx);
    let mut rules = Vec::new();
    let rule = |alert: &str, expr: String, for_: Option<&str>, summary: String| {
        let mut labels = owner.clone();
        labels.insert("severity".into(), json!("critical"));
        let mut r = Map::new();
        r.insert("alert".into(), json!(alert));
        r.insert("expr".into(), json!(expr));
        if let Some(f) = for_ {
            r.insert("for".into(), json!(f));
        }
        r.insert("labels".into(), Value::Object(labels));
        r.insert("annotations".into(), json!({"summary": summary}));
        Value::Object(r)
    };
    if service.metrics.is_some() {
        if let Some(t) = &alerts.error_rate {
            rules.push(rule(
                "ErrorRateHigh",
                format!("({}) > {}", error_rate_expr(&selector), t.above),
                Some(&t.for_),
                format!(
                    "More than {}% of the requests to {} in {} fail (5xx) for {}.",
                    percent(t.above),
                    service.name,
                    ctx.env.name,
                    t.for_
                ),
            ));
        }
        if let Some(t) = &alerts.latency_p95_ms {
            rules.push(rule(
                "LatencyP95High",
                format!("{} > {}", latency_expr(&selector, "0.95", ""), t.above),
                Some(&t.for_),
                format!(
                    "The 95th percentile latency of {} in {} is above {} ms for {}.",
                    service.name, ctx.env.name, t.above, t.for_
                ),
            ));
        }
    }
    if let Some(t) = &alerts.restarts {
        rules.push(rule(
            "RestartsHigh",
            format!(
                "sum(increase(kube_pod_container_status_restarts_total{{{}}}[{}])) > {}",
                container_selector(ctx),
                t.within,
                t.above
            ),
            None,
            format!(
                "The containers of {} in {} restarted more than {} times within {}.",
                service.name, ctx.env.name, t.above, t.within
            ),
        ));
    }
    if rules.is_empty() {
        return None;
    }
    let mut labels = common_labels(&ctx.model.platform.name, service);
    labels.extend(owner);
    let mut obj = object(
        "monitoring.coreos.com/v1",
        "PrometheusRule",
        &service.name,
        Some(&ctx.namespace),
        &labels,
    );
    obj.insert(
        "spec".into(),
        json!({"groups": [{"name": format!("{}.rollback", service.name), "rules": rules}]}),
    );
    Some(Value::Object(obj))
}

/// `service`, `team` and `environment`.
fn owner_labels(ctx: &Ctx) -> Map<String, Value> {
    let mut labels = Map::new();
    labels.insert("service".into(), json!(ctx.service.name));
    labels.insert("team".into(), json!(ctx.service.team));
    labels.insert("environment".into(), json!(ctx.env.name));
    labels
}

/// A share as a percentage for people (`0.05` → `5`), without float noise.
fn percent(share: f64) -> String {
    let p = (share * 10_000.0).round() / 100.0;
    format!("{p}")
}
