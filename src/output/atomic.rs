//! Writing one file so that no reader ever sees it half-written: a temp file in the same
//! directory (mode 0644), then a rename over the target (which replaces a link at the target
//! rather than writing through it). Used by the versions.yaml editors and `init`; the
//! golden-tree writer stages through [`super::fs`], which also refuses links on the way.

use crate::error::Error;
use std::io::Write;
use std::path::Path;

/// Replaces `path` with `bytes` atomically, creating its directory; `sync` flushes the
/// data to disk before the rename (the tree writer syncs once at the end instead).
pub fn replace_file(path: &Path, bytes: &[u8], sync: bool) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".infrac-tmp-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    if sync {
        tmp.as_file().sync_all()?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// [`replace_file`] with data synced, for single files a user edits (versions.yaml, init).
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), Error> {
    replace_file(path, contents, true).map_err(|e| Error::io("write", path, e))
}
