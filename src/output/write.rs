//! `infrac build`'s writer: puts a [`FileSet`] on disk under a [`Layout`], atomically per file,
//! and keeps the manifest of the files infrac owns.
//!
//! Every disk access goes through [`super::fs`] (no link is followed, only regular files are
//! read, with a size cap), and the manifest is untrusted input: a line whose path is not inside
//! an owned root (the output directory, the `[output]` destinations) is a located diagnostic
//! and nothing is written or deleted.
//!
//! Order of work: take the build lock (`<out>/.infrac-lock`) and delete the temp files of an
//! interrupted build; read the manifest and what is on disk (in memory, in parallel); refuse,
//! writing nothing, when a file infrac does not own would be overwritten or a path is a link
//! or not a regular file; **stage** every new and changed file as a temp file beside its
//! target and sync them all; only then rename them into place (unchanged files are not
//! touched); delete stale files the old manifest owns whose contents still match their
//! recorded hash (a file that no longer matches is a user's: it is kept, reported and no
//! longer owned), pruning directories they leave empty inside the output directory; write
//! the manifest last (synced, temp + rename). A failure while staging (a full disk) removes
//! the temp files and leaves the old tree as it was. A crash leaves a tree that `plan`/`check`
//! reports (stray temp files included) and the next write repairs.
//!
//! This module must not compile, render or diff anything; it only moves bytes.

use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::fs::{self as safe, Refusal};
use super::layout::{Layout, LayoutError};
use super::lock::BuildLock;
use super::manifest::{Manifest, hash_hex};
use crate::artifact::FileSet;
use crate::diagnostic::Code;

/// Why a write did not happen (or stopped).
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Layout(#[from] LayoutError),
    /// Paths infrac refuses to read, write or delete (links, non-regular files, bad manifest
    /// lines); rendered as located diagnostics.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Refused(Vec<Refusal>),
    #[error(
        "refusing to overwrite {} file(s) infrac does not own (not in the manifest, contents differ): {}; move or delete them, then build again",
        paths.len(), paths.join(", ")
    )]
    Unowned { paths: Vec<String> },
    #[error("generated files `{first}` and `{second}` would both be written to `{path}`")]
    Collision {
        path: String,
        first: String,
        second: String,
    },
    #[error(
        "another `infrac build`{} holds `{path}`; wait for it to finish, then build again",
        if holder.is_empty() { String::new() } else { format!(" (pid {holder})") }
    )]
    Locked { path: String, holder: String },
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl WriteError {
    /// The located diagnostics of a [`WriteError::Refused`].
    pub fn diagnostics(
        &self,
    ) -> Option<(crate::diagnostic::Diagnostics, crate::diagnostic::Sources)> {
        match self {
            WriteError::Refused(refusals) => Some(safe::refusal_diagnostics(refusals)),
            _ => None,
        }
    }
}

/// What a write did; every path is relative to the root, `/`-separated, sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// New or changed files written.
    pub written: Vec<String>,
    /// Files already on disk with the right contents (not touched).
    pub unchanged: Vec<String>,
    /// Stale files the old manifest owned, deleted.
    pub deleted: Vec<String>,
    /// Stale files whose contents no longer match the manifest: kept on disk, no longer owned.
    pub kept: Vec<String>,
    /// Temp files of an interrupted build, deleted.
    pub cleaned: Vec<String>,
}

/// One generated file placed on disk: root-relative key, and the file-set path it came from.
pub(crate) struct Placed<'a> {
    pub key: String,
    pub logical: &'a str,
    pub contents: &'a [u8],
}

