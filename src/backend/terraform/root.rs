//! An environment root, `terraform/environments/<env>/`: versions, providers, backend,
//! main (network, cluster, one module call per managed type, secret writes, identities),
//! variables and outputs. Composes `stack`, `secrets` and `identity`; holds no resource
//! arguments of its own beyond the provider and backend configuration.

use hcl::expr::ForExpr;
use hcl::{Block, Body, Expression, Identifier};

use super::format;
use super::hclx::r;
use super::modules::{Var, cloud_provider, variables_body};
use super::plan::EnvPlan;
use super::providers::{Provider, versions_body};
use super::{identity, secrets, stack};
use crate::error::Error;
use crate::model::{CloudProvider, Environment, InfraType, Model, SecretStoreKind};

/// The providers a root configures: the cloud's, Helm's (the mesh) and the secret store's.
pub fn root_providers(env: &Environment) -> Vec<Provider> {
    let mut out = vec![cloud_provider(env.cloud.provider), Provider::Helm];
    if let Some(p) = store_provider(env.secret_store.kind) {
        out.push(p);
    }
    out.sort();
    out.dedup();
    out
}

fn store_provider(store: SecretStoreKind) -> Option<Provider> {
    match store {
        SecretStoreKind::AwsSecretsManager => Some(Provider::Aws),
        SecretStoreKind::AzureKeyVault => Some(Provider::Azurerm),
        SecretStoreKind::GcpSecretManager => Some(Provider::Google),
        SecretStoreKind::Vault => Some(Provider::Vault),
        SecretStoreKind::Infisical => Some(Provider::Infisical),
    }
}

/// The six files of the root, as (file name, text).
pub fn files(
    model: &Model,
    env: &Environment,
    plan: &EnvPlan,
) -> Result<Vec<(&'static str, String)>, Error> {
    Ok(vec![
        (
            "versions.tf",
            format::render(versions_body(&root_providers(env)), &[])?,
        ),
        (
            "providers.tf",
            format::render(providers_body(env, &root_providers(env)), &[])?,
        ),
        ("backend.tf", format::render(backend_body(env)?, &[])?),
        ("main.tf", main_tf(model, env, plan)?),
        (
            "variables.tf",
            format::render(variables_body(&variables(model, env))?, &[])?,
        ),
        ("outputs.tf", format::render(outputs_body(env, plan), &[])?),
    ])
}

/// The `provider` blocks of `providers` for a root of `env`.
pub(super) fn providers_body(env: &Environment, providers: &[Provider]) -> Body {
    let own = cloud_provider(env.cloud.provider);
    let mut body = Body::builder();
    for &p in providers {
        if p == Provider::Helm {
            body = body.add_block(super::mesh::provider(env));
            continue;
        }
        let block = Block::builder("provider").add_label(p.local_name());
        let block = match p {
            Provider::Aws if p == own => block.add_attribute(("region", r("var.region"))),
            Provider::Aws => block.add_attribute(("region", r("var.secret_store_region"))),
            Provider::Azurerm => block
                .add_attribute(("storage_use_azuread", true))
                .add_block(Block::builder("features").build()),
            Provider::Google if p == own => block
                .add_attribute(("project", r("var.project_id")))
                .add_attribute(("region", r("var.region"))),
            Provider::Google => block.add_attribute(("project", secrets::gcp_store_project(env))),
            Provider::Vault | Provider::Infisical => match &env.secret_store.address {
                Some(address) if p == Provider::Vault => {
                    block.add_attribute(("address", address.as_str()))
                }
                Some(address) => block.add_attribute(("host", address.as_str())),
                None => block,
            },
            Provider::Random
            | Provider::Tls
            | Provider::Kafka
            | Provider::Rabbitmq
            | Provider::Helm => block,
        };
        body = body.add_block(block.build());
    }
    body.build()
}

/// `terraform { backend "<type>" { ... } }`, arguments in the order written.
pub fn backend_body(env: &Environment) -> Result<Body, Error> {
    let backend = &env.terraform.backend;
    let mut block = Block::builder("backend").add_label(backend.kind.as_str());
    for (key, value) in &backend.config {
        let expr = hcl::to_expression(value)
            .map_err(|e| Error::Internal(format!("backend {key}: {e}")))?;
        block = block.add_attribute((key.as_str(), expr));
    }
    Ok(Body::builder()
        .add_block(Block::builder("terraform").add_block(block.build()).build())
        .build())
}

