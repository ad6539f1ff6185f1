//! Semantic rules, one file per concern. Each rule reads the parsed and merged trees
//! defensively (the schema reports wrong types; a rule skips what it cannot read) and
//! returns diagnostics; none stops at the first problem.

mod dependencies;
mod names;
mod overlays;
mod ports;
mod required;
mod resources;
mod rollout;
mod secrets;
mod versions;

pub use names::is_dns_label;
pub use versions::tag_matches;

use crate::diagnostic::Diagnostic;
use crate::load::yaml::Node;
use crate::merge::MergedPlatform;

/// What every rule may read.
pub struct RuleCtx<'a> {
    pub merged: &'a MergedPlatform<'a>,
    pub versions: Option<&'a Node>,
    /// Environment files that exist but failed to load (so they are not "unknown").
    pub broken_environments: &'a [String],
    /// Whether the environments directory could be listed; when not, no name can be
    /// called an unknown environment.
    pub environments_readable: bool,
}

impl RuleCtx<'_> {
    /// Whether `services:` in the registry is a mapping (else no name can be "unknown").
    pub fn services_readable(&self) -> bool {
        self.merged
            .registry
            .get("services")
            .and_then(Node::as_map)
            .is_some()
    }

    /// Every merged service: registry-level first, then per environment (a rule reporting
    /// the same place twice is deduplicated later).
    pub fn every_service(&self) -> impl Iterator<Item = &crate::merge::MergedService> {
        let envs = self
            .merged
            .environments
            .iter()
            .flat_map(|e| e.services.values());
        self.merged.registry_services.values().chain(envs)
    }

    /// Registry service names, sorted.
    pub fn service_names(&self) -> Vec<&str> {
        self.merged
            .registry
            .get("services")
            .and_then(Node::as_map)
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// Environment names: the loaded ones and the broken ones.
    pub fn environment_names(&self) -> Vec<&str> {
        self.merged
            .environments
            .iter()
            .map(|e| e.name.as_str())
            .chain(self.broken_environments.iter().map(String::as_str))
            .collect()
    }
}

/// Runs every semantic rule.
pub fn check_rules(ctx: &RuleCtx) -> Vec<Diagnostic> {
    let rules: [fn(&RuleCtx) -> Vec<Diagnostic>; 9] = [
        names::check,
        required::check,
        dependencies::check,
        overlays::check,
        ports::check,
        resources::check,
        rollout::check,
        secrets::check,
        versions::check,
    ];
    // Rules are independent readers of the same trees: run them on every core. `collect`
    // keeps the rule order, so the output does not depend on scheduling.
    use rayon::prelude::*;
    let per_rule: Vec<Vec<Diagnostic>> = rules.par_iter().map(|rule| rule(ctx)).collect();
    per_rule.into_iter().flatten().collect()
}

/// The string items of a list node, with their nodes.
pub(crate) fn string_items(node: Option<&Node>) -> Vec<(&str, &Node)> {
    node.and_then(Node::as_seq)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| Some((i.as_str()?, i)))
                .collect()
        })
        .unwrap_or_default()
}

/// An integer value.
pub fn int(node: Option<&Node>) -> Option<i64> {
    match node?.value {
        crate::load::yaml::Value::Int(i) => Some(i),
        _ => None,
    }
}
