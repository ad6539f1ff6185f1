//! The filesystem trust boundary of the output layer: the only primitives that read, create,
//! replace and delete files under an owned root (the output directory and the `[output]`
//! destinations).
//!
//! The checkout is hostile: a pull request can put a symlink anywhere in `golden/`, replace
//! `golden/` itself by one, or turn a generated path into a FIFO or a link to `/dev/zero`.
//! So, for every root-relative key:
//!
//! * every directory component is checked with `lstat` (never followed): a symlink is refused
//!   with `infrac::symlink-in-output`, anything else that is not a directory with
//!   `infrac::not-a-file`;
//! * the file itself is opened with `O_NOFOLLOW | O_NONBLOCK` (a FIFO cannot hang the open)
//!   and `fstat`ed: only a regular file of at most [`MAX_GOLDEN_BYTES`] is read;
//! * writes go to a fresh `O_EXCL` temp file in the same directory and a `rename`, which
//!   replaces a directory entry and never writes through one; deletes `unlink` the entry.
//!
//! What this does not defend against: another local process racing infrac between the `lstat`
//! and the operation (the threat is the checkout's contents, not a concurrent attacker with a
//! shell on the runner).
//!
//! This module knows no manifest and no plan; it only moves bytes safely.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::diagnostic::{Code, Diagnostic, Diagnostics, Sources};

use super::write::WriteError;

/// Generated files larger than this are refused (not read): the largest generated file of a
/// 1,000-service platform is well under 1 MiB, and a cap keeps a hostile file from using up
/// memory.
pub const MAX_GOLDEN_BYTES: u64 = 64 * 1024 * 1024;

/// The prefix of every temp file infrac creates (a stray one is an interrupted build).
pub const TEMP_PREFIX: &str = ".infrac-tmp-";

/// A path infrac refuses to touch, as a located diagnostic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: Code,
    /// Root-relative, `/`-separated.
    pub path: String,
    pub message: String,
    pub help: String,
    /// For a manifest line: the manifest's text and the line's byte range.
    pub at: Option<(String, usize, usize)>,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.path)?;
        if let Some((text, offset, _)) = &self.at {
            let line = text.get(..*offset).unwrap_or("").matches('\n').count() + 1;
            write!(f, ", line {line}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl Refusal {
    fn symlink(path: &str, what: &str) -> Self {
        Self {
            code: Code::SymlinkInOutput,
            path: path.to_owned(),
            message: format!("`{path}` is a symbolic link; infrac never follows links in {what}"),
            help: "replace the link by the real directory or file (or delete it and run `infrac build`)".to_owned(),
            at: None,
        }
    }

    fn not_regular(path: &str, kind: &str) -> Self {
        Self {
            code: Code::NotAFile,
            path: path.to_owned(),
            message: format!(
                "`{path}` is {kind}, not a regular file; infrac reads and replaces regular files only"
            ),
            help: "delete it and run `infrac build`".to_owned(),
            at: None,
        }
    }

    fn too_large(path: &str, len: u64) -> Self {
        Self {
            code: Code::FileTooLarge,
            path: path.to_owned(),
            message: format!(
                "`{path}` is {len} bytes; infrac reads generated files of at most {MAX_GOLDEN_BYTES} bytes"
            ),
            help: "delete it and run `infrac build`".to_owned(),
            at: None,
        }
    }
}

/// The diagnostics for `refusals`, each file registered once in the returned sources.
pub fn refusal_diagnostics(refusals: &[Refusal]) -> (Diagnostics, Sources) {
    let mut sources = Sources::default();
    let mut ids = std::collections::BTreeMap::new();
    let mut diags = Diagnostics::default();
    for r in refusals {
        let text = r.at.as_ref().map_or("", |(t, _, _)| t.as_str());
        let file = *ids
            .entry(r.path.clone())
            .or_insert_with(|| sources.add(r.path.clone(), text));
        let pos = match &r.at {
            Some((text, offset, len)) => crate::load::pos_at(text, file, *offset, *len),
            None => Sources::file_pos(file),
        };
        diags.push(Diagnostic::error(r.code, pos, r.message.clone()).with_help(r.help.clone()));
    }
    diags.finish(&sources);
    (diags, sources)
}

fn refused(r: Refusal) -> WriteError {
    WriteError::Refused(vec![r])
}

fn io(action: &'static str, path: PathBuf, source: io::Error) -> WriteError {
    WriteError::Io {
        action,
        path,
        source,
    }
}

/// What is at a root-relative path, without following a link.
fn lstat(root: &Path, rel: &str) -> Result<Option<fs::Metadata>, WriteError> {
    let path = root.join(rel);
    match fs::symlink_metadata(&path) {
        Ok(m) => Ok(Some(m)),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(io("inspect", path, e)),
    }
}

fn kind_of(meta: &fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a named pipe"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_block_device() || t.is_char_device() {
        "a device"
    } else {
        "not a regular file"
    }
}

