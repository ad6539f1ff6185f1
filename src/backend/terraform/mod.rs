//! The Terraform target: `terraform/environments/<env>/` per environment (plus
//! `<env>-messaging/` for topics and exchanges on managed brokers) and the local modules
//! those roots call, `terraform/modules/<cloud>-<kind>/`, only the ones some root uses.
//!
//! A pure function of the model: it never reads or writes files. Model-dependent HCL is
//! built with hcl-rs (`hclx`) and made `terraform fmt` canonical by `format`; the fixed
//! module bodies live in `modules/hcl/`. Where a resource lives is decided only by
//! [`crate::backend::contract::placement`], secret names and keys only by
//! [`crate::backend::contract`].

pub(crate) mod addresses;
mod cells;
mod format;
mod hclx;
mod identity;
mod mesh;
mod messaging;
mod modules;
mod names;
mod plan;
mod providers;
mod registry;
mod root;
mod secrets;
mod sizing;
mod stack;
mod store_auth;

use std::collections::BTreeSet;

use rayon::prelude::*;

use crate::artifact::{OutputFile, Target};
use crate::error::Error;
use crate::model::CloudProvider;
use crate::model::Model;
use modules::ModuleKind;

/// The files of one environment and the modules its roots call.
type EnvOutput = (Vec<OutputFile>, Vec<(CloudProvider, ModuleKind)>);

/// Every Terraform file for `model`.
pub fn emit(model: &Model, _ctx: &super::EmitCtx) -> Result<Vec<OutputFile>, Error> {
    let per_env: Vec<EnvOutput> = model
        .environments
        .par_iter()
        .map(|env| {
            if !env.cells.is_empty() {
                let files = cells::files(model, env)?
                    .into_iter()
                    .map(|(dir, name, text)| {
                        let path = format!("terraform/environments/{dir}/{name}");
                        OutputFile::new(Target::Terraform, Some(&env.name), path, text)
                    })
                    .collect();
                return Ok((files, cells::used_modules(model, env)));
            }
            let plan = plan::plan(model, env);
            let mut used = vec![
                (plan.cloud, ModuleKind::Network),
                (plan.cloud, ModuleKind::Cluster),
            ];
            used.extend(
                plan.managed
                    .keys()
                    .map(|k| (plan.cloud, ModuleKind::Data(*k))),
            );
            let file = |dir: &str, name: &str, text: String| {
                let path = format!("terraform/environments/{dir}/{name}");
                OutputFile::new(Target::Terraform, Some(&env.name), path, text)
            };
            let mut files: Vec<OutputFile> = root::files(model, env, &plan)?
                .into_iter()
                .map(|(name, text)| file(&env.name, name, text))
                .collect();
            if messaging::needed(&plan) {
                let dir = format!("{}{}", env.name, addresses::MESSAGING_SUFFIX);
                for (name, text) in messaging::files(env, &plan, &env.name)? {
                    files.push(file(&dir, name, text));
                }
            }
            Ok((files, used))
        })
        .collect::<Result<_, Error>>()?;
    let mut files = Vec::new();
    let mut used = BTreeSet::new();
    for (env_files, env_used) in per_env {
        files.extend(env_files);
        used.extend(env_used);
    }
    for (cloud, kind) in used {
        for (path, text) in modules::emit_module(cloud, kind)? {
            files.push(OutputFile::new(
                Target::Terraform,
                None,
                format!("terraform/modules/{path}"),
                text,
            ));
        }
    }
    Ok(files)
}

/// A Terraform root as a pipeline runs it: its directory under `terraform/environments/` and
/// the root variables it declares without a default, as (name, description), which the
/// pipeline must pass (`TF_VAR_<name>`).
pub struct RootInputs {
    pub dir: String,
    pub required: Vec<(String, String)>,
}

/// The roots of `env` in apply order: the environment's own, then `<env>-messaging` when it
/// has one (it reads the broker connections from the first one's state). The roots of its
/// cells, which come after these, are [`cell_roots`].
pub fn roots(model: &Model, env: &crate::model::Environment) -> Vec<RootInputs> {
    let required = root::variables(model, env)
        .into_iter()
        .filter(|v| v.default.is_none())
        .map(|v| (v.name.to_owned(), v.description.to_owned()))
        .collect();
    let mut out = vec![RootInputs {
        dir: env.name.clone(),
        required,
    }];
    let plan = if env.cells.is_empty() {
        plan::plan(model, env)
    } else {
        cells::environment_plan(model, env)
    };
    if messaging::needed(&plan) {
        out.push(RootInputs {
            dir: format!("{}{}", env.name, addresses::MESSAGING_SUFFIX),
            required: Vec::new(),
        });
    }
    out
}

/// The roots of each cell of `env` (none without cells), in wave order: the cell's own, then
/// `<cell>-messaging` when its brokers have topics or exchanges. Each applies after the
/// environment's roots ([`roots`]).
pub fn cell_roots(model: &Model, env: &crate::model::Environment) -> Vec<(String, RootInputs)> {
    let mut out = Vec::new();
    for cell in env.cells_in_wave_order() {
        let dir = crate::backend::contract::cell_root_dir(&env.name, &cell.name);
        let required = root::variables(model, &cell.environment)
            .into_iter()
            .filter(|v| v.default.is_none())
            .map(|v| (v.name.to_owned(), v.description.to_owned()))
            .collect();
        if messaging::needed(&cells::cell_plan(model, &cell.environment)) {
            out.push((
                cell.name.clone(),
                RootInputs {
                    dir: dir.clone(),
                    required,
                },
            ));
            out.push((
                cell.name.clone(),
                RootInputs {
                    dir: format!("{dir}{}", addresses::MESSAGING_SUFFIX),
                    required: Vec::new(),
                },
            ));
        } else {
            out.push((cell.name.clone(), RootInputs { dir, required }));
        }
    }
    out
}

#[cfg(test)]
mod tests;
