//! The template contexts of the CI target: one `Serialize` struct per template (`*Ctx`),
//! built from the model by plain functions.
//!
//! The fields are load-bearing: templates (the built-ins and a user's overrides) read them by
//! name, so renaming one breaks user templates. Only ordered collections (sorted `Vec`s)
//! reach a template, never a `HashMap`. No rendering and no file access here.

use crate::model::{
    Approval, CloudProvider, Environment, Language, Model, Service, Strategy, TagPolicy,
};
use serde::Serialize;

/// Where generated and input files live, relative to the platform repository root. These
/// are `infrac.toml` defaults; a workflow needs them only where it must name a location.
#[derive(Debug, Clone, Serialize)]
pub struct PathsCtx {
    /// The generated tree (`golden`).
    pub out: String,
    /// `versions.yaml`.
    pub versions: String,
    /// Terraform roots, one directory per environment below it.
    pub terraform_environments: String,
    /// Where GitHub runs workflows from: local reusable workflows are referenced there.
    pub github_workflows: String,
    /// Where the Azure Pipelines files are committed (for `extends: template:`).
    pub azure_pipelines: String,
}

impl Default for PathsCtx {
    fn default() -> Self {
        Self {
            out: "golden".into(),
            versions: "versions.yaml".into(),
            terraform_environments: "golden/terraform/environments".into(),
            github_workflows: ".github/workflows".into(),
            azure_pipelines: "ci/azure-pipelines".into(),
        }
    }
}

/// Facts about the platform every CI template needs.
#[derive(Debug, Clone, Serialize)]
pub struct PlatformCtx {
    pub name: String,
    /// Registry host (`paymentsacr.azurecr.io`).
    pub image_registry: String,
    /// How CI logs in to the registry, derived from its host.
    pub registry_login: RegistryLoginCtx,
    pub gitops: GitOpsCtx,
    /// The branch that builds publish from and Terraform applies on.
    pub default_branch: String,
    /// The infrac release CI installs (`cargo install --locked infrac --version …`).
    pub infrac_version: String,
    /// The first environment in promotion order: builds set its image tag.
    pub first_environment: EnvironmentCtx,
    pub paths: PathsCtx,
    /// `versions.yaml` relative to the GitOps checkout.
    pub versions_file: String,
}

/// Registry login: `kind` is `azure` (ACR), `aws` (ECR), `gcp` (Artifact Registry) or
/// `docker` (any other registry, username and password from CI secrets).
#[derive(Debug, Clone, Serialize)]
pub struct RegistryLoginCtx {
    pub kind: String,
    /// ACR name (`paymentsacr`), for `az acr login`.
    pub acr_name: String,
    /// ECR region, from the host.
    pub aws_region: String,
}

/// The GitOps repository builds and promotions commit to.
#[derive(Debug, Clone, Serialize)]
pub struct GitOpsCtx {
    /// As written (`github.com/payments-engine/gitops`).
    pub repository: String,
    /// The host (`github.com`).
    pub host: String,
    /// `owner/name` on its host (`payments-engine/gitops`).
    pub slug: String,
    /// `https://<repository>.git`.
    pub url: String,
    pub branch: String,
    /// Directory the pipelines check it out into.
    pub checkout_dir: String,
}

/// One environment as pipelines see it.
#[derive(Debug, Clone, Serialize)]
pub struct EnvironmentCtx {
    pub name: String,
    /// `aws` | `azure` | `gcp`.
    pub cloud: String,
    pub region: String,
    /// Upper-case suffix for per-environment CI variables (`prod` → `PROD`).
    pub var_suffix: String,
    /// The environment it promotes from, if any.
    pub from: Option<String>,
    /// `promotion.approval: required`: gate deployments to it.
    pub approval_required: bool,
    /// `imageTags` policy as written.
    pub tag_policy: String,
    /// Terraform root of this environment, relative to the repository root.
    pub terraform_dir: String,
    /// The environment's Prometheus (`monitoring.prometheusUrl`).
    pub prometheus_url: String,
}

/// A registry service to build.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceCtx {
    pub name: String,
    /// Build context directory; changes under it trigger the build.
    pub context: String,
    /// `java` | `node` | `python` | `go` | `rust` | `dotnet` | `docker`.
    pub language: String,
    /// Dockerfile path (the build's own, or `<context>/Dockerfile`).
    pub dockerfile: String,
    /// Full image repository with registry host, no tag.
    pub image: String,
}

/// A service rolled out as a canary in one environment, with its analysis thresholds.
#[derive(Debug, Clone, Serialize)]
pub struct CanaryServiceCtx {
    pub name: String,
    /// Namespace with the environment's suffix.
    pub namespace: String,
    /// Traffic weights, space-separated (`10 25 50 100`).
    pub steps: String,
    pub interval: String,
    pub interval_seconds: u64,
    /// Empty when the analysis sets no error-rate bound.
    pub max_error_rate: String,
    /// Empty when the analysis sets no latency bound.
    pub max_latency_p95_ms: String,
}

