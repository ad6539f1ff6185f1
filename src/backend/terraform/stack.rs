//! The core of an environment root's `main.tf`: the locals holding every managed resource
//! (one map per type, keyed `<service>-<entry>`), the network and cluster module calls, and
//! one `for_each` module call per managed type. Secret writes and identities are in
//! `secrets` and `identity`; this module must not name a secret store.

use hcl::{Block, Expression};

use super::hclx::{arr, obj, r, ri, s};
use super::modules::{ModuleKind, module_dir};
use super::names;
use super::plan::{EnvPlan, Resource};
use crate::model::{CloudProvider, Environment, InfraType, Model};

/// Where a root sits: the way to `terraform/modules/` and the reference to its network's
/// outputs (its own `module.network`, or the environment's read from remote state).
#[derive(Debug, Clone, Copy)]
pub struct Place {
    pub modules: &'static str,
    pub network: &'static str,
}

/// An environment root, `terraform/environments/<env>/`, with its own network.
pub const ENV_ROOT: Place = Place {
    modules: "../../modules",
    network: "module.network",
};

/// `<modules>/<dir>` from the root at `at`.
pub fn source(at: Place, cloud: CloudProvider, kind: ModuleKind) -> String {
    format!("{}/{}", at.modules, module_dir(cloud, kind))
}

/// The tag / label value as the cloud accepts it.
pub fn tag_value(cloud: CloudProvider, value: &str) -> Expression {
    match cloud {
        CloudProvider::Gcp => s(names::gcp_label(value)),
        CloudProvider::Aws | CloudProvider::Azure => s(value),
    }
}

/// `locals { protected, tags, <kind> = {...}, services = {...} }`.
pub fn locals(model: &Model, env: &Environment, plan: &EnvPlan) -> Block {
    let cloud = plan.cloud;
    let tags = obj([
        ("platform", tag_value(cloud, &model.platform.name)),
        ("environment", tag_value(cloud, &env.name)),
        ("managed-by", s("infrac")),
    ]);
    let mut block = Block::builder("locals")
        .add_attribute(("protected", plan.protected))
        .add_attribute(("tags", tags));
    for (kind, resources) in &plan.managed {
        let entries = resources
            .iter()
            .map(|res| (res.key.clone(), resource_object(cloud, env, res)));
        block = block.add_attribute((kind.as_str(), obj(entries)));
    }
    let owners = plan.owners.iter().map(|(name, owner)| {
        let mut fields = vec![
            ("team", tag_value(cloud, &owner.team)),
            ("namespace", s(&owner.namespace)),
        ];
        if cloud != CloudProvider::Gcp {
            fields.push(("identity_name", s(&owner.identity_name)));
        }
        if let Some(secret) = &owner.identity_secret {
            fields.push(("secret_name", s(secret)));
        }
        let value = obj(fields);
        (name.clone(), value)
    });
    block.add_attribute(("services", obj(owners))).build()
}

fn resource_object(cloud: CloudProvider, env: &Environment, res: &Resource) -> Expression {
    let team = env
        .services
        .get(&res.service)
        .map(|s| s.team.as_str())
        .unwrap_or_default();
    let z = &res.sizing;
    obj([
        ("name", s(&res.name)),
        ("service", tag_value(cloud, &res.service)),
        ("team", tag_value(cloud, team)),
        ("secret_name", s(&res.secret_name)),
        ("engine_version", s(&z.engine_version)),
        ("sku", s(&z.sku)),
        ("storage_gb", Expression::from(z.storage_gb)),
        (
            "backup_retention_days",
            Expression::from(z.backup_retention_days),
        ),
        ("high_availability", Expression::from(z.high_availability)),
        ("brokers", Expression::from(z.brokers)),
        ("nodes", Expression::from(z.nodes)),
        ("topics", arr(res.topics.iter().map(s))),
    ])
}

/// Arguments every module call on `cloud` takes for its placement.
fn cloud_args(
    at: Place,
    cloud: CloudProvider,
    kind: ModuleKind,
) -> Vec<(&'static str, Expression)> {
    let net = |attr: &str| r(&format!("{}.{attr}", at.network));
    match cloud {
        CloudProvider::Aws => match kind {
            ModuleKind::Network => vec![],
            ModuleKind::Cluster => vec![("subnet_ids", net("private_subnet_ids"))],
            ModuleKind::Data(_) => vec![
                ("vpc_id", net("vpc_id")),
                ("subnet_ids", net("private_subnet_ids")),
                ("allowed_cidr_blocks", arr([net("cidr")])),
            ],
        },
        CloudProvider::Azure => {
            let mut args = vec![
                ("resource_group_name", r("azurerm_resource_group.this.name")),
                ("location", r("azurerm_resource_group.this.location")),
            ];
            match kind {
                ModuleKind::Network => {}
                ModuleKind::Cluster => args.push(("subnet_id", net("nodes_subnet_id"))),
                ModuleKind::Data(infra) => args.extend([
                    ("subnet_id", net("endpoints_subnet_id")),
                    (
                        "private_dns_zone_id",
                        ri(
                            &format!("{}.private_dns_zone_ids", at.network),
                            s(infra.as_str()),
                            "",
                        ),
                    ),
                ]),
            }
            args
        }
        CloudProvider::Gcp => {
            let mut args = vec![
                ("project_id", r("var.project_id")),
                ("region", r("var.region")),
            ];
            match kind {
                ModuleKind::Network => {}
                ModuleKind::Cluster => args.extend([
                    ("network_id", net("network_id")),
                    ("subnet_id", net("subnet_id")),
                ]),
                ModuleKind::Data(_) => args.push(("network_id", net("network_id"))),
            }
            args
        }
    }
}

