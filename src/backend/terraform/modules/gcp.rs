//! GCP modules: VPC (with private services access), GKE, Cloud SQL (PostgreSQL, MySQL,
//! SQL Server), Memorystore for Redis and Cloud Storage. Kafka, MongoDB, RabbitMQ and
//! Elasticsearch have no module: they run in the cluster on GCP.

use super::{CloudModule, ModuleKind, Var};
use crate::backend::terraform::providers::Provider;
use crate::model::InfraType;

const RANDOM: &[Provider] = &[Provider::Random];

pub(super) fn module(kind: ModuleKind) -> Option<CloudModule> {
    use InfraType::*;
    let data = |main, providers| {
        Some(CloudModule {
            main,
            outputs: None,
            providers,
        })
    };
    match kind {
        ModuleKind::Network => Some(CloudModule {
            main: include_str!("hcl/gcp-network.tf"),
            outputs: Some(include_str!("hcl/gcp-network.outputs.tf")),
            providers: &[],
        }),
        ModuleKind::Cluster => Some(CloudModule {
            main: include_str!("hcl/gcp-cluster.tf"),
            outputs: Some(include_str!("hcl/gcp-cluster.outputs.tf")),
            providers: &[],
        }),
        ModuleKind::Data(Postgres) => data(include_str!("hcl/gcp-postgres.tf"), RANDOM),
        ModuleKind::Data(Mysql) => data(include_str!("hcl/gcp-mysql.tf"), RANDOM),
        ModuleKind::Data(Sqlserver) => data(include_str!("hcl/gcp-sqlserver.tf"), RANDOM),
        ModuleKind::Data(Redis) => data(include_str!("hcl/gcp-redis.tf"), &[]),
        ModuleKind::Data(Bucket) => data(include_str!("hcl/gcp-bucket.tf"), &[]),
        ModuleKind::Data(Kafka | Mongodb | Rabbitmq | Elasticsearch) => None,
    }
}

pub(super) fn extra_vars(kind: ModuleKind) -> Vec<Var> {
    let mut vars = vec![
        Var::new("project_id", "string", "The GCP project."),
        Var::new("region", "string", "GCP region."),
    ];
    match kind {
        ModuleKind::Network => {}
        ModuleKind::Cluster => vars.extend([
            Var::new("network_id", "string", "The VPC network."),
            Var::new("subnet_id", "string", "Subnet of the nodes."),
            Var::new(
                "cidr",
                "string",
                "The network CIDR allowed to reach the private API endpoint.",
            ),
            Var::new(
                "node_service_account",
                "string",
                "Account id of the nodes' service account.",
            ),
            Var::new(
                "deletion_protection",
                "bool",
                "Refuse deletion (protected environments).",
            ),
        ]),
        ModuleKind::Data(_) => vars.push(Var::new(
            "network_id",
            "string",
            "The VPC network (private services access).",
        )),
    }
    vars
}
