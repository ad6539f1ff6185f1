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

/// Per leaf, the final value, then every layer that set it, the winner first: the layer's
/// name, its place and the value it wrote; the layers it overrode are marked.
#[test]
fn explain_shows_each_layer_with_the_value_it_wrote() {
    let (code, out, err) = infrac(&[
        "explain",
        "payment-service",
        "replicas.min",
        "--env",
        "prod",
    ]);
    assert_eq!(code, 0, "{err}");
    expect_file("explain-payment-replicas-prod.txt", &out);
    assert_eq!(
        out,
        "# payment-service in prod\n\
         replicas.min = 10\n    \
         environment overlay  environments/prod.yaml:47:21  10\n    \
         environment default  environments/prod.yaml:36:19  3  (overridden)\n    \
         service              registry.yaml:56:21           3  (overridden)\n    \
         registry default     registry.yaml:16:19           2  (overridden)\n\n"
    );
    // A backing resource's sizing sits on its type's `infraDefaults`.
    let (code, out, err) = infrac(&["explain", "payment-service", "infra.db", "--env", "prod"]);
    assert_eq!(code, 0, "{err}");
    expect_file("explain-payment-infra-db-prod.txt", &out);
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
    // An unknown environment is a usage error (SPEC: `--env` refuses unknown names).
    assert_eq!(infrac(&["graph", "--env", "qa"]).0, 64);
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

/// A copy of the example platform (inputs and `golden/`) in a temporary directory.
fn example_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let from = Path::new(env!("CARGO_MANIFEST_DIR"));
    for name in ["registry.yaml", "versions.yaml", "environments", "golden"] {
        copy_tree(&from.join(name), &dir.path().join(name));
    }
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        std::fs::copy(from, to).unwrap();
    }
}

