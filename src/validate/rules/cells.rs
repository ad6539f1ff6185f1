//! Cells (SPEC "Cells"): cell names are DNS-1123 labels (they become directories and
//! Kubernetes names); `waves` name every cell exactly once; a cell keeps its environment's
//! `cloud.provider`; `bake` lies between 1s and 168h; a per-cell pin in versions.yaml names
//! a cell of its environment; no two backing resources of a celled environment write the
//! same secret-store entry.

use super::RuleCtx;
use super::durations::duration_seconds;
use super::names::is_dns_label;
use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::spec::{SpecEnv, VersionEntry};
use std::collections::BTreeMap;

/// The longest `bake`, in seconds (7 days). The schema's description says so.
pub const MAX_BAKE_SECONDS: u64 = 7 * 24 * 3600;

pub fn check(ctx: &RuleCtx) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for env in &ctx.spec.environments {
        check_env(env, &mut out);
        check_entry_names(ctx, env, &mut out);
    }
    check_pins(ctx, &mut out);
    out
}

fn check_env(env: &SpecEnv, out: &mut Vec<Diagnostic>) {
    let spec = &env.spec;
    let cells = spec.cells.spanned();
    let names: Vec<&str> = cells
        .into_iter()
        .flat_map(|c| c.value.keys())
        .map(|k| k.as_str())
        .collect();
    for (key, cell) in cells.into_iter().flat_map(|c| c.value.iter()) {
        if !is_dns_label(key.as_str()) {
            out.push(
                Diagnostic::error(
                    Code::InvalidName,
                    key.pos,
                    format!(
                        "cell name `{}` of `{}` is not a DNS-1123 label",
                        key.as_str(),
                        env.name
                    ),
                )
                .with_label("lowercase letters, digits and `-`, at most 63 characters")
                .with_help("a cell name becomes a directory, a Terraform root and an Argo CD Application: rename it"),
            );
        }
        let own = spec.cloud.get().and_then(|c| c.provider.get());
        let written = cell
            .get()
            .and_then(|c| c.cloud.get())
            .and_then(|c| c.provider.spanned());
        if let (Some(own), Some(written)) = (own, written)
            && *own != written.value
        {
            out.push(
                Diagnostic::error(
                    Code::CellProvider,
                    written.pos,
                    format!(
                        "cell `{}` of `{}` moves to `{}`, but `{}` runs on `{}`",
                        key.as_str(),
                        env.name,
                        provider_name(written.value),
                        env.name,
                        provider_name(*own)
                    ),
                )
                .with_label("a cell keeps its environment's provider")
                .with_help(
                    "remove `provider` from the cell (a cell may change its region and cluster), or make it an environment of its own",
                ),
            );
        }
    }
    check_waves(env, &names, out);
    if let Some(bake) = spec.bake.spanned() {
        let seconds = duration_seconds(&bake.value);
        if seconds.is_some_and(|s| s > MAX_BAKE_SECONDS) {
            out.push(
                Diagnostic::error(
                    Code::BakeDuration,
                    bake.pos,
                    format!(
                        "the bake time `{}` of `{}` is longer than 168h",
                        bake.value, env.name
                    ),
                )
                .with_label("more than a week per wave")
                .with_help("write a duration between 1s and 168h, e.g. `bake: 30m`"),
            );
        } else if cells.is_none() && seconds.is_some() {
            out.push(
                Diagnostic::error(
                    Code::BakeDuration,
                    bake.key_pos,
                    format!("`{}` sets `bake` but has no `cells`", env.name),
                )
                .with_label("no waves to wait between")
                .with_help("declare `cells` and `waves`, or remove `bake`"),
            );
        }
    }
}

