//! The environment file and the registry's `platform:` block, as written.

use super::{Field, Keys, SizingLayer, Spanned};
use crate::model::{CloudProvider, InfraType, SecretStoreKind, TagPolicy};
use serde::Deserialize;
use std::collections::BTreeMap;

/// `environments/<name>.yaml` as written (its `defaults` and `services` already merged into
/// the services; only the override names are kept here).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EnvironmentSpec {
    pub cloud: Field<CloudSpec>,
    pub cluster: Field<ClusterSpec>,
    pub terraform: Field<TerraformSpec>,
    pub secret_store: Field<SecretStoreSpec>,
    pub network: Field<NetworkSpec>,
    pub monitoring: Field<MonitoringSpec>,
    pub namespace_suffix: Field<String>,
    pub promotion: Field<PromotionSpec>,
    pub image_tags: Field<TagPolicy>,
    pub infra_defaults: Field<BTreeMap<InfraType, Field<SizingLayer>>>,
    /// The names `services:` overrides, as written.
    pub services: Field<Keys>,
    /// `cells`, `waves`, `bake` (SPEC "Cells"; see `spec::cells`).
    pub cells: Field<super::CellsSpec>,
    pub waves: Field<super::WavesSpec>,
    pub bake: Field<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CloudSpec {
    pub provider: Field<CloudProvider>,
    pub region: Field<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ClusterSpec {
    pub name: Field<String>,
    pub version: Field<String>,
    pub node_pools: Field<BTreeMap<Spanned<String>, Field<NodePoolSpec>>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NodePoolSpec {
    pub vm_size: Field<String>,
    pub min: Field<u32>,
    pub max: Field<u32>,
    pub labels: Field<BTreeMap<String, String>>,
    pub taints: Field<Vec<TaintSpec>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TaintSpec {
    pub key: String,
    pub value: Option<String>,
    pub effect: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TerraformSpec {
    pub backend: Field<BackendSpec>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BackendSpec {
    #[serde(rename = "type")]
    pub kind: Field<String>,
    /// Each argument with its position (the secrets rule reports values where written).
    pub config: Field<BTreeMap<String, Field<serde_json::Value>>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SecretStoreSpec {
    #[serde(rename = "type")]
    pub kind: Field<SecretStoreKind>,
    pub name: Field<String>,
    pub address: Field<String>,
    /// GCP project id (`gcp-secret-manager`).
    pub project: Field<String>,
    /// Infisical project and environment slugs (`infisical`).
    pub project_slug: Field<String>,
    pub environment_slug: Field<String>,
    /// KV v2 mount (`vault`).
    pub mount: Field<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NetworkSpec {
    pub cidr: Field<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MonitoringSpec {
    pub prometheus_url: Field<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PromotionSpec {
    pub from: Field<String>,
    pub approval: Field<crate::model::Approval>,
    pub approvers: Field<String>,
}

/// `platform:` in the registry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PlatformSpec {
    pub name: Field<String>,
    pub image_registry: Field<String>,
    pub gitops: Field<GitOpsSpec>,
    pub ci: Field<Vec<crate::model::CiSystem>>,
    pub mesh: Field<MeshSpec>,
    pub image_pull_secret: Field<PullSecretSpec>,
}

/// `platform.imagePullSecret`: a store entry holding a Docker `config.json`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PullSecretSpec {
    pub path: Field<String>,
    pub key: Field<String>,
}

/// `platform.mesh`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MeshSpec {
    pub dataplane: Field<crate::model::Dataplane>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct GitOpsSpec {
    pub repository: Field<String>,
    pub branch: Field<String>,
    pub path: Field<String>,
    pub bump: Field<crate::model::Bump>,
}