/// Runs the binary on `root` with extra environment variables; stdout as bytes.
fn infrac_at(root: &Path, args: &[&str], envs: &[(&str, &str)]) -> (i32, Vec<u8>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_infrac"))
        .arg("--root")
        .arg(root)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .envs(envs.iter().copied())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The example with a versions.yaml tag for a service disabled in prod: one warning
/// (`infrac::disabled-tag`), no error.
fn example_with_a_warning() -> tempfile::TempDir {
    let dir = example_copy();
    let path = dir.path().join("versions.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let last = "    reporting-service: v0.8.2\n";
    let at = text.rfind(last).expect("prod's last entry") + last.len();
    let text = format!(
        "{}    legacy-report-service: v0.1.0\n{}",
        &text[..at],
        &text[at..]
    );
    std::fs::write(&path, text).unwrap();
    dir
}

const WARNING_ANNOTATION: &str = "::warning file=versions.yaml,line=65,col=5,title=infrac%3A%3Adisabled-tag::`legacy-report-service` is disabled in `prod`; its tag is ignored (help: remove the entry, or enable the service there)\n";

/// In GitHub Actions, `plan --format markdown > plan.md` is the PR comment and the JSON of
/// `check` / `validate` is parsed: annotations go to stderr, stdout stays the result alone.
#[test]
fn annotations_never_reach_stdout_in_github_actions() {
    let dir = example_with_a_warning();
    let root = dir.path();
    let gha = [("GITHUB_ACTIONS", "true")];

    let (code, plain, _) = infrac_at(root, &["plan", "--format", "markdown"], &[]);
    assert_eq!(code, 0);
    let (code, out, err) = infrac_at(root, &["plan", "--format", "markdown"], &gha);
    assert_eq!(code, 0, "{err}");
    let out = String::from_utf8(out).unwrap();
    assert_eq!(
        out,
        "## infrac plan\n\nNo changes. The generated files are up to date.\n"
    );
    assert_eq!(
        out.as_bytes(),
        plain,
        "the same markdown as outside GitHub Actions"
    );
    assert!(err.ends_with(WARNING_ANNOTATION), "{err}");

    let (code, out, err) = infrac_at(root, &["validate", "--format", "json"], &gha);
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value = serde_json::from_slice(&out).expect("stdout is JSON alone");
    assert_eq!(json["diagnostics"][0]["code"], "infrac::disabled-tag");
    assert_eq!(err, WARNING_ANNOTATION);

    // A stale tree: check's own `::error` annotations go to stderr too.
    let stale = root.join("golden/kubernetes/payment-service/base/kustomization.yaml");
    let text = std::fs::read_to_string(&stale).unwrap();
    std::fs::write(&stale, format!("{text}# edited by hand\n")).unwrap();
    let (code, out, err) = infrac_at(root, &["check", "--format", "json"], &gha);
    assert_eq!(code, 1, "{err}");
    let json: serde_json::Value = serde_json::from_slice(&out).expect("stdout is JSON alone");
    assert_eq!(json["hasChanges"], true);
    let annotations: Vec<&str> = err.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(
        annotations,
        [
            WARNING_ANNOTATION.trim_end(),
            "::error file=golden/kubernetes/payment-service/base/kustomization.yaml,title=infrac%3A%3Astale::generated file is stale: run `infrac build` and commit the result",
        ],
        "{err}"
    );
}

/// The stderr of a refused run, checked against `tests/snapshots/<name>.snap` (input shown
/// as the snapshot's description); `INSTA_UPDATE=always` rewrites it.
fn snapshot(name: &str, input: &str, stderr: &str) {
    insta::with_settings!({
        snapshot_path => "snapshots",
        prepend_module_to_snapshot => false,
        description => input,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, stderr);
    });
}

/// A user's mistake in infrac.toml or in a template override is exit 1 with a located
/// diagnostic (never exit 3, the tool's own failure), and `golden/` is left alone.
#[test]
fn mistakes_in_the_project_and_its_templates_are_diagnostics() {
    /// Snapshot name, infrac.toml, other files (path, text).
    type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);
    let cases: &[Case] = &[
        ("cli-templates-missing", "templates = \"overrides\"\n", &[]),
        (
            "cli-templates-is-a-file",
            "templates = \"overrides\"\n",
            &[("overrides", "not a directory\n")],
        ),
        (
            "cli-template-override-syntax",
            "templates = \"overrides\"\n",
            &[(
                "overrides/ci/github/infrac-check.yml.j2",
                "name: infrac check\non: [pull_request]\njobs: [[ platform.name | ]]\n",
            )],
        ),
        (
            "cli-template-override-undefined",
            "templates = \"overrides\"\n",
            &[(
                "overrides/ci/github/infrac-check.yml.j2",
                "name: infrac check\non: [pull_request]\njobs: [[ no_such_value.name ]]\n",
            )],
        ),
        ("cli-toml-unknown-key", "outt = \"generated\"\n", &[]),
        ("cli-toml-wrong-type", "out = 3\n", &[]),
        ("cli-toml-path-escapes", "out = \"../elsewhere\"\n", &[]),
        (
            "cli-toml-unknown-output-key",
            "[output]\ncircleci = \".circleci\"\n",
            &[],
        ),
        (
            "cli-toml-output-escapes",
            "[output]\ngithub = \"../.github/workflows\"\n",
            &[],
        ),
    ];
    for (name, toml, files) in cases {
        let dir = example_copy();
        let root = dir.path();
        std::fs::write(root.join("infrac.toml"), toml).unwrap();
        let mut input = format!("# infrac.toml\n{toml}");
        for (path, text) in *files {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            input.push_str(&format!(
                "# {}\n{text}",
                path.strip_prefix(root).unwrap().display()
            ));
        }
        let manifest = std::fs::read(root.join("golden/.infrac-manifest")).unwrap();
        let (code, out, err) = infrac_at(root, &["build"], &[]);
        assert_eq!(code, 1, "{name}: {err}");
        assert!(out.is_empty(), "{name}: {}", String::from_utf8_lossy(&out));
        assert_eq!(
            std::fs::read(root.join("golden/.infrac-manifest")).unwrap(),
            manifest,
            "{name}: golden/ untouched"
        );
        snapshot(name, &input, &err);
    }
}

