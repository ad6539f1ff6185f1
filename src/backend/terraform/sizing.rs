//! Sizing of managed resources: the resolved `infra.sizing` where written, otherwise a
//! default per cloud and type (small unless the resource is highly available), clamped to
//! what each service accepts. Also the one deletion-protection rule.

use crate::model::{Approval, CloudProvider, Environment, InfraType, Sizing};

/// Sizing with every field decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub sku: String,
    pub storage_gb: u32,
    pub backup_retention_days: u32,
    pub high_availability: bool,
    pub engine_version: String,
    pub brokers: u32,
    pub nodes: u32,
}

/// The rule: an environment is protected (deletion protection on its data stores, locks on
/// Azure, HA and longer backups by default) when it is named `prod` or its promotion needs
/// an approval. One rule, applied to every resource.
pub fn is_protected(env: &Environment) -> bool {
    env.name == "prod"
        || env
            .promotion
            .as_ref()
            .is_some_and(|p| p.approval == Approval::Required)
}

/// Sizing of a `kind` resource on `cloud` from what the model resolved.
pub fn resolve(
    cloud: CloudProvider,
    kind: InfraType,
    sizing: &Sizing,
    version: Option<&str>,
    protected: bool,
) -> Resolved {
    let ha = sizing.high_availability.unwrap_or(protected);
    let d = defaults(cloud, kind, ha);
    let backup = sizing
        .backup_retention_days
        .unwrap_or(if protected { 30 } else { 7 });
    let (min_backup, max_backup) = backup_bounds(cloud, kind);
    Resolved {
        sku: sizing.sku.clone().unwrap_or_else(|| d.sku.to_owned()),
        storage_gb: storage(cloud, kind, sizing.storage_gb.unwrap_or(d.storage_gb)),
        backup_retention_days: backup.clamp(min_backup, max_backup),
        high_availability: ha,
        engine_version: engine_version(cloud, kind, version)
            .unwrap_or_else(|| d.version.to_owned()),
        brokers: brokers(
            cloud,
            kind,
            sizing.brokers.unwrap_or(if ha { 3 } else { d.brokers }),
        ),
        nodes: sizing.nodes.unwrap_or(if ha { 2 } else { 1 }),
    }
}

struct Defaults {
    sku: &'static str,
    storage_gb: u32,
    version: &'static str,
    brokers: u32,
}

fn defaults(cloud: CloudProvider, kind: InfraType, ha: bool) -> Defaults {
    use CloudProvider::*;
    use InfraType::*;
    let pick = |small, large| if ha { large } else { small };
    let (sku, storage_gb, version, brokers) = match (cloud, kind) {
        (Aws, Postgres) => (pick("db.t4g.micro", "db.m6g.large"), 20, "16", 3),
        (Aws, Mysql) => (pick("db.t4g.micro", "db.m6g.large"), 20, "8.0", 3),
        (Aws, Sqlserver) => (pick("db.m5.large", "db.m5.xlarge"), 20, "16.0", 3),
        (Aws, Mongodb) => (pick("db.t4g.medium", "db.r6g.large"), 20, "5.0.0", 3),
        (Aws, Redis) => (pick("cache.t4g.micro", "cache.m6g.large"), 1, "7.1", 3),
        (Aws, Kafka) => (pick("kafka.t3.small", "kafka.m5.large"), 100, "3.6.0", 3),
        (Aws, Rabbitmq) => (pick("mq.t3.micro", "mq.m5.large"), 20, "3.13", 3),
        (Aws, Elasticsearch) => (pick("t3.small.search", "m6g.large.search"), 20, "2.13", 3),
        (Aws, Bucket) => ("standard", 1, "", 3),
        (Azure, Postgres) => (pick("B_Standard_B1ms", "GP_Standard_D2ds_v5"), 32, "16", 3),
        (Azure, Mysql) => (
            pick("B_Standard_B1ms", "GP_Standard_D2ds_v4"),
            20,
            "8.0.21",
            3,
        ),
        (Azure, Sqlserver) => (pick("S0", "GP_Gen5_2"), 32, "12.0", 3),
        (Azure, Mongodb) => ("serverless", 1, "7.0", 3),
        (Azure, Redis) => (pick("Basic_C0", "Standard_C1"), 1, "6", 3),
        (Azure, Kafka) => ("Standard", 1, "", 1),
        (Azure, Bucket) => ("Standard", 1, "", 3),
        (Gcp, Postgres) => (pick("db-custom-1-3840", "db-custom-2-7680"), 20, "16", 3),
        (Gcp, Mysql) => (pick("db-custom-1-3840", "db-custom-2-7680"), 20, "8.0", 3),
        (Gcp, Sqlserver) => (pick("db-custom-2-7680", "db-custom-4-15360"), 20, "2022", 3),
        (Gcp, Redis) => (pick("BASIC", "STANDARD_HA"), 1, "7.2", 3),
        (Gcp, Bucket) => ("STANDARD", 1, "", 3),
        // In the cluster on these clouds: sizing is the Kubernetes target's.
        (Azure | Gcp, _) => ("", 1, "", 3),
    };
    Defaults {
        sku,
        storage_gb,
        version,
        brokers,
    }
}