/// An environment with canary services.
#[derive(Debug, Clone, Serialize)]
pub struct CanaryEnvironmentCtx {
    pub environment: EnvironmentCtx,
    pub services: Vec<CanaryServiceCtx>,
    /// A job timeout that covers the slowest canary here.
    pub timeout_minutes: u64,
    /// The rendered canary driver for this environment.
    pub script: String,
}

/// The shell scripts shared by all CI systems, rendered once.
#[derive(Debug, Clone, Serialize)]
pub struct ScriptsCtx {
    pub image_tag: String,
    pub gitops: String,
    pub promote: String,
    pub canary_abort: String,
}

/// `ci/scripts/image-tag.sh.j2` and `ci/scripts/canary-abort.sh.j2`: no parameters.
#[derive(Debug, Clone, Serialize)]
pub struct EmptyCtx {}

/// `ci/scripts/gitops.sh.j2`.
#[derive(Debug, Clone, Serialize)]
pub struct GitopsScriptCtx {
    pub platform: PlatformCtx,
}

/// `ci/scripts/promote.sh.j2`: image repositories of every service.
#[derive(Debug, Clone, Serialize)]
pub struct PromoteScriptCtx {
    pub platform: PlatformCtx,
    pub services: Vec<ServiceCtx>,
}

/// `ci/scripts/canary.sh.j2`: one environment's canary services.
#[derive(Debug, Clone, Serialize)]
pub struct CanaryScriptCtx {
    pub environment: EnvironmentCtx,
    pub services: Vec<CanaryServiceCtx>,
}

/// The per-service pipeline (GitHub `build-<service>.yml`, Azure `build-<service>.yml`,
/// Jenkins `Jenkinsfile.build-<service>`).
#[derive(Debug, Clone, Serialize)]
pub struct BuildServiceCtx {
    pub platform: PlatformCtx,
    pub service: ServiceCtx,
    pub scripts: ScriptsCtx,
}

/// The shared build (GitHub reusable workflow, Azure template).
#[derive(Debug, Clone, Serialize)]
pub struct SharedBuildCtx {
    pub platform: PlatformCtx,
    pub scripts: ScriptsCtx,
}

/// Promotion pipelines: one gated job per environment that promotes from another.
#[derive(Debug, Clone, Serialize)]
pub struct PromoteCtx {
    pub platform: PlatformCtx,
    pub targets: Vec<EnvironmentCtx>,
    /// Every registry service name, sorted.
    pub services: Vec<String>,
    pub scripts: ScriptsCtx,
}

/// Canary driver pipelines.
#[derive(Debug, Clone, Serialize)]
pub struct CanaryCtx {
    pub platform: PlatformCtx,
    pub environments: Vec<CanaryEnvironmentCtx>,
    /// Every service with a canary somewhere, sorted.
    pub services: Vec<String>,
    pub scripts: ScriptsCtx,
}

/// `infrac check` on pull requests.
#[derive(Debug, Clone, Serialize)]
pub struct CheckCtx {
    pub platform: PlatformCtx,
}

/// Terraform plan and apply, environments in promotion order.
#[derive(Debug, Clone, Serialize)]
pub struct TerraformCtx {
    pub platform: PlatformCtx,
    pub environments: Vec<EnvironmentCtx>,
}

/// GitLab's single `.gitlab-ci.yml`: every stage at once.
#[derive(Debug, Clone, Serialize)]
pub struct GitlabCtx {
    pub platform: PlatformCtx,
    pub services: Vec<ServiceCtx>,
    pub environments: Vec<EnvironmentCtx>,
    pub promote: PromoteCtx,
    pub canary: CanaryCtx,
    pub scripts: ScriptsCtx,
}

/// Builds the platform facts.
pub fn platform_ctx(model: &Model) -> PlatformCtx {
    let gitops = &model.platform.gitops;
    let repository = gitops.repository.trim_end_matches(".git").to_owned();
    let (host, slug) = repository
        .split_once('/')
        .unwrap_or(("github.com", repository.as_str()));
    let first = model
        .environments
        .first()
        .map(environment_ctx)
        .unwrap_or_else(placeholder_environment);
    PlatformCtx {
        name: model.platform.name.clone(),
        image_registry: model.platform.image_registry.clone(),
        registry_login: registry_login(&model.platform.image_registry),
        gitops: GitOpsCtx {
            host: host.to_owned(),
            slug: slug.to_owned(),
            url: format!("https://{repository}.git"),
            repository,
            branch: gitops.branch.clone(),
            checkout_dir: "gitops".into(),
        },
        default_branch: "main".into(),
        infrac_version: env!("CARGO_PKG_VERSION").into(),
        first_environment: first,
        paths: PathsCtx::default(),
        versions_file: PathsCtx::default().versions,
    }
}

fn placeholder_environment() -> EnvironmentCtx {
    EnvironmentCtx {
        name: String::new(),
        cloud: String::new(),
        region: String::new(),
        var_suffix: String::new(),
        from: None,
        approval_required: false,
        tag_policy: "any".into(),
        terraform_dir: String::new(),
        prometheus_url: String::new(),
    }
}

