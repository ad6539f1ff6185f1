//! Cells (SPEC "Version 2 additions" → "Cells"): each cell is a copy of its environment on
//! its own cluster. A cell's fields merge over the environment's with the one rule set of
//! [`super::merge`], so the cell's environment is `merge(environment, cell)` and its services
//! are merged over that tree exactly as an environment's are: registry defaults → the
//! service → (environment and cell) `defaults` → (environment and cell) `services.<name>`.
//! Every leaf keeps its position, so `explain --cell` shows the cell layer in its chain.
//!
//! An environment without `cells` is one cell: it gets no [`MergedCell`] and nothing below
//! changes for it.

use super::{MergedService, merge, merge_platform};
use crate::load::yaml::{Node, Pos};
use std::collections::BTreeMap;

/// The environment-level keys that are not cell fields: the cell tree leaves them out.
pub const ENVIRONMENT_ONLY: [&str; 3] = ["cells", "waves", "bake"];

/// One cell, merged over its environment.
#[derive(Debug, Clone)]
pub struct MergedCell {
    pub name: String,
    /// The cell's key under `cells:`.
    pub key_pos: Pos,
    /// The environment with the cell merged over it (without `cells`, `waves`, `bake`).
    pub node: Node,
    pub services: BTreeMap<String, MergedService>,
    pub disabled: BTreeMap<String, Pos>,
}

/// The environment tree of each cell of `env`, in the order written; empty without cells.
/// Malformed cells (not a mapping) are skipped: the schema reports them.
pub fn cell_nodes(env: &Node) -> Vec<(String, Pos, Node)> {
    let Some(cells) = env.get("cells").and_then(Node::as_map) else {
        return Vec::new();
    };
    let mut base = env.clone();
    if let Some(map) = base.as_map_mut() {
        for key in ENVIRONMENT_ONLY {
            map.shift_remove(key);
        }
    }
    cells
        .iter()
        .filter(|(_, entry)| entry.value.as_map().is_some())
        .map(|(name, entry)| {
            (
                name.clone(),
                entry.key_pos,
                merge(base.clone(), &entry.value),
            )
        })
        .collect()
}

/// Every cell of `env` merged, services included.
pub fn merge_cells(registry: &Node, env_name: &str, env: &Node) -> Vec<MergedCell> {
    let nodes = cell_nodes(env);
    if nodes.is_empty() {
        return Vec::new();
    }
    let as_envs: Vec<(String, Node)> = nodes
        .iter()
        .map(|(_, _, node)| (env_name.to_owned(), node.clone()))
        .collect();
    let merged = merge_platform(registry, &as_envs);
    nodes
        .into_iter()
        .zip(merged.environments)
        .map(|((name, key_pos, node), env)| MergedCell {
            name,
            key_pos,
            node,
            services: env.services,
            disabled: env.disabled,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::yaml::parse;

    const REGISTRY: &str =
        "services:\n  api:\n    replicas: {min: 2, max: 6}\n    config: {A: x}\n";
    const ENV: &str = "cloud: {provider: azure, region: westeurope}\n\
defaults: {replicas: {min: 3}}\n\
services:\n  api: {config: {A: env}}\n\
cells:\n  c1: {cloud: {region: northeurope}, services: {api: {replicas: {max: 9}}}}\n  c2: {defaults: {replicas: {min: 4}}}\n\
waves: [[c1], [c2]]\n\
bake: 30m\n";

    #[test]
    fn a_cell_merges_over_its_environment_and_keeps_the_chain() {
        let registry = parse(REGISTRY, 0).unwrap();
        let env = parse(ENV, 1).unwrap();
        let cells = merge_cells(&registry, "prod", &env);
        assert_eq!(
            cells.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            ["c1", "c2"]
        );
        let c1 = &cells[0];
        assert_eq!(
            c1.node.get("cloud").unwrap().to_json(),
            serde_json::json!({"provider": "azure", "region": "northeurope"})
        );
        for key in ENVIRONMENT_ONLY {
            assert!(c1.node.get(key).is_none(), "{key} stays in the environment");
        }
        let api = &c1.services["api"].node;
        assert_eq!(
            api.to_json(),
            serde_json::json!({"config": {"A": "env"}, "replicas": {"max": 9, "min": 3}})
        );
        // `max` came from the cell (line 6), over the registry (file 0).
        let max = api.get("replicas").unwrap().get("max").unwrap();
        assert_eq!((max.pos.file, max.pos.line), (1, 6));
        assert_eq!(max.overrode.len(), 1);
        assert_eq!(max.overrode[0].file, 0);
        // The chain runs cell → environment → registry.
        let min = cells[1].services["api"].node.get("replicas").unwrap();
        let min = min.get("min").unwrap();
        assert_eq!(min.to_json(), serde_json::json!(4));
        let chain: Vec<(u32, u32)> = std::iter::once(min.pos)
            .chain(min.overrode.iter().copied())
            .map(|p| (p.file, p.line))
            .collect();
        assert_eq!(chain, [(1, 7), (1, 2), (0, 3)]);
    }

    #[test]
    fn an_environment_without_cells_has_none() {
        let registry = parse(REGISTRY, 0).unwrap();
        let env = parse("cloud: {provider: aws, region: eu-west-1}\n", 1).unwrap();
        assert!(merge_cells(&registry, "dev", &env).is_empty());
    }
}
