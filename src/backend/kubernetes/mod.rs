//! The Kubernetes target: Kustomize bases and overlays, Istio traffic and security resources
//! and the Argo CD Application, from the resolved [`Model`].
//!
//! No Argo Rollouts object is emitted. Canary steps and blue-green switches are
//! `versions.yaml` commits that Argo CD syncs, and the canary analysis
//! (`rollout.canary.analysis`) is run by the CI canary driver between steps. A Rollout (even
//! one with `workloadRef` to the Deployment) would own the same decisions in the cluster: its
//! controller creates its own ReplicaSets and rewrites the VirtualService weights itself, so
//! the weights in Git would no longer be the cluster's. An AnalysisTemplate that no Rollout or
//! AnalysisRun uses only forced the CRDs onto every cluster.
//! <https://argoproj.github.io/argo-rollouts/features/traffic-management/istio/>,
//! <https://argoproj.github.io/argo-rollouts/migrating/>
//!
//! Layout (SPEC "Output layout"): `kubernetes/<service>/base/` from the registry service,
//! `kubernetes/<service>/overlays/<env>/` with the environment's differences as JSON patches
//! computed against the base, and `kubernetes/environments/<env>/` aggregating them all.
//! Every document goes through `crate::artifact::yaml`. This module never reads or writes a
//! file and never iterates a `HashMap` into output.

/// A JSON object from `key => value` pairs, each value moved in through `Value::from`.
/// Unlike `json!`, which copies every interpolated value by serialising it again (a full
/// rebuild, hashing every key, for each nesting level), this never copies a built subtree.
macro_rules! obj {
    ($($key:expr => $value:expr),* $(,)?) => {{
        let mut map = serde_json::Map::new();
        $( map.insert(String::from($key), serde_json::Value::from($value)); )*
        serde_json::Value::Object(map)
    }};
}

mod base;
mod blue_green;
pub mod cells;
mod crosscheck;
mod dashboard;
mod egress;
mod environment;
pub(crate) mod identity;
mod in_cluster;
mod istio;
mod migrations;
mod monitoring;
mod network;
mod overlay;
mod patch;
mod pull_secret;
mod secrets;
mod workload;

#[cfg(test)]
mod cell_skip_tests;
#[cfg(test)]
mod fixture;
#[cfg(test)]
mod observe_tests;
#[cfg(test)]
mod tests;

use crate::artifact::{OutputFile, Target};
use crate::model::{Environment, Model, Service};
use serde_json::{Map, Value, json};

/// Label every generated object carries to say who owns it.
const MANAGED_BY: &str = "infrac";
/// Label on the environment overlay's objects naming the environment.
const ENV_LABEL: &str = "infrac.dev/environment";
/// Non-root user and group every container runs as.
const RUN_AS: u32 = 10001;

/// Compiles the Kubernetes tree for `model`: bases, overlays and environment aggregates.
pub fn emit(model: &Model, _ctx: &super::EmitCtx) -> Result<Vec<OutputFile>, crate::error::Error> {
    emit_with(model, true)
}