/// Every file's disk key, sorted by key; refuses unsafe paths and two files on one path.
pub(crate) fn place<'a>(
    layout: &Layout,
    files: &'a FileSet,
) -> Result<Vec<Placed<'a>>, WriteError> {
    let mut placed = Vec::with_capacity(files.len());
    for file in files.iter() {
        let key = layout.disk_key(&file.path)?;
        if !layout.owns(&key) {
            return Err(LayoutError::UnsafeFilePath {
                path: file.path.clone(),
            }
            .into());
        }
        placed.push(Placed {
            key,
            logical: &file.path,
            contents: file.contents.as_bytes(),
        });
    }
    placed.sort_by(|a, b| a.key.cmp(&b.key));
    for pair in placed.windows(2) {
        if pair[0].key == pair[1].key {
            return Err(WriteError::Collision {
                path: pair[0].key.clone(),
                first: pair[0].logical.to_owned(),
                second: pair[1].logical.to_owned(),
            });
        }
    }
    Ok(placed)
}

/// Reads the manifest under `root`; a missing manifest is an empty one. Every line naming a
/// path infrac does not own is refused with its position.
pub fn load_manifest(root: &Path, layout: &Layout) -> Result<Manifest, WriteError> {
    let key = super::layout::path_key(&layout.manifest_path());
    let Some(bytes) = safe::read_owned(root, &key)? else {
        return Ok(Manifest::new());
    };
    let text = String::from_utf8_lossy(&bytes);
    let out = layout.out().display().to_string();
    Manifest::parse_owned(&text, |path| {
        (!layout.owns(path)).then(|| {
            format!("is outside the files infrac may own (`{out}/` and the [output] destinations)")
        })
    })
    .map_err(|errors| {
        let refusals = errors
            .into_iter()
            .map(|e| Refusal {
                code: Code::Manifest,
                path: key.clone(),
                message: e.message,
                help: "the manifest lists only files infrac generated; restore it with `git checkout` (or delete it and run `infrac build`)".to_owned(),
                at: Some((text.clone().into_owned(), e.offset, e.len)),
            })
            .collect();
        WriteError::Refused(refusals)
    })
}

/// The manifest's `# generator:` line against this infrac: `Some` refusal, located on the
/// line, when the tree under `root` was written by another version (or by one from before
/// versions were recorded). A missing manifest (no tree yet) is no mismatch: `check` reports
/// the files themselves.
pub fn generator_mismatch(root: &Path, layout: &Layout) -> Result<Option<Refusal>, WriteError> {
    let key = super::layout::path_key(&layout.manifest_path());
    let Some(bytes) = safe::read_owned(root, &key)? else {
        return Ok(None);
    };
    let manifest = load_manifest(root, layout)?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let this = super::manifest::VERSION;
    let (message, at, help) = match manifest.generator() {
        Some(g) if g.version == this => return Ok(None),
        // The version is the checkout's text: suggested as a command only when it looks like one.
        Some(g) if !is_version_like(&g.version) => (
            format!(
                "the golden tree names an unrecognised generator version; this is infrac {this}"
            ),
            (g.offset, g.len),
            "regenerate it with this version: `infrac build`, then commit".to_owned(),
        ),
        Some(g) => (
            format!(
                "the golden tree was generated by infrac {}; this is infrac {this}",
                g.version
            ),
            (g.offset, g.len),
            format!(
                "regenerate it with this version (`infrac build`, then commit), or run the version that generated it (`pip install infrac=={}`)",
                g.version
            ),
        ),
        None => (
            format!(
                "the golden tree was generated by an infrac that did not record its version; this is infrac {this}"
            ),
            (0, text.find('\n').unwrap_or(text.len())),
            "regenerate it with this version: `infrac build`, then commit".to_owned(),
        ),
    };
    Ok(Some(Refusal {
        code: Code::GeneratorVersion,
        path: key,
        message,
        help,
        at: Some((text, at.0, at.1)),
    }))
}

/// `1.2.3`, `0.2.0rc1`, `1.0.0-beta.2`: digits, letters, dots, dashes and pluses, from a digit.
fn is_version_like(v: &str) -> bool {
    v.len() <= 40
        && v.starts_with(|c: char| c.is_ascii_digit())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
}

/// A generated file's bytes, or `None` when it does not exist (see [`safe::read_owned`]).
pub(crate) fn read_optional(root: &Path, key: &str) -> Result<Option<Vec<u8>>, WriteError> {
    safe::read_owned(root, key)
}