/// Checks every directory component of `key` (not the last): each is absent or a real
/// directory. Returns whether all of them exist.
pub fn check_parents(root: &Path, key: &str) -> Result<bool, WriteError> {
    let mut prefix = String::new();
    let parts: Vec<&str> = key.split('/').collect();
    for part in &parts[..parts.len().saturating_sub(1)] {
        if !prefix.is_empty() {
            prefix.push('/');
        }
        prefix.push_str(part);
        match lstat(root, &prefix)? {
            None => return Ok(false),
            Some(m) if m.file_type().is_symlink() => {
                return Err(refused(Refusal::symlink(&prefix, "the output")));
            }
            Some(m) if !m.is_dir() => {
                return Err(refused(Refusal::not_regular(&prefix, kind_of(&m))));
            }
            Some(_) => {}
        }
    }
    Ok(true)
}

/// Checks that `key` is absent or a real directory, and every component above it too.
pub fn check_dir(root: &Path, key: &str) -> Result<bool, WriteError> {
    if !check_parents(root, key)? {
        return Ok(false);
    }
    match lstat(root, key)? {
        None => Ok(false),
        Some(m) if m.file_type().is_symlink() => Err(refused(Refusal::symlink(key, "the output"))),
        Some(m) if !m.is_dir() => Err(refused(Refusal::not_regular(key, kind_of(&m)))),
        Some(_) => Ok(true),
    }
}

/// A file's bytes, or `None` when nothing is at `key`; a link, a non-regular file or one
/// larger than [`MAX_GOLDEN_BYTES`] is refused, never read.
pub fn read_owned(root: &Path, key: &str) -> Result<Option<Vec<u8>>, WriteError> {
    use std::os::unix::fs::OpenOptionsExt as _;
    if !check_parents(root, key)? {
        return Ok(None);
    }
    let path = root.join(key);
    let file = File::options()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(&path);
    let file = match file {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(refused(Refusal::symlink(key, "the output")));
        }
        Err(e) => {
            // A directory, a socket or a device that cannot be opened: say what it is.
            if let Some(m) = lstat(root, key)?
                && !m.is_file()
            {
                return Err(refused(Refusal::not_regular(key, kind_of(&m))));
            }
            return Err(io("read", path, e));
        }
    };
    let meta = file
        .metadata()
        .map_err(|e| io("inspect", path.clone(), e))?;
    if !meta.is_file() {
        return Err(refused(Refusal::not_regular(key, kind_of(&meta))));
    }
    if meta.len() > MAX_GOLDEN_BYTES {
        return Err(refused(Refusal::too_large(key, meta.len())));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // `take` bounds a file that grows while it is read.
    file.take(MAX_GOLDEN_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io("read", path, e))?;
    if bytes.len() as u64 > MAX_GOLDEN_BYTES {
        return Err(refused(Refusal::too_large(key, bytes.len() as u64)));
    }
    Ok(Some(bytes))
}

/// Creates every missing directory of `key`'s parent, refusing links on the way.
pub fn create_parents(root: &Path, key: &str) -> Result<(), WriteError> {
    if check_parents(root, key)? {
        return Ok(());
    }
    let mut prefix = String::new();
    let parts: Vec<&str> = key.split('/').collect();
    for part in &parts[..parts.len() - 1] {
        if !prefix.is_empty() {
            prefix.push('/');
        }
        prefix.push_str(part);
        create_dir(root, &prefix)?;
    }
    Ok(())
}

