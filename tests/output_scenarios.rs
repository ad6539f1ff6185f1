//! Scenario tests for the output layer on temp dirs: write_tree, the manifest, plan and its
//! renderers, on synthetic file sets.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use infrac::artifact::{FileSet, OutputFile, Target};
use infrac::output::layout::Layout;
use infrac::output::plan::render_json::render_json;
use infrac::output::plan::render_markdown::{
    COMMENT_LIMIT, render_markdown, render_markdown_limited,
};
use infrac::output::plan::render_text::render_text;
use infrac::output::plan::{Drift, FileAction, Plan, PlanFilter, plan};
use infrac::output::write::{WriteError, write_tree};

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: payment-service
  namespace: payments
spec:
  replicas: 3
  template:
    spec:
      containers:
      - name: app
        image: payment-service
";

const KUSTOMIZATION: &str = "apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: payments
resources:
- ../../base
images:
- name: payments-engine/payment-service
  newName: paymentsacr.azurecr.io/payments-engine/payment-service
  newTag: v1.4.0
";

const MAIN_TF: &str = r#"module "postgres" {
  source  = "../../modules/postgres"
  sku     = "GP_Standard_D2s_v3"
  storage = 128
}

resource "azurerm_resource_group" "this" {
  name     = "payments-prod"
  location = "southafricanorth"
}
"#;

const WORKFLOW: &str = "name: build payment-service
on:
  push:
    branches: [main]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
    - run: make
";

fn file(target: Target, env: Option<&str>, path: &str, text: &str) -> OutputFile {
    OutputFile::new(target, env, path, text)
}

fn platform() -> FileSet {
    let mut set = FileSet::new();
    set.extend([
        file(
            Target::Kubernetes,
            None,
            "kubernetes/payment-service/base/deployment.yaml",
            DEPLOYMENT,
        ),
        file(
            Target::Kubernetes,
            Some("prod"),
            "kubernetes/payment-service/overlays/prod/kustomization.yaml",
            KUSTOMIZATION,
        ),
        file(
            Target::Kubernetes,
            Some("dev"),
            "kubernetes/payment-service/overlays/dev/kustomization.yaml",
            &KUSTOMIZATION.replace("payments\n", "payments-dev\n"),
        ),
        file(
            Target::Terraform,
            Some("prod"),
            "terraform/environments/prod/main.tf",
            MAIN_TF,
        ),
        file(
            Target::Ci,
            None,
            "ci/github/build-payment-service.yml",
            WORKFLOW,
        ),
    ])
    .unwrap();
    set
}

/// `platform()` with one file's contents replaced.
fn with(path: &str, f: impl Fn(&str) -> String) -> FileSet {
    let mut set = FileSet::new();
    for out in platform().iter() {
        let mut out = out.clone();
        if out.path == path {
            out = OutputFile::new(
                out.target,
                out.environment.as_deref(),
                &out.path,
                f(&out.contents),
            );
        }
        set.insert(out).unwrap();
    }
    set
}

fn all_plan(root: &Path, files: &FileSet) -> Plan {
    plan(root, &Layout::default(), files, &PlanFilter::default()).unwrap()
}

fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(root).unwrap().to_path_buf(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn fresh_write_then_plan_is_clean() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let files = platform();
    let before = all_plan(root, &files);
    assert_eq!(before.totals.add, 5);
    assert!(before.has_changes());
    let report = write_tree(root, &Layout::default(), &files, None).unwrap();
    assert_eq!(report.written.len(), 5);
    let deployment = root.join("golden/kubernetes/payment-service/base/deployment.yaml");
    assert_eq!(fs::read_to_string(deployment).unwrap(), DEPLOYMENT);
    let manifest = fs::read_to_string(root.join("golden/.infrac-manifest")).unwrap();
    // The header, the generator line, one line per file.
    assert_eq!(manifest.lines().count(), 7, "{manifest}");
    assert_eq!(
        manifest.lines().nth(1),
        Some(format!("# generator: infrac {}", env!("CARGO_PKG_VERSION")).as_str())
    );
    let after = all_plan(root, &files);
    assert!(!after.has_changes(), "{}", render_text(&after, false));
    assert!(render_text(&after, false).starts_with("No changes."));
}

