//! Full snapshots of what a reviewer reads: `infrac plan` in text, markdown and JSON on a
//! copy of the example platform after one typical edit each.
//!
//! Each snapshot (`tests/snapshots/plan/<scenario>.<format>.snap`) starts with the
//! scenario's input, the edit as a unified diff of the input file, then the command, its exit
//! code and everything it printed on stdout (the fixture style of minijinja's template
//! tests: input first, then what it renders to). Review a change with `cargo insta review`
//! or regenerate with `INSTA_UPDATE=always cargo test --test plan_snapshots`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// One edit of an input file: the first `from` becomes `to`.
struct Edit {
    file: &'static str,
    from: &'static str,
    to: &'static str,
}

struct Scenario {
    /// The snapshot name.
    name: &'static str,
    /// What the edit means, for the snapshot header.
    summary: &'static str,
    edits: &'static [Edit],
}

const SCENARIOS: [Scenario; 3] = [
    Scenario {
        name: "replicas-changed-in-prod",
        summary: "payment-service runs at least 12 replicas in prod instead of 10",
        edits: &[Edit {
            file: "environments/prod.yaml",
            from: "payment-service:\n    replicas: {min: 10, max: 30}",
            to: "payment-service:\n    replicas: {min: 12, max: 30}",
        }],
    },
    Scenario {
        name: "dependency-added",
        summary: "fraud-service now also calls tenant-service",
        edits: &[Edit {
            file: "registry.yaml",
            from: "      FRAUD_MODEL_VERSION: \"2025.10\"\n    dependencies: [account-service]",
            to: "      FRAUD_MODEL_VERSION: \"2025.10\"\n    dependencies: [account-service, tenant-service]",
        }],
    },
    Scenario {
        name: "service-disabled-in-dev",
        summary: "legacy-report-service is disabled in dev: its overlay files are removed",
        edits: &[Edit {
            file: "environments/dev.yaml",
            from: "  legacy-report-service:\n",
            to: "  legacy-report-service:\n    enabled: false\n",
        }],
    },
];

const FORMATS: [&str; 3] = ["text", "markdown", "json"];

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

/// A copy of the example platform (inputs and committed golden tree) in a temp dir.
fn example_copy() -> (tempfile::TempDir, PathBuf) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    for file in ["registry.yaml", "versions.yaml"] {
        std::fs::copy(repo.join(file), root.join(file)).unwrap();
    }
    for dir in ["environments", "golden"] {
        copy_dir(&repo.join(dir), &root.join(dir));
    }
    (tmp, root)
}

/// Applies `edit` under `root` and returns it as a unified diff of the file.
fn apply(root: &Path, edit: &Edit) -> String {
    let path = root.join(edit.file);
    let before = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        before.matches(edit.from).count(),
        1,
        "{} must contain `{}` exactly once",
        edit.file,
        edit.from
    );
    let after = before.replacen(edit.from, edit.to, 1);
    std::fs::write(&path, &after).unwrap();
    similar::TextDiff::from_lines(&before, &after)
        .unified_diff()
        .context_radius(2)
        .header(&format!("a/{}", edit.file), &format!("b/{}", edit.file))
        .to_string()
}

/// `infrac --root <root> <args>`: exit code and stdout (stderr must not show a panic).
fn infrac(root: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_infrac"))
        .arg("--root")
        .arg(root)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let stdout = String::from_utf8(out.stdout).expect("stdout is UTF-8");
    (out.status.code().unwrap_or(-1), stdout)
}

#[test]
fn plan_snapshots() {
    for scenario in &SCENARIOS {
        let (_tmp, root) = example_copy();
        let input: String = scenario.edits.iter().map(|e| apply(&root, e)).collect();
        let (check, _) = infrac(&root, &["check"]);
        assert_eq!(check, 1, "{}: check fails on a stale tree", scenario.name);
        for format in FORMATS {
            let args = ["plan", "--format", format];
            let (code, stdout) = infrac(&root, &args);
            assert_eq!(code, 2, "{}: plan exits 2 on changes", scenario.name);
            let snapshot = format!(
                "# input\n{input}\n# infrac {}\n# exit {code}\n{stdout}",
                args.join(" ")
            );
            insta::with_settings!({
                snapshot_path => "snapshots/plan",
                prepend_module_to_snapshot => false,
                description => scenario.summary,
                omit_expression => true,
            }, {
                insta::assert_snapshot!(format!("{}.{format}", scenario.name), snapshot);
            });
        }
    }
}
