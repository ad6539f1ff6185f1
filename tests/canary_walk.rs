//! A canary as a series of reviewed commits: `infrac canary` moves versions.yaml through its
//! steps, keeping every other byte (comments included), and each step's plan shows the
//! traffic shift a reviewer approves. Also blue-green and the refusals.

use std::path::{Path, PathBuf};
use std::process::Command;

const LINE: &str = "    payment-service: {stable: v1.4.0, canary: {tag: v1.5.0, weight: 10}}";

/// Every edit records when it was made; the walk passes the time so the files are the same
/// on every run.
const DEPLOYED: &str = "2025-12-01T09:30:00Z";

/// The CI variables an edit reads its commit and build from, unset so a run inside CI
/// writes what a run on a laptop writes.
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
    // Five steps, so the walk has three advances before the last one.
    let registry = std::fs::read_to_string(root.join("registry.yaml")).unwrap();
    assert!(registry.contains("steps: [10, 25, 50, 100]"));
    std::fs::write(
        root.join("registry.yaml"),
        registry.replace("steps: [10, 25, 50, 100]", "steps: [5, 10, 25, 50, 100]"),
    )
    .unwrap();
    let versions = std::fs::read_to_string(root.join("versions.yaml")).unwrap();
    assert!(
        versions.contains(LINE) && versions.matches('#').count() >= 3,
        "the walk needs a commented versions.yaml"
    );
    (tmp, root)
}

fn infrac(root: &Path, args: &[&str]) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_infrac"));
    command
        .arg("--root")
        .arg(root)
        .args(args)
        .env("NO_COLOR", "1");
    for name in CI_VARIABLES {
        command.env_remove(name);
    }
    let out = command.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn versions(root: &Path) -> String {
    std::fs::read_to_string(root.join("versions.yaml")).unwrap()
}

/// Runs a step, checks the file is the original with only the payment line replaced, and
/// returns the plan a reviewer would read for it.
fn step(root: &Path, args: &[&str], original: &str, expected_line: &str) -> String {
    let args = [args, &["--deployed", DEPLOYED]].concat();
    let args = args.as_slice();
    let (code, _, err) = infrac(root, args);
    assert_eq!(code, 0, "{args:?}: {err}");
    assert_eq!(
        versions(root),
        original.replace(LINE, expected_line),
        "{args:?}"
    );
    let (code, plan, err) = infrac(root, &["plan", "--target", "kubernetes"]);
    assert_eq!(code, 2, "{err}");
    infrac(root, &["build"]);
    plan
}

#[test]
fn canary_start_advance_promote() {
    let (_tmp, root) = setup();
    let original = versions(&root);
    assert_eq!(infrac(&root, &["build"]).0, 0);
    let p = |w: &str| {
        format!(
            "    payment-service: {{stable: v1.4.0, canary: {{tag: v1.6.0, weight: {w}}}, deployed: {DEPLOYED}}}"
        )
    };
    step(
        &root,
        &["canary", "abort", "payment-service", "--env", "prod"],
        &original,
        &format!("    payment-service: {{stable: v1.4.0, deployed: {DEPLOYED}}}"),
    );
    let plan = step(
        &root,
        &[
            "canary",
            "start",
            "payment-service",
            "--env",
            "prod",
            "--tag",
            "v1.6.0",
        ],
        &original,
        &p("5"),
    );
    assert!(
        plan.contains("+ Deployment payments/payment-service-canary"),
        "{plan}"
    );
    // No canary subset, header route or canary destination existed before the start.
    for line in [
        "+ spec.subsets[canary]: {\"name\":\"canary\",\"labels\":{\"version\":\"canary\"}}",
        "+ spec.http[gateway-canary-header]: {",
        "+ spec.http[mesh-canary-header]: {",
        "spec.http[gateway-weighted].route[0].weight: 100 → 95",
        "+ spec.http[mesh-weighted].route[1]: {\"destination\":{\"host\":\"payment-service.payments.svc.cluster.local\",\"subset\":\"canary\"},\"weight\":5}",
        "+ HorizontalPodAutoscaler payments/payment-service-canary",
    ] {
        assert!(plan.contains(line), "{line}\n{plan}");
    }
    let plan = step(
        &root,
        &["canary", "advance", "payment-service", "--env", "prod"],
        &original,
        &p("10"),
    );
    assert!(
        plan.contains("~ VirtualService payments/payment-service"),
        "{plan}"
    );
    assert!(
        plan.contains("route[1].weight: 5 → 10") && plan.contains("route[0].weight: 95 → 90"),
        "{plan}"
    );
    let plan = step(
        &root,
        &["canary", "advance", "payment-service", "--env", "prod"],
        &original,
        &p("25"),
    );
    assert!(plan.contains("route[1].weight: 10 → 25"), "{plan}");
    let plan = step(
        &root,
        &["canary", "advance", "payment-service", "--env", "prod"],
        &original,
        &p("50"),
    );
    assert!(plan.contains("route[1].weight: 25 → 50"), "{plan}");
    assert!(
        plan.contains("spec.minReplicas: 3 → 5"),
        "ceil(10 × 50 / 100) canary pods at least, the canary HPA's floor: {plan}"
    );
    let (code, _, err) = infrac(
        &root,
        &["canary", "advance", "payment-service", "--env", "prod"],
    );
    assert_eq!(code, 1);
    assert!(err.contains("canary promote"), "{err}");
    assert_eq!(
        versions(&root),
        original.replace(LINE, &p("50")),
        "a refused step leaves the file alone"
    );
    let plan = step(
        &root,
        &["canary", "promote", "payment-service", "--env", "prod"],
        &original,
        &format!("    payment-service: {{stable: v1.6.0, deployed: {DEPLOYED}}}"),
    );
    assert!(
        plan.contains("- Deployment payments/payment-service-canary"),
        "{plan}"
    );
    assert!(plan.contains("image tag: v1.4.0 → v1.6.0"), "{plan}");
}

