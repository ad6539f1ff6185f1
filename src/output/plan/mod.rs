//! `infrac plan` / `infrac check`: compares an in-memory [`FileSet`] with what is on disk and
//! in the manifest, file by file and resource by resource, without writing anything.
//!
//! Fast path first: every generated file is read and compared byte for byte (in parallel);
//! only files that differ are parsed into resources and diffed. Per file the plan says what
//! the next `write_tree` does (add / change / remove) and whether the disk has drifted from
//! what infrac last wrote (a hand edit, a hand delete, a file infrac does not own, or a build
//! interrupted before its manifest).
//!
//! This module compiles nothing and writes nothing; rendering lives in `render_*`.

pub mod causes;
mod cells;
mod counts;
mod fields;
pub mod policies;
pub mod render_json;
pub mod render_markdown;
pub mod render_text;
mod resources;

use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;
use similar::{Algorithm, TextDiff};

pub use counts::{Counts, GroupCounts};
pub use fields::{Cause, FieldChange};
pub use resources::{ResourceAction, ResourceChange};

use super::layout::Layout;
use super::manifest::{Manifest, hash_hex};
use super::write::{WriteError, load_manifest, place, read_optional, stray_files};
use crate::artifact::{FileSet, Target};
use crate::backend::{self, Owner};

/// Which part of the plan to compute. Empty lists mean everything. Files that belong to no
/// single environment (bases, Terraform modules, CI) are kept under an environment filter,
/// since a change to them reaches every environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanFilter {
    pub environments: Vec<String>,
    pub targets: Vec<Target>,
}

impl PlanFilter {
    fn keeps(&self, target: Target, environment: Option<&str>) -> bool {
        let target_ok = self.targets.is_empty() || self.targets.contains(&target);
        let env_ok = self.environments.is_empty()
            || environment.is_none_or(|e| self.environments.iter().any(|f| f == e));
        target_ok && env_ok
    }
}

/// What the next build does to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileAction {
    Add,
    Change,
    Remove,
    /// Contents already right; listed only because of [`Drift`].
    None,
}

/// How the disk differs from what infrac last wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Drift {
    /// An owned file whose contents differ from the manifest: edited by hand.
    HandEdited,
    /// An owned file missing from disk: deleted by hand.
    HandDeleted,
    /// A file infrac does not own is in the way: the build will refuse to overwrite it.
    Unowned,
    /// The file is right but the manifest does not record it (an interrupted build).
    Unrecorded,
    /// A temp file or the build lock left by an interrupted (or running) build.
    Interrupted,
    /// No longer generated, but changed since infrac wrote it: the build keeps it (a user's
    /// file is never deleted) and stops owning it.
    Kept,
}

impl Drift {
    /// What to tell the user.
    pub fn hint(self) -> &'static str {
        match self {
            Drift::HandEdited => {
                "edited by hand; the next build overwrites it: change the registry, environment overlays or versions.yaml instead"
            }
            Drift::HandDeleted => {
                "deleted by hand; the next build restores it: disable the service or target in the registry instead"
            }
            Drift::Unowned => {
                "exists but infrac does not own it; the build refuses to overwrite it: move or delete it"
            }
            Drift::Unrecorded => {
                "not recorded in the manifest (an interrupted build?); the next build records it"
            }
            Drift::Kept => {
                "no longer generated, but changed since infrac wrote it; the next build keeps it and stops owning it: delete it if you do not need it"
            }
            Drift::Interrupted => {
                "left by an interrupted build (or one still running); the next build deletes it: do not commit it"
            }
        }
    }
}

/// One file the plan lists.
#[derive(Debug, Clone, Serialize)]
pub struct FileChange {
    /// Path relative to the project root, `/`-separated (`golden/kubernetes/…`).
    pub path: String,
    /// The file-set path (`kubernetes/…`), relative to the output root.
    #[serde(rename = "filesetPath")]
    pub logical_path: String,
    /// The back end that writes it; `None` (JSON `null`) for infrac's own build lock, which
    /// belongs to no back end.
    pub target: Option<Target>,
    pub environment: Option<String>,
    /// The cell of `environment` whose own file it is (its aggregate, Application, cell
    /// overlay or Terraform root); `None` for a file of the whole environment or of none.
    pub cell: Option<String>,
    pub action: FileAction,
    pub drift: Option<Drift>,
    pub resources: Vec<ResourceChange>,
    /// Why resources could not be listed (a file on disk that does not parse).
    #[serde(rename = "parseError")]
    pub parse_error: Option<String>,
    /// Unified diff (Histogram, 3 lines of context); empty when the contents are equal.
    pub diff: String,
    /// The contents on disk, when different from `new`.
    #[serde(skip)]
    pub old: Option<String>,
    /// The generated contents, when different from `old`.
    #[serde(skip)]
    pub new: Option<String>,
}

