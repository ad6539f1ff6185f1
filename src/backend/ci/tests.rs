//! Tests of the CI target on a small resolved model with every CI system.

use super::*;
use crate::model::Model;

/// The back end with the default project and `templates`.
fn emit(model: &Model, templates: &Templates) -> Result<Vec<OutputFile>, Error> {
    let project = crate::project::Project::default();
    super::emit(model, &crate::backend::EmitCtx::new(&project, templates))
}

/// Three environments in promotion order, a canary in prod behind an approval gate.
pub(crate) const MODEL: &str = r#"
platform:
  name: shop
  imageRegistry: shopacr.azurecr.io
  gitops: {repository: github.com/shop/gitops, branch: main}
  ci: [github, gitlab, azure-pipelines, jenkins]
registryServices:
  cart: &cart
    name: cart
    team: checkout
    namespace: checkout
    image: shop/cart
    build: {language: java, context: services/cart}
    ports: [{name: http, port: 8080}]
    replicas: {min: 2, max: 4}
    resources: {requests: {cpu: 250m, memory: 256Mi}, limits: {cpu: "1", memory: 1Gi}}
    rollout:
      strategy: canary
      canary:
        steps: [10, 50, 100]
        interval: 5m
        analysis: {maxErrorRate: 0.01, maxLatencyP95Ms: 250}
  web: &web
    name: web
    team: front
    namespace: front
    image: shop/web
    build: {language: node, context: apps/web/}
    replicas: {min: 1, max: 2}
    resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: 500m, memory: 256Mi}}
    rollout: {strategy: rolling}
environments:
  - &dev
    name: dev
    cloud: {provider: azure, region: westeurope}
    cluster: {name: shop-dev, version: "1.31"}
    terraform: {backend: {type: azurerm}}
    secretStore: {type: azure-key-vault, name: shop-dev-kv}
    network: {cidr: 10.0.0.0/16}
    monitoring: {prometheusUrl: "http://prometheus.monitoring:9090"}
    namespaceSuffix: "-dev"
    promotion: null
    imageTags: branch-sha-timestamp
    infraDefaults: {}
    services: {cart: *cart, web: *web}
    disabled: []
  - name: staging
    cloud: {provider: aws, region: eu-west-1}
    cluster: {name: shop-staging, version: "1.31"}
    terraform: {backend: {type: s3}}
    secretStore: {type: aws-secrets-manager, name: shop-staging}
    network: {cidr: 10.1.0.0/16}
    monitoring: {prometheusUrl: "http://prometheus.monitoring:9090"}
    namespaceSuffix: "-staging"
    promotion: {from: dev}
    imageTags: staging-version
    infraDefaults: {}
    services: {cart: *cart, web: *web}
    disabled: []
  - name: prod
    cloud: {provider: gcp, region: europe-west1}
    cluster: {name: shop-prod, version: "1.31"}
    terraform: {backend: {type: gcs}}
    secretStore: {type: gcp-secret-manager, name: shop-prod}
    network: {cidr: 10.2.0.0/16}
    monitoring: {prometheusUrl: "http://prometheus.monitoring:9090"}
    namespaceSuffix: ""
    promotion: {from: staging, approval: required}
    imageTags: semver
    infraDefaults: {}
    services: {cart: *cart, web: *web}
    disabled: []
"#;

pub(crate) fn model() -> Model {
    serde_saphyr::from_str(MODEL).expect("test model parses")
}

pub(crate) fn emit_all(templates: &Templates) -> Vec<OutputFile> {
    emit(&model(), templates).expect("CI target emits")
}

fn get<'a>(files: &'a [OutputFile], path: &str) -> &'a str {
    &files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("{path} not generated"))
        .contents
}

#[test]
fn deterministic() {
    let t = Templates::builtin().unwrap();
    assert_eq!(emit_all(&t), emit_all(&t));
}

/// `model` with prod in three cells over two waves (its own region, cluster and Prometheus
/// per cell) and `bake: 30m`, and cart with `migrations`.
fn with_cells(mut model: Model) -> Model {
    let prod = model
        .environments
        .iter_mut()
        .find(|e| e.name == "prod")
        .unwrap();
    let cell = |name: &str, region: &str, prod: &crate::model::Environment| {
        let mut environment = prod.clone();
        environment.cloud.region = region.to_owned();
        environment.cluster.name = format!("shop-{name}");
        environment.monitoring.prometheus_url = format!("http://prometheus.{name}:9090");
        crate::model::Cell {
            name: name.to_owned(),
            environment,
        }
    };
    prod.cells = vec![
        cell("eu-1", "europe-west2", prod),
        cell("eu-2", "europe-west1", prod),
        cell("eu-3", "europe-west4", prod),
    ];
    prod.waves = vec![vec!["eu-1".into()], vec!["eu-2".into(), "eu-3".into()]];
    prod.bake = Some("30m".into());
    let migrations: crate::model::Migrations =
        serde_saphyr::from_str("{tool: flyway, command: [flyway, migrate]}").unwrap();
    for s in model.registry_services.values_mut().chain(
        model
            .environments
            .iter_mut()
            .flat_map(|e| e.services.values_mut()),
    ) {
        if s.name == "cart" {
            s.migrations = Some(migrations.clone());
        }
    }
    model
}

#[test]
fn every_template_is_used() {
    let t = Templates::builtin().unwrap();
    emit_all(&t);
    emit(&with_cells(model()), &t).unwrap();
    let rendered = t.rendered();
    for name in templates::builtin_names() {
        if name.ends_with("macros.j2") {
            let importers = templates::builtin_names()
                .filter(|other| other.starts_with(name.rsplit_once('/').unwrap().0))
                .filter(|other| rendered.contains(*other))
                .count();
            assert!(importers > 0, "{name} is imported by no rendered template");
        } else {
            assert!(rendered.contains(name), "{name} is never rendered");
        }
    }
}

#[test]
fn github_build_calls_the_reusable_workflow() {
    let t = Templates::builtin().unwrap();
    let files = emit_all(&t);
    let cart = get(&files, "ci/github/build-cart.yml");
    assert!(cart.contains("uses: ./.github/workflows/reusable-build.yml"));
    assert!(cart.contains("- \"services/cart/**\""));
    assert!(cart.contains("image: shopacr.azurecr.io/shop/cart"));
    let web = get(&files, "ci/github/build-web.yml");
    assert!(web.contains("- \"apps/web/**\""), "context slash trimmed");
    let reusable = get(&files, "ci/github/reusable-build.yml");
    assert!(reusable.contains("TAG_POLICY: branch-sha-timestamp"));
    assert!(reusable.contains("severity: HIGH,CRITICAL"));
    assert!(reusable.contains(
        "env:\n          ACR_NAME: shopacr\n        run: az acr login --name \"$ACR_NAME\""
    ));
    assert!(reusable.contains("infrac set-image \"$SERVICE\" \"$TAG\" --env dev"));
    assert!(!reusable.contains("latest"));
}

#[test]
fn github_promotion_follows_the_chain_with_gates() {
    let t = Templates::builtin().unwrap();
    let files = emit_all(&t);
    let promote = get(&files, "ci/github/promote.yml");
    assert!(promote.contains("promote-staging:"));
    assert!(promote.contains("FROM_ENV: staging\n          TO_ENV: prod"));
    assert!(promote.contains("environment: prod"));
    assert!(!promote.contains("promote-dev:"), "dev is a root");
    let canary = get(&files, "ci/github/canary.yml");
    assert!(canary.contains("canary-prod:"));
    assert!(canary.contains("max_error_rate=\"0.01\""));
    assert!(canary.contains("if: failure() || cancelled()"));
    let terraform = get(&files, "ci/github/terraform.yml");
    assert!(terraform.contains("needs: apply-staging"));
    assert!(terraform.contains("aws-actions/configure-aws-credentials@v6"));
    assert!(terraform.contains("google-github-actions/auth@v3"));
}

#[test]
fn gitlab_has_every_stage_and_manual_gates() {
    let t = Templates::builtin().unwrap();
    let files = emit_all(&t);
    let ci = get(&files, "ci/gitlab/.gitlab-ci.yml");
    for job in [
        "infrac-check:",
        "test-cart:",
        "build-cart:",
        "publish-cart:",
        "plan-prod:",
        "apply-prod:",
        "promote-staging:",
        "promote-prod:",
        "canary-prod:",
    ] {
        assert!(ci.contains(&format!("\n{job}\n")), "{job} missing");
    }
    let prod_at = ci.find("\npromote-prod:").unwrap();
    let staging_at = ci.find("\npromote-staging:").unwrap();
    assert!(ci[prod_at..].contains("when: manual"), "prod is gated");
    assert!(
        !ci[staging_at..prod_at].contains("when: manual"),
        "staging is not"
    );
    assert!(ci.contains("extends: .test-java"));
    assert!(ci.contains("aud: api://AzureADTokenExchange"));
    assert!(!ci.contains("latest"));
}

