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

#[test]
fn every_template_is_used() {
    let t = Templates::builtin().unwrap();
    emit_all(&t);
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
