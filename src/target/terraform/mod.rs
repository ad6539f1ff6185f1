//! The Terraform target: one root per environment and the local modules it calls.
//!
//! Pure function of the model; never reads or writes files.

mod format;
mod hclx;
mod modules;
mod names;
mod providers;

use crate::model::Model;
use crate::output::OutputFile;

/// Every Terraform file for `model`.
pub fn emit(model: &Model) -> Result<Vec<OutputFile>, crate::error::Error> {
    let _ = model;
    Ok(Vec::new())
}
