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

use super::{Ctx, egress, environment, overlay, secrets};
use crate::artifact::OutputFile;
use crate::artifact::yaml::to_yaml;
use crate::error::Error;
use crate::model::{Cell, Environment, Model};
use indexmap::IndexMap;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};

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

/// A service's overlay in each cell of an environment, where it differs from the
/// environment's: `own[cell]` holds the cell's own overlay files, already moved under
/// [`cell_overlay_dir`] (`None`: the cell shares the environment's overlay, or does not run
/// the service). Computed per service beside the environment's overlay, from the same base
/// objects (rendered once per service, in parallel with the other services).
pub(crate) type CellOverlays = Vec<Option<Vec<OutputFile>>>;

/// The overlays of service `name` in each cell of `env` that differ from `env_overlay`, the
/// service's overlay in the environment (`None` where the environment does not run it).
/// Where [`overlay_inputs_equal`] says the cell's overlay is the environment's, it is not
/// rendered at all (`skip`; the tests render every cell to check that the audit holds).
pub(crate) fn cell_overlays(
    model: &Model,
    env: &Environment,
    name: &str,
    env_overlay: Option<&[OutputFile]>,
    base_objects: &[Value],
    skip: bool,
) -> Result<CellOverlays, Error> {
    env.cells
        .iter()
        .map(|cell| {
            let Some(service) = cell.environment.services.get(name) else {
                return Ok(None);
            };
            if skip
                && env_overlay.is_some()
                && overlay_inputs_equal(model, env, &cell.environment, name)
            {
                return Ok(None);
            }
            let files = overlay::emit_overlay(model, &cell.environment, service, base_objects)?;
            if env_overlay.is_some_and(|own| same_overlay(env, name, own, &files)) {
                return Ok(None);
            }
            relocate_overlay(env, cell, name, files).map(Some)
        })
        .collect()
}

/// Whether [`overlay::emit_overlay`] of service `name` reads the same inputs in `cell_env`
/// as in `env`, so that the cell's overlay is byte for byte the environment's. The model
/// (platform, registry services) is the same for both; of the environment, the overlay
/// renderer and its callees read:
///
/// - `name`: the overlay's directory, the environment label, dashboard uid, title and tags,
///   alert rule names and labels, store entry names;
/// - `namespace_suffix`: every namespace (`Environment::namespace_of`);
/// - `cloud.provider`: secret env vars, managed or in-cluster placement, image pull
///   credentials, the egress endpoints;
/// - `cloud.region`: only through the egress endpoints (`egress::endpoints`: AWS names its
///   regional STS and S3 hosts, the other clouds' are global), so a cell in another region
///   shares the overlay where the service's endpoints come out the same;
/// - `network.cidr`: the NetworkPolicy's egress to managed resources;
/// - `monitoring.prometheus_url`: the NetworkPolicy's ingress from the monitoring namespace;
/// - `secret_store.kind` and `secret_store.name`: the ExternalSecrets (the service's, the
///   pull secret's, the migration's);
/// - `services`: the service itself, each service it depends on (namespace and ports, for
///   the NetworkPolicy's egress) and each that depends on it (`dependents_of`: namespace
///   and name, for the NetworkPolicy's ingress and the AuthorizationPolicy's principals),
///   compared whole, as is whether a dependency runs here at all.
///
/// Not read: `cluster`, `terraform`, `promotion`, `image_tags`, `infra_defaults` (already
/// applied to the services), `disabled`, `cells`, `waves`, `bake`, `cell` (the overlays
/// read the environment's store entry names; the cell's aggregate patches them). A renderer
/// that starts reading one of them must add it here: the `cell_skip` tests render every
/// cell with and without this check, over every field a cell can change.
pub(crate) fn overlay_inputs_equal(
    model: &Model,
    env: &Environment,
    cell_env: &Environment,
    name: &str,
) -> bool {
    let Some(service) = env.services.get(name) else {
        return false;
    };
    let same_endpoints = || {
        egress::endpoints(&Ctx::new(model, env, service))
            == egress::endpoints(&Ctx::new(model, cell_env, service))
    };
    env.name == cell_env.name
        && env.namespace_suffix == cell_env.namespace_suffix
        && env.cloud.provider == cell_env.cloud.provider
        && (env.cloud.region == cell_env.cloud.region || same_endpoints())
        && env.network.cidr == cell_env.network.cidr
        && env.monitoring.prometheus_url == cell_env.monitoring.prometheus_url
        && env.secret_store.kind == cell_env.secret_store.kind
        && env.secret_store.name == cell_env.secret_store.name
        && cell_env.services.get(name) == Some(service)
        && service
            .dependencies
            .iter()
            .all(|d| env.services.get(d) == cell_env.services.get(d))
        && env.dependents_of(name) == cell_env.dependents_of(name)
}