/// The whole plan, files sorted by path.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub files: Vec<FileChange>,
    /// File counts over the whole plan.
    pub totals: Counts,
    #[serde(rename = "resourceTotals")]
    pub resource_totals: Counts,
    /// Files that drifted from the manifest.
    pub drift: usize,
    /// Per environment × target, sorted (shared files first within a target order).
    pub groups: Vec<GroupCounts>,
    /// The change policies the plan trips (`plan --base` only; empty otherwise).
    pub policies: Vec<policies::Finding>,
}

impl Plan {
    /// Whether the golden tree is stale (any file to add, change or remove, or any drift).
    pub fn has_changes(&self) -> bool {
        !self.files.is_empty()
    }

    /// The one summary, saying what it counts: `Plan: 2 files, 3 resources to change (1 to
    /// add, 2 to change, 0 to remove; 1 of them Terraform).` Files count per action in the
    /// table of groups.
    pub fn summary_line(&self) -> String {
        let files = self.totals.total();
        let r = self.resource_totals;
        let terraform: usize = self
            .groups
            .iter()
            .filter(|g| g.target == Some(Target::Terraform))
            .map(|g| g.resources.total())
            .sum();
        let plural = |n: usize, word: &str| {
            if n == 1 {
                format!("{n} {word}")
            } else {
                format!("{n} {word}s")
            }
        };
        let terraform = if terraform > 0 {
            format!("; {terraform} of them Terraform")
        } else {
            String::new()
        };
        format!(
            "Plan: {}, {} to change ({} to add, {} to change, {} to remove{terraform}).",
            plural(files, "file"),
            plural(r.total(), "resource"),
            r.add,
            r.change,
            r.remove
        )
    }
}

