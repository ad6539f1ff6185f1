//! Jenkins: declarative pipelines `ci/jenkins/Jenkinsfile.<name>`: one build per service,
//! plus promotion, canary, check and Terraform, with `input` gates where approval is required.
//!
//! Only chooses templates, contexts and paths; the Groovy is in `templates/ci/jenkins/`.

use super::context::CheckCtx;
use super::{Shared, file};
use crate::artifact::OutputFile;
use crate::error::Error;
use crate::templates::{self, Templates};

const DIR: &str = "ci/jenkins";

pub(super) fn emit(shared: &Shared, t: &Templates) -> Result<Vec<OutputFile>, Error> {
    let mut files = Vec::new();
    for service in &shared.services {
        files.push(file(
            format!("{DIR}/Jenkinsfile.build-{}", service.name),
            t.render(templates::JENKINS_BUILD_SERVICE, &shared.build_ctx(service))?,
        ));
    }
    let promote = shared.promote_ctx();
    if !promote.targets.is_empty() {
        files.push(file(
            format!("{DIR}/Jenkinsfile.promote"),
            t.render(templates::JENKINS_PROMOTE, &promote)?,
        ));
    }
    if !shared.canaries.is_empty() {
        files.push(file(
            format!("{DIR}/Jenkinsfile.canary"),
            t.render(templates::JENKINS_CANARY, &shared.canary_ctx())?,
        ));
    }
    let check = CheckCtx {
        platform: shared.platform.clone(),
    };
    files.push(file(
        format!("{DIR}/Jenkinsfile.check"),
        t.render(templates::JENKINS_CHECK, &check)?,
    ));
    if !shared.environments.is_empty() {
        files.push(file(
            format!("{DIR}/Jenkinsfile.terraform"),
            t.render(templates::JENKINS_TERRAFORM, &shared.terraform_ctx())?,
        ));
    }
    Ok(files)
}