/// The temp files (and a lock file) an interrupted build left in the directories infrac
/// writes into, sorted.
pub fn stray_files(root: &Path, layout: &Layout) -> Result<Vec<String>, WriteError> {
    let mut found = Vec::new();
    for (dir, recursive) in layout.write_dirs() {
        found.extend(safe::temp_files(root, &dir, recursive)?);
    }
    let lock = super::layout::path_key(&layout.lock_path());
    if std::fs::symlink_metadata(root.join(&lock)).is_ok() {
        found.push(lock);
    }
    found.sort();
    found.dedup();
    Ok(found)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Write,
    Keep,
    Refuse,
}

fn decide(manifest: &Manifest, key: &str, on_disk: Option<&[u8]>, wanted: &[u8]) -> Action {
    match on_disk {
        None => Action::Write,
        Some(bytes) if bytes == wanted => Action::Keep,
        Some(_) if manifest.contains(key) => Action::Write,
        Some(_) => Action::Refuse,
    }
}

/// Collects the results of one pass, gathering every refusal before failing.
fn gather<T>(results: Vec<Result<T, WriteError>>) -> Result<Vec<T>, WriteError> {
    let mut refusals = Vec::new();
    let mut ok = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(v) => ok.push(v),
            Err(WriteError::Refused(rs)) => refusals.extend(rs),
            Err(e) => return Err(e),
        }
    }
    if refusals.is_empty() {
        Ok(ok)
    } else {
        Err(WriteError::Refused(refusals))
    }
}

/// Writes `files` under `root` as `layout` places them, keeping the manifest. See the module
/// documentation for the order of work and the guarantees. `inputs`, the digest of the
/// inputs `files` were compiled from, goes into the manifest's `# inputs:` line.
pub fn write_tree(
    root: &Path,
    layout: &Layout,
    files: &FileSet,
    inputs: Option<&str>,
) -> Result<WriteReport, WriteError> {
    let placed = place(layout, files)?;
    let out_key = super::layout::path_key(layout.out());
    let _lock = BuildLock::acquire(root, &out_key)?;
    let mut report = WriteReport::default();
    for (dir, recursive) in layout.write_dirs() {
        for key in safe::temp_files(root, &dir, recursive)? {
            safe::remove_owned(root, &key)?;
            report.cleaned.push(key);
        }
    }
    let old = load_manifest(root, layout)?;
    let actions = gather(
        placed
            .par_iter()
            .map(|p| {
                let on_disk = safe::read_owned(root, &p.key)?;
                let action = decide(&old, &p.key, on_disk.as_deref(), p.contents);
                Ok((action, hash_hex(p.contents)))
            })
            .collect(),
    )?;
    let refused: Vec<String> = placed
        .iter()
        .zip(&actions)
        .filter(|(_, (a, _))| *a == Action::Refuse)
        .map(|(p, _)| p.key.clone())
        .collect();
    if !refused.is_empty() {
        return Err(WriteError::Unowned { paths: refused });
    }
    let mut manifest = Manifest::new();
    if let Some(digest) = inputs {
        manifest.set_inputs(digest);
    }
    for (p, (_, hash)) in placed.iter().zip(&actions) {
        manifest.insert_hash(p.key.clone(), hash.clone());
    }
    let (stale, kept) = sort_stale(root, &old, &manifest)?;

    // Stage everything before renaming anything: a failure here drops (deletes) the temps.
    let mut staged = Vec::new();
    for (p, (action, _)) in placed.iter().zip(&actions) {
        if *action == Action::Write {
            staged.push((
                p.key.as_str(),
                safe::stage(root, &p.key, p.contents, false)?,
            ));
        } else {
            report.unchanged.push(p.key.clone());
        }
    }
    if !staged.is_empty() {
        safe::sync_all(root)?;
    }
    for (key, tmp) in staged {
        safe::commit(root, key, tmp)?;
        report.written.push(key.to_owned());
    }
    for key in stale {
        if safe::remove_owned(root, &key)? {
            report.deleted.push(key.clone());
        }
        prune_empty_dirs(root, layout, Path::new(&key));
    }
    report.kept = kept;
    write_manifest(root, layout, &manifest)?;
    Ok(report)
}

