//! The typed records of the resolved model. Field names follow the input files (camelCase on
//! the wire, as the schemas spell them) so that template contexts serialise them back
//! unchanged. Lowering (`crate::lower`) builds them from the typed spec with every default
//! applied from `crate::spec::defaults`; the model itself has no defaults and is not
//! read from input (its records derive `Deserialize` only for the back ends' unit-test
//! fixtures, see `fixture` below; the enums are read by the spec too).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `platform:` in the registry.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "camelCase")]
pub struct Platform {
    /// DNS-1123 label; prefixes cloud resource names and tags everything.
    pub name: String,
    pub image_registry: String,
    pub gitops: GitOps,
    #[cfg_attr(test, serde(default))]
    pub ci: Vec<CiSystem>,
    /// `platform.mesh`: how the Istio data plane reaches the pods.
    #[cfg_attr(test, serde(default = "fixture::mesh"))]
    pub mesh: Mesh,
    /// `platform.imagePullSecret`: pull credentials for clusters that cannot pull
    /// `image_registry` by their cloud identity.
    #[cfg_attr(test, serde(default))]
    pub image_pull_secret: Option<PullSecret>,
}

/// Where the Docker `config.json` for the image registry lives in each environment's
/// secret store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
pub struct PullSecret {
    pub path: String,
    pub key: String,
}

/// `platform.mesh`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
pub struct Mesh {
    pub dataplane: Dataplane,
}

/// `platform.mesh.dataplane`: an Envoy sidecar per pod, or Istio ambient mode (ztunnel per
/// node, waypoints for L7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dataplane {
    Sidecar,
    Ambient,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "camelCase")]
pub struct GitOps {
    pub repository: String,
    #[cfg_attr(test, serde(default = "fixture::branch"))]
    pub branch: String,
    /// Path in the GitOps repository that holds the generated Kubernetes tree.
    #[cfg_attr(test, serde(default = "fixture::gitops_path"))]
    pub path: String,
    /// How pipelines land a `versions.yaml` change: a pull request or a direct push.
    #[cfg_attr(test, serde(default = "fixture::bump"))]
    pub bump: Bump,
}

/// `platform.gitops.bump`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Bump {
    Pr,
    Push,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum CiSystem {
    Github,
    Gitlab,
    AzurePipelines,
    Jenkins,
}

/// One environment file, resolved, with its enabled services.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "camelCase")]
pub struct Environment {
    /// The file stem of `environments/<name>.yaml`.
    pub name: String,
    pub cloud: Cloud,
    pub cluster: Cluster,
    pub terraform: TerraformSettings,
    pub secret_store: SecretStore,
    pub network: Network,
    pub monitoring: Monitoring,
    pub namespace_suffix: String,
    pub promotion: Option<Promotion>,
    pub image_tags: TagPolicy,
    /// Sizing per backing resource type, as the environment file wrote it.
    pub infra_defaults: BTreeMap<InfraType, Sizing>,
    /// The services deployed here (disabled ones dropped), by name.
    pub services: BTreeMap<String, Service>,
    /// Registry services that `enabled: false` leaves out of this environment.
    pub disabled: Vec<String>,
    /// Its cells (SPEC "Cells"), in the order written; empty: the environment is one cell.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(test, serde(default))]
    pub cells: Vec<super::Cell>,
    /// The order a new version reaches the cells, each wave a list of cell names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(test, serde(default))]
    pub waves: Vec<Vec<String>>,
    /// How long a wave stays healthy before the next (`bake`), with cells only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, serde(default))]
    pub bake: Option<String>,
    /// The cell this environment is, when it is one of an environment's cells (its name
    /// stays the environment's; cloud names derive from both,
    /// [`crate::backend::contract::cell_scoped`]).
    #[serde(skip)]
    pub cell: Option<String>,
    /// Who depends on whom here, built on first use by `Environment::dependents_of`.
    #[serde(skip)]
    pub(crate) dependents: std::sync::OnceLock<BTreeMap<String, Vec<String>>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
pub struct Cloud {
    pub provider: CloudProvider,
    pub region: String,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum CloudProvider {
    Aws,
    Azure,
    Gcp,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "camelCase")]
pub struct Cluster {
    pub name: String,
    /// The Kubernetes version; `None` leaves it to the cloud's default.
    pub version: Option<String>,
    #[cfg_attr(test, serde(default))]
    pub node_pools: BTreeMap<String, NodePool>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "camelCase")]
