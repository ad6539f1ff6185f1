//! Azure Pipelines: `ci/azure-pipelines/*.yml`. Each service gets a `build-<service>.yml`
//! that extends one `build-template.yml`; promotion, canary, check and Terraform are one
//! pipeline each, gated by deployment jobs on Azure DevOps environments.
//!
//! Only chooses templates, contexts and paths; the YAML is in `templates/ci/azure-pipelines/`.

use super::context::{CheckCtx, SharedBuildCtx};
use super::{Shared, file};
use crate::artifact::OutputFile;
use crate::error::Error;
use crate::templates::{self, Templates};

const DIR: &str = "ci/azure-pipelines";

pub(super) fn emit(shared: &Shared, t: &Templates) -> Result<Vec<OutputFile>, Error> {
    let mut files = Vec::new();
    let build = SharedBuildCtx {
        platform: shared.platform.clone(),
        scripts: shared.scripts.clone(),
    };
    files.push(file(
        format!("{DIR}/build-template.yml"),
        t.render(templates::AZURE_BUILD_TEMPLATE, &build)?,
    ));
    for service in &shared.services {
        files.push(file(
            format!("{DIR}/build-{}.yml", service.name),
            t.render(templates::AZURE_BUILD_SERVICE, &shared.build_ctx(service))?,
        ));
    }
    let promote = shared.promote_ctx();
    if !promote.targets.is_empty() {
        files.push(file(
            format!("{DIR}/promote.yml"),
            t.render(templates::AZURE_PROMOTE, &promote)?,
        ));
    }
    if !shared.canaries.is_empty() {
        files.push(file(
            format!("{DIR}/canary.yml"),
            t.render(templates::AZURE_CANARY, &shared.canary_ctx())?,
        ));
    }
    let check = CheckCtx {
        platform: shared.platform.clone(),
    };
    files.push(file(
        format!("{DIR}/infrac-check.yml"),
        t.render(templates::AZURE_CHECK, &check)?,
    ));
    if !shared.environments.is_empty() {
        files.push(file(
            format!("{DIR}/terraform.yml"),
            t.render(templates::AZURE_TERRAFORM, &shared.terraform_ctx())?,
        ));
    }
    Ok(files)
}
