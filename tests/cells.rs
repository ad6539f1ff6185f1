//! Cells as a user sees them (SPEC "Cells"): the example's prod runs as three cells; each
//! merges over prod with the same rules and provenance.

use std::path::Path;
use std::process::Command;

fn infrac(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_infrac"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Compares `actual` with `tests/expected/<name>`; `UPDATE_GOLDEN=1` rewrites it.
fn expect_file(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/expected")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "{name} differs (UPDATE_GOLDEN=1 cargo test --test cells):\n{actual}"
    );
}

#[test]
fn explain_a_cell_shows_the_cell_layer_over_its_environment() {
    let (code, out, err) = infrac(&[
        "explain",
        "api-gateway",
        "replicas",
        "--env",
        "prod",
        "--cell",
        "za-west-1",
    ]);
    assert_eq!(code, 0, "{err}");
    expect_file("explain-api-gateway-replicas-prod-za-west-1.txt", &out);
}

#[test]
fn explain_a_cell_that_only_changes_its_cluster_shows_the_environment() {
    let (code, cell, err) = infrac(&[
        "explain",
        "api-gateway",
        "replicas",
        "--env",
        "prod",
        "--cell",
        "za-north-1",
    ]);
    assert_eq!(code, 0, "{err}");
    let (_, env, _) = infrac(&["explain", "api-gateway", "replicas", "--env", "prod"]);
    assert_eq!(
        cell.replacen("# api-gateway in prod, cell za-north-1\n", "", 1),
        env.replacen("# api-gateway in prod\n", "", 1)
    );
}

#[test]
fn explain_refuses_an_unknown_cell_and_a_cell_without_environment() {
    let (code, out, err) = infrac(&[
        "explain",
        "api-gateway",
        "--env",
        "prod",
        "--cell",
        "za-west1",
    ]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        err,
        "error: `za-west1` is not a cell of `prod` (did you mean `za-west-1`?)\n"
    );
    let (code, _, err) = infrac(&["explain", "api-gateway", "--env", "dev", "--cell", "a"]);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "error: `a` is not a cell of `dev` (`dev` has no cells)\n"
    );
    let (code, _, err) = infrac(&["explain", "api-gateway", "--cell", "za-west-1"]);
    assert_eq!(code, 64, "{err}");
}

/// A copy of the example platform whose prod reaches its three cells in three waves.
fn three_waves() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir(dir.path().join("environments")).unwrap();
    for file in ["registry.yaml", "versions.yaml"] {
        std::fs::copy(root.join(file), dir.path().join(file)).unwrap();
    }
    for env in ["dev", "staging", "prod"] {
        let path = format!("environments/{env}.yaml");
        let text = std::fs::read_to_string(root.join(&path)).unwrap();
        let text = text.replace(
            "waves: [[za-north-1], [za-north-2, za-west-1]]",
            "waves: [[za-north-1], [za-north-2], [za-west-1]]",
        );
        std::fs::write(dir.path().join(path), text).unwrap();
    }
    dir
}

