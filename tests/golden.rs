//! Golden trees: the embedded example and every valid fixture platform compile to exactly
//! their committed output tree (`golden/`, or the `out` of their `infrac.toml`; the same diff code as `infrac plan`; stale, missing and extra
//! files all fail). `UPDATE_GOLDEN=1 cargo test --test golden` rewrites them.

use infrac::artifact::{FileSet, Target};
use infrac::output::layout::Layout;
use infrac::output::plan::{PlanFilter, plan, render_text::render_text};
use infrac::output::write::write_tree;
use std::path::{Path, PathBuf};

/// The platform's layout: `out` and the `[output]` moves of its `infrac.toml`.
fn layout(root: &Path) -> Layout {
    let project = infrac::pipeline::run_frontend(root).project;
    let moves = project
        .output
        .iter()
        .map(|(k, v)| (k.clone(), PathBuf::from(v)))
        .collect();
    Layout::new(&project.out, moves).expect("valid layout")
}

fn compile(root: &Path) -> FileSet {
    let frontend = infrac::pipeline::run_frontend(root);
    let Some(model) = frontend.model.as_ref() else {
        panic!(
            "{} does not validate:\n{}",
            root.display(),
            infrac::diagnostic::render::text(&frontend.diagnostics, &frontend.sources, false)
        )
    };
    let templates = infrac::templates::Templates::builtin().expect("built-in templates");
    let ctx = infrac::backend::EmitCtx::new(&frontend.project, &templates);
    infrac::backend::emit(model, &Target::ALL, &ctx).expect("targets compile")
}

fn platforms() -> Vec<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut roots = vec![manifest.clone()];
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(manifest.join("tests/fixtures/valid"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    fixtures.sort();
    roots.extend(fixtures);
    roots
}

#[test]
fn golden_trees_are_fresh() {
    let mut stale = Vec::new();
    for root in platforms() {
        let files = compile(&root);
        let layout = layout(&root);
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            let digest = infrac::load::digest::read_digest(&root);
            write_tree(&root, &layout, &files, digest.as_deref()).expect("golden tree written");
        }
        let plan = plan(&root, &layout, &files, &PlanFilter::default()).expect("plan");
        if plan.has_changes() {
            stale.push(format!(
                "== {}\n{}",
                root.display(),
                render_text(&plan, false)
            ));
        }
    }
    assert!(
        stale.is_empty(),
        "stale golden trees (run `UPDATE_GOLDEN=1 cargo test --test golden`):\n{}",
        stale.join("\n")
    );
}

#[test]
fn compilation_is_deterministic() {
    for root in platforms() {
        let a = compile(&root);
        let b = compile(&root);
        let left: Vec<(&str, &str)> = a
            .iter()
            .map(|f| (f.path.as_str(), f.contents.as_str()))
            .collect();
        let right: Vec<(&str, &str)> = b
            .iter()
            .map(|f| (f.path.as_str(), f.contents.as_str()))
            .collect();
        assert_eq!(left, right, "{} compiles differently twice", root.display());
    }
}

/// Reverses the order of every mapping's keys in a YAML file (same meaning, other bytes).
fn reverse_keys(text: &str) -> String {
    let node = infrac::load::yaml::parse(text, 0).expect("fixture parses");
    let json = reverse(node.to_json());
    infrac::artifact::yaml::to_yaml(&json)
}

fn reverse(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => {
            serde_json::Value::Object(m.into_iter().rev().map(|(k, v)| (k, reverse(v))).collect())
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(reverse).collect())
        }
        other => other,
    }
}

#[test]
fn key_order_of_inputs_does_not_change_output() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path();
    for rel in ["registry.yaml", "versions.yaml"] {
        std::fs::write(
            copy.join(rel),
            reverse_keys(&std::fs::read_to_string(root.join(rel)).unwrap()),
        )
        .unwrap();
    }
    std::fs::create_dir(copy.join("environments")).unwrap();
    for entry in std::fs::read_dir(root.join("environments")).unwrap() {
        let path = entry.unwrap().path();
        let text = reverse_keys(&std::fs::read_to_string(&path).unwrap());
        std::fs::write(
            copy.join("environments").join(path.file_name().unwrap()),
            text,
        )
        .unwrap();
    }
    let original = compile(&root);
    let shuffled = compile(copy);
    let left: Vec<(&str, &str)> = original
        .iter()
        .map(|f| (f.path.as_str(), f.contents.as_str()))
        .collect();
    let right: Vec<(&str, &str)> = shuffled
        .iter()
        .map(|f| (f.path.as_str(), f.contents.as_str()))
        .collect();
    let differing: Vec<&str> = left
        .iter()
        .zip(&right)
        .filter(|(a, b)| a != b)
        .map(|(a, _)| a.0)
        .collect();
    assert!(
        left.len() == right.len() && differing.is_empty(),
        "output depends on input key order: {differing:?} ({} vs {} files)",
        left.len(),
        right.len()
    );
}
