//! `infrac build`'s writer: puts a [`FileSet`] on disk under a [`Layout`], atomically per file,
//! and keeps the manifest of the files infrac owns.
//!
//! Order of work: resolve every path and read what is on disk (in memory, in parallel); refuse,
//! writing nothing, when a file infrac does not own would be overwritten; write new and changed
//! files (temp file + rename in the same directory; unchanged files are not touched); delete
//! stale files the old manifest owns and prune directories they leave empty inside the output
//! directory; write the manifest last (synced, temp + rename). A crash at any point leaves a
//! tree that `plan`/`check` reports and the next write repairs: files written before the crash
//! equal what would be written and are adopted; files deleted before the crash are still listed
//! by the old manifest and simply dropped from it.
//!
//! This module must not compile, render or diff anything; it only moves bytes.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::FileSet;
use super::layout::{Layout, LayoutError};
use super::manifest::{Manifest, ManifestError, hash_hex};

/// Why a write did not happen (or stopped).
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Layout(#[from] LayoutError),
    #[error("{path}: corrupt manifest at {source}")]
    Manifest {
        path: String,
        #[source]
        source: ManifestError,
    },
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
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> WriteError + use<> {
    let path = path.to_path_buf();
    move |source| WriteError::Io {
        action,
        path,
        source,
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
    let manifest_key = super::layout::path_key(&layout.manifest_path());
    let mut placed = Vec::with_capacity(files.len());
    for file in files.iter() {
        let key = layout.disk_key(&file.path)?;
        if key == manifest_key {
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

/// Reads the manifest under `root`; a missing manifest is an empty one.
pub fn load_manifest(root: &Path, layout: &Layout) -> Result<Manifest, WriteError> {
    let rel = layout.manifest_path();
    let path = root.join(&rel);
    match read_optional(&path)? {
        None => Ok(Manifest::new()),
        Some(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            Manifest::parse(&text).map_err(|source| WriteError::Manifest {
                path: super::layout::path_key(&rel),
                source,
            })
        }
    }
}

/// A file's bytes, or `None` when it does not exist.
pub(crate) fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, WriteError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err("read", path)(e)),
    }
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

/// Writes `files` under `root` as `layout` places them, keeping the manifest. See the module
/// documentation for the order of work and the guarantees.
pub fn write_tree(
    root: &Path,
    layout: &Layout,
    files: &FileSet,
) -> Result<WriteReport, WriteError> {
    let placed = place(layout, files)?;
    let old = load_manifest(root, layout)?;
    let actions = placed
        .par_iter()
        .map(|p| {
            let on_disk = read_optional(&root.join(&p.key))?;
            let action = decide(&old, &p.key, on_disk.as_deref(), p.contents);
            Ok((action, hash_hex(p.contents)))
        })
        .collect::<Result<Vec<_>, WriteError>>()?;
    let refused: Vec<String> = placed
        .iter()
        .zip(&actions)
        .filter(|(_, (a, _))| *a == Action::Refuse)
        .map(|(p, _)| p.key.clone())
        .collect();
    if !refused.is_empty() {
        return Err(WriteError::Unowned { paths: refused });
    }

    let mut report = WriteReport::default();
    let mut manifest = Manifest::new();
    for (p, (action, hash)) in placed.iter().zip(actions) {
        if action == Action::Write {
            write_atomic(&root.join(&p.key), p.contents, false)?;
            report.written.push(p.key.clone());
        } else {
            report.unchanged.push(p.key.clone());
        }
        manifest.insert_hash(p.key.clone(), hash);
    }
    report.deleted = delete_stale(root, layout, &old, &manifest)?;
    write_manifest(root, layout, &manifest)?;
    Ok(report)
}

/// Deletes the files `old` owns that `new` does not, pruning emptied directories inside the
/// output directory. Deleted before the manifest is written, so a crash leaves them listed.
fn delete_stale(
    root: &Path,
    layout: &Layout,
    old: &Manifest,
    new: &Manifest,
) -> Result<Vec<String>, WriteError> {
    let mut deleted = Vec::new();
    for (key, _) in old.iter().filter(|(k, _)| !new.contains(k)) {
        let path = root.join(key);
        match fs::remove_file(&path) {
            Ok(()) => deleted.push(key.to_owned()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err("delete", &path)(e)),
        }
        prune_empty_dirs(root, layout, Path::new(key));
    }
    Ok(deleted)
}

fn prune_empty_dirs(root: &Path, layout: &Layout, key: &Path) {
    let mut dir = key.parent();
    while let Some(d) = dir.filter(|d| layout.is_inside_out(d)) {
        // remove_dir fails on a non-empty directory: that is the stop condition.
        if fs::remove_dir(root.join(d)).is_err() {
            break;
        }
        dir = d.parent();
    }
}

fn write_manifest(root: &Path, layout: &Layout, manifest: &Manifest) -> Result<(), WriteError> {
    let path = root.join(layout.manifest_path());
    let text = manifest.render();
    if read_optional(&path)?.as_deref() == Some(text.as_bytes()) {
        return Ok(());
    }
    write_atomic(&path, text.as_bytes(), true)
}

/// Writes `bytes` to `path` through a temp file in the same directory and a rename, so no
/// reader ever sees a half-written file. `sync` flushes it to disk before the rename.
fn write_atomic(path: &Path, bytes: &[u8], sync: bool) -> Result<(), WriteError> {
    super::atomic::replace_file(path, bytes, sync).map_err(io_err("write", path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::{OutputFile, Target};

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
        let first = write_tree(dir.path(), &layout, &files).unwrap();
        assert_eq!(first.written, ["golden/a/b.yaml", "golden/c.yaml"]);
        let second = write_tree(dir.path(), &layout, &files).unwrap();
        assert!(second.written.is_empty() && second.deleted.is_empty());
        assert_eq!(second.unchanged.len(), 2);
        let manifest = load_manifest(dir.path(), &layout).unwrap();
        assert_eq!(manifest.len(), 2);
    }
}
