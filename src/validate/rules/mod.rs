//! Semantic rules, one file per concern. Each rule reads the typed, spanned spec
//! ([`crate::spec`]): a value of the wrong type is a [`Field::Invalid`] there (the schema
//! reports it) and a rule skips it, so a partly invalid tree never hides the other
//! findings. Every rule returns its diagnostics; none stops at the first problem.

mod cells;
mod cloud;
mod dependencies;
pub mod durations;
mod environments;
mod names;
mod observe;
mod overlays;
mod ports;
mod probes;
mod required;
mod resources;
mod rollout;
mod secrets;
mod versions;

pub use names::is_dns_label;
pub use versions::tag_matches;

use crate::diagnostic::Diagnostic;
use crate::load::yaml::Pos;
use crate::spec::{Field, SpecPlatform, SpecService};

/// What every rule may read.
pub struct RuleCtx<'a> {
    pub spec: &'a SpecPlatform,
    /// Environment files that exist but failed to load (so they are not "unknown").
    pub broken_environments: &'a [String],
    /// Whether the environments directory could be listed; when not, no name can be
    /// called an unknown environment.
    pub environments_readable: bool,
}

impl RuleCtx<'_> {
    /// Whether `services:` in the registry is a mapping (else no name can be "unknown").
    pub fn services_readable(&self) -> bool {
        self.spec.registry.services.get().is_some()
    }

    /// Every merged service: registry-level first, then per environment (a rule reporting
    /// the same place twice is deduplicated later).
    pub fn every_service(&self) -> impl Iterator<Item = &SpecService> {
        self.spec.every_service()
    }

    /// Registry service names, as written.
    pub fn service_names(&self) -> Vec<&str> {
        self.spec
            .registry
            .services
            .get()
            .map(|keys| keys.0.iter().map(|k| k.as_str()).collect())
            .unwrap_or_default()
    }

    /// Environment names: the loaded ones and the broken ones.
    pub fn environment_names(&self) -> Vec<&str> {
        self.spec
            .environments
            .iter()
            .map(|e| e.name.as_str())
            .chain(self.broken_environments.iter().map(String::as_str))
            .collect()
    }
}

/// Runs every semantic rule.
pub fn check_rules(ctx: &RuleCtx) -> Vec<Diagnostic> {
    let rules: [fn(&RuleCtx) -> Vec<Diagnostic>; 15] = [
        names::check,
        required::check,
        dependencies::check,
        environments::check,
        overlays::check,
        ports::check,
        probes::check,
        resources::check,
        rollout::check,
        durations::check,
        secrets::check,
        versions::check,
        cloud::check,
        observe::check,
        cells::check,
    ];
    // Rules are independent readers of the same spec: run them on every core. `collect`
    // keeps the rule order, so the output does not depend on scheduling.
    use rayon::prelude::*;
    let per_rule: Vec<Vec<Diagnostic>> = rules.par_iter().map(|rule| rule(ctx)).collect();
    per_rule.into_iter().flatten().collect()
}

/// The readable items of a list field, with their positions.
pub(crate) fn items<T>(field: &Field<Vec<Field<T>>>) -> impl Iterator<Item = (&T, Pos)> {
    field
        .get()
        .into_iter()
        .flatten()
        .filter_map(|item| item.spanned().map(|s| (&s.value, s.pos)))
}

/// An integer value of a tree node (for the versions editors, which work on the trees).
pub fn int(node: Option<&crate::load::yaml::Node>) -> Option<i64> {
    match node?.value {
        crate::load::yaml::Value::Int(i) => Some(i),
        _ => None,
    }
}
