//! Reads a user's template override directory (`templates = "DIR"` in `infrac.toml`).
//!
//! Only reads: every regular file under the directory, by its `/`-separated relative path,
//! in sorted order. It never interprets the files; `crate::templates` compiles them.

use crate::error::Error;
use std::collections::BTreeMap;
use std::path::Path;

/// Every file under `dir`, keyed by its relative path with `/` separators
/// (`ci/github/build-service.yml.j2`), which is the name of the built-in it replaces.
pub fn read_overrides(dir: &Path) -> Result<BTreeMap<String, String>, Error> {
    let mut overrides = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| {
            let path = e.path().unwrap_or(dir).to_path_buf();
            let source = e
                .into_io_error()
                .unwrap_or_else(|| std::io::Error::other("filesystem loop"));
            Error::io("read template directory", path, source)
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path();
        let relative = path
            .strip_prefix(dir)
            .map_err(|e| Error::Internal(format!("{}: {e}", path.display())))?;
        let name = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let source =
            std::fs::read_to_string(path).map_err(|e| Error::io("read template", path, e))?;
        overrides.insert(name, source);
    }
    Ok(overrides)
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
        let got = read_overrides(dir.path()).unwrap();
        let names: Vec<&str> = got.keys().map(String::as_str).collect();
        assert_eq!(names, ["b.j2", "ci/github/x.yml.j2"]);
        assert_eq!(got["ci/github/x.yml.j2"], "a");
    }

    #[test]
    fn a_missing_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_overrides(&dir.path().join("nope")).is_err());
    }
}
