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

/// An unknown cell is refused at the environment's `cells:`, where the cells are declared.
#[test]
fn promote_refuses_an_unknown_cell() {
    let dir = three_waves();
    let before = std::fs::read_to_string(dir.path().join("versions.yaml")).unwrap();
    let (code, out, err) = infrac_in(
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
    assert_eq!((code, out.as_str()), (1, ""));
    expect_file("promote-unknown-cell.txt", &err);
    let after = std::fs::read_to_string(dir.path().join("versions.yaml")).unwrap();
    assert_eq!(after, before);
}

/// [`infrac_in`] with `stdin` on standard input.
fn infrac_stdin(root: &Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_infrac"))
        .args(args)
        .current_dir(root)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_SERVER_URL")
        .env_remove("GITHUB_RUN_ID")
        .env_remove("CI_PIPELINE_URL")
        .env_remove("BUILD_URL")
        .env_remove("GITHUB_SHA")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The answer of a cell's Prometheus to `GET /api/v1/alerts` with payment-service's error
/// rate alert firing (and a pending one and another service's, which do not count).
const FIRING: &str = r#"{"status":"success","data":{"alerts":[
  {"labels":{"alertname":"ErrorRateHigh","service":"payment-service","team":"payments","environment":"prod","severity":"critical"},
   "annotations":{"summary":"More than 2% of the requests to payment-service in prod fail (5xx) for 2m."},
   "state":"firing","activeAt":"2026-01-01T11:20:00Z","value":"3e-02"},
  {"labels":{"alertname":"RestartsHigh","service":"payment-service","environment":"prod"},"annotations":{},
   "state":"pending","activeAt":"2026-01-01T11:25:00Z","value":"4e+00"},
  {"labels":{"alertname":"ErrorRateHigh","service":"api-gateway","environment":"prod"},"annotations":{},
   "state":"firing","activeAt":"2026-01-01T11:00:00Z","value":"1e-01"}]}}"#;