#[test]
fn canary_abort_keeps_stable() {
    let (_tmp, root) = setup();
    let original = versions(&root);
    assert_eq!(infrac(&root, &["build"]).0, 0);
    let plan = step(
        &root,
        &["canary", "abort", "payment-service", "--env", "prod"],
        &original,
        &format!("    payment-service: {{stable: v1.4.0, deployed: {DEPLOYED}}}"),
    );
    assert!(
        plan.contains("- Deployment payments/payment-service-canary"),
        "{plan}"
    );
    // After the abort nothing routes to a canary: subset, header routes and the canary
    // destination go, stable takes 100.
    for line in [
        "- spec.subsets[canary]: {\"name\":\"canary\",\"labels\":{\"version\":\"canary\"}}",
        "- spec.http[gateway-canary-header]: {",
        "- spec.http[mesh-canary-header]: {",
        "spec.http[mesh-weighted].route[0].weight: 90 → 100",
        "- spec.http[mesh-weighted].route[1]: {\"destination\":{\"host\":\"payment-service.payments.svc.cluster.local\",\"subset\":\"canary\"},\"weight\":10}",
        "- HorizontalPodAutoscaler payments/payment-service-canary",
    ] {
        assert!(plan.contains(line), "{line}\n{plan}");
    }
}

#[test]
fn refusals_leave_the_file_untouched() {
    let (_tmp, root) = setup();
    let original = versions(&root);
    for args in [
        vec![
            "canary",
            "start",
            "payment-service",
            "--env",
            "prod",
            "--tag",
            "v1.7.0",
        ],
        vec!["canary", "advance", "validation-service", "--env", "prod"],
        vec![
            "canary",
            "start",
            "payment-service",
            "--env",
            "dev",
            "--tag",
            "main-1234567-20251201000000",
        ],
        vec![
            "set-image",
            "payment-service",
            "staging-1.6.0",
            "--env",
            "prod",
        ],
        vec!["set-image", "payment-service", "latest", "--env", "dev"],
        vec!["set-image", "no-such-service", "v1.0.0", "--env", "prod"],
        vec![
            "promote",
            "payment-service",
            "--from",
            "dev",
            "--to",
            "staging",
        ],
    ] {
        let (code, _, err) = infrac(&root, &args);
        assert_eq!(code, 1, "{args:?} should be refused: {err}");
        assert!(err.contains("error"), "{err}");
        assert_eq!(versions(&root), original, "{args:?} changed versions.yaml");
    }
}