/// Compares `files` with the tree under `root` as `layout` places it. Reads only the files it
/// needs; parses only those that differ.
pub fn plan(
    root: &Path,
    layout: &Layout,
    files: &FileSet,
    filter: &PlanFilter,
) -> Result<Plan, WriteError> {
    let placed = place(layout, files)?;
    let manifest = load_manifest(root, layout)?;
    let mut work: Vec<Work> = Vec::new();
    for p in &placed {
        let owner = match files.get(p.logical) {
            Some(file) => Owner {
                target: file.target,
                environment: file.environment.clone(),
            },
            None => stale_owner(Some(p.logical)),
        };
        if filter.keeps(owner.target, owner.environment.as_deref()) {
            let new = Some(p.contents);
            let shared = shared(layout, files, p.logical, SharedOld::Disk);
            work.push(Work::new(&p.key, p.logical, owner, new).with_shared(shared));
        }
    }
    let generated: std::collections::BTreeSet<&str> =
        placed.iter().map(|p| p.key.as_str()).collect();
    for (key, _) in manifest.iter().filter(|(k, _)| !generated.contains(k)) {
        let logical = layout.logical_path(key);
        let owner = stale_owner(logical.as_deref());
        if filter.keeps(owner.target, owner.environment.as_deref()) {
            let logical = logical.unwrap_or_else(|| key.to_owned());
            let shared = shared(layout, files, &logical, SharedOld::Disk);
            work.push(Work::new(key, &logical, owner, None).with_shared(shared));
        }
    }
    let mut changes = work
        .into_par_iter()
        .map(|w| w.compare(root, &manifest))
        .collect::<Result<Vec<_>, WriteError>>()?;
    let mut changes: Vec<FileChange> = changes.drain(..).flatten().collect();
    // Never read: a temp file's contents are not the user's business, and it may be a link.
    for key in stray_files(root, layout)? {
        let logical = layout.logical_path(&key);
        let owner = stale_owner(logical.as_deref());
        let logical = logical.unwrap_or_else(|| key.clone());
        let lock = key == super::layout::path_key(&layout.lock_path());
        let work = Work::new(&key, &logical, owner, None);
        let mut change = work.describe(
            FileAction::Remove,
            Some(Drift::Interrupted),
            None,
            None,
            (None, None),
        );
        if lock {
            // The build lock is no back end's: it counts on its own row.
            change.target = None;
        }
        changes.push(change);
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(counts::tally(changes))
}

/// Compares `files` with `base`, the tree as committed at a git revision (root-relative
/// paths, as [`crate::load::git::read_tree`] reads them): the plan of a pull request. Every
/// file is either added, changed or removed; there is no drift, since the base is what was
/// committed, not what a build left on disk.
///
/// The base's own files are those its manifest lists (all files under the output directory
/// when it has none, as before the first build).
pub fn plan_base(
    base: &BaseTree,
    layout: &Layout,
    files: &FileSet,
    filter: &PlanFilter,
) -> Result<Plan, WriteError> {
    let placed = place(layout, files)?;
    let manifest_key = super::layout::path_key(&layout.manifest_path());
    let base_manifest = base
        .get(&manifest_key)
        .and_then(Option::as_ref)
        .and_then(|b| Manifest::parse(&String::from_utf8_lossy(b)).ok());
    let base_keys: Vec<&str> = match &base_manifest {
        Some(m) => m.iter().map(|(k, _)| k).collect(),
        None => base
            .keys()
            .map(String::as_str)
            .filter(|k| *k != manifest_key && Path::new(k).starts_with(layout.out()))
            .collect(),
    };
    let mut work: Vec<(Work, Option<&[u8]>)> = Vec::new();
    for p in &placed {
        let owner = match files.get(p.logical) {
            Some(file) => Owner {
                target: file.target,
                environment: file.environment.clone(),
            },
            None => stale_owner(Some(p.logical)),
        };
        let old = match base.get(&p.key) {
            // The very bytes generated now (git's blob id says so): nothing to plan.
            Some(None) => continue,
            Some(Some(bytes)) => Some(bytes.as_slice()),
            None => None,
        };
        if old != Some(p.contents) && filter.keeps(owner.target, owner.environment.as_deref()) {
            let shared = shared(layout, files, p.logical, |key| {
                base_side(base, files, layout, &key)
            });
            let w = Work::new(&p.key, p.logical, owner, Some(p.contents)).with_shared(shared);
            work.push((w, old));
        }
    }
    let generated: std::collections::BTreeSet<&str> =
        placed.iter().map(|p| p.key.as_str()).collect();
    for key in base_keys.into_iter().filter(|k| !generated.contains(k)) {
        let logical = layout.logical_path(key);
        let owner = stale_owner(logical.as_deref());
        if filter.keeps(owner.target, owner.environment.as_deref()) {
            let logical = logical.unwrap_or_else(|| key.to_owned());
            // A file no longer generated is never skipped unread (nothing has its bytes).
            let old = base.get(key).map(|b| b.as_deref().unwrap_or_default());
            let shared = shared(layout, files, &logical, |k| {
                base_side(base, files, layout, &k)
            });
            work.push((
                Work::new(key, &logical, owner, None).with_shared(shared),
                old,
            ));
        }
    }
    let mut changes: Vec<FileChange> = work
        .into_par_iter()
        .filter_map(|(w, old)| {
            let action = match (old, w.new) {
                (None, None) => return None,
                (None, Some(_)) => FileAction::Add,
                (Some(_), Some(_)) => FileAction::Change,
                (Some(_), None) => FileAction::Remove,
            };
            let new = w.new.map(text);
            let shared_old = match &w.shared {
                Some(Shared {
                    old: SharedOld::Known(b),
                    ..
                }) => b.map(text),
                _ => None,
            };
            let shared_new = w.shared.as_ref().and_then(|s| s.new.map(text));
            Some(w.describe(action, None, old.map(text), new, (shared_old, shared_new)))
        })
        .collect();
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(counts::tally(changes))
}

/// The base revision's bytes of the file at `key`: those read from git, the generated ones
/// when git's blob id says they are the same, none when the base has no such file.
fn base_side<'a>(
    base: &'a BaseTree,
    files: &'a FileSet,
    layout: &Layout,
    key: &str,
) -> SharedOld<'a> {
    SharedOld::Known(match base.get(key) {
        Some(Some(bytes)) => Some(bytes.as_slice()),
        Some(None) => layout
            .logical_path(key)
            .and_then(|l| files.get(&l))
            .map(|f| f.contents.as_bytes()),
        None => None,
    })
}