#[test]
fn azure_pipelines_extend_one_template_and_gate_with_environments() {
    let t = Templates::builtin().unwrap();
    let files = emit_all(&t);
    let cart = get(&files, "ci/azure-pipelines/build-cart.yml");
    assert!(cart.contains("template: build-template.yml"));
    assert!(cart.contains("- cart/v*"));
    let promote = get(&files, "ci/azure-pipelines/promote.yml");
    assert!(promote.contains("- deployment: promote\n        environment: prod"));
    let terraform = get(&files, "ci/azure-pipelines/terraform.yml");
    assert!(terraform.contains("dependsOn: apply_staging"));
    assert!(terraform.contains("azureSubscription: infrac-dev"));
    assert!(terraform.contains("AWS_ROLE_ARN: $(AWS_ROLE_ARN_STAGING)"));
}

#[test]
fn jenkins_gates_with_input_and_escapes_backslashes() {
    let t = Templates::builtin().unwrap();
    let files = emit_all(&t);
    let promote = get(&files, "ci/jenkins/Jenkinsfile.promote");
    let prod_at = promote.find("stage('Promote to prod')").unwrap();
    assert!(
        promote[prod_at..].contains("input {"),
        "prod waits for input"
    );
    assert!(!promote[..prod_at].contains("input {"), "staging does not");
    let build = get(&files, "ci/jenkins/Jenkinsfile.build-cart");
    assert!(
        build.contains(r"grep -Eq '^[0-9]+\\.[0-9]+"),
        "backslashes doubled inside Groovy strings"
    );
    assert!(build.contains("changeset 'services/cart/**'"));
    let canary = get(&files, "ci/jenkins/Jenkinsfile.canary");
    assert!(canary.contains("unsuccessful {"));
}

#[test]
fn only_the_listed_ci_systems_are_emitted() {
    let mut model = model();
    model.platform.ci = vec![crate::model::CiSystem::Gitlab];
    let files = emit(&model, &Templates::builtin().unwrap()).unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["ci/gitlab/.gitlab-ci.yml"]);
    model.platform.ci.clear();
    assert!(
        emit(&model, &Templates::builtin().unwrap())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn release_tag_policies_reach_the_build() {
    let mut model = model();
    model.environments[0].image_tags = crate::model::TagPolicy::Semver;
    let files = emit(&model, &Templates::builtin().unwrap()).unwrap();
    assert!(get(&files, "ci/github/reusable-build.yml").contains("TAG_POLICY: semver"));
    assert!(get(&files, "ci/github/build-cart.yml").contains("- \"cart/v*\""));
}

#[test]
fn override_replaces_a_builtin_by_relative_path() {
    let overrides = std::collections::BTreeMap::from([(
        templates::GITHUB_CHECK.to_owned(),
        "# custom check for [[ platform.name ]]\nname: check\non: push\njobs: {}\n".to_owned(),
    )]);
    let t = Templates::with_overrides(&overrides).unwrap();
    let files = emit_all(&t);
    assert!(get(&files, "ci/github/infrac-check.yml").starts_with("# custom check for shop\n"));
    let builtin = emit_all(&Templates::builtin().unwrap());
    assert_eq!(
        get(&files, "ci/github/promote.yml"),
        get(&builtin, "ci/github/promote.yml")
    );
}

#[test]
fn broken_override_names_template_and_line() {
    let overrides = std::collections::BTreeMap::from([(
        templates::GITHUB_PROMOTE.to_owned(),
        "name: promote\n\njobs:\n  x: [[ platform.nope ]]\n".to_owned(),
    )]);
    let t = Templates::with_overrides(&overrides).unwrap();
    let err = emit(&model(), &t).unwrap_err().to_string();
    assert!(err.contains(templates::GITHUB_PROMOTE), "{err}");
    assert!(err.contains("line 4"), "{err}");
}

/// Writes the generated files of the test model, and of a variant on a generic registry,
/// to `$INFRAC_CI_OUT` (default `/tmp/ci-out`) for the conformance script:
/// `cargo test --lib dump_for_conformance -- --ignored`.
#[test]
#[ignore]
fn dump_for_conformance() {
    let out = std::env::var("INFRAC_CI_OUT").unwrap_or_else(|_| "/tmp/ci-out".into());
    let out = std::path::Path::new(&out);
    let _ = std::fs::remove_dir_all(out);
    let mut generic = model();
    generic.platform.image_registry = "ghcr.io/shop".into();
    let t = Templates::builtin().unwrap();
    for (dir, model) in [("shop", model()), ("generic", generic)] {
        for f in emit(&model, &t).unwrap() {
            let path = out.join(dir).join(&f.path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, &f.contents).unwrap();
        }
    }
}

fn example() -> Model {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    crate::pipeline::load_model(root).unwrap_or_else(|_| panic!("the example validates"))
}

#[test]
fn example_platform_pipelines() {
    let model = example();
    let files = emit(&model, &Templates::builtin().unwrap()).unwrap();
    for service in model.registry_services.keys() {
        get(&files, &format!("ci/github/build-{service}.yml"));
        get(&files, &format!("ci/azure-pipelines/build-{service}.yml"));
    }
    assert!(!files.iter().any(|f| f.path.starts_with("ci/gitlab/")));
    let reusable = get(&files, "ci/github/reusable-build.yml");
    assert!(reusable.contains(
        "env:\n          ACR_NAME: paymentsacr\n        run: az acr login --name \"$ACR_NAME\""
    ));
    assert!(reusable.contains("--env dev"));
    let promote = get(&files, "ci/github/promote.yml");
    assert!(promote.contains("promote-prod:") && promote.contains("FROM_ENV: staging"));
    let canary = get(&files, "ci/github/canary.yml");
    assert!(canary.contains("payment-service)"));
    assert!(canary.contains("steps=\"10 25 50 100\"; interval=1800"));
    assert!(canary.contains("max_latency_p95_ms=\"200\""));
}

#[test]
fn fixture_registries_log_in_per_cloud() {
    let t = Templates::builtin().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid");
    let load = |name: &str| {
        crate::pipeline::load_model(&root.join(name)).unwrap_or_else(|_| panic!("{name}"))
    };
    let aws = emit(&load("aws-shop"), &t).unwrap();
    let gitlab = get(&aws, "ci/gitlab/.gitlab-ci.yml");
    assert!(gitlab.contains(
        "aws ecr get-login-password --region \"$ECR_REGION\" | docker login \"$REGISTRY_HOST\" -u AWS"
    ));
    assert!(gitlab.contains("  ECR_REGION: eu-west-1\n"), "{gitlab}");
    let gcp = emit(&load("gcp-analytics"), &t).unwrap();
    let jenkins = gcp
        .iter()
        .find(|f| f.path.starts_with("ci/jenkins/Jenkinsfile.build-"));
    let jenkins = &jenkins.expect("a Jenkins build").contents;
    assert!(jenkins.contains("docker login \"$REGISTRY_HOST\" -u oauth2accesstoken"));
    assert!(jenkins.contains("REGISTRY_HOST = 'europe-west1-docker.pkg.dev'"));
}

/// `out` and `versions` of `infrac.toml` reach every pipeline: the custom-paths fixture
/// (`out = "generated"`, `versions = "deploy/versions.yaml"`) names its own paths in every
/// CI system's files and never the defaults.
#[test]
fn pipelines_use_the_project_paths() {
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid/custom-paths");
    let frontend = crate::pipeline::run_frontend(&root);
    let model = frontend.model.as_ref().expect("custom-paths validates");
    assert_eq!(
        (
            frontend.project.out.as_str(),
            frontend.project.versions.as_str()
        ),
        ("generated", "deploy/versions.yaml")
    );
    let t = Templates::builtin().unwrap();
    let files = super::emit(model, &crate::backend::EmitCtx::new(&frontend.project, &t)).unwrap();
    for f in &files {
        assert!(!f.contents.contains("golden/"), "{} names golden/", f.path);
        let bare = f
            .contents
            .match_indices("versions.yaml")
            .filter(|(i, _)| !f.contents[..*i].ends_with("deploy/"))
            .count();
        assert_eq!(bare, 0, "{} names a bare versions.yaml", f.path);
    }
    for terraform in [
        "ci/github/terraform.yml",
        "ci/gitlab/.gitlab-ci.yml",
        "ci/azure-pipelines/terraform.yml",
        "ci/jenkins/Jenkinsfile.terraform",
    ] {
        assert!(
            get(&files, terraform).contains("generated/terraform/environments/prod"),
            "{terraform}"
        );
    }
    assert!(
        get(&files, "ci/github/terraform.yml").contains("- \"generated/terraform/modules/**\"")
    );
    for promote in [
        "ci/github/promote.yml",
        "ci/gitlab/.gitlab-ci.yml",
        "ci/azure-pipelines/promote.yml",
        "ci/jenkins/Jenkinsfile.promote",
    ] {
        let text = get(&files, promote);
        assert!(
            text.contains("VERSIONS_FILE: deploy/versions.yaml")
                || text.contains("VERSIONS_FILE = 'deploy/versions.yaml'"),
            "{promote}"
        );
    }
}

/// Hostile text in every free-text value that reaches a pipeline: newline, quotes, command
/// substitution, backticks, a GitHub expression, YAML indicators, a backslash, unicode and
/// a line separator. No `/`, so host and path splitting stay as in the benign model.
const HOSTILE: &str = "\n  evil:\n    run: id\n'\"$(id)`id`${{ github.event.issue.title }} # : * & ! | > % @ ü \u{2028}\\ ''' \"\"\" ${x} -- end";

/// The test model with Vault as staging's secret store, so the Vault login is rendered too.
fn with_vault(mut model: Model) -> Model {
    let store = &mut model.environments[1].secret_store;
    store.kind = crate::model::SecretStoreKind::Vault;
    store.address = Some("https://vault.shop.example:8200".into());
    model
}

/// The test model with [`HOSTILE`] in every free-text value that reaches a pipeline (names
/// of services and environments, namespaces and enums are identifiers the schema limits to
/// DNS labels or fixed words), and a project whose paths hold it too.
fn hostile() -> (Model, crate::project::Project) {
    let h = HOSTILE;
    let mut model = with_cells(with_vault(model()));
    for cell in model
        .environments
        .iter_mut()
        .flat_map(|e| e.cells.iter_mut())
    {
        let e = &mut cell.environment;
        e.cloud.region = format!("{}{h}", e.cloud.region);
        e.cluster.name = format!("{}{h}", e.cluster.name);
        e.monitoring.prometheus_url = format!("{}{h}", e.monitoring.prometheus_url);
        cell.name = format!("{}{h}", cell.name);
    }
    for env in &mut model.environments {
        for name in env.waves.iter_mut().flatten() {
            name.push_str(h);
        }
    }
    model.environments[1].secret_store.address = Some(format!("https://vault{h}:8200"));
    model.platform.image_registry = format!("shop{h}acr.azurecr.io");
    model.platform.gitops.repository = format!("git{h}hub.com/shop/gitops{h}");
    model.platform.gitops.branch = format!("main{h}");
    let services = model.registry_services.values_mut().chain(
        model
            .environments
            .iter_mut()
            .flat_map(|e| e.services.values_mut()),
    );
    for s in services {
        s.image = format!("{}{h}", s.image);
        s.build.context = format!("{}{h}", s.build.context);
        s.build.dockerfile = Some(format!("docker{h}/Dockerfile"));
    }
    for env in &mut model.environments {
        env.cloud.region = format!("{}{h}", env.cloud.region);
        env.monitoring.prometheus_url = format!("http://prometheus{h}:9090");
        if let Some(p) = env.promotion.as_mut() {
            p.approvers = format!("leads{h}");
        }
    }
    let project = crate::project::Project {
        out: format!("out{h}"),
        versions: format!("versions{h}.yaml"),
        registry: format!("registry{h}.yaml"),
        ..Default::default()
    };
    (model, project)
}

/// A YAML document's structure: mapping keys and sequence lengths kept, every scalar
/// replaced by its type.
fn shape(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
        Value::Array(items) => Value::Array(items.iter().map(shape).collect()),
        Value::String(_) => Value::from("string"),
        Value::Number(_) => Value::from("number"),
        Value::Bool(_) => Value::from("bool"),
        Value::Null => Value::Null,
    }
}

