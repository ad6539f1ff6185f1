//! A service layer: the fields of a service as a layer writes them (the registry entry,
//! `defaults`, an environment's `services.<name>`) or as the merge leaves them. Every field
//! is optional here (any layer may set it); lowering checks what the model needs.
//!
//! Field names are the schema's (`schemas/registry.schema.json`, `$defs/service`), spelled
//! once: a test walks every schema field to the resolved model.

use super::{Field, Spanned};
use crate::model::{InfraType, IntOrPercent, Language, Protocol, SecretStoreKind, Strategy};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A service as the registry writes it: the same fields as any layer.
pub type ServiceSpec = ServiceLayer;

/// A service's fields in one layer, or merged.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServiceLayer {
    pub team: Field<String>,
    pub namespace: Field<String>,
    pub image: Field<String>,
    pub build: Field<BuildLayer>,
    pub ports: Field<Vec<Field<PortLayer>>>,
    pub replicas: Field<ReplicasLayer>,
    pub resources: Field<ResourcesLayer>,
    pub health_check: Field<HealthCheckLayer>,
    /// Values read as text (`1.5`, `true`), as they reach the container.
    pub config: Field<BTreeMap<String, Field<String>>>,
    pub secrets: Field<BTreeMap<String, Field<SecretRefLayer>>>,
    pub dependencies: Field<Vec<Field<String>>>,
    pub infra: Field<BTreeMap<Spanned<String>, Field<InfraLayer>>>,
    pub expose: Field<ExposeLayer>,
    pub rollout: Field<RolloutLayer>,
    pub egress: Field<Vec<Field<EgressLayer>>>,
    pub migrations: Field<super::MigrationsLayer>,
    pub metrics: Field<super::MetricsLayer>,
    pub alerts: Field<super::AlertsLayer>,
}

/// One `egress` entry: `host` or `cidr` (the schema allows exactly one), and `port`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EgressLayer {
    pub host: Field<String>,
    pub cidr: Field<String>,
    pub port: Field<u16>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BuildLayer {
    pub language: Field<Language>,
    pub context: Field<String>,
    pub dockerfile: Field<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PortLayer {
    pub name: Field<String>,
    pub port: Field<u16>,
    pub protocol: Field<Protocol>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReplicasLayer {
    pub min: Field<u32>,
    pub max: Field<u32>,
    #[serde(rename = "targetCPU")]
    pub target_cpu: Field<u32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ResourcesLayer {
    pub requests: Field<QuantitiesLayer>,
    pub limits: Field<QuantitiesLayer>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct QuantitiesLayer {
    pub cpu: Field<Quantity>,
    pub memory: Field<Quantity>,
}

/// A Kubernetes quantity as text: a string, or a number written the way JSON writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity(pub String);

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Quantity;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a quantity (a string or a number)")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Quantity, E> {
                Ok(Quantity(s.to_owned()))
            }
            fn visit_i64<E: serde::de::Error>(self, i: i64) -> Result<Quantity, E> {
                Ok(Quantity(i.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, i: u64) -> Result<Quantity, E> {
                Ok(Quantity(i.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, f: f64) -> Result<Quantity, E> {
                serde_json::Number::from_f64(f)
                    .map(|n| Quantity(n.to_string()))
                    .ok_or_else(|| E::custom("not a finite number"))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct HealthCheckLayer {
    pub readiness: Field<ProbeLayer>,
    pub liveness: Field<ProbeLayer>,
    pub startup: Field<ProbeLayer>,
}

impl HealthCheckLayer {
    /// The probes by name, in the order Kubernetes lists them.
    pub fn probes(&self) -> [(&'static str, &Field<ProbeLayer>); 3] {
        [
            ("readiness", &self.readiness),
            ("liveness", &self.liveness),
            ("startup", &self.startup),
        ]
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ProbeLayer {
    pub path: Field<String>,
    pub port: Field<String>,
    pub initial_delay_seconds: Field<u32>,
    pub period_seconds: Field<u32>,
    pub timeout_seconds: Field<u32>,
    pub failure_threshold: Field<u32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SecretRefLayer {
    pub store: Field<SecretStoreKind>,
    pub path: Field<String>,
    pub key: Field<String>,
}

/// A backing resource entry, its sizing merged over the environment's `infraDefaults`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct InfraLayer {
    #[serde(rename = "type")]
    pub kind: Field<InfraType>,
    pub scope: Field<crate::model::InfraScope>,
    pub version: Field<String>,
    pub topics: Field<Vec<String>>,
    pub exchanges: Field<Vec<String>>,
    // The sizing fields, as in [`SizingLayer`] (written out: a flattened struct would be
    // read through serde's buffer, which loses the positions).
    pub sku: Field<String>,
    pub storage_gb: Field<u32>,
    pub backup_retention_days: Field<u32>,
    pub high_availability: Field<bool>,
    pub brokers: Field<u32>,
    pub nodes: Field<u32>,
}

/// Sizing of a backing resource (an `infraResource` entry or an `infraDefaults` type).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SizingLayer {
    pub sku: Field<String>,
    pub storage_gb: Field<u32>,
    pub backup_retention_days: Field<u32>,
    pub high_availability: Field<bool>,
    pub brokers: Field<u32>,
    pub nodes: Field<u32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ExposeLayer {
    pub host: Field<String>,
    pub path: Field<String>,
    pub gateway: Field<String>,
    pub tls: Field<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RolloutLayer {
    pub strategy: Field<Strategy>,
    pub max_surge: Field<IntOrPercent>,
    pub max_unavailable: Field<IntOrPercent>,
    pub canary: Field<CanaryLayer>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CanaryLayer {
    pub steps: Field<Vec<Field<u32>>>,
    pub interval: Field<String>,
    pub header: Field<HeaderLayer>,
    pub analysis: Field<AnalysisLayer>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct HeaderLayer {
    pub name: Field<String>,
    pub value: Field<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AnalysisLayer {
    pub max_error_rate: Field<f64>,
    pub max_latency_p95_ms: Field<u32>,
    pub failure_limit: Field<u32>,
}
