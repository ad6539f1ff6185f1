//! Config values keep the text the user wrote, on both YAML load paths.
//!
//! An unquoted `1.10` in `config:` is a float to YAML; the ConfigMap must still say `1.10`
//! (not `1.1`), `0x1F` (not `31`), `1e3` (not `1000.0`). The platform of the invalid-input
//! corpus (`tests/fixtures/invalid/_base`, valid on its own) is built by the real binary
//! twice: once with the registry on the fast path, once with an anchor in it, which sends
//! it down the reference path (serde-saphyr); radix integers always take the reference
//! path. The generated ConfigMap literals of both builds must be the same, and are
//! snapshotted.

use infrac::load::yaml::parse_fast;
use std::fs;
use std::path::Path;
use std::process::Command;

const BASE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/invalid/_base");

/// The values under test, as written in `config:` of `orders` in the registry.
const REGISTRY_CONFIG: &str = "    config: {LOG_LEVEL: INFO, VERSION: 1.10, BIG: 1e3, ZERO_PADDED: 012, FLAG: true, TITLE_FLAG: True, PLUS: +5, HALF: -0.50, UNDERSCORED: 1_000, PLAIN: 3, NULL_LIKE: ~}\n";
/// And in prod's overlay (always on the reference path: `0x1F` and `0o17`).
const PROD_OVERLAY: &str =
    "  orders:\n    config: {MASK: 0x1F, MODE: 0o17, RATIO: 2.50, BIG: 1E3, FLAG: FALSE}\n";

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Builds the platform with the config values (the registry on the fast path unless
/// `anchored`) and returns the `configMapGenerator` section of orders' overlay per
/// environment.
fn build(anchored: bool) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    copy_dir(Path::new(BASE), root);
    let registry = fs::read_to_string(root.join("registry.yaml")).unwrap();
    let mut registry = registry.replace("    config: {LOG_LEVEL: INFO}\n", REGISTRY_CONFIG);
    if anchored {
        registry = registry.replace("    team: orders\n", "    team: &team orders\n");
    }
    assert!(registry.contains("VERSION: 1.10"));
    assert_eq!(
        parse_fast(&registry, 0).is_some(),
        !anchored,
        "the registry must take the path under test"
    );
    fs::write(root.join("registry.yaml"), &registry).unwrap();
    let prod = fs::read_to_string(root.join("environments/prod.yaml")).unwrap();
    let prod = prod.replace(
        "  reports: {enabled: false}\n",
        &format!("  reports: {{enabled: false}}\n{PROD_OVERLAY}"),
    );
    assert!(parse_fast(&prod, 0).is_none());
    fs::write(root.join("environments/prod.yaml"), &prod).unwrap();

    let output = Command::new(env!("CARGO_BIN_EXE_infrac"))
        .arg("build")
        .current_dir(root)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "build failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut out = String::new();
    for env in ["dev", "prod"] {
        let path = root.join(format!(
            "golden/kubernetes/orders/overlays/{env}/kustomization.yaml"
        ));
        let text = fs::read_to_string(path).unwrap();
        let start = text.find("configMapGenerator:").expect("a ConfigMap");
        let section: Vec<&str> = text[start..]
            .lines()
            .take_while(|l| l.starts_with(['c', '-', ' ']))
            .take_while(|l| !l.starts_with("patches"))
            .collect();
        out.push_str(&format!("# {env}\n{}\n", section.join("\n")));
    }
    out
}

#[test]
fn config_values_keep_their_text_on_both_load_paths() {
    let fast = build(false);
    let reference = build(true);
    assert_eq!(fast, reference, "the two load paths disagree");
    insta::with_settings!({ snapshot_path => "snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("config-values-keep-their-text", fast);
    });
}
