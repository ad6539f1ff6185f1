//! infrac: a declarative infrastructure compiler.
//!
//! The pipeline, one room per stage, data flowing one way:
//!
//! 1. [`project`] reads `infrac.toml` (paths, targets, output moves).
//! 2. [`load`] reads the registry, the environment overlays and `versions.yaml` into spanned
//!    YAML trees; the only code that reads input files.
//! 3. [`validate`] checks each tree against its JSON Schema (and, after the merge, runs the
//!    semantic rules on the typed spec).
//! 4. [`merge`] layers registry defaults → service → environment defaults → environment
//!    service on the spanned trees, keeping every leaf's provenance.
//! 5. [`spec`] reads the merged trees once into typed, spanned layers (what the user wrote,
//!    every field optional and positioned); the semantic rules of [`validate`] read them.
//! 6. [`lower`] turns the typed layers into the resolved [`model::Model`], every default
//!    taken from [`spec::defaults`].
//! 7. [`backend`] compiles the model into an in-memory [`artifact::FileSet`] per back end:
//!    each back end an `emit(&Model, &EmitCtx)`, [`backend::EmitCtx`] carrying the project
//!    (`infrac.toml`) and the templates; each also tells the plan which resources its files
//!    hold and which environment a path of its layout belongs to.
//! 8. [`output`] writes the file set atomically with its manifest, or diffs it against the
//!    golden tree for `plan` and `check`.
//!
//! [`artifact`] is the vocabulary between the back ends and the writer (targets, generated
//! files, the YAML emitter). [`diagnostic`] holds problems in the user's input; [`error`] the
//! tool's own failures; [`printer`] owns stdout and stderr (nothing else prints);
//! [`teardown`] lets the binary leave its large trees to the process exit.

pub mod artifact;
pub mod backend;
pub mod cli;
pub mod commands;
pub mod diagnostic;
pub mod edit;
pub mod error;
pub mod graph;
pub mod init;
pub mod load;
pub mod lower;
pub mod merge;
pub mod model;
pub mod output;
pub mod pipeline;
pub mod printer;
pub mod project;
pub mod reference;
pub mod spec;
pub mod teardown;
pub mod templates;
pub mod validate;
