//! The build lock `<out>/.infrac-lock`: one `infrac build` writes a tree at a time.
//!
//! The lock is an `flock` on that file, not the file's existence, so a build killed with
//! `kill -9` cannot wedge the next one: the kernel drops the lock when the process dies, and
//! the leftover file is locked again and reused. The file holds the holder's pid (for the
//! message) and is deleted on release, while still locked. A build that opened the file just
//! before it was deleted notices (the inode at the path changed) and retries.
//!
//! This module locks; it writes nothing else.

use std::fs::File;
use std::io::{self, Read as _, Seek as _, Write as _};
use std::os::fd::AsRawFd as _;
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

use super::write::WriteError;

/// The name of the lock file inside the output directory.
pub const LOCK_FILE: &str = ".infrac-lock";

/// A held build lock; dropping it releases it on every exit path.
#[derive(Debug)]
pub struct BuildLock {
    file: File,
    path: PathBuf,
}

impl BuildLock {
    /// Takes the lock in the output directory `out_key` (created when missing, never
    /// through a link), or says who holds it.
    pub fn acquire(root: &Path, out_key: &str) -> Result<Self, WriteError> {
        let key = format!("{out_key}/{LOCK_FILE}");
        super::fs::create_parents(root, &key)?;
        super::fs::create_dir(root, out_key)?;
        let path = root.join(&key);
        let io_err = |source: io::Error| WriteError::Io {
            action: "lock",
            path: path.clone(),
            source,
        };
        loop {
            let opened = File::options()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o644)
                .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
                .open(&path);
            let mut file = match opened {
                Ok(f) => f,
                Err(e) => {
                    // A link (ELOOP) or a FIFO gets the located diagnostic.
                    super::fs::read_owned(root, &key)?;
                    return Err(io_err(e));
                }
            };
            if !file.metadata().map_err(io_err)?.is_file() {
                super::fs::read_owned(root, &key)?;
            }
            // SAFETY: flock on a descriptor we own; no memory is shared.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
                let e = io::Error::last_os_error();
                if e.raw_os_error() != Some(libc::EWOULDBLOCK) {
                    return Err(io_err(e));
                }
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                return Err(WriteError::Locked {
                    path: key,
                    holder: holder.trim().chars().filter(char::is_ascii_digit).collect(),
                });
            }
            let held = file.metadata().map_err(io_err)?;
            let at_path = std::fs::symlink_metadata(&path).ok();
            if at_path.is_none_or(|m| m.ino() != held.ino() || m.dev() != held.dev()) {
                continue; // released and deleted by the previous holder: lock the new file
            }
            file.set_len(0).map_err(io_err)?;
            file.rewind().map_err(io_err)?;
            writeln!(file, "{}", std::process::id()).map_err(io_err)?;
            return Ok(Self { file, path });
        }
    }
}

impl Drop for BuildLock {
    fn drop(&mut self) {
        // Delete while locked, so no one locks this inode after the path is gone.
        let _ = std::fs::remove_file(&self.path);
        let _ = &self.file;
    }
}
