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
    let mut files = FileSet::new();
    for target in targets {
        match target {
            Target::Kubernetes => files.extend(kubernetes::emit(model)?),
            Target::Terraform => files.extend(terraform::emit(model)?),
            Target::Ci => files.extend(ci::emit(model, templates)?),
        }
    }
    Ok(files)
}