/// Whether the cell's overlay `files` of service `name` are the environment's, `env_files`:
/// each at the same path with the same bytes, and no environment file left over.
fn same_overlay(
    env: &Environment,
    name: &str,
    env_files: &[OutputFile],
    files: &[OutputFile],
) -> bool {
    let prefix = format!("kubernetes/{name}/overlays/{}/", env.name);
    let by_path: BTreeMap<&str, &str> = env_files
        .iter()
        .map(|f| (f.path.as_str(), f.contents.as_str()))
        .collect();
    files
        .iter()
        .all(|f| by_path.get(f.path.as_str()) == Some(&f.contents.as_str()))
        && by_path
            .keys()
            .filter(|p| p.starts_with(&prefix) && !p.contains("/cells/"))
            .count()
            == files.len()
}

/// A service's overlay files made for `cell`, moved under [`cell_overlay_dir`].
fn relocate_overlay(
    env: &Environment,
    cell: &Cell,
    name: &str,
    files: Vec<OutputFile>,
) -> Result<Vec<OutputFile>, Error> {
    let from = format!("kubernetes/{name}/overlays/{}/", env.name);
    let to = format!("{}/", cell_overlay_dir(name, &env.name, &cell.name));
    files
        .into_iter()
        .map(|f| {
            let rest = f.path.strip_prefix(&from).ok_or_else(|| {
                Error::Internal(format!("overlay file {} is outside {from}", f.path))
            })?;
            let mut contents = f.contents;
            if rest == "kustomization.yaml" {
                // Two directories deeper: the same base.
                contents = replace_line(&contents, "- ../../base", "- ../../../../base")?;
            }
            Ok(super::file(
                Some(&env.name),
                format!("{to}{rest}"),
                contents,
            ))
        })
        .collect()
}

/// Every cell's files of `env`, and `files` (the environment's) without its Application.
/// `own[cell]` are the services with an overlay of their own in that cell and its files
/// ([`cell_overlays`]), in service order.
pub(crate) fn emit_cells(
    model: &Model,
    env: &Environment,
    own: Vec<(Vec<String>, Vec<OutputFile>)>,
    files: &mut Vec<OutputFile>,
) -> Result<(), Error> {
    use rayon::prelude::*;
    if env.cells.is_empty() {
        return Ok(());
    }
    let application = format!("kubernetes/environments/{}/application.yaml", env.name);
    files.retain(|f| f.path != application);
    // Each cell's aggregate is independent of the others': in parallel, in cell order.
    let aggregates = env
        .cells
        .par_iter()
        .zip(own)
        .map(|(cell, (names, overlays))| {
            let mut out = overlays;
            out.extend(emit_aggregate(model, env, cell, &names)?);
            Ok(out)
        })
        .collect::<Result<Vec<_>, Error>>()?;
    files.extend(aggregates.into_iter().flatten());
    Ok(())
}

