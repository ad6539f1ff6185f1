//! The contract between the back ends: where each backing resource lives and how its
//! connection details reach a pod.
//!
//! The Terraform back end provisions managed resources and writes their connection details
//! into the environment's secret store, under the names and keys given here; the Kubernetes
//! back end's ExternalSecrets read them back under the same names and hand them to pods as
//! the environment variables named here (or it runs the resource in the cluster through its
//! operator when the cloud has no managed offering). Both sides call only these functions, so
//! the naming lives once. None of it is part of the model: it is how two output formats meet,
//! not what the user declared.

use crate::model::{CloudProvider, InfraType};

/// Where a backing resource runs on a given cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Placement {
    /// A managed cloud service, provisioned by the Terraform target.
    Managed,
    /// In the cluster, through its standard operator resource (RabbitmqCluster, Strimzi
    /// Kafka, MongoDBCommunity, ECK Elasticsearch), emitted by the Kubernetes target.
    InCluster,
}

/// Where `kind` runs on `provider`: every pair is one or the other, never dropped.
pub fn placement(provider: CloudProvider, kind: InfraType) -> Placement {
    use CloudProvider::*;
    use InfraType::*;
    match (provider, kind) {
        (Aws, _) => Placement::Managed,
        (Azure, Rabbitmq | Elasticsearch) => Placement::InCluster,
        (Azure, Postgres | Mysql | Sqlserver | Mongodb | Redis | Kafka | Bucket) => {
            Placement::Managed
        }
        (Gcp, Kafka | Mongodb | Elasticsearch | Rabbitmq) => Placement::InCluster,
        (Gcp, Postgres | Mysql | Sqlserver | Redis | Bucket) => Placement::Managed,
    }
}

/// The properties of the JSON document a managed resource's connection secret holds.
pub fn connection_keys(kind: InfraType) -> &'static [&'static str] {
    use InfraType::*;
    match kind {
        Postgres | Mysql | Sqlserver | Mongodb => {
            &["host", "port", "database", "username", "password", "url"]
        }
        Redis => &["host", "port", "password", "url"],
        Kafka => &["bootstrap_servers", "username", "password"],
        Rabbitmq => &["host", "port", "username", "password", "url"],
        Elasticsearch => &["url", "username", "password"],
        Bucket => &["name", "endpoint"],
    }
}

/// The secret-store entry holding the connection details of `resource` of `service`:
/// `<platform>-<env>-<service>-<resource>`, letters, digits and dashes only, so it is a
/// valid name in every supported store (Key Vault, Secrets Manager, Secret Manager, Vault).
pub fn connection_secret_name(platform: &str, env: &str, service: &str, resource: &str) -> String {
    format!("{platform}-{env}-{service}-{resource}")
}

/// The environment variable a pod sees for `key` of `resource`: `db` + `url` → `DB_URL`.
pub fn env_var_name(resource: &str, key: &str) -> String {
    format!("{resource}_{key}")
        .to_ascii_uppercase()
        .replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pair_has_a_placement() {
        for provider in [CloudProvider::Aws, CloudProvider::Azure, CloudProvider::Gcp] {
            for kind in InfraType::ALL {
                let _ = placement(provider, kind);
                assert!(!connection_keys(kind).is_empty());
            }
        }
    }

    #[test]
    fn names() {
        assert_eq!(env_var_name("read-db", "url"), "READ_DB_URL");
        assert_eq!(
            connection_secret_name("shop", "prod", "cart", "db"),
            "shop-prod-cart-db"
        );
    }
}