/// `module "network"`.
pub fn network(at: Place, model: &Model, env: &Environment) -> Block {
    let cloud = env.cloud.provider;
    let name = names::dns_label(&[&model.platform.name, &names::base(env)], 60);
    let mut block = Block::builder("module")
        .add_label("network")
        .add_attribute(("source", source(at, cloud, ModuleKind::Network)))
        .add_attribute(("name", name))
        .add_attribute(("tags", r("local.tags")))
        .add_attribute(("cidr", env.network.cidr.as_str()));
    for arg in cloud_args(at, cloud, ModuleKind::Network) {
        block = block.add_attribute(arg);
    }
    block.build()
}

/// `module "cluster"` with the node pools of `cluster`.
pub fn cluster(at: Place, env: &Environment) -> Block {
    let cloud = env.cloud.provider;
    let pool_name = |name: &str| match cloud {
        CloudProvider::Azure => names::alnum(&[name], 12),
        CloudProvider::Aws | CloudProvider::Gcp => names::dns_label(&[name], 40),
    };
    let pool = |name: &str, p: &crate::model::NodePool, with_name: bool| {
        let labels = obj(p.labels.iter().map(|(k, v)| (k.clone(), s(v))));
        let mut items = vec![
            ("vm_size".to_owned(), s(&p.vm_size)),
            ("min".to_owned(), Expression::from(p.min)),
            ("max".to_owned(), Expression::from(p.max)),
            ("labels".to_owned(), labels),
        ];
        if with_name {
            items.insert(0, ("name".to_owned(), s(pool_name(name))));
        }
        obj(items)
    };
    let mut pools: Vec<_> = env.cluster.node_pools.iter().collect();
    let mut block = Block::builder("module")
        .add_label("cluster")
        .add_attribute(("source", source(at, cloud, ModuleKind::Cluster)))
        .add_attribute(("name", env.cluster.name.as_str()))
        .add_attribute(("tags", r("local.tags")));
    // Without `cluster.version` the module's `null` default leaves it to the cloud.
    if let Some(version) = &env.cluster.version {
        block = block.add_attribute(("kubernetes_version", version.as_str()));
    }
    if cloud == CloudProvider::Azure && !pools.is_empty() {
        // AKS needs one pool inline as the system pool: `system`, else `default`, else the
        // first by name.
        let at = ["system", "default"]
            .iter()
            .find_map(|want| pools.iter().position(|(name, _)| name.as_str() == *want))
            .unwrap_or(0);
        let (name, first) = pools.remove(at);
        block = block.add_attribute(("system_pool", pool(name, first, true)));
    }
    let node_pools = pools
        .iter()
        .map(|(name, p)| (pool_name(name), pool(name, p, false)));
    block = block.add_attribute(("node_pools", obj(node_pools)));
    for arg in cloud_args(at, cloud, ModuleKind::Cluster) {
        block = block.add_attribute(arg);
    }
    if cloud == CloudProvider::Gcp {
        let account = names::gcp_service_account(&[&names::base(env), "gke-nodes"]);
        block = block
            .add_attribute(("cidr", env.network.cidr.as_str()))
            .add_attribute(("node_service_account", account))
            .add_attribute(("deletion_protection", r("local.protected")));
    }
    block.build()
}

/// `module "<kind>"`, one instance per resource of that type.
pub fn data_module(at: Place, cloud: CloudProvider, kind: InfraType) -> Block {
    let each = |field: &str| r(&format!("each.value.{field}"));
    let module = ModuleKind::Data(kind);
    let tags = super::hclx::call(
        "merge",
        [
            r("local.tags"),
            obj([("service", each("service")), ("team", each("team"))]),
        ],
    );
    let mut block = Block::builder("module")
        .add_label(kind.as_str())
        .add_attribute(("for_each", r(&format!("local.{}", kind.as_str()))))
        .add_attribute(("source", source(at, cloud, module)))
        .add_attribute(("name", each("name")))
        .add_attribute(("tags", tags));
    for field in [
        "engine_version",
        "sku",
        "storage_gb",
        "backup_retention_days",
        "high_availability",
    ] {
        block = block.add_attribute((field, each(field)));
    }
    block = block.add_attribute(("deletion_protection", r("local.protected")));
    for field in ["brokers", "nodes", "topics"] {
        block = block.add_attribute((field, each(field)));
    }
    for arg in cloud_args(at, cloud, module) {
        block = block.add_attribute(arg);
    }
    if cloud == CloudProvider::Gcp && at.network == ENV_ROOT.network {
        block = block.add_attribute(("depends_on", arr([r("module.network")])));
    }
    block.build()
}