#[test]
fn promote_translates_tags_between_policies() {
    let (_tmp, root) = setup();
    let original = versions(&root);
    let (code, out, err) = infrac(
        &root,
        &[
            "promote",
            "account-service",
            "--from",
            "staging",
            "--to",
            "prod",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let staging_tag = original
        .lines()
        .filter(|l| l.trim_start().starts_with("account-service:"))
        .nth(1)
        .unwrap()
        .to_owned();
    assert!(
        out.contains("account-service in prod: stable v"),
        "{out} (staging: {staging_tag})"
    );
    let (code, _, _) = infrac(
        &root,
        &[
            "set-image",
            "api-gateway",
            "main-0123456-20251224000000",
            "--env",
            "dev",
        ],
    );
    assert_eq!(code, 0);
    assert!(
        versions(&root)
            .contains("    api-gateway: {stable: main-0123456-20251224000000, deployed: "),
        "{}",
        versions(&root)
    );
    assert!(
        versions(&root).contains(", commit: \"0123456\"}\n"),
        "the commit in the tag is recorded: {}",
        versions(&root)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(root.join("versions.yaml"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644, "an edit keeps versions.yaml readable");
    }
}

/// Blue-green as commits: the promote switches the active Service to the preview's colour
/// and keeps the old colour running (the plan changes two selectors and no Deployment); the
/// switch back is `canary abort`, one more commit, after which the abandoned colour goes.
#[test]
fn blue_green_promote_and_switch_back() {
    let (_tmp, root) = setup();
    let original = versions(&root);
    let line = "    account-service: {stable: staging-1.3.0, preview: staging-1.4.0}";
    assert!(original.contains(line));
    assert_eq!(infrac(&root, &["build"]).0, 0);
    let run = |args: &[&str], expected: &str| {
        let args = [args, &["--deployed", DEPLOYED]].concat();
        let (code, out, err) = infrac(&root, &args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert_eq!(
            versions(&root),
            original.replace(line, expected),
            "{args:?}"
        );
        let (code, plan, err) = infrac(&root, &["plan", "--target", "kubernetes"]);
        assert_eq!(code, 2, "{err}");
        assert_eq!(infrac(&root, &["build"]).0, 0);
        (out, plan)
    };
    let (out, plan) = run(
        &["canary", "promote", "account-service", "--env", "staging"],
        &format!(
            "    account-service: {{stable: staging-1.4.0, active: green, previous: staging-1.3.0, deployed: {DEPLOYED}}}"
        ),
    );
    assert_eq!(
        out,
        "account-service in staging: stable staging-1.4.0 on green, previous staging-1.3.0 kept on blue\n"
    );
    let changes = plan.split("Diffs:").next().unwrap();
    assert!(!changes.contains("Deployment"), "no pod moves: {plan}");
    assert!(!changes.contains("HorizontalPodAutoscaler"), "{plan}");
    let diffs = plan.split("Diffs:").nth(1).unwrap();
    assert!(!diffs.contains("kind: Deployment"), "{plan}");
    for l in [
        "~ Service accounts-staging/account-service",
        "~ Service accounts-staging/account-service-preview",
        "spec.selector.version: blue → green",
        "spec.selector.version: green → blue",
    ] {
        assert!(plan.contains(l), "{l}\n{plan}");
    }
    let (out, plan) = run(
        &["canary", "abort", "account-service", "--env", "staging"],
        &format!("    account-service: {{stable: staging-1.3.0, deployed: {DEPLOYED}}}"),
    );
    assert_eq!(
        out,
        "account-service in staging: stable staging-1.3.0 on blue\n"
    );
    for l in [
        "spec.selector.version: green → blue",
        "- Deployment accounts-staging/account-service-green",
        "- HorizontalPodAutoscaler accounts-staging/account-service-green",
        "- Service accounts-staging/account-service-preview",
    ] {
        assert!(plan.contains(l), "{l}\n{plan}");
    }
    assert!(
        !plan.contains("account-service-blue"),
        "blue is untouched: {plan}"
    );
    let (code, _, err) = infrac(
        &root,
        &["canary", "abort", "account-service", "--env", "staging"],
    );
    assert_eq!(code, 1);
    assert!(err.contains("no previous version is kept"), "{err}");
}

/// `set-image` on a blue-green service rolls the colour that serves, in place: the active
/// colour is kept (the Service must keep selecting running pods) and a kept previous
/// version is dropped.
#[test]
fn set_image_keeps_the_active_colour() {
    let (_tmp, root) = setup();
    let original = versions(&root);
    let line = "    account-service: {stable: staging-1.3.0, preview: staging-1.4.0}";
    let promoted =
        "    account-service: {stable: staging-1.4.0, active: green, previous: staging-1.3.0}";
    std::fs::write(root.join("versions.yaml"), original.replace(line, promoted)).unwrap();
    let (code, out, err) = infrac(
        &root,
        &[
            "set-image",
            "account-service",
            "staging-1.4.1",
            "--env",
            "staging",
            "--deployed",
            DEPLOYED,
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "account-service in staging: stable staging-1.4.1 on green\n"
    );
    assert_eq!(
        versions(&root),
        original.replace(
            line,
            &format!(
                "    account-service: {{stable: staging-1.4.1, active: green, deployed: {DEPLOYED}}}"
            )
        )
    );
}
