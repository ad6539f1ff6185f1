//! `infrac plan --base REF` as a pull request sees it: a temporary git repository holding a
//! copy of the example platform, a base commit, then the pull request's commit (the input
//! edit and the rebuilt golden tree, as `check` and the pre-commit hook require). The plan
//! compares the working tree's compile with the golden tree committed at the base.
//!
//! Full snapshots (`tests/snapshots/plan/base-<scenario>.<format>.snap`) start with the edit
//! and the command; regenerate with `INSTA_UPDATE=always cargo test --test plan_base`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=Dev", "-c", "user.email=dev@example.com"])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "protocol.file.allow=always",
        ])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

struct Repo {
    _tmp: tempfile::TempDir,
    root: PathBuf,
}

impl Repo {
    /// The example platform, committed as the base (`main`).
    fn new() -> Self {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("platform");
        std::fs::create_dir_all(&root).unwrap();
        for file in ["registry.yaml", "versions.yaml"] {
            std::fs::copy(repo.join(file), root.join(file)).unwrap();
        }
        for dir in ["environments", "golden"] {
            copy_dir(&repo.join(dir), &root.join(dir));
        }
        git(&root, &["init", "-q"]);
        git(&root, &["add", "-A"]);
        git(&root, &["commit", "-q", "-m", "base"]);
        Repo { _tmp: tmp, root }
    }

    /// Applies the edit and returns it as a unified diff of the file.
    fn edit(&self, file: &str, from: &str, to: &str) -> String {
        let path = self.root.join(file);
        let before = std::fs::read_to_string(&path).unwrap();
        assert_eq!(before.matches(from).count(), 1, "{file}: `{from}`");
        let after = before.replacen(from, to, 1);
        std::fs::write(&path, &after).unwrap();
        similar::TextDiff::from_lines(&before, &after)
            .unified_diff()
            .context_radius(2)
            .header(&format!("a/{file}"), &format!("b/{file}"))
            .to_string()
    }

    /// `infrac build`, then commits everything as the pull request's head.
    fn commit_pr(&self, message: &str) {
        let (code, _, stderr) = self.infrac(&["build"]);
        assert_eq!(code, 0, "{stderr}");
        git(&self.root, &["add", "-A"]);
        git(&self.root, &["commit", "-q", "-m", message]);
    }

    fn infrac(&self, args: &[&str]) -> (i32, String, String) {
        infrac_in(&self.root, args)
    }
}

fn infrac_in(root: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_infrac"))
        .arg("--root")
        .arg(root)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let stdout = String::from_utf8(out.stdout).expect("stdout is UTF-8");
    (out.status.code().unwrap_or(-1), stdout, stderr)
}

