//! The cells of an environment (SPEC "Cells"): `kubernetes/environments/<env>/cells/<cell>/`
//! is the whole cell, as `kubernetes/environments/<env>/` is the whole of an environment
//! without cells: its namespaces, its own ClusterSecretStore, the in-cluster operator
//! resources and a kustomization over the service overlays; beside it the cell's Argo CD
//! Application, which deploys that directory to the cell's cluster.
//!
//! Cells share everything but overlays: a service whose overlay in the cell renders exactly
//! as in the environment is the environment's overlay (`kubernetes/<svc>/overlays/<env>/`);
//! one that differs (a cell override, a pinned tag, the cell's secret store) gets its own,
//! `kubernetes/<svc>/overlays/<env>/cells/<cell>/`, patched over the same base.
//!
//! An environment with cells has no Application of its own: each cell's replaces it (the
//! environment's aggregate stays, the shape every cell starts from).

use super::{base, environment, overlay, secrets};
use crate::artifact::OutputFile;
use crate::artifact::yaml::to_yaml;
use crate::error::Error;
use crate::model::{Cell, Environment, Model};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The label naming the cell on the cell's Application.
const CELL_LABEL: &str = "infrac.dev/cell";

/// The directory of a cell's aggregate.
pub(crate) fn cell_dir(env: &str, cell: &str) -> String {
    format!("kubernetes/environments/{env}/cells/{cell}")
}

/// The directory of a service's overlay made for one cell.
pub(crate) fn cell_overlay_dir(service: &str, env: &str, cell: &str) -> String {
    format!("kubernetes/{service}/overlays/{env}/cells/{cell}")
}

/// Every cell's files of `env`, and `files` (the environment's) without its Application.
/// `overlays` are the environment's overlay files, to tell which services a cell shares.
pub(crate) fn emit_cells(
    model: &Model,
    env: &Environment,
    overlays: &[OutputFile],
    files: &mut Vec<OutputFile>,
) -> Result<(), Error> {
    if env.cells.is_empty() {
        return Ok(());
    }
    let application = format!("kubernetes/environments/{}/application.yaml", env.name);
    files.retain(|f| f.path != application);
    let by_path: BTreeMap<&str, &str> = overlays
        .iter()
        .map(|f| (f.path.as_str(), f.contents.as_str()))
        .collect();
    let mut bases = BTreeMap::new();
    for cell in &env.cells {
        files.extend(emit_cell(model, env, cell, &by_path, &mut bases)?);
    }
    Ok(())
}

fn emit_cell(
    model: &Model,
    env: &Environment,
    cell: &Cell,
    env_overlays: &BTreeMap<&str, &str>,
    bases: &mut BTreeMap<String, Vec<Value>>,
) -> Result<Vec<OutputFile>, Error> {
    let cell_env = &cell.environment;
    let env_dir = format!("kubernetes/environments/{}", env.name);
    let dir = cell_dir(&env.name, &cell.name);
    let mut out = Vec::new();
    // The services whose overlay here differs from the environment's.
    let mut own = Vec::new();
    for (name, service) in &cell_env.services {
        let base_objects = match bases.get(name) {
            Some(b) => b,
            None => {
                let registry = model.registry_services.get(name).ok_or_else(|| {
                    Error::Internal(format!(
                        "service {name} of cell {} is missing from the registry",
                        cell.name
                    ))
                })?;
                let objects = base::emit_base(model, registry).1;
                bases.entry(name.clone()).or_insert(objects)
            }
        };
        let files = overlay::emit_overlay(model, cell_env, service, base_objects)?;
        let same = env.services.contains_key(name)
            && files
                .iter()
                .all(|f| env_overlays.get(f.path.as_str()) == Some(&f.contents.as_str()))
            && env_overlays
                .keys()
                .filter(|p| p.starts_with(&format!("kubernetes/{name}/overlays/{}/", env.name)))
                .filter(|p| !p.contains("/cells/"))
                .count()
                == files.len();
        if same {
            continue;
        }
        own.push(name.clone());
        let from = format!("kubernetes/{name}/overlays/{}/", env.name);
        let to = format!("{}/", cell_overlay_dir(name, &env.name, &cell.name));
        for f in files {
            let rest = f.path.strip_prefix(&from).ok_or_else(|| {
                Error::Internal(format!("overlay file {} is outside {from}", f.path))
            })?;
            let mut contents = f.contents;
            if rest == "kustomization.yaml" {
                // Two directories deeper: the same base.
                contents = replace_line(&contents, "- ../../base", "- ../../../../base")?;
            }
            out.push(super::file(
                Some(&env.name),
                format!("{to}{rest}"),
                contents,
            ));
        }
    }
    for f in environment::emit_environment(model, cell_env) {
        let rest = f.path.strip_prefix(&format!("{env_dir}/")).ok_or_else(|| {
            Error::Internal(format!("aggregate file {} is outside {env_dir}", f.path))
        })?;
        let contents = match rest {
            "kustomization.yaml" => {
                let text = relocate_kustomization(&f.contents, env, &cell.name, &own)?;
                with_entry_patches(text, model, env, cell_env)
            }
            "application.yaml" => application(&f.contents, model, env, cell)?,
            _ => f.contents,
        };
        out.push(super::file(
            Some(&env.name),
            format!("{dir}/{rest}"),
            contents,
        ));
    }
    Ok(out)
}