/// [`emit`]; `skip_cells: false` renders every cell's overlay of every service, even those
/// [`cells::overlay_inputs_equal`] knows to be the environment's (the tests compare both).
pub(crate) fn emit_with(
    model: &Model,
    skip_cells: bool,
) -> Result<Vec<OutputFile>, crate::error::Error> {
    use rayon::prelude::*;
    // Services are independent: emit them in parallel; `collect` keeps the order.
    // Every environment's services come from the registry (merge starts there); say so
    // loudly if that ever stops being true rather than drop an overlay.
    for env in &model.environments {
        if let Some(name) = env
            .services
            .keys()
            .find(|name| !model.registry_services.contains_key(*name))
        {
            return Err(crate::error::Error::Internal(format!(
                "service {name} of environment {} is missing from the registry",
                env.name
            )));
        }
        for cell in &env.cells {
            if let Some(name) = cell
                .environment
                .services
                .keys()
                .find(|name| !model.registry_services.contains_key(*name))
            {
                return Err(crate::error::Error::Internal(format!(
                    "service {name} of cell {} is missing from the registry",
                    cell.name
                )));
            }
        }
    }
    // One service at a time, in parallel: its base, then its overlay in each environment
    // and in each cell where that differs from its environment's, which patch the
    // difference to the base objects rendered just before (once, and dropped as soon as the
    // service is done). `collect` keeps the order.
    type Overlays = Vec<Option<Vec<OutputFile>>>;
    let per_service: Vec<(Vec<OutputFile>, Overlays, Vec<cells::CellOverlays>)> = model
        .registry_services
        .par_iter()
        .map(|(name, registry_service)| {
            let (base_files, base_objects) = base::emit_base(model, registry_service);
            let overlays = model
                .environments
                .iter()
                .map(|env| {
                    env.services
                        .get(name)
                        .map(|service| overlay::emit_overlay(model, env, service, &base_objects))
                        .transpose()
                })
                .collect::<Result<Overlays, _>>()?;
            let in_cells = model
                .environments
                .iter()
                .zip(&overlays)
                .map(|(env, env_overlay)| {
                    cells::cell_overlays(
                        model,
                        env,
                        name,
                        env_overlay.as_deref(),
                        &base_objects,
                        skip_cells,
                    )
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok((base_files, overlays, in_cells))
        })
        .collect::<Result<_, crate::error::Error>>()?;
    let mut files: Vec<OutputFile> = Vec::new();
    let mut overlays_by_env: Vec<Vec<OutputFile>> = vec![Vec::new(); model.environments.len()];
    // Per environment, per cell: the services with an overlay of their own there, and its files.
    let mut own_by_env: Vec<Vec<(Vec<String>, Vec<OutputFile>)>> = model
        .environments
        .iter()
        .map(|env| vec![(Vec::new(), Vec::new()); env.cells.len()])
        .collect();
    for ((name, _), (base_files, overlays, in_cells)) in
        model.registry_services.iter().zip(per_service)
    {
        files.extend(base_files);
        for (env_files, overlay) in overlays_by_env.iter_mut().zip(overlays) {
            env_files.extend(overlay.into_iter().flatten());
        }
        for (own, cell_overlays) in own_by_env.iter_mut().zip(in_cells) {
            for ((names, own_files), cell_overlay) in own.iter_mut().zip(cell_overlays) {
                if let Some(cell_files) = cell_overlay {
                    names.push(name.clone());
                    own_files.extend(cell_files);
                }
            }
        }
    }
    for ((env, overlays), own) in model
        .environments
        .iter()
        .zip(overlays_by_env)
        .zip(own_by_env)
    {
        let mut aggregate = environment::emit_environment(model, env);
        cells::emit_cells(model, env, own, &mut aggregate)?;
        files.extend(overlays);
        files.extend(aggregate);
    }
    Ok(files)
}

/// What a resource of one service in one environment needs to know about where it lives.
pub(crate) struct Ctx<'a> {
    pub model: &'a Model,
    pub env: &'a Environment,
    pub service: &'a Service,
    pub namespace: String,
}

impl<'a> Ctx<'a> {
    pub fn new(model: &'a Model, env: &'a Environment, service: &'a Service) -> Self {
        Self {
            model,
            env,
            service,
            namespace: env.namespace_of(service),
        }
    }

    /// The in-mesh host name of the service's Kubernetes Service.
    pub fn fqdn(&self, name: &str) -> String {
        format!("{name}.{}.svc.cluster.local", self.namespace)
    }
}

/// The `app.kubernetes.io/*` labels shared by every object of `service`.
pub(crate) fn common_labels(platform: &str, service: &Service) -> Map<String, Value> {
    let mut labels = Map::new();
    labels.insert("app.kubernetes.io/name".into(), json!(service.name));
    labels.insert("app.kubernetes.io/instance".into(), json!(service.name));
    labels.insert("app.kubernetes.io/component".into(), json!("server"));
    labels.insert("app.kubernetes.io/part-of".into(), json!(platform));
    labels.insert("app.kubernetes.io/managed-by".into(), json!(MANAGED_BY));
    labels
}

/// The labels that pick the pods of one track (`stable`, `canary`, `preview`) of `service`.
pub(crate) fn track_selector(service: &str, track: &str) -> Value {
    json!({"app.kubernetes.io/name": service, "version": track})
}

/// The label that picks every pod of `service`, whatever its track.
pub(crate) fn service_selector(service: &str) -> Value {
    json!({"app.kubernetes.io/name": service})
}

/// An object header: `apiVersion`, `kind`, `metadata` with name, labels and optional
/// namespace (overlays get theirs from Kustomize's `namespace:`).
pub(crate) fn object(
    api_version: &str,
    kind: &str,
    name: &str,
    namespace: Option<&str>,
    labels: &Map<String, Value>,
) -> Map<String, Value> {
    let mut metadata = Map::new();
    metadata.insert("name".into(), json!(name));
    if let Some(ns) = namespace {
        metadata.insert("namespace".into(), json!(ns));
    }
    if !labels.is_empty() {
        metadata.insert("labels".into(), Value::Object(labels.clone()));
    }
    let mut obj = Map::new();
    obj.insert("apiVersion".into(), json!(api_version));
    obj.insert("kind".into(), json!(kind));
    obj.insert("metadata".into(), Value::Object(metadata));
    obj
}

/// Adds `checkov.io/skip<N>` annotations justifying the checkov findings a resource keeps.
pub(crate) fn checkov_skips(obj: &mut Map<String, Value>, skips: &[(&str, &str)]) {
    if skips.is_empty() {
        return;
    }
    let Some(Value::Object(metadata)) = obj.get_mut("metadata") else {
        return;
    };
    let annotations = metadata
        .entry("annotations")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .expect("annotations is an object");
    for (i, (id, why)) in skips.iter().enumerate() {
        annotations.insert(
            format!("checkov.io/skip{}", i + 1),
            json!(format!("{id}={why}")),
        );
    }
}

/// A Kustomization document with the given resources.
pub(crate) fn kustomization(resources: &[String]) -> Map<String, Value> {
    let mut k = Map::new();
    k.insert(
        "apiVersion".into(),
        json!("kustomize.config.k8s.io/v1beta1"),
    );
    k.insert("kind".into(), json!("Kustomization"));
    k.insert("resources".into(), json!(resources));
    k
}

/// A YAML file of the Kubernetes target.
pub(crate) fn file(env: Option<&str>, path: String, contents: String) -> OutputFile {
    OutputFile::new(Target::Kubernetes, env, path, contents)
}
