//! The resolved, typed model: every default and overlay applied, one `Environment` per
//! environment file holding its enabled services.
//!
//! Built only by `lower` from the merged, validated trees; read by every target. It holds no
//! spans (provenance lives on the merged tree, see `merge`) and only ordered maps, so a
//! target that walks it emits the same bytes on every run. It must never read files.

mod cells;
mod observe;
mod types;

pub use cells::*;
pub use observe::*;
pub use types::*;

use std::collections::BTreeMap;

/// The whole platform, resolved: what every target compiles from.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
#[serde(rename_all = "camelCase")]
pub struct Model {
    pub platform: Platform,
    /// Every service declared in the registry, merged with the registry defaults only
    /// (what CI builds, whatever the environment).
    pub registry_services: BTreeMap<String, Service>,
    /// Environments in promotion order: roots first (no `promotion.from`), then each
    /// environment after the one it promotes from; ties by name.
    pub environments: Vec<Environment>,
}

impl Model {
    /// The environment called `name`, if any.
    pub fn environment(&self, name: &str) -> Option<&Environment> {
        self.environments.iter().find(|e| e.name == name)
    }
}

impl Environment {
    /// The Kubernetes namespace of `service` in this environment (`namespaceSuffix` applied).
    pub fn namespace_of(&self, service: &Service) -> String {
        format!("{}{}", service.namespace, self.namespace_suffix)
    }

    /// The namespaces used by the enabled services here, sorted, without duplicates.
    pub fn namespaces(&self) -> Vec<String> {
        let set: std::collections::BTreeSet<String> = self
            .services
            .values()
            .map(|s| self.namespace_of(s))
            .collect();
        set.into_iter().collect()
    }

    /// The enabled services here that list `name` among their dependencies, sorted.
    pub fn dependents_of(&self, name: &str) -> Vec<&Service> {
        // Every service's policies ask this: index the edges once (linear), not a scan of
        // every service per question (quadratic in the number of services).
        let index = self.dependents.get_or_init(|| {
            let mut index: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for service in self.services.values() {
                for dependency in &service.dependencies {
                    let dependents = index.entry(dependency.clone()).or_default();
                    // A dependency listed twice still makes one dependent.
                    if dependents.last() != Some(&service.name) {
                        dependents.push(service.name.clone());
                    }
                }
            }
            index
        });
        index
            .get(name)
            .into_iter()
            .flatten()
            .filter_map(|dependent| self.services.get(dependent))
            .collect()
    }
}
