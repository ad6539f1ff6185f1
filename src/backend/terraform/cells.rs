//! The Terraform roots of an environment with cells (SPEC "Cells").
//!
//! - `terraform/environments/<env>/` keeps what the cells share: the network and every
//!   `scope: environment` backing resource (with its connection secrets in the environment's
//!   store), and the image registry where this environment creates it. It has no cluster.
//! - `terraform/environments/<env>/cells/<cell>/` is one cell: its cluster (the cell's
//!   `cluster` fields, in the cell's region), its mesh, its `scope: cell` backing resources
//!   (the default), their secrets, the workload identities and grants of their owners and the
//!   secret store's auth for that cluster, in the cell's own state (`terraform.backend` of the
//!   cell; by default the environment's key with the cell added). Its cloud names and its
//!   store entries carry the cell ([`crate::backend::contract::cell_scoped`],
//!   [`crate::backend::contract::entry_scope`]), so no two cells share one, also when they
//!   share a store; the Kubernetes side patches each cell's ExternalSecrets to match.
//! - What a cell reads of the `scope: environment` resources: its secret operator may read
//!   their entries (or, when the cell's store is not the environment's, the cell's copies of
//!   them, written here from the environment root's state); their owners get identities in
//!   every cell, with data access on shared buckets. A cell on a network of its own gets no
//!   generated path to the shared resources: its header names that hand step.
//! - `terraform/environments/<env>/cells/<cell>-messaging/`: the topics and exchanges of the
//!   cell's own brokers, as `<env>-messaging/` is for the environment's.
//!
//! A cell in the environment's region on the environment's CIDR runs in the environment's
//! network and reads its ids from the environment root's state with the
//! `terraform_remote_state` data source, which exposes the root-level outputs of another
//! configuration's latest state:
//! <https://developer.hashicorp.com/terraform/language/state/remote-state-data>.
//! A cell in another region (or on another CIDR) has a network of its own: a VPC, VNet or
//! subnet is regional.

use hcl::{Block, Body};

use super::format;
use super::hclx::{obj, r, s};
use super::modules::{ModuleKind, variables_body};
use super::plan::{self, EnvPlan};
use super::providers::{Provider, versions_body};
use super::root::{
    self, Header, backend_body, endpoint_outputs, output, providers_body, root_providers,
};
use super::stack::{self, ENV_ROOT, Place};
use super::{identity, messaging, names, secrets};
use crate::backend::contract::{
    cell_root_dir, cell_scoped, connection_secret_name, reads_environment_store,
};
use crate::error::Error;
use crate::model::{
    Cell, CloudProvider, Environment, InfraScope, InfraType, Model, SecretStoreKind,
};

/// A cell root, `terraform/environments/<env>/cells/<cell>/`, with its own network.
const CELL_OWN_NETWORK: Place = Place {
    modules: "../../../../modules",
    network: "module.network",
};

/// A cell root in the environment's network, read from the environment's state.
const CELL_SHARED_NETWORK: Place = Place {
    modules: "../../../../modules",
    network: "local.network",
};

/// The label of the environment root's state in a cell root.
pub(super) const ENVIRONMENT_STATE: &str = "data.terraform_remote_state.environment";

/// The environment root's output of the KMS key of its Secrets Manager entries, which the
/// secret operator of each cell reading them may decrypt with.
pub(super) const SECRETS_KEY_OUTPUT: &str = "secrets_kms_key_arn";

/// The environment root's output of its shared entries' values, by entry name, for the
/// cells that keep copies of them in a store of their own.
const SHARED_OUTPUT: &str = "shared_connections";

/// The environment root's output of its shared buckets (and a cell's local of their
/// owners): each cell's root grants the owners' identities there data access on them.
const SHARED_BUCKETS: &str = "shared_buckets";

/// The label of a cell's copies of its environment's shared entries.
pub(super) const SHARED_COPIES: &str = "shared";

/// Whether some cell of `env` keeps copies of the environment's shared entries.
fn any_copies(env: &Environment) -> bool {
    env.cells
        .iter()
        .any(|c| !reads_environment_store(env, &c.environment))
}

