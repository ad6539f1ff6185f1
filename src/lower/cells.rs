//! Lowering the cells of an environment (SPEC "Cells"): each cell is lowered as a whole
//! environment from its merged tree, its services taking the environment's tags with the
//! cell's pins (`versions.yaml` `cells: {<cell>: <tag>}`) as their stable tag, and a canary
//! written for one cell (`canary: {…, cell: <cell>}`) in that cell alone.

use super::{lower_environment, lower_service, version_of};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Cell, Environment};
use crate::spec::{Field, SpecEnv, TagsByService, VersionEntry, defaults};
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
    for cell in &env.cells {
        let mut services = BTreeMap::new();
        for (name, service) in &cell.services {
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
            match lower_service(service, version) {
                Ok(s) => {
                    services.insert(s.name.clone(), s);
                }
                Err(e) => errors.push(e),
            }
        }
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
