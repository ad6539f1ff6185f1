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
