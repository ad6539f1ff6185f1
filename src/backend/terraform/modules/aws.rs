//! AWS modules: VPC, EKS, RDS (PostgreSQL, MySQL, SQL Server), DocumentDB, ElastiCache,
//! MSK, Amazon MQ, OpenSearch and S3. Every backing resource type is managed on AWS.

use super::{CloudModule, ModuleKind, Var};
use crate::backend::terraform::providers::Provider;
use crate::model::InfraType;

const RANDOM: &[Provider] = &[Provider::Random];

pub(super) fn module(kind: ModuleKind) -> Option<CloudModule> {
    use InfraType::*;
    let data = |main| CloudModule {
        main,
        outputs: None,
        providers: RANDOM,
    };
    Some(match kind {
        ModuleKind::Network => CloudModule {
            main: include_str!("hcl/aws-network.tf"),
            outputs: Some(include_str!("hcl/aws-network.outputs.tf")),
            providers: &[],
        },
        ModuleKind::Cluster => CloudModule {
            main: include_str!("hcl/aws-cluster.tf"),
            outputs: Some(include_str!("hcl/aws-cluster.outputs.tf")),
            providers: &[Provider::Tls],
        },
        ModuleKind::Data(Postgres) => data(include_str!("hcl/aws-postgres.tf")),
        ModuleKind::Data(Mysql) => data(include_str!("hcl/aws-mysql.tf")),
        ModuleKind::Data(Sqlserver) => data(include_str!("hcl/aws-sqlserver.tf")),
        ModuleKind::Data(Mongodb) => data(include_str!("hcl/aws-mongodb.tf")),
        ModuleKind::Data(Redis) => data(include_str!("hcl/aws-redis.tf")),
        ModuleKind::Data(Kafka) => data(include_str!("hcl/aws-kafka.tf")),
        ModuleKind::Data(Rabbitmq) => data(include_str!("hcl/aws-rabbitmq.tf")),
        ModuleKind::Data(Elasticsearch) => data(include_str!("hcl/aws-elasticsearch.tf")),
        ModuleKind::Data(Bucket) => CloudModule {
            main: include_str!("hcl/aws-bucket.tf"),
            outputs: None,
            providers: &[],
        },
    })
}

pub(super) fn extra_vars(kind: ModuleKind) -> Vec<Var> {
    match kind {
        ModuleKind::Network => vec![],
        ModuleKind::Cluster => vec![Var::new(
            "subnet_ids",
            "list(string)",
            "Private subnets of the nodes.",
        )],
        ModuleKind::Data(_) => vec![
            Var::new("vpc_id", "string", "The environment's VPC."),
            Var::new(
                "subnet_ids",
                "list(string)",
                "Private subnets, one per availability zone.",
            ),
            Var::new(
                "allowed_cidr_blocks",
                "list(string)",
                "Networks allowed to connect.",
            ),
        ],
    }
}
