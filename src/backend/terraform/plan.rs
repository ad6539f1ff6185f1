//! What an environment's root provisions, gathered from the model once: each managed
//! resource with its key, names and sizing, the in-cluster ones, and the services that need
//! a workload identity. Every later step only walks this, in sorted order.

use std::collections::BTreeMap;

use super::names::{self, dns_label};
use super::sizing::{self, Resolved};
use crate::backend::contract::{
    Placement, connection_secret_name, entry_scope, identity_in_store, identity_secret_name,
    placement,
};
use crate::model::{CloudProvider, Environment, InfraType, Model};

/// One managed backing resource.
#[derive(Debug, Clone)]
pub struct Resource {
    /// `<service>-<entry>`: the `for_each` key.
    pub key: String,
    pub service: String,
    /// The cloud resource name, within that service's limits.
    pub name: String,
    pub secret_name: String,
    pub sizing: Resolved,
    pub topics: Vec<String>,
    pub exchanges: Vec<String>,
}

/// A service owning at least one managed resource.
#[derive(Debug, Clone)]
pub struct Owner {
    pub team: String,
    pub namespace: String,
    /// IAM role / managed identity name (unused on GCP, whose grants name the
    /// ServiceAccount itself).
    pub identity_name: String,
    /// The store entry carrying the identity's client id, where the cloud needs one
    /// ([`identity_secret_name`]).
    pub identity_secret: Option<String>,
}

/// Everything the root of one environment needs.
#[derive(Debug, Clone)]
pub struct EnvPlan {
    pub cloud: CloudProvider,
    pub protected: bool,
    pub managed: BTreeMap<InfraType, Vec<Resource>>,
    /// `(kind, key)` of the resources the cluster runs.
    pub in_cluster: Vec<(InfraType, String)>,
    pub owners: BTreeMap<String, Owner>,
}

/// Gathers the plan of `env`.
pub fn plan(model: &Model, env: &Environment) -> EnvPlan {
    let cloud = env.cloud.provider;
    let platform = &model.platform.name;
    let protected = sizing::is_protected(env);
    let mut managed: BTreeMap<InfraType, Vec<Resource>> = BTreeMap::new();
    let mut in_cluster = Vec::new();
    let mut owners = BTreeMap::new();
    let base = names::base(env);
    for service in env.services.values() {
        for (entry, infra) in &service.infra {
            let key = format!("{}-{entry}", service.name);
            if placement(cloud, infra.kind) == Placement::InCluster {
                in_cluster.push((infra.kind, key));
                continue;
            }
            let sizing = sizing::resolve(
                cloud,
                infra.kind,
                &infra.sizing,
                infra.version.as_deref(),
                protected,
            );
            let parts = [
                platform.as_str(),
                base.as_str(),
                service.name.as_str(),
                entry.as_str(),
            ];
            managed.entry(infra.kind).or_default().push(Resource {
                name: resource_name(cloud, infra.kind, &parts),
                secret_name: connection_secret_name(
                    platform,
                    &entry_scope(&env.name, env.cell.as_deref(), infra.scope, false),
                    &service.name,
                    entry,
                ),
                key,
                service: service.name.clone(),
                sizing,
                topics: infra.topics.clone(),
                exchanges: infra.exchanges.clone(),
            });
            owners.entry(service.name.clone()).or_insert_with(|| Owner {
                team: service.team.clone(),
                namespace: env.namespace_of(service),
                identity_name: identity_name(cloud, platform, &base, &service.name),
                identity_secret: identity_in_store(cloud)
                    .then(|| identity_secret_name(platform, &base, &service.name)),
            });
        }
    }
    EnvPlan {
        cloud,
        protected,
        managed,
        in_cluster,
        owners,
    }
}

/// The cloud name of a resource, within the limits of the service that holds it.
fn resource_name(cloud: CloudProvider, kind: InfraType, parts: &[&str]) -> String {
    use CloudProvider::*;
    use InfraType::*;
    match (cloud, kind) {
        (Azure, Bucket) => names::azure_storage_account(parts),
        (Aws, Elasticsearch) => dns_label(parts, 28),
        (Aws, Redis) => dns_label(parts, 40),
        (Aws, Rabbitmq) => dns_label(parts, 50),
        // DocumentDB instances append `-<n>`; RDS final snapshots `-final`.
        (Aws, Mongodb | Postgres | Mysql | Sqlserver) => dns_label(parts, 57),
        (Aws, Kafka | Bucket) => dns_label(parts, 63),
        (Azure, Mongodb) => dns_label(parts, 44),
        (Azure, Kafka) => dns_label(parts, 50),
        (Azure, _) => dns_label(parts, 60),
        (Gcp, Redis) => dns_label(parts, 40),
        (Gcp, _) => dns_label(parts, 63),
    }
}

fn identity_name(cloud: CloudProvider, platform: &str, env: &str, service: &str) -> String {
    match cloud {
        CloudProvider::Aws => dns_label(&[platform, env, service], 64),
        CloudProvider::Azure => dns_label(&[platform, env, service], 128),
        CloudProvider::Gcp => names::gcp_service_account(&[env, service]),
    }
}