/// A canary inside one cell, then the waves: `canary start --cell` gives the canary to that
/// cell alone, `canary promote` pins its tag there, and `rollout advance` takes it on once
/// the cell's alerts are quiet. Every step is one in-place edit of the one entry of a
/// commented versions.yaml (the whole file is compared after each), every refusal leaves it
/// as it was.
#[test]
fn a_canary_in_one_cell_then_the_waves_in_a_commented_versions_file() {
    let dir = three_waves();
    let root = dir.path();
    let original = std::fs::read_to_string(root.join("versions.yaml")).unwrap();
    let line = "    payment-service: {stable: v1.4.0, canary: {tag: v1.5.0, weight: 10}}\n";
    assert!(original.contains(line), "the example's prod entry");
    let expect = |entry: &str| {
        let text = std::fs::read_to_string(root.join("versions.yaml")).unwrap();
        assert_eq!(
            text,
            original.replace(line, &format!("    payment-service: {entry}\n"))
        );
    };
    let run = |args: &[&str]| infrac_in(root, args);
    let ok = |args: &[&str], shown: &str| {
        let (code, out, err) = run(args);
        assert_eq!(
            (code, out.as_str(), err.as_str()),
            (0, shown, ""),
            "{args:?}"
        );
    };

    ok(
        &[
            "canary",
            "abort",
            "payment-service",
            "--env",
            "prod",
            "--deployed",
            "2026-01-01T09:00:00Z",
        ],
        "payment-service in prod: stable v1.4.0\n",
    );
    ok(
        &[
            "canary",
            "start",
            "payment-service",
            "--env",
            "prod",
            "--cell",
            "za-north-1",
            "--tag",
            "v1.5.0",
            "--deployed",
            "2026-01-01T10:00:00Z",
        ],
        "payment-service in prod: stable v1.4.0, canary v1.5.0 at 10% in cell za-north-1\n",
    );
    let canary_at_10 = "{stable: v1.4.0, canary: {tag: v1.5.0, weight: 10, cell: za-north-1}, deployed: 2026-01-01T10:00:00Z}";
    expect(canary_at_10);

    // Only the cell's overlay runs the canary.
    let (code, _, err) = run(&["build"]);
    assert_eq!(code, 0, "{err}");
    let read = |p: &str| std::fs::read_to_string(root.join("golden").join(p)).unwrap();
    let cell = read("kubernetes/payment-service/overlays/prod/cells/za-north-1/resources.yaml");
    assert!(cell.contains("  name: payment-service-canary\n"), "{cell}");
    assert!(cell.contains("      weight: 90\n") && cell.contains("      weight: 10\n"));
    let shared = read("kubernetes/payment-service/overlays/prod/resources.yaml");
    assert!(!shared.contains("payment-service-canary"), "{shared}");
    assert!(shared.contains("      weight: 100\n"), "{shared}");
    let other = read("kubernetes/environments/prod/cells/za-north-2/kustomization.yaml");
    assert!(
        other.contains("\n- ../../../../payment-service/overlays/prod\n"),
        "{other}"
    );

    // Refused: another cell, the waves while the canary runs, an unknown cell.
    let (code, out, err) = run(&[
        "canary",
        "advance",
        "payment-service",
        "--env",
        "prod",
        "--cell",
        "za-north-2",
    ]);
    assert_eq!((code, out.as_str()), (1, ""));
    expect_file("canary-advance-another-cell.txt", &err);
    let (code, out, err) = run(&[
        "rollout",
        "advance",
        "payment-service",
        "--env",
        "prod",
        "--now",
        "2026-01-02T00:00:00Z",
    ]);
    assert_eq!((code, out.as_str()), (1, ""));
    expect_file("rollout-advance-during-a-cell-canary.txt", &err);
    expect(canary_at_10);

    ok(
        &[
            "canary",
            "advance",
            "payment-service",
            "--env",
            "prod",
            "--cell",
            "za-north-1",
            "--deployed",
            "2026-01-01T10:30:00Z",
        ],
        "payment-service in prod: stable v1.4.0, canary v1.5.0 at 25% in cell za-north-1\n",
    );
    expect(
        "{stable: v1.4.0, canary: {tag: v1.5.0, weight: 25, cell: za-north-1}, deployed: 2026-01-01T10:30:00Z}",
    );
    ok(
        &[
            "canary",
            "promote",
            "payment-service",
            "--env",
            "prod",
            "--cell",
            "za-north-1",
            "--deployed",
            "2026-01-01T11:00:00Z",
        ],
        "payment-service in prod: stable v1.4.0; cells za-north-1 v1.5.0\n",
    );
    let pinned = "{stable: v1.4.0, cells: {za-north-1: v1.5.0}, deployed: 2026-01-01T11:00:00Z}";
    expect(pinned);

    // While the tag moves through the waves no other canary of one cell starts.
    let (code, _, err) = run(&[
        "canary",
        "start",
        "payment-service",
        "--env",
        "prod",
        "--cell",
        "za-north-2",
        "--tag",
        "v1.6.0",
    ]);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "error: `v1.5.0` of `payment-service` is moving through the waves of `prod` (cell `za-north-1` pins it): take it to every cell with `infrac rollout advance payment-service --env prod` before a canary in one cell; versions.yaml is unchanged\n"
    );

    // The first wave's alerts hold the rollout back while one fires.
    std::fs::write(root.join("firing.json"), FIRING).unwrap();
    let advance = [
        "rollout",
        "advance",
        "payment-service",
        "--env",
        "prod",
        "--now",
        "2026-01-01T11:40:00Z",
    ];
    let (code, out, err) = run(&[&advance[..], &["--alerts", "za-north-1=firing.json"]].concat());
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        err,
        "error: alerts of `payment-service` fire in the cells of `prod` that run `v1.5.0`: ErrorRateHigh in cell `za-north-1` (wave 1) since 2026-01-01T11:20:00Z (\"More than 2% of the requests to payment-service in prod fail (5xx) for 2m.\"); advance once they resolve; versions.yaml is unchanged\n"
    );
    let (code, out, err) = run(&[&advance[..], &["--alerts", "za-nort-1=firing.json"]].concat());
    assert_eq!((code, out.as_str()), (1, ""));
    expect_file("rollout-advance-alerts-unknown-cell.txt", &err);
    expect(pinned);

    let quiet = r#"{"status":"success","data":{"alerts":[]}}"#;
    let (code, out, err) = infrac_stdin(
        root,
        &[&advance[..], &["--alerts", "za-north-1=-"]].concat(),
        quiet,
    );
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (
            0,
            "payment-service in prod: stable v1.4.0; cells za-north-1 v1.5.0, za-north-2 v1.5.0\n",
            ""
        )
    );
    expect(
        "{stable: v1.4.0, cells: {za-north-1: v1.5.0, za-north-2: v1.5.0}, deployed: 2026-01-01T11:40:00Z}",
    );

    // Without `--alerts` the advance says which cells' alerts it did not see.
    let (code, out, err) = run(&[
        "rollout",
        "advance",
        "payment-service",
        "--env",
        "prod",
        "--now",
        "2026-01-01T12:10:00Z",
    ]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (
            0,
            "payment-service in prod: stable v1.5.0\n",
            "note: firing alerts were not checked in za-north-1, za-north-2 (no `--alerts CELL=FILE` for them)\n"
        )
    );
    expect("{stable: v1.5.0, deployed: 2026-01-01T12:10:00Z}");
}