/// A failed write to stdout is exit 3 with a message, never a panic (exit 101).
#[cfg(target_os = "linux")]
#[test]
fn a_full_stdout_is_exit_3_with_a_message() {
    let commands: &[&[&str]] = &[
        &["plan"],
        &["plan", "--format", "json"],
        &["check", "--format", "json"],
        &["validate"],
        &["validate", "--format", "json"],
        &["schema", "registry"],
        &["graph"],
        &["explain", "payment-service"],
        &["explain-code", "config"],
        &["completions", "bash"],
        &["man"],
        &["--help"],
    ];
    for args in commands {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_infrac"))
            .args(*args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("NO_COLOR", "1")
            .env_remove("GITHUB_ACTIONS")
            .stdout(full)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {err}");
        assert_eq!(
            err,
            "infrac: internal error: cannot write stdout: No space left on device (os error 28)\n",
            "{args:?}"
        );
    }
}

/// `infrac plan | head`: a reader that goes away ends infrac quietly (SIGPIPE), no message.
#[cfg(unix)]
#[test]
fn a_closed_pipe_ends_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let mut child = Command::new(env!("CARGO_BIN_EXE_infrac"))
        .args(["completions", "zsh"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success() || out.status.signal() == Some(libc_sigpipe()),
        "{:?}",
        out.status
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[cfg(unix)]
fn libc_sigpipe() -> i32 {
    13
}

/// Terminal escapes in input (here an overlay key holding `ESC[31m`, as a YAML escape and
/// as a raw byte) are shown visibly, never echoed raw: text, JSON and annotations.
#[test]
fn diagnostics_escape_control_characters() {
    for (name, line) in [
        ("cli-escape-in-key", "\"\\e[31mred\\e[0m\": 1\n"),
        ("cli-raw-escape-byte", "\u{1b}[31mred\u{1b}[0m: 1\n"),
    ] {
        let dir = example_copy();
        let root = dir.path();
        let overlay = root.join("environments/dev.yaml");
        let mut text = std::fs::read_to_string(&overlay).unwrap();
        text.push_str(line);
        std::fs::write(&overlay, text).unwrap();
        let gha = [("GITHUB_ACTIONS", "true")];
        let (code, out, err) = infrac_at(root, &["validate"], &gha);
        assert_eq!(code, 1, "{err}");
        assert!(out.is_empty());
        assert!(
            !err.contains('\u{1b}'),
            "{name}: a raw ESC on stderr:\n{err}"
        );
        let (code, out, err) = infrac_at(root, &["validate", "--format", "json"], &gha);
        assert_eq!(code, 1, "{err}");
        assert!(!out.contains(&0x1b), "{name}: a raw ESC in the JSON");
        assert!(
            !err.contains('\u{1b}'),
            "{name}: a raw ESC in an annotation"
        );
        let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let message = json["diagnostics"][0]["message"].as_str().unwrap();
        if name == "cli-escape-in-key" {
            // JSON keeps the key as it is, escaped (`\u001b`) by JSON itself.
            assert_eq!(
                message,
                "unknown field `\u{1b}[31mred\u{1b}[0m` at the top level"
            );
        }
        let (_, _, text) = infrac_at(root, &["validate"], &[]);
        snapshot(
            name,
            &format!("# environments/dev.yaml, last line\n{line:?}"),
            &text,
        );
    }
}

/// A copy of a valid fixture's inputs (no golden tree) in a temporary directory.
fn fixture_copy(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/valid")
        .join(name);
    for entry in std::fs::read_dir(&from).unwrap() {
        let entry = entry.unwrap();
        let file = entry.file_name();
        if file != "golden" && file != "generated" {
            copy_tree(&entry.path(), &dir.path().join(file));
        }
    }
    dir
}

/// `build` says once, on stderr, when it writes GitHub or GitLab pipelines where those
/// systems never read them, naming the `[output]` lines that fix it; with those lines in
/// infrac.toml it says nothing.
#[test]
fn build_warns_once_when_pipelines_land_where_ci_never_reads_them() {
    let dir = fixture_copy("aws-shop");
    let root = dir.path();
    let (code, _, err) = infrac_at(root, &["build"], &[]);
    assert_eq!(code, 0, "{err}");
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(warnings.len(), 1, "{err}");
    let at = err.find("warning: the GitHub").expect("the warning");
    let warning: String = err[at..].lines().take(4).collect::<Vec<_>>().join("\n");
    assert_eq!(
        warning,
        "warning: the GitHub Actions workflows are in golden/ci/github (GitHub runs only .github/workflows/*.yml), and the GitLab pipeline is golden/ci/gitlab/.gitlab-ci.yml (GitLab reads .gitlab-ci.yml unless the project's CI/CD configuration file setting names another); to put them where they run, add to infrac.toml:\n  [output]\n  github = \".github/workflows\"\n  gitlab = \".gitlab-ci.yml\""
    );
    std::fs::write(
        root.join("infrac.toml"),
        "[output]\ngithub = \".github/workflows\"\ngitlab = \".gitlab-ci.yml\"\n",
    )
    .unwrap();
    let (code, _, err) = infrac_at(root, &["build"], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("warning"), "{err}");
    assert!(root.join(".github/workflows/infrac-check.yml").is_file());
    assert!(root.join(".gitlab-ci.yml").is_file());
    // Only one of them moved: the warning names only the other.
    let dir = fixture_copy("aws-shop");
    let root = dir.path();
    std::fs::write(
        root.join("infrac.toml"),
        "[output]\ngithub = \".github/workflows\"\n",
    )
    .unwrap();
    let (code, _, err) = infrac_at(root, &["build"], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("warning: the GitLab pipeline is golden/ci/gitlab/.gitlab-ci.yml"),
        "{err}"
    );
    assert!(!err.contains("GitHub Actions"), "{err}");
}

/// Every environment name a command line gives (`--env`, `--from`, `--to`, `diff-env A B`)
/// is checked before the command runs: an unknown one is a usage error (exit 64) naming the
/// nearest environment, on every command that takes one. `--target` is a closed set clap
/// refuses itself. The list must name every command with such an argument.
#[test]
fn unknown_environment_names_are_usage_errors_on_every_command() {
    let cases: &[(&str, &[&str], &str)] = &[
        ("plan", &["plan", "--env", "prdo"], "--env prdo"),
        (
            "explain",
            &["explain", "payment-service", "--env", "prdo"],
            "--env prdo",
        ),
        ("graph", &["graph", "--env", "prdo"], "--env prdo"),
        (
            "set-image",
            &["set-image", "payment-service", "v1.9.9", "--env", "prdo"],
            "--env prdo",
        ),
        (
            "promote",
            &[
                "promote",
                "payment-service",
                "--from",
                "stagin",
                "--to",
                "prod",
            ],
            "--from stagin",
        ),
        (
            "promote",
            &[
                "promote",
                "payment-service",
                "--from",
                "staging",
                "--to",
                "prdo",
            ],
            "--to prdo",
        ),
        (
            "canary",
            &["canary", "advance", "payment-service", "--env", "prdo"],
            "--env prdo",
        ),
        (
            "rollout",
            &["rollout", "advance", "payment-service", "--env", "prdo"],
            "--env prdo",
        ),
        ("diff-env", &["diff-env", "dev", "prdo"], "`prdo`"),
        (
            "diff-env",
            &["diff-env", "stagin", "prod", "payment-service"],
            "`stagin`",
        ),
    ];
    let root = example_copy();
    for (_, args, label) in cases {
        let (code, out, err) = infrac_at(root.path(), args, &[]);
        let wanted = label.trim_matches('`').rsplit(' ').next().unwrap();
        let near = if wanted == "stagin" {
            "staging"
        } else {
            "prod"
        };
        assert_eq!(
            (code, String::from_utf8_lossy(&out).as_ref(), err.as_str()),
            (
                64,
                "",
                format!("error: {label}: not an environment (did you mean `{near}`?); the environments are dev, staging, prod\n").as_str()
            ),
            "{args:?}"
        );
    }
    let (code, _, err) = infrac_at(root.path(), &["plan", "--target", "kubernets"], &[]);
    assert_eq!(code, 64);
    assert!(
        err.contains("a similar value exists: 'kubernetes'"),
        "{err}"
    );
    // Every command whose arguments name an environment is in the list above.
    use clap::CommandFactory;
    let cli = infrac::cli::Cli::command();
    let takes_env: Vec<&str> = cli
        .get_subcommands()
        .filter(|c| {
            c.get_arguments().any(|a| {
                a.get_value_names()
                    .is_some_and(|v| v.iter().any(|n| matches!(n.as_str(), "ENV" | "A" | "B")))
            })
        })
        .map(|c| c.get_name())
        .collect();
    let covered: std::collections::BTreeSet<&str> = cases.iter().map(|c| c.0).collect();
    for name in takes_env {
        assert!(
            covered.contains(name),
            "`{name}` takes an environment and is not tested"
        );
    }
}

/// `diff-env`: every merged field that differs, each side's value, place and layer.
#[test]
fn diff_env_names_both_sides_and_their_layers() {
    let (code, out, err) = infrac(&["diff-env", "staging", "prod", "payment-service"]);
    assert_eq!(code, 0, "{err}");
    expect_file("diff-env-staging-prod-payment-service.txt", &out);
    let (code, out, err) = infrac(&[
        "diff-env",
        "dev",
        "prod",
        "legacy-report-service",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    expect_file("diff-env-dev-prod-legacy-report-service.json", &out);
    let (code, out, err) = infrac(&["diff-env", "prod", "prod"]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (0, "No differences between prod and prod.\n", "")
    );
    let (code, out, err) = infrac(&["diff-env", "dev", "prod", "payment-servce"]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (
            64,
            "",
            "error: `payment-servce`: not a service of the registry (did you mean `payment-service`?)\n"
        )
    );
}

/// A canary is judged by the thresholds that would roll the stable version back: without
/// its own `rollout.canary.analysis`, the canary driver takes each environment's merged
/// `alerts` (payment-service: 5% and 500 ms from the registry, prod tightening the error rate
/// to 2%); an `analysis` of its own wins.
#[test]
fn canary_analysis_takes_the_alert_thresholds_unless_it_sets_its_own() {
    let thresholds = |root: &Path| -> Vec<String> {
        let text = std::fs::read_to_string(root.join("golden/ci/github/canary.yml")).unwrap();
        text.lines()
            .filter(|l| l.contains("max_error_rate=\""))
            .map(|l| l.trim().to_owned())
            .collect()
    };
    let dir = example_copy();
    let root = dir.path();
    assert_eq!(
        thresholds(root),
        [
            "max_error_rate=\"0.01\"; max_latency_p95_ms=\"200\"",
            "max_error_rate=\"0.01\"; max_latency_p95_ms=\"200\""
        ]
    );
    let registry = std::fs::read_to_string(root.join("registry.yaml")).unwrap();
    let own = "        analysis: {maxErrorRate: 0.01, maxLatencyP95Ms: 200}\n";
    assert!(registry.contains(own));
    std::fs::write(root.join("registry.yaml"), registry.replace(own, "")).unwrap();
    let (code, _, err) = infrac_at(root, &["build"], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        thresholds(root),
        [
            "max_error_rate=\"0.05\"; max_latency_p95_ms=\"500\"",
            "max_error_rate=\"0.02\"; max_latency_p95_ms=\"500\""
        ]
    );
}