/// The version the service asked for, in the form the cloud wants, where it has a choice.
fn engine_version(cloud: CloudProvider, kind: InfraType, version: Option<&str>) -> Option<String> {
    use CloudProvider::*;
    use InfraType::*;
    let v = version?;
    match (cloud, kind) {
        (Aws, Postgres | Mysql | Redis | Kafka | Rabbitmq | Elasticsearch) => Some(v.to_owned()),
        (Azure, Postgres | Mongodb) => Some(v.to_owned()),
        (Azure, Mysql) if v.starts_with("8.0") => Some("8.0.21".to_owned()),
        (Gcp, Postgres | Mysql | Redis) => Some(v.to_owned()),
        _ => None,
    }
}

/// MSK needs at least two brokers, a multiple of the two or three client subnets.
fn brokers(cloud: CloudProvider, kind: InfraType, n: u32) -> u32 {
    match (cloud, kind) {
        (CloudProvider::Aws, InfraType::Kafka) if n.is_multiple_of(3) => n,
        (CloudProvider::Aws, InfraType::Kafka) => n.max(2).next_multiple_of(2),
        _ => n.max(1),
    }
}

/// Storage each service accepts: Azure PostgreSQL takes powers of two from 32 GB.
fn storage(cloud: CloudProvider, kind: InfraType, gb: u32) -> u32 {
    match (cloud, kind) {
        (CloudProvider::Azure, InfraType::Postgres) => gb.max(32).next_power_of_two(),
        _ => gb.max(1),
    }
}

fn backup_bounds(cloud: CloudProvider, kind: InfraType) -> (u32, u32) {
    use CloudProvider::*;
    use InfraType::*;
    match (cloud, kind) {
        (Azure, Postgres | Mysql) => (7, 35),
        (Azure, Sqlserver | Mongodb) => (1, 35),
        (Azure, Bucket) => (1, 365),
        (Gcp, Bucket) => (7, 90),
        (Gcp, _) => (1, 365),
        (Aws, Bucket) => (1, 3650),
        _ => (1, 35),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_sizing_wins_and_defaults_follow_protection() {
        let declared = Sizing {
            sku: Some("GP_Standard_D4s_v3".into()),
            storage_gb: Some(100),
            backup_retention_days: Some(90),
            high_availability: Some(true),
            ..Sizing::default()
        };
        let r = resolve(
            CloudProvider::Azure,
            InfraType::Postgres,
            &declared,
            Some("16"),
            false,
        );
        assert_eq!(r.sku, "GP_Standard_D4s_v3");
        assert_eq!(r.storage_gb, 128, "rounded up to an accepted size");
        assert_eq!(
            r.backup_retention_days, 35,
            "clamped to the service maximum"
        );
        let small = resolve(
            CloudProvider::Aws,
            InfraType::Postgres,
            &Sizing::default(),
            None,
            false,
        );
        assert_eq!(
            (
                small.sku.as_str(),
                small.high_availability,
                small.backup_retention_days
            ),
            ("db.t4g.micro", false, 7)
        );
        let prod = resolve(
            CloudProvider::Aws,
            InfraType::Postgres,
            &Sizing::default(),
            None,
            true,
        );
        assert!(prod.high_availability && prod.backup_retention_days == 30);
    }
}
