//! The invalid-input corpus: every case under `tests/fixtures/invalid/<case>/` is the valid
//! platform `_base/` with a few files replaced (and `case.toml` saying what else to delete,
//! turn into a directory or generate), run through the real binary.
//!
//! Each case must exit 1 (never 0, never a crash), leave `golden/` untouched, never panic,
//! and report exactly the diagnostics its `case.toml` lists (code, file, line, column). The
//! expected positions were worked out by hand from the fixture files, not copied from the
//! tool. Cases marked `snapshot = true` also have their rendered text checked with insta.
//! It runs the product as a user does; from the library it reads only the code registry.

use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/invalid");
const SENTINEL: &str = "golden/.sentinel";
const SENTINEL_TEXT: &str = "owned by the test: invalid input must never touch golden/\n";

/// `case.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseSpec {
    description: String,
    /// Paths (relative to the root) removed from the copy of the base.
    #[serde(default)]
    delete: Vec<String>,
    /// Paths replaced by an (empty) directory.
    #[serde(default)]
    mkdir: Vec<String>,
    /// A path replaced by a generated file larger than infrac reads (16 MiB).
    #[serde(default)]
    generate_large: Option<String>,
    /// Also check the rendered text (stderr, `NO_COLOR=1`) against an insta snapshot.
    #[serde(default)]
    snapshot: bool,
    #[serde(default)]
    expect: Vec<Expect>,
}

/// One expected diagnostic. Errors are compared exactly (the full list); warnings only
/// when the case lists at least one. `help`, when given, must be part of the help line.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    code: String,
    file: String,
    line: u64,
    column: u64,
    #[serde(default = "error")]
    severity: String,
    #[serde(default)]
    help: Option<String>,
}

impl PartialEq for Expect {
    /// Help is checked separately (as a substring), so it is not part of equality.
    fn eq(&self, other: &Self) -> bool {
        (
            &self.code,
            &self.file,
            self.line,
            self.column,
            &self.severity,
        ) == (
            &other.code,
            &other.file,
            other.line,
            other.column,
            &other.severity,
        )
    }
}

fn error() -> String {
    "error".to_owned()
}

impl std::fmt::Display for Expect {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(
            f,
            "{} {} at {}:{}:{}",
            self.severity, self.code, self.file, self.line, self.column
        )
    }
}

/// A case copied into a temporary root, ready to run.
struct Prepared {
    _dir: tempfile::TempDir,
    root: PathBuf,
    spec: CaseSpec,
}