/// Files as committed at the base revision, by root-relative path: the bytes of each, or
/// `None` for a file known to hold exactly the bytes generated now for the same path (its git
/// blob id is theirs), which is then never read.
pub type BaseTree = crate::load::git::SparseTree;

/// Whose a file known only from the manifest is (a stale one, which the next build
/// deletes), by its file-set path: the back end whose layout the path follows says so.
///
/// A path no back end claims lies outside every back end's directory. Only an `[output]`
/// move places files there, and only CI files move; a manifest entry the current layout
/// cannot map back (`logical` is `None`) was moved by an `[output]` entry since changed.
/// Both are CI files, of no single environment.
fn stale_owner(logical: Option<&str>) -> Owner {
    logical.and_then(backend::claim).unwrap_or(Owner {
        target: Target::Ci,
        environment: None,
    })
}

/// One file to compare: generated (`new` set) or known only from the manifest.
struct Work<'a> {
    key: String,
    logical: String,
    target: Target,
    environment: Option<String>,
    new: Option<&'a [u8]>,
    /// For a cell's own overlay of a service, the environment overlay file it replaces
    /// ([`moved_from`]): what the cell ran before its overlay was added, or runs again once
    /// it is removed.
    shared: Option<Shared<'a>>,
}

/// The environment overlay file a cell's overlay file stands in for: its generated bytes
/// and, for the other side, where its bytes were before (on disk or at the base revision).
struct Shared<'a> {
    new: Option<&'a [u8]>,
    old: SharedOld<'a>,
}

/// Text of generated or committed bytes, as the plan shows it.
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The [`Shared`] side of the file at `logical`, when it is a cell's overlay: the
/// environment overlay's generated bytes, and its earlier ones from `old` (its key given).
fn shared<'a>(
    layout: &Layout,
    files: &'a FileSet,
    logical: &str,
    old: impl FnOnce(String) -> SharedOld<'a>,
) -> Option<Shared<'a>> {
    let from = moved_from(logical)?;
    let key = layout.disk_key(&from).ok()?;
    Some(Shared {
        new: files.get(&from).map(|f| f.contents.as_bytes()),
        old: old(key),
    })
}

/// Where the environment overlay's earlier bytes come from.
enum SharedOld<'a> {
    /// Read from disk by this key when needed.
    Disk(String),
    /// Already known (the base revision's, or the generated bytes git says are the same).
    Known(Option<&'a [u8]>),
}

/// For a service overlay made for one cell (`kubernetes/<service>/overlays/<env>/cells/<cell>/<file>`),
/// the file-set path of the environment overlay file the cell's aggregate listed before it
/// (`kubernetes/<service>/overlays/<env>/<file>`): a cell overlay added takes the cell's
/// resources over from it, and one removed gives them back. Comparing resources with it
/// shows what the cell's cluster sees (the same Deployment with a new tag), not objects
/// created from nothing.
fn moved_from(logical: &str) -> Option<String> {
    let rest = logical.strip_prefix("kubernetes/")?;
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        [service, "overlays", env, "cells", _, file] => {
            Some(format!("kubernetes/{service}/overlays/{env}/{file}"))
        }
        _ => None,
    }
}

impl<'a> Work<'a> {
    fn new(key: &str, logical: &str, owner: Owner, new: Option<&'a [u8]>) -> Self {
        Self {
            key: key.to_owned(),
            logical: logical.to_owned(),
            target: owner.target,
            environment: owner.environment,
            new,
            shared: None,
        }
    }

    /// The same, with the environment overlay a cell overlay stands in for.
    fn with_shared(mut self, shared: Option<Shared<'a>>) -> Self {
        self.shared = shared;
        self
    }

    fn compare(self, root: &Path, manifest: &Manifest) -> Result<Option<FileChange>, WriteError> {
        let disk = read_optional(root, &self.key)?;
        let recorded = manifest.get(&self.key);
        let Some((action, drift)) = classify(disk.as_deref(), recorded, self.new) else {
            return Ok(None);
        };
        if drift == Some(Drift::Kept) {
            return Ok(Some(self.describe(action, drift, None, None, (None, None))));
        }
        let old = disk.map(|b| text(&b));
        let new = self.new.map(text);
        let shared = match &self.shared {
            Some(Shared {
                old: SharedOld::Disk(key),
                ..
            }) if old.is_none() => read_optional(root, key)?.map(|b| text(&b)),
            _ => None,
        };
        let after = self.shared.as_ref().and_then(|s| s.new.map(text));
        Ok(Some(self.describe(
            action,
            drift,
            old,
            new,
            (shared, after),
        )))
    }

