//! The laws of the overlay merge (SPEC "Merge semantics"), checked on random layers: later
//! layers win, an empty overlay changes nothing, `null` deletes, named lists merge by name
//! and keep their order, and every merged leaf remembers the last layer that wrote it.
//!
//! Each layer is parsed as its own file (file id = layer index), so a leaf's position says
//! which layer it came from.

use infrac::load::yaml::{Node, Value, parse};
use infrac::merge::{merge, merge_layers};
use proptest::prelude::*;
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;

/// Few keys, so that layers collide often.
fn key() -> impl Strategy<Value = String> {
    prop::sample::select(&["a", "b", "c", "d"][..]).prop_map(String::from)
}

fn scalar() -> impl Strategy<Value = Json> {
    prop_oneof![
        any::<bool>().prop_map(Json::Bool),
        (-50i64..50).prop_map(|i| json!(i)),
        "[a-z]{1,4}".prop_map(Json::String),
    ]
}

/// A value: scalars, plain lists of scalars, maps up to three deep; `null` only where an
/// overlay may write it.
fn tree(with_nulls: bool) -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        4 => scalar(),
        1 => prop::collection::vec(scalar(), 0..3).prop_map(Json::Array),
        (if with_nulls { 1 } else { 0 }) => Just(Json::Null),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop::collection::btree_map(key(), inner, 0..4)
            .prop_map(|m| Json::Object(m.into_iter().collect()))
    })
}

/// A layer: a mapping at the top.
fn layer(with_nulls: bool) -> impl Strategy<Value = Json> {
    prop::collection::btree_map(key(), tree(with_nulls), 0..4)
        .prop_map(|m| Json::Object(m.into_iter().collect()))
}

/// The layer as its own file (JSON text is YAML).
fn node(value: &Json, file: u32) -> Node {
    parse(&value.to_string(), file).expect("JSON text parses as YAML")
}

/// Every node below `node` that is not a mapping, by JSON pointer (lists count as one leaf:
/// a plain list is replaced whole).
fn leaves<'a>(node: &'a Node, path: String, out: &mut BTreeMap<String, &'a Node>) {
    match &node.value {
        Value::Map(map) => {
            for (k, e) in map.iter() {
                leaves(&e.value, format!("{path}/{k}"), out);
            }
        }
        _ => {
            out.insert(path, node);
        }
    }
}

fn leaf_map(node: &Node) -> BTreeMap<String, &Node> {
    let mut out = BTreeMap::new();
    leaves(node, String::new(), &mut out);
    out
}

fn config() -> ProptestConfig {
    ProptestConfig::with_cases(128)
}

proptest! {
    #![proptest_config(config())]

    /// Every leaf an overlay writes is in the result, with its value and its position.
    #[test]
    fn later_layer_wins(base in layer(false), over in layer(true)) {
        let (b, o) = (node(&base, 0), node(&over, 1));
        let merged = merge_layers([&b, &o]).unwrap();
        for (path, leaf) in leaf_map(&o) {
            if leaf.is_null() {
                continue;
            }
            let (got, _) = merged.pointer(&path).expect("an overlay leaf is in the result");
            prop_assert_eq!(got.to_json(), leaf.to_json(), "at {}", path);
            prop_assert_eq!(got.pos, leaf.pos, "at {}", path);
            // A leaf it replaced is remembered, nearest first.
            if let Some((replaced, _)) = b.pointer(&path)
                && replaced.as_map().is_none()
            {
                prop_assert_eq!(got.overrode.first(), Some(&replaced.pos), "at {}", path);
            }
        }
    }

    /// Merging an empty overlay changes nothing, positions included.
    #[test]
    fn an_empty_overlay_is_the_identity(base in layer(true)) {
        let b = node(&base, 0);
        let empty = node(&json!({}), 1);
        prop_assert_eq!(merge_layers([&b, &empty]), merge_layers([&b]));
        let alone = merge_layers([&b]).unwrap();
        prop_assert_eq!(merge(alone.clone(), &empty), alone);
    }

    /// An explicit `null` removes the key, and nothing of it reaches the result.
    #[test]
    fn null_deletes(base in layer(false), over in layer(true)) {
        let (b, o) = (node(&base, 0), node(&over, 1));
        let merged = merge_layers([&b, &o]).unwrap();
        for (path, leaf) in leaf_map(&o) {
            if leaf.is_null() {
                prop_assert!(merged.pointer(&path).is_none(), "{} survived its null", path);
            }
        }
        for (path, leaf) in leaf_map(&merged) {
            prop_assert!(!leaf.is_null(), "a null reached the result at {}", path);
        }
    }

    /// Each merged leaf comes from the last layer that wrote anything at its path.
    #[test]
    fn provenance_names_the_last_writer(layers in prop::collection::vec(layer(false), 1..5)) {
        let nodes: Vec<Node> = layers.iter().enumerate().map(|(i, l)| node(l, i as u32)).collect();
        let merged = merge_layers(&nodes).unwrap();
        for (path, leaf) in leaf_map(&merged) {
            let last = nodes
                .iter()
                .rposition(|n| n.pointer(&path).is_some_and(|(v, _)| !v.is_null()))
                .expect("a merged leaf was written by some layer");
            prop_assert_eq!(leaf.pos.file, last as u32, "at {}", path);
            let written = nodes[last].pointer(&path).unwrap().0;
            prop_assert_eq!(leaf.to_json(), written.to_json(), "at {}", path);
        }
    }

    /// Lists of named items merge by name: the base's items keep their order, each keeps
    /// what the overlay does not change, and new names follow in the overlay's order.
    #[test]
    fn named_lists_merge_by_name_and_keep_order(
        base in prop::sample::subsequence(vec!["http", "grpc", "admin", "metrics", "debug"], 0..=5)
            .prop_shuffle(),
        over in prop::sample::subsequence(vec!["http", "grpc", "admin", "metrics", "debug"], 1..=5)
            .prop_shuffle(),
        ports in prop::collection::vec(1u16..9000, 10),
    ) {
        let item = |name: &str, i: usize, layer: &str| json!({"name": name, "port": ports[i], "from": layer});
        let base_list: Vec<Json> = base.iter().enumerate().map(|(i, n)| {
            let mut v = item(n, i, "base");
            v["keep"] = json!(true);
            v
        }).collect();
        let over_list: Vec<Json> = over.iter().enumerate().map(|(i, n)| item(n, 5 + i, "over")).collect();
        let b = node(&json!({"ports": base_list}), 0);
        let o = node(&json!({"ports": over_list}), 1);
        let merged = merge_layers([&b, &o]).unwrap().to_json();
        let mut expected: Vec<Json> = base_list.clone();
        for o_item in &over_list {
            match expected.iter_mut().find(|e| e["name"] == o_item["name"]) {
                Some(e) => {
                    e["port"] = o_item["port"].clone();
                    e["from"] = o_item["from"].clone();
                }
                None => expected.push(o_item.clone()),
            }
        }
        prop_assert_eq!(&merged["ports"], &Json::Array(expected));
    }
}
