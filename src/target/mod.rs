//! Back ends: each a pure function from the resolved [`Model`] to generated files.
//!
//! A target never reads a file and never writes one; it returns [`OutputFile`]s and
//! `output/` does the rest.

pub mod kubernetes;

use crate::model::Model;
use crate::output::{FileSet, Target};

/// Compiles `model` for the targets in `targets`.
pub fn emit(model: &Model, targets: &[Target]) -> Result<FileSet, crate::error::Error> {
    let mut files = FileSet::new();
    for target in targets {
        match target {
            Target::Kubernetes => files.extend(kubernetes::emit(model)?),
            Target::Terraform => {}
            Target::Ci => {}
        }
    }
    let _ = (model, &mut files);
    Ok(files)
}
