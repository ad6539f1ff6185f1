//! Back ends: each a pure function from the resolved [`Model`] and the [`EmitCtx`] to
//! generated files.
//!
//! A back end never reads a file and never writes one; it returns [`OutputFile`]s and
//! `output/` does the rest. Everything a back end may know about the project (paths from
//! `infrac.toml`, the templates) comes in through [`EmitCtx`].

pub mod ci;
pub mod kubernetes;
pub mod terraform;

use crate::model::Model;
use crate::output::{FileSet, Target};
use crate::project::Project;
use crate::templates::Templates;

/// What every back end gets beside the model: the project (`infrac.toml`, defaults filled
/// in) and the template environment (built-ins with the user's overrides).
#[derive(Clone, Copy)]
pub struct EmitCtx<'a> {
    pub project: &'a Project,
    pub templates: &'a Templates,
}

impl<'a> EmitCtx<'a> {
    pub fn new(project: &'a Project, templates: &'a Templates) -> Self {
        Self { project, templates }
    }
}

/// Compiles `model` for the targets in `targets`.
pub fn emit(
    model: &Model,
    targets: &[Target],
    ctx: &EmitCtx,
) -> Result<FileSet, crate::error::Error> {
    use rayon::prelude::*;
    // Targets are independent: compile them side by side (each also runs in parallel
    // inside); the file set is keyed by path, so the order they finish in does not matter.
    let per_target = targets
        .par_iter()
        .map(|target| match target {
            Target::Kubernetes => kubernetes::emit(model, ctx),
            Target::Terraform => terraform::emit(model, ctx),
            Target::Ci => ci::emit(model, ctx),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut files = FileSet::new();
    for target_files in per_target {
        files.extend(target_files)?;
    }
    Ok(files)
}
