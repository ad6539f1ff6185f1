//! The smaller commands as a user runs them: explain, schema, graph, completions, man,
//! explain-code, init, and the usage-error exit code.

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
        "{name} differs (UPDATE_GOLDEN=1 cargo test --test cli):\n{actual}"
    );
}

#[test]
fn explain_shows_the_provenance_chain() {
    let (code, out, err) = infrac(&[
        "explain",
        "payment-service",
        "replicas.min",
        "--env",
        "prod",
    ]);
    assert_eq!(code, 0, "{err}");
    expect_file("explain-payment-replicas-prod.txt", &out);
    let first = out.lines().nth(2).unwrap();
    assert!(
        first.trim_start().starts_with("environments/prod.yaml:"),
        "the winner comes first: {out}"
    );
    assert!(
        first.contains("← registry.yaml:"),
        "then what it overrode: {out}"
    );
}

#[test]
fn explain_every_environment_and_disabled() {
    let (code, out, _) = infrac(&["explain", "legacy-report-service", "config"]);
    assert_eq!(code, 0);
    let headers: Vec<&str> = out.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(
        headers,
        [
            "# legacy-report-service in dev",
            "# legacy-report-service in staging",
            "# legacy-report-service in prod"
        ]
    );
    assert!(out.contains("disabled (environments/prod.yaml:"), "{out}");
    let (code, _, err) = infrac(&["explain", "paymnet-service"]);
    assert_eq!(code, 1);
    assert!(err.contains("did you mean `payment-service`?"), "{err}");
}

#[test]
fn schemas_are_the_committed_files() {
    for (which, file) in [
        ("registry", "registry"),
        ("environment", "environment"),
        ("versions", "versions"),
    ] {
        let (code, out, _) = infrac(&["schema", which]);
        assert_eq!(code, 0);
        let committed = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("schemas/{file}.schema.json")),
        )
        .unwrap();
        assert_eq!(out, committed);
    }
}

#[test]
fn graph_outputs() {
    let (code, dot, _) = infrac(&["graph", "--format", "dot"]);
    assert_eq!(code, 0);
    expect_file("graph-registry.dot", &dot);
    let (code, mermaid, _) = infrac(&["graph", "--env", "prod", "--format", "mermaid"]);
    assert_eq!(code, 0);
    expect_file("graph-prod.mmd", &mermaid);
    assert!(
        !mermaid.contains("legacy_report_service"),
        "disabled in prod, so left out"
    );
    assert!(
        dot.contains("legacy_report_service"),
        "the registry graph has every service"
    );
    assert_eq!(infrac(&["graph", "--env", "qa"]).0, 1);
}

#[test]
fn completions_and_man() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let (code, out, _) = infrac(&["completions", shell]);
        assert_eq!(code, 0, "{shell}");
        assert!(
            out.contains("infrac") && out.contains("set-image"),
            "{shell}"
        );
    }
    let (code, man, _) = infrac(&["man"]);
    assert_eq!(code, 0);
    assert!(man.starts_with(".ie") && man.contains(".TH infrac 1"));
}

#[test]
fn explain_code_documents_every_code() {
    for code in infrac::diagnostic::Code::ALL {
        let (exit, out, _) = infrac(&["explain-code", code.as_str()]);
        assert_eq!(exit, 0);
        assert!(out.contains("Wrong:") && out.contains("Right:"), "{out}");
    }
    let (exit, _, err) = infrac(&["explain-code", "unknown-dependancy"]);
    assert_eq!(exit, 1);
    assert!(err.contains("infrac::unknown-dependency"), "{err}");
}

#[test]
fn usage_errors_exit_64() {
    assert_eq!(infrac(&["frobnicate"]).0, 64);
    assert_eq!(infrac(&["plan", "--format", "yaml"]).0, 64);
    assert_eq!(infrac(&["--version"]).0, 0);
}

#[test]
fn init_scaffolds_a_valid_repo_and_never_overwrites() {
    for cloud in ["aws", "azure", "gcp"] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("shop");
        let dir_s = dir.to_str().unwrap();
        assert_eq!(infrac(&["init", dir_s, "--cloud", cloud]).0, 0);
        let (code, _, err) = infrac(&["--root", dir_s, "validate"]);
        assert_eq!(code, 0, "{cloud}: {err}");
        let (code, _, err) = infrac(&["--root", dir_s, "build"]);
        assert_eq!(code, 0, "{cloud}: {err}");
        assert_eq!(infrac(&["--root", dir_s, "check"]).0, 0);
        let registry = std::fs::read_to_string(dir.join("registry.yaml")).unwrap();
        let (code, _, err) = infrac(&["init", dir_s, "--cloud", cloud]);
        assert_eq!(code, 1);
        assert!(err.contains("refusing to overwrite"), "{err}");
        assert_eq!(
            std::fs::read_to_string(dir.join("registry.yaml")).unwrap(),
            registry
        );
    }
}