fn main_tf(model: &Model, env: &Environment, plan: &EnvPlan) -> Result<String, Error> {
    let cloud = plan.cloud;
    let mut body = Body::builder().add_block(stack::locals(model, env, plan));
    if cloud == CloudProvider::Azure {
        let name = super::names::dns_label(&[&model.platform.name, &super::names::base(env)], 90);
        body = body.add_block(
            Block::builder("resource")
                .add_label("azurerm_resource_group")
                .add_label("this")
                .add_attribute(("name", name))
                .add_attribute(("location", r("var.location")))
                .add_attribute(("tags", r("local.tags")))
                .build(),
        );
    }
    body = body
        .add_block(stack::network(stack::ENV_ROOT, model, env))
        .add_block(stack::cluster(stack::ENV_ROOT, env))
        .add_blocks(super::mesh::blocks(model, env));
    for kind in plan.managed.keys() {
        body = body.add_block(stack::data_module(stack::ENV_ROOT, cloud, *kind));
    }
    let mut notes = Vec::new();
    if !plan.managed.is_empty() {
        let (blocks, n) = secrets::prelude(env);
        body = body.add_blocks(blocks);
        notes.extend(n);
        for kind in plan.managed.keys() {
            let (blocks, n) = secrets::writes(env, *kind);
            body = body.add_blocks(blocks);
            notes.extend(n);
        }
        body = body.add_blocks(identity::identities(env));
        let (blocks, n) = secrets::identity_writes(env);
        body = body.add_blocks(blocks);
        notes.extend(n);
        for kind in plan.managed.keys() {
            body = body.add_blocks(identity::grants(env, *kind));
        }
    }
    body = body.add_blocks(super::store_auth::blocks(model, env, plan, false));
    body = body.add_blocks(super::registry::blocks(model, env));
    let text = format::render(body.build(), &notes)?;
    let title = format!(
        "# Environment {}, generated by infrac from environments/{}.yaml; do not edit.",
        env.name, env.name
    );
    let header = header(model, env, plan, &Header::cluster(title));
    Ok(format!("{header}\n{text}"))
}

/// What a root's comment header says beyond its plan.
pub(super) struct Header {
    /// The first line.
    pub title: String,
    /// Backing resources living in another root, as (key, kind, where).
    pub elsewhere: Vec<(String, InfraType, String)>,
    /// Whether the root has a cluster (the mesh, the store's hand steps).
    pub cluster: bool,
}

impl Header {
    pub fn cluster(title: String) -> Self {
        Header {
            title,
            elsewhere: Vec::new(),
            cluster: true,
        }
    }
}

/// The comment header: what this root is and where every backing resource lives.
pub(super) fn header(model: &Model, env: &Environment, plan: &EnvPlan, h: &Header) -> String {
    let mut lines = vec![
        h.title.clone(),
        format!(
            "# Deletion protection: {} (on when the environment is named prod or its promotion needs approval).",
            if plan.protected { "on" } else { "off" }
        ),
        "#".to_owned(),
        "# Where each backing resource lives:".to_owned(),
    ];
    let mut places: Vec<(String, InfraType, String)> = h.elsewhere.clone();
    for (kind, resources) in &plan.managed {
        for res in resources {
            places.push((
                res.key.clone(),
                *kind,
                format!("managed (module.{}[\"{}\"])", kind.as_str(), res.key),
            ));
        }
    }
    for (kind, key) in &plan.in_cluster {
        places.push((
            key.clone(),
            *kind,
            format!("in-cluster ({})", operator_kind(*kind)),
        ));
    }
    places.sort();
    for (key, kind, place) in places {
        lines.push(format!("# {} {key}: {place}", kind.as_str()));
    }
    if lines.len() == 4 {
        lines.push("# (none)".to_owned());
    }
    lines.push("#".to_owned());
    if h.cluster {
        lines.push(super::mesh::header_line(model));
    }
    lines.extend(super::registry::header_lines(model, env));
    // What the pipeline must pass (every variable without a default), and the hand steps.
    let required: Vec<&str> = variables(model, env)
        .into_iter()
        .filter(|v| v.default.is_none())
        .map(|v| v.name)
        .collect();
    if !required.is_empty() {
        lines.push(format!(
            "# Root variables CI passes (TF_VAR_<name>): {}.",
            required.join(", ")
        ));
    }
    if h.cluster {
        lines.extend(super::store_auth::hand_steps(env));
    }
    lines.join("\n") + "\n"
}

