//! What the user wrote, typed and spanned: the stage between the merge and the model.
//!
//! Names by stage: a [`ServiceLayer`] is a service's fields in one layer or merged over all
//! of them (here every field is optional and keeps its position) → [`crate::model::Service`]
//! is the resolved service ([`crate::lower`] builds it, with every default from
//! [`defaults`]). Beside it, [`EnvironmentSpec`], [`PlatformSpec`] and [`VersionsSpec`] are
//! the other files as written.
//!
//! The merge stays generic on the spanned [`Node`] trees (provenance and `explain` need
//! them); [`read`] then reads every merged tree once into these types, in parallel, with the
//! node deserializer of `lower::de`. The semantic rules ([`crate::validate::rules`]) and
//! lowering both read the result. A value of the wrong type is a [`Field::Invalid`] (the
//! schema reports it), so a partly invalid service still reaches every rule.

mod cells;
pub mod defaults;
mod environment;
mod observe;
mod service;
pub(crate) mod spanned;
mod versions;

pub use cells::*;
pub use environment::*;
pub use observe::*;
pub use service::*;
pub use spanned::{Field, Keys, Spanned};
pub use versions::*;

use crate::diagnostic::Sources;
use crate::load::yaml::{FileId, Node, Pos};
use crate::lower::de::{from_node, from_node_in};
use crate::merge::{MergedPlatform, MergedService};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The registry's own fields the later stages read (the services are read merged).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RegistrySpec {
    pub platform: Field<PlatformSpec>,
    /// The service names, as written, with their key positions.
    pub services: Field<Keys>,
}

/// One merged service, typed.
#[derive(Debug, Clone)]
pub struct SpecService {
    pub name: String,
    /// The service's key in the registry: where service-level problems are reported.
    pub key_pos: Pos,
    pub layer: ServiceLayer,
    /// Why the merged tree could not be read at all (it always can when it is a mapping).
    pub unreadable: Option<String>,
}

/// One environment: its file as written, its services merged and typed.
#[derive(Debug, Clone)]
pub struct SpecEnv {
    pub name: String,
    /// The file of `environments/<name>.yaml`.
    pub file: FileId,
    pub spec: EnvironmentSpec,
    pub services: BTreeMap<String, SpecService>,
    /// Each disabled service with the position of its `enabled: false`.
    pub disabled: BTreeMap<String, Pos>,
    /// Its cells, each merged over it (empty without `cells`).
    pub cells: Vec<SpecCell>,
}

/// `versions.yaml`, typed, with its file.
#[derive(Debug, Clone)]
pub struct VersionsDoc {
    pub file: FileId,
    pub spec: VersionsSpec,
}

/// The whole platform as written and merged, typed.
#[derive(Debug, Clone)]
pub struct SpecPlatform {
    pub registry: RegistrySpec,
    /// The registry's file.
    pub registry_file: FileId,
    /// Every service merged with the registry defaults only.
    pub registry_services: BTreeMap<String, SpecService>,
    pub environments: Vec<SpecEnv>,
    pub versions: Option<VersionsDoc>,
}

impl SpecPlatform {
    /// Every merged service: registry-level first, then per environment.
    pub fn every_service(&self) -> impl Iterator<Item = &SpecService> {
        let envs = self.environments.iter().flat_map(|e| {
            let cells = e.cells.iter().flat_map(|c| c.services.values());
            e.services.values().chain(cells)
        });
        self.registry_services.values().chain(envs)
    }
}

fn read_service(service: &MergedService, sources: Option<&Sources>) -> SpecService {
    let read = match sources {
        Some(sources) => from_node_in::<ServiceLayer>(&service.node, sources),
        None => from_node::<ServiceLayer>(&service.node),
    };
    let (layer, unreadable) = match read {
        Ok(layer) => (layer, None),
        Err(e) => (ServiceLayer::default(), Some(e.to_string())),
    };
    SpecService {
        name: service.name.clone(),
        key_pos: service.key_pos,
        layer,
        unreadable,
    }
}

/// Reads every merged tree once, services in parallel (`collect` keeps the order); a
/// number or boolean read as text (a `config` value) is spelled as JSON writes it.
pub fn read(merged: &MergedPlatform, versions: Option<&Node>) -> SpecPlatform {
    read_platform(merged, versions, None)
}

/// [`read`], with the sources the trees were loaded from: a number or boolean read as text
/// (a `config` value) keeps the text the user wrote (`1.10`, `0x1F`, `1e3`).
pub fn read_in(
    merged: &MergedPlatform,
    versions: Option<&Node>,
    sources: &Sources,
) -> SpecPlatform {
    read_platform(merged, versions, Some(sources))
}

fn read_platform(
    merged: &MergedPlatform,
    versions: Option<&Node>,
    sources: Option<&Sources>,
) -> SpecPlatform {
    use rayon::prelude::*;
    let mut jobs: Vec<(Option<usize>, &MergedService)> = merged
        .registry_services
        .values()
        .map(|s| (None, s))
        .collect();
    for (i, env) in merged.environments.iter().enumerate() {
        jobs.extend(env.services.values().map(|s| (Some(i), s)));
    }
    let typed: Vec<(Option<usize>, SpecService)> = jobs
        .into_par_iter()
        .map(|(env, s)| (env, read_service(s, sources)))
        .collect();
    let mut registry_services = BTreeMap::new();
    let mut env_services: Vec<BTreeMap<String, SpecService>> = merged
        .environments
        .iter()
        .map(|_| BTreeMap::new())
        .collect();
    for (env, service) in typed {
        let map = match env {
            Some(i) => &mut env_services[i],
            None => &mut registry_services,
        };
        map.insert(service.name.clone(), service);
    }
    let environments = merged
        .environments
        .iter()
        .zip(env_services)
        .map(|(env, services)| SpecEnv {
            name: env.name.clone(),
            file: env.node.pos.file,
            spec: from_node(env.node).unwrap_or_default(),
            services,
            disabled: env.disabled.clone(),
            cells: env
                .cells
                .par_iter()
                .map(|cell| SpecCell {
                    name: cell.name.clone(),
                    key_pos: cell.key_pos,
                    spec: from_node(&cell.node).unwrap_or_default(),
                    // Each cell's merged services, typed in parallel like the
                    // environments' (`collect` keeps the order).
                    services: cell
                        .services
                        .par_iter()
                        .map(|(n, s)| (n.clone(), read_service(s, sources)))
                        .collect::<Vec<_>>()
                        .into_iter()
                        .collect(),
                    disabled: cell.disabled.clone(),
                })
                .collect(),
        })
        .collect();
    SpecPlatform {
        registry: from_node(merged.registry).unwrap_or_default(),
        registry_file: merged.registry.pos.file,
        registry_services,
        environments,
        versions: versions.map(|v| VersionsDoc {
            file: v.pos.file,
            spec: from_node(v).unwrap_or_default(),
        }),
    }
}
