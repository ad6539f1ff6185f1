//! The distribution files agree with each other and with the crate: the pre-commit hook ids of
//! the hook repository (`pre-commit-hooks/`) and of the root `.pre-commit-hooks.yaml`, the hook
//! package's `infrac==` pin, the wheel's pyproject.toml, the Action's inputs and the README's
//! install and pre-commit snippets. A version bump that misses one of them fails here.

use serde_json::Value;
use std::path::{Path, PathBuf};

const VERSION: &str = env!("CARGO_PKG_VERSION");
const HOOK_IDS: [&str; 3] = ["infrac-validate", "infrac-build", "infrac-check"];
const HOOK_REPO: &str = "https://github.com/infrac-dev/infrac-pre-commit";
const RELEASE_TARGETS: [&str; 5] = [
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn yaml(path: &str) -> Value {
    serde_saphyr::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn toml_file(path: &str) -> toml::Table {
    read(path).parse().unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The fenced code blocks of a Markdown file: (info string, body).
fn code_blocks(markdown: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut lines = markdown.lines();
    while let Some(line) = lines.next() {
        if let Some(info) = line.strip_prefix("```") {
            let mut body = String::new();
            for inner in lines.by_ref() {
                if inner == "```" {
                    break;
                }
                body.push_str(inner);
                body.push('\n');
            }
            blocks.push((info.to_owned(), body));
        }
    }
    blocks
}

/// The one block of `markdown` with this info string whose body contains `needle`.
fn block_with(markdown: &str, info: &str, needle: &str) -> String {
    let found: Vec<String> = code_blocks(markdown)
        .into_iter()
        .filter(|(i, body)| i == info && body.contains(needle))
        .map(|(_, body)| body)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "exactly one ```{info} block containing {needle:?}, found {found:#?}"
    );
    found.into_iter().next().unwrap()
}

fn hook_ids(hooks: &Value) -> Vec<&str> {
    hooks
        .as_array()
        .expect("a list of hooks")
        .iter()
        .map(|h| h["id"].as_str().expect("an id"))
        .collect()
}

#[test]
fn hook_repository_has_the_root_hooks_installed_from_the_wheel() {
    let wheel = yaml("pre-commit-hooks/.pre-commit-hooks.yaml");
    let source = yaml(".pre-commit-hooks.yaml");
    assert_eq!(hook_ids(&wheel), HOOK_IDS);
    assert_eq!(hook_ids(&source), HOOK_IDS);
    for (w, s) in wheel
        .as_array()
        .unwrap()
        .iter()
        .zip(source.as_array().unwrap())
    {
        let id = w["id"].as_str().unwrap();
        assert_eq!(w["language"], "python", "{id}: installed from the wheel");
        assert_eq!(
            s["language"], "rust",
            "{id}: the root hooks build from source"
        );
        let command = id.strip_prefix("infrac-").unwrap();
        assert_eq!(w["entry"], format!("infrac {command}"), "{id}");
        for key in ["name", "entry", "files", "pass_filenames", "always_run"] {
            assert_eq!(
                w[key], s[key],
                "{id}: `{key}` differs between the two hook files"
            );
        }
        assert_eq!(w["pass_filenames"], false, "{id}");
    }
    let files: Vec<Value> = wheel
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["files"].clone())
        .collect();
    assert_eq!(
        files,
        [
            Value::from(r"^(registry\.yaml|environments/.*\.yaml|versions\.yaml|infrac\.toml)$"),
            Value::from(
                r"^(registry\.yaml|environments/.*\.yaml|versions\.yaml|infrac\.toml|ci-templates/.*)$"
            ),
            Value::Null,
        ]
    );
    assert_eq!(wheel[2]["always_run"], true);
}

#[test]
fn hook_package_pins_the_crate_version_and_builds_no_rust() {
    let pyproject = toml_file("pre-commit-hooks/pyproject.toml");
    assert_eq!(
        pyproject["project"]["dependencies"],
        toml::Value::Array(vec![format!("infrac=={VERSION}").into()])
    );
    assert_eq!(
        pyproject["build-system"]["build-backend"].as_str(),
        Some("setuptools.build_meta"),
        "the hook package must not build the crate"
    );
    let dir: Vec<String> = std::fs::read_dir(root().join("pre-commit-hooks"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !dir.iter().any(|f| f == "Cargo.toml"),
        "pre-commit-hooks/ holds no crate: {dir:?}"
    );
}

#[test]
fn wheel_carries_this_crate_binary_built_with_the_dist_profile() {
    let pyproject = toml_file("pyproject.toml");
    assert_eq!(
        pyproject["build-system"]["build-backend"].as_str(),
        Some("maturin")
    );
    let project = &pyproject["project"];
    assert_eq!(project["name"].as_str(), Some("infrac"));
    assert_eq!(
        project["dynamic"],
        toml::Value::Array(vec!["version".into()])
    );
    assert!(
        project.get("version").is_none(),
        "the version comes from Cargo.toml"
    );
    let maturin = &pyproject["tool"]["maturin"];
    assert_eq!(maturin["bindings"].as_str(), Some("bin"));
    assert_eq!(maturin["profile"].as_str(), Some("dist"));

    let cargo = toml_file("Cargo.toml");
    let profiles = &cargo["profile"];
    let dist = &profiles["dist"];
    assert_eq!(dist["inherits"].as_str(), Some("release"));
    assert_eq!(dist["lto"].as_str(), Some("fat"));
    assert_eq!(dist["codegen-units"].as_integer(), Some(1));
    let release = profiles["release"].as_table().unwrap();
    assert!(
        release.get("lto").is_none() && release.get("codegen-units").is_none(),
        "`--release` stays quick to link: {release:?}"
    );
}

#[test]
fn action_takes_a_version_defaulting_to_the_crate_version() {
    let action = yaml("action.yml");
    let inputs = action["inputs"].as_object().expect("inputs");
    assert_eq!(inputs.keys().collect::<Vec<_>>(), ["version"]);
    assert_eq!(inputs["version"]["default"], VERSION);
    assert_eq!(inputs["version"]["required"], false);
    let outputs = action["outputs"].as_object().expect("outputs");
    assert_eq!(outputs.keys().collect::<Vec<_>>(), ["path", "version"]);
    assert_eq!(action["runs"]["using"], "composite");
    let uses: Vec<&str> = action["runs"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["uses"].as_str())
        .collect();
    assert_eq!(uses, ["actions/cache@v5"]);
}

#[test]
fn readme_pre_commit_snippet_names_the_hook_repository_and_its_hooks() {
    let expected = format!(
        "repos:\n  - repo: {HOOK_REPO}\n    rev: v{VERSION}\n    hooks:\n{}",
        HOOK_IDS
            .iter()
            .map(|id| format!("      - id: {id}\n"))
            .collect::<String>()
    );
    for file in ["README.md", "pre-commit-hooks/README.md"] {
        let snippet = block_with(&read(file), "yaml", "repos:");
        assert_eq!(snippet, expected, "{file}");
        let parsed: Value = serde_saphyr::from_str(&snippet).unwrap();
        let hooks = &parsed["repos"][0]["hooks"];
        assert_eq!(
            hook_ids(hooks),
            hook_ids(&yaml("pre-commit-hooks/.pre-commit-hooks.yaml"))
        );
    }
}

#[test]
fn readme_install_snippets_name_the_crate_version_and_the_action_inputs() {
    let readme = read("README.md");
    let install =
        &readme[readme.find("## Install").unwrap()..readme.find("## The two commands").unwrap()];

    let pip = block_with(install, "sh", "pip install");
    assert!(
        pip.starts_with(&format!("pip install infrac=={VERSION} ")),
        "{pip}"
    );

    let action_snippet = block_with(install, "yaml", "uses:");
    assert_eq!(
        action_snippet,
        format!(
            "- uses: infrac-dev/infrac@v{VERSION}\n  with:\n    version: {VERSION}\n- run: infrac check\n"
        )
    );
    let steps: Value = serde_saphyr::from_str(&action_snippet).unwrap();
    let inputs = yaml("action.yml")["inputs"].clone();
    for key in steps[0]["with"].as_object().unwrap().keys() {
        assert!(
            inputs.get(key).is_some(),
            "README passes `{key}`, action.yml has no such input"
        );
    }

    let binary = block_with(install, "sh", "releases/download");
    assert!(
        binary.contains(&format!("/releases/download/v{VERSION}\n")),
        "{binary}"
    );
    assert!(binary.contains("sha256sum -c"), "{binary}");
    let release = read(".github/workflows/release.yml");
    for target in RELEASE_TARGETS {
        assert!(
            install.contains(&format!("`{target}`")),
            "README names {target}"
        );
        assert!(
            release.contains(&format!("target: {target},")),
            "release.yml builds {target}"
        );
    }

    let container = block_with(install, "sh", "docker run");
    assert!(
        container.contains(&format!("ghcr.io/infrac-dev/infrac:{VERSION} ")),
        "{container}"
    );
    let source = block_with(install, "sh", "cargo install");
    assert!(source.contains(&format!("--tag v{VERSION} ")), "{source}");
}

/// Every relative link of the README and CONTRIBUTING resolves to a file inside the repository.
#[test]
fn readme_links_stay_inside_the_repository() {
    let repo = root().canonicalize().unwrap();
    for file in ["README.md", "CONTRIBUTING.md"] {
        let text = read(file);
        assert!(
            !text.contains("../"),
            "{file} refers to a path outside the repository"
        );
        let mut rest = text.as_str();
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            let target = &rest[..rest.find(')').unwrap()];
            if target.starts_with("https://") || target.starts_with('#') {
                continue;
            }
            let path = target.split('#').next().unwrap();
            let resolved = Path::new(&repo).join(path).canonicalize();
            assert!(
                resolved.is_ok_and(|p| p.starts_with(&repo)),
                "{file} links to {target}, which is not a file of the repository"
            );
        }
    }
}
