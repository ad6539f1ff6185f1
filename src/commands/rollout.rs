//! Cells in versions.yaml (SPEC "Cells"): `promote --cell C` pins a new tag on one cell,
//! `rollout advance SERVICE --env E` takes it to the next wave, and after the last wave makes
//! it the environment's stable tag (the pins go). Each is one in-place edit of the entry,
//! through the same edit-and-revalidate path as `set-image` and `promote`.
//!
//! The bake time is judged from the entry's `deployed`: it records the last edit, which is
//! the moment the wave reached last got the tag.

use super::versions::{Facts, Refusal, edit, stamp};
use crate::cli::Provenance;
use crate::edit::{VersionEntry, epoch_seconds, now_utc};
use crate::error::Error;
use crate::load::yaml::Node;
use crate::pipeline::{Frontend, run_frontend};
use crate::printer::Printer;
use crate::spec::defaults;
use crate::validate::rules::durations::duration_seconds;
use std::path::Path;

/// What an environment file says about its cells, as written.
struct Cells {
    names: Vec<String>,
    waves: Vec<Vec<String>>,
    bake: String,
}

fn cells_of(frontend: &Frontend, env: &str) -> Result<Cells, Refusal> {
    let node = frontend
        .inputs
        .environments
        .iter()
        .find(|(name, _)| name == env)
        .map(|(_, e)| &e.node)
        .ok_or_else(|| format!("`{env}` is not an environment"))?;
    let names: Vec<String> = node
        .get("cells")
        .and_then(Node::as_map)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    if names.is_empty() {
        return Err(format!(
            "`{env}` has no cells: its tag is one for the whole environment (`infrac set-image` or `infrac promote`)"
        )
        .into());
    }
    let waves = node
        .get("waves")
        .and_then(Node::as_seq)
        .map(|waves| {
            waves
                .iter()
                .map(|w| {
                    w.as_seq()
                        .into_iter()
                        .flatten()
                        .filter_map(|c| c.as_str().map(str::to_owned))
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default();
    let bake = node
        .get("bake")
        .and_then(Node::as_str)
        .unwrap_or(defaults::BAKE)
        .to_owned();
    Ok(Cells { names, waves, bake })
}

/// `promote … --cell C`: the entry with `tag` pinned on cell `cell` (a pin equal to the
/// stable tag is dropped).
pub(super) fn pin(
    f: &Facts,
    provenance: &Provenance,
    service: &str,
    env: &str,
    cell: &str,
    tag: &str,
    frontend: &Frontend,
) -> Result<VersionEntry, Refusal> {
    let cells = cells_of(frontend, env)?;
    if !cells.names.iter().any(|c| c == cell) {
        let hint = crate::diagnostic::did_you_mean(cell, cells.names.iter().map(String::as_str))
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_else(|| format!(" (its cells: {})", cells.names.join(", ")));
        return Err(format!("`{cell}` is not a cell of `{env}`{hint}").into());
    }
    let current = f.current.as_ref().ok_or_else(|| {
        format!("`{service}` has no stable tag in `{env}` yet: promote it without `--cell` first")
    })?;
    let mut next = stamp(provenance, Some(current), current.version.clone(), None);
    next.cells.retain(|(c, _)| c != cell);
    if tag != current.version.stable {
        next.cells.push((cell.to_owned(), tag.to_owned()));
    }
    Ok(next)
}

/// `infrac rollout advance SERVICE --env E [--now T]`.
pub fn advance(
    printer: &Printer,
    root: &Path,
    service: &str,
    env: &str,
    now: Option<&str>,
    provenance: &Provenance,
) -> Result<u8, Error> {
    let frontend = run_frontend(root);
    let cells = cells_of(&frontend, env);
    let now = now.map_or_else(now_utc, str::to_owned);
    edit(printer, root, env, service, "rollout advance", |f| {
        step(f, &cells?, service, env, &now, provenance)
    })
}

/// The entry after one wave more.
fn step(
    f: &Facts,
    cells: &Cells,
    service: &str,
    env: &str,
    now: &str,
    provenance: &Provenance,
) -> Result<VersionEntry, Refusal> {
    let current = f
        .current
        .as_ref()
        .ok_or_else(|| format!("`{service}` has no tag in `{env}`"))?;
    let first = cells
        .waves
        .first()
        .and_then(|w| w.first())
        .ok_or_else(|| format!("`{env}` has no `waves`"))?;
    let pinned = |cell: &str| {
        current
            .cells
            .iter()
            .find(|(c, _)| c == cell)
            .map(|(_, t)| t.as_str())
    };
    let Some(tag) = pinned(first) else {
        return Err(format!(
            "no rollout of `{service}` in progress in `{env}`: every cell runs the stable tag `{}`; start one on the first wave with `infrac promote {service} --from <env> --to {env} --cell {first}`",
            current.version.stable
        )
        .into());
    };
    if let Some((cell, other)) = current.cells.iter().find(|(_, t)| t != tag) {
        return Err(format!(
            "cell `{cell}` of `{env}` pins `{other}` while the first wave runs `{tag}`: one version moves through the waves at a time"
        )
        .into());
    }
    let reached = cells
        .waves
        .iter()
        .take_while(|w| w.iter().all(|c| pinned(c) == Some(tag)))
        .count();
    let Some(next_wave) = cells.waves.get(reached) else {
        // Every cell pins the tag: it is the environment's now (nothing to wait for).
        return Ok(finish(provenance, current, tag, now));
    };
    let last = &cells.waves[reached.saturating_sub(1)];
    let bake = duration_seconds(&cells.bake).unwrap_or(0);
    let deployed = current.meta.deployed.as_deref().ok_or_else(|| {
        format!(
            "the entry of `{service}` in `{env}` records no `deployed` time, so the bake of wave {reached} ({}) cannot be judged",
            last.join(", ")
        )
    })?;
    let (Some(since), Some(at)) = (epoch_seconds(deployed), epoch_seconds(now)) else {
        return Err(format!("`deployed: {deployed}` is not an RFC 3339 time").into());
    };
    let age = at - since;
    if age < i64::try_from(bake).unwrap_or(i64::MAX) {
        let ready = crate::edit::epoch_to_utc(since + i64::try_from(bake).unwrap_or(0));
        return Err(format!(
            "wave {reached} of `{env}` ({}) has run `{tag}` of `{service}` for {}, less than its bake of {}: advance at {ready} or later",
            last.join(", "),
            human(age),
            cells.bake
        )
        .into());
    }
    if reached + 1 == cells.waves.len() {
        return Ok(finish(provenance, current, tag, now));
    }
    let mut next = stamped(provenance, current, current.version.clone(), now);
    for cell in next_wave {
        if pinned(cell).is_none() {
            next.cells.push((cell.clone(), tag.to_owned()));
        }
    }
    Ok(next)
}

/// The tag becomes the environment's stable tag; the pins go.
fn finish(provenance: &Provenance, current: &VersionEntry, tag: &str, now: &str) -> VersionEntry {
    let mut version = current.version.clone();
    version.stable = tag.to_owned();
    let mut next = stamped(provenance, current, version, now);
    next.cells.clear();
    next
}

/// [`stamp`] with `deployed` defaulting to the time the advance is judged at.
fn stamped(
    provenance: &Provenance,
    current: &VersionEntry,
    version: crate::model::ImageVersion,
    now: &str,
) -> VersionEntry {
    let mut p = provenance.clone();
    p.deployed = p.deployed.or_else(|| Some(now.to_owned()));
    stamp(&p, Some(current), version, None)
}

/// `1h 5m`, `12m`, `40s`.
fn human(seconds: i64) -> String {
    let s = seconds.max(0);
    match (s / 3600, s % 3600 / 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, m, _) => format!("{m}m"),
        (h, 0, _) => format!("{h}h"),
        (h, m, _) => format!("{h}h {m}m"),
    }
}
