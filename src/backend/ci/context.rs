//! The template contexts of the CI target: one `Serialize` struct per template (`*Ctx`),
//! filled in by `facts` and `mod.rs`.
//!
//! The fields are load-bearing: templates (the built-ins and a user's overrides) read them by
//! name, so renaming one breaks user templates. Only ordered collections (sorted `Vec`s)
//! reach a template, never a `HashMap`. No rendering and no file access here.

use serde::Serialize;

/// Where generated and input files live, relative to the platform repository root, as
/// `infrac.toml` says (its defaults: `golden`, `versions.yaml`, …). A workflow needs them
/// where it must name a location (path triggers, Terraform roots, `versions.yaml` edits).
#[derive(Debug, Clone, Serialize)]
pub struct PathsCtx {
    /// The generated tree (`out`, `golden` by default).
    pub out: String,
    /// `versions` (`versions.yaml`).
    pub versions: String,
    /// `registry` (`registry.yaml`).
    pub registry: String,
    /// `environments` (`environments`).
    pub environments: String,
    /// Terraform roots, one directory per environment below it (`<out>/terraform/environments`).
    pub terraform_environments: String,
    /// Where GitHub runs workflows from: local reusable workflows are referenced there
    /// (`[output] github`, else `.github/workflows`, the only place GitHub reads them).
    pub github_workflows: String,
    /// Where the Azure Pipelines files are committed (`[output] azure-pipelines`, else
    /// `<out>/ci/azure-pipelines`).
    pub azure_pipelines: String,
}

impl PathsCtx {
    /// The paths of `project`.
    pub fn new(project: &crate::project::Project) -> Self {
        let out = project.out.trim_end_matches('/').to_owned();
        let moved = |key: &str| {
            project
                .output
                .get(key)
                .map(|p| p.trim_end_matches('/').to_owned())
        };
        Self {
            terraform_environments: format!("{out}/terraform/environments"),
            github_workflows: moved("github").unwrap_or_else(|| ".github/workflows".into()),
            azure_pipelines: moved("azure-pipelines")
                .unwrap_or_else(|| format!("{out}/ci/azure-pipelines")),
            versions: project.versions.clone(),
            registry: project.registry.clone(),
            environments: project.environments.clone(),
            out,
        }
    }
}

