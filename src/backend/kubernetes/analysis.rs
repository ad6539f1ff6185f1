//! The Argo Rollouts AnalysisTemplate of a canary service in one environment: the rollback
//! thresholds (`rollout.canary.analysis`) as Prometheus queries over Istio's standard
//! metrics for the canary workload.
//!
//! It must not decide traffic or replicas (that is `istio`).

use super::{Ctx, common_labels, object};
use crate::model::Strategy;
use serde_json::{Value, json};

/// The AnalysisTemplate, for a canary service with analysis thresholds.
pub(crate) fn analysis_template(ctx: &Ctx) -> Option<Value> {
    let service = ctx.service;
    if service.rollout.strategy != Strategy::Canary {
        return None;
    }
    let canary = service.rollout.canary.as_ref()?;
    let analysis = canary.analysis.as_ref()?;
    let selector = format!(
        "reporter=\"destination\",destination_service_name=\"{}\",destination_workload_namespace=\"{}\",destination_workload=\"{}-canary\"",
        service.name, ctx.namespace, service.name
    );
    let window = &canary.interval;
    let prometheus = &ctx.env.monitoring.prometheus_url;
    // An empty result (no traffic reached the canary, or the metric is missing) must not
    // pass: `result[0]` alone errors and only fails after consecutiveErrorLimit errors, so
    // the condition asks for a value first; a ratio over no requests is NaN, which no
    // comparison passes. <https://argoproj.github.io/argo-rollouts/features/analysis/>,
    // <https://github.com/argoproj/argo-rollouts/issues/3503>
    let metric = |name: &str, condition: String, query: String| {
        json!({
            "name": name,
            "interval": window,
            "failureLimit": analysis.failure_limit,
            "successCondition": condition,
            "provider": {"prometheus": {"address": prometheus, "query": query}},
        })
    };
    let mut metrics = Vec::new();
    if let Some(max) = analysis.max_error_rate {
        let query = format!(
            "sum(rate(istio_requests_total{{{selector},response_code=~\"5.*\"}}[{window}])) / sum(rate(istio_requests_total{{{selector}}}[{window}]))"
        );
        metrics.push(metric(
            "error-rate",
            format!("len(result) > 0 && result[0] <= {max}"),
            query,
        ));
    }
    if let Some(max) = analysis.max_latency_p95_ms {
        let query = format!(
            "histogram_quantile(0.95, sum(rate(istio_request_duration_milliseconds_bucket{{{selector}}}[{window}])) by (le))"
        );
        metrics.push(metric(
            "latency-p95",
            format!("len(result) > 0 && result[0] <= {max}"),
            query,
        ));
    }
    if metrics.is_empty() {
        return None;
    }
    let labels = common_labels(&ctx.model.platform.name, service);
    let mut obj = object(
        "argoproj.io/v1alpha1",
        "AnalysisTemplate",
        &service.name,
        Some(&ctx.namespace),
        &labels,
    );
    obj.insert("spec".into(), json!({"metrics": metrics}));
    Some(Value::Object(obj))
}