#[test]
fn rewrite_with_one_change_touches_only_that_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_tree(root, &Layout::default(), &platform(), None).unwrap();
    let past = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    for path in snapshot(root).keys() {
        let f = fs::File::options()
            .write(true)
            .open(root.join(path))
            .unwrap();
        f.set_modified(past).unwrap();
    }
    let changed = "terraform/environments/prod/main.tf";
    let files = with(changed, |t| t.replace("128", "256"));
    let report = write_tree(root, &Layout::default(), &files, None).unwrap();
    assert_eq!(
        report.written,
        ["golden/terraform/environments/prod/main.tf"]
    );
    assert_eq!(report.unchanged.len(), 4);
    for path in snapshot(root).keys() {
        let mtime = fs::metadata(root.join(path)).unwrap().modified().unwrap();
        let expect_touched = path.ends_with("main.tf") || path.ends_with(".infrac-manifest");
        assert_eq!(mtime != past, expect_touched, "{}", path.display());
    }
}

#[test]
fn stale_file_is_deleted_and_empty_dirs_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_tree(root, &Layout::default(), &platform(), None).unwrap();
    fs::write(root.join("golden/kubernetes/keep.txt"), "mine").unwrap();
    let mut fewer = platform();
    fewer.retain(|f| f.environment.as_deref() != Some("dev"));
    let planned = all_plan(root, &fewer);
    assert_eq!(planned.totals.remove, 1);
    let removed = &planned.files[0];
    assert_eq!(removed.action, FileAction::Remove);
    assert_eq!(removed.environment.as_deref(), Some("dev"));
    let report = write_tree(root, &Layout::default(), &fewer, None).unwrap();
    let gone = "golden/kubernetes/payment-service/overlays/dev/kustomization.yaml";
    assert_eq!(report.deleted, [gone]);
    assert!(
        !root
            .join("golden/kubernetes/payment-service/overlays/dev")
            .exists()
    );
    assert!(
        root.join("golden/kubernetes/payment-service/overlays/prod")
            .exists()
    );
    assert!(
        root.join("golden/kubernetes/keep.txt").exists(),
        "unowned file kept"
    );
    assert!(!all_plan(root, &fewer).has_changes());
}

#[test]
fn unowned_file_is_refused_and_tree_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let path = root.join("golden/terraform/environments/prod/main.tf");
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, "# my own terraform\n").unwrap();
    let before = snapshot(root);
    let err = write_tree(root, &Layout::default(), &platform(), None).unwrap_err();
    match &err {
        WriteError::Unowned { paths } => {
            assert_eq!(paths, &["golden/terraform/environments/prod/main.tf"]);
        }
        other => panic!("expected Unowned, got {other}"),
    }
    assert!(
        err.to_string()
            .contains("golden/terraform/environments/prod/main.tf")
    );
    assert_eq!(snapshot(root), before);
    let planned = all_plan(root, &platform());
    let tf = planned
        .files
        .iter()
        .find(|f| f.path.ends_with("main.tf"))
        .unwrap();
    assert_eq!(tf.drift, Some(Drift::Unowned));
}

#[test]
fn hand_edit_and_hand_delete_are_drift() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let files = platform();
    write_tree(root, &Layout::default(), &files, None).unwrap();
    let deployment = root.join("golden/kubernetes/payment-service/base/deployment.yaml");
    fs::write(
        &deployment,
        DEPLOYMENT.replace("replicas: 3", "replicas: 5"),
    )
    .unwrap();
    fs::remove_file(root.join("golden/ci/github/build-payment-service.yml")).unwrap();
    let planned = all_plan(root, &files);
    let drifts: Vec<_> = planned.files.iter().map(|f| (f.action, f.drift)).collect();
    assert_eq!(
        drifts,
        [
            (FileAction::Add, Some(Drift::HandDeleted)),
            (FileAction::Change, Some(Drift::HandEdited))
        ]
    );
    assert_eq!(planned.drift, 2);
    let text = render_text(&planned, false);
    assert!(text.contains("spec.replicas: 5 → 3"), "{text}");
    assert!(text.contains("change the registry"), "{text}");
    write_tree(root, &Layout::default(), &files, None).unwrap();
    assert!(!all_plan(root, &files).has_changes());
}

#[test]
fn interrupted_build_is_detected_and_adopted() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let files = platform();
    write_tree(root, &Layout::default(), &files, None).unwrap();
    fs::remove_file(root.join("golden/.infrac-manifest")).unwrap();
    let planned = all_plan(root, &files);
    assert!(planned.has_changes());
    assert!(
        planned
            .files
            .iter()
            .all(|f| f.drift == Some(Drift::Unrecorded))
    );
    assert_eq!(planned.totals.total(), 0);
    let report = write_tree(root, &Layout::default(), &files, None).unwrap();
    assert_eq!(report.unchanged.len(), 5);
    assert!(!all_plan(root, &files).has_changes());
}