/// The shell scripts in a parsed pipeline: every string under a key that CI systems run
/// (`run`, `script`, `before_script`, `after_script`, `bash`, `inlineScript`).
fn yaml_scripts(value: &serde_json::Value, under_script: bool, out: &mut Vec<String>) {
    use serde_json::Value;
    match value {
        Value::Object(m) => {
            for (k, v) in m {
                let script = matches!(
                    k.as_str(),
                    "run" | "script" | "before_script" | "after_script" | "bash" | "inlineScript"
                );
                yaml_scripts(v, script, out);
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|v| yaml_scripts(v, under_script, out)),
        Value::String(s) if under_script => out.push(s.clone()),
        _ => {}
    }
}

/// A Groovy token: code outside literals, or a string literal / comment (text decoded).
#[derive(Debug, Clone, PartialEq)]
enum Groovy {
    Code(String),
    Str { kind: &'static str, text: String },
    Comment,
}

/// Splits Groovy source into code, string literals (`'…'`, `'''…'''`, `"…"`, `"""…"""`,
/// backslash escapes decoded) and comments. Panics on an unterminated literal.
fn groovy_tokens(src: &str) -> Vec<Groovy> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut code = String::new();
    let mut i = 0;
    let at = |i: usize, s: &str| {
        s.chars()
            .enumerate()
            .all(|(k, c)| chars.get(i + k) == Some(&c))
    };
    while i < chars.len() {
        if at(i, "//") {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            out.push(Groovy::Code(std::mem::take(&mut code)));
            out.push(Groovy::Comment);
            continue;
        }
        let quote = ["'''", "\"\"\"", "'", "\""].into_iter().find(|q| at(i, q));
        let Some(quote) = quote else {
            code.push(chars[i]);
            i += 1;
            continue;
        };
        out.push(Groovy::Code(std::mem::take(&mut code)));
        i += quote.len();
        let mut text = String::new();
        loop {
            assert!(i < chars.len(), "unterminated Groovy string {quote}{text}");
            if chars[i] == '\\' {
                let c = chars[i + 1];
                text.push(match c {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    'u' => {
                        let hex: String = chars[i + 2..i + 6].iter().collect();
                        i += 4;
                        char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap()
                    }
                    other => other,
                });
                i += 2;
                continue;
            }
            if at(i, quote) {
                i += quote.len();
                break;
            }
            assert!(
                quote.len() == 3 || chars[i] != '\n',
                "newline in a one-line Groovy string {quote}{text}"
            );
            text.push(chars[i]);
            i += 1;
        }
        out.push(Groovy::Str { kind: quote, text });
    }
    out.push(Groovy::Code(code));
    out.retain(|t| t != &Groovy::Code(String::new()));
    out
}

/// Groovy structure: code and literal kinds, literal text dropped.
fn groovy_shape(tokens: &[Groovy]) -> Vec<Groovy> {
    tokens
        .iter()
        .map(|t| match t {
            Groovy::Str { kind, .. } => Groovy::Str {
                kind,
                text: String::new(),
            },
            other => other.clone(),
        })
        .collect()
}

/// `bash -n` and, where installed (always under `CI`), `shellcheck -S error` on `script`.
fn check_shell(script: &str, what: &str) {
    use std::io::Write;
    let run = |program: &str, args: &[&str]| -> Option<std::process::Output> {
        let mut child = std::process::Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .ok()?;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(script.as_bytes())
            .unwrap();
        Some(child.wait_with_output().unwrap())
    };
    let bash = run("bash", &["-n"]).expect("bash is installed");
    assert!(
        bash.status.success(),
        "bash -n fails on {what}:\n{}\n{script}",
        String::from_utf8_lossy(&bash.stderr)
    );
    match run("shellcheck", &["-s", "bash", "-S", "error", "-"]) {
        Some(sc) => assert!(
            sc.status.success(),
            "shellcheck fails on {what}:\n{}\n{script}",
            String::from_utf8_lossy(&sc.stdout)
        ),
        None => assert!(
            std::env::var_os("CI").is_none(),
            "shellcheck is missing and CI is set: install it (apt-get install -y shellcheck)"
        ),
    }
}

/// No value can change the structure of a generated pipeline: every file rendered from
/// the hostile model parses (YAML with serde-saphyr, Groovy literals with a tokenizer) to
/// the same structure as the benign render, every script in it is byte-identical to the
/// benign one (values reach scripts only through CI variables), and every script passes
/// `bash -n` and shellcheck.
#[test]
fn hostile_values_do_not_change_any_pipeline_structure() {
    let t = Templates::builtin().unwrap();
    let benign_project = crate::project::Project::default();
    let benign = super::emit(
        &with_cells(with_vault(model())),
        &crate::backend::EmitCtx::new(&benign_project, &t),
    )
    .expect("benign model emits");
    let (model, project) = hostile();
    let hostile = super::emit(&model, &crate::backend::EmitCtx::new(&project, &t))
        .expect("hostile model emits");
    assert_eq!(
        benign.iter().map(|f| &f.path).collect::<Vec<_>>(),
        hostile.iter().map(|f| &f.path).collect::<Vec<_>>()
    );
    let mut scripts = std::collections::BTreeSet::new();
    let mut checked = 0;
    for (b, h) in benign.iter().zip(&hostile) {
        let path = &b.path;
        if path.ends_with(".yml") {
            let parse = |text: &str| -> serde_json::Value {
                serde_saphyr::from_str(text)
                    .unwrap_or_else(|e| panic!("{path} does not parse: {e}\n{text}"))
            };
            let (bv, hv) = (parse(&b.contents), parse(&h.contents));
            assert_eq!(shape(&bv), shape(&hv), "{path}: structure changed");
            let (mut bs, mut hs) = (Vec::new(), Vec::new());
            yaml_scripts(&bv, false, &mut bs);
            yaml_scripts(&hv, false, &mut hs);
            assert!(
                !bs.is_empty() || path.contains("build-"),
                "{path}: no scripts found"
            );
            assert_eq!(bs, hs, "{path}: a value reached a script");
            scripts.extend(bs.into_iter().map(|s| (path.clone(), s)));
        } else {
            assert!(path.contains("Jenkinsfile"), "{path}");
            let (bt, ht) = (groovy_tokens(&b.contents), groovy_tokens(&h.contents));
            assert_eq!(
                groovy_shape(&bt),
                groovy_shape(&ht),
                "{path}: Groovy structure changed"
            );
            // The `sh` scripts (triple-quoted literals) carry no value at all.
            let sh = |tokens: &[Groovy]| -> Vec<String> {
                tokens
                    .iter()
                    .filter_map(|t| match t {
                        Groovy::Str { kind: "'''", text } => Some(text.clone()),
                        _ => None,
                    })
                    .collect()
            };
            assert_eq!(sh(&bt), sh(&ht), "{path}: a value reached a script");
            assert!(
                !ht.iter().any(|t| matches!(t, Groovy::Str { kind: "\"" | "\"\"\"", text } if text.contains("$(id)"))),
                "{path}: a value in an interpolated Groovy string"
            );
            scripts.extend(sh(&bt).into_iter().map(|s| (path.clone(), s)));
        }
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} files checked");
    // Hostile text did reach the files (through the safe channels), or the test proves nothing.
    for needle in [
        "$(id)",
        "github.event.issue.title",
        "submitter 'leads",
        "https://vault",
        "http://prometheus.eu-1:9090",
        "shop-eu-1",
        "europe-west2",
        "CELL_1_NAME",
        "--cell \"$CELL\"",
        "infrac rollout advance",
        "kubectl kustomize",
    ] {
        assert!(
            hostile.iter().any(|f| f.contents.contains(needle)),
            "{needle} never rendered"
        );
    }
    for (path, script) in &scripts {
        check_shell(script, path);
    }
}

/// Whether a script runs an infrac command (not just names one in a label).
fn runs_infrac(script: &str) -> bool {
    static RUNS: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RUNS.get_or_init(|| {
        regex::Regex::new(
            r"(^|[\s;&|(])infrac (validate|build|plan|check|explain|set-image|promote|canary)\b",
        )
        .unwrap()
    })
    .is_match(script)
}

/// The scripts of one YAML step (`run`, `script`, `bash`, `inlineScript` of a task).
fn step_scripts(step: &serde_json::Value) -> String {
    let mut out = String::new();
    for key in ["run", "script", "bash"] {
        if let Some(s) = step.get(key).and_then(|v| v.as_str()) {
            out.push_str(s);
        }
    }
    if let Some(s) = step
        .pointer("/inputs/inlineScript")
        .and_then(|v| v.as_str())
    {
        out.push_str(s);
    }
    out
}

/// Every step list under `value` (GitHub jobs, Azure jobs and deployment strategies): each
/// step that runs infrac comes after a step `installs` accepts. Returns the installs seen.
fn check_steps(
    value: &serde_json::Value,
    what: &str,
    installs: &dyn Fn(&serde_json::Value) -> bool,
) -> usize {
    let mut seen = 0;
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                if key == "steps"
                    && let Some(steps) = v.as_array()
                {
                    let mut installed = false;
                    for step in steps {
                        if installs(step) {
                            installed = true;
                            seen += 1;
                        }
                        assert!(
                            installed || !runs_infrac(&step_scripts(step)),
                            "{what}: a step runs infrac before installing the pinned release:\n{step}"
                        );
                    }
                }
                seen += check_steps(v, what, installs);
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                seen += check_steps(v, what, installs);
            }
        }
        _ => {}
    }
    seen
}