fn infrac_in(root: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_infrac"))
        .args(args)
        .current_dir(root)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_SERVER_URL")
        .env_remove("GITHUB_RUN_ID")
        .env_remove("CI_PIPELINE_URL")
        .env_remove("BUILD_URL")
        .env_remove("GITHUB_SHA")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A new version walks the waves: pinned on the first cell, refused before the bake, pinned
/// on the next wave, made prod's stable tag after the last. Every step edits only the one
/// entry of versions.yaml: its comments and layout stay.
#[test]
fn a_new_version_walks_the_waves_in_a_commented_versions_file() {
    let dir = three_waves();
    let root = dir.path();
    let original = std::fs::read_to_string(root.join("versions.yaml")).unwrap();
    let line = "    api-gateway: v2.2.1\n";
    assert!(original.contains(line), "the example's prod entry");
    assert!(
        original.contains("\n# "),
        "the example's versions.yaml is commented"
    );
    let expect = |entry: &str| {
        let text = std::fs::read_to_string(root.join("versions.yaml")).unwrap();
        assert_eq!(
            text,
            original.replace(line, &format!("    api-gateway: {entry}\n"))
        );
    };
    let run = |args: &[&str]| infrac_in(root, args);

    let (code, out, err) = run(&[
        "promote",
        "api-gateway",
        "--from",
        "staging",
        "--to",
        "prod",
        "--tag",
        "v2.3.0",
        "--cell",
        "za-north-1",
        "--deployed",
        "2026-01-01T10:00:00Z",
    ]);
    assert_eq!(
        (code, out.as_str()),
        (
            0,
            "api-gateway in prod: stable v2.2.1; cells za-north-1 v2.3.0\n"
        ),
        "{err}"
    );
    expect("{stable: v2.2.1, cells: {za-north-1: v2.3.0}, deployed: 2026-01-01T10:00:00Z}");

    let (code, out, err) = run(&[
        "rollout",
        "advance",
        "api-gateway",
        "--env",
        "prod",
        "--now",
        "2026-01-01T10:10:00Z",
    ]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        err,
        "error: wave 1 of `prod` (za-north-1) has run `v2.3.0` of `api-gateway` for 10m, less than its bake of 30m: advance at 2026-01-01T10:30:00Z or later; versions.yaml is unchanged\n"
    );
    expect("{stable: v2.2.1, cells: {za-north-1: v2.3.0}, deployed: 2026-01-01T10:00:00Z}");

    let (code, out, err) = run(&[
        "rollout",
        "advance",
        "api-gateway",
        "--env",
        "prod",
        "--now",
        "2026-01-01T10:30:00Z",
    ]);
    assert_eq!(
        (code, out.as_str()),
        (
            0,
            "api-gateway in prod: stable v2.2.1; cells za-north-1 v2.3.0, za-north-2 v2.3.0\n"
        ),
        "{err}"
    );
    expect(
        "{stable: v2.2.1, cells: {za-north-1: v2.3.0, za-north-2: v2.3.0}, deployed: 2026-01-01T10:30:00Z}",
    );

    let (code, _, err) = run(&[
        "rollout",
        "advance",
        "api-gateway",
        "--env",
        "prod",
        "--now",
        "2026-01-01T10:59:59Z",
    ]);
    assert_eq!(code, 1);
    assert!(
        err.starts_with(
            "error: wave 2 of `prod` (za-north-2) has run `v2.3.0` of `api-gateway` for 29m,"
        ),
        "{err}"
    );

    let (code, out, err) = run(&[
        "rollout",
        "advance",
        "api-gateway",
        "--env",
        "prod",
        "--now",
        "2026-01-01T11:00:00Z",
    ]);
    assert_eq!(
        (code, out.as_str()),
        (0, "api-gateway in prod: stable v2.3.0\n"),
        "{err}"
    );
    expect("{stable: v2.3.0, deployed: 2026-01-01T11:00:00Z}");

    let (code, _, err) = run(&["rollout", "advance", "api-gateway", "--env", "prod"]);
    assert_eq!(code, 1);
    assert!(
        err.starts_with("error: no rollout of `api-gateway` in progress in `prod`"),
        "{err}"
    );
}

/// A pinned cell runs its own tag: it gets its own overlay of the service; the other cells
/// keep the environment's.
#[test]
fn a_pinned_cell_gets_its_own_overlay() {
    let dir = three_waves();
    let root = dir.path();
    let (code, _, err) = infrac_in(
        root,
        &[
            "promote",
            "api-gateway",
            "--from",
            "staging",
            "--to",
            "prod",
            "--tag",
            "v2.3.0",
            "--cell",
            "za-north-2",
            "--deployed",
            "2026-01-01T10:00:00Z",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = infrac_in(root, &["build"]);
    assert_eq!(code, 0, "{err}");
    let read = |p: &str| std::fs::read_to_string(root.join("golden").join(p)).unwrap();
    let cell = read("kubernetes/api-gateway/overlays/prod/cells/za-north-2/kustomization.yaml");
    assert!(cell.contains("  newTag: v2.3.0\n"), "{cell}");
    assert!(
        read("kubernetes/api-gateway/overlays/prod/kustomization.yaml")
            .contains("  newTag: v2.2.1\n")
    );
    let aggregate = read("kubernetes/environments/prod/cells/za-north-2/kustomization.yaml");
    assert!(
        aggregate.contains("\n- ../../../../api-gateway/overlays/prod/cells/za-north-2\n"),
        "{aggregate}"
    );
    let other = read("kubernetes/environments/prod/cells/za-north-1/kustomization.yaml");
    assert!(
        other.contains("\n- ../../../../api-gateway/overlays/prod\n"),
        "{other}"
    );
    assert!(
        !root
            .join("golden/kubernetes/api-gateway/overlays/prod/cells/za-north-1")
            .exists()
    );
}

#[test]
fn promote_refuses_an_unknown_cell() {
    let dir = three_waves();
    let (code, _, err) = infrac_in(
        dir.path(),
        &[
            "promote",
            "api-gateway",
            "--from",
            "staging",
            "--to",
            "prod",
            "--tag",
            "v2.3.0",
            "--cell",
            "za-nort-1",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "error: `za-nort-1` is not a cell of `prod` (did you mean `za-north-1`?); versions.yaml is unchanged\n"
    );
}

/// `init --cells 2` scaffolds a prod of two cells in two waves that validates and builds.
#[test]
fn init_scaffolds_a_celled_prod() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, _, err) = infrac_in(
        tmp.path(),
        &["init", "shop", "--cloud", "aws", "--cells", "2"],
    );
    assert_eq!(code, 0, "{err}");
    let root = tmp.path().join("shop");
    let prod = std::fs::read_to_string(root.join("environments/prod.yaml")).unwrap();
    assert!(
        prod.ends_with(
            "cells:\n  cell-1: {cluster: {name: shop-prod-1}}\n  cell-2: {cluster: {name: shop-prod-2}}\nwaves: [[cell-1], [cell-2]]\nbake: 30m\n"
        ),
        "{prod}"
    );
    let (code, out, err) = infrac_in(&root, &["build"]);
    assert_eq!(code, 0, "{out}{err}");
    for cell in ["cell-1", "cell-2"] {
        let app = std::fs::read_to_string(root.join(format!(
            "golden/kubernetes/environments/prod/cells/{cell}/application.yaml"
        )))
        .unwrap();
        let n = &cell[5..];
        assert!(
            app.contains(&format!("  destination:\n    name: shop-prod-{n}\n")),
            "{app}"
        );
    }
    let (code, _, err) = infrac_in(&root, &["init", "other", "--cells", "1"]);
    assert_eq!(code, 64, "{err}");
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=Dev", "-c", "user.email=dev@example.com"])
        .args(["-c", "init.defaultBranch=main"])
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `affected` names exactly the cells a change reaches: an override in one cell is that
/// cell; a change to prod's own overlay every cell that uses it.
#[test]
fn affected_lists_the_cells_a_change_reaches() {
    let dir = three_waves();
    let root = dir.path();
    let (code, _, err) = infrac_in(root, &["build"]);
    assert_eq!(code, 0, "{err}");
    git(root, &["init", "-q"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "base"]);
    let prod = root.join("environments/prod.yaml");
    let text = std::fs::read_to_string(&prod).unwrap();
    let edited = text.replace(
        "        replicas: {min: 3, max: 10}    # the smaller west cell",
        "        replicas: {min: 4, max: 10}    # the smaller west cell",
    );
    assert_ne!(edited, text);
    std::fs::write(&prod, edited).unwrap();
    let (code, _, err) = infrac_in(root, &["build"]);
    assert_eq!(code, 0, "{err}");
    git(root, &["commit", "-q", "-am", "west"]);
    let (code, out, err) = infrac_in(root, &["affected", "--base", "HEAD~1"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "services: api-gateway\nenvironments: prod\ncells: prod/za-west-1\ntargets: kubernetes\n"
    );
    // api-gateway's prod overlay: the two cells that use it, not za-west-1 (its own).
    let text = std::fs::read_to_string(&prod).unwrap();
    std::fs::write(
        &prod,
        text.replace("replicas: {min: 6, max: 20}", "replicas: {min: 7, max: 20}"),
    )
    .unwrap();
    let (code, _, err) = infrac_in(root, &["build"]);
    assert_eq!(code, 0, "{err}");
    git(root, &["commit", "-q", "-am", "north"]);
    let (code, out, err) = infrac_in(root, &["affected", "--base", "HEAD~1"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "services: api-gateway\nenvironments: prod\ncells: prod/za-north-1, prod/za-north-2\ntargets: kubernetes\n"
    );
}
