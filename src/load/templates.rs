//! Reads a user's template override directory (`templates = "DIR"` in `infrac.toml`).
//!
//! Only reads: every regular file under the directory, by its `/`-separated relative path,
//! in sorted order. It never interprets the files; `crate::templates` compiles them.

use crate::diagnostic::{Code, Diagnostic, Sources};
use crate::error::Error;
use std::collections::BTreeMap;
use std::path::{Component, Path};

/// The overrides as read, and the entries of the directory infrac refused to read.
#[derive(Debug, Default)]
pub struct ReadOverrides {
    pub files: BTreeMap<String, String>,
    pub refused: Vec<Refused>,
}

/// An entry of the template directory that is not read: its relative path (`""` for the
/// directory itself) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub name: String,
    pub why: Refusal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A symbolic link (to a file or a directory, inside the repository or not): never
    /// followed.
    Link,
    /// A FIFO, socket or device: never opened for reading.
    NotRegular,
    /// Larger than [`super::MAX_FILE_BYTES`] (the size seen).
    TooLarge(u64),
    NotUtf8,
}

/// Every regular file under `root/rel`, keyed by its relative path with `/` separators
/// (`ci/github/build-service.yml.j2`), which is the name of the built-in it replaces.
///
/// Like the inputs (`read_input`): no link is followed, neither on the way from `root` to
/// the directory nor inside it; only regular files are read, opened with `O_NOFOLLOW` and
/// without blocking, at most [`super::MAX_FILE_BYTES`] each. Anything else is listed in
/// [`ReadOverrides::refused`] (the caller reports it) and not read.
pub fn read_overrides(root: &Path, rel: &str) -> Result<ReadOverrides, Error> {
    let mut out = ReadOverrides::default();
    let dir = root.join(rel);
    // The directory and every directory on the way to it, from the root.
    let mut on_the_way = root.to_path_buf();
    for part in Path::new(rel).components() {
        let Component::Normal(part) = part else {
            continue;
        };
        on_the_way.push(part);
        let meta = std::fs::symlink_metadata(&on_the_way)
            .map_err(|e| Error::io("read template directory", &on_the_way, e))?;
        if meta.file_type().is_symlink() {
            out.refused.push(Refused {
                name: String::new(),
                why: Refusal::Link,
            });
            return Ok(out);
        }
    }
    let walk = walkdir::WalkDir::new(&dir)
        .follow_links(false)
        .follow_root_links(false)
        .sort_by_file_name();
    for entry in walk {
        let entry = entry.map_err(|e| {
            let path = e.path().unwrap_or(&dir).to_path_buf();
            let source = e
                .into_io_error()
                .unwrap_or_else(|| std::io::Error::other("filesystem loop"));
            Error::io("read template directory", path, source)
        })?;
        let path = entry.path();
        let relative = path
            .strip_prefix(&dir)
            .map_err(|e| Error::Internal(format!("{}: {e}", path.display())))?;
        let name = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let kind = entry.file_type();
        let why = if kind.is_dir() {
            continue;
        } else if kind.is_symlink() {
            Some(Refusal::Link)
        } else if !kind.is_file() {
            Some(Refusal::NotRegular)
        } else {
            match read_regular(path)? {
                Ok(text) => {
                    out.files.insert(name.clone(), text);
                    None
                }
                Err(why) => Some(why),
            }
        };
        if let Some(why) = why {
            out.refused.push(Refused { name, why });
        }
    }
    Ok(out)
}

