//! Cells (SPEC "Cells"): an environment running on several clusters. Each cell is a whole
//! [`Environment`] (named like its environment: namespaces, labels and secret names stay
//! the environment's) lowered from the cell's merged tree, with its own cluster, region,
//! secret store and per-cell pinned tags.

use super::Environment;
use serde::Serialize;

/// One cell of an environment.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct Cell {
    /// The key under `cells:` (a DNS-1123 label).
    pub name: String,
    /// The environment with the cell's fields merged over it.
    pub environment: Environment,
}

impl Environment {
    /// The cells in wave order (each wave's cells as the wave lists them).
    pub fn cells_in_wave_order(&self) -> Vec<&Cell> {
        self.waves
            .iter()
            .flatten()
            .filter_map(|name| self.cells.iter().find(|c| &c.name == name))
            .collect()
    }

    /// The wave `cell` belongs to (0-based), if it is a cell here.
    pub fn wave_of(&self, cell: &str) -> Option<usize> {
        self.waves.iter().position(|w| w.iter().any(|c| c == cell))
    }
}
