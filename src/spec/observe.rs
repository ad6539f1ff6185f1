//! The service fields around the deploy as a layer writes them: `migrations`, `metrics` and
//! `alerts` (SPEC "Schema migrations before a rollout", "Metrics, alerts and dashboards").
//! Every field optional, as in [`super::ServiceLayer`]; lowering checks what the model needs.

use super::Field;
use crate::model::MigrationTool;
use serde::Deserialize;

/// `migrations`: a Job before the new version rolls out.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MigrationsLayer {
    pub tool: Field<MigrationTool>,
    pub command: Field<Vec<Field<String>>>,
    pub image: Field<String>,
}

/// `metrics`: where a ServiceMonitor scrapes the service.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MetricsLayer {
    pub port: Field<String>,
    pub path: Field<String>,
}

/// `alerts`: the thresholds of the service's PrometheusRule.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AlertsLayer {
    pub error_rate: Field<RateThresholdLayer>,
    pub latency_p95_ms: Field<LatencyThresholdLayer>,
    pub restarts: Field<RestartsThresholdLayer>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RateThresholdLayer {
    pub above: Field<f64>,
    #[serde(rename = "for")]
    pub for_: Field<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LatencyThresholdLayer {
    pub above: Field<u32>,
    #[serde(rename = "for")]
    pub for_: Field<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RestartsThresholdLayer {
    pub above: Field<u32>,
    pub within: Field<String>,
}