fn copy_tree(from: &Path, to: &Path, skip: &[&str]) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if skip.iter().any(|s| name == *s) {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target, &[]);
        } else {
            if target.is_dir() {
                std::fs::remove_dir_all(&target).unwrap();
            }
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A YAML file over 16 MiB: a valid registry head followed by comment lines.
fn write_large(path: &Path) {
    let mut text = String::from("apiVersion: infrac.dev/v1\nkind: Registry\n");
    let line = format!("# {}\n", "x".repeat(1022));
    while text.len() <= 17 * 1024 * 1024 {
        text.push_str(&line);
    }
    std::fs::write(path, text).unwrap();
}

fn prepare(case: &str) -> Prepared {
    let case_dir = Path::new(FIXTURES).join(case);
    let spec_text = std::fs::read_to_string(case_dir.join("case.toml"))
        .unwrap_or_else(|e| panic!("{case}: cannot read case.toml: {e}"));
    let spec: CaseSpec =
        toml::from_str(&spec_text).unwrap_or_else(|e| panic!("{case}: bad case.toml: {e}"));
    assert!(
        !spec.description.trim().is_empty(),
        "{case}: case.toml needs a description"
    );
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("platform");
    copy_tree(&Path::new(FIXTURES).join("_base"), &root, &[]);
    for rel in &spec.delete {
        let path = root.join(rel);
        if path.is_dir() {
            std::fs::remove_dir_all(&path).unwrap();
        } else {
            std::fs::remove_file(&path)
                .unwrap_or_else(|e| panic!("{case}: cannot delete {rel}: {e}"));
        }
    }
    copy_tree(&case_dir, &root, &["case.toml"]);
    for rel in &spec.mkdir {
        let path = root.join(rel);
        if path.is_file() {
            std::fs::remove_file(&path).unwrap();
        }
        std::fs::create_dir_all(&path).unwrap();
    }
    if let Some(rel) = &spec.generate_large {
        write_large(&root.join(rel));
    }
    std::fs::create_dir_all(root.join("golden")).unwrap();
    std::fs::write(root.join(SENTINEL), SENTINEL_TEXT).unwrap();
    Prepared {
        _dir: dir,
        root,
        spec,
    }
}

fn infrac(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_infrac"))
        .arg("--root")
        .arg(root)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("INFRAC_ROOT")
        .output()
        .expect("run infrac")
}

/// Exit 1, no panic, `golden/` exactly as it was.
fn assert_refused(case: &str, root: &Path, output: &Output) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("panicked"),
        "{case}: infrac panicked:\n{stderr}"
    );
    match output.status.code() {
        Some(1) => {}
        Some(0) => panic!("{case}: infrac accepted invalid input (exit 0)"),
        other => panic!(
            "{case}: expected exit 1, got {other:?} (3 = internal error, 101 = panic)\n{stderr}"
        ),
    }
    let golden: Vec<_> = std::fs::read_dir(root.join("golden"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(golden, [".sentinel"], "{case}: golden/ was touched");
    assert_eq!(
        std::fs::read_to_string(root.join(SENTINEL)).unwrap(),
        SENTINEL_TEXT,
        "{case}: golden/ was touched"
    );
}

fn actual_diagnostics(case: &str, stdout: &[u8]) -> Vec<Expect> {
    let json: serde_json::Value = serde_json::from_slice(stdout).unwrap_or_else(|e| {
        panic!(
            "{case}: stdout is not JSON ({e}):\n{}",
            String::from_utf8_lossy(stdout)
        )
    });
    let items = json["diagnostics"]
        .as_array()
        .unwrap_or_else(|| panic!("{case}: no `diagnostics` array"));
    items
        .iter()
        .map(|d| {
            for field in ["code", "severity", "message", "file", "line", "column"] {
                assert!(
                    !d[field].is_null(),
                    "{case}: diagnostic without `{field}`: {d}"
                );
            }
            Expect {
                code: d["code"].as_str().unwrap().to_owned(),
                file: d["file"].as_str().unwrap().to_owned(),
                line: d["line"].as_u64().unwrap(),
                column: d["column"].as_u64().unwrap(),
                severity: d["severity"].as_str().unwrap().to_owned(),
                help: d["help"].as_str().map(str::to_owned),
            }
        })
        .collect()
}

fn list(items: &[&Expect]) -> String {
    items.iter().map(|e| format!("  {e}\n")).collect()
}

fn run_case(case: &str) {
    let prepared = prepare(case);
    let output = infrac(&prepared.root, &["validate", "--format", "json"]);
    assert_refused(case, &prepared.root, &output);
    let actual = actual_diagnostics(case, &output.stdout);
    let expected = &prepared.spec.expect;
    assert!(
        expected.iter().any(|e| e.severity == "error"),
        "{case}: case.toml lists no error"
    );
    let check_warnings = expected.iter().any(|e| e.severity == "warning");
    let keep = |e: &&Expect| e.severity == "error" || check_warnings;
    let actual_kept: Vec<&Expect> = actual.iter().filter(keep).collect();
    let expected_kept: Vec<&Expect> = expected.iter().filter(keep).collect();
    assert!(
        actual_kept == expected_kept,
        "{case}: {}\nexpected:\n{}actual:\n{}full output:\n{}",
        prepared.spec.description,
        list(&expected_kept),
        list(&actual_kept),
        String::from_utf8_lossy(&output.stdout)
    );
    for (wanted, got) in expected_kept.iter().zip(&actual_kept) {
        if let Some(help) = &wanted.help {
            let got_help = got.help.as_deref().unwrap_or("");
            assert!(
                got_help.contains(help.as_str()),
                "{case}: help of {got} is {got_help:?}, expected it to contain {help:?}"
            );
        }
    }
    if prepared.spec.snapshot {
        let text = infrac(&prepared.root, &["validate"]);
        assert_refused(case, &prepared.root, &text);
        let stderr = String::from_utf8(text.stderr).expect("stderr is UTF-8");
        let root = prepared.root.to_string_lossy().into_owned();
        assert!(
            !stderr.contains(&root),
            "{case}: the temporary root leaks into the output"
        );
        insta::with_settings!({
            snapshot_path => "snapshots",
            prepend_module_to_snapshot => false,
            description => prepared.spec.description.trim(),
            omit_expression => true,
        }, {
            insta::assert_snapshot!(case, stderr);
        });
    }
}

macro_rules! cases {
    ($($(#[$meta:meta])* $name:ident,)*) => {
        /// Every case directory, as listed here.
        const CASES: &[&str] = &[$(stringify!($name)),*];
        $(
            $(#[$meta])*
            #[test]
            fn $name() {
                run_case(&stringify!($name).replace('_', "-"));
            }
        )*
    };
}

cases! {
    alerts_without_metrics,
    alias_bomb,
    backend_config_credentials,
    bake_too_long,
    build_context_command_substitution,
    build_context_github_expression,
    build_dockerfile_parent_dir,
    canary_for_rolling_service,
    canary_interval_huge,
    canary_interval_zero,
    canary_steps_not_ending_at_100,
    canary_steps_not_increasing,
    canary_strategy_without_steps,
    canary_weight_100,
    cell_in_no_wave,
    cell_in_two_waves,
    cell_entry_name,
    cell_name_not_dns,
    cell_overrides_provider,
    cell_wave_unknown_cell,
    cells_without_waves,
    columns_count_characters,
    crlf_line_endings,
    deeply_nested,
    dependency_cycle,
    disabled_dependency,
    disabled_tag,
    duplicate_key,
    duplicate_port_after_merge,
    duplicate_port_name,
    duplicate_port_number,
    empty_registry,
    empty_versions,
    enum_typo_strategy,
    enum_typo_tag_policy,
    environment_file_txt,
    environment_file_yml,
    environments_is_a_file,
    gcp_network_too_small,
    gitops_branch_newline,
    gitops_repository_quote,
    grpc_http_probe,
    huge_registry,
    image_in_overlay,
    infra_field_wrong_type,
    infrac_toml_registry_missing,
    infrac_toml_syntax,
    infrac_toml_unknown_key,
    infrac_toml_unknown_output,
    infrac_toml_unknown_target,
    infrac_toml_wrong_type,
    invalid_environment_name,
    invalid_infra_name,
    invalid_port_name,
    invalid_quantity,
    invalid_service_name,
    invalid_utf8,
    key_vault_name_too_long,
    latest_tag,
    list_instead_of_map,
    literal_secret_in_config,
    literal_secret_string,
    min_above_max,
    min_above_max_after_env_defaults,
    missing_environments_dir,
    missing_registry,
    missing_required_field,
    missing_tag,
    missing_versions,
    namespace_too_long,
    no_environments,
    node_pool_min_above_max,
    null_removes_required_field,
    numbers_out_of_range_overlay,
    opensearch_odd_nodes_across_zones,
    overlay_disables_and_tags_canary,
    preview_for_canary_service,
    active_for_canary_service,
    image_pull_secret_without_key,
    preview_and_previous,
    prometheus_url_command_substitution,
    promotion_cycle,
    registry_is_a_directory,
    registry_is_a_list,
    requests_above_limits_cpu,
    requests_above_limits_memory,
    secret_store_address,
    secret_store_fields,
    secret_value_aws_key_id,
    secret_value_embedded,
    secret_value_github_token,
    secret_value_high_entropy,
    secret_value_jwt,
    secret_value_openssh_private_key,
    secret_value_pem_private_key,
    secret_value_slack_webhook,
    secret_value_url_credentials,
    secret_store_mismatch,
    secret_store_mismatch_registry,
    self_dependency,
    services_is_a_list,
    tab_indentation,
    tag_policy_branch_sha_timestamp,
    tag_policy_canary_tag,
    tag_policy_semver,
    tag_policy_staging_version,
    template_override_syntax,
    templates_dir_missing,
    two_documents,
    unclosed_flow_sequence,
    unknown_dependency,
    unknown_environment_in_promotion,
    unknown_environment_in_versions,
    unknown_field,
    unknown_field_overlay,
    unknown_infra_type,
    unquoted_numeric_tag,
    unknown_probe_port,
    unknown_service_in_overlay,
    unknown_service_in_versions,
    unpinned_cluster_version,
    versions_key_typo,
    versions_pin_unknown_cell,
    versions_canary_unknown_cell,
    wrong_api_version,
    wrong_api_version_type,
    wrong_kind_overlay,
    wrong_kind_versions,
    wrong_type,
    yaml_syntax_error,
}

#[test]
fn every_case_directory_is_listed() {
    let listed: Vec<String> = CASES.iter().map(|c| c.replace('_', "-")).collect();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(FIXTURES).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name != "_base" && !listed.contains(&name) {
            missing.push(name);
        }
    }
    missing.sort();
    assert!(
        missing.is_empty(),
        "case directories missing from `cases!` in tests/invalid.rs: {missing:?}"
    );
    for case in &listed {
        assert!(
            Path::new(FIXTURES).join(case).join("case.toml").is_file(),
            "`{case}` is listed but has no case.toml"
        );
    }
}

/// Codes only the versions commands give, when they refuse an edit (never `validate`):
/// each is shown in a `tests/promote.rs` snapshot instead of an invalid-input case.
const REFUSAL_CODES: &[&str] = &[
    "infrac::promotion-source",
    "infrac::tag-translation",
    "infrac::canary-in-progress",
];

/// Every diagnostic code can be triggered from input, so every code has a case (the output
/// tree's codes have theirs in tests/trust.rs, checked there; the versions commands'
/// refusals theirs in tests/promote.rs).
#[test]
fn every_code_has_a_case() {
    let mut specs = String::new();
    for case in CASES {
        let path = Path::new(FIXTURES)
            .join(case.replace('_', "-"))
            .join("case.toml");
        specs.push_str(&std::fs::read_to_string(path).unwrap());
    }
    let mut refusals = String::new();
    for entry in std::fs::read_dir("tests/snapshots").unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("promote__")
        {
            refusals.push_str(&std::fs::read_to_string(path).unwrap());
        }
    }
    for code in REFUSAL_CODES {
        assert!(
            refusals.contains(&format!("{code}\n")),
            "{code} is shown by no tests/promote.rs snapshot"
        );
        specs.push_str(&format!("code = \"{code}\"\n"));
    }
    let uncovered: Vec<&str> = infrac::diagnostic::Code::ALL
        .iter()
        .filter(|c| !infrac::diagnostic::Code::OUTPUT.contains(c))
        // The change policies are found on a change, not in input: tests/plan_base.rs has theirs.
        .filter(|c| !c.is_change_policy())
        .map(|c| c.as_str())
        .filter(|code| !specs.contains(&format!("code = \"{code}\"")))
        .collect();
    assert!(
        uncovered.is_empty(),
        "codes without an invalid-input case: {uncovered:?}"
    );
}

#[test]
fn base_platform_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("platform");
    copy_tree(&Path::new(FIXTURES).join("_base"), &root, &[]);
    let output = infrac(&root, &["validate", "--format", "json"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn github_annotations_when_running_in_github_actions() {
    let prepared = prepare("unknown-dependency");
    let output = Command::new(env!("CARGO_BIN_EXE_infrac"))
        .arg("--root")
        .arg(&prepared.root)
        .arg("validate")
        .env("GITHUB_ACTIONS", "true")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_refused("unknown-dependency", &prepared.root, &output);
    // Annotations go to stderr: stdout carries only results (`--format json`, markdown).
    let stderr = String::from_utf8(output.stderr).unwrap();
    let annotations: Vec<&str> = stderr.lines().filter(|l| l.starts_with("::")).collect();
    let e = &prepared.spec.expect[0];
    let wanted = format!(
        "::error file={},line={},col={},title=infrac%3A%3Aunknown-dependency::",
        e.file, e.line, e.column
    );
    assert!(
        annotations.iter().any(|a| a.starts_with(&wanted)),
        "no annotation starting with {wanted:?} in:\n{stderr}"
    );
    assert_eq!(
        annotations.len(),
        prepared.spec.expect.len(),
        "one annotation per diagnostic:\n{stderr}"
    );
}
