//! The Terraform roots of cells (SPEC "Cells"), read from the committed golden trees (which
//! `tests/golden.rs` keeps fresh): each cell of the example's prod and of the aws-cells
//! fixture's prod has its own root with its own state key and its own cluster; no cloud name
//! repeats across the cells; `scope: environment` resources live once, in the environment's
//! root, which has the network and no cluster.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use hcl::{Block, Body, Expression};

struct Celled {
    /// The golden tree.
    tree: &'static str,
    env: &'static str,
    /// (cell, its cluster name, its region).
    cells: &'static [(&'static str, &'static str, &'static str)],
    /// `(type, key)` of the `scope: environment` resources.
    shared: &'static [(&'static str, &'static str)],
}

const CELLED: [Celled; 2] = [
    Celled {
        tree: "golden",
        env: "prod",
        cells: &[
            ("za-north-1", "pe-prod-zan1-aks", "southafricanorth"),
            ("za-north-2", "pe-prod-zan2-aks", "southafricanorth"),
            ("za-west-1", "pe-prod-zaw1-aks", "southafricawest"),
        ],
        shared: &[],
    },
    Celled {
        tree: "tests/fixtures/valid/aws-cells/golden",
        env: "prod",
        cells: &[
            ("eu-1", "aws-shop-prod-eu1-eks", "eu-west-1"),
            ("us-1", "aws-shop-prod-us1-eks", "us-east-1"),
        ],
        shared: &[("kafka", "order-service-events")],
    },
];

fn root_dir(tree: &str, dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(tree)
        .join("terraform/environments")
        .join(dir)
}

fn parse(dir: &Path, file: &str) -> Body {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    hcl::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn labels(block: &Block) -> Vec<&str> {
    block.labels.iter().map(|l| l.as_str()).collect()
}

fn string_attr(block: &Block, key: &str) -> Option<String> {
    block
        .body
        .attributes()
        .find(|a| a.key.as_str() == key)
        .and_then(|a| match &a.expr {
            Expression::String(s) => Some(s.clone()),
            _ => None,
        })
}

/// The state key of a root's backend.
fn backend_key(dir: &Path) -> String {
    let body = parse(dir, "backend.tf");
    let terraform = body
        .blocks()
        .find(|b| b.identifier.as_str() == "terraform")
        .unwrap();
    let backend = terraform.body.blocks().next().unwrap();
    ["key", "path", "prefix"]
        .iter()
        .find_map(|k| string_attr(backend, k))
        .unwrap_or_else(|| panic!("{}: no state key", dir.display()))
}

/// Every `name` / `identity_name` of the locals' maps, as `local.<map>.<key>.<field>`.
fn local_names(body: &Body) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for locals in body.blocks().filter(|b| b.identifier.as_str() == "locals") {
        for attr in locals.body.attributes() {
            let Expression::Object(map) = &attr.expr else {
                continue;
            };
            for (key, value) in map {
                let Expression::Object(fields) = value else {
                    continue;
                };
                for (field, v) in fields {
                    let field = field.to_string();
                    if let ("name" | "identity_name", Expression::String(s)) = (field.as_str(), v) {
                        out.insert(format!("local.{}.{key}.{field}", attr.key), s.clone());
                    }
                }
            }
        }
    }
    out
}

/// Resources whose name is unique only within their parent: a Helm release within its
/// cluster, a federated credential within its identity (`parent_id`), an inline IAM policy
/// within its role.
const NAMED_WITHIN_PARENT: [&str; 3] = [
    "helm_release",
    "azurerm_federated_identity_credential",
    "aws_iam_role_policy",
];

/// The cloud names a root gives: its locals' names and every literal `name` of a module or
/// resource (but [`NAMED_WITHIN_PARENT`]).
fn cloud_names(body: &Body) -> BTreeMap<String, String> {
    let mut out = local_names(body);
    for block in body.blocks() {
        let kind = block.identifier.as_str();
        let ty = labels(block).first().copied().unwrap_or_default();
        if !matches!(kind, "module" | "resource") || NAMED_WITHIN_PARENT.contains(&ty) {
            continue;
        }
        if let Some(name) = string_attr(block, "name") {
            out.insert(format!("{kind}.{}", labels(block).join(".")), name);
        }
    }
    out
}

fn keys_of(body: &Body, kind: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for locals in body.blocks().filter(|b| b.identifier.as_str() == "locals") {
        for attr in locals.body.attributes().filter(|a| a.key.as_str() == kind) {
            if let Expression::Object(map) = &attr.expr {
                out.extend(map.keys().map(|k| k.to_string()));
            }
        }
    }
    out
}