/// Every pipeline of every CI system installs exactly the infrac release that generated it
/// (the Action on GitHub, the pinned wheel elsewhere) before it runs infrac, and none
/// compiles it: on the test model, the example and every fixture.
#[test]
fn every_pipeline_installs_the_release_that_generated_it() {
    let version = env!("CARGO_PKG_VERSION");
    let action = format!("infrac-dev/infrac@v{version}");
    let t = Templates::builtin().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid");
    let mut sets = vec![("model".to_owned(), emit_all(&t))];
    sets.push(("example".to_owned(), emit(&example(), &t).unwrap()));
    for fixture in ["aws-shop", "azure-minimal", "gcp-analytics"] {
        let model = crate::pipeline::load_model(&root.join(fixture))
            .unwrap_or_else(|_| panic!("{fixture} validates"));
        sets.push((fixture.to_owned(), emit(&model, &t).unwrap()));
    }
    let mut systems = BTreeSet::new();
    for (set, files) in &sets {
        for file in files {
            let what = format!("{set}: {}", file.path);
            let text = &file.contents;
            assert!(!text.contains("cargo install"), "{what} compiles infrac");
            let system = file.path.split('/').nth(1).unwrap_or_default().to_owned();
            let runs = runs_infrac(text);
            match system.as_str() {
                "github" => {
                    let doc: serde_json::Value = serde_saphyr::from_str(text).unwrap();
                    let installs = |step: &serde_json::Value| {
                        step.get("uses").and_then(|u| u.as_str()) == Some(action.as_str())
                            && step.pointer("/with/version").and_then(|v| v.as_str())
                                == Some(version)
                    };
                    let seen = check_steps(&doc, &what, &installs);
                    assert!(!runs || seen > 0, "{what} runs infrac, installs none");
                }
                "azure-pipelines" => {
                    let doc: serde_json::Value = serde_saphyr::from_str(text).unwrap();
                    let installs = |step: &serde_json::Value| {
                        step_scripts(step).contains("pip\" install")
                            && step_scripts(step).contains("\"infrac==$INFRAC_VERSION\"")
                            && step.pointer("/env/INFRAC_VERSION").and_then(|v| v.as_str())
                                == Some(version)
                    };
                    let seen = check_steps(&doc, &what, &installs);
                    assert!(!runs || seen > 0, "{what} runs infrac, installs none");
                }
                "gitlab" => {
                    let doc: serde_json::Value = serde_saphyr::from_str(text).unwrap();
                    assert_eq!(
                        doc.pointer("/variables/INFRAC_VERSION")
                            .and_then(|v| v.as_str()),
                        Some(version),
                        "{what}"
                    );
                    let install = doc
                        .pointer("/.infrac/before_script/0")
                        .and_then(|v| v.as_str());
                    assert!(
                        install.is_some_and(|s| s.contains("pip install")
                            && s.contains("\"infrac==$INFRAC_VERSION\"")),
                        "{what}: {install:?}"
                    );
                    let mut jobs = 0;
                    for (name, job) in doc.as_object().unwrap() {
                        let lines = job.get("script").and_then(|s| s.as_array());
                        let script: Vec<&str> = lines
                            .into_iter()
                            .flatten()
                            .filter_map(|l| l.as_str())
                            .collect();
                        if !runs_infrac(&script.join("\n")) {
                            continue;
                        }
                        jobs += 1;
                        let extends = job
                            .get("extends")
                            .map(|e| e.to_string())
                            .unwrap_or_default();
                        assert!(
                            extends.contains("\".infrac\""),
                            "{what}: job {name} runs infrac without extending .infrac"
                        );
                    }
                    assert!(jobs > 0, "{what}: no job runs infrac");
                }
                "jenkins" => {
                    let install = format!(
                        "install --quiet --disable-pip-version-check \"infrac=={version}\""
                    );
                    // Each `sh` script runs in its own shell: each installs before it runs.
                    for script in text.split("sh(label:").skip(1) {
                        let script = script.split("''')").next().unwrap_or_default();
                        if let Some(first) = script.lines().position(runs_infrac) {
                            let before: Vec<&str> = script.lines().take(first).collect();
                            assert!(
                                before.iter().any(|l| l.contains(&install)),
                                "{what}: an sh step runs infrac without installing {version}:\n{script}"
                            );
                        }
                    }
                    assert!(
                        !text
                            .lines()
                            .any(|l| l.trim_start().starts_with("sh '") && runs_infrac(l)),
                        "{what}: a one-line sh step runs infrac"
                    );
                }
                _ => continue,
            }
            if runs {
                systems.insert(system);
            }
        }
    }
    assert_eq!(
        systems.into_iter().collect::<Vec<_>>(),
        ["azure-pipelines", "github", "gitlab", "jenkins"]
    );
}

