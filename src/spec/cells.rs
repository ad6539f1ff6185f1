//! Cells as written (SPEC "Cells"): the `cells`, `waves` and `bake` of an environment file,
//! and each cell read from its merged tree ([`crate::merge::cells`]).

use super::{EnvironmentSpec, Field, Spanned, SpecService};
use crate::load::yaml::Pos;
use crate::model::CloudProvider;
use indexmap::IndexMap;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The cells of an environment as written, by name, in file order.
pub type CellsSpec = IndexMap<Spanned<String>, Field<CellLayer>>;

/// `waves:` as written: each wave a list of cell names.
pub type WavesSpec = Vec<Field<Vec<Field<String>>>>;

/// What the rules read of one cell's own layer (the rest is read merged, [`SpecCell`]).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CellLayer {
    pub cloud: Field<CellCloud>,
    /// Whether the cell names its own state backend (else it gets the environment's with
    /// its own state key).
    pub terraform: Field<serde_json::Value>,
}

/// `cells.<name>.cloud` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CellCloud {
    pub provider: Field<CloudProvider>,
}

/// One cell: its environment merged with the cell's fields, its services merged and typed.
#[derive(Debug, Clone)]
pub struct SpecCell {
    pub name: String,
    /// The cell's key under `cells:`.
    pub key_pos: Pos,
    pub spec: EnvironmentSpec,
    pub services: BTreeMap<String, SpecService>,
    pub disabled: BTreeMap<String, Pos>,
}