/// The diagnostic for an entry of the template directory `dir` that was not read, at the
/// entry (its path registered in `sources`).
pub fn refusal_diagnostic(dir: &str, refused: &Refused, sources: &mut Sources) -> Diagnostic {
    let path = if refused.name.is_empty() {
        dir.to_owned()
    } else {
        format!("{dir}/{}", refused.name)
    };
    let pos = Sources::file_pos(sources.add(path.clone(), ""));
    match refused.why {
        Refusal::Link => Diagnostic::error(
            Code::NotAFile,
            pos,
            format!("`{path}` is a symbolic link; infrac follows no link in the template directory"),
        )
        .with_help("replace the link by a copy of the file (or directory) it points to"),
        Refusal::NotRegular => Diagnostic::error(
            Code::NotAFile,
            pos,
            format!("`{path}` is not a regular file (a FIFO, socket or device); a template override must be a file"),
        )
        .with_help("remove it from the template directory"),
        Refusal::TooLarge(size) => Diagnostic::error(
            Code::FileTooLarge,
            pos,
            format!(
                "`{path}` is {size} bytes; infrac reads template overrides of at most {} bytes",
                super::MAX_FILE_BYTES
            ),
        )
        .with_help("a template is a few kilobytes: check that the right file is in the template directory"),
        Refusal::NotUtf8 => Diagnostic::error(
            Code::Encoding,
            pos,
            format!("`{path}` is not valid UTF-8"),
        )
        .with_help("save the file as UTF-8"),
    }
}

/// A template file's text: opened without following a link and without blocking, checked to
/// be a regular file on the open descriptor (a file swapped for a link or a FIFO after the
/// directory was listed is refused, not followed), read up to the cap.
fn read_regular(path: &Path) -> Result<Result<String, Refusal>, Error> {
    use std::io::Read as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let cap = super::MAX_FILE_BYTES;
    let file = std::fs::File::options()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path);
    let file = match file {
        Ok(f) => f,
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Ok(Err(Refusal::Link)),
        Err(e) => return Err(Error::io("read template", path, e)),
    };
    let meta = file
        .metadata()
        .map_err(|e| Error::io("read template", path, e))?;
    if !meta.is_file() {
        return Ok(Err(Refusal::NotRegular));
    }
    if meta.len() > cap {
        return Ok(Err(Refusal::TooLarge(meta.len())));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io("read template", path, e))?;
    if bytes.len() as u64 > cap {
        return Ok(Err(Refusal::TooLarge(bytes.len() as u64)));
    }
    Ok(String::from_utf8(bytes).map_err(|_| Refusal::NotUtf8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_files_by_relative_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("ci/github")).unwrap();
        std::fs::write(dir.path().join("ci/github/x.yml.j2"), "a").unwrap();
        std::fs::write(dir.path().join("b.j2"), "b").unwrap();
        let got = read_overrides(dir.path(), "").unwrap();
        let names: Vec<&str> = got.files.keys().map(String::as_str).collect();
        assert_eq!(names, ["b.j2", "ci/github/x.yml.j2"]);
        assert_eq!(got.files["ci/github/x.yml.j2"], "a");
        assert!(got.refused.is_empty());
    }

    #[test]
    fn a_missing_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_overrides(dir.path(), "nope").is_err());
    }

    #[test]
    fn links_and_special_files_are_refused_never_read() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "s3cr3t").unwrap();
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("tpl");
        std::fs::create_dir_all(dir.join("ci")).unwrap();
        std::fs::write(dir.join("ci/ok.j2"), "ok").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), dir.join("ci/file.j2")).unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.join("linked-dir")).unwrap();
        std::fs::write(dir.join("latin1.j2"), b"caf\xe9").unwrap();
        let fifo = std::ffi::CString::new(dir.join("pipe.j2").to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let got = read_overrides(root.path(), "tpl").unwrap();
        assert_eq!(got.files.keys().collect::<Vec<_>>(), ["ci/ok.j2"]);
        let refused: Vec<(&str, Refusal)> = got
            .refused
            .iter()
            .map(|r| (r.name.as_str(), r.why))
            .collect();
        assert_eq!(
            refused,
            [
                ("ci/file.j2", Refusal::Link),
                ("latin1.j2", Refusal::NotUtf8),
                ("linked-dir", Refusal::Link),
                ("pipe.j2", Refusal::NotRegular),
            ]
        );
        // The directory itself a link: refused whole.
        std::os::unix::fs::symlink(&dir, root.path().join("alias")).unwrap();
        let got = read_overrides(root.path(), "alias").unwrap();
        assert!(got.files.is_empty());
        assert_eq!(
            got.refused,
            [Refused {
                name: String::new(),
                why: Refusal::Link
            }]
        );
    }
}
