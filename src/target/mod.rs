//! Back ends: each a pure function from the resolved [`Model`] to generated files.
//!
//! A target never reads a file and never writes one; it returns [`OutputFile`]s and
//! `output/` does the rest.

pub mod ci;
pub mod kubernetes;
pub mod terraform;

use crate::model::Model;
use crate::output::{FileSet, Target};
use crate::templates::Templates;

/// Compiles `model` for the targets in `targets`.
pub fn emit(
    model: &Model,
    targets: &[Target],
    templates: &Templates,
) -> Result<FileSet, crate::error::Error> {
    use rayon::prelude::*;
    // Targets are independent: compile them side by side (each also runs in parallel
    // inside); the file set is keyed by path, so the order they finish in does not matter.
    let per_target = targets
        .par_iter()
        .map(|target| match target {
            Target::Kubernetes => kubernetes::emit(model),
            Target::Terraform => terraform::emit(model),
            Target::Ci => ci::emit(model, templates),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut files = FileSet::new();
    for target_files in per_target {
        files.extend(target_files);
    }
    Ok(files)
}