/// One root's files: (directory under `terraform/environments/`, file name, text).
pub type RootFile = (String, &'static str, String);

/// Whether `cell` runs in its environment's network.
fn shares_network(env: &Environment, cell: &Environment) -> bool {
    cell.cloud.region == env.cloud.region && cell.network.cidr == env.network.cidr
}

/// The scope of a managed resource of `plan`.
fn scope_of(env: &Environment, res: &plan::Resource) -> InfraScope {
    let entry = res
        .key
        .strip_prefix(&res.service)
        .and_then(|rest| rest.strip_prefix('-'))
        .unwrap_or_default();
    env.services
        .get(&res.service)
        .and_then(|s| s.infra.get(entry))
        .and_then(|i| i.scope)
        .unwrap_or_default()
}

/// `plan` with only the managed resources of `scope`; in a cell, the owners of every
/// managed resource (a `scope: environment` one's owner runs in each cell, with its
/// identity there), elsewhere none.
fn only(env: &Environment, mut plan: EnvPlan, scope: InfraScope) -> EnvPlan {
    for resources in plan.managed.values_mut() {
        resources.retain(|res| scope_of(env, res) == scope);
    }
    plan.managed.retain(|_, resources| !resources.is_empty());
    if scope == InfraScope::Environment {
        // In-cluster resources run in each cell's cluster; so do the owners' pods, whose
        // identities each cell's root makes (the environment's root has no cluster).
        plan.in_cluster.clear();
        plan.owners.clear();
    }
    plan
}

/// The plan of the environment root of a celled `env`: its `scope: environment` resources.
pub fn environment_plan(model: &Model, env: &Environment) -> EnvPlan {
    only(env, plan::plan(model, env), InfraScope::Environment)
}

/// The plan of one cell's root: its `scope: cell` resources.
pub fn cell_plan(model: &Model, cell: &Environment) -> EnvPlan {
    only(cell, plan::plan(model, cell), InfraScope::Cell)
}

/// The managed modules every root of `env` calls.
pub fn used_modules(model: &Model, env: &Environment) -> Vec<(CloudProvider, ModuleKind)> {
    let mut used = vec![(env.cloud.provider, ModuleKind::Network)];
    let env_plan = environment_plan(model, env);
    used.extend(
        env_plan
            .managed
            .keys()
            .map(|k| (env_plan.cloud, ModuleKind::Data(*k))),
    );
    for cell in &env.cells {
        let plan = cell_plan(model, &cell.environment);
        if !shares_network(env, &cell.environment) {
            used.push((plan.cloud, ModuleKind::Network));
        }
        used.push((plan.cloud, ModuleKind::Cluster));
        used.extend(
            plan.managed
                .keys()
                .map(|k| (plan.cloud, ModuleKind::Data(*k))),
        );
    }
    used
}

/// Every root of a celled `env`: the environment's, its messaging root, and each cell's (in
/// wave order) with its messaging root.
pub fn files(model: &Model, env: &Environment) -> Result<Vec<RootFile>, Error> {
    let mut out = Vec::new();
    let env_plan = environment_plan(model, env);
    for (name, text) in environment_files(model, env, &env_plan)? {
        out.push((env.name.clone(), name, text));
    }
    if messaging::needed(&env_plan) {
        let dir = format!("{}{}", env.name, super::addresses::MESSAGING_SUFFIX);
        for (name, text) in messaging::files(env, &env_plan, &env.name)? {
            out.push((dir.clone(), name, text));
        }
    }
    for cell in env.cells_in_wave_order() {
        let dir = cell_root_dir(&env.name, &cell.name);
        let plan = cell_plan(model, &cell.environment);
        for (name, text) in cell_files(model, env, cell, &plan, &env_plan)? {
            out.push((dir.clone(), name, text));
        }
        if messaging::needed(&plan) {
            let messaging_dir = format!("{dir}{}", super::addresses::MESSAGING_SUFFIX);
            for (name, text) in messaging::files(&cell.environment, &plan, &dir)? {
                out.push((messaging_dir.clone(), name, text));
            }
        }
    }
    Ok(out)
}

/// The providers of the environment root of a celled environment: no cluster, so no Helm.
fn environment_providers(env: &Environment) -> Vec<Provider> {
    root_providers(env)
        .into_iter()
        .filter(|p| *p != Provider::Helm)
        .collect()
}

fn environment_files(
    model: &Model,
    env: &Environment,
    plan: &EnvPlan,
) -> Result<Vec<(&'static str, String)>, Error> {
    let providers = environment_providers(env);
    let mut outputs = Body::builder().add_block(output(
        "network",
        "The network the cells share: every output of module.network, read by each cell in this region through terraform_remote_state.",
        r("module.network"),
    ));
    outputs = outputs
        .add_blocks(endpoint_outputs(plan))
        .add_blocks(messaging::connection_outputs(plan));
    if !plan.managed.is_empty() && env.secret_store.kind == SecretStoreKind::AwsSecretsManager {
        outputs = outputs.add_block(output(
            SECRETS_KEY_OUTPUT,
            "The KMS key of the shared entries, which each cell's secret operator decrypts them with.",
            r("aws_kms_key.secrets.arn"),
        ));
    }
    if let Some(buckets) = plan.managed.get(&InfraType::Bucket) {
        let aws = plan.cloud == CloudProvider::Aws;
        let entries = buckets.iter().map(|res| {
            let module = |attr: &str| super::hclx::ri("module.bucket", s(&res.key), attr);
            let mut fields = vec![("id", module("id"))];
            if aws {
                fields.push(("kms_key_arn", module("kms_key_arn")));
            }
            (res.key.clone(), obj(fields))
        });
        outputs = outputs.add_block(output(
            SHARED_BUCKETS,
            "The shared buckets, by <service>-<name>, which each cell grants its owners data access on.",
            obj(entries),
        ));
    }
    if !plan.managed.is_empty() && any_copies(env) {
        let documents = plan.managed.iter().flat_map(|(kind, resources)| {
            resources.iter().map(|res| {
                (
                    res.secret_name.clone(),
                    secrets::document_of(*kind, s(&res.key)),
                )
            })
        });
        outputs = outputs.add_block(
            Block::builder("output")
                .add_label(SHARED_OUTPUT)
                .add_attribute((
                    "description",
                    "The value of each shared entry, by name, for the cells that keep copies in a secret store of their own.",
                ))
                .add_attribute(("value", obj(documents)))
                .add_attribute(("sensitive", true))
                .build(),
        );
    }
    Ok(vec![
        (
            "versions.tf",
            format::render(versions_body(&providers), &[])?,
        ),
        (
            "providers.tf",
            format::render(providers_body(env, &providers), &[])?,
        ),
        ("backend.tf", format::render(backend_body(env)?, &[])?),
        ("main.tf", environment_main(model, env, plan)?),
        (
            "variables.tf",
            format::render(variables_body(&root::variables(model, env))?, &[])?,
        ),
        ("outputs.tf", format::render(outputs.build(), &[])?),
    ])
}

fn resource_group(model: &Model, env: &Environment) -> Block {
    let name = names::dns_label(&[&model.platform.name, &names::base(env)], 90);
    Block::builder("resource")
        .add_label("azurerm_resource_group")
        .add_label("this")
        .add_attribute(("name", name))
        .add_attribute(("location", r("var.location")))
        .add_attribute(("tags", r("local.tags")))
        .build()
}

/// The connection secrets of `plan`'s resources in `env`'s store, and the store's prelude
/// also when the root writes only `copies` ([`shared_copies`]).
fn secret_blocks(
    env: &Environment,
    plan: &EnvPlan,
    copies: bool,
) -> (Vec<Block>, Vec<format::BlockNote>) {
    let mut blocks = Vec::new();
    let mut notes = Vec::new();
    if plan.managed.is_empty() && !copies {
        return (blocks, notes);
    }
    let (b, n) = secrets::prelude(env);
    blocks.extend(b);
    notes.extend(n);
    for kind in plan.managed.keys() {
        let (b, n) = secrets::writes(env, *kind);
        blocks.extend(b);
        notes.extend(n);
    }
    (blocks, notes)
}

fn environment_main(model: &Model, env: &Environment, plan: &EnvPlan) -> Result<String, Error> {
    let cloud = plan.cloud;
    let mut body = Body::builder().add_block(stack::locals(model, env, plan));
    if cloud == CloudProvider::Azure {
        body = body.add_block(resource_group(model, env));
    }
    body = body.add_block(stack::network(ENV_ROOT, model, env));
    for kind in plan.managed.keys() {
        body = body.add_block(stack::data_module(ENV_ROOT, cloud, *kind));
    }
    let (blocks, notes) = secret_blocks(env, plan, false);
    body = body.add_blocks(blocks);
    // The registry is the platform's, not a cluster's: created here where this environment
    // owns it; each cell's root grants its own cluster the pull right.
    body = body.add_blocks(
        super::registry::blocks(model, env)
            .into_iter()
            .filter(|b| !b.labels.iter().any(|l| l.as_str() == "image_pull")),
    );
    let cells: Vec<String> = env
        .cells_in_wave_order()
        .iter()
        .map(|c| {
            format!(
                "terraform/environments/{}",
                cell_root_dir(&env.name, &c.name)
            )
        })
        .collect();
    let title = format!(
        "# Environment {}, generated by infrac from environments/{}.yaml; do not edit.\n\
         # It runs as cells: this root holds what they share (the network, the `scope: environment`\n\
         # resources); each cell's cluster and own resources are in {}.",
        env.name,
        env.name,
        cells.join(", ")
    );
    let mut elsewhere = Vec::new();
    for cell in &env.cells {
        for (kind, resources) in &cell_plan(model, &cell.environment).managed {
            for res in resources {
                elsewhere.push((res.key.clone(), *kind));
            }
        }
    }
    let header = root::header(
        model,
        env,
        plan,
        &Header {
            title,
            elsewhere: collapse(elsewhere),
            cluster: false,
        },
    );
    let text = format::render(body.build(), &notes)?;
    Ok(format!("{header}\n{text}"))
}

/// One line per resource the cells hold, whatever the number of cells.
fn collapse(mut places: Vec<(String, InfraType)>) -> Vec<(String, InfraType, String)> {
    places.sort();
    places.dedup();
    places
        .into_iter()
        .map(|(key, kind)| (key, kind, "managed, in each cell's root".to_owned()))
        .collect()
}

/// The copies a cell whose secret store is not its environment's
/// ([`reads_environment_store`]) keeps of the environment's shared entries, under the
/// cell's names (two such cells may share a store), their values read from the
/// environment root's state. `for_each` runs over names known here: Terraform refuses a
/// sensitive value (the state's output) as `for_each`.
/// <https://developer.hashicorp.com/terraform/language/meta-arguments/for_each#limitations-on-values-used-in-for_each>
fn shared_copies(
    model: &Model,
    env: &Environment,
    cell: &Environment,
    env_plan: &EnvPlan,
) -> (Vec<Block>, Vec<format::BlockNote>) {
    let platform = &model.platform.name;
    let scope = cell_scoped(&env.name, cell.cell.as_deref());
    let entries = env_plan.managed.values().flatten().map(|res| {
        let entry = res
            .key
            .strip_prefix(&res.service)
            .and_then(|rest| rest.strip_prefix('-'))
            .unwrap_or_default();
        let name = connection_secret_name(platform, &scope, &res.service, entry);
        (
            res.key.clone(),
            obj([("secret_name", s(name)), ("from", s(&res.secret_name))]),
        )
    });
    let mut blocks = vec![
        Block::builder("locals")
            .add_attribute((SHARED_COPIES, obj(entries)))
            .build(),
    ];
    let mut notes = Vec::new();
    let value = super::hclx::ri(
        &format!("{ENVIRONMENT_STATE}.outputs.{SHARED_OUTPUT}"),
        r("each.value.from"),
        "",
    );
    let (b, n) = secrets::copies(
        cell,
        SHARED_COPIES,
        &format!("local.{SHARED_COPIES}"),
        value,
    );
    blocks.extend(b);
    notes.extend(n);
    (blocks, notes)
}

/// `data "terraform_remote_state" "environment"`: the environment root's outputs.
fn environment_state(env: &Environment) -> Result<Block, Error> {
    let backend = &env.terraform.backend;
    let config = hcl::to_expression(&backend.config)
        .map_err(|e| Error::Internal(format!("backend config: {e}")))?;
    Ok(Block::builder("data")
        .add_label("terraform_remote_state")
        .add_label("environment")
        .add_attribute(("backend", backend.kind.as_str()))
        .add_attribute(("config", config))
        .build())
}

fn cell_files(
    model: &Model,
    env: &Environment,
    cell: &Cell,
    plan: &EnvPlan,
    env_plan: &EnvPlan,
) -> Result<Vec<(&'static str, String)>, Error> {
    let c = &cell.environment;
    Ok(vec![
        (
            "versions.tf",
            format::render(versions_body(&root_providers(c)), &[])?,
        ),
        (
            "providers.tf",
            format::render(providers_body(c, &root_providers(c)), &[])?,
        ),
        ("backend.tf", format::render(backend_body(c)?, &[])?),
        ("main.tf", cell_main(model, env, cell, plan, env_plan)?),
        (
            "variables.tf",
            format::render(variables_body(&root::variables(model, c))?, &[])?,
        ),
        (
            "outputs.tf",
            format::render(root::outputs_body(c, plan), &[])?,
        ),
    ])
}

fn cell_main(
    model: &Model,
    env: &Environment,
    cell: &Cell,
    plan: &EnvPlan,
    env_plan: &EnvPlan,
) -> Result<String, Error> {
    let c = &cell.environment;
    let cloud = plan.cloud;
    let shared = shares_network(env, c);
    let at = if shared {
        CELL_SHARED_NETWORK
    } else {
        CELL_OWN_NETWORK
    };
    let mut body = Body::builder().add_block(stack::locals(model, c, plan));
    if shared || !env_plan.managed.is_empty() {
        body = body.add_block(environment_state(env)?);
    }
    if shared {
        body = body.add_block(
            Block::builder("locals")
                .add_attribute((
                    "network",
                    r(&format!("{ENVIRONMENT_STATE}.outputs.network")),
                ))
                .build(),
        );
    }
    if cloud == CloudProvider::Azure {
        body = body.add_block(resource_group(model, c));
    }
    if !shared {
        body = body.add_block(stack::network(at, model, c));
    }
    body = body
        .add_block(stack::cluster(at, c))
        .add_blocks(super::mesh::blocks(model, c));
    for kind in plan.managed.keys() {
        body = body.add_block(stack::data_module(at, cloud, *kind));
    }
    // Whether the cell keeps copies of the environment's shared entries.
    let copies = !env_plan.managed.is_empty() && !reads_environment_store(env, c);
    let (blocks, mut notes) = secret_blocks(c, plan, copies);
    body = body.add_blocks(blocks);
    if copies {
        let (blocks, n) = shared_copies(model, env, c, env_plan);
        body = body.add_blocks(blocks);
        notes.extend(n);
    }
    if !plan.owners.is_empty() {
        body = body.add_blocks(identity::identities(c));
        let (blocks, n) = secrets::identity_writes(c);
        body = body.add_blocks(blocks);
        notes.extend(n);
        for kind in plan.managed.keys() {
            body = body.add_blocks(identity::grants(c, *kind));
        }
    }
    if let Some(buckets) = env_plan.managed.get(&InfraType::Bucket) {
        let owners = buckets
            .iter()
            .map(|res| (res.key.clone(), obj([("service", s(&res.service))])));
        body = body
            .add_block(
                Block::builder("locals")
                    .add_attribute((SHARED_BUCKETS, obj(owners)))
                    .build(),
            )
            .add_blocks(identity::shared_bucket_grants(
                c,
                &format!("local.{SHARED_BUCKETS}"),
                &format!("{ENVIRONMENT_STATE}.outputs.{SHARED_BUCKETS}"),
            ));
    }
    body = body.add_blocks(super::store_auth::blocks(model, c, plan, copies));
    body = body.add_blocks(super::registry::blocks(model, c));
    let mut title = format!(
        "# Cell {} of environment {}, generated by infrac from environments/{}.yaml (cells.{}); do not edit.\n\
         # Its own state; apply after terraform/environments/{}",
        cell.name, env.name, env.name, cell.name, env.name
    );
    title.push_str(if shared {
        ", whose network it runs in (read through its remote state)."
    } else {
        "; it has its own network in its region."
    });
    let mut elsewhere = Vec::new();
    // Shared resources this cell's own network has no path to (a bucket is reached through
    // its cloud's public endpoint).
    let mut unreachable = Vec::new();
    for (kind, resources) in &env_plan.managed {
        for res in resources {
            let mut place = format!(
                "managed, shared (scope: environment), in terraform/environments/{}",
                env.name
            );
            if copies {
                place.push_str(&format!(
                    "; its connection entry copied into this cell's store (local.{SHARED_COPIES})"
                ));
            }
            elsewhere.push((res.key.clone(), *kind, place));
            if !shared && *kind != InfraType::Bucket {
                unreachable.push(format!("{} {}", kind.as_str(), res.key));
            }
        }
    }
    let mut header = root::header(
        model,
        c,
        plan,
        &Header {
            title,
            elsewhere,
            cluster: true,
        },
    );
    if !unreachable.is_empty() {
        // No peering is generated: the network modules expose no route tables, and the
        // shared resources admit the environment's own network only (AWS security groups
        // `allowed_cidr_blocks`, Azure private endpoints and their DNS zones in its VNet,
        // GCP private services access on its VPC).
        header.push_str(&format!(
            "# Hand step: this cell's own network has no path to the shared {} in the network of terraform/environments/{} ({}): peer the two networks and let {} admit {}, or make {} `scope: cell`.\n",
            unreachable.join(", "),
            env.name,
            env.cloud.region,
            if unreachable.len() == 1 { "it" } else { "them" },
            c.network.cidr,
            if unreachable.len() == 1 { "it" } else { "them" },
        ));
    }
    let text = format::render(body.build(), &notes)?;
    Ok(format!("{header}\n{text}"))
}