#[test]
fn replicas_change_is_shown_per_resource() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_tree(root, &Layout::default(), &platform(), None).unwrap();
    let files = with("kubernetes/payment-service/base/deployment.yaml", |t| {
        t.replace("replicas: 3", "replicas: 10")
    });
    let planned = all_plan(root, &files);
    assert_eq!(
        planned.summary_line(),
        "Plan: 1 file, 1 resource to change (0 to add, 1 to change, 0 to remove)."
    );
    let text = render_text(&planned, false);
    assert!(
        text.contains("~ Deployment payments/payment-service"),
        "{text}"
    );
    assert!(text.contains("spec.replicas: 3 → 10"), "{text}");
    assert!(text.contains("--- a/golden/kubernetes/payment-service/base/deployment.yaml"));
    assert!(text.contains("-  replicas: 3\n+  replicas: 10\n"), "{text}");
    let coloured = render_text(&planned, true);
    assert!(coloured.contains("\x1b[31m") && coloured.contains("\x1b[32m"));
    assert!(!text.contains('\x1b'));
}

#[test]
fn image_tag_change_reads_as_image_tag() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_tree(root, &Layout::default(), &platform(), None).unwrap();
    let files = with(
        "kubernetes/payment-service/overlays/prod/kustomization.yaml",
        |t| t.replace("v1.4.0", "v1.5.0"),
    );
    let planned = all_plan(root, &files);
    let text = render_text(&planned, false);
    assert!(text.contains("image tag: v1.4.0 → v1.5.0"), "{text}");
    let prod = planned
        .groups
        .iter()
        .find(|g| g.environment.as_deref() == Some("prod"))
        .unwrap();
    assert_eq!(
        (prod.target, prod.files.change),
        (Some(Target::Kubernetes), 1)
    );
}

#[test]
fn terraform_module_change_shows_module_address() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_tree(root, &Layout::default(), &platform(), None).unwrap();
    let files = with("terraform/environments/prod/main.tf", |t| {
        t.replace("128", "256")
    });
    let planned = all_plan(root, &files);
    let text = render_text(&planned, false);
    assert!(text.contains("~ module.postgres"), "{text}");
    assert!(text.contains("storage: 128 → 256"), "{text}");
}

#[test]
fn filter_limits_plan_to_env_and_target() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let filter = PlanFilter {
        environments: vec!["prod".into()],
        targets: vec![Target::Kubernetes],
    };
    let planned = plan(root, &Layout::default(), &platform(), &filter).unwrap();
    let paths: Vec<_> = planned
        .files
        .iter()
        .map(|f| f.logical_path.as_str())
        .collect();
    assert_eq!(
        paths,
        [
            "kubernetes/payment-service/base/deployment.yaml",
            "kubernetes/payment-service/overlays/prod/kustomization.yaml"
        ]
    );
}

#[test]
fn moved_ci_files_are_owned_and_outside_dirs_never_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut moves = BTreeMap::new();
    moves.insert("github".to_owned(), PathBuf::from(".github/workflows"));
    let layout = Layout::new("golden", moves).unwrap();
    write_tree(root, &layout, &platform(), None).unwrap();
    assert!(
        root.join(".github/workflows/build-payment-service.yml")
            .exists()
    );
    let manifest = fs::read_to_string(root.join("golden/.infrac-manifest")).unwrap();
    assert!(manifest.contains("  .github/workflows/build-payment-service.yml\n"));
    let mut no_ci = platform();
    no_ci.retain(|f| f.target != Target::Ci);
    let planned = plan(root, &layout, &no_ci, &PlanFilter::default()).unwrap();
    assert_eq!(planned.files[0].target, Some(Target::Ci));
    assert_eq!(
        planned.files[0].logical_path,
        "ci/github/build-payment-service.yml"
    );
    let report = write_tree(root, &layout, &no_ci, None).unwrap();
    assert_eq!(
        report.deleted,
        [".github/workflows/build-payment-service.yml"]
    );
    assert!(
        root.join(".github/workflows").is_dir(),
        "outside the output dir: kept"
    );
}

#[test]
fn corrupt_manifest_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("golden")).unwrap();
    fs::write(root.join("golden/.infrac-manifest"), "# x\nnot a line\n").unwrap();
    let err = write_tree(root, &Layout::default(), &platform(), None).unwrap_err();
    assert!(err.to_string().contains("line 2"), "{err}");
    assert!(
        plan(
            root,
            &Layout::default(),
            &platform(),
            &PlanFilter::default()
        )
        .is_err()
    );
}

