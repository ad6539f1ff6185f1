//! Observing one service in one environment: the ServiceMonitor that scrapes its `metrics`,
//! the PrometheusRule of its `alerts` and the Grafana dashboard.

use super::Ctx;
use serde_json::Value;

/// The monitoring documents of a service in an environment, in a fixed order.
pub(crate) fn monitoring(ctx: &Ctx) -> Vec<Value> {
    let _ = ctx;
    Vec::new()
}
