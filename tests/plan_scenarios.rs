//! What a reviewer sees: `infrac plan` / `check` on a copy of the embedded example after
//! one typical edit each. Asserts exact counts (Kubernetes target, so the scenarios do not
//! shift when another target's output changes), resource identities and exit codes, in text
//! and JSON.
//!
//! The full rendered plans of a replica change, a new dependency and a disabled service are
//! snapshots in `plan_snapshots.rs`; the scenarios here check what those do not show.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Scenario {
    _tmp: tempfile::TempDir,
    root: PathBuf,
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

impl Scenario {
    fn new() -> Self {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        for file in ["registry.yaml", "versions.yaml"] {
            std::fs::copy(repo.join(file), root.join(file)).unwrap();
        }
        for dir in ["environments", "golden"] {
            copy_dir(&repo.join(dir), &root.join(dir));
        }
        Scenario { _tmp: tmp, root }
    }

    fn edit(&self, file: &str, from: &str, to: &str) {
        let path = self.root.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} has no `{from}`");
        std::fs::write(path, text.replacen(from, to, 1)).unwrap();
    }

    fn run(&self, args: &[&str]) -> (i32, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_infrac"))
            .arg("--root")
            .arg(&self.root)
            .args(args)
            .env("NO_COLOR", "1")
            .env_remove("GITHUB_ACTIONS")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8(out.stdout).unwrap(),
        )
    }

    /// The Kubernetes part of the plan as JSON, after checking every format agrees on the
    /// exit code.
    fn plan(&self) -> Value {
        let (code, json) = self.run(&["plan", "--target", "kubernetes", "--format", "json"]);
        assert_eq!(code, 2, "plan exits 2 on changes");
        assert_eq!(self.run(&["plan"]).0, 2);
        assert_eq!(self.run(&["check"]).0, 1, "check fails on a stale tree");
        serde_json::from_str(&json).unwrap()
    }

    fn text(&self) -> String {
        self.run(&["plan", "--target", "kubernetes"]).1
    }
}

fn totals(plan: &Value) -> (u64, u64, u64) {
    let t = &plan["totals"];
    (
        t["add"].as_u64().unwrap(),
        t["change"].as_u64().unwrap(),
        t["remove"].as_u64().unwrap(),
    )
}

