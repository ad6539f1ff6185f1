//! Cells in versions.yaml (SPEC "Cells"): `promote --cell C` pins a new tag on one cell,
//! `rollout advance SERVICE --env E` takes it to the next wave, and after the last wave makes
//! it the environment's stable tag (the pins go). Each is one in-place edit of the entry,
//! through the same edit-and-revalidate path as `set-image` and `promote`.
//!
//! The bake time is judged from the entry's `deployed`: it records the last edit, which is
//! the moment the wave reached last got the tag. Firing alerts are judged from what the
//! cells' Prometheus servers answer (`--alerts CELL=FILE`, see [`alerts`]).
//!
//! `canary … --cell C` runs a canary inside one cell: versions.yaml records it as
//! `canary: {tag, weight, cell: C}`, the compiler gives the canary to that cell's overlay
//! only, and `canary promote` pins the canary's tag on that cell (a rollout the waves then
//! take further).

mod alerts;

use super::versions::{Facts, Refusal, edit, stamp};
use crate::cli::{CanaryAction, Provenance};
use crate::diagnostic::{Code, Diagnostic};
use crate::edit::{VersionEntry, epoch_seconds, now_utc};
use crate::error::Error;
use crate::load::yaml::Node;
use crate::model::ImageVersion;
use crate::pipeline::{Frontend, run_frontend};
use crate::printer::Printer;
use crate::spec::defaults;
use crate::validate::rules::durations::duration_seconds;
use std::path::Path;

/// `cell` must be a cell of `env`: refused at the environment's `cells:` (or at its file
/// when it has none).
pub(super) fn known_cell(f: &Facts, env: &str, cell: &str) -> Result<(), Refusal> {
    if f.cells.iter().any(|c| c == cell) {
        return Ok(());
    }
    let message = format!("`{cell}` is not a cell of `{env}`");
    let diagnostic = match f.cells_pos {
        Some(pos) => {
            let help = crate::diagnostic::did_you_mean(cell, f.cells.iter().map(String::as_str))
                .map_or_else(
                    || format!("the cells of `{env}`: {}", f.cells.join(", ")),
                    |s| format!("did you mean `{s}`?"),
                );
            Diagnostic::error(Code::UnknownCell, pos, message)
                .with_label(format!("the cells of `{env}`"))
                .with_help(help)
        }
        None => Diagnostic::error(
            Code::UnknownCell,
            f.env_file_pos,
            format!("{message}: `{env}` has no cells"),
        )
        .with_help("leave out `--cell`: the tag or canary is then the whole environment's"),
    };
    Err(Refusal::At(Box::new(diagnostic)))
}

/// Whether `canary ACTION --cell CELL` may act on the entry: a canary of one cell starts
/// only while no version is moving through the waves, and the other actions name the cell
/// the canary runs in.
pub(super) fn canary_in_cell(
    f: &Facts,
    current: &VersionEntry,
    action: CanaryAction,
    service: &str,
    env: &str,
    cell: &str,
) -> Result<(), Refusal> {
    if f.strategy == "blue-green" {
        return Err(format!(
            "`{service}` is blue-green in `{env}`: its preview runs in every cell; leave out `--cell`"
        )
        .into());
    }
    if action == CanaryAction::Start {
        if let Some((pinned, tag)) = current.cells.first() {
            return Err(format!(
                "`{tag}` of `{service}` is moving through the waves of `{env}` (cell `{pinned}` pins it): take it to every cell with `infrac rollout advance {service} --env {env}` before a canary in one cell"
            )
            .into());
        }
        return Ok(());
    }
    let Some(canary) = &current.version.canary else {
        return Ok(()); // the step says no canary is in progress
    };
    let runs = current.canary_cell.as_deref();
    if runs == Some(cell) {
        return Ok(());
    }
    let (message, help) = match runs {
        Some(other) => (
            format!(
                "the canary of `{service}` (`{}`) runs in cell `{other}` of `{env}`, not in `{cell}`",
                canary.tag
            ),
            format!("pass `--cell {other}`, or leave out `--cell`"),
        ),
        None => (
            format!(
                "the canary of `{service}` (`{}`) runs in every cell of `{env}`, not in `{cell}` alone",
                canary.tag
            ),
            "leave out `--cell`".to_owned(),
        ),
    };
    Err(match f.canary_pos {
        Some(pos) => Refusal::At(Box::new(
            Diagnostic::error(Code::CanaryInProgress, pos, message)
                .with_label("the canary in progress")
                .with_help(help),
        )),
        None => Refusal::Plain(format!("{message}; {help}")),
    })
}

