//! The overlay merge, one rule set used everywhere (SPEC "Merge semantics"):
//! registry `defaults` → the service → environment `defaults` → environment `services.<name>`.
//!
//! Maps merge deeply; scalars and plain lists replace; lists whose items all carry a `name`
//! merge by name; an explicit `null` removes the key. The merge works on spanned trees, so
//! every leaf keeps the position of the layer that set it and the positions it overrode.

use crate::load::yaml::{Entry, Node, Value};

pub mod cells;
pub use cells::MergedCell;

/// Merges `layers` in order, later wins. `None` when every layer is absent.
pub fn merge_layers<'a>(layers: impl IntoIterator<Item = &'a Node>) -> Option<Node> {
    let mut result: Option<Node> = None;
    for layer in layers {
        result = Some(match result {
            None => strip_nulls(layer.clone()),
            Some(base) => merge(base, layer),
        });
    }
    result
}

/// `over` applied on top of `base`.
pub fn merge(base: Node, over: &Node) -> Node {
    match (base.value, &over.value) {
        (Value::Map(mut shared), Value::Map(over_map)) => {
            // Copied here only when another tree still shares it (a registry service merged
            // into an environment); its children stay shared until they change.
            let map = std::sync::Arc::make_mut(&mut shared);
            for (key, over_entry) in over_map.iter() {
                if over_entry.value.is_null() {
                    // The order is restored by the sort below.
                    map.swap_remove(key);
                    continue;
                }
                match map.get_mut(key) {
                    Some(existing) => {
                        let base = std::mem::replace(
                            &mut existing.value,
                            Node::new(Value::Null, existing.key_pos),
                        );
                        existing.key_pos = over_entry.key_pos;
                        existing.value = merge(base, &over_entry.value);
                    }
                    None => {
                        map.insert(
                            key.clone(),
                            Entry {
                                key_pos: over_entry.key_pos,
                                value: strip_nulls(over_entry.value.clone()),
                            },
                        );
                    }
                }
            }
            if !map.keys().is_sorted() {
                map.sort_keys();
            }
            Node {
                value: Value::Map(shared),
                pos: base.pos,
                overrode: base.overrode,
            }
        }
        (Value::Seq(items), Value::Seq(over_items))
            if is_named_list(&items) && is_named_list(over_items) && !over_items.is_empty() =>
        {
            let mut items = items;
            let list = std::sync::Arc::make_mut(&mut items);
            for over_item in over_items.iter() {
                let name = item_name(over_item);
                match list.iter().position(|i| item_name(i) == name) {
                    Some(i) => {
                        let existing = std::mem::replace(
                            &mut list[i],
                            Node::new(Value::Null, Default::default()),
                        );
                        list[i] = merge(existing, over_item);
                    }
                    None => list.push(strip_nulls(over_item.clone())),
                }
            }
            Node {
                value: Value::Seq(items),
                pos: over.pos,
                overrode: vec![base.pos],
            }
        }
        (base_value, _) => {
            // What `over` itself overrode comes first (a cell's tree is its environment
            // merged with the cell: the environment's value sits between the two).
            let mut overrode = over.overrode.clone();
            overrode.push(base.pos);
            overrode.extend(base.overrode);
            let _ = base_value;
            let mut node = strip_nulls(over.clone());
            node.overrode = overrode;
            node
        }
    }
}

fn is_named_list(items: &[Node]) -> bool {
    items.iter().all(|i| item_name(i).is_some())
}

fn item_name(item: &Node) -> Option<&str> {
    item.get("name")?.as_str()
}

/// Removes explicit nulls from a subtree that merges onto nothing (there is nothing to
/// delete, and `null` must not reach the model).
fn strip_nulls(mut node: Node) -> Node {
    // Most subtrees hold no null: leave those shared.
    if !has_null_below(&node) {
        return node;
    }
    match &mut node.value {
        Value::Map(map) => {
            let map = std::sync::Arc::make_mut(map);
            map.retain(|_, e| !e.value.is_null());
            for entry in map.values_mut() {
                entry.value = strip_nulls(std::mem::replace(
                    &mut entry.value,
                    Node::new(Value::Null, entry.key_pos),
                ));
            }
        }
        Value::Seq(items) => {
            for item in std::sync::Arc::make_mut(items).iter_mut() {
                *item = strip_nulls(std::mem::replace(
                    item,
                    Node::new(Value::Null, Default::default()),
                ));
            }
        }
        _ => {}
    }
    node
}