    fn describe(
        self,
        action: FileAction,
        drift: Option<Drift>,
        old: Option<String>,
        new: Option<String>,
        (shared_old, shared_new): (Option<String>, Option<String>),
    ) -> FileChange {
        let cell = cells::cell_of(Some(self.target), &self.logical);
        let mut change = FileChange {
            path: self.key,
            logical_path: self.logical,
            target: Some(self.target),
            environment: self.environment,
            cell,
            action,
            drift,
            resources: Vec::new(),
            parse_error: None,
            diff: String::new(),
            old: None,
            new: None,
        };
        if old != new {
            // A cell overlay added or removed: its resources against the environment overlay
            // the cell ran before or runs again ([`moved_from`]).
            let (before, after) = match (&old, &new) {
                (None, _) if shared_old.is_some() => (shared_old, new.clone()),
                (_, None) if shared_new.is_some() => (old.clone(), shared_new),
                _ => (old.clone(), new.clone()),
            };
            let (resources, error) =
                resource_changes(self.target, &change.logical_path, &before, &after);
            change.resources = resources;
            change.parse_error = error;
            change.diff = unified_diff(&change.path, old.as_deref(), new.as_deref());
            change.old = old;
            change.new = new;
        }
        change
    }
}

/// The action and drift for a file from its disk bytes, manifest hash and generated bytes;
/// `None` when nothing is to report.
fn classify(
    disk: Option<&[u8]>,
    recorded: Option<&str>,
    new: Option<&[u8]>,
) -> Option<(FileAction, Option<Drift>)> {
    let hand_edited = |d: &[u8]| recorded.is_some_and(|h| h != hash_hex(d));
    match (disk, new) {
        (Some(d), Some(n)) if d == n => {
            let recorded_right = recorded.is_some_and(|h| h == hash_hex(n));
            (!recorded_right).then_some((FileAction::None, Some(Drift::Unrecorded)))
        }
        (Some(_), Some(_)) if recorded.is_none() => {
            Some((FileAction::Change, Some(Drift::Unowned)))
        }
        (Some(d), Some(_)) => Some((
            FileAction::Change,
            hand_edited(d).then_some(Drift::HandEdited),
        )),
        (None, Some(_)) => Some((FileAction::Add, recorded.map(|_| Drift::HandDeleted))),
        (Some(d), None) if hand_edited(d) => Some((FileAction::None, Some(Drift::Kept))),
        (Some(_), None) => Some((FileAction::Remove, None)),
        (None, None) => Some((FileAction::Remove, Some(Drift::HandDeleted))),
    }
}

/// The resources a file change touches, as the file's back end identifies them.
fn resource_changes(
    target: Target,
    logical: &str,
    old: &Option<String>,
    new: &Option<String>,
) -> (Vec<ResourceChange>, Option<String>) {
    let parse = |text: &Option<String>, side: &str| match text {
        None => Ok(Default::default()),
        Some(t) => backend::resources(target, logical, t).map_err(|e| format!("{side}: {e}")),
    };
    match (parse(old, "on disk"), parse(new, "generated")) {
        (Ok(o), Ok(n)) => (resources::diff_resources(&o, &n), None),
        (Err(e), _) | (_, Err(e)) => (Vec::new(), Some(e)),
    }
}

/// A unified diff with `a/<path>` / `b/<path>` headers (`/dev/null` for a missing side).
pub fn unified_diff(path: &str, old: Option<&str>, new: Option<&str>) -> String {
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Histogram)
        .diff_lines(old.unwrap_or(""), new.unwrap_or(""));
    let a = old.map_or_else(|| "/dev/null".to_owned(), |_| format!("a/{path}"));
    let b = new.map_or_else(|| "/dev/null".to_owned(), |_| format!("b/{path}"));
    diff.unified_diff()
        .context_radius(3)
        .header(&a, &b)
        .to_string()
}

#[cfg(test)]
mod tests;
