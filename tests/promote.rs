//! `infrac promote`, `set-image` and `canary` as CI and a release engineer run them, in a
//! copy of the example: each refusal with its exact stderr (and versions.yaml untouched),
//! each translation, and the `deployed` / `commit` / `build` record written, kept across the
//! next edit, with every comment of versions.yaml intact (the whole file after each step).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The CI variables an edit reads its commit and build from; unset unless a test sets them.
const CI_VARIABLES: &[&str] = &[
    "GITHUB_SHA",
    "CI_COMMIT_SHA",
    "BUILD_SOURCEVERSION",
    "GIT_COMMIT",
    "GITHUB_SERVER_URL",
    "GITHUB_REPOSITORY",
    "GITHUB_RUN_ID",
    "SYSTEM_COLLECTIONURI",
    "SYSTEM_TEAMPROJECT",
    "BUILD_BUILDID",
    "CI_PIPELINE_URL",
    "BUILD_URL",
    "GITHUB_ACTIONS",
];

fn setup() -> (tempfile::TempDir, PathBuf) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    for file in ["registry.yaml", "versions.yaml"] {
        std::fs::copy(repo.join(file), root.join(file)).unwrap();
    }
    std::fs::create_dir(root.join("environments")).unwrap();
    for env in ["dev", "staging", "prod"] {
        let name = format!("environments/{env}.yaml");
        std::fs::copy(repo.join(&name), root.join(&name)).unwrap();
    }
    (tmp, root)
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn infrac_with(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_infrac"));
    command
        .arg("--root")
        .arg(root)
        .args(args)
        .env("NO_COLOR", "1");
    for name in CI_VARIABLES {
        command.env_remove(name);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    let out = command.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn infrac(root: &Path, args: &[&str]) -> Run {
    infrac_with(root, args, &[])
}

fn versions(root: &Path) -> String {
    std::fs::read_to_string(root.join("versions.yaml")).unwrap()
}

/// Runs a refused command: exit `code`, versions.yaml untouched, and the stderr it printed.
fn refused(root: &Path, args: &[&str], code: i32) -> String {
    let before = versions(root);
    let run = infrac(root, args);
    assert_eq!(run.code, code, "{args:?}: {}", run.stderr);
    assert_eq!(run.stdout, "", "{args:?}");
    assert_eq!(versions(root), before, "{args:?} changed versions.yaml");
    format!("$ infrac {}\n{}", args.join(" "), run.stderr)
}

#[test]
fn promote_dev_to_prod_is_refused_at_promotion_from() {
    let (_tmp, root) = setup();
    let err = refused(
        &root,
        &[
            "promote",
            "payment-service",
            "--from",
            "dev",
            "--to",
            "prod",
        ],
        1,
    );
    insta::assert_snapshot!(err);
    // `--tag` does not open another path: `set-image` is the command for an arbitrary tag.
    let err = refused(
        &root,
        &[
            "promote",
            "api-gateway",
            "--from",
            "dev",
            "--to",
            "prod",
            "--tag",
            "v2.4.0",
        ],
        1,
    );
    insta::assert_snapshot!(err);
}

#[test]
fn promote_into_an_environment_without_a_source_is_refused() {
    let (_tmp, root) = setup();
    let err = refused(
        &root,
        &["promote", "api-gateway", "--from", "staging", "--to", "dev"],
        1,
    );
    insta::assert_snapshot!(err);
    let err = refused(
        &root,
        &["promote", "api-gateway", "--from", "prod", "--to", "prod"],
        1,
    );
    insta::assert_snapshot!(err);
}

#[test]
fn a_branch_build_tag_needs_the_release_tag_passed() {
    let (_tmp, root) = setup();
    let err = refused(
        &root,
        &[
            "promote",
            "payment-service",
            "--from",
            "dev",
            "--to",
            "staging",
        ],
        1,
    );
    insta::assert_snapshot!(err);
}

#[test]
fn a_rollout_in_progress_is_finished_first_or_replaced_explicitly() {
    let (_tmp, root) = setup();
    let canary = refused(
        &root,
        &[
            "promote",
            "payment-service",
            "--from",
            "staging",
            "--to",
            "prod",
        ],
        1,
    );
    let preview = refused(
        &root,
        &[
            "promote",
            "account-service",
            "--from",
            "dev",
            "--to",
            "staging",
            "--tag",
            "staging-1.5.0",
        ],
        1,
    );
    let set_image = refused(
        &root,
        &["set-image", "payment-service", "v1.6.0", "--env", "prod"],
        1,
    );
    insta::assert_snapshot!(format!("{canary}\n{preview}\n{set_image}"));
}

#[test]
fn wrong_tags_and_flags() {
    let (_tmp, root) = setup();
    let policy = refused(
        &root,
        &[
            "promote",
            "api-gateway",
            "--from",
            "staging",
            "--to",
            "prod",
            "--tag",
            "staging-2.3.0",
        ],
        1,
    );
    let latest = refused(
        &root,
        &["set-image", "api-gateway", "latest", "--env", "dev"],
        1,
    );
    let unknown = refused(
        &root,
        &["promote", "api-gateway", "--from", "stagin", "--to", "prod"],
        64,
    );
    let deployed = refused(
        &root,
        &[
            "set-image",
            "api-gateway",
            "main-4c9e1f2-20251103101544",
            "--env",
            "dev",
            "--deployed",
            "2025-12-01 09:30",
        ],
        64,
    );
    let commit = refused(
        &root,
        &[
            "promote",
            "api-gateway",
            "--from",
            "staging",
            "--to",
            "prod",
            "--commit",
            "HEAD",
        ],
        64,
    );
    insta::assert_snapshot!(format!(
        "{policy}\n{latest}\n{unknown}\n{deployed}\n{commit}"
    ));
}

/// One step of the release walk: exit 0, what it printed, the whole versions.yaml after it,
/// and the platform still valid.
fn step(root: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let run = infrac_with(root, args, env);
    assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    assert_eq!(run.stderr, "", "{args:?}");
    let valid = infrac(root, &["validate"]);
    assert_eq!(valid.code, 0, "after {args:?}: {}", valid.stderr);
    format!(
        "$ infrac {}\n{}--- versions.yaml\n{}",
        args.join(" "),
        run.stdout,
        versions(root)
    )
}

#[test]
fn release_walk_records_and_keeps_where_each_tag_came_from() {
    let (_tmp, root) = setup();
    let original = versions(&root);
    // The service's CI on a merge to main: the commit and run come from GitHub's variables.
    let github = [
        ("GITHUB_SHA", "0123abc9f8e7d6c5b4a3928170f6e5d4c3b2a190"),
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_REPOSITORY", "acme/payments"),
        ("GITHUB_RUN_ID", "7001"),
    ];
    let dev = step(
        &root,
        &[
            "set-image",
            "payment-service",
            "main-0123abc-20251201083000",
            "--env",
            "dev",
            "--deployed",
            "2025-12-01T08:35:00Z",
        ],
        &github,
    );
    insta::assert_snapshot!("1-set-image-dev", dev);
    // Release 1.6.0 of that build to staging: the tag is passed, the commit carried over.
    let staging = step(
        &root,
        &[
            "promote",
            "payment-service",
            "--from",
            "dev",
            "--to",
            "staging",
            "--tag",
            "staging-1.6.0",
            "--build",
            "https://ci.example.com/promote/12",
            "--deployed",
            "2025-12-02T10:00:00Z",
        ],
        &[],
    );
    insta::assert_snapshot!("2-promote-staging", staging);
    // To prod, translated to v1.6.0, ending the v1.5.0 canary explicitly.
    let prod = step(
        &root,
        &[
            "promote",
            "payment-service",
            "--from",
            "staging",
            "--to",
            "prod",
            "--finish-canary",
            "--deployed",
            "2025-12-03T07:00:00Z",
        ],
        &[],
    );
    insta::assert_snapshot!("3-promote-prod", prod);
    // A second edit of the prod entry: the stable tag stays, so its commit stays.
    let canary = step(
        &root,
        &[
            "canary",
            "start",
            "payment-service",
            "--env",
            "prod",
            "--tag",
            "v1.7.0",
            "--deployed",
            "2025-12-04T07:00:00Z",
        ],
        &[],
    );
    insta::assert_snapshot!("4-canary-start-prod", canary);
    // A plain translation with nothing recorded in the source: staging-2.3.0 → v2.3.0.
    let gateway = step(
        &root,
        &[
            "promote",
            "api-gateway",
            "--from",
            "staging",
            "--to",
            "prod",
            "--deployed",
            "2025-12-04T08:00:00Z",
        ],
        &[],
    );
    insta::assert_snapshot!("5-promote-gateway", gateway);
    // Every line but the three entries edited is the original's, comments included.
    let last = versions(&root);
    let changed: Vec<(&str, &str)> = original
        .lines()
        .zip(last.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(changed.len(), 4, "{changed:#?}");
    assert_eq!(original.lines().count(), last.lines().count());
}

#[test]
fn metadata_alone_changes_no_generated_file() {
    let (_tmp, root) = setup();
    assert_eq!(infrac(&root, &["build"]).code, 0);
    step(
        &root,
        &[
            "set-image",
            "api-gateway",
            "main-4c9e1f2-20251103101544",
            "--env",
            "dev",
            "--commit",
            "4c9e1f2aa",
            "--build",
            "42",
            "--deployed",
            "2025-12-01T08:35:00+02:00",
        ],
        &[],
    );
    assert!(versions(&root).contains(
        "    api-gateway: {stable: main-4c9e1f2-20251103101544, deployed: 2025-12-01T08:35:00+02:00, commit: 4c9e1f2aa, build: \"42\"}\n"
    ));
    let plan = infrac(&root, &["plan"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
}