/// The environment's kustomization, moved two directories down: each overlay reached from
/// the cell, the cell's own where it has one.
fn relocate_kustomization(
    text: &str,
    env: &Environment,
    cell: &str,
    own: &[String],
) -> Result<String, Error> {
    let mut text = text.to_owned();
    for name in env.services.keys().chain(own) {
        let old = format!("- ../../{name}/overlays/{}", env.name);
        let new = if own.contains(name) {
            format!("- ../../../../{name}/overlays/{}/cells/{cell}", env.name)
        } else {
            format!("- ../../../../{name}/overlays/{}", env.name)
        };
        if text.lines().any(|l| l == old) {
            text = replace_line(&text, &old, &new)?;
        }
    }
    Ok(text)
}

/// The cell's kustomization with the patches that make its ExternalSecrets read the cell's
/// own store entries ([`secrets::cell_entry_patches`]): the overlays it lists read the
/// environment's names, which are the `scope: environment` resources' only.
fn with_entry_patches(
    mut text: String,
    model: &Model,
    env: &Environment,
    cell_env: &Environment,
) -> String {
    let patches = secrets::cell_entry_patches(model, env, cell_env);
    if !patches.is_empty() {
        text.push_str(&to_yaml(&json!({ "patches": patches })));
    }
    text
}

/// `text` with its one line `old` replaced by `new`.
fn replace_line(text: &str, old: &str, new: &str) -> Result<String, Error> {
    let mut found = 0;
    let lines: Vec<&str> = text
        .lines()
        .map(|l| {
            if l == old {
                found += 1;
                new
            } else {
                l
            }
        })
        .collect();
    if found != 1 {
        return Err(Error::Internal(format!(
            "expected the line `{old}` once in a generated kustomization, found it {found} times"
        )));
    }
    Ok(format!("{}\n", lines.join("\n")))
}

/// The cell's Application: the environment's, named for the cell, syncing the cell's
/// directory to the cell's cluster. Argo CD names a registered cluster by `destination.name`
/// (instead of `server`):
/// <https://argo-cd.readthedocs.io/en/stable/operator-manual/declarative-setup/#clusters>
fn application(text: &str, model: &Model, env: &Environment, cell: &Cell) -> Result<String, Error> {
    let mut app: Value =
        serde_saphyr::from_str_with_options(text, super::super::yaml_read_options()).map_err(
            |e| Error::Internal(format!("the generated Application does not parse: {e}")),
        )?;
    app["metadata"]["name"] = json!(format!(
        "{}-{}-{}",
        model.platform.name, env.name, cell.name
    ));
    app["metadata"]["labels"][CELL_LABEL] = json!(cell.name);
    let gitops = &model.platform.gitops;
    app["spec"]["source"]["path"] = json!(format!(
        "{}/environments/{}/cells/{}",
        gitops.path.trim_end_matches('/'),
        env.name,
        cell.name
    ));
    app["spec"]["destination"] = json!({"name": cell.environment.cluster.name});
    Ok(to_yaml(&app))
}

/// The `(environment, cell)` a generated path belongs to, when it is a cell's own file (its
/// aggregate, or a service overlay made for the cell).
pub fn cell_of(logical_path: &str) -> Option<(&str, &str)> {
    let parts: Vec<&str> = logical_path
        .strip_prefix("kubernetes/")?
        .split('/')
        .collect();
    match parts.as_slice() {
        ["environments", env, "cells", cell, _, ..]
        | [_, "overlays", env, "cells", cell, _, ..] => Some((env, cell)),
        _ => None,
    }
}

/// The cells of `env` that `logical_path` (a file of `env`, or of no environment) reaches:
/// its own cell; for an overlay of the environment, the cells whose aggregate lists it;
/// for any other file, every cell (the environment's Terraform root, the bases).
pub fn cells_reached(
    env: &Environment,
    logical_path: &str,
    files: &crate::artifact::FileSet,
) -> Vec<String> {
    if let Some((_, cell)) = cell_of(logical_path) {
        return vec![cell.to_owned()];
    }
    let overlay = logical_path.strip_prefix("kubernetes/").and_then(|rest| {
        match rest.split('/').collect::<Vec<_>>().as_slice() {
            [service, "overlays", e, _] if *e == env.name => Some((*service).to_owned()),
            _ => None,
        }
    });
    let Some(service) = overlay else {
        return env.cells.iter().map(|c| c.name.clone()).collect();
    };
    let line = format!("- ../../../../{service}/overlays/{}", env.name);
    env.cells
        .iter()
        .filter(|cell| {
            let path = format!("{}/kustomization.yaml", cell_dir(&env.name, &cell.name));
            files
                .get(&path)
                .is_some_and(|f| f.contents.lines().any(|l| l == line))
        })
        .map(|c| c.name.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::cell_of;

    #[test]
    fn cell_paths() {
        assert_eq!(
            cell_of("kubernetes/environments/prod/cells/za-1/kustomization.yaml"),
            Some(("prod", "za-1"))
        );
        assert_eq!(
            cell_of("kubernetes/api/overlays/prod/cells/za-1/resources.yaml"),
            Some(("prod", "za-1"))
        );
        assert_eq!(
            cell_of("kubernetes/api/overlays/prod/kustomization.yaml"),
            None
        );
        assert_eq!(
            cell_of("kubernetes/environments/prod/kustomization.yaml"),
            None
        );
    }
}