impl Default for PathsCtx {
    fn default() -> Self {
        Self::new(&crate::project::Project::default())
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
    /// The branch that builds publish from and Terraform applies on (infrac's own constant,
    /// `main`: not a user value).
    pub default_branch: String,
    /// The infrac release the pipelines install: the one that generated them
    /// (`pip install "infrac==…"`; a plain semver from Cargo, never user input).
    pub infrac_version: String,
    /// The GitHub Action that installs it, pinned to that release (`infrac-dev/infrac@v…`).
    pub infrac_action: String,
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
    /// The registry host, without any repository path (what `docker login` takes).
    pub host: String,
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
    /// `platform.gitops.bump`: `pr` (a pull request per change) or `push` (to `branch`).
    pub bump: String,
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
    /// `promotion.approvers` (Jenkins `input` `submitter`), `<env>-approvers` by default.
    pub approvers: String,
    /// Vault's address when the secret store is Vault (the Terraform provider logs in with
    /// the job's OIDC token), else empty.
    pub vault_addr: String,
    /// The environment's Terraform roots in apply order (`<env>`, then `<env>-messaging`).
    pub terraform_roots: Vec<TerraformRootCtx>,
    /// Its waves of cells in order (SPEC "Cells"), empty without cells: a pipeline runs one
    /// job per wave, each gated on the previous wave's health and `bake`.
    pub waves: Vec<WaveCtx>,
    /// `bake` (`30m`), with cells only.
    pub bake: Option<String>,
}

/// One Terraform root a pipeline plans and applies.
#[derive(Debug, Clone, Serialize)]
pub struct TerraformRootCtx {
    /// Directory name under the Terraform environments (`prod`, `prod-messaging`).
    pub name: String,
    /// `name` as a job or stage identifier (`prod_messaging`).
    pub id: String,
    /// The root's directory, relative to the repository root.
    pub dir: String,
    /// Root variables without a default, each passed from a CI variable.
    pub variables: Vec<TerraformVarCtx>,
}

/// A root variable without a default, as `TF_VAR_<name>` from the CI variable `ci_var`.
#[derive(Debug, Clone, Serialize)]
pub struct TerraformVarCtx {
    /// The Terraform variable (`key_vault_resource_group_name`), an identifier.
    pub name: String,
    /// The CI variable it comes from: upper case with the environment's suffix
    /// (`KEY_VAULT_RESOURCE_GROUP_NAME_PROD`).
    pub ci_var: String,
    pub description: String,
}

/// One wave of cells.
#[derive(Debug, Clone, Serialize)]
pub struct WaveCtx {
    /// 1-based.
    pub number: usize,
    pub cells: Vec<CellCtx>,
    /// The cells of the waves before this one, in wave order: the cells the tag has reached
    /// when this wave's job runs (their health and firing alerts gate it).
    pub reached: Vec<CellCtx>,
}

/// One cell as pipelines see it: where its cluster runs.
#[derive(Debug, Clone, Serialize)]
pub struct CellCtx {
    /// The cell's name (a DNS-1123 label).
    pub name: String,
    pub region: String,
    pub cluster: String,
    /// The cell's Prometheus (`monitoring.prometheusUrl` merged over the environment's): the
    /// health of a wave is read there.
    pub prometheus_url: String,
    /// The CI variable that overrides `prometheus_url` where the runner cannot reach the
    /// in-cluster address: `PROMETHEUS_URL_<ENV>_<CELL>` (`PROMETHEUS_URL_PROD_ZA_NORTH_1`).
    pub prometheus_var: String,
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
    pub image_exists: String,
    pub gitops: String,
    pub promote: String,
    pub canary_abort: String,
}

/// `ci/scripts/image-tag.sh.j2`, `ci/scripts/image-exists.sh.j2` and
/// `ci/scripts/canary-abort.sh.j2`: no parameters.
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
    /// Whether some environment has cells: the script then pins the first cell (CELL).
    pub cells: bool,
    /// The services with `migrations`, sorted: the script runs their migration Job before
    /// the bump.
    pub migrations: Vec<String>,
}

/// A service's health thresholds in one environment, for the wave gate.
#[derive(Debug, Clone, Serialize)]
pub struct HealthServiceCtx {
    pub name: String,
    /// Namespace with the environment's suffix.
    pub namespace: String,
    /// `alerts.errorRate.above`, else the canary analysis' `maxErrorRate`; empty: none.
    pub max_error_rate: String,
    /// `alerts.latencyP95Ms.above`, else the canary analysis' `maxLatencyP95Ms`; empty: none.
    pub max_latency_p95_ms: String,
}

/// `ci/scripts/wave.sh.j2`: one celled environment's wave gate.
#[derive(Debug, Clone, Serialize)]
pub struct WaveScriptCtx {
    pub environment: EnvironmentCtx,
    pub services: Vec<HealthServiceCtx>,
    /// `bake` in seconds.
    pub bake_seconds: u64,
}

/// A celled environment's wave jobs: one per wave after the first (the promotion pins the
/// first wave), each after the previous one.
#[derive(Debug, Clone, Serialize)]
pub struct WaveDriveCtx {
    pub environment: EnvironmentCtx,
    /// `bake` in seconds (a computed number).
    pub bake_seconds: u64,
    /// A job timeout covering the bake and the analysis.
    pub timeout_minutes: u64,
    /// The rendered wave gate and advance.
    pub script: String,
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
    /// `<service> <image>` per line, sorted by service: the `SERVICE_IMAGES` variable the
    /// promotion script looks the image up in.
    pub service_images: String,
    pub scripts: ScriptsCtx,
    /// The celled targets' wave jobs, in promotion order.
    pub waves: Vec<WaveDriveCtx>,
    /// Whether some service has `migrations`: the promotion then needs cluster credentials.
    pub migrations: bool,
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