/// Many changed files with large diffs.
fn big_change(root: &Path) -> Plan {
    let mut set = FileSet::new();
    for i in 0..200 {
        let body: String = (0..60)
            .map(|l| format!("line{l}: value-{i}-{l}\n"))
            .collect();
        let path = format!("kubernetes/svc-{i:03}/base/config.yaml");
        set.insert(file(Target::Kubernetes, None, &path, &body))
            .unwrap();
    }
    plan(root, &Layout::default(), &set, &PlanFilter::default()).unwrap()
}

#[test]
fn markdown_is_truncated_under_the_limit_with_summary_intact() {
    let dir = tempfile::tempdir().unwrap();
    let planned = big_change(dir.path());
    let md = render_markdown(&planned);
    assert!(md.chars().count() < COMMENT_LIMIT, "{}", md.chars().count());
    assert!(md.contains(
        "**Plan: 200 files, 200 resources to change (200 to add, 0 to change, 0 to remove).**"
    ));
    assert!(
        md.contains("| (shared) | kubernetes | 200 | 0 | 0 | 0 |"),
        "{md}"
    );
    assert!(md.contains("Run `infrac plan` locally for the full diff."));
    assert_eq!(md.matches("```diff").count(), md.matches("\n```\n").count());
}

#[test]
fn markdown_lists_files_that_did_not_fit() {
    let dir = tempfile::tempdir().unwrap();
    let planned = big_change(dir.path());
    for limit in [2_000, 5_000, 20_000] {
        let md = render_markdown_limited(&planned, limit);
        assert!(
            md.chars().count() < limit,
            "{limit}: {}",
            md.chars().count()
        );
        assert!(md.contains(
            "**Plan: 200 files, 200 resources to change (200 to add, 0 to change, 0 to remove).**"
        ));
        assert!(md.contains("Run `infrac plan` locally"), "{md}");
    }
    let md = render_markdown_limited(&planned, 20_000);
    assert!(md.contains("more file(s), diffs not shown"), "{md}");
    assert!(
        md.contains("- `+ golden/kubernetes/svc-199/base/config.yaml`") || md.contains("… and")
    );
}

#[test]
fn markdown_small_plan_is_complete() {
    let dir = tempfile::tempdir().unwrap();
    let planned = all_plan(dir.path(), &platform());
    let md = render_markdown(&planned);
    assert!(md.contains("<details><summary><code>+ golden/terraform/environments/prod/main.tf"));
    assert!(!md.contains("shortened"));
}

#[test]
fn json_round_trips_and_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_tree(root, &Layout::default(), &platform(), None).unwrap();
    let files = with("kubernetes/payment-service/base/deployment.yaml", |t| {
        t.replace("replicas: 3", "replicas: 10")
    });
    let json = render_json(&all_plan(root, &files));
    assert_eq!(json, render_json(&all_plan(root, &files)));
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(serde_json::to_string_pretty(&value).unwrap() + "\n", json);
    assert_eq!(
        value["summary"],
        "Plan: 1 file, 1 resource to change (0 to add, 1 to change, 0 to remove)."
    );
    assert_eq!(value["hasChanges"], true);
    let resource = &value["files"][0]["resources"][0];
    assert_eq!(resource["id"], "Deployment payments/payment-service");
    assert_eq!(resource["fields"][0]["path"], "spec.replicas");
    assert_eq!(resource["fields"][0]["old"], 3);
    assert_eq!(resource["fields"][0]["new"], 10);
}

/// A 1,000-service × 3-environment sized tree (~10,000 files): the no-change plan must be
/// fast. Run with `cargo test --release --test output_scenarios -- --ignored`.
#[test]
#[ignore = "timing; run in release"]
fn no_change_plan_of_ten_thousand_files_is_fast() {
    let dir = tempfile::tempdir().unwrap();
    let mut set = FileSet::new();
    for i in 0..10_000 {
        let path = format!(
            "kubernetes/svc-{:04}/overlays/env-{}/deployment.yaml",
            i / 3,
            i % 3
        );
        set.insert(file(Target::Kubernetes, None, &path, &DEPLOYMENT.repeat(8)))
            .unwrap();
    }
    write_tree(dir.path(), &Layout::default(), &set, None).unwrap();
    let start = std::time::Instant::now();
    let planned = all_plan(dir.path(), &set);
    let elapsed = start.elapsed();
    assert!(!planned.has_changes());
    eprintln!("no-change plan of {} files: {elapsed:?}", set.len());
    assert!(elapsed < Duration::from_millis(500), "{elapsed:?}");
}
