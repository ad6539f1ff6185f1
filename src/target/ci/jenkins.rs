//! jenkins (placeholder).
use super::Shared;
use crate::error::Error;
use crate::output::OutputFile;
use crate::templates::Templates;

pub(super) fn emit(_shared: &Shared, _t: &Templates) -> Result<Vec<OutputFile>, Error> {
    Ok(Vec::new())
}