pub struct NodePool {
    /// The cloud's own instance / VM / machine type name.
    pub vm_size: String,
    pub min: u32,
    pub max: u32,
    #[cfg_attr(test, serde(default))]
    pub labels: BTreeMap<String, String>,
    #[cfg_attr(test, serde(default))]
    pub taints: Vec<Taint>,
}

/// A node pool taint (`key=value:effect`).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
pub struct Taint {
    pub key: String,
    #[cfg_attr(test, serde(default))]
    pub value: Option<String>,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    pub effect: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
pub struct TerraformSettings {
    pub backend: Backend,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
pub struct Backend {
    #[serde(rename = "type")]
    pub kind: String,
    /// Backend arguments, sorted by name (so the written order does not change output).
    #[cfg_attr(test, serde(default))]
    pub config: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
pub struct SecretStore {
    #[serde(rename = "type")]
    pub kind: SecretStoreKind,
    /// The ClusterSecretStore that ExternalSecrets reference.
    pub name: String,
    #[cfg_attr(test, serde(default))]
    pub address: Option<String>,
    /// `gcp-secret-manager`: the GCP project holding the secrets.
    #[cfg_attr(test, serde(default))]
    pub project: Option<String>,
    /// `infisical`: the project and environment slugs.
    #[cfg_attr(test, serde(default))]
    pub project_slug: Option<String>,
    #[cfg_attr(test, serde(default))]
    pub environment_slug: Option<String>,
    /// `vault`: the KV v2 mount, the one name the ClusterSecretStore, the secret writes and
    /// the policies use.
    #[cfg_attr(test, serde(default = "default_vault_mount"))]
    pub mount: String,
}

#[cfg(test)]
fn default_vault_mount() -> String {
    crate::spec::defaults::VAULT_MOUNT.to_owned()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecretStoreKind {
    Vault,
    AwsSecretsManager,
    AzureKeyVault,
    GcpSecretManager,
    Infisical,
}

impl SecretStoreKind {
    /// The spelling used in the input files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Vault => "vault",
            Self::AwsSecretsManager => "aws-secrets-manager",
            Self::AzureKeyVault => "azure-key-vault",
            Self::GcpSecretManager => "gcp-secret-manager",
            Self::Infisical => "infisical",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
pub struct Network {
    /// IPv4 CIDR of the environment's network (a default per environment when not written).
    pub cidr: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "camelCase")]
pub struct Monitoring {
    pub prometheus_url: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
pub struct Promotion {
    pub from: String,
    #[cfg_attr(test, serde(default = "fixture::approval"))]
    pub approval: Approval,
    /// Who may approve where approval is required (CI user or group ids, comma-separated).
    #[cfg_attr(test, serde(default))]
    pub approvers: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Approval {
    Required,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TagPolicy {
    Any,
    BranchShaTimestamp,
    StagingVersion,
    Semver,
}

/// A service as deployed in one environment (or, in `Model::registry_services`, as the
/// registry declares it with the registry defaults applied).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "camelCase")]
pub struct Service {
    /// The service's key in the registry (set by lowering, never written in the entry).
    #[cfg_attr(test, serde(default))]
    pub name: String,
    pub team: String,
    /// The namespace as written, without the environment's `namespaceSuffix`.
    pub namespace: String,
    /// Image repository, without registry host or tag.
    pub image: String,
    pub build: Build,
    #[cfg_attr(test, serde(default))]
    pub ports: Vec<Port>,
    pub replicas: Replicas,
    pub resources: Resources,
    #[cfg_attr(test, serde(default = "fixture::health_check"))]
    pub health_check: HealthCheck,
    /// Non-secret environment variables, rendered as strings.
    #[cfg_attr(test, serde(default))]
    pub config: BTreeMap<String, String>,
    #[cfg_attr(test, serde(default))]
    pub secrets: BTreeMap<String, SecretRef>,
    /// Sorted service names.
    #[cfg_attr(test, serde(default))]
    pub dependencies: Vec<String>,
    /// Backing resources by entry name, sizing resolved against `infraDefaults`.
    #[cfg_attr(test, serde(default))]
    pub infra: BTreeMap<String, Infra>,
    #[cfg_attr(test, serde(default))]
    pub expose: Option<Expose>,
    #[cfg_attr(test, serde(default = "fixture::rollout"))]
    pub rollout: Rollout,
    /// The image tags for this environment (`versions.yaml`); absent in
    /// `Model::registry_services`.
    #[cfg_attr(test, serde(default))]
    pub version: Option<ImageVersion>,
    /// External endpoints the service calls (`egress`), in the order written.
    #[cfg_attr(test, serde(default))]
    pub egress: Vec<Egress>,
    /// Schema migrations before a rollout (`migrations`).
    #[cfg_attr(test, serde(default))]
    pub migrations: Option<super::Migrations>,
    /// The Prometheus endpoint a ServiceMonitor scrapes (`metrics`).
    #[cfg_attr(test, serde(default))]
    pub metrics: Option<super::Metrics>,
    /// The alert thresholds (`alerts`); empty when none is set.
    #[cfg_attr(test, serde(default))]
    pub alerts: super::Alerts,
}

/// One external endpoint a service calls: a DNS name or an IPv4 range, and a port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
pub struct Egress {
    #[serde(flatten)]
    pub to: EgressTo,
    pub port: u16,
}

/// Where an [`Egress`] goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "lowercase")]
pub enum EgressTo {
    /// A DNS name (`api.stripe.com`).
    Host(String),
    /// An IPv4 CIDR (`203.0.113.0/24`).
    Cidr(String),
}

impl Service {
    /// The port called `name`.
    pub fn port(&self, name: &str) -> Option<&Port> {
        self.ports.iter().find(|p| p.name == name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
pub struct Build {
    pub language: Language,
    pub context: String,
    #[cfg_attr(test, serde(default))]
    pub dockerfile: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Java,
    Node,
    Python,
    Go,
    Rust,
    Dotnet,
    Docker,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
pub struct Port {
    pub name: String,
    pub port: u16,
    #[cfg_attr(test, serde(default = "fixture::protocol"))]
    pub protocol: Protocol,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Http,
    Grpc,
    Tcp,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "camelCase")]
pub struct Replicas {
    pub min: u32,
    pub max: u32,
    /// Average CPU utilisation, in percent of the request, the autoscaler aims for.
    #[serde(rename = "targetCPU")]
    #[cfg_attr(test, serde(default = "fixture::target_cpu"))]
    pub target_cpu: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
pub struct Resources {
    pub requests: Quantities,
    pub limits: Quantities,
}

/// Kubernetes quantities, as strings (`250m`, `"1"`, `512Mi`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
pub struct Quantities {
    pub cpu: String,
    pub memory: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
pub struct HealthCheck {
    #[cfg_attr(test, serde(default))]
    pub readiness: Option<Probe>,
    #[cfg_attr(test, serde(default))]
    pub liveness: Option<Probe>,
    #[cfg_attr(test, serde(default))]
    pub startup: Option<Probe>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    /// HTTP GET path; without it the port's protocol decides (gRPC or TCP).
    #[cfg_attr(test, serde(default))]
    pub path: Option<String>,
    /// Name of one of the service's ports.
    pub port: String,
    #[cfg_attr(test, serde(default))]
    pub initial_delay_seconds: Option<u32>,
    #[cfg_attr(test, serde(default))]
    pub period_seconds: Option<u32>,
    #[cfg_attr(test, serde(default))]
    pub timeout_seconds: Option<u32>,
    #[cfg_attr(test, serde(default))]
    pub failure_threshold: Option<u32>,
}

/// A reference to a secret in the environment's secret store; never a value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
pub struct SecretRef {
    pub store: SecretStoreKind,
    pub path: String,
    pub key: String,
}

/// `infra.<name>.scope`: where a backing resource lives in an environment with cells.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InfraScope {
    /// One per cell, in the cell's root.
    #[default]
    Cell,
    /// One for the whole environment, in the environment's root; the cells share it.
    Environment,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InfraType {
    Postgres,
    Mysql,
    Sqlserver,
    Mongodb,
    Redis,
    Kafka,
    Rabbitmq,
    Elasticsearch,
    Bucket,
}

impl InfraType {
    /// Every backing resource type, in declaration order.
    pub const ALL: [InfraType; 9] = [
        Self::Postgres,
        Self::Mysql,
        Self::Sqlserver,
        Self::Mongodb,
        Self::Redis,
        Self::Kafka,
        Self::Rabbitmq,
        Self::Elasticsearch,
        Self::Bucket,
    ];

    /// The spelling used in the input files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Mysql => "mysql",
            Self::Sqlserver => "sqlserver",
            Self::Mongodb => "mongodb",
            Self::Redis => "redis",
            Self::Kafka => "kafka",
            Self::Rabbitmq => "rabbitmq",
            Self::Elasticsearch => "elasticsearch",
            Self::Bucket => "bucket",
        }
    }
}

/// A backing resource a service owns, with its sizing resolved (the entry's own sizing
/// fields over the environment's `infraDefaults` for its type).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
pub struct Infra {
    #[serde(rename = "type")]
    pub kind: InfraType,
    /// Where it lives in an environment with cells, as written: in each cell (`None`, the
    /// default) or once, in the environment's own root. Without cells it changes nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<InfraScope>,
    #[cfg_attr(test, serde(default))]
    pub version: Option<String>,
    #[cfg_attr(test, serde(default))]
    pub topics: Vec<String>,
    #[cfg_attr(test, serde(default))]
    pub exchanges: Vec<String>,
    #[serde(flatten)]
    pub sizing: Sizing,
}

/// Sizing of a backing resource; every field optional, each target picks its own defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "camelCase")]
pub struct Sizing {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_gb: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_retention_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub high_availability: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brokers: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nodes: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
pub struct Expose {
    pub host: String,
    #[cfg_attr(test, serde(default = "fixture::expose_path"))]
    pub path: String,
    /// `namespace/name` of the Istio Gateway.
    pub gateway: String,
    /// Name of the TLS secret at the gateway, when the gateway needs one per host.
    #[cfg_attr(test, serde(default))]
    pub tls: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "camelCase")]
pub struct Rollout {
    #[cfg_attr(test, serde(default = "fixture::strategy"))]
    pub strategy: Strategy,
    #[cfg_attr(test, serde(default))]
    pub max_surge: Option<IntOrPercent>,
    #[cfg_attr(test, serde(default))]
    pub max_unavailable: Option<IntOrPercent>,
    #[cfg_attr(test, serde(default))]
    pub canary: Option<Canary>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    Rolling,
    Canary,
    BlueGreen,
}

impl Strategy {
    /// The spelling used in the input files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rolling => "rolling",
            Self::Canary => "canary",
            Self::BlueGreen => "blue-green",
        }
    }
}

impl TagPolicy {
    /// The spelling used in the input files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Any => "any",
            Self::BranchShaTimestamp => "branch-sha-timestamp",
            Self::StagingVersion => "staging-version",
            Self::Semver => "semver",
        }
    }
}

/// A count or a percentage string (`25%`), as Kubernetes takes for surge and unavailability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum IntOrPercent {
    Int(u32),
    Percent(String),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
pub struct Canary {
    /// Traffic weights in percent, strictly increasing, ending at 100.
    pub steps: Vec<u32>,
    /// Time between steps, as written (`30m`).
    #[cfg_attr(test, serde(default = "fixture::interval"))]
    pub interval: String,
    #[cfg_attr(test, serde(default))]
    pub header: Option<Header>,
    #[cfg_attr(test, serde(default))]
    pub analysis: Option<Analysis>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
pub struct Header {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
#[serde(rename_all = "camelCase")]
pub struct Analysis {
    #[cfg_attr(test, serde(default))]
    pub max_error_rate: Option<f64>,
    #[cfg_attr(test, serde(default))]
    pub max_latency_p95_ms: Option<u32>,
    #[cfg_attr(test, serde(default = "fixture::failure_limit"))]
    pub failure_limit: u32,
}

/// The image tags of a service in one environment (`versions.yaml`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
pub struct ImageVersion {
    pub stable: String,
    #[cfg_attr(test, serde(default))]
    pub canary: Option<CanaryVersion>,
    #[cfg_attr(test, serde(default))]
    pub preview: Option<String>,
    /// Blue-green: the colour whose Deployment the active Service selects (runs `stable`).
    #[cfg_attr(test, serde(default))]
    pub active: Colour,
    /// Blue-green: the tag the other colour keeps running after a promote, for a switch back.
    #[cfg_attr(test, serde(default))]
    pub previous: Option<String>,
}

/// One of the two Deployments of a blue-green service (`<service>-blue`, `<service>-green`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Colour {
    #[default]
    Blue,
    Green,
}

impl Colour {
    /// The spelling used in `versions.yaml`, Deployment names and the `version` pod label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Blue => "blue",
            Self::Green => "green",
        }
    }

    /// The other colour.
    pub fn other(self) -> Self {
        match self {
            Self::Blue => Self::Green,
            Self::Green => Self::Blue,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(Deserialize))]
pub struct CanaryVersion {
    pub tag: String,
    /// Percent of traffic to the canary, strictly between 0 and 100.
    pub weight: u32,
}

/// What the back ends' test fixtures leave out, filled as lowering would: from the SPEC's
/// defaults (the model itself is read from YAML only by those fixtures).
#[cfg(test)]
mod fixture {
    use super::*;
    use crate::spec::defaults;

    pub fn branch() -> String {
        defaults::GITOPS_BRANCH.to_owned()
    }
    pub fn gitops_path() -> String {
        defaults::gitops_path("golden")
    }
    pub fn expose_path() -> String {
        defaults::EXPOSE_PATH.to_owned()
    }
    pub fn interval() -> String {
        defaults::CANARY_INTERVAL.to_owned()
    }
    pub fn failure_limit() -> u32 {
        defaults::FAILURE_LIMIT
    }
    pub fn approval() -> Approval {
        defaults::APPROVAL
    }
    pub fn bump() -> Bump {
        defaults::BUMP
    }
    pub fn protocol() -> Protocol {
        defaults::PROTOCOL
    }
    pub fn strategy() -> Strategy {
        defaults::STRATEGY
    }
    pub fn target_cpu() -> u32 {
        defaults::TARGET_CPU
    }
    pub fn mesh() -> Mesh {
        Mesh {
            dataplane: defaults::DATAPLANE,
        }
    }
    pub fn health_check() -> HealthCheck {
        HealthCheck {
            readiness: None,
            liveness: None,
            startup: None,
        }
    }
    pub fn rollout() -> Rollout {
        Rollout {
            strategy: defaults::STRATEGY,
            max_surge: None,
            max_unavailable: None,
            canary: None,
        }
    }
}
