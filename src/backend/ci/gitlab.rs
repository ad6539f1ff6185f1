//! GitLab CI: one `ci/gitlab/.gitlab-ci.yml` with every stage (GitLab runs a single file).
//! Per service a test, build and publish job; Terraform plan and apply, promotion and canary
//! jobs per environment; approvals through protected environments and manual jobs.
//!
//! Only chooses the template, context and path; the YAML is in `templates/ci/gitlab/`.

use super::context::GitlabCtx;
use super::{Shared, file};
use crate::artifact::OutputFile;
use crate::error::Error;
use crate::templates::{self, Templates};

pub(super) fn emit(shared: &Shared, t: &Templates) -> Result<Vec<OutputFile>, Error> {
    let ctx = GitlabCtx {
        platform: shared.platform.clone(),
        services: shared.services.clone(),
        environments: shared.environments.clone(),
        promote: shared.promote_ctx(),
        canary: shared.canary_ctx(),
        scripts: shared.scripts.clone(),
    };
    Ok(vec![file(
        "ci/gitlab/.gitlab-ci.yml".into(),
        t.render(templates::GITLAB_CI, &ctx)?,
    )])
}