/// The files `old` owns that `new` does not, split into those still holding what infrac
/// wrote (to delete) and those changed since (kept: a user's file is never deleted).
fn sort_stale(
    root: &Path,
    old: &Manifest,
    new: &Manifest,
) -> Result<(Vec<String>, Vec<String>), WriteError> {
    let checked = gather(
        old.iter()
            .filter(|(k, _)| !new.contains(k))
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|(key, hash)| {
                let disk = safe::read_owned(root, key)?;
                Ok((key.to_owned(), disk.map(|d| hash_hex(&d) == hash)))
            })
            .collect(),
    )?;
    let mut delete = Vec::new();
    let mut kept = Vec::new();
    for (key, matches) in checked {
        match matches {
            Some(true) => delete.push(key),
            Some(false) => kept.push(key),
            None => {}
        }
    }
    Ok((delete, kept))
}

fn prune_empty_dirs(root: &Path, layout: &Layout, key: &Path) {
    let mut dir = key.parent();
    while let Some(d) = dir.filter(|d| layout.is_inside_out(d)) {
        // remove_dir fails on a non-empty directory (and on a link): that is the stop condition.
        if std::fs::remove_dir(root.join(d)).is_err() {
            break;
        }
        dir = d.parent();
    }
}

fn write_manifest(root: &Path, layout: &Layout, manifest: &Manifest) -> Result<(), WriteError> {
    let key = super::layout::path_key(&layout.manifest_path());
    let text = manifest.render();
    if safe::read_owned(root, &key)?.as_deref() == Some(text.as_bytes()) {
        return Ok(());
    }
    let tmp = safe::stage(root, &key, text.as_bytes(), true)?;
    safe::commit(root, &key, tmp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifact::{OutputFile, Target};

    fn set(files: &[(&str, &str)]) -> FileSet {
        let mut set = FileSet::new();
        for (path, text) in files {
            set.insert(OutputFile::new(Target::Kubernetes, None, *path, *text))
                .unwrap();
        }
        set
    }

    #[test]
    fn decide_covers_every_case() {
        let mut m = Manifest::new();
        m.insert("owned", b"old");
        assert_eq!(decide(&m, "x", None, b"a"), Action::Write);
        assert_eq!(decide(&m, "x", Some(b"a"), b"a"), Action::Keep);
        assert_eq!(decide(&m, "owned", Some(b"hand"), b"a"), Action::Write);
        assert_eq!(decide(&m, "other", Some(b"b"), b"a"), Action::Refuse);
    }

    #[test]
    fn collisions_are_refused() {
        let mut moves = std::collections::BTreeMap::new();
        moves.insert("gitlab".to_owned(), PathBuf::from(".gitlab-ci.yml"));
        let layout = Layout::new("golden", moves).unwrap();
        let files = set(&[
            ("ci/gitlab/.gitlab-ci.yml", "a"),
            ("ci/gitlab/extra.yml", "b"),
        ]);
        let err = place(&layout, &files).err().unwrap();
        assert!(matches!(err, WriteError::Collision { .. }), "{err}");
    }

    #[test]
    fn writes_and_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::default();
        let files = set(&[("a/b.yaml", "x: 1"), ("c.yaml", "y: 2")]);
        let first = write_tree(dir.path(), &layout, &files, None).unwrap();
        assert_eq!(first.written, ["golden/a/b.yaml", "golden/c.yaml"]);
        let second = write_tree(dir.path(), &layout, &files, None).unwrap();
        assert!(second.written.is_empty() && second.deleted.is_empty());
        assert_eq!(second.unchanged.len(), 2);
        let manifest = load_manifest(dir.path(), &layout).unwrap();
        assert_eq!(manifest.len(), 2);
    }
}
