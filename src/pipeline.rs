//! The front end in one call: load → validate → merge → spec → lower. Every command that
//! needs the model starts here; nothing here writes.

use crate::diagnostic::{Diagnostics, Sources};
use crate::load::yaml::Node;
use crate::load::{Inputs, Root, load_inputs_from};
use crate::merge::merge_platform;
use crate::model::Model;
use crate::project::Project;
use crate::validate::rules::{RuleCtx, check_rules};
use crate::validate::schema::SchemaKind;
use crate::validate::validate_file;
use std::path::Path;

/// What the front end produced: the sources read, every diagnostic, and the model when
/// there was no error.
pub struct Frontend {
    pub project: Project,
    pub sources: Sources,
    pub diagnostics: Diagnostics,
    pub model: Option<Model>,
    /// The parsed inputs, kept for `explain` and the versions editors.
    pub inputs: Inputs,
}

/// Loads, validates, merges and lowers the platform repo at `root`.
pub fn run_frontend(root: &Path) -> Frontend {
    run_frontend_with(root, None)
}

/// [`run_frontend`] with `versions_text` standing in for versions.yaml.
pub fn run_frontend_with(root: &Path, versions_text: Option<&str>) -> Frontend {
    run_frontend_from(Root::Disk(root), versions_text)
}

/// [`run_frontend_with`] from either root: the working tree, or the inputs as committed at
/// a git revision (the base of `plan --base`).
pub fn run_frontend_from(root: Root, versions_text: Option<&str>) -> Frontend {
    let mut sources = Sources::default();
    let mut diags = Diagnostics::default();
    let inputs = load_inputs_from(root, versions_text, &mut sources, &mut diags);
    let mut model = None;
    let registry = inputs
        .registry
        .as_ref()
        .filter(|r| r.node.as_map().is_some());
    let envs: Vec<(String, Node)> = match registry {
        Some(_) => inputs
            .environments
            .iter()
            .filter(|(_, e)| e.node.as_map().is_some())
            .map(|(n, e)| (n.clone(), e.node.clone()))
            .collect(),
        None => Vec::new(),
    };
    // The schema checks and the merge read the same trees independently: run them side by
    // side; the diagnostics keep their order (schema first, then the rules).
    let (schema_diags, merged) = rayon::join(
        || schema_diagnostics(&inputs, &sources),
        || registry.map(|r| merge_platform(&r.node, &envs)),
    );
    diags.extend(schema_diags);
    if let (Some(registry), Some(merged)) = (registry, merged) {
        let versions = inputs
            .versions
            .as_ref()
            .map(|v| &v.node)
            .filter(|v| v.as_map().is_some());
        let environments_readable = root.is_dir(&inputs.project.environments);
        // One typed read of every merged tree (services in parallel) feeds both the rules
        // and lowering.
        let spec = crate::spec::read_in(&merged, versions, &sources);
        let ctx = RuleCtx {
            spec: &spec,
            broken_environments: &inputs.broken_environments,
            environments_readable,
        };
        // Lowering reads only the typed spec and reports its own gaps as diagnostics, so it
        // runs beside the rules; its result counts only when nothing else failed.
        let out = inputs.project.out.as_str();
        let (rule_diags, lowered) = rayon::join(
            || check_rules(&ctx),
            || crate::lower::lower_model(&spec, out),
        );
        diags.extend(rule_diags);
        if inputs.environments.is_empty() && !diags.has_errors() {
            let dir = inputs.environments_dir.unwrap_or(registry.file);
            diags.push(
                crate::diagnostic::Diagnostic::error(
                    crate::diagnostic::Code::NoEnvironments,
                    Sources::file_pos(dir),
                    format!(
                        "`{}` holds no environment overlay",
                        inputs.project.environments
                    ),
                )
                .with_help(
                    "add environments/<name>.yaml, one per environment (dev, staging, prod)",
                ),
            );
        }
        if !diags.has_errors() {
            match lowered {
                Ok(m) => model = Some(m),
                Err(errors) => diags.extend(errors),
            }
        }
        // Every environment's merged and typed services: left to the process exit in the
        // binary.
        crate::teardown::release(spec);
        crate::teardown::release(merged);
    }
    crate::validate::prefer_specific(&mut diags.items);
    diags.finish(&sources);
    Frontend {
        project: inputs.project.clone(),
        sources,
        diagnostics: diags,
        model,
        inputs,
    }
}

/// The JSON Schema diagnostics of every loaded file: registry, environments, versions.
fn schema_diagnostics(inputs: &Inputs, sources: &Sources) -> Vec<crate::diagnostic::Diagnostic> {
    use rayon::prelude::*;
    let mut files: Vec<(SchemaKind, &crate::load::Loaded)> = Vec::new();
    files.extend(inputs.registry.iter().map(|r| (SchemaKind::Registry, r)));
    files.extend(
        inputs
            .environments
            .iter()
            .map(|(_, e)| (SchemaKind::Environment, e)),
    );
    files.extend(inputs.versions.iter().map(|v| (SchemaKind::Versions, v)));
    let per_file: Vec<Vec<crate::diagnostic::Diagnostic>> = files
        .par_iter()
        .map(|(kind, loaded)| validate_file(*kind, sources.path(loaded.file), &loaded.node))
        .collect();
    per_file.into_iter().flatten().collect()
}

/// The model of the platform at `root`, or the diagnostics that prevent it.
pub fn load_model(root: &Path) -> Result<Model, Box<Frontend>> {
    let mut frontend = run_frontend(root);
    match frontend.model.take() {
        Some(model) => Ok(model),
        None => Err(Box::new(frontend)),
    }
}

impl Frontend {
    /// The loaded environment overlays as `(name, tree)`, for re-merging (explain, edits).
    pub fn environments_owned(&self) -> Vec<(String, Node)> {
        self.inputs
            .environments
            .iter()
            .map(|(n, e)| (n.clone(), e.node.clone()))
            .collect()
    }
}
