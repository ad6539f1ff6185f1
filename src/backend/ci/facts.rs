//! Facts the pipelines need, read off the model into the template contexts of `context`:
//! registry login kind, GitOps repository, environments in promotion order, canary
//! parameters. Pure functions of the model; no rendering and no file access.

use super::context::*;
use crate::model::{
    Approval, Bump, CloudProvider, Environment, Language, Model, SecretStoreKind, Service,
    Strategy, TagPolicy,
};

/// The project's GitHub repository, `owner/name`: its root holds the composite Action
/// (`action.yml`) that generated GitHub workflows install infrac with.
pub const INFRAC_REPOSITORY: &str = "infrac-dev/infrac";

/// The infrac release that generates the pipelines, and so the one they install.
pub const INFRAC_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Builds the platform facts; `paths` are the project's (`infrac.toml`).
pub fn platform_ctx(model: &Model, paths: &PathsCtx) -> PlatformCtx {
    let gitops = &model.platform.gitops;
    // `host/path` or a full `https://host/path` URL (the schema allows both).
    let repository = gitops.repository.trim_end_matches(".git");
    let repository = repository
        .strip_prefix("https://")
        .or_else(|| repository.strip_prefix("http://"))
        .unwrap_or(repository)
        .to_owned();
    let (host, slug) = repository
        .split_once('/')
        .unwrap_or(("github.com", repository.as_str()));
    let first = model
        .environments
        .first()
        .map(|e| environment_ctx(model, e, paths))
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
            bump: match gitops.bump {
                Bump::Pr => "pr",
                Bump::Push => "push",
            }
            .into(),
            checkout_dir: "gitops".into(),
        },
        default_branch: "main".into(),
        infrac_version: INFRAC_VERSION.into(),
        infrac_action: format!("{INFRAC_REPOSITORY}@v{INFRAC_VERSION}"),
        first_environment: first,
        paths: paths.clone(),
        versions_file: paths.versions.clone(),
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
        approvers: String::new(),
        vault_addr: String::new(),
        terraform_roots: Vec::new(),
        waves: Vec::new(),
        bake: None,
    }
}

fn registry_login(registry: &str) -> RegistryLoginCtx {
    let host = registry.split('/').next().unwrap_or(registry);
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
        host: host.to_owned(),
        acr_name,
        aws_region,
    }
}

/// One environment as pipelines see it.
pub fn environment_ctx(model: &Model, env: &Environment, paths: &PathsCtx) -> EnvironmentCtx {
    let promotion = env.promotion.as_ref();
    let var_suffix = env.name.to_ascii_uppercase().replace('-', "_");
    EnvironmentCtx {
        name: env.name.clone(),
        cloud: match env.cloud.provider {
            CloudProvider::Aws => "aws",
            CloudProvider::Azure => "azure",
            CloudProvider::Gcp => "gcp",
        }
        .into(),
        region: env.cloud.region.clone(),
        var_suffix: var_suffix.clone(),
        from: promotion.map(|p| p.from.clone()),
        approval_required: promotion.is_some_and(|p| p.approval == Approval::Required),
        tag_policy: match env.image_tags {
            TagPolicy::Any => "any",
            TagPolicy::BranchShaTimestamp => "branch-sha-timestamp",
            TagPolicy::StagingVersion => "staging-version",
            TagPolicy::Semver => "semver",
        }
        .into(),
        terraform_dir: format!("{}/{}", paths.terraform_environments, env.name),
        prometheus_url: env.monitoring.prometheus_url.clone(),
        // Never empty: an empty `submitter` lets anyone approve.
        approvers: match promotion.map(|p| p.approvers.as_str()) {
            Some(a) if !a.is_empty() => a.to_owned(),
            _ => crate::spec::defaults::approvers(&env.name),
        },
        vault_addr: match env.secret_store.kind {
            SecretStoreKind::Vault => env.secret_store.address.clone().unwrap_or_default(),
            _ => String::new(),
        },
        terraform_roots: terraform_roots(model, env, paths, &var_suffix),
        waves: waves(env),
        bake: env.bake.clone(),
    }
}

