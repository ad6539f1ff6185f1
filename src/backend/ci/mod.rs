//! The CI target: pipeline files for every system in `platform.ci` (GitHub Actions, GitLab
//! CI, Azure Pipelines, Jenkins) that build, scan and push each service, bump the first
//! environment in the GitOps repository, promote along `promotion.from` behind approval
//! gates, drive canaries, check the golden files on pull requests and run Terraform.
//!
//! Pure: model in, [`OutputFile`]s out, all text from the templates in `templates/ci/`
//! through [`Templates`]. It never reads or writes files and never builds YAML by hand.

pub mod azure;
pub mod context;
pub mod facts;
pub mod github;
pub mod gitlab;
pub(crate) mod identity;
pub mod jenkins;

use crate::artifact::{OutputFile, Target};
use crate::error::Error;
use crate::model::{CiSystem, Model};
use crate::templates::{self, Templates};
use context::*;
use facts::*;
use std::collections::BTreeSet;

/// Compiles the pipelines of every CI system the registry lists.
pub fn emit(model: &Model, ctx: &super::EmitCtx) -> Result<Vec<OutputFile>, Error> {
    let templates = ctx.templates;
    let systems: BTreeSet<CiSystem> = model.platform.ci.iter().copied().collect();
    if systems.is_empty() {
        return Ok(Vec::new());
    }
    let shared = Shared::new(model, templates, &PathsCtx::new(ctx.project))?;
    let mut files = Vec::new();
    for system in systems {
        files.extend(match system {
            CiSystem::Github => github::emit(&shared, templates)?,
            CiSystem::Gitlab => gitlab::emit(&shared, templates)?,
            CiSystem::AzurePipelines => azure::emit(&shared, templates)?,
            CiSystem::Jenkins => jenkins::emit(&shared, templates)?,
        });
    }
    Ok(files)
}

/// What every CI system's pipelines are made of, computed once.
pub struct Shared {
    pub platform: PlatformCtx,
    /// Every registry service, sorted by name.
    pub services: Vec<ServiceCtx>,
    /// Every environment, in promotion order.
    pub environments: Vec<EnvironmentCtx>,
    pub scripts: ScriptsCtx,
    /// Environments with canary services, in promotion order.
    pub canaries: Vec<CanaryEnvironmentCtx>,
    /// Environments with more than one wave of cells, in promotion order.
    pub waves: Vec<WaveDriveCtx>,
    /// Whether some service has `migrations`.
    pub migrations: bool,
}

impl Shared {
    fn new(model: &Model, templates: &Templates, paths: &PathsCtx) -> Result<Self, Error> {
        let platform = platform_ctx(model, paths);
        let services: Vec<ServiceCtx> = model
            .registry_services
            .values()
            .map(|s| service_ctx(model, s))
            .collect();
        let gitops = GitopsScriptCtx {
            platform: platform.clone(),
        };
        let migrations: Vec<String> = model
            .registry_services
            .values()
            .filter(|s| s.migrations.is_some())
            .map(|s| s.name.clone())
            .collect();
        let promote = PromoteScriptCtx {
            platform: platform.clone(),
            services: services.clone(),
            cells: model.environments.iter().any(|e| !e.waves.is_empty()),
            migrations: migrations.clone(),
        };
        let scripts = ScriptsCtx {
            image_tag: script(templates, templates::SCRIPT_IMAGE_TAG, &EmptyCtx {})?,
            image_exists: script(templates, templates::SCRIPT_IMAGE_EXISTS, &EmptyCtx {})?,
            gitops: script(templates, templates::SCRIPT_GITOPS, &gitops)?,
            promote: script(templates, templates::SCRIPT_PROMOTE, &promote)?,
            canary_abort: script(templates, templates::SCRIPT_CANARY_ABORT, &EmptyCtx {})?,
        };
        let mut canaries = Vec::new();
        for env in &model.environments {
            let services = canary_services(env);
            if services.is_empty() {
                continue;
            }
            let environment = environment_ctx(model, env, paths);
            let ctx = CanaryScriptCtx {
                environment: environment.clone(),
                services: services.clone(),
            };
            let slowest = services
                .iter()
                .map(|s| s.interval_seconds * s.steps.split(' ').count() as u64)
                .max()
                .unwrap_or_default();
            canaries.push(CanaryEnvironmentCtx {
                environment,
                services,
                // Room for builds and commits besides the waits, within GitHub's 6 h limit.
                timeout_minutes: (slowest / 60 + 30).min(360),
                script: script(templates, templates::SCRIPT_CANARY, &ctx)?,
            });
        }
        let mut waves = Vec::new();
        for env in model.environments.iter().filter(|e| e.waves.len() > 1) {
            let environment = environment_ctx(model, env, paths);
            let bake_seconds = environment.bake.as_deref().map_or(0, duration_seconds);
            let ctx = WaveScriptCtx {
                environment: environment.clone(),
                services: health_services(env),
                bake_seconds,
            };
            waves.push(WaveDriveCtx {
                environment,
                bake_seconds,
                // The bake, the analysis and the commit, within GitHub's 6 h job limit.
                timeout_minutes: (bake_seconds / 60 + 30).min(360),
                script: script(templates, templates::SCRIPT_WAVE, &ctx)?,
            });
        }
        Ok(Self {
            waves,
            migrations: !migrations.is_empty(),
            environments: model
                .environments
                .iter()
                .map(|e| environment_ctx(model, e, paths))
                .collect(),
            platform,
            services,
            scripts,
            canaries,
        })
    }

    /// The promotion context: one target per environment that promotes from another.
    pub fn promote_ctx(&self) -> PromoteCtx {
        PromoteCtx {
            platform: self.platform.clone(),
            targets: self
                .environments
                .iter()
                .filter(|e| e.from.is_some())
                .cloned()
                .collect(),
            services: self.services.iter().map(|s| s.name.clone()).collect(),
            service_images: self
                .services
                .iter()
                .map(|s| format!("{} {}", s.name, s.image))
                .collect::<Vec<_>>()
                .join("\n"),
            scripts: self.scripts.clone(),
            waves: self
                .waves
                .iter()
                .filter(|w| w.environment.from.is_some())
                .cloned()
                .collect(),
            migrations: self.migrations,
        }
    }

    /// The canary context over every environment with canary services.
    pub fn canary_ctx(&self) -> CanaryCtx {
        let names: BTreeSet<&str> = self
            .canaries
            .iter()
            .flat_map(|e| e.services.iter().map(|s| s.name.as_str()))
            .collect();
        CanaryCtx {
            platform: self.platform.clone(),
            environments: self.canaries.clone(),
            services: names.into_iter().map(str::to_owned).collect(),
            scripts: self.scripts.clone(),
        }
    }

    pub fn terraform_ctx(&self) -> TerraformCtx {
        TerraformCtx {
            platform: self.platform.clone(),
            environments: self.environments.clone(),
        }
    }

    pub fn build_ctx(&self, service: &ServiceCtx) -> BuildServiceCtx {
        BuildServiceCtx {
            platform: self.platform.clone(),
            service: service.clone(),
            scripts: self.scripts.clone(),
        }
    }
}

/// A shared script, without its trailing newline so templates can indent it into blocks.
fn script<C: serde::Serialize>(
    templates: &Templates,
    name: &str,
    ctx: &C,
) -> Result<String, Error> {
    Ok(templates.render(name, ctx)?.trim_end().to_owned())
}

/// One generated CI file.
pub(crate) fn file(path: String, contents: String) -> OutputFile {
    OutputFile::new(Target::Ci, None, path, contents)
}

#[cfg(test)]
mod tests;