/// A snapshot of the input edit, then the command (left out when `args` is empty: `stdout`
/// names its commands itself) and what it printed.
fn snapshot(name: &str, input: &str, args: &[&str], code: i32, stdout: &str) {
    let text = if args.is_empty() {
        format!("# input\n{input}\n{stdout}")
    } else {
        format!(
            "# input\n{input}\n# infrac {}\n# exit {code}\n{stdout}",
            args.join(" ")
        )
    };
    insta::with_settings!({
        snapshot_path => "snapshots/plan",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

/// The pull request's plan is the change since the base, although the pull request has
/// committed its rebuilt golden tree (a plan against disk would say "No changes").
#[test]
fn a_dependency_added_is_one_peer_per_policy() {
    let repo = Repo::new();
    let input = repo.edit(
        "registry.yaml",
        "      FRAUD_MODEL_VERSION: \"2025.10\"\n    dependencies: [account-service]",
        "      FRAUD_MODEL_VERSION: \"2025.10\"\n    dependencies: [account-service, tenant-service]",
    );
    repo.commit_pr("fraud-service calls tenant-service");
    let (code, stdout, _) = repo.infrac(&["plan"]);
    assert_eq!(
        (code, stdout.as_str()),
        (0, "No changes. The generated files are up to date.\n")
    );
    for format in ["text", "markdown", "json"] {
        let args = ["plan", "--base", "HEAD~1", "--format", format];
        let (code, stdout, stderr) = repo.infrac(&args);
        assert_eq!(code, 2, "{stderr}");
        snapshot(
            &format!("base-dependency-added.{format}"),
            &input,
            &args,
            code,
            &stdout,
        );
    }
    let (code, stdout, _) = repo.infrac(&[
        "plan",
        "--base",
        "HEAD~1",
        "--env",
        "prod",
        "--target",
        "kubernetes",
    ]);
    assert_eq!(code, 2);
    let peers: Vec<&str> = stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("+ spec.egress"))
        .collect();
    assert_eq!(
        peers,
        ["          + spec.egress[3]: to platform/tenant-service:8080"]
    );
    // `check` still fails only a stale tree: this one is fresh.
    let (code, _, stderr) = repo.infrac(&["check"]);
    assert_eq!(code, 0, "{stderr}");
}

/// Each changed field names the input positions that produced its new value, traced
/// through the merge (an environment overlay, the registry service, versions.yaml; a canary's
/// size from its weight and the replica bound), in text, markdown and JSON. A field the
/// trace does not cover (a caller's egress port, a subtree a patch adds) names none.
#[test]
fn each_changed_field_names_its_cause() {
    let repo = Repo::new();
    let mut input = repo.edit(
        "environments/prod.yaml",
        "    replicas: {min: 10, max: 30}\n    alerts: {errorRate: {above: 0.02}}   # tighter in production; `for` stays 2m\n    config: {LOG_LEVEL: INFO}",
        "    replicas: {min: 12, max: 30}\n    alerts: {errorRate: {above: 0.02}}   # tighter in production; `for` stays 2m\n    config: {LOG_LEVEL: DEBUG}\n    resources: {requests: {cpu: 750m}}",
    );
    input += &repo.edit(
        "versions.yaml",
        "payment-service: {stable: v1.4.0, canary: {tag: v1.5.0, weight: 10}}",
        "payment-service: {stable: v1.4.1, canary: {tag: v1.5.0, weight: 25}}",
    );
    input += &repo.edit(
        "registry.yaml",
        "    replicas: {min: 3, max: 10, targetCPU: 70}\n    resources: {requests: {cpu: 500m, memory: 512Mi}",
        "    replicas: {min: 3, max: 10, targetCPU: 75}\n    resources: {requests: {cpu: 500m, memory: 768Mi}",
    );
    repo.commit_pr("payment-service: bigger in prod, v1.4.1, canary at 25%");
    for format in ["text", "markdown", "json"] {
        let args = ["plan", "--base", "HEAD~1", "--format", format];
        let (code, stdout, stderr) = repo.infrac(&args);
        assert_eq!(code, 2, "{stderr}");
        snapshot(
            &format!("base-causes.{format}"),
            &input,
            &args,
            code,
            &stdout,
        );
    }
}

/// A change inside one cell of a celled environment is labelled with its environment and
/// cell (`(prod/za-west-1)`), counted on the cell's own row, and carries the cell's `cell` in
/// JSON; each field names its cause in the cell's layer: the cell's cluster (its name, in
/// the Application and the Terraform root) and node pool, the cell's override of a service,
/// and the cell's pin in versions.yaml.
#[test]
fn a_cell_change_is_labelled_with_its_cell_and_names_its_causes() {
    let repo = Repo::new();
    let mut input = repo.edit(
        "environments/prod.yaml",
        "      name: pe-prod-zaw1-aks\n",
        "      name: pe-prod-zaw1b-aks\n",
    );
    input += &repo.edit(
        "environments/prod.yaml",
        "        default: {vmSize: Standard_D8s_v3, min: 3, max: 10, labels: {workload: general}}\n    services:\n      api-gateway:\n        replicas: {min: 3, max: 10}",
        "        default: {vmSize: Standard_D8s_v3, min: 3, max: 12, labels: {workload: general}}\n    services:\n      api-gateway:\n        replicas: {min: 4, max: 10}",
    );
    input += &repo.edit(
        "versions.yaml",
        "    api-gateway: v2.2.1",
        "    api-gateway: {stable: v2.2.1, cells: {za-west-1: v2.2.2}}",
    );
    repo.commit_pr("za-west-1: a new, bigger cluster, one more gateway, v2.2.2 first");
    for format in ["text", "markdown", "json"] {
        let args = ["plan", "--base", "HEAD~1", "--format", format];
        let (code, stdout, stderr) = repo.infrac(&args);
        assert_eq!(code, 2, "{stderr}");
        snapshot(
            &format!("base-cell-change.{format}"),
            &input,
            &args,
            code,
            &stdout,
        );
    }
}

/// A cell pinned to a new tag gets an overlay of its own, which takes its resources over
/// from the environment's overlay: the cell's cluster sees the same objects with the new tag,
/// so the plan lists them as changed (against the environment's overlay), never as created.
/// The same holds against disk before a build, and when the pin is dropped again.
#[test]
fn a_cell_overlay_takes_its_resources_over_from_the_environment_overlay() {
    let repo = Repo::new();
    let input = repo.edit(
        "versions.yaml",
        "    fraud-service: v1.9.4",
        "    fraud-service: {stable: v1.9.4, cells: {za-north-1: v1.9.5}}",
    );
    let args = ["plan", "--env", "prod", "--target", "kubernetes"];
    let (code, before_build, stderr) = repo.infrac(&args);
    assert_eq!(code, 2, "{stderr}");
    repo.commit_pr("fraud-service v1.9.5 in za-north-1 first");
    let args_base = ["plan", "--base", "HEAD~1", "--format", "text"];
    let (code, stdout, stderr) = repo.infrac(&args_base);
    assert_eq!(code, 2, "{stderr}");
    // Against disk (before the build) and against the base revision: the same changes.
    let changes =
        |out: &str| out[out.find("Changes:").unwrap()..out.find("Diffs:").unwrap()].to_owned();
    assert_eq!(changes(&before_build), changes(&stdout));
    snapshot("base-cell-overlay-added", &input, &args_base, code, &stdout);
    // The pin dropped: the cell's overlay goes, its resources return to the environment's.
    let input = repo.edit(
        "versions.yaml",
        "    fraud-service: {stable: v1.9.4, cells: {za-north-1: v1.9.5}}",
        "    fraud-service: v1.9.4",
    );
    repo.commit_pr("fraud-service: za-north-1 back to v1.9.4");
    let (code, stdout, stderr) = repo.infrac(&args_base);
    assert_eq!(code, 2, "{stderr}");
    snapshot(
        "base-cell-overlay-removed",
        &input,
        &args_base,
        code,
        &stdout,
    );
}

/// Terraform fields name their causes too: a node pool's maximum (the environment's
/// `cluster`), a database's storage (the environment's override of the service's `infra`)
/// and a cache's SKU (the environment's `infraDefaults`, on every cache that sets none).
#[test]
fn terraform_fields_name_their_causes() {
    let repo = Repo::new();
    let mut input = repo.edit(
        "environments/staging.yaml",
        "    default: {vmSize: Standard_D8s_v3, min: 3, max: 10, labels: {workload: general}}",
        "    default: {vmSize: Standard_D8s_v3, min: 3, max: 16, labels: {workload: general}}",
    );
    input += &repo.edit(
        "environments/staging.yaml",
        "  redis:    {sku: Standard_C1, highAvailability: true}",
        "  redis:    {sku: Standard_C2, highAvailability: true}",
    );
    input += &repo.edit(
        "environments/staging.yaml",
        "    replicas: {min: 8, max: 24}\n",
        "    replicas: {min: 8, max: 24}\n    infra: {db: {type: postgres, storageGb: 256}}\n",
    );
    repo.commit_pr("staging: room for the load test");
    for format in ["text", "markdown", "json"] {
        let args = [
            "plan",
            "--base",
            "HEAD~1",
            "--target",
            "terraform",
            "--format",
            format,
        ];
        let (code, stdout, stderr) = repo.infrac(&args);
        assert_eq!(code, 2, "{stderr}");
        snapshot(
            &format!("base-terraform-causes.{format}"),
            &input,
            &args,
            code,
            &stdout,
        );
    }
}

#[test]
fn a_service_removed_and_a_terraform_resource_added() {
    let repo = Repo::new();
    let mut input = repo.edit(
        "environments/dev.yaml",
        "  legacy-report-service:\n",
        "  legacy-report-service:\n    enabled: false\n",
    );
    input += &repo.edit(
        "registry.yaml",
        "      JAVA_TOOL_OPTIONS: -XX:MaxRAMPercentage=75\n    infra:\n      db: {type: postgres, version: \"16\"}\n\n  notification-service:",
        "      JAVA_TOOL_OPTIONS: -XX:MaxRAMPercentage=75\n    infra:\n      db: {type: postgres, version: \"16\"}\n      cache: {type: redis, version: \"7.2\"}\n\n  notification-service:",
    );
    repo.commit_pr("tenant-service gets a cache; legacy reports leave dev");
    let args = [
        "plan",
        "--base",
        "main~1",
        "--target",
        "terraform",
        "--env",
        "prod",
    ];
    let (code, stdout, stderr) = repo.infrac(&args);
    assert_eq!(code, 2, "{stderr}");
    snapshot(
        "base-terraform-resource-added.text",
        &input,
        &args,
        code,
        &stdout,
    );
    let args = [
        "plan",
        "--base",
        "main~1",
        "--target",
        "kubernetes",
        "--env",
        "dev",
    ];
    let (code, stdout, stderr) = repo.infrac(&args);
    assert_eq!(code, 2, "{stderr}");
    snapshot("base-service-removed.text", &input, &args, code, &stdout);
    // The other way round: against the pull request's head, the base adds them back.
    git(&repo.root, &["checkout", "-q", "HEAD~1"]);
    let args = [
        "plan",
        "--base",
        "main",
        "--target",
        "kubernetes",
        "--env",
        "dev",
    ];
    let (code, stdout, _) = repo.infrac(&args);
    assert_eq!(code, 2);
    assert!(
        stdout.contains("  + golden/kubernetes/legacy-report-service/overlays/dev/kustomization.yaml  (kubernetes, dev)\n"),
        "{stdout}"
    );
}

#[test]
fn a_base_missing_from_a_shallow_clone_says_how_to_fetch_it() {
    let repo = Repo::new();
    repo.edit(
        "environments/prod.yaml",
        "replicas: {min: 10, max: 30}",
        "replicas: {min: 12, max: 30}",
    );
    repo.commit_pr("more replicas");
    let clone = repo._tmp.path().join("clone");
    let url = format!("file://{}", repo.root.display());
    git(
        repo._tmp.path(),
        &["clone", "-q", "--depth", "1", &url, clone.to_str().unwrap()],
    );
    let (code, stdout, stderr) = infrac_in(&clone, &["plan", "--base", "HEAD~1"]);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(
        stderr,
        "error: --base HEAD~1: the revision `HEAD~1` is not in this clone, which is shallow: fetch it first (`git fetch --deepen=50`, or `git fetch origin <branch>` for a base branch), then run again\n"
    );
    let (code, _, stderr) = infrac_in(&clone, &["plan", "--base", "no-such-branch"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("is not in this clone, which is shallow"),
        "{stderr}"
    );
    // Deepened, the same command works.
    git(&clone, &["fetch", "-q", "--deepen=1"]);
    let (code, stdout, stderr) = infrac_in(&clone, &["plan", "--base", "HEAD~1"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.contains("spec.minReplicas: 10 → 12"), "{stdout}");
}

#[test]
fn a_symlink_in_the_base_tree_is_refused() {
    let repo = Repo::new();
    std::os::unix::fs::symlink("/etc/passwd", repo.root.join("golden/kubernetes/evil.yaml"))
        .unwrap();
    git(&repo.root, &["add", "-A"]);
    git(&repo.root, &["commit", "-q", "-m", "evil"]);
    let (code, _, stderr) = repo.infrac(&["plan", "--base", "HEAD"]);
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        "error: --base HEAD: `golden/kubernetes/evil.yaml` at `HEAD` is a symbolic link; infrac reads only regular files from git\n"
    );
}

#[test]
fn a_renamed_environment_file_is_removed_and_added() {
    let repo = Repo::new();
    std::fs::rename(
        repo.root.join("environments/staging.yaml"),
        repo.root.join("environments/uat.yaml"),
    )
    .unwrap();
    let versions = std::fs::read_to_string(repo.root.join("versions.yaml")).unwrap();
    std::fs::write(
        repo.root.join("versions.yaml"),
        versions.replace("  staging:\n", "  uat:\n"),
    )
    .unwrap();
    let prod = std::fs::read_to_string(repo.root.join("environments/prod.yaml")).unwrap();
    std::fs::write(
        repo.root.join("environments/prod.yaml"),
        prod.replace("from: staging", "from: uat"),
    )
    .unwrap();
    let (code, _, stderr) = repo.infrac(&["validate"]);
    if code != 0 {
        // The example names staging elsewhere too; the rename is then not a valid change.
        eprintln!("skipped: {stderr}");
        return;
    }
    repo.commit_pr("staging is now uat");
    let (code, stdout, _) = repo.infrac(&[
        "plan",
        "--base",
        "HEAD~1",
        "--target",
        "kubernetes",
        "--format",
        "json",
    ]);
    assert_eq!(code, 2);
    let plan: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let envs: std::collections::BTreeSet<(String, String)> = plan["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["environment"].as_str().unwrap_or("-").to_owned(),
                f["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        envs.contains(&("staging".into(), "remove".into())),
        "{envs:?}"
    );
    assert!(envs.contains(&("uat".into(), "add".into())), "{envs:?}");
}

#[test]
fn unknown_environment_is_a_usage_error_with_a_suggestion() {
    let repo = Repo::new();
    let (code, stdout, stderr) = repo.infrac(&["plan", "--env", "prdo"]);
    assert_eq!((code, stdout.as_str()), (64, ""));
    assert_eq!(
        stderr,
        "error: --env prdo: not an environment (did you mean `prod`?); the environments are dev, staging, prod\n"
    );
    let (code, _, stderr) = repo.infrac(&["plan", "--target", "kubernets"]);
    assert_eq!(code, 64);
    assert!(stderr.contains("kubernetes"), "{stderr}");
}

/// One edit per change policy of the SPEC, each committed as a pull request on the base.
struct Policy {
    name: &'static str,
    code: &'static str,
    file: &'static str,
    from: &'static str,
    to: &'static str,
}

const POLICIES: [Policy; 5] = [
    Policy {
        name: "replica-minimum-drop",
        code: "replica-minimum-drop",
        file: "environments/prod.yaml",
        from: "payment-service:\n    replicas: {min: 10, max: 30}",
        to: "payment-service:\n    replicas: {min: 4, max: 30}",
    },
    Policy {
        name: "stateful-resource-renamed",
        code: "stateful-resource-removed",
        file: "registry.yaml",
        from: "      JAVA_TOOL_OPTIONS: -XX:MaxRAMPercentage=75\n    infra:\n      db: {type: postgres, version: \"16\"}\n\n  notification-service:",
        to: "      JAVA_TOOL_OPTIONS: -XX:MaxRAMPercentage=75\n    infra:\n      tenant-db: {type: postgres, version: \"16\"}\n\n  notification-service:",
    },
    Policy {
        name: "service-disabled-in-prod",
        code: "service-disabled",
        file: "environments/prod.yaml",
        from: "  reporting-service:\n    # Month-end",
        to: "  reporting-service:\n    enabled: false\n    # Month-end",
    },
    Policy {
        name: "canary-weight-jump",
        code: "canary-weight-jump",
        file: "versions.yaml",
        from: "payment-service: {stable: v1.4.0, canary: {tag: v1.5.0, weight: 10}}",
        to: "payment-service: {stable: v1.4.0, canary: {tag: v1.5.0, weight: 50}}",
    },
    Policy {
        name: "image-tag-backwards",
        code: "image-tag-backwards",
        file: "versions.yaml",
        from: "    tenant-service: v1.0.2\n",
        to: "    tenant-service: v1.0.1\n",
    },
];

#[test]
fn each_change_policy_is_flagged_and_check_base_needs_an_allow_trailer() {
    for policy in &POLICIES {
        let repo = Repo::new();
        let input = repo.edit(policy.file, policy.from, policy.to);
        repo.commit_pr("a change that needs a second look");
        let formats: &[&str] = if policy.name == "replica-minimum-drop" {
            &["text", "markdown", "json"]
        } else {
            &["text"]
        };
        for format in formats {
            let args = ["plan", "--base", "HEAD~1", "--format", format];
            let (code, stdout, stderr) = repo.infrac(&args);
            assert_eq!(code, 2, "{}: {stderr}", policy.name);
            let want = format!("infrac::{}", policy.code);
            assert!(stdout.contains(&want), "{}: {stdout}", policy.name);
            snapshot(
                &format!("base-policy-{}.{format}", policy.name),
                &input,
                &args,
                code,
                &stdout,
            );
        }
        // Without the trailer, check --base fails; the plan without --base has no policies.
        let (code, _, stderr) = repo.infrac(&["check", "--base", "HEAD~1"]);
        assert_eq!(code, 1, "{}: {stderr}", policy.name);
        assert!(
            stderr.contains(&format!("error[infrac::{}]", policy.code)),
            "{stderr}"
        );
        let (_, stdout, _) = repo.infrac(&["plan"]);
        assert!(!stdout.contains("infrac::"), "{stdout}");
        // Allowed by the head commit, it passes.
        // Disabling a service also removes its databases: both need allowing.
        let allow = match policy.code {
            "service-disabled" => "service-disabled, stateful-resource-removed",
            code => code,
        };
        let message = format!("a change that needs a second look\n\nInfrac-Allow: {allow}\n");
        git(&repo.root, &["commit", "-q", "--amend", "-m", &message]);
        let (code, _, stderr) = repo.infrac(&["check", "--base", "HEAD~1"]);
        assert_eq!(code, 0, "{}: {stderr}", policy.name);
        assert!(stderr.contains("allowed by the head commit"), "{stderr}");
    }
}

/// CI checks out the merge of the pull request into its base: the trailer is on HEAD^2.
#[test]
fn the_allow_trailer_of_a_merged_pull_request_is_read_from_its_head() {
    let repo = Repo::new();
    git(&repo.root, &["checkout", "-q", "-b", "pr"]);
    repo.edit(
        "versions.yaml",
        "    tenant-service: v1.0.2\n",
        "    tenant-service: v1.0.1\n",
    );
    let (code, _, _) = repo.infrac(&["build"]);
    assert_eq!(code, 0);
    git(&repo.root, &["add", "-A"]);
    git(
        &repo.root,
        &[
            "commit",
            "-q",
            "-m",
            "roll back\n\nInfrac-Allow: image-tag-backwards",
        ],
    );
    git(&repo.root, &["checkout", "-q", "main"]);
    std::fs::write(repo.root.join("NOTES.md"), "unrelated\n").unwrap();
    git(&repo.root, &["add", "-A"]);
    git(&repo.root, &["commit", "-q", "-m", "unrelated"]);
    git(
        &repo.root,
        &["merge", "-q", "--no-ff", "-m", "Merge pr", "pr"],
    );
    let (code, _, stderr) = repo.infrac(&["check", "--base", "HEAD^1"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("allowed by the head commit[infrac::image-tag-backwards]"),
        "{stderr}"
    );
}

#[test]
fn affected_lists_services_environments_and_targets() {
    let repo = Repo::new();
    let input = repo.edit(
        "environments/prod.yaml",
        "payment-service:\n    replicas: {min: 10, max: 30}",
        "payment-service:\n    replicas: {min: 12, max: 30}",
    );
    repo.commit_pr("more replicas");
    let mut out = String::new();
    for format in ["text", "json", "matrix"] {
        let args = ["affected", "--base", "HEAD~1", "--format", format];
        let (code, stdout, stderr) = repo.infrac(&args);
        assert_eq!(code, 0, "{stderr}");
        out.push_str(&format!(
            "# infrac {}\n# exit {code}\n{stdout}",
            args.join(" ")
        ));
    }
    snapshot("base-affected", &input, &[], 0, &out);
}

/// What `affected --format json` must say, worked out from the full comparison: the
/// environments and targets of every file `plan --base` lists (a file of no environment
/// reaches them all).
fn affected_from_plan(repo: &Repo, rev: &str) -> (Vec<String>, Vec<String>) {
    let (code, stdout, stderr) = repo.infrac(&["plan", "--base", rev, "--format", "json"]);
    assert!(code == 0 || code == 2, "{stderr}");
    let plan: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let all = ["dev", "staging", "prod"];
    let mut envs = std::collections::BTreeSet::new();
    let mut targets = std::collections::BTreeSet::new();
    for f in plan["files"].as_array().unwrap() {
        match f["environment"].as_str() {
            Some(e) => {
                envs.insert(e.to_owned());
            }
            None => envs.extend(all.iter().map(|e| (*e).to_owned())),
        }
        targets.insert(f["target"].as_str().unwrap().to_owned());
    }
    let mut envs: Vec<String> = envs.into_iter().collect();
    envs.sort_by_key(|e| all.iter().position(|x| x == e));
    (envs, targets.into_iter().collect())
}

/// `affected` agrees with the full comparison of `plan --base` on every scenario of this
/// file: one value in one environment; a resource added and a service removed; an image tag;
/// a cell's node pool. The services are those whose own generated files differ.
#[test]
fn affected_agrees_with_the_full_comparison() {
    type Edit = (&'static str, &'static str, &'static str);
    let scenarios: [(&[Edit], &[&str]); 4] = [
        (
            &[(
                "environments/prod.yaml",
                "payment-service:\n    replicas: {min: 10, max: 30}",
                "payment-service:\n    replicas: {min: 12, max: 30}",
            )],
            &["payment-service"],
        ),
        (
            &[
                (
                    "environments/dev.yaml",
                    "  legacy-report-service:\n",
                    "  legacy-report-service:\n    enabled: false\n",
                ),
                (
                    "registry.yaml",
                    "      JAVA_TOOL_OPTIONS: -XX:MaxRAMPercentage=75\n    infra:\n      db: {type: postgres, version: \"16\"}\n\n  notification-service:",
                    "      JAVA_TOOL_OPTIONS: -XX:MaxRAMPercentage=75\n    infra:\n      db: {type: postgres, version: \"16\"}\n      cache: {type: redis, version: \"7.2\"}\n\n  notification-service:",
                ),
            ],
            // reporting-service's dev NetworkPolicy and AuthorizationPolicy no longer admit
            // legacy-report-service: its generated files differ, its model does not.
            &[
                "legacy-report-service",
                "reporting-service",
                "tenant-service",
            ],
        ),
        (
            &[(
                "versions.yaml",
                "api-gateway: v2.2.1",
                "api-gateway: v2.2.2",
            )],
            &["api-gateway"],
        ),
        (
            // The cell's Terraform root alone: no service's file.
            &[(
                "environments/prod.yaml",
                "default: {vmSize: Standard_D8s_v3, min: 3, max: 10,",
                "default: {vmSize: Standard_D8s_v3, min: 3, max: 12,",
            )],
            &[],
        ),
    ];
    for (i, (edits, services)) in scenarios.iter().enumerate() {
        let repo = Repo::new();
        for (file, from, to) in *edits {
            repo.edit(file, from, to);
        }
        repo.commit_pr("change");
        let (code, stdout, stderr) =
            repo.infrac(&["affected", "--base", "HEAD~1", "--format", "json"]);
        assert_eq!(code, 0, "scenario {i}: {stderr}");
        let got: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let strings = |v: &serde_json::Value| -> Vec<String> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_owned())
                .collect()
        };
        let (envs, targets) = affected_from_plan(&repo, "HEAD~1");
        assert_eq!(strings(&got["environments"]), envs, "scenario {i}");
        assert_eq!(strings(&got["targets"]), targets, "scenario {i}");
        assert_eq!(strings(&got["services"]), *services, "scenario {i}");
    }
}

/// `affected --format json` and `--format matrix` as JSON, with and without `--exact`.
fn affected_both_ways(repo: &Repo) -> [(serde_json::Value, serde_json::Value); 2] {
    let run = |extra: &[&str], format: &str| -> serde_json::Value {
        let mut args = vec!["affected", "--base", "HEAD~1", "--format", format];
        args.extend_from_slice(extra);
        let (code, stdout, stderr) = repo.infrac(&args);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        serde_json::from_str(&stdout).unwrap()
    };
    [
        (run(&[], "json"), run(&[], "matrix")),
        (run(&["--exact"], "json"), run(&["--exact"], "matrix")),
    ]
}

/// The fast path (the golden tree on disk, when its manifest records the inputs as they
/// are) and the compile path give the same answer to every kind of change.
#[test]
fn affected_answers_alike_from_the_golden_tree_and_from_a_compile() {
    type Edit = (&'static str, &'static str, &'static str);
    let scenarios: [(&str, &[Edit]); 7] = [
        (
            "an environment overlay",
            &[(
                "environments/prod.yaml",
                "payment-service:\n    replicas: {min: 10, max: 30}",
                "payment-service:\n    replicas: {min: 12, max: 30}",
            )],
        ),
        (
            "a registry value, a resource added and a service removed",
            &[
                (
                    "environments/dev.yaml",
                    "  legacy-report-service:\n",
                    "  legacy-report-service:\n    enabled: false\n",
                ),
                (
                    "registry.yaml",
                    "      JAVA_TOOL_OPTIONS: -XX:MaxRAMPercentage=75\n    infra:\n      db: {type: postgres, version: \"16\"}\n\n  notification-service:",
                    "      JAVA_TOOL_OPTIONS: -XX:MaxRAMPercentage=75\n    infra:\n      db: {type: postgres, version: \"16\"}\n      cache: {type: redis, version: \"7.2\"}\n\n  notification-service:",
                ),
            ],
        ),
        (
            "a versions tag",
            &[(
                "versions.yaml",
                "api-gateway: v2.2.1",
                "api-gateway: v2.2.2",
            )],
        ),
        (
            "a service added",
            &[
                (
                    "environments/staging.yaml",
                    "legacy-report-service: {enabled: false}",
                    "legacy-report-service: {enabled: true}",
                ),
                (
                    "versions.yaml",
                    "    api-gateway: staging-2.3.0\n",
                    "    api-gateway: staging-2.3.0\n    legacy-report-service: staging-0.9.0\n",
                ),
            ],
        ),
        (
            "a cell's Terraform",
            &[(
                "environments/prod.yaml",
                "default: {vmSize: Standard_D8s_v3, min: 3, max: 10,",
                "default: {vmSize: Standard_D8s_v3, min: 3, max: 12,",
            )],
        ),
        (
            "a cell's service",
            &[(
                "environments/prod.yaml",
                "replicas: {min: 3, max: 10}    # the smaller west cell",
                "replicas: {min: 4, max: 10}    # the smaller west cell",
            )],
        ),
        ("a template override", &[]),
    ];
    for (name, edits) in scenarios {
        let repo = Repo::new();
        for (file, from, to) in edits {
            repo.edit(file, from, to);
        }
        if edits.is_empty() {
            let builtin = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("templates/ci/github/build-service.yml.j2");
            let text = std::fs::read_to_string(builtin).unwrap();
            let dir = repo.root.join("tpl/ci/github");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(
                dir.join("build-service.yml.j2"),
                format!("# reviewed by the platform team\n{text}"),
            )
            .unwrap();
            std::fs::write(repo.root.join("infrac.toml"), "templates = \"tpl\"\n").unwrap();
        }
        repo.commit_pr(name);
        let [(mut fast, fast_matrix), (mut exact, exact_matrix)] = affected_both_ways(&repo);
        assert_eq!(fast["from"], "golden", "{name}");
        assert_eq!(exact["from"], "compile", "{name}");
        fast["from"].take();
        exact["from"].take();
        assert_eq!(fast, exact, "{name}");
        assert_eq!(fast_matrix, exact_matrix, "{name}");
        assert!(
            !fast["targets"].as_array().unwrap().is_empty(),
            "{name}: {fast:#}"
        );
        if edits.is_empty() {
            // Every service's build pipeline is rendered from the overridden template.
            let mut all: Vec<String> = std::fs::read_dir(repo.root.join("golden/kubernetes"))
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .filter(|n| n != "environments")
                .collect();
            all.sort();
            assert_eq!(fast["services"], serde_json::json!(all), "{name}");
        }
        if name.starts_with("a cell's") {
            // Only the cell changed: no other cell is reached.
            assert_eq!(
                fast["cells"],
                serde_json::json!(["prod/za-west-1"]),
                "{name}"
            );
        }
    }
}

/// A golden tree that is not the inputs' output (an input edited without a build, a
/// golden file edited by hand) is not trusted: `affected` compiles, and is still right.
#[test]
fn affected_compiles_when_the_golden_tree_is_not_the_inputs_output() {
    let repo = Repo::new();
    let edit = (
        "environments/prod.yaml",
        "payment-service:\n    replicas: {min: 10, max: 30}",
        "payment-service:\n    replicas: {min: 12, max: 30}",
    );
    repo.edit(edit.0, edit.1, edit.2);
    git(&repo.root, &["commit", "-q", "-am", "no build"]);
    let [(stale, stale_matrix), _] = affected_both_ways(&repo);
    assert_eq!(stale["from"], "compile");
    // The same change, built: the fast path's answer.
    let built = Repo::new();
    built.edit(edit.0, edit.1, edit.2);
    built.commit_pr("built");
    let [(fresh, fresh_matrix), _] = affected_both_ways(&built);
    assert_eq!(fresh["from"], "golden");
    let without_from = |mut v: serde_json::Value| {
        v["from"].take();
        v
    };
    assert_eq!(without_from(stale), without_from(fresh));
    assert_eq!(stale_matrix, fresh_matrix);

    // A golden file edited by hand, inputs untouched.
    let edited = Repo::new();
    let (code, _, stderr) = edited.infrac(&["build"]);
    assert_eq!(code, 0, "{stderr}");
    let file = edited
        .root
        .join("golden/kubernetes/payment-service/base/resources.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("{text}# edited by hand\n")).unwrap();
    git(
        &edited.root,
        &["commit", "-q", "--allow-empty", "-am", "hand edit"],
    );
    let [(hand, _), _] = affected_both_ways(&edited);
    assert_eq!(hand["from"], "compile");
    assert_eq!(hand["services"], serde_json::json!([]));
}

/// The `# inputs:` line never makes a tree stale: a comment-only edit of the registry keeps
/// `check` fresh (the compiled files are the same); `affected` then compiles.
#[test]
fn a_comment_only_edit_keeps_check_fresh() {
    let repo = Repo::new();
    let path = repo.root.join("registry.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}# a comment\n")).unwrap();
    let (code, stdout, stderr) = repo.infrac(&["check"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    git(&repo.root, &["commit", "-q", "-am", "comment"]);
    let [(answer, _), _] = affected_both_ways(&repo);
    assert_eq!(answer["from"], "compile");
    assert_eq!(answer["services"], serde_json::json!([]));
}
