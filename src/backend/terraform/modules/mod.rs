//! The local modules: `terraform/modules/<cloud>-<kind>/` for the network, the cluster and
//! each managed backing resource type.
//!
//! A module's `main.tf` is a fixed, reviewed Terraform file per (cloud, kind) (see `hcl/`):
//! it does not depend on the model, so it is embedded once and emitted as is. Its
//! `variables.tf`, `outputs.tf` and `versions.tf` are built here with hcl-rs from one
//! interface per cloud, and a data module's outputs are exactly
//! [`connection_keys`](crate::backend::contract::connection_keys) plus `id`, so the root can
//! write the connection secret without knowing the module. This module decides nothing
//! about where a resource lives: [`crate::backend::contract::placement`] does.

mod aws;
mod azure;
mod gcp;

use hcl::{Block, Body, Expression};

use super::format;
use super::hclx::r;
use super::providers::{Provider, versions_body};
use crate::backend::contract::connection_keys;
use crate::error::Error;
use crate::model::{CloudProvider, InfraType};

/// What a module provisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ModuleKind {
    Network,
    Cluster,
    Data(InfraType),
}

impl ModuleKind {
    fn as_str(self) -> &'static str {
        match self {
            ModuleKind::Network => "network",
            ModuleKind::Cluster => "cluster",
            ModuleKind::Data(kind) => kind.as_str(),
        }
    }
}

/// `aws`, `azure`, `gcp`.
pub fn cloud_str(cloud: CloudProvider) -> &'static str {
    match cloud {
        CloudProvider::Aws => "aws",
        CloudProvider::Azure => "azure",
        CloudProvider::Gcp => "gcp",
    }
}

/// The module directory name, `<cloud>-<kind>`.
pub fn module_dir(cloud: CloudProvider, kind: ModuleKind) -> String {
    format!("{}-{}", cloud_str(cloud), kind.as_str())
}

/// One Terraform variable of a module interface.
pub struct Var {
    pub name: &'static str,
    /// A Terraform type constraint, e.g. `map(string)`.
    pub ty: &'static str,
    pub description: &'static str,
    pub default: Option<Expression>,
}

impl Var {
    pub fn new(name: &'static str, ty: &'static str, description: &'static str) -> Self {
        Var {
            name,
            ty,
            description,
            default: None,
        }
    }

    pub fn or(mut self, default: impl Into<Expression>) -> Self {
        self.default = Some(default.into());
        self
    }
}

/// What a cloud supplies for its modules.
struct CloudModule {
    main: &'static str,
    /// Hand-written outputs (network, cluster); data modules' outputs are generated.
    outputs: Option<&'static str>,
    providers: &'static [Provider],
}

fn cloud_module(cloud: CloudProvider, kind: ModuleKind) -> Option<CloudModule> {
    match cloud {
        CloudProvider::Aws => aws::module(kind),
        CloudProvider::Azure => azure::module(kind),
        CloudProvider::Gcp => gcp::module(kind),
    }
}

/// The main provider of `cloud`.
pub fn cloud_provider(cloud: CloudProvider) -> Provider {
    match cloud {
        CloudProvider::Aws => Provider::Aws,
        CloudProvider::Azure => Provider::Azurerm,
        CloudProvider::Gcp => Provider::Google,
    }
}

/// The variables of the `kind` module on `cloud`, in declaration order.
pub fn interface(cloud: CloudProvider, kind: ModuleKind) -> Vec<Var> {
    let mut vars = vec![
        Var::new(
            "name",
            "string",
            "Name of the resource, within the cloud's naming limits.",
        ),
        Var::new(
            "tags",
            "map(string)",
            "Tags (labels on GCP) for every resource.",
        ),
    ];
    match kind {
        ModuleKind::Network => {
            vars.push(Var::new("cidr", "string", "IPv4 CIDR of the environment's network."))
        }
        ModuleKind::Cluster => vars.extend([
            // `null` leaves the version to the cloud: the argument is optional on each
            // cluster resource (AKS: "the latest recommended version will be used at
            // provisioning time", https://registry.terraform.io/providers/hashicorp/azurerm/latest/docs/resources/kubernetes_cluster#kubernetes_version;
            // EKS: "the latest available version at resource creation is used",
            // https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/eks_cluster#version;
            // GKE: with `min_master_version` unset the cluster's release channel, `REGULAR`
            // in the module, decides: "Google maintains both the master version and the
            // node version", https://cloud.google.com/python/docs/reference/container/latest/google.cloud.container_v1.types.ReleaseChannel).
            Var::new(
                "kubernetes_version",
                "string",
                "Kubernetes minor version; null leaves it to the cloud's default.",
            )
            .or(Expression::Null),
            Var::new(
                "node_pools",
                "map(object({ vm_size = string, min = number, max = number, labels = map(string) }))",
                "Autoscaled node pools by name.",
            ),
        ]),
        ModuleKind::Data(_) => vars.extend(data_vars()),
    }
    vars.extend(match cloud {
        CloudProvider::Aws => aws::extra_vars(kind),
        CloudProvider::Azure => azure::extra_vars(kind),
        CloudProvider::Gcp => gcp::extra_vars(kind),
    });
    vars
}

