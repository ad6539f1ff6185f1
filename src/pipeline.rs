//! The front end in one call: load → validate → merge → lower. Every command that needs
//! the model starts here; nothing here writes.

use crate::diagnostic::{Diagnostics, Sources};
use crate::load::yaml::Node;
use crate::load::{Inputs, load_inputs};
use crate::merge::{MergedPlatform, merge_platform};
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
    let mut sources = Sources::default();
    let mut diags = Diagnostics::default();
    let inputs = load_inputs(root, versions_text, &mut sources, &mut diags);
    let mut model = None;
    if let Some(registry) = &inputs.registry {
        diags.extend(validate_file(
            SchemaKind::Registry,
            sources.path(registry.file),
            &registry.node,
        ));
    }
    for (_, env) in &inputs.environments {
        diags.extend(validate_file(
            SchemaKind::Environment,
            sources.path(env.file),
            &env.node,
        ));
    }
    if let Some(versions) = &inputs.versions {
        diags.extend(validate_file(
            SchemaKind::Versions,
            sources.path(versions.file),
            &versions.node,
        ));
    }
    if let Some(registry) = inputs
        .registry
        .as_ref()
        .filter(|r| r.node.as_map().is_some())
    {
        let envs: Vec<(String, Node)> = inputs
            .environments
            .iter()
            .filter(|(_, e)| e.node.as_map().is_some())
            .map(|(n, e)| (n.clone(), e.node.clone()))
            .collect();
        let merged = merge_platform(&registry.node, &envs);
        let versions = inputs
            .versions
            .as_ref()
            .map(|v| &v.node)
            .filter(|v| v.as_map().is_some());
        let environments_readable = root.join(&inputs.project.environments).is_dir();
        let ctx = RuleCtx {
            merged: &merged,
            versions,
            broken_environments: &inputs.broken_environments,
            environments_readable,
        };
        diags.extend(check_rules(&ctx));
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
            model = lower(&merged, versions, &mut diags);
        }
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

fn lower(
    merged: &MergedPlatform,
    versions: Option<&Node>,
    diags: &mut Diagnostics,
) -> Option<Model> {
    match crate::lower::lower_model(merged, versions) {
        Ok(model) => Some(model),
        Err(errors) => {
            diags.extend(errors);
            None
        }
    }
}

/// The model of the platform at `root`, or the diagnostics that prevent it.
pub fn load_model(root: &Path) -> Result<Model, Box<Frontend>> {
    let mut frontend = run_frontend(root);
    match frontend.model.take() {
        Some(model) => Ok(model),
        None => Err(Box::new(frontend)),
    }
}