fn paths_with(plan: &Value, action: &str) -> Vec<String> {
    plan["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["action"] == action)
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn unchanged_example_has_no_plan() {
    let s = Scenario::new();
    assert_eq!(s.run(&["plan"]).0, 0);
    assert_eq!(s.run(&["check"]).0, 0);
}

#[test]
fn tag_bumped_in_versions() {
    let s = Scenario::new();
    s.edit(
        "versions.yaml",
        "api-gateway: main-4c9e1f2-20251103101544",
        "api-gateway: main-fedcba9-20251201120000",
    );
    let plan = s.plan();
    assert_eq!(totals(&plan), (0, 1, 0));
    assert_eq!(
        paths_with(&plan, "change"),
        ["golden/kubernetes/api-gateway/overlays/dev/kustomization.yaml"]
    );
    let text = s.text();
    assert!(
        text.contains(
            "image tag: main-4c9e1f2-20251103101544 → main-fedcba9-20251201120000 (api-gateway)"
        ),
        "{text}"
    );
    assert!(
        plan["groups"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["environment"] == "dev")
    );
}

#[test]
fn service_added() {
    let s = Scenario::new();
    let registry = std::fs::read_to_string(s.root.join("registry.yaml")).unwrap();
    let added = "\n  audit-service:\n    team: reporting\n    namespace: reporting\n    image: payments-engine/audit-service\n    build: {language: java, context: services/audit-service}\n    ports: [{name: http, port: 8080, protocol: http}]\n    dependencies: [reporting-service]\n";
    std::fs::write(
        s.root.join("registry.yaml"),
        format!("{}{added}", registry.trim_end()),
    )
    .unwrap();
    s.edit(
        "versions.yaml",
        "    api-gateway: main-",
        "    audit-service: main-abcdef0-20251201000000\n    api-gateway: main-",
    );
    s.edit(
        "versions.yaml",
        "    api-gateway: staging-",
        "    audit-service: staging-1.0.0\n    api-gateway: staging-",
    );
    s.edit(
        "versions.yaml",
        "    api-gateway: v",
        "    audit-service: v1.0.0\n    api-gateway: v",
    );
    let plan = s.plan();
    let added = paths_with(&plan, "add");
    assert_eq!(added.len(), 8, "{added:#?}");
    assert!(added.contains(&"golden/kubernetes/audit-service/base/resources.yaml".to_owned()));
    assert!(
        added.contains(
            &"golden/kubernetes/audit-service/overlays/prod/kustomization.yaml".to_owned()
        )
    );
    for env in ["dev", "staging", "prod"] {
        assert!(paths_with(&plan, "change").contains(&format!(
            "golden/kubernetes/environments/{env}/kustomization.yaml"
        )));
    }
    assert!(s.text().contains("+ Deployment reporting/audit-service"));
}

#[test]
fn service_removed() {
    let s = Scenario::new();
    let registry = std::fs::read_to_string(s.root.join("registry.yaml")).unwrap();
    let start = registry.find("  legacy-report-service:").unwrap();
    std::fs::write(s.root.join("registry.yaml"), &registry[..start]).unwrap();
    s.edit(
        "versions.yaml",
        "    legacy-report-service: main-0a9b8c7-20250912081500\n",
        "",
    );
    s.edit(
        "environments/prod.yaml",
        "  legacy-report-service: {enabled: false}\n",
        "",
    );
    s.edit(
        "environments/staging.yaml",
        "  legacy-report-service: {enabled: false}\n",
        "",
    );
    let dev = std::fs::read_to_string(s.root.join("environments/dev.yaml")).unwrap();
    let at = dev.find("  legacy-report-service:").unwrap();
    // The entry runs until the next line indented by exactly two spaces (or the end).
    let rest = &dev[at + 3..];
    let next = rest
        .match_indices("\n  ")
        .find(|(i, _)| !rest[i + 3..].starts_with(' '));
    let end = next.map_or(dev.len(), |(i, _)| at + 3 + i + 1);
    std::fs::write(
        s.root.join("environments/dev.yaml"),
        format!("{}{}", &dev[..at], &dev[end..]),
    )
    .unwrap();
    let plan = s.plan();
    let removed = paths_with(&plan, "remove");
    assert_eq!(removed.len(), 4, "{removed:#?}");
    assert!(removed.contains(
        &"golden/kubernetes/legacy-report-service/overlays/dev/resources.yaml".to_owned()
    ));
    assert!(
        s.text()
            .contains("- Deployment reporting/legacy-report-service")
    );
}

#[test]
fn config_key_renamed() {
    let s = Scenario::new();
    s.edit(
        "registry.yaml",
        "      REPORT_TIMEZONE: Africa/Johannesburg",
        "      REPORT_TZ: Africa/Johannesburg",
    );
    let plan = s.plan();
    let (add, change, remove) = totals(&plan);
    assert_eq!((add, remove), (0, 0));
    assert!(change >= 1);
    let text = s.text();
    assert!(text.contains("REPORT_TZ"), "{text}");
}

#[test]
fn hand_edited_golden_file_is_drift() {
    let s = Scenario::new();
    let path = s
        .root
        .join("golden/kubernetes/api-gateway/base/resources.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text + "# hand edit\n").unwrap();
    let plan = s.plan();
    assert_eq!(plan["drift"], 1);
    let file = &plan["files"][0];
    assert_eq!(
        file["path"],
        "golden/kubernetes/api-gateway/base/resources.yaml"
    );
    assert!(!file["drift"].is_null());
    assert!(
        s.text().to_lowercase().contains("registry"),
        "the hint points at the registry"
    );
}

#[test]
fn deleted_golden_file_is_drift() {
    let s = Scenario::new();
    std::fs::remove_file(
        s.root
            .join("golden/kubernetes/api-gateway/overlays/prod/resources.yaml"),
    )
    .unwrap();
    let plan = s.plan();
    assert_eq!(plan["drift"], 1);
    assert_eq!(
        plan["files"][0]["path"],
        "golden/kubernetes/api-gateway/overlays/prod/resources.yaml"
    );
    let (code, _) = s.run(&["build"]);
    assert_eq!(code, 0);
    assert_eq!(s.run(&["check"]).0, 0, "build repairs the tree");
}