fn data_vars() -> Vec<Var> {
    vec![
        Var::new("engine_version", "string", "Engine version.").or(Expression::Null),
        Var::new("sku", "string", "The cloud's own size name."),
        Var::new("storage_gb", "number", "Storage in GB."),
        Var::new("backup_retention_days", "number", "Days backups are kept."),
        Var::new(
            "high_availability",
            "bool",
            "Zone-redundant / multi-AZ deployment.",
        ),
        Var::new(
            "deletion_protection",
            "bool",
            "Refuse deletion (protected environments).",
        ),
        Var::new(
            "brokers",
            "number",
            "Kafka brokers (throughput units on Event Hubs).",
        )
        .or(3),
        Var::new("nodes", "number", "Search nodes.").or(1),
        Var::new(
            "topics",
            "list(string)",
            "Kafka topics created with the resource.",
        )
        .or(Expression::Array(vec![])),
    ]
}

/// Extra outputs some data modules expose beside `id` and the connection keys.
fn extra_outputs(cloud: CloudProvider, kind: ModuleKind) -> &'static [&'static str] {
    match (cloud, kind) {
        (CloudProvider::Aws, ModuleKind::Data(InfraType::Bucket)) => &["kms_key_arn"],
        (CloudProvider::Aws, ModuleKind::Data(InfraType::Rabbitmq)) => &["management_url"],
        _ => &[],
    }
}

/// Whether `cloud` has a module for `kind` (a managed offering for data kinds).
#[cfg(test)]
pub fn exists(cloud: CloudProvider, kind: ModuleKind) -> bool {
    cloud_module(cloud, kind).is_some()
}

/// The four files of module `kind` on `cloud`, as (path under `terraform/modules/`, text).
pub fn emit_module(cloud: CloudProvider, kind: ModuleKind) -> Result<Vec<(String, String)>, Error> {
    let dir = module_dir(cloud, kind);
    let module = cloud_module(cloud, kind)
        .ok_or_else(|| Error::Internal(format!("no Terraform module {dir}")))?;
    let mut providers = vec![cloud_provider(cloud)];
    providers.extend_from_slice(module.providers);
    let outputs = match module.outputs {
        Some(text) => text.to_owned(),
        None => format::render(data_outputs(cloud, kind), &[])?,
    };
    let header = format!("# Module {dir}, generated by infrac; do not edit.\n\n");
    Ok(vec![
        (format!("{dir}/main.tf"), format!("{header}{}", module.main)),
        (
            format!("{dir}/variables.tf"),
            format::render(variables_body(&interface(cloud, kind))?, &[])?,
        ),
        (format!("{dir}/outputs.tf"), outputs),
        (
            format!("{dir}/versions.tf"),
            format::render(versions_body(&providers), &[])?,
        ),
    ])
}

/// `variable` blocks for `vars`.
pub fn variables_body(vars: &[Var]) -> Result<Body, Error> {
    let mut body = Body::builder();
    for var in vars {
        let ty: Expression = var
            .ty
            .parse()
            .map_err(|e| Error::Internal(format!("type of {}: {e}", var.name)))?;
        let mut block = Block::builder("variable")
            .add_label(var.name)
            .add_attribute(("description", var.description))
            .add_attribute(("type", ty));
        if let Some(default) = &var.default {
            block = block.add_attribute(("default", default.clone()));
        }
        body = body.add_block(block.build());
    }
    Ok(body.build())
}

fn data_outputs(cloud: CloudProvider, kind: ModuleKind) -> Body {
    let ModuleKind::Data(infra) = kind else {
        return Body::default();
    };
    let mut body = Body::builder().add_block(output(
        "id",
        r("local.id"),
        false,
        "Cloud id of the resource, for access grants.",
    ));
    for extra in extra_outputs(cloud, kind) {
        body = body.add_block(output(
            extra,
            r(&format!("local.{extra}")),
            false,
            "Used by access grants.",
        ));
    }
    for key in connection_keys(infra) {
        let sensitive = matches!(*key, "password" | "url");
        let value = r(&format!("local.connection.{key}"));
        body = body.add_block(output(
            key,
            value,
            sensitive,
            "Connection detail for the secret store.",
        ));
    }
    body.build()
}

fn output(name: &str, value: Expression, sensitive: bool, description: &str) -> Block {
    let mut block = Block::builder("output")
        .add_label(name)
        .add_attribute(("description", description))
        .add_attribute(("value", value));
    if sensitive {
        block = block.add_attribute(("sensitive", true));
    }
    block.build()
}

/// Every module of every cloud, for tests and conformance runs.
#[cfg(test)]
pub fn all_module_files() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for cloud in [CloudProvider::Aws, CloudProvider::Azure, CloudProvider::Gcp] {
        let kinds = [ModuleKind::Network, ModuleKind::Cluster]
            .into_iter()
            .chain(InfraType::ALL.into_iter().map(ModuleKind::Data));
        for kind in kinds.filter(|k| exists(cloud, *k)) {
            out.extend(emit_module(cloud, kind).unwrap());
        }
    }
    out
}

#[cfg(test)]
mod tests;