/// Writes an executable bash script `name` with `body` into `bin`: a stand-in on PATH for
/// a command a rendered script calls.
fn stub_command(bin: &std::path::Path, name: &str, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = bin.join(name);
    std::fs::write(&path, format!("#!/usr/bin/env bash\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Runs prod's rendered canary driver for `cart` with stubs on PATH: `curl` answers every
/// Prometheus query with `answer` (a JSON body), `sleep` returns at once, `infrac` logs its
/// arguments. Returns the exit status, stderr and the infrac calls.
fn run_canary(answer: &str) -> (i32, String, String) {
    let t = Templates::builtin().unwrap();
    let shared = Shared::new(&model(), &t, &PathsCtx::default()).unwrap();
    let prod = shared
        .canaries
        .iter()
        .find(|c| c.environment.name == "prod")
        .expect("prod has a canary");
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let stub = |name: &str, body: &str| stub_command(&bin, name, body);
    let log = dir.path().join("infrac.log");
    std::fs::write(dir.path().join("answer.json"), answer).unwrap();
    stub("curl", &format!("cat {:?}", dir.path().join("answer.json")));
    stub("sleep", "exit 0");
    stub("infrac", &format!("echo \"$*\" >> {log:?}"));
    let script = format!("gitops_publish() {{ shift; \"$@\"; }}\n{}\n", prod.script);
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(&script)
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("SERVICE", "cart")
        .env("TAG", "v1.4.0")
        .env("PROMETHEUS_URL", "http://prometheus.test:9090")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        std::fs::read_to_string(&log).unwrap_or_default(),
    )
}

/// The canary driver's gate: a query that returns no series (no traffic reached the canary,
/// a missing metric) fails the step like a breach does, and so does NaN; only numbers
/// within the thresholds advance the canary.
#[test]
fn canary_driver_fails_on_no_data() {
    let empty = r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;
    let (code, err, calls) = run_canary(empty);
    assert_ne!(code, 0, "no data passed the gate: {err}");
    assert!(
        err.contains(
            "analysis failed: error rate none (no data counts as a failure) against max 0.01"
        ),
        "{err}"
    );
    assert_eq!(calls, "canary start cart --env prod --tag v1.4.0\n");

    let nan = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"NaN"]}]}}"#;
    let (code, err, calls) = run_canary(nan);
    assert_ne!(code, 0, "NaN passed the gate: {err}");
    assert_eq!(calls, "canary start cart --env prod --tag v1.4.0\n");

    let breach = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"0.5"]}]}}"#;
    let (code, _, calls) = run_canary(breach);
    assert_ne!(code, 0);
    assert_eq!(calls, "canary start cart --env prod --tag v1.4.0\n");

    // 0.005 is within both bounds (error rate 0.01, p95 250 ms): every step, then promote.
    let healthy = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"0.005"]}]}}"#;
    let (code, err, calls) = run_canary(healthy);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        calls,
        "canary start cart --env prod --tag v1.4.0\n\
         canary advance cart --env prod\n\
         canary promote cart --env prod\n"
    );
}

fn yaml(files: &[OutputFile], path: &str) -> serde_json::Value {
    serde_saphyr::from_str(get(files, path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn aws_shop() -> Model {
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid/aws-shop");
    crate::pipeline::load_model(&root).unwrap_or_else(|_| panic!("aws-shop validates"))
}

/// Every Terraform root of every environment, in apply order, with its required variables
/// as the Terraform back end declares them: (root, [(TF_VAR_name, CI variable)]).
fn roots(model: &Model) -> Vec<(String, Vec<(String, String)>)> {
    model
        .environments
        .iter()
        .flat_map(|env| {
            let suffix = env.name.to_ascii_uppercase().replace('-', "_");
            crate::backend::terraform::roots(model, env)
                .into_iter()
                .map(move |r| {
                    let vars = r
                        .required
                        .iter()
                        .map(|(n, _)| {
                            (
                                format!("TF_VAR_{n}"),
                                format!("{}_{suffix}", n.to_ascii_uppercase()),
                            )
                        })
                        .collect();
                    (r.dir, vars)
                })
        })
        .collect()
}

fn str_at<'a>(v: &'a serde_json::Value, pointer: &str) -> &'a str {
    v.pointer(pointer)
        .and_then(|s| s.as_str())
        .unwrap_or_else(|| panic!("no string at {pointer} in {v}"))
}

/// The scripts of a GitHub job's steps, in order, with each step's name or action.
fn github_steps(job: &serde_json::Value) -> Vec<(String, String)> {
    job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let name = s
                .get("name")
                .or_else(|| s.get("uses"))
                .and_then(|n| n.as_str())
                .unwrap_or_default()
                .to_owned();
            (name, step_scripts(s))
        })
        .collect()
}

/// GitHub: the pull-request job fetches the target branch (from GITHUB_BASE_REF through env),
/// plans against it with exit 2 as "changes", posts one sticky comment and checks against
/// it; Terraform plans every root on pull requests and applies it on main, messaging after
/// its environment, environments in promotion order in their GitHub Environments, every
/// required root variable from a repository variable; promote takes a version.
#[test]
fn github_job_graph() {
    let t = Templates::builtin().unwrap();
    let version = env!("CARGO_PKG_VERSION");
    for (i, model) in [with_vault(model()), aws_shop()].into_iter().enumerate() {
        let files = emit(&model, &t).unwrap();
        let check = yaml(&files, "ci/github/infrac-check.yml");
        let job = &check["jobs"]["check"];
        assert_eq!(job["steps"][0]["with"]["fetch-depth"], 2);
        let steps = github_steps(job);
        let names: Vec<&str> = steps.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "actions/checkout@v5",
                &format!("Install infrac {version}"),
                "Fetch the target branch",
                "Plan",
                "Post the plan as a sticky comment",
                "Check the golden files are fresh"
            ]
        );
        assert_eq!(str_at(job, "/steps/1/with/version"), version);
        assert_eq!(
            str_at(job, "/steps/2/env/BASE"),
            "${{ github.base_ref || github.event.merge_group.base_ref }}"
        );
        assert!(steps[2].1.contains(
            "fetch --no-tags --depth=50 origin \"+refs/heads/$BASE:refs/remotes/origin/$BASE\""
        ));
        assert!(
            steps[3]
                .1
                .contains("infrac plan --base \"origin/$BASE\" --format markdown")
        );
        assert!(steps[3].1.contains("0 | 2) ;;"));
        assert!(steps[4].1.contains("startswith(\"<!-- infrac-plan -->\")"));
        assert_eq!(steps[5].1, "infrac check --base \"origin/$BASE\"");

        let tf = yaml(&files, "ci/github/terraform.yml");
        let jobs = tf["jobs"].as_object().unwrap();
        let roots = roots(&model);
        assert_eq!(jobs.len(), roots.len() * 2);
        for (root, vars) in &roots {
            let plan = &jobs[&format!("plan-{root}")];
            let apply = &jobs[&format!("apply-{root}")];
            assert_eq!(plan["if"], "github.event_name == 'pull_request'");
            assert!(str_at(apply, "/if").contains("github.event_name != 'pull_request'"));
            for job in [plan, apply] {
                for (tf_var, ci_var) in vars {
                    assert_eq!(
                        job["env"][tf_var],
                        format!("${{{{ vars.{ci_var} }}}}"),
                        "{root}"
                    );
                }
                assert_eq!(job["permissions"]["id-token"], "write");
            }
            let env_name = root.strip_suffix("-messaging").unwrap_or(root);
            let env = model
                .environments
                .iter()
                .find(|e| e.name == env_name)
                .unwrap();
            assert_eq!(apply["environment"], env_name.to_owned());
            let needs = if root.ends_with("-messaging") {
                Some(format!("apply-{env_name}"))
            } else {
                env.promotion.as_ref().map(|p| format!("apply-{}", p.from))
            };
            assert_eq!(
                apply
                    .get("needs")
                    .and_then(|n| n.as_str())
                    .map(str::to_owned),
                needs
            );
            let uses: Vec<String> = github_steps(apply).into_iter().map(|(n, _)| n).collect();
            let vault = env.secret_store.kind == crate::model::SecretStoreKind::Vault;
            assert_eq!(
                uses.contains(&"Vault login (OIDC)".to_owned()),
                vault,
                "{root}"
            );
        }
        if i == 1 {
            assert!(jobs.contains_key("apply-prod-messaging"));
        }
        let promote = yaml(&files, "ci/github/promote.yml");
        let inputs = &promote["on"]["workflow_dispatch"]["inputs"];
        assert_eq!(inputs["version"]["required"], false);
        for (name, job) in promote["jobs"].as_object().unwrap() {
            let step = job["steps"].as_array().unwrap().last().unwrap();
            assert_eq!(step["env"]["VERSION"], "${{ inputs.version }}", "{name}");
            assert_eq!(step["env"]["GITOPS_BUMP"], "pr", "{name}");
            let script = step_scripts(step);
            assert!(script.contains("promote+=(--tag \"$VERSION\")"), "{name}");
            assert!(script.contains("image_exists \"$image:$to_tag\""), "{name}");
            assert!(script.contains("gitops_bump \"promote"), "{name}");
        }
    }
}