/// The environment's Terraform roots as the Terraform back end declares them, each root
/// variable without a default named after a CI variable: whatever that back end adds flows
/// through here, nothing is listed per cloud.
fn terraform_roots(
    model: &Model,
    env: &Environment,
    paths: &PathsCtx,
    suffix: &str,
) -> Vec<TerraformRootCtx> {
    crate::backend::terraform::roots(model, env)
        .into_iter()
        .map(|root| TerraformRootCtx {
            id: root.dir.replace('-', "_"),
            dir: format!("{}/{}", paths.terraform_environments, root.dir),
            variables: root
                .required
                .into_iter()
                .map(|(name, description)| TerraformVarCtx {
                    ci_var: format!("{}_{suffix}", name.to_ascii_uppercase()),
                    name,
                    description,
                })
                .collect(),
            name: root.dir,
        })
        .collect()
}

/// The waves of `env`'s cells, each cell with its region and cluster.
fn waves(env: &Environment) -> Vec<WaveCtx> {
    // A CI variable name whatever the names hold (they are DNS labels once validated).
    let upper = |name: &str| -> String {
        name.chars()
            .map(|c| match c.to_ascii_uppercase() {
                u @ ('A'..='Z' | '0'..='9') => u,
                _ => '_',
            })
            .collect()
    };
    let cells = |wave: &[String]| -> Vec<CellCtx> {
        wave.iter()
            .filter_map(|name| env.cells.iter().find(|c| &c.name == name))
            .map(|cell| CellCtx {
                name: cell.name.clone(),
                region: cell.environment.cloud.region.clone(),
                cluster: cell.environment.cluster.name.clone(),
                prometheus_url: cell.environment.monitoring.prometheus_url.clone(),
                prometheus_var: format!(
                    "PROMETHEUS_URL_{}_{}",
                    upper(&env.name),
                    upper(&cell.name)
                ),
            })
            .collect()
    };
    env.waves
        .iter()
        .enumerate()
        .map(|(i, wave)| WaveCtx {
            number: i + 1,
            cells: cells(wave),
            reached: env.waves[..i].iter().flat_map(|w| cells(w)).collect(),
        })
        .collect()
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

/// The health thresholds of every service of `env`, sorted by name: its `alerts`, else its
/// canary analysis.
pub fn health_services(env: &Environment) -> Vec<HealthServiceCtx> {
    env.services
        .values()
        .map(|s| {
            let analysis = s.rollout.canary.as_ref().and_then(|c| c.analysis.as_ref());
            HealthServiceCtx {
                name: s.name.clone(),
                namespace: env.namespace_of(s),
                max_error_rate: s
                    .alerts
                    .error_rate
                    .as_ref()
                    .map(|r| r.above)
                    .or_else(|| analysis.and_then(|a| a.max_error_rate))
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                max_latency_p95_ms: s
                    .alerts
                    .latency_p95_ms
                    .as_ref()
                    .map(|l| l.above)
                    .or_else(|| analysis.and_then(|a| a.max_latency_p95_ms))
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
            }
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
        let gcp = registry_login("europe-west1-docker.pkg.dev/acme/images");
        assert_eq!(
            (gcp.kind.as_str(), gcp.host.as_str()),
            ("gcp", "europe-west1-docker.pkg.dev")
        );
        assert_eq!(registry_login("ghcr.io").kind, "docker");
    }
}

#[cfg(test)]
mod cell_tests {
    use super::*;

    /// The example's prod: its waves with each cell's region and cluster, and its bake.
    #[test]
    fn waves_reach_the_pipeline_facts() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let model = crate::pipeline::load_model(root).unwrap_or_else(|_| panic!("example"));
        let prod = model.environment("prod").unwrap();
        let ctx = environment_ctx(&model, prod, &PathsCtx::default());
        let waves: Vec<Vec<(String, String, String)>> = ctx
            .waves
            .iter()
            .map(|w| {
                w.cells
                    .iter()
                    .map(|c| (c.name.clone(), c.region.clone(), c.cluster.clone()))
                    .collect()
            })
            .collect();
        let cell = |n: &str, r: &str, c: &str| (n.to_owned(), r.to_owned(), c.to_owned());
        assert_eq!(
            waves,
            [
                vec![cell("za-north-1", "southafricanorth", "pe-prod-zan1-aks")],
                vec![
                    cell("za-north-2", "southafricanorth", "pe-prod-zan2-aks"),
                    cell("za-west-1", "southafricawest", "pe-prod-zaw1-aks"),
                ],
            ]
        );
        assert_eq!(ctx.waves[1].number, 2);
        assert_eq!(ctx.bake.as_deref(), Some("30m"));
        let dev = environment_ctx(
            &model,
            model.environment("dev").unwrap(),
            &PathsCtx::default(),
        );
        assert!(dev.waves.is_empty() && dev.bake.is_none());
    }
}