fn check_waves(env: &SpecEnv, names: &[&str], out: &mut Vec<Diagnostic>) {
    let spec = &env.spec;
    let (cells, waves) = (spec.cells.spanned(), spec.waves.spanned());
    match (cells, waves) {
        (Some(cells), None) if spec.waves.key_pos().is_none() => {
            out.push(
                Diagnostic::error(
                    Code::CellWaves,
                    cells.key_pos,
                    format!("`{}` declares cells but no `waves`", env.name),
                )
                .with_help(format!(
                    "add the order a new version reaches them, e.g. `waves: [{}]`",
                    names
                        .iter()
                        .map(|n| format!("[{n}]"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
            return;
        }
        (None, Some(waves)) if spec.cells.key_pos().is_none() => {
            out.push(
                Diagnostic::error(
                    Code::CellWaves,
                    waves.key_pos,
                    format!("`{}` sets `waves` but has no `cells`", env.name),
                )
                .with_help("declare the cells under `cells:`, or remove `waves`"),
            );
            return;
        }
        _ => {}
    }
    let (Some(cells), Some(waves)) = (cells, waves) else {
        return;
    };
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (w, wave) in waves.value.iter().enumerate() {
        for item in wave.get().into_iter().flatten() {
            let Some(name) = item.spanned() else { continue };
            let name_str = name.value.as_str();
            if !names.contains(&name_str) {
                let hint = did_you_mean(name_str, names.iter().copied())
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| {
                        format!("the cells of `{}`: {}", env.name, names.join(", "))
                    });
                out.push(
                    Diagnostic::error(
                        Code::CellWaves,
                        name.pos,
                        format!(
                            "wave {} names `{name_str}`, which is not a cell of `{}`",
                            w + 1,
                            env.name
                        ),
                    )
                    .with_label("not under `cells`")
                    .with_help(hint),
                );
            } else if let Some(first) = seen.get(name_str) {
                out.push(
                    Diagnostic::error(
                        Code::CellWaves,
                        name.pos,
                        format!(
                            "cell `{name_str}` of `{}` is in wave {} and again in wave {}",
                            env.name,
                            first + 1,
                            w + 1
                        ),
                    )
                    .with_label("named twice")
                    .with_help("a cell belongs to exactly one wave: remove one of them"),
                );
            } else {
                seen.insert(name_str, w);
            }
        }
    }
    // A wave that could not be read is the schema's: no cell is "missing" then.
    let readable = waves.value.iter().all(|w| {
        w.get()
            .is_some_and(|items| items.iter().all(|i| i.get().is_some()))
    });
    if !readable {
        return;
    }
    for (key, _) in cells.value.iter() {
        if !seen.contains_key(key.as_str()) {
            out.push(
                Diagnostic::error(
                    Code::CellWaves,
                    key.pos,
                    format!("cell `{}` of `{}` is in no wave", key.as_str(), env.name),
                )
                .with_label("never reached by a rollout")
                .with_help(format!("add `{}` to one of the `waves`", key.as_str())),
            );
        }
    }
}

/// The store a cell (or its environment) writes its entries to: its kind and name, and for
/// Secrets Manager, whose secrets are regional, its region (as
/// [`crate::backend::contract::reads_environment_store`] tells stores apart).
fn store_of(spec: &crate::spec::EnvironmentSpec) -> Option<String> {
    let store = spec.secret_store.get()?;
    let kind = store.kind.get()?;
    let name = store.name.get()?;
    let region = match kind {
        crate::model::SecretStoreKind::AwsSecretsManager => {
            spec.cloud.get().and_then(|c| c.region.get()).cloned()
        }
        _ => None,
    };
    Some(format!(
        "{}/{name}/{}",
        kind.as_str(),
        region.unwrap_or_default()
    ))
}

/// No two backing resources of a celled environment write the same store entry: the names
/// are the back ends' ([`crate::backend::contract::connection_secret_name`] over
/// [`crate::backend::contract::entry_scope`]), and a cell name followed by a service name can
/// spell another service's name. Reported at the second resource's key.
fn check_entry_names(ctx: &RuleCtx, env: &SpecEnv, out: &mut Vec<Diagnostic>) {
    use crate::backend::contract::{
        Placement, cell_scoped, connection_secret_name, entry_scope, identity_in_store,
        identity_secret_name, placement,
    };
    use crate::model::InfraScope;
    if env.cells.is_empty() {
        return;
    }
    let Some(platform) = ctx.spec.registry.platform.get().and_then(|p| p.name.get()) else {
        return;
    };
    let Some(provider) = env.spec.cloud.get().and_then(|c| c.provider.get()).copied() else {
        return;
    };
    let env_store = store_of(&env.spec);
    // (store, entry) → who writes it.
    let mut seen: BTreeMap<(Option<String>, String), String> = BTreeMap::new();
    let mut claim = |store: Option<String>,
                     name: String,
                     who: String,
                     pos,
                     out: &mut Vec<Diagnostic>| {
        match seen.get(&(store.clone(), name.clone())) {
            Some(first) if *first != who => out.push(
                Diagnostic::error(
                    Code::CellEntryName,
                    pos,
                    format!(
                        "{who} of `{}` writes the secret-store entry `{name}`, which {first} writes too",
                        env.name
                    ),
                )
                .with_label("the same entry name")
                .with_help("rename the cell (or the service or resource) so that no cell name followed by a service name spells another service's name"),
            ),
            Some(_) => {}
            None => {
                seen.insert((store, name), who);
            }
        }
    };
    let managed = |service: &crate::spec::SpecService| {
        service
            .layer
            .infra
            .get()
            .into_iter()
            .flatten()
            .filter_map(|(key, infra)| {
                let infra = infra.get()?;
                let kind = *infra.kind.get()?;
                (placement(provider, kind) == Placement::Managed).then(|| {
                    let scope = infra.scope.get().copied();
                    (key.clone(), scope)
                })
            })
            .collect::<Vec<_>>()
    };
    for service in env.services.values() {
        for (key, scope) in managed(service) {
            if scope != Some(InfraScope::Environment) {
                continue;
            }
            let name = connection_secret_name(platform, &env.name, &service.name, key.as_str());
            let who = format!(
                "`{}.infra.{}` (scope: environment)",
                service.name,
                key.as_str()
            );
            claim(env_store.clone(), name, who, key.pos, out);
        }
    }
    for cell in &env.cells {
        let store = store_of(&cell.spec);
        let copies = store != env_store;
        for service in cell.services.values() {
            let resources = managed(service);
            if identity_in_store(provider) && !resources.is_empty() {
                let scoped = cell_scoped(&env.name, Some(&cell.name));
                let name = identity_secret_name(platform, &scoped, &service.name);
                let who = format!("the identity of `{}` in cell `{}`", service.name, cell.name);
                claim(store.clone(), name, who, service.key_pos, out);
            }
            for (key, scope) in resources {
                if scope == Some(InfraScope::Environment) && !copies {
                    continue;
                }
                let scoped = entry_scope(&env.name, Some(&cell.name), scope, copies);
                let name = connection_secret_name(platform, &scoped, &service.name, key.as_str());
                let who = format!(
                    "`{}.infra.{}` in cell `{}`",
                    service.name,
                    key.as_str(),
                    cell.name
                );
                claim(store.clone(), name, who, key.pos, out);
            }
        }
    }
}

/// A per-cell pin (and a canary's `cell`) in versions.yaml must name a cell of its
/// environment.
fn check_pins(ctx: &RuleCtx, out: &mut Vec<Diagnostic>) {
    let Some(versions) = &ctx.spec.versions else {
        return;
    };
    let Some(by_env) = versions.spec.environments.get() else {
        return;
    };
    for env in &ctx.spec.environments {
        let Some(tags) = by_env.get(env.name.as_str()).and_then(|t| t.get()) else {
            continue;
        };
        // An unreadable `cells:` is the schema's: its pins are not judged.
        if env.spec.cells.key_pos().is_some() && env.spec.cells.get().is_none() {
            continue;
        }
        let names: Vec<&str> = env
            .spec
            .cells
            .get()
            .into_iter()
            .flat_map(|c| c.keys())
            .map(|k| k.as_str())
            .collect();
        for (service, entry) in tags {
            let Some(VersionEntry::Split(split)) = entry.get() else {
                continue;
            };
            let canary_cell = split
                .canary
                .get()
                .and_then(|c| c.cell.spanned())
                .map(|c| (c.as_str(), c.pos, "runs a canary of", "in"));
            let pins = split.cells.get().into_iter().flat_map(|p| p.keys());
            let named = pins
                .map(|p| (p.as_str(), p.pos, "pins", "for"))
                .chain(canary_cell);
            for (cell, pos, what, prep) in named {
                if names.contains(&cell) {
                    continue;
                }
                let help = match did_you_mean(cell, names.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None if names.is_empty() => format!(
                        "`{}` has no cells: remove the cell, or declare it in environments/{}.yaml",
                        env.name, env.name
                    ),
                    None => format!("the cells of `{}`: {}", env.name, names.join(", ")),
                };
                out.push(
                    Diagnostic::error(
                        Code::UnknownCell,
                        pos,
                        format!(
                            "versions.yaml {what} `{}` {prep} cell `{cell}`, which is not a cell of `{}`",
                            service.as_str(),
                            env.name
                        ),
                    )
                    .with_label("unknown cell")
                    .with_help(help),
                );
            }
        }
    }
}

fn provider_name(p: crate::model::CloudProvider) -> &'static str {
    match p {
        crate::model::CloudProvider::Aws => "aws",
        crate::model::CloudProvider::Azure => "azure",
        crate::model::CloudProvider::Gcp => "gcp",
    }
}