fn script_text(job: &serde_json::Value) -> String {
    job["script"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// GitLab: the merge request job fetches CI_MERGE_REQUEST_TARGET_BRANCH_NAME, plans against
/// it (exit 2 is "changes"), updates one note and checks; plan jobs in the plan stage on
/// merge requests, apply jobs in the apply stage on main in promotion order, messaging after
/// its environment, manual in protected environments where approval is required; id tokens
/// and every required root variable; promote takes PROMOTE_VERSION.
#[test]
fn gitlab_job_graph() {
    let t = Templates::builtin().unwrap();
    for (i, model) in [with_vault(model()), aws_shop()].into_iter().enumerate() {
        let files = emit(&model, &t).unwrap();
        let doc = yaml(&files, "ci/gitlab/.gitlab-ci.yml");
        let check = script_text(&doc["infrac-check"]);
        let at = |needle: &str| {
            check
                .find(needle)
                .unwrap_or_else(|| panic!("{needle} not in {check}"))
        };
        assert!(
            at("BASE=\"$CI_MERGE_REQUEST_TARGET_BRANCH_NAME\"")
                < at("git fetch --no-tags --depth=50 origin")
        );
        assert!(
            at("git fetch --no-tags") < at("infrac plan --base \"origin/$BASE\" --format markdown")
        );
        assert!(at("infrac plan --base") < at("0 | 2) ;;"));
        assert!(
            at("0 | 2) ;;")
                < at("infrac check --base \"origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME\"")
        );
        for (root, vars) in roots(&model) {
            let env_name = root.strip_suffix("-messaging").unwrap_or(&root).to_owned();
            let env = model
                .environments
                .iter()
                .find(|e| e.name == env_name)
                .unwrap();
            let plan = &doc[&format!("plan-{root}")];
            let apply = &doc[&format!("apply-{root}")];
            assert_eq!(plan["stage"], "plan");
            assert_eq!(apply["stage"], "apply");
            assert_eq!(
                str_at(plan, "/rules/0/if"),
                "$CI_PIPELINE_SOURCE == \"merge_request_event\""
            );
            assert_eq!(
                str_at(apply, "/rules/0/if"),
                "$CI_COMMIT_BRANCH == \"main\""
            );
            assert_eq!(apply["environment"]["name"], env_name.as_str());
            let manual = apply.pointer("/rules/0/when").and_then(|w| w.as_str()) == Some("manual");
            assert_eq!(
                manual,
                env.promotion
                    .as_ref()
                    .is_some_and(|p| p.approval == crate::model::Approval::Required)
            );
            let needs = apply["needs"].as_array().unwrap();
            let needs: Vec<&str> = needs.iter().map(|n| str_at(n, "/job")).collect();
            let want = if root.ends_with("-messaging") {
                vec![format!("apply-{env_name}")]
            } else {
                env.promotion
                    .iter()
                    .map(|p| format!("apply-{}", p.from))
                    .collect()
            };
            assert_eq!(needs, want, "{root}");
            for job in [plan, apply] {
                assert_eq!(job["extends"], format!(".terraform-{env_name}"));
                for (tf_var, ci_var) in &vars {
                    assert_eq!(job["variables"][tf_var], format!("${ci_var}"), "{root}");
                }
            }
            let hidden = &doc[&format!(".terraform-{env_name}")];
            assert!(hidden["id_tokens"]["CLOUD_ID_TOKEN"]["aud"].is_string());
            let vault = env.secret_store.kind == crate::model::SecretStoreKind::Vault;
            assert_eq!(hidden["id_tokens"].get("VAULT_ID_TOKEN").is_some(), vault);
            assert_eq!(script_text(apply).contains("VAULT_TOKEN=$(wget"), vault);
        }
        if i == 1 {
            assert_eq!(
                str_at(&doc, "/apply-prod-messaging/needs/0/job"),
                "apply-prod"
            );
        }
        for env in model.environments.iter().filter(|e| e.promotion.is_some()) {
            let job = &doc[&format!("promote-{}", env.name)];
            let script = script_text(job);
            assert!(
                script.contains("VERSION=\"${PROMOTE_VERSION:-}\" BUILD_REF=\"$CI_PIPELINE_URL\"")
            );
            assert!(script.contains("image_exists \"$image:$to_tag\""));
            assert_eq!(job["environment"]["name"], env.name.as_str());
        }
        assert_eq!(doc["variables"]["GITOPS_BUMP"], "pr");
    }
}

/// Azure Pipelines: the pull-request pipeline fetches System.PullRequest.TargetBranch, plans
/// against it and checks; Terraform plan stages on pull requests, apply stages as deployment
/// jobs on the environments (their Approvals checks), messaging after its environment,
/// promotion order between environments; promote takes a `version` parameter.
#[test]
fn azure_job_graph() {
    let t = Templates::builtin().unwrap();
    let model = with_vault(model());
    let files = emit(&model, &t).unwrap();
    let check = yaml(&files, "ci/azure-pipelines/infrac-check.yml");
    let steps = check["steps"].as_array().unwrap();
    assert_eq!(steps[0]["fetchDepth"], "50");
    assert!(step_scripts(&steps[1]).contains("\"infrac==$INFRAC_VERSION\""));
    assert_eq!(
        steps[2]["env"]["BASE"],
        "$(System.PullRequest.TargetBranch)"
    );
    let plan = step_scripts(&steps[2]);
    assert!(
        plan.find("git fetch --no-tags --depth=50").unwrap()
            < plan
                .find("infrac plan --base \"origin/$BASE\" --format markdown")
                .unwrap()
    );
    assert!(plan.contains("0 | 2) ;;"));
    assert_eq!(
        step_scripts(steps.last().unwrap()),
        "infrac check --base \"origin/$BASE\""
    );

    let tf = yaml(&files, "ci/azure-pipelines/terraform.yml");
    let stages = tf["stages"].as_array().unwrap();
    let stage = |name: &str| {
        stages
            .iter()
            .find(|s| s["stage"] == name)
            .unwrap_or_else(|| panic!("no stage {name}"))
    };
    for (root, vars) in roots(&model) {
        let id = root.replace('-', "_");
        let env_name = root.strip_suffix("-messaging").unwrap_or(&root).to_owned();
        let env = model
            .environments
            .iter()
            .find(|e| e.name == env_name)
            .unwrap();
        let plan = stage(&format!("plan_{id}"));
        let apply = stage(&format!("apply_{id}"));
        assert_eq!(
            plan["condition"],
            "eq(variables['Build.Reason'], 'PullRequest')"
        );
        assert_eq!(str_at(apply, "/jobs/0/environment"), env_name);
        let want = match &env.promotion {
            _ if root.ends_with("-messaging") => format!("apply_{}", env_name.replace('-', "_")),
            Some(p) => format!("apply_{}", p.from.replace('-', "_")),
            None => String::new(),
        };
        let depends = apply["dependsOn"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_default();
        assert_eq!(depends, want, "{root}");
        let step = &apply["jobs"][0]["strategy"]["runOnce"]["deploy"]["steps"][1];
        for (tf_var, ci_var) in &vars {
            assert_eq!(step["env"][tf_var], format!("$({ci_var})"), "{root}");
        }
        let vault = env.secret_store.kind == crate::model::SecretStoreKind::Vault;
        assert_eq!(
            step_scripts(step).contains("VAULT_TOKEN=$(jq"),
            vault,
            "{root}"
        );
    }
    let promote = yaml(&files, "ci/azure-pipelines/promote.yml");
    let params = promote["parameters"].as_array().unwrap();
    assert!(
        params
            .iter()
            .any(|p| p["name"] == "version" && p["default"] == "")
    );
    for stage in promote["stages"].as_array().unwrap() {
        let steps = &stage["jobs"][0]["strategy"]["runOnce"]["deploy"]["steps"];
        let step = steps.as_array().unwrap().last().unwrap();
        assert_eq!(step["env"]["VERSION"], "${{ parameters.version }}");
        assert!(step_scripts(step).contains("image_exists \"$image:$to_tag\""));
        assert_eq!(
            str_at(stage, "/jobs/0/environment"),
            str_at(step, "/env/TO_ENV")
        );
    }
}

/// The names of a Jenkinsfile's stages, in order, each with its text up to the next stage.
fn jenkins_stages(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for part in text.split("stage('").skip(1) {
        let (name, body) = part.split_once("')").unwrap();
        out.push((name.to_owned(), body.to_owned()));
    }
    out
}

/// Jenkins: the change-request pipeline fetches CHANGE_TARGET, plans against it (exit 2 is
/// "changes", any other non-zero fails), sets the build description and checks; Terraform
/// plans and applies every root in promotion order, messaging right after its environment,
/// behind an `input` only `promotion.approvers` may submit; promotion the same, with VERSION.
#[test]
fn jenkins_job_graph() {
    let t = Templates::builtin().unwrap();
    let mut model = with_vault(model());
    model.environments[2].promotion.as_mut().unwrap().approvers = "platform-leads".into();
    let files = emit(&model, &t).unwrap();
    let check = jenkins_stages(get(&files, "ci/jenkins/Jenkinsfile.check"));
    assert_eq!(
        check.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["Plan", "Check"]
    );
    let plan = &check[0].1;
    let at = |needle: &str| {
        plan.find(needle)
            .unwrap_or_else(|| panic!("{needle} not in {plan}"))
    };
    assert!(at("infrac==") < at("BASE=\"$CHANGE_TARGET\""));
    assert!(
        at("git fetch --no-tags --depth=50 origin")
            < at("infrac plan --base \"origin/$BASE\" --format markdown")
    );
    assert!(
        at("0 | 2) ;;")
            < at("*) echo \"infrac plan failed (exit $status)\" >&2; exit \"$status\" ;;")
    );
    assert!(at("currentBuild.description") > at("archiveArtifacts"));
    assert!(
        check[1]
            .1
            .contains("infrac check --base \"origin/$CHANGE_TARGET\"")
    );

    let tf = get(&files, "ci/jenkins/Jenkinsfile.terraform");
    let stages = jenkins_stages(tf);
    let names: Vec<&str> = stages.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Plan dev",
            "Apply dev",
            "Plan staging",
            "Apply staging",
            "Plan prod",
            "Apply prod"
        ]
    );
    let (_, prod) = &stages[5];
    assert!(prod.contains("input {\n                message 'Apply Terraform to prod?'\n                ok 'Apply'\n                submitter 'platform-leads'\n            }"), "{prod}");
    assert!(!stages[3].1.contains("input {"));
    assert!(stages[2].1.contains("withCredentials([string(credentialsId: 'infrac-vault-staging', variable: 'VAULT_ID_TOKEN')])"));
    for (_, vars) in roots(&model) {
        for (tf_var, ci_var) in vars {
            assert!(
                tf.contains(&format!("export {tf_var}=\"${{{ci_var}:-}}\"")),
                "{tf_var}"
            );
        }
    }
    let shop = emit(&aws_shop_with_jenkins(), &t).unwrap();
    let stages = jenkins_stages(get(&shop, "ci/jenkins/Jenkinsfile.terraform"));
    let names: Vec<&str> = stages.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Plan dev",
            "Plan dev-messaging",
            "Apply dev",
            "Apply dev-messaging",
            "Plan staging",
            "Plan staging-messaging",
            "Apply staging",
            "Apply staging-messaging",
            "Plan prod",
            "Plan prod-messaging",
            "Apply prod",
            "Apply prod-messaging"
        ]
    );

    let promote = get(&files, "ci/jenkins/Jenkinsfile.promote");
    assert!(promote.contains("string(name: 'VERSION', defaultValue: ''"));
    let stages = jenkins_stages(promote);
    let (name, prod) = stages.last().unwrap();
    assert_eq!(name, "Promote to prod");
    assert!(prod.contains("submitter 'platform-leads'"));
    assert!(prod.contains("VERSION = \"${params.VERSION}\""));
    assert!(prod.contains("image_exists \"$image:$to_tag\""));
    // Without `promotion.approvers`, the group `<env>-approvers`: never an empty submitter.
    let default = emit(&super::tests::model(), &t).unwrap();
    assert!(get(&default, "ci/jenkins/Jenkinsfile.promote").contains("submitter 'prod-approvers'"));
    assert!(!default.iter().any(|f| f.contents.contains("submitter ''")));
    // Canary starts in prod need the same approvers.
    assert!(get(&files, "ci/jenkins/Jenkinsfile.canary").contains("submitter 'platform-leads'"));
}

