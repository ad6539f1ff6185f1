//! `infrac init` as a new user meets it: the scaffold of each cloud validates, builds and
//! renders with `kubectl kustomize` to the images and addresses a user expects, its YAML
//! names the schemas it ships, its pre-commit config is the published hook repository, and
//! `--root` decides where it goes.

use std::path::Path;
use std::process::Command;

/// Runs the binary in `cwd`; exit code, stdout and stderr.
fn infrac(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_infrac"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("INFRAC_ROOT")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `kubectl kustomize DIR`, or `None` when kubectl is missing outside CI (under `CI` a
/// missing kubectl fails the test).
fn kustomize(dir: &Path) -> Option<String> {
    match Command::new("kubectl").arg("kustomize").arg(dir).output() {
        Ok(out) => {
            assert!(
                out.status.success(),
                "kubectl kustomize {} failed:\n{}",
                dir.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            Some(String::from_utf8(out.stdout).unwrap())
        }
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but kubectl cannot run ({e}): install kubectl"
            );
            None
        }
    }
}

/// The trimmed lines of `text` that start with `prefix`, sorted.
fn lines_with(text: &str, prefix: &str) -> Vec<String> {
    let mut lines: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with(prefix))
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines.dedup();
    lines
}

const ENVIRONMENTS: [(&str, &str, &str); 3] = [
    ("dev", "-dev", "main-0000000-20250101000000"),
    ("staging", "-staging", "staging-0.1.0"),
    ("prod", "", "v0.1.0"),
];

#[test]
fn each_cloud_scaffolds_a_repo_that_builds_and_renders() {
    let clouds = [
        ("aws", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/"),
        ("azure", "shop.azurecr.io/shop/"),
        ("gcp", "europe-west1-docker.pkg.dev/shop/images/"),
    ];
    for (cloud, images) in clouds {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("shop");
        let (code, _, err) = infrac(tmp.path(), &["init", "shop", "--cloud", cloud]);
        assert_eq!(code, 0, "{cloud}: {err}");
        let (code, _, err) = infrac(&dir, &["build"]);
        assert_eq!(code, 0, "{cloud}: {err}");
        assert_eq!(infrac(&dir, &["check"]).0, 0, "{cloud}");
        for (env, suffix, tag) in ENVIRONMENTS {
            let Some(rendered) = kustomize(&dir.join("golden/kubernetes/environments").join(env))
            else {
                continue;
            };
            assert_eq!(
                lines_with(&rendered, "image:"),
                [
                    format!("image: {images}api:{tag}"),
                    format!("image: {images}web:{tag}"),
                ],
                "{cloud} {env}"
            );
            // web reaches api in this environment's namespace, which the render holds.
            assert_eq!(
                lines_with(&rendered, "API_URL:"),
                [format!(
                    "API_URL: http://api.backend{suffix}.svc.cluster.local:8080"
                )],
                "{cloud} {env}"
            );
            assert!(
                rendered.contains(&format!("namespace: backend{suffix}\n")),
                "{cloud} {env}"
            );
        }
    }
}

#[test]
fn inputs_name_the_schemas_the_scaffold_writes() {
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(infrac(tmp.path(), &["init", "--cloud", "gcp"]).0, 0);
    let files = [
        ("registry.yaml", "registry"),
        ("versions.yaml", "versions"),
        ("environments/dev.yaml", "environment"),
        ("environments/staging.yaml", "environment"),
        ("environments/prod.yaml", "environment"),
    ];
    for (file, kind) in files {
        let path = tmp.path().join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let first = text.lines().next().unwrap();
        let schema = first
            .strip_prefix("# yaml-language-server: $schema=")
            .unwrap_or_else(|| panic!("{file} starts with {first:?}"));
        let written = std::fs::read_to_string(path.parent().unwrap().join(schema))
            .unwrap_or_else(|e| panic!("{file} names {schema}: {e}"));
        let (_, printed, _) = infrac(tmp.path(), &["schema", kind]);
        assert_eq!(written, printed, "{file}");
    }
}

#[test]
fn ignore_and_pre_commit_files_fit_a_platform_repo() {
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(infrac(tmp.path(), &["init", "--cloud", "aws"]).0, 0);
    let read = |name: &str| std::fs::read_to_string(tmp.path().join(name)).unwrap();
    assert_eq!(read(".gitignore"), "*.tfplan\n.terraform/\n");
    assert_eq!(
        read(".pre-commit-config.yaml"),
        format!(
            "# Runs infrac before each commit (https://pre-commit.com): validate the inputs, rebuild
# the golden tree, and fail when it was stale.
repos:
  - repo: https://github.com/infrac-dev/infrac-pre-commit
    rev: v{}
    hooks:
      - id: infrac-validate
      - id: infrac-build
      - id: infrac-check
",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[test]
fn init_without_dir_scaffolds_into_root_and_names_it() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("platform one");
    let target_s = target.to_str().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let (code, out, err) = infrac(elsewhere.path(), &["--root", target_s, "init"]);
    assert_eq!(code, 0, "{err}");
    assert!(target.join("registry.yaml").is_file());
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
    assert_eq!(
        out.lines().last().unwrap(),
        format!("next: cd '{target_s}' && infrac validate && infrac build && infrac plan")
    );
    // The command's own --root, and no `cd` when the scaffold is the current directory.
    let second = tmp.path().join("two");
    let (code, _, err) = infrac(
        elsewhere.path(),
        &["init", "--root", second.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    assert!(second.join("registry.yaml").is_file());
    let here = tempfile::tempdir().unwrap();
    let (code, out, _) = infrac(here.path(), &["init"]);
    assert_eq!(code, 0);
    assert_eq!(
        out.lines().last().unwrap(),
        "next: infrac validate && infrac build && infrac plan"
    );
}
