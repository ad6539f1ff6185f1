//! GitHub Actions: `ci/github/*.yml`. Each service gets a tiny `build-<service>.yml` that
//! calls one reusable workflow, so a thousand services cost a thousand 30-line files and one
//! build definition. Promotion, canary, check and Terraform are one workflow each.
//!
//! Only chooses templates, contexts and paths; the YAML is in `templates/ci/github/`.

use super::{Shared, file};
use crate::artifact::OutputFile;
use crate::error::Error;
use crate::templates::{self, Templates};

use super::context::{CheckCtx, SharedBuildCtx};

pub(super) fn emit(shared: &Shared, t: &Templates) -> Result<Vec<OutputFile>, Error> {
    let mut files = Vec::new();
    let build = SharedBuildCtx {
        platform: shared.platform.clone(),
        scripts: shared.scripts.clone(),
    };
    files.push(file(
        "ci/github/reusable-build.yml".into(),
        t.render(templates::GITHUB_REUSABLE_BUILD, &build)?,
    ));
    for service in &shared.services {
        files.push(file(
            format!("ci/github/build-{}.yml", service.name),
            t.render(templates::GITHUB_BUILD_SERVICE, &shared.build_ctx(service))?,
        ));
    }
    let promote = shared.promote_ctx();
    if !promote.targets.is_empty() {
        files.push(file(
            "ci/github/promote.yml".into(),
            t.render(templates::GITHUB_PROMOTE, &promote)?,
        ));
    }
    if !shared.canaries.is_empty() {
        files.push(file(
            "ci/github/canary.yml".into(),
            t.render(templates::GITHUB_CANARY, &shared.canary_ctx())?,
        ));
    }
    let check = CheckCtx {
        platform: shared.platform.clone(),
    };
    files.push(file(
        "ci/github/infrac-check.yml".into(),
        t.render(templates::GITHUB_CHECK, &check)?,
    ));
    if !shared.environments.is_empty() {
        files.push(file(
            "ci/github/terraform.yml".into(),
            t.render(templates::GITHUB_TERRAFORM, &shared.terraform_ctx())?,
        ));
    }
    Ok(files)
}