/// `--alerts` takes the body of `GET /api/v1/alerts` and nothing else: a malformed value, an
/// error answer, a cell named twice, two bodies on standard input are refused before any
/// edit.
#[test]
fn rollout_advance_refuses_alerts_it_cannot_judge() {
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
            "za-north-1",
            "--deployed",
            "2026-01-01T10:00:00Z",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let before = std::fs::read_to_string(root.join("versions.yaml")).unwrap();
    std::fs::write(
        root.join("error.json"),
        r#"{"status":"error","errorType":"unavailable","error":"rule manager not ready"}"#,
    )
    .unwrap();
    std::fs::write(
        root.join("ok.json"),
        r#"{"status":"success","data":{"alerts":[]}}"#,
    )
    .unwrap();
    let advance = [
        "rollout",
        "advance",
        "api-gateway",
        "--env",
        "prod",
        "--now",
        "2026-01-01T11:00:00Z",
    ];
    for (alerts, message) in [
        (
            &["--alerts", "za-north-1"][..],
            "error: `--alerts za-north-1` is not `CELL=FILE` (FILE `-` for standard input); versions.yaml is unchanged\n",
        ),
        (
            &["--alerts", "za-north-1=error.json"][..],
            "error: the alerts of cell `za-north-1` (`error.json`) are not an answer of Prometheus' `GET /api/v1/alerts`: its status is `error` (rule manager not ready); versions.yaml is unchanged\n",
        ),
        (
            &["--alerts", "za-north-1=missing.json"][..],
            "error: the alerts of cell `za-north-1` could not be read from `missing.json`: No such file or directory (os error 2); versions.yaml is unchanged\n",
        ),
        (
            &[
                "--alerts",
                "za-north-1=ok.json",
                "--alerts",
                "za-north-1=ok.json",
            ][..],
            "error: `--alerts` names cell `za-north-1` twice; versions.yaml is unchanged\n",
        ),
        (
            &["--alerts", "za-north-1=-", "--alerts", "za-north-2=-"][..],
            "error: `--alerts CELL=-` reads standard input once: give the other cells a file; versions.yaml is unchanged\n",
        ),
    ] {
        let (code, out, err) = infrac_stdin(root, &[&advance[..], alerts].concat(), "{}");
        assert_eq!(
            (code, out.as_str(), err.as_str()),
            (1, "", message),
            "{alerts:?}"
        );
        assert_eq!(
            std::fs::read_to_string(root.join("versions.yaml")).unwrap(),
            before
        );
    }
}

/// A cell canary needs a cell of the environment, and a canary strategy.
#[test]
fn canary_refuses_a_cell_it_cannot_run_in() {
    let dir = three_waves();
    let root = dir.path();
    let before = std::fs::read_to_string(root.join("versions.yaml")).unwrap();
    let (code, out, err) = infrac_in(
        root,
        &[
            "canary",
            "start",
            "payment-service",
            "--env",
            "dev",
            "--cell",
            "za-north-1",
            "--tag",
            "main-a1b2c3d-20260101100000",
        ],
    );
    assert_eq!((code, out.as_str()), (1, ""));
    expect_file("canary-cell-of-an-environment-without-cells.txt", &err);
    let (code, _, err) = infrac_in(
        root,
        &[
            "canary",
            "start",
            "account-service",
            "--env",
            "prod",
            "--cell",
            "za-north-1",
            "--tag",
            "v1.4.0",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "error: `account-service` is blue-green in `prod`: its preview runs in every cell; leave out `--cell`; versions.yaml is unchanged\n"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("versions.yaml")).unwrap(),
        before
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
        "services: api-gateway\nenvironments: prod\ncells: prod/za-west-1\ntargets: kubernetes\nfrom: the golden tree on disk (its manifest records these inputs; `infrac check` proves it fresh)\n"
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
        "services: api-gateway\nenvironments: prod\ncells: prod/za-north-1, prod/za-north-2\ntargets: kubernetes\nfrom: the golden tree on disk (its manifest records these inputs; `infrac check` proves it fresh)\n"
    );
}