fn aws_shop_with_jenkins() -> Model {
    let mut model = aws_shop();
    model.platform.ci = vec![crate::model::CiSystem::Jenkins];
    model
}

/// `platform.gitops.bump: push` reaches every system's bump as GITOPS_BUMP (`pr` is the
/// default, asserted in the job-graph tests).
#[test]
fn bump_push_reaches_every_system() {
    let mut model = model();
    model.platform.gitops.bump = crate::model::Bump::Push;
    let files = emit(&model, &Templates::builtin().unwrap()).unwrap();
    for (path, line) in [
        ("ci/github/promote.yml", "GITOPS_BUMP: push\n"),
        ("ci/github/reusable-build.yml", "GITOPS_BUMP: push\n"),
        ("ci/gitlab/.gitlab-ci.yml", "GITOPS_BUMP: push\n"),
        ("ci/azure-pipelines/promote.yml", "GITOPS_BUMP: push\n"),
        (
            "ci/azure-pipelines/build-template.yml",
            "GITOPS_BUMP: push\n",
        ),
        ("ci/jenkins/Jenkinsfile.promote", "GITOPS_BUMP = 'push'\n"),
        (
            "ci/jenkins/Jenkinsfile.build-cart",
            "GITOPS_BUMP = 'push'\n",
        ),
    ] {
        assert!(get(&files, path).contains(line), "{path}");
    }
    assert!(!files.iter().any(|f| f.contents.contains("GITOPS_BUMP: pr")));
}

/// The example with every CI system: prod has three cells in two waves and payment-service
/// has `migrations`.
fn example_everywhere() -> Model {
    use crate::model::CiSystem;
    let mut model = example();
    model.platform.ci = vec![
        CiSystem::Github,
        CiSystem::Gitlab,
        CiSystem::AzurePipelines,
        CiSystem::Jenkins,
    ];
    model
}

/// Asserts the wave script of a wave-2 job: the bake (prod's `30m`), the health of wave 1's
/// cell read from its variables, its alerts fetched, then `infrac rollout advance` with them
/// landed as a bump.
fn assert_wave_script(script: &str, what: &str) {
    let at = |needle: &str| {
        script
            .find(needle)
            .unwrap_or_else(|| panic!("{what}: no {needle:?} in\n{script}"))
    };
    let url = "PROMETHEUS_URL=\"${!given:-${!override_name:-${!url}}}\"";
    let fetch = "curl -fsS \"$PROMETHEUS_URL/api/v1/alerts\" > \"$alerts_dir/$i.json\"";
    let advance = "infrac rollout advance \"$SERVICE\" --env \"prod\" \"${alerts[@]}\"";
    assert!(at("bake=1800") < at("sleep \"$bake\""), "{what}");
    assert!(at("sleep \"$bake\"") < at(url), "{what}");
    assert!(at(url) < at("analyse_cell\n"), "{what}");
    assert!(at("analyse_cell\n") < at(fetch), "{what}");
    assert!(at(fetch) < at(advance), "{what}");
    assert!(script.contains("gitops_bump \"rollout: advance"), "{what}");
    assert!(script.contains("(no data counts as a failure)"), "{what}");
}

/// Asserts the promotion script runs payment-service's migration Job after the retag and
/// before the bump, and waits for it to complete or fail.
fn assert_migration_before_bump(script: &str, what: &str) {
    let at = |needle: &str| {
        script
            .find(needle)
            .unwrap_or_else(|| panic!("{what}: no {needle:?} in\n{script}"))
    };
    assert!(
        script.contains("  payment-service) migrations=\"$(mktemp)\" ;;"),
        "{what}"
    );
    assert!(
        at("kubectl kustomize \"$overlay\"") < at("git checkout -- ."),
        "{what}"
    );
    assert!(
        script.contains("JOB=\"$SERVICE-migrate\" SECRET=\"$SERVICE-migrations\""),
        "{what}"
    );
    assert!(
        at("docker buildx imagetools create") < at("  run_migration \"$migrations\""),
        "{what}"
    );
    assert!(
        at("  run_migration \"$migrations\"") < at("gitops_bump \"promote $SERVICE"),
        "{what}"
    );
    for wait in [
        "kubectl wait --for=condition=complete \"job/$job\"",
        "kubectl wait --for=condition=failed \"job/$job\"",
    ] {
        assert!(script.contains(wait), "{what}: {wait}");
    }
}