/// The aggregate of one cell, `own` naming the services with an overlay of their own there.
fn emit_aggregate(
    model: &Model,
    env: &Environment,
    cell: &Cell,
    own: &[String],
) -> Result<Vec<OutputFile>, Error> {
    let env_dir = format!("kubernetes/environments/{}", env.name);
    let dir = cell_dir(&env.name, &cell.name);
    environment::emit_environment(model, &cell.environment)
        .into_iter()
        .map(|f| {
            let rest = f.path.strip_prefix(&format!("{env_dir}/")).ok_or_else(|| {
                Error::Internal(format!("aggregate file {} is outside {env_dir}", f.path))
            })?;
            let contents = match rest {
                "kustomization.yaml" => with_entry_patches(
                    relocate_kustomization(&f.contents, env, &cell.name, own)?,
                    model,
                    env,
                    &cell.environment,
                ),
                "application.yaml" => application(&f.contents, model, env, cell)?,
                _ => f.contents,
            };
            Ok(super::file(
                Some(&env.name),
                format!("{dir}/{rest}"),
                contents,
            ))
        })
        .collect()
}

/// The environment's kustomization, moved two directories down: each overlay reached from
/// the cell, the cell's own where it has one.
fn relocate_kustomization(
    text: &str,
    env: &Environment,
    cell: &str,
    own: &[String],
) -> Result<String, Error> {
    // One pass over the lines (not one per service): each service's line, where the
    // kustomization has it, is replaced; a line there twice is a bug.
    let own_set: HashSet<&str> = own.iter().map(String::as_str).collect();
    let mut moves: IndexMap<String, (String, usize)> = IndexMap::new();
    for name in env.services.keys().chain(own) {
        let old = format!("- ../../{name}/overlays/{}", env.name);
        let new = if own_set.contains(name.as_str()) {
            format!("- ../../../../{name}/overlays/{}/cells/{cell}", env.name)
        } else {
            format!("- ../../../../{name}/overlays/{}", env.name)
        };
        moves.entry(old).or_insert((new, 0));
    }
    for line in text.lines() {
        if let Some((_, count)) = moves.get_mut(line) {
            *count += 1;
        }
    }
    if let Some((old, (_, found))) = moves.iter().find(|(_, (_, found))| *found > 1) {
        return Err(Error::Internal(format!(
            "expected the line `{old}` once in a generated kustomization, found it {found} times"
        )));
    }
    if moves.values().all(|(_, found)| *found == 0) {
        return Ok(text.to_owned());
    }
    let lines: Vec<&str> = text
        .lines()
        .map(|l| moves.get(l).map_or(l, |(new, _)| new.as_str()))
        .collect();
    Ok(format!("{}\n", lines.join("\n")))
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

/// The cells of environment `env` (named `cells`) that `logical_path` (a file of `env`, or of no environment) reaches:
/// its own cell; for an overlay of the environment, the cells whose aggregate lists it;
/// for any other file, every cell (the environment's Terraform root, the bases).
pub fn cells_reached(
    env: &str,
    cells: &[String],
    logical_path: &str,
    files: &crate::artifact::FileSet,
) -> Vec<String> {
    if let Some((_, cell)) = cell_of(logical_path) {
        return vec![cell.to_owned()];
    }
    let overlay = logical_path.strip_prefix("kubernetes/").and_then(|rest| {
        match rest.split('/').collect::<Vec<_>>().as_slice() {
            [service, "overlays", e, _] if *e == env => Some((*service).to_owned()),
            _ => None,
        }
    });
    let Some(service) = overlay else {
        return cells.to_vec();
    };
    let line = format!("- ../../../../{service}/overlays/{env}");
    cells
        .iter()
        .filter(|cell| {
            let path = format!("{}/kustomization.yaml", cell_dir(env, cell));
            files
                .get(&path)
                .is_some_and(|f| f.contents.lines().any(|l| l == line))
        })
        .cloned()
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
