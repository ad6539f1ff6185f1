//! Lowering the cells of an environment (SPEC "Cells"): each cell is lowered as a whole
//! environment from its merged tree, its services taking the environment's tags with the
//! cell's pins (`versions.yaml` `cells: {<cell>: <tag>}`) as their stable tag, and a canary
//! written for one cell (`canary: {…, cell: <cell>}`) in that cell alone.

use super::{lower_environment, lower_service, version_of};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Cell, Environment, Service};
use crate::spec::{Field, SpecEnv, SpecService, TagsByService, VersionEntry, defaults};
use std::collections::BTreeMap;

/// The cells of `env` (none without `cells`), its waves and bake time, set on `lowered`.
pub(super) fn lower_cells(
    env: &SpecEnv,
    tags: Option<&TagsByService>,
    lowered: &mut Environment,
    errors: &mut Vec<Diagnostic>,
) {
    if env.cells.is_empty() {
        return;
    }
    let written = env.spec.cells.get();
    // Every cell's services lower independently (of each other and of the other cells'):
    // one parallel pass, in cell and service order (`collect` keeps it), as the
    // environments' services are lowered.
    use rayon::prelude::*;
    let jobs: Vec<(usize, &String, &SpecService)> = env
        .cells
        .iter()
        .enumerate()
        .flat_map(|(i, cell)| cell.services.iter().map(move |(n, s)| (i, n, s)))
        .collect();
    let services: Vec<(usize, Result<Service, Diagnostic>)> = jobs
        .into_par_iter()
        .map(|(i, name, service)| {
            let cell = &env.cells[i];
            let entry = tags.and_then(|t| t.get(name.as_str())).and_then(Field::get);
            let mut version = entry.map(|e| version_of(e, Some(&cell.name)));
            if let (Some(version), Some(VersionEntry::Split(split))) = (version.as_mut(), entry)
                && let Some(pin) = split
                    .cells
                    .get()
                    .and_then(|p| p.get(cell.name.as_str()))
                    .and_then(Field::get)
            {
                version.stable = pin.0.clone();
            }
            (i, lower_service(service, version))
        })
        .collect();
    // Each cell's services, and the problems found lowering them (reported before the
    // cell's own, as the cell is lowered after its services).
    let mut by_cell: Vec<(BTreeMap<String, Service>, Vec<Diagnostic>)> =
        vec![(BTreeMap::new(), Vec::new()); env.cells.len()];
    for (i, service) in services {
        match service {
            Ok(s) => {
                by_cell[i].0.insert(s.name.clone(), s);
            }
            Err(e) => by_cell[i].1.push(e),
        }
    }
    for (cell, (services, problems)) in env.cells.iter().zip(by_cell) {
        errors.extend(problems);
        let as_env = SpecEnv {
            name: env.name.clone(),
            file: env.file,
            spec: cell.spec.clone(),
            services: BTreeMap::new(),
            disabled: cell.disabled.clone(),
            cells: Vec::new(),
        };
        match lower_environment(&as_env, services) {
            Ok(mut environment) => {
                environment.cell = Some(cell.name.clone());
                let own_backend = written
                    .and_then(|w| w.get(cell.name.as_str()))
                    .and_then(Field::get)
                    .is_some_and(|c| c.terraform.is_present());
                if !own_backend {
                    defaults::cell_state(&mut environment.terraform.backend.config, &cell.name);
                }
                lowered.cells.push(Cell {
                    name: cell.name.clone(),
                    environment,
                });
            }
            Err(gap) => errors.push(Diagnostic::error(
                Code::Schema,
                cell.key_pos,
                format!("cell `{}` of `{}`: {gap}", cell.name, env.name),
            )),
        }
    }
    lowered.waves = env
        .spec
        .waves
        .get()
        .into_iter()
        .flatten()
        .map(|w| {
            w.get()
                .into_iter()
                .flatten()
                .filter_map(|c| c.get().cloned())
                .collect()
        })
        .collect();
    lowered.bake = Some(
        env.spec
            .bake
            .get()
            .cloned()
            .unwrap_or_else(|| defaults::BAKE.to_owned()),
    );
}
