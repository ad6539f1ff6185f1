//! The schema migration step of one service in one environment (`migrations`): a Job that
//! runs the service's image (or `migrations.image`) with the command, as an Argo CD
//! `PreSync` hook, so the new version's manifests are applied only after it succeeded, and
//! an ExternalSecret hook before it with the database's connection details.
//!
//! Argo CD applies `PreSync` hooks before the manifests and stops the sync when one fails;
//! within the phase, lower sync waves go first and each wave must be healthy before the next
//! (<https://argo-cd.readthedocs.io/en/stable/user-guide/resource_hooks/>,
//! <https://argo-cd.readthedocs.io/en/stable/user-guide/sync-waves/>). The ExternalSecret is a
//! hook of its own (wave -1) because the service's ExternalSecret is applied only in the Sync
//! phase, after the migration: on a first deploy, or when a database is added, its Secret
//! would not exist yet. `BeforeHookCreation` deletes the previous run right before the next
//! one, so a failed Job stays for its logs and the fixed names never collide.
//!
//! Store entries and variable names are `backend::contract`'s, as for the service itself.

use super::{Ctx, RUN_AS, checkov_skips, common_labels, in_cluster, object, secrets};
use crate::backend::contract::{Placement, connection_keys, env_var_name, placement};
use crate::model::{Dataplane, InfraType, Migrations};
use serde_json::{Map, Value, json};

/// How long a migration may run before Kubernetes stops it and the sync fails (15 minutes).
pub(crate) const DEADLINE_SECONDS: u32 = 900;

/// Why the Job keeps the checkov findings it keeps (as the service's Deployment does).
const JOB_SKIPS: &[(&str, &str)] = &[
    (
        "CKV_K8S_43",
        "images are pinned by immutable tags enforced by the environment imageTags policy",
    ),
    (
        "CKV_K8S_35",
        "env vars come from an ExternalSecret-managed Secret the migrator reads at start",
    ),
];

/// Backing resource types that hold a schema to migrate.
fn is_database(kind: InfraType) -> bool {
    matches!(
        kind,
        InfraType::Postgres | InfraType::Mysql | InfraType::Sqlserver | InfraType::Mongodb
    )
}

/// `<service>-migrate`: the Job (and its container's name is `migrate`).
pub(crate) fn job_name(service: &str) -> String {
    format!("{service}-migrate")
}

/// The Secret the migration's ExternalSecret writes.
fn secret_name(service: &str) -> String {
    format!("{service}-migrations")
}

/// The hook documents (ExternalSecret, then Job) of a service with `migrations`.
pub(crate) fn migration_hooks(ctx: &Ctx) -> Vec<Value> {
    let Some(migrations) = &ctx.service.migrations else {
        return Vec::new();
    };
    let (env_vars, remote) = database_env(ctx, None);
    let mut docs = Vec::new();
    if !remote.is_empty() {
        docs.push(external_secret(ctx, remote));
    }
    docs.push(job(ctx, migrations, env_vars));
    docs
}

/// The migration hook's ExternalSecret with the entry names of `cell` (None: the
/// environment's, as [`migration_hooks`] renders it), when the service has one.
pub(crate) fn external_secret_in(ctx: &Ctx, cell: Option<secrets::CellNames>) -> Option<Value> {
    ctx.service.migrations.as_ref()?;
    let (_, remote) = database_env(ctx, cell);
    (!remote.is_empty()).then(|| external_secret(ctx, remote))
}

/// The container `env` of the migration and the store entries its ExternalSecret fetches:
/// the connection keys of each database the service owns, managed ones from the store under
/// the names the service's own ExternalSecret uses, in-cluster ones as the service reads them.
fn database_env(ctx: &Ctx, cell: Option<secrets::CellNames>) -> (Vec<Value>, Vec<Value>) {
    let (service, env) = (ctx.service, ctx.env);
    let secret = secret_name(&service.name);
    let (mut vars, mut remote) = (Vec::new(), Vec::new());
    for (resource, infra) in &service.infra {
        if !is_database(infra.kind) {
            continue;
        }
        let in_cluster = placement(env.cloud.provider, infra.kind) == Placement::InCluster;
        let entry = secrets::entry_name(ctx, cell, resource, infra);
        for key in connection_keys(infra.kind) {
            let name = env_var_name(resource, key);
            if in_cluster {
                vars.push(in_cluster::env_var(&name, service, resource, infra, key));
            } else {
                vars.push(secrets::secret_env(&name, &secret, &name));
                remote.push(json!({"secretKey": name,
                                   "remoteRef": {"key": entry, "property": key}}));
            }
        }
    }
    (vars, remote)
}

