//! The only code that writes: the atomic writer, the build lock, the manifest, the safe
//! filesystem primitives they share, and the plan's diff against the tree on disk or in git.
//!
//! What it writes comes from the back ends as an [`crate::artifact::FileSet`]; nothing
//! outside this module touches the filesystem for output.

pub mod atomic;
pub mod fs;
pub mod layout;
pub mod lock;
pub mod manifest;
pub mod plan;
pub mod write;