/// The operator resource the Kubernetes target uses for an in-cluster `kind`.
fn operator_kind(kind: InfraType) -> &'static str {
    match kind {
        InfraType::Rabbitmq => "RabbitmqCluster",
        InfraType::Kafka => "Kafka",
        InfraType::Mongodb => "MongoDBCommunity",
        InfraType::Elasticsearch => "Elasticsearch",
        InfraType::Postgres => "Cluster",
        InfraType::Mysql => "InnoDBCluster",
        InfraType::Redis => "Redis",
        InfraType::Sqlserver => "StatefulSet",
        InfraType::Bucket => "Tenant",
    }
}

pub(super) fn variables(model: &Model, env: &Environment) -> Vec<Var> {
    let region = env.cloud.region.as_str();
    let mut vars = match env.cloud.provider {
        CloudProvider::Aws => vec![Var::new("region", "string", "AWS region.").or(region)],
        CloudProvider::Azure => vec![Var::new("location", "string", "Azure region.").or(region)],
        CloudProvider::Gcp => vec![
            Var::new(
                "project_id",
                "string",
                "The GCP project of this environment.",
            ),
            Var::new("region", "string", "GCP region.").or(region),
        ],
    };
    let own = cloud_provider(env.cloud.provider);
    match env.secret_store.kind {
        SecretStoreKind::AzureKeyVault => vars.extend([
            Var::new(
                "key_vault_name",
                "string",
                "The Key Vault the ClusterSecretStore reads.",
            )
            .or(env.secret_store.name.as_str()),
            Var::new(
                "key_vault_resource_group_name",
                "string",
                "Resource group of that Key Vault.",
            ),
        ]),
        SecretStoreKind::AwsSecretsManager if own != Provider::Aws => vars.push(Var::new(
            "secret_store_region",
            "string",
            "AWS region of the Secrets Manager store.",
        )),
        // The GCP project, the Vault mount and the Infisical project and environment are
        // `secretStore` fields, so the ClusterSecretStore and these writes cannot disagree.
        SecretStoreKind::AwsSecretsManager
        | SecretStoreKind::GcpSecretManager
        | SecretStoreKind::Vault
        | SecretStoreKind::Infisical => {}
    }
    vars.extend(super::registry::variables(model, env));
    vars
}

/// `{ for key, m in <collection> : key => m.<attr> }`.
pub(super) fn map_of(collection: &str, attr: &str) -> Expression {
    let value = r(&format!("m.{attr}"));
    let for_expr = ForExpr::new(Identifier::unchecked("m"), r(collection), value)
        .with_key_var(Identifier::unchecked("key"))
        .with_key_expr(r("key"));
    Expression::from(for_expr)
}

/// `output "<name>" { description, value }`.
pub(super) fn output(name: &str, description: &str, value: Expression) -> Block {
    Block::builder("output")
        .add_label(name)
        .add_attribute(("description", description))
        .add_attribute(("value", value))
        .build()
}

/// `<kind>_endpoints` of every managed type of `plan`.
pub(super) fn endpoint_outputs(plan: &EnvPlan) -> Vec<Block> {
    let mut out = Vec::new();
    for kind in plan.managed.keys() {
        let attr = match kind {
            InfraType::Kafka => "bootstrap_servers",
            InfraType::Elasticsearch => "url",
            InfraType::Bucket => "name",
            _ => "host",
        };
        let description = format!(
            "Endpoint of each {} resource, by <service>-<name>.",
            kind.as_str()
        );
        out.push(output(
            &format!("{}_endpoints", kind.as_str()),
            &description,
            map_of(&format!("module.{}", kind.as_str()), attr),
        ));
    }
    out
}

pub(super) fn outputs_body(env: &Environment, plan: &EnvPlan) -> Body {
    let mut body = Body::builder().add_block(output(
        "cluster_name",
        "The Kubernetes cluster.",
        r("module.cluster.name"),
    ));
    body = body.add_blocks(endpoint_outputs(plan));
    if !plan.owners.is_empty() {
        let named = match plan.cloud {
            CloudProvider::Aws => Some((
                "aws_iam_role.service",
                "arn",
                "IAM role of each service, handed to its ServiceAccount by an EKS Pod Identity association.",
            )),
            CloudProvider::Azure => Some((
                "azurerm_user_assigned_identity.service",
                "client_id",
                "Client id of each service's identity; pods read it as AZURE_CLIENT_ID from the secret store.",
            )),
            // GKE grants name the ServiceAccount itself: there is no cloud identity to show.
            CloudProvider::Gcp => None,
        };
        if let Some((collection, attr, description)) = named {
            body = body.add_block(output(
                "workload_identities",
                description,
                map_of(collection, attr),
            ));
        }
    }
    body = body.add_blocks(super::messaging::connection_outputs(plan));
    body = body.add_blocks(super::store_auth::outputs(env));
    body.build()
}