/// The labels of the migration's objects: the service's, as the `migrations` component.
fn labels(ctx: &Ctx, migrations: Option<&Migrations>) -> Map<String, Value> {
    let mut labels = common_labels(&ctx.model.platform.name, ctx.service);
    labels.insert("app.kubernetes.io/component".into(), json!("migrations"));
    if let Some(m) = migrations {
        labels.insert("infrac.dev/migration-tool".into(), json!(m.tool.as_str()));
    }
    labels
}

fn hook_annotations(wave: i32) -> Value {
    json!({
        "argocd.argoproj.io/hook": "PreSync",
        "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation",
        "argocd.argoproj.io/sync-wave": wave.to_string(),
    })
}

fn external_secret(ctx: &Ctx, data: Vec<Value>) -> Value {
    let name = secret_name(&ctx.service.name);
    let mut obj = object(
        "external-secrets.io/v1",
        "ExternalSecret",
        &name,
        Some(&ctx.namespace),
        &labels(ctx, None),
    );
    obj["metadata"]["annotations"] = hook_annotations(-1);
    obj.insert(
        "spec".into(),
        json!({
            "refreshInterval": "1h",
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": ctx.env.secret_store.name},
            "target": {"name": name, "creationPolicy": "Owner"},
            "data": data,
        }),
    );
    Value::Object(obj)
}

/// The image the migration runs: `migrations.image` or the service's, at the stable tag
/// this environment rolls out.
fn image(ctx: &Ctx, migrations: &Migrations) -> String {
    let repository = migrations.image.as_deref().unwrap_or(&ctx.service.image);
    let tag = ctx
        .service
        .version
        .as_ref()
        .map(|v| v.stable.as_str())
        .unwrap_or("latest");
    format!("{}/{repository}:{tag}", ctx.model.platform.image_registry)
}

fn job(ctx: &Ctx, migrations: &Migrations, env: Vec<Value>) -> Value {
    let service = ctx.service;
    let labels = labels(ctx, Some(migrations));
    let mut obj = object(
        "batch/v1",
        "Job",
        &job_name(&service.name),
        Some(&ctx.namespace),
        &labels,
    );
    obj["metadata"]["annotations"] = hook_annotations(0);
    checkov_skips(&mut obj, JOB_SKIPS);
    let mut container = Map::new();
    container.insert("name".into(), json!("migrate"));
    container.insert("image".into(), json!(image(ctx, migrations)));
    container.insert("imagePullPolicy".into(), json!("Always"));
    container.insert("command".into(), json!(migrations.command));
    if !env.is_empty() {
        container.insert("env".into(), Value::from(env));
    }
    container.insert("resources".into(), json!(service.resources));
    // The service's own restricted context (`workload::pod_spec`; a test compares them).
    container.insert(
        "securityContext".into(),
        super::workload::container_security_context(),
    );
    container.insert(
        "volumeMounts".into(),
        json!([{"name": "tmp", "mountPath": "/tmp"}]),
    );
    // The pod carries the service's name label (its NetworkPolicy lets it reach the
    // database) but no `version`, so no Service routes to it. An Envoy sidecar never exits,
    // which would keep the Job from completing: it runs without one.
    let mut pod_labels = Map::new();
    pod_labels.insert("app.kubernetes.io/name".into(), json!(service.name));
    pod_labels.insert("app.kubernetes.io/component".into(), json!("migrations"));
    if ctx.model.platform.mesh.dataplane == Dataplane::Sidecar {
        pod_labels.insert("sidecar.istio.io/inject".into(), json!("false"));
    }
    obj.insert(
        "spec".into(),
        obj! {
            "activeDeadlineSeconds" => DEADLINE_SECONDS,
            // A retry could run a half-applied migration again: one attempt, the sync fails.
            "backoffLimit" => 0,
            "template" => obj! {
                "metadata" => obj! {"labels" => pod_labels},
                "spec" => obj! {
                    "restartPolicy" => "Never",
                    "serviceAccountName" => service.name.as_str(),
                    "automountServiceAccountToken" => false,
                    "securityContext" => pod_security_context(),
                    "containers" => vec![Value::Object(container)],
                    "volumes" => json!([{"name": "tmp", "emptyDir": {}}]),
                },
            },
        },
    );
    Value::Object(obj)
}

fn pod_security_context() -> Value {
    json!({
        "runAsNonRoot": true,
        "runAsUser": RUN_AS,
        "runAsGroup": RUN_AS,
        "fsGroup": RUN_AS,
        "seccompProfile": {"type": "RuntimeDefault"},
    })
}