fn module_named<'a>(body: &'a Body, name: &str) -> Option<&'a Block> {
    body.blocks()
        .find(|b| b.identifier.as_str() == "module" && labels(b) == [name])
}

fn variable_default(dir: &Path, names: &[&str]) -> Option<String> {
    let body = parse(dir, "variables.tf");
    body.blocks()
        .filter(|b| b.identifier.as_str() == "variable")
        .find(|b| names.contains(&labels(b)[0]))
        .and_then(|b| string_attr(b, "default"))
}

#[test]
fn each_cell_has_its_own_root_state_and_cluster() {
    for celled in &CELLED {
        let env_dir = root_dir(celled.tree, celled.env);
        let env_key = backend_key(&env_dir);
        let mut keys = BTreeSet::from([env_key.clone()]);
        for (cell, cluster, region) in celled.cells {
            let dir = root_dir(celled.tree, &format!("{}/cells/{cell}", celled.env));
            for file in [
                "versions.tf",
                "providers.tf",
                "backend.tf",
                "main.tf",
                "variables.tf",
                "outputs.tf",
            ] {
                assert!(dir.join(file).is_file(), "{}/{file} missing", dir.display());
            }
            let key = backend_key(&dir);
            assert!(
                keys.insert(key.clone()),
                "{cell}: state key {key} is not its own"
            );
            let main = parse(&dir, "main.tf");
            let module = module_named(&main, "cluster").expect("the cell's cluster");
            assert_eq!(
                string_attr(module, "name").as_deref(),
                Some(*cluster),
                "{cell}"
            );
            assert_eq!(
                variable_default(&dir, &["region", "location"]).as_deref(),
                Some(*region),
                "{cell}: its region"
            );
        }
    }
}

#[test]
fn no_cloud_name_repeats_across_cells() {
    for celled in &CELLED {
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        let env_main = parse(&root_dir(celled.tree, celled.env), "main.tf");
        let roots = std::iter::once((celled.env.to_owned(), env_main)).chain(
            celled.cells.iter().map(|(cell, _, _)| {
                let dir = root_dir(celled.tree, &format!("{}/cells/{cell}", celled.env));
                (
                    format!("{}/cells/{cell}", celled.env),
                    parse(&dir, "main.tf"),
                )
            }),
        );
        // Within one root a network and its resource group may share a name (they are
        // different kinds); across roots nothing may.
        for (root, main) in roots {
            let mut here: BTreeMap<String, String> = BTreeMap::new();
            for (address, name) in cloud_names(&main) {
                let at = format!("{root}: {address}");
                if let Some(before) = seen.get(&name) {
                    panic!("{}: `{name}` both at {before} and at {at}", celled.tree);
                }
                here.insert(name, at);
            }
            seen.extend(here);
        }
    }
}

#[test]
fn environment_scoped_resources_live_once_in_the_environment_root() {
    for celled in &CELLED {
        let env_main = parse(&root_dir(celled.tree, celled.env), "main.tf");
        assert!(
            module_named(&env_main, "cluster").is_none(),
            "{}: a celled environment's root has no cluster",
            celled.tree
        );
        assert!(
            module_named(&env_main, "network").is_some(),
            "{}",
            celled.tree
        );
        for (kind, key) in celled.shared {
            assert!(
                keys_of(&env_main, kind).contains(*key),
                "{kind} {key} in the environment"
            );
            for (cell, _, _) in celled.cells {
                let dir = root_dir(celled.tree, &format!("{}/cells/{cell}", celled.env));
                let main = parse(&dir, "main.tf");
                assert!(
                    !keys_of(&main, kind).contains(*key),
                    "{kind} {key} in cell {cell}"
                );
            }
        }
        // Every other managed resource of the environment root is `scope: environment` too.
        let shared: BTreeSet<(String, String)> = celled
            .shared
            .iter()
            .map(|(k, n)| (k.to_string(), n.to_string()))
            .collect();
        for (address, _) in local_names(&env_main) {
            let parts: Vec<&str> = address.split('.').collect();
            if parts[1] == "services" {
                continue;
            }
            let entry = (parts[1].to_owned(), parts[2].to_owned());
            assert!(
                shared.contains(&entry),
                "{}: {address} in the environment root",
                celled.tree
            );
        }
    }
}