/// Whether a null sits anywhere inside `node` (not `node` itself).
fn has_null_below(node: &Node) -> bool {
    match &node.value {
        Value::Map(map) => map
            .values()
            .any(|e| e.value.is_null() || has_null_below(&e.value)),
        Value::Seq(items) => items.iter().any(has_null_below),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::yaml::parse;

    fn yaml(text: &str, file: u32) -> Node {
        parse(text, file).unwrap()
    }

    #[test]
    fn deep_maps_scalars_lists_and_nulls() {
        let base = yaml(
            "replicas: {min: 2, max: 6}\ndeps: [a, b]\nconfig: {A: x, B: y}\n",
            0,
        );
        let over = yaml("replicas: {min: 1}\ndeps: [c]\nconfig: {B: null}\n", 1);
        let merged = merge_layers([&base, &over]).unwrap();
        assert_eq!(
            merged.to_json(),
            serde_json::json!({"config": {"A": "x"}, "deps": ["c"], "replicas": {"max": 6, "min": 1}})
        );
        let min = merged.get("replicas").unwrap().get("min").unwrap();
        assert_eq!(min.pos.file, 1);
        assert_eq!(min.overrode.len(), 1);
        assert_eq!(min.overrode[0].file, 0);
        assert_eq!(
            merged.get("replicas").unwrap().get("max").unwrap().pos.file,
            0
        );
    }

    #[test]
    fn named_lists_merge_by_name() {
        let base = yaml(
            "ports: [{name: http, port: 8080}, {name: grpc, port: 9090}]\n",
            0,
        );
        let over = yaml(
            "ports: [{name: grpc, port: 9091}, {name: admin, port: 8081}]\n",
            1,
        );
        let merged = merge_layers([&base, &over]).unwrap();
        assert_eq!(
            merged.get("ports").unwrap().to_json(),
            serde_json::json!([{"name": "http", "port": 8080}, {"name": "grpc", "port": 9091}, {"name": "admin", "port": 8081}])
        );
    }
}

/// A service merged for one environment (or for the registry alone).
#[derive(Debug, Clone)]
pub struct MergedService {
    pub name: String,
    /// The service's key in the registry: where service-level problems are reported.
    pub key_pos: crate::load::yaml::Pos,
    pub node: Node,
}

/// One environment with its services merged; `disabled` maps each disabled service to the
/// position of its `enabled: false`.
#[derive(Debug, Clone)]
pub struct MergedEnv<'a> {
    pub name: String,
    pub node: &'a Node,
    pub services: std::collections::BTreeMap<String, MergedService>,
    pub disabled: std::collections::BTreeMap<String, crate::load::yaml::Pos>,
    /// Its cells, each merged over it (empty without `cells`: the environment is one cell).
    pub cells: Vec<MergedCell>,
}

/// Every service merged: with registry defaults only, and per environment.
#[derive(Debug, Clone)]
pub struct MergedPlatform<'a> {
    pub registry: &'a Node,
    pub registry_services: std::collections::BTreeMap<String, MergedService>,
    pub environments: Vec<MergedEnv<'a>>,
}

