//! The resolved fields around the deploy: schema migrations, the metrics endpoint and the
//! alert thresholds of a service (names as the schema spells them).

use serde::{Deserialize, Serialize};

/// `migrations.tool`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MigrationTool {
    Flyway,
    Liquibase,
    Efcore,
    Custom,
}

impl MigrationTool {
    /// The spelling used in the input files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Flyway => "flyway",
            Self::Liquibase => "liquibase",
            Self::Efcore => "efcore",
            Self::Custom => "custom",
        }
    }
}

/// A schema migration Job run before the new version rolls out.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
pub struct Migrations {
    pub tool: MigrationTool,
    pub command: Vec<String>,
    /// Image repository of the migrator (relative to the registry); `None`: the service's.
    #[cfg_attr(test, serde(default))]
    pub image: Option<String>,
}

/// Where the service serves Prometheus metrics.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
pub struct Metrics {
    /// Name of one of the service's ports.
    pub port: String,
    pub path: String,
}

/// The alert thresholds of a service; each absent one is no rule.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "camelCase")]
pub struct Alerts {
    #[cfg_attr(test, serde(default))]
    pub error_rate: Option<RateThreshold>,
    #[cfg_attr(test, serde(default))]
    pub latency_p95_ms: Option<LatencyThreshold>,
    #[cfg_attr(test, serde(default))]
    pub restarts: Option<RestartsThreshold>,
}

impl Alerts {
    /// Whether no threshold is set.
    pub fn is_empty(&self) -> bool {
        self.error_rate.is_none() && self.latency_p95_ms.is_none() && self.restarts.is_none()
    }
}

/// A share of requests above which an alert fires after `for`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
pub struct RateThreshold {
    pub above: f64,
    /// A Prometheus duration (`2m`).
    #[serde(rename = "for")]
    pub for_: String,
}

/// A latency in milliseconds above which an alert fires after `for`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
pub struct LatencyThreshold {
    pub above: u32,
    #[serde(rename = "for")]
    pub for_: String,
}

/// A number of container restarts within a window above which an alert fires.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
pub struct RestartsThreshold {
    pub above: u32,
    pub within: String,
}

impl super::Service {
    /// The alerts generated for the service in an environment: request alerts only with
    /// `metrics` (without it nothing scrapes the service, and `validate` warns).
    pub fn active_alerts(&self) -> Vec<&'static str> {
        let a = &self.alerts;
        let metrics = self.metrics.is_some();
        let mut out = Vec::new();
        if metrics && a.error_rate.is_some() {
            out.push("errorRate");
        }
        if metrics && a.latency_p95_ms.is_some() {
            out.push("latencyP95Ms");
        }
        if a.restarts.is_some() {
            out.push("restarts");
        }
        out
    }
}