/// The waves of the example's prod in every CI system: the promotion pins wave 1's cell
/// (`CELL: za-north-1`) and runs payment-service's migration before the bump with the
/// target's cluster credentials; one wave-2 job follows it, in prod's approval gate, with
/// wave 1's cell as its health check, the bake and `rollout advance`.
#[test]
fn wave_and_migration_job_graph() {
    let files = emit(&example_everywhere(), &Templates::builtin().unwrap()).unwrap();

    let gh = yaml(&files, "ci/github/promote.yml");
    let jobs = gh["jobs"].as_object().unwrap();
    assert_eq!(
        jobs.keys().collect::<Vec<_>>(),
        ["promote-staging", "promote-prod", "wave-prod-2"]
    );
    let wave = &jobs["wave-prod-2"];
    assert_eq!(wave["needs"], "promote-prod");
    assert_eq!(wave["environment"], "prod");
    assert_eq!(wave["if"], "inputs.to == 'prod'");
    let step = wave["steps"].as_array().unwrap().last().unwrap();
    for (k, v) in [
        ("WAVE", "2"),
        ("CELL_COUNT", "1"),
        ("CELL_1_NAME", "za-north-1"),
        ("CELL_1_REGION", "southafricanorth"),
        ("CELL_1_CLUSTER", "pe-prod-zan1-aks"),
        ("CELL_1_PROMETHEUS", "http://prometheus.monitoring:9090"),
        ("CELL_1_PROMETHEUS_VAR", "PROMETHEUS_URL_PROD_ZA_NORTH_1"),
        (
            "CELL_1_PROMETHEUS_URL",
            "${{ vars.PROMETHEUS_URL_PROD_ZA_NORTH_1 }}",
        ),
    ] {
        assert_eq!(step["env"][k], v, "github {k}");
    }
    assert_wave_script(&step_scripts(step), "github");
    let promote = jobs["promote-prod"]["steps"]
        .as_array()
        .unwrap()
        .last()
        .unwrap();
    assert_eq!(promote["env"]["CELL"], "za-north-1");
    assert_eq!(
        promote["env"]["KUBECONFIG_CONTENT"],
        "${{ secrets.KUBECONFIG_PROD }}"
    );
    assert_migration_before_bump(&step_scripts(promote), "github");
    let staging = jobs["promote-staging"]["steps"]
        .as_array()
        .unwrap()
        .last()
        .unwrap();
    assert!(staging["env"].get("CELL").is_none());

    let gl = yaml(&files, "ci/gitlab/.gitlab-ci.yml");
    let wave = &gl["wave-prod-2"];
    assert_eq!(wave["stage"], "promote");
    assert_eq!(wave["needs"], serde_json::json!(["promote-prod"]));
    assert_eq!(wave["rules"][0]["when"], "manual");
    assert_eq!(wave["variables"]["CELL_1_CLUSTER"], "pe-prod-zan1-aks");
    assert_eq!(
        wave["variables"]["CELL_1_PROMETHEUS_VAR"],
        "PROMETHEUS_URL_PROD_ZA_NORTH_1"
    );
    assert_wave_script(&script_text(wave), "gitlab");
    assert_eq!(gl["promote-prod"]["variables"]["CELL"], "za-north-1");
    assert_eq!(
        gl["promote-prod"]["variables"]["KUBECONFIG"],
        "$KUBECONFIG_PROD"
    );
    assert_migration_before_bump(&script_text(&gl["promote-prod"]), "gitlab");
    assert!(gl.get("wave-staging-2").is_none());

    let az = yaml(&files, "ci/azure-pipelines/promote.yml");
    let stages: Vec<(&str, &serde_json::Value)> = az["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["stage"].as_str().unwrap(), s))
        .collect();
    assert_eq!(
        stages.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        ["promote_staging", "promote_prod", "wave_prod_2"]
    );
    let wave = stages[2].1;
    assert_eq!(wave["dependsOn"], "promote_prod");
    assert_eq!(str_at(wave, "/jobs/0/environment"), "prod");
    let steps = &wave["jobs"][0]["strategy"]["runOnce"]["deploy"]["steps"];
    let step = steps.as_array().unwrap().last().unwrap();
    assert_eq!(step["env"]["CELL_1_NAME"], "za-north-1");
    assert_eq!(
        step["env"]["CELL_1_PROMETHEUS_VAR"],
        "PROMETHEUS_URL_PROD_ZA_NORTH_1"
    );
    assert_wave_script(&step_scripts(step), "azure");
    let steps = &stages[1].1["jobs"][0]["strategy"]["runOnce"]["deploy"]["steps"];
    let promote = steps.as_array().unwrap().last().unwrap();
    assert_eq!(promote["env"]["KUBECONFIG_CONTENT"], "$(KUBECONFIG_PROD)");
    assert_migration_before_bump(&step_scripts(promote), "azure");

    let jenkins = get(&files, "ci/jenkins/Jenkinsfile.promote");
    let stages = jenkins_stages(jenkins);
    assert_eq!(
        stages.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["Promote to staging", "Promote to prod", "Wave 2 of prod"]
    );
    let (_, wave) = &stages[2];
    assert!(wave.contains("submitter 'prod-approvers'"), "{wave}");
    assert!(wave.contains("CELL_1_NAME = 'za-north-1'"), "{wave}");
    assert!(
        wave.contains("CELL_1_PROMETHEUS_VAR = 'PROMETHEUS_URL_PROD_ZA_NORTH_1'"),
        "{wave}"
    );
    assert_wave_script(wave, "jenkins");
    let (_, promote) = &stages[1];
    assert!(promote.contains("CELL = 'za-north-1'"), "{promote}");
    assert!(
        promote.contains("file(credentialsId: 'kubeconfig-prod', variable: 'KUBECONFIG')"),
        "{promote}"
    );
    assert_migration_before_bump(promote, "jenkins");
}

/// Runs prod's rendered wave gate for payment-service taking the tag to wave 2, with stubs
/// on PATH: `curl` logs the URL it is given and answers a query with a healthy error rate
/// and `/api/v1/alerts` with `alerts`; `sleep` returns at once; `infrac` logs its arguments
/// and the alerts file it is passed. `url` is the cell's override variable. Returns the exit
/// status, stderr, the curl URLs and the infrac calls.
fn run_wave(alerts: &str, url: Option<&str>) -> (i32, String, String, String) {
    let t = Templates::builtin().unwrap();
    let shared = Shared::new(&example(), &t, &PathsCtx::default()).unwrap();
    let prod = shared
        .waves
        .iter()
        .find(|w| w.environment.name == "prod")
        .expect("prod has waves");
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let stub = |name: &str, body: &str| stub_command(&bin, name, body);
    let (log, curls) = (dir.path().join("infrac.log"), dir.path().join("curl.log"));
    let healthy = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"0.005"]}]}}"#;
    std::fs::write(dir.path().join("query.json"), healthy).unwrap();
    std::fs::write(dir.path().join("alerts.json"), alerts).unwrap();
    stub(
        "curl",
        &format!(
            "url=\"${{@: -1}}\"; echo \"$url\" >> {curls:?}\ncase \"$url\" in */api/v1/alerts) cat {:?} ;; *) cat {:?} ;; esac",
            dir.path().join("alerts.json"),
            dir.path().join("query.json")
        ),
    );
    stub("sleep", "exit 0");
    stub(
        "infrac",
        &format!(
            "echo \"$*\" | sed -E 's#=/[^ ]+#=FILE#' >> {log:?}\nfor a in \"$@\"; do case \"$a\" in *=/*) cat \"${{a#*=}}\" >> {log:?} ;; esac; done"
        ),
    );
    let script = format!("gitops_bump() {{ shift; \"$@\"; }}\n{}\n", prod.script);
    let mut command = std::process::Command::new("bash");
    command
        .arg("-c")
        .arg(&script)
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("SERVICE", "payment-service")
        .env("WAVE", "2")
        .env("CELL_COUNT", "1")
        .env("CELL_1_NAME", "za-north-1")
        .env("CELL_1_REGION", "southafricanorth")
        .env("CELL_1_CLUSTER", "pe-prod-zan1-aks")
        .env("CELL_1_PROMETHEUS", "http://prometheus.monitoring:9090")
        .env("CELL_1_PROMETHEUS_VAR", "PROMETHEUS_URL_PROD_ZA_NORTH_1")
        .env_remove("PROMETHEUS_URL_PROD_ZA_NORTH_1");
    if let Some(url) = url {
        command.env("PROMETHEUS_URL_PROD_ZA_NORTH_1", url);
    }
    let out = command.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        std::fs::read_to_string(&curls).unwrap_or_default(),
        std::fs::read_to_string(&log).unwrap_or_default(),
    )
}

/// The wave gate reads the cell's Prometheus at its override variable where set (else its
/// `monitoring.prometheusUrl`), fetches its alerts and passes them, as they came, to
/// `rollout advance` (which judges them).
#[test]
fn wave_gate_passes_the_cells_alerts_to_rollout_advance() {
    let alerts = r#"{"status":"success","data":{"alerts":[]}}"#;
    let (code, err, curls, calls) = run_wave(alerts, None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        curls,
        "http://prometheus.monitoring:9090/api/v1/query\n\
         http://prometheus.monitoring:9090/api/v1/query\n\
         http://prometheus.monitoring:9090/api/v1/alerts\n"
    );
    assert_eq!(
        calls,
        format!("rollout advance payment-service --env prod --alerts za-north-1=FILE\n{alerts}")
    );
    let (code, err, curls, _) = run_wave(alerts, Some("https://prom.zan1.example.com"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        curls,
        "https://prom.zan1.example.com/api/v1/query\n\
         https://prom.zan1.example.com/api/v1/query\n\
         https://prom.zan1.example.com/api/v1/alerts\n"
    );
}

/// The Azure wave stage's deployment job outlasts its bake (a 2 h bake, 30 minutes for the
/// checks and the commit), not Azure's 60-minute default.
#[test]
fn azure_wave_job_times_out_after_its_bake() {
    let mut model = example_everywhere();
    for env in model.environments.iter_mut().filter(|e| e.name == "prod") {
        env.bake = Some("2h".into());
    }
    let files = emit(&model, &Templates::builtin().unwrap()).unwrap();
    let az = yaml(&files, "ci/azure-pipelines/promote.yml");
    let wave = az["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == "wave_prod_2")
        .expect("a wave stage");
    assert_eq!(wave["jobs"][0]["deployment"], "wave");
    assert_eq!(wave["jobs"][0]["timeoutInMinutes"], "150");
}