/// Applies the merge order to every registry service, for the registry and each environment.
/// Malformed parts (a list where a map belongs) are skipped: the schema reports them.
pub fn merge_platform<'a>(
    registry: &'a Node,
    environments: &'a [(String, Node)],
) -> MergedPlatform<'a> {
    let defaults = registry.get("defaults").filter(|d| d.as_map().is_some());
    let services: Vec<(&String, &Entry)> = registry
        .get("services")
        .and_then(Node::as_map)
        .map(|m| {
            m.iter()
                .filter(|(_, e)| e.value.as_map().is_some())
                .collect()
        })
        .unwrap_or_default();
    use rayon::prelude::*;
    // Every (service) and every (environment, service) pair merges independently: spread
    // them over every core; `collect` keeps the order, so nothing depends on scheduling.
    let registry_services: std::collections::BTreeMap<String, MergedService> = services
        .par_iter()
        .filter_map(|(name, entry)| {
            let node = merge_layers(defaults.into_iter().chain([&entry.value]))?;
            Some((
                (*name).clone(),
                MergedService {
                    name: (*name).clone(),
                    key_pos: entry.key_pos,
                    node,
                },
            ))
        })
        .collect();
    struct EnvLayers<'n> {
        defaults: Option<&'n Node>,
        overrides: Option<&'n crate::load::yaml::NodeMap>,
        infra_defaults: Option<&'n Node>,
    }
    let layers: Vec<EnvLayers> = environments
        .iter()
        .map(|(_, env)| EnvLayers {
            defaults: env.get("defaults").filter(|d| d.as_map().is_some()),
            overrides: env.get("services").and_then(Node::as_map),
            infra_defaults: env.get("infraDefaults").filter(|d| d.as_map().is_some()),
        })
        .collect();
    /// One service in one environment: merged, or disabled at a position.
    enum Outcome {
        Merged(MergedService),
        Disabled(crate::load::yaml::Pos),
    }
    let pairs: Vec<(usize, usize)> = (0..environments.len())
        .flat_map(|e| (0..services.len()).map(move |s| (e, s)))
        .collect();
    let outcomes: Vec<Option<Outcome>> = pairs
        .par_iter()
        .map(|&(e, s)| {
            let (name, entry) = services[s];
            let env = &layers[e];
            let over = env
                .overrides
                .and_then(|o| o.get(name))
                .map(|e| &e.value)
                .filter(|n| n.as_map().is_some());
            let enabled = over.and_then(|o| o.entry("enabled"));
            if let Some(enabled) = enabled
                && enabled.value.value == Value::Bool(false)
            {
                return Some(Outcome::Disabled(enabled.value.pos));
            }
            let base = registry_services.get(name)?;
            let mut node = base.node.clone();
            if let Some(defaults) = env.defaults {
                node = merge(node, defaults);
            }
            if let Some(over) = over {
                node = match enabled {
                    // `enabled` is not a service field: merge the override without it.
                    Some(_) => {
                        let mut over = over.clone();
                        if let Some(map) = over.as_map_mut() {
                            map.shift_remove("enabled");
                        }
                        merge(node, &over)
                    }
                    None => merge(node, over),
                };
            }
            apply_infra_defaults(&mut node, env.infra_defaults);
            Some(Outcome::Merged(MergedService {
                name: name.clone(),
                key_pos: entry.key_pos,
                node,
            }))
        })
        .collect();
    let mut outcomes = outcomes.into_iter();
    let environments = environments
        .iter()
        .map(|(env_name, env)| {
            let mut merged = std::collections::BTreeMap::new();
            let mut disabled = std::collections::BTreeMap::new();
            for (name, _) in &services {
                match outcomes.next().flatten() {
                    Some(Outcome::Merged(service)) => {
                        merged.insert((*name).clone(), service);
                    }
                    Some(Outcome::Disabled(pos)) => {
                        disabled.insert((*name).clone(), pos);
                    }
                    None => {}
                }
            }
            MergedEnv {
                name: env_name.clone(),
                node: env,
                services: merged,
                disabled,
                cells: cells::merge_cells(registry, env_name, env),
            }
        })
        .collect();
    MergedPlatform {
        registry,
        registry_services,
        environments,
    }
}

/// Puts each backing resource on top of its type's `infraDefaults` sizing.
fn apply_infra_defaults(service: &mut Node, infra_defaults: Option<&Node>) {
    let Some(defaults) = infra_defaults else {
        return;
    };
    let Some(infra) = service
        .as_map_mut()
        .and_then(|m| m.get_mut("infra"))
        .and_then(|e| e.value.as_map_mut())
    else {
        return;
    };
    for entry in infra.values_mut() {
        let Some(kind) = entry.value.get("type").and_then(Node::as_str) else {
            continue;
        };
        let Some(sizing) = defaults.get(kind).filter(|s| s.as_map().is_some()) else {
            continue;
        };
        let own = std::mem::replace(&mut entry.value, Node::new(Value::Null, entry.key_pos));
        let mut merged = merge(sizing.clone(), &own);
        merged.pos = own.pos;
        entry.value = merged;
    }
}