fn registry_login(host: &str) -> RegistryLoginCtx {
    let (kind, acr_name, aws_region) = if let Some(name) = host.strip_suffix(".azurecr.io") {
        ("azure", name.to_owned(), String::new())
    } else if host.contains(".dkr.ecr.") && host.ends_with(".amazonaws.com") {
        let region = host.split('.').nth(3).unwrap_or_default().to_owned();
        ("aws", String::new(), region)
    } else if host.ends_with("-docker.pkg.dev") || host.ends_with("gcr.io") {
        ("gcp", String::new(), String::new())
    } else {
        ("docker", String::new(), String::new())
    };
    RegistryLoginCtx {
        kind: kind.into(),
        acr_name,
        aws_region,
    }
}

/// One environment as pipelines see it.
pub fn environment_ctx(env: &Environment) -> EnvironmentCtx {
    let promotion = env.promotion.as_ref();
    EnvironmentCtx {
        name: env.name.clone(),
        cloud: match env.cloud.provider {
            CloudProvider::Aws => "aws",
            CloudProvider::Azure => "azure",
            CloudProvider::Gcp => "gcp",
        }
        .into(),
        region: env.cloud.region.clone(),
        var_suffix: env.name.to_ascii_uppercase().replace('-', "_"),
        from: promotion.map(|p| p.from.clone()),
        approval_required: promotion.is_some_and(|p| p.approval == Approval::Required),
        tag_policy: match env.image_tags {
            TagPolicy::Any => "any",
            TagPolicy::BranchShaTimestamp => "branch-sha-timestamp",
            TagPolicy::StagingVersion => "staging-version",
            TagPolicy::Semver => "semver",
        }
        .into(),
        terraform_dir: format!(
            "{}/{}",
            PathsCtx::default().terraform_environments,
            env.name
        ),
        prometheus_url: env.monitoring.prometheus_url.clone(),
    }
}

/// A registry service to build.
pub fn service_ctx(model: &Model, service: &Service) -> ServiceCtx {
    let context = service.build.context.trim_end_matches('/').to_owned();
    let dockerfile = service
        .build
        .dockerfile
        .clone()
        .unwrap_or_else(|| format!("{context}/Dockerfile"));
    ServiceCtx {
        name: service.name.clone(),
        language: language(service.build.language).into(),
        dockerfile,
        image: format!("{}/{}", model.platform.image_registry, service.image),
        context,
    }
}

fn language(language: Language) -> &'static str {
    match language {
        Language::Java => "java",
        Language::Node => "node",
        Language::Python => "python",
        Language::Go => "go",
        Language::Rust => "rust",
        Language::Dotnet => "dotnet",
        Language::Docker => "docker",
    }
}

/// The services rolled out as canaries in `env`, sorted by name.
pub fn canary_services(env: &Environment) -> Vec<CanaryServiceCtx> {
    env.services
        .values()
        .filter(|s| s.rollout.strategy == Strategy::Canary)
        .filter_map(|s| {
            let canary = s.rollout.canary.as_ref()?;
            let analysis = canary.analysis.as_ref();
            Some(CanaryServiceCtx {
                name: s.name.clone(),
                namespace: env.namespace_of(s),
                steps: canary
                    .steps
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(" "),
                interval: canary.interval.clone(),
                interval_seconds: duration_seconds(&canary.interval),
                max_error_rate: analysis
                    .and_then(|a| a.max_error_rate)
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                max_latency_p95_ms: analysis
                    .and_then(|a| a.max_latency_p95_ms)
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
            })
        })
        .collect()
}

/// Seconds in a duration as written (`30m`, `1h30m`, `90s`, `45`); unknown units count as
/// minutes, the unit the schema's examples use.
pub fn duration_seconds(text: &str) -> u64 {
    let mut total = 0;
    let mut number = 0u64;
    for c in text.chars() {
        if let Some(d) = c.to_digit(10) {
            number = number * 10 + u64::from(d);
            continue;
        }
        total += number
            * match c {
                's' => 1,
                'h' => 3600,
                'd' => 86_400,
                _ => 60,
            };
        number = 0;
    }
    total + number
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration_seconds("30m"), 1800);
        assert_eq!(duration_seconds("1h30m"), 5400);
        assert_eq!(duration_seconds("90s"), 90);
        assert_eq!(duration_seconds("45"), 45);
    }

    #[test]
    fn registry_logins() {
        assert_eq!(
            registry_login("paymentsacr.azurecr.io").acr_name,
            "paymentsacr"
        );
        let aws = registry_login("123456789012.dkr.ecr.eu-west-1.amazonaws.com");
        assert_eq!(
            (aws.kind.as_str(), aws.aws_region.as_str()),
            ("aws", "eu-west-1")
        );
        assert_eq!(registry_login("europe-docker.pkg.dev").kind, "gcp");
        assert_eq!(registry_login("ghcr.io").kind, "docker");
    }
}
