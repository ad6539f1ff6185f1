//! Azure modules: VNet (with private DNS zones), AKS, PostgreSQL and MySQL Flexible Server,
//! Azure SQL, Cosmos DB for MongoDB, Cache for Redis, Event Hubs (Kafka) and Storage.
//! RabbitMQ and Elasticsearch have no module: they run in the cluster on Azure.

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
            main: include_str!("hcl/azure-network.tf"),
            outputs: Some(include_str!("hcl/azure-network.outputs.tf")),
            providers: &[],
        }),
        ModuleKind::Cluster => Some(CloudModule {
            main: include_str!("hcl/azure-cluster.tf"),
            outputs: Some(include_str!("hcl/azure-cluster.outputs.tf")),
            providers: &[],
        }),
        ModuleKind::Data(Postgres) => data(include_str!("hcl/azure-postgres.tf"), RANDOM),
        ModuleKind::Data(Mysql) => data(include_str!("hcl/azure-mysql.tf"), RANDOM),
        ModuleKind::Data(Sqlserver) => data(include_str!("hcl/azure-sqlserver.tf"), RANDOM),
        ModuleKind::Data(Mongodb) => data(include_str!("hcl/azure-mongodb.tf"), &[]),
        ModuleKind::Data(Redis) => data(include_str!("hcl/azure-redis.tf"), &[]),
        ModuleKind::Data(Kafka) => data(include_str!("hcl/azure-kafka.tf"), &[]),
        ModuleKind::Data(Bucket) => data(include_str!("hcl/azure-bucket.tf"), &[]),
        ModuleKind::Data(Rabbitmq | Elasticsearch) => None,
    }
}

pub(super) fn extra_vars(kind: ModuleKind) -> Vec<Var> {
    let mut vars = vec![
        Var::new(
            "resource_group_name",
            "string",
            "The environment's resource group.",
        ),
        Var::new("location", "string", "Azure region."),
    ];
    match kind {
        ModuleKind::Network => {}
        ModuleKind::Cluster => vars.extend([
            Var::new("subnet_id", "string", "Subnet of the nodes."),
            Var::new(
                "system_pool",
                "object({ name = string, vm_size = string, min = number, max = number, labels = map(string) })",
                "The default (system) node pool.",
            ),
        ]),
        ModuleKind::Data(_) => vars.extend([
            Var::new("subnet_id", "string", "Subnet of the private endpoint."),
            Var::new("private_dns_zone_id", "string", "Private DNS zone of the endpoint."),
        ]),
    }
    vars
}