/// The entry after a canary step: `start --cell` places the canary in the cell; promoting
/// a canary of one cell pins its tag on that cell and keeps the environment's stable tag.
pub(super) fn place_canary(
    provenance: &Provenance,
    current: &VersionEntry,
    action: CanaryAction,
    cell: Option<&str>,
    mut next: ImageVersion,
) -> VersionEntry {
    let promoted = match (action, &current.canary_cell, &current.version.canary) {
        (CanaryAction::Promote, Some(cell), Some(canary)) => {
            next.stable.clone_from(&current.version.stable);
            Some((cell.clone(), canary.tag.clone()))
        }
        _ => None,
    };
    let mut entry = stamp(provenance, Some(current), next, None);
    if action == CanaryAction::Start && entry.version.canary.is_some() {
        entry.canary_cell = cell.map(str::to_owned);
    }
    if let Some((cell, tag)) = promoted {
        entry.cells.retain(|(c, _)| *c != cell);
        if tag != entry.version.stable {
            entry.cells.push((cell, tag));
        }
    }
    entry
}

/// What an environment file says about its cells, as written.
struct Cells {
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
    Ok(Cells { waves, bake })
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
) -> Result<VersionEntry, Refusal> {
    known_cell(f, env, cell)?;
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

/// The arguments of `infrac rollout advance`.
pub struct AdvanceArgs<'a> {
    pub service: &'a str,
    pub env: &'a str,
    pub now: Option<&'a str>,
    /// `CELL=FILE` each.
    pub alerts: &'a [String],
}

/// `infrac rollout advance SERVICE --env E [--now T] [--alerts CELL=FILE …]`.
pub fn advance(
    printer: &Printer,
    root: &Path,
    a: &AdvanceArgs<'_>,
    provenance: &Provenance,
) -> Result<u8, Error> {
    let (service, env) = (a.service, a.env);
    let frontend = run_frontend(root);
    let cells = cells_of(&frontend, env);
    let now = a.now.map_or_else(now_utc, str::to_owned);
    let given = alerts::read(a.alerts, service, env);
    let mut unchecked = Vec::new();
    let code = edit(printer, root, env, service, "rollout advance", |f| {
        let given = given?;
        for (cell, _) in &given {
            known_cell(f, env, cell)?;
        }
        let judged = Judged {
            cells: &cells?,
            given: &given,
            now: &now,
        };
        step(f, &judged, service, env, provenance, &mut unchecked)
    })?;
    if code == 0 && !unchecked.is_empty() {
        printer.note(&format!(
            "note: firing alerts were not checked in {} (no `--alerts CELL=FILE` for {})",
            unchecked.join(", "),
            if unchecked.len() == 1 { "it" } else { "them" }
        ));
    }
    Ok(code)
}

/// What an advance is judged on: the environment's waves and bake, the cells' alerts, the
/// time.
struct Judged<'a> {
    cells: &'a Cells,
    given: &'a [(String, alerts::Alerts)],
    now: &'a str,
}

/// The entry after one wave more. `unchecked` gets the cells the tag has reached whose
/// alerts were not given.
fn step(
    f: &Facts,
    judged: &Judged<'_>,
    service: &str,
    env: &str,
    provenance: &Provenance,
    unchecked: &mut Vec<String>,
) -> Result<VersionEntry, Refusal> {
    let Judged { cells, given, now } = *judged;
    let current = f
        .current
        .as_ref()
        .ok_or_else(|| format!("`{service}` has no tag in `{env}`"))?;
    if let Some(canary) = &current.version.canary {
        let place = current
            .canary_cell
            .as_deref()
            .map_or_else(|| "every cell".to_owned(), |c| format!("cell `{c}`"));
        let message = format!(
            "a canary of `{service}` (`{}` at {}%) runs in {place} of `{env}`: one version moves through the waves at a time",
            canary.tag, canary.weight
        );
        let help = format!(
            "finish it first: `infrac canary promote {service} --env {env}` or `infrac canary abort {service} --env {env}`"
        );
        return Err(match f.canary_pos {
            Some(pos) => Refusal::At(Box::new(
                Diagnostic::error(Code::CanaryInProgress, pos, message).with_help(help),
            )),
            None => Refusal::Plain(format!("{message}; {help}")),
        });
    }
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
    let gate = |unchecked: &mut Vec<String>| {
        let reached_cells: Vec<(usize, &str)> = cells.waves[..reached]
            .iter()
            .enumerate()
            .flat_map(|(i, w)| w.iter().map(move |c| (i + 1, c.as_str())))
            .collect();
        alerts::gate(&reached_cells, given, service, env, tag, unchecked)
    };
    let Some(next_wave) = cells.waves.get(reached) else {
        // Every cell pins the tag: it is the environment's now (nothing to wait for).
        gate(unchecked)?;
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
    gate(unchecked)?;
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