/// Creates the directory `key` when absent (its parents must exist); refuses anything else.
pub fn create_dir(root: &Path, key: &str) -> Result<(), WriteError> {
    let path = root.join(key);
    match fs::create_dir(&path) {
        Ok(()) => Ok(()),
        // mkdir never follows a link: EEXIST on one, so look at what is there.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => match lstat(root, key)? {
            Some(m) if m.file_type().is_symlink() => {
                Err(refused(Refusal::symlink(key, "the output")))
            }
            Some(m) if !m.is_dir() => Err(refused(Refusal::not_regular(key, kind_of(&m)))),
            _ => Ok(()),
        },
        Err(e) => Err(io("create", path, e)),
    }
}

/// Writes `bytes` to a new temp file beside `key` (created with `O_EXCL`, mode 0644) and
/// returns it unrenamed; dropping it deletes it. `sync` flushes it to disk now (the tree
/// writer syncs all staged files at once with [`sync_all`] instead).
pub fn stage(
    root: &Path,
    key: &str,
    bytes: &[u8],
    sync: bool,
) -> Result<tempfile::TempPath, WriteError> {
    use std::io::Write as _;
    use std::os::unix::fs::PermissionsExt as _;
    create_parents(root, key)?;
    let path = root.join(key);
    let dir = path.parent().unwrap_or(root);
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .permissions(fs::Permissions::from_mode(0o644))
        .tempfile_in(dir)
        .map_err(|e| io("create a temp file in", dir.to_path_buf(), e))?;
    // The file itself, not the wrapper (whose errors name the temp path).
    let file = tmp.as_file_mut();
    file.write_all(bytes)
        .and_then(|()| if sync { file.sync_all() } else { Ok(()) })
        .map_err(|e| io("write", path.clone(), e))?;
    Ok(tmp.into_temp_path())
}

/// Renames a staged temp file over `key`, after checking that nothing but a regular file
/// (or nothing) is there.
pub fn commit(root: &Path, key: &str, tmp: tempfile::TempPath) -> Result<(), WriteError> {
    check_regular_or_absent(root, key)?;
    let path = root.join(key);
    tmp.persist(&path).map_err(|e| io("write", path, e.error))
}

fn check_regular_or_absent(root: &Path, key: &str) -> Result<(), WriteError> {
    check_parents(root, key)?;
    match lstat(root, key)? {
        Some(m) if m.file_type().is_symlink() => Err(refused(Refusal::symlink(key, "the output"))),
        Some(m) if !m.is_file() => Err(refused(Refusal::not_regular(key, kind_of(&m)))),
        _ => Ok(()),
    }
}

/// Deletes the regular file at `key`; `false` when nothing was there.
pub fn remove_owned(root: &Path, key: &str) -> Result<bool, WriteError> {
    check_regular_or_absent(root, key)?;
    let path = root.join(key);
    match fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io("delete", path, e)),
    }
}

/// Flushes every staged file to disk in one call (a per-file fsync costs milliseconds each).
pub fn sync_all(root: &Path) -> Result<(), WriteError> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd as _;
        let dir = File::open(root).map_err(|e| io("open", root.to_path_buf(), e))?;
        // SAFETY: syncfs takes any open descriptor and touches no memory of ours.
        if unsafe { libc::syncfs(dir.as_raw_fd()) } != 0 {
            return Err(io("sync", root.to_path_buf(), io::Error::last_os_error()));
        }
    }
    #[cfg(not(target_os = "linux"))]
    // SAFETY: sync takes no arguments.
    unsafe {
        libc::sync()
    };
    Ok(())
}

/// Every entry named `.infrac-tmp-*` under the directory `dir_key` (recursively when
/// `recursive`), as root-relative keys, sorted; links are listed, never followed.
pub fn temp_files(root: &Path, dir_key: &str, recursive: bool) -> Result<Vec<String>, WriteError> {
    let exists = if dir_key.is_empty() {
        true
    } else {
        check_dir(root, dir_key)?
    };
    if !exists {
        return Ok(Vec::new());
    }
    let base = root.join(dir_key);
    let walk = walkdir::WalkDir::new(&base)
        .follow_links(false)
        .min_depth(1)
        .max_depth(if recursive { usize::MAX } else { 1 })
        .sort_by_file_name();
    let mut found = Vec::new();
    for entry in walk {
        let entry = entry.map_err(|e| {
            let path = e.path().map_or_else(|| base.clone(), Path::to_path_buf);
            io("list", path, e.into())
        })?;
        if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX)
            && !entry.file_type().is_dir()
        {
            let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
            found.push(super::layout::path_key(rel));
        }
    }
    Ok(found)
}
