//! Where generated files live on disk: maps a [`FileSet`](crate::artifact::FileSet) path
//! (`kubernetes/x/base/deployment.yaml`) to a path relative to the project root
//! (`golden/kubernetes/x/base/deployment.yaml`), honouring the `[output]` moves of `infrac.toml`
//! (`github = ".github/workflows"`, `gitlab = ".gitlab-ci.yml"`).
//!
//! Pure path arithmetic: this module never touches the filesystem. Every path it returns is
//! relative and free of `..`, so nothing it produces can escape the project root.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

/// The name of the manifest file inside the output directory.
pub const MANIFEST_FILE: &str = ".infrac-manifest";

/// The CI systems whose files an `[output]` table may move, as `ci/<key>/…` in the file set.
pub const CI_KEYS: [&str; 4] = ["github", "gitlab", "azure-pipelines", "jenkins"];

/// A path in `infrac.toml` that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    #[error(
        "output path `{path}` for `{key}` must stay inside the project root (relative, no `..`)"
    )]
    Escapes { key: String, path: String },
    #[error(
        "unknown [output] key `{key}`: expected one of github, gitlab, azure-pipelines, jenkins"
    )]
    UnknownKey { key: String },
    #[error("generated path `{path}` is not a safe relative path")]
    UnsafeFilePath { path: String },
}

/// Where each generated file goes, relative to the project root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The output directory (`golden` by default), relative to the root.
    out: PathBuf,
    /// CI system key → destination (a directory, or a single file; see [`Layout::new`]).
    moves: BTreeMap<String, PathBuf>,
}

impl Default for Layout {
    fn default() -> Self {
        Self {
            out: PathBuf::from("golden"),
            moves: BTreeMap::new(),
        }
    }
}

impl Layout {
    /// A layout with output directory `out` and the `[output]` moves.
    ///
    /// A move's destination is a single file when its last component ends in `.yml` / `.yaml`
    /// or starts with `Jenkinsfile` (`gitlab = ".gitlab-ci.yml"`); otherwise it is a directory
    /// that receives the system's files by their relative path (`github = ".github/workflows"`).
    /// Destinations that are absolute or contain `..` are refused.
    /// The layout `infrac.toml` asks for: its `out` directory and its `[output]` moves.
    pub fn of_project(project: &crate::project::Project) -> Result<Self, LayoutError> {
        let moves = project
            .output
            .iter()
            .map(|(k, v)| (k.clone(), PathBuf::from(v)))
            .collect();
        Self::new(&project.out, moves)
    }

    pub fn new(
        out: impl Into<PathBuf>,
        moves: BTreeMap<String, PathBuf>,
    ) -> Result<Self, LayoutError> {
        let out = out.into();
        check_relative("out", &out)?;
        for (key, dest) in &moves {
            if !CI_KEYS.contains(&key.as_str()) {
                return Err(LayoutError::UnknownKey { key: key.clone() });
            }
            check_relative(key, dest)?;
            if dest.components().all(|c| c == Component::CurDir) {
                return Err(escapes(key, dest));
            }
        }
        Ok(Self { out, moves })
    }

    /// The layout an `[output]` table of `infrac.toml` describes (string values only).
    pub fn from_toml(out: impl Into<PathBuf>, table: &toml::Table) -> Result<Self, LayoutError> {
        let mut moves = BTreeMap::new();
        for (key, value) in table {
            let Some(path) = value.as_str() else {
                return Err(escapes(key, Path::new(&value.to_string())));
            };
            moves.insert(key.clone(), PathBuf::from(path));
        }
        Self::new(out, moves)
    }

    /// The output directory, relative to the root.
    pub fn out(&self) -> &Path {
        &self.out
    }

    /// The manifest's place, relative to the root.
    pub fn manifest_path(&self) -> PathBuf {
        self.out.join(MANIFEST_FILE)
    }

    /// Where a file-set path goes, relative to the root.
    pub fn disk_path(&self, file_path: &str) -> PathBuf {
        if let Some((key, rest)) = ci_split(file_path)
            && let Some(dest) = self.moves.get(key)
        {
            return if is_file_dest(dest) {
                dest.clone()
            } else {
                dest.join(rest)
            };
        }
        self.out.join(file_path)
    }

    /// [`Layout::disk_path`] as a `/`-separated string, after checking `file_path` is safe.
    pub fn disk_key(&self, file_path: &str) -> Result<String, LayoutError> {
        if !is_safe_relative(file_path) {
            return Err(LayoutError::UnsafeFilePath {
                path: file_path.to_owned(),
            });
        }
        Ok(path_key(&self.disk_path(file_path)))
    }

    /// The inverse of [`Layout::disk_path`] for a manifest entry (`/`-separated, relative to
    /// the root). A file moved onto a single file maps back to `ci/<key>/<its file name>`.
    pub fn logical_path(&self, disk_key: &str) -> Option<String> {
        let disk = Path::new(disk_key);
        for (key, dest) in &self.moves {
            if is_file_dest(dest) && disk == dest.as_path() {
                let name = dest.file_name()?.to_string_lossy();
                return Some(format!("ci/{key}/{name}"));
            }
            if !is_file_dest(dest)
                && let Ok(rest) = disk.strip_prefix(dest)
            {
                return Some(format!("ci/{key}/{}", path_key(rest)));
            }
        }
        disk.strip_prefix(&self.out).ok().map(path_key)
    }

    /// The lock file's place, relative to the root.
    pub fn lock_path(&self) -> PathBuf {
        self.out.join(super::lock::LOCK_FILE)
    }

    /// Whether infrac may own the root-relative `key`: a safe path inside the output
    /// directory or a directory destination, or exactly a single-file destination; never the
    /// manifest, the lock or a temp file. The writer deletes only what this accepts.
    pub fn owns(&self, key: &str) -> bool {
        if !is_safe_relative(key) {
            return false;
        }
        let name = key.rsplit('/').next().unwrap_or(key);
        if name.starts_with(".infrac-") {
            return false;
        }
        let path = Path::new(key);
        let inside = |dir: &Path| path != dir && path.starts_with(dir);
        inside(&self.out)
            || self.moves.values().any(|dest| {
                if is_file_dest(dest) {
                    path == dest.as_path()
                } else {
                    inside(dest)
                }
            })
    }

    /// The directories infrac writes into, as `(root-relative key, recursive)`: the output
    /// directory and the directory destinations (recursive), and the directory holding each
    /// single-file destination (its own entries only; `""` is the root). Where temp files of
    /// an interrupted build can be.
    pub fn write_dirs(&self) -> Vec<(String, bool)> {
        let mut dirs = vec![(path_key(&self.out), true)];
        for dest in self.moves.values() {
            if is_file_dest(dest) {
                let parent = dest.parent().map(path_key).unwrap_or_default();
                dirs.push((parent, false));
            } else {
                dirs.push((path_key(dest), true));
            }
        }
        dirs.sort();
        dirs.dedup();
        dirs
    }

    /// Whether a root-relative directory lies strictly inside the output directory (the only
    /// directories the writer may prune).
    pub fn is_inside_out(&self, dir: &Path) -> bool {
        dir != self.out && dir.starts_with(&self.out)
    }
}

/// `ci/<key>/<rest>` → `(key, rest)`.
fn ci_split(file_path: &str) -> Option<(&str, &str)> {
    let rest = file_path.strip_prefix("ci/")?;
    rest.split_once('/')
}

fn is_file_dest(dest: &Path) -> bool {
    let Some(name) = dest.file_name().map(|n| n.to_string_lossy()) else {
        return false;
    };
    name.ends_with(".yml") || name.ends_with(".yaml") || name.starts_with("Jenkinsfile")
}

fn check_relative(key: &str, path: &Path) -> Result<(), LayoutError> {
    let ok = path
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if ok { Ok(()) } else { Err(escapes(key, path)) }
}

fn escapes(key: &str, path: &Path) -> LayoutError {
    LayoutError::Escapes {
        key: key.to_owned(),
        path: path.display().to_string(),
    }
}

/// A root-relative path as a `/`-separated string (the form the manifest and plan use).
pub fn path_key(path: &Path) -> String {
    let parts: Vec<_> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(p.to_string_lossy()),
            _ => None,
        })
        .collect();
    parts.join("/")
}

/// A `/`-separated relative path with no empty, `.` or `..` segment, no backslash and no
/// control character: safe to join onto a root.
pub fn is_safe_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
        && path
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != ".." && !seg.contains(':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moved() -> Layout {
        let mut moves = BTreeMap::new();
        moves.insert("github".into(), PathBuf::from(".github/workflows"));
        moves.insert("gitlab".into(), PathBuf::from(".gitlab-ci.yml"));
        Layout::new("golden", moves).unwrap()
    }

    #[test]
    fn default_puts_everything_under_golden() {
        let layout = Layout::default();
        let p = layout.disk_path("terraform/environments/prod/main.tf");
        assert_eq!(
            p,
            PathBuf::from("golden/terraform/environments/prod/main.tf")
        );
        assert_eq!(
            layout.manifest_path(),
            PathBuf::from("golden/.infrac-manifest")
        );
    }

    #[test]
    fn moves_to_directory_and_to_file() {
        let layout = moved();
        let gh = layout.disk_key("ci/github/build-x.yml").unwrap();
        assert_eq!(gh, ".github/workflows/build-x.yml");
        assert_eq!(
            layout.disk_key("ci/gitlab/.gitlab-ci.yml").unwrap(),
            ".gitlab-ci.yml"
        );
        let jenkins = layout.disk_key("ci/jenkins/Jenkinsfile.x").unwrap();
        assert_eq!(jenkins, "golden/ci/jenkins/Jenkinsfile.x");
        assert_eq!(layout.logical_path(&gh).unwrap(), "ci/github/build-x.yml");
        let gl = layout.logical_path(".gitlab-ci.yml").unwrap();
        assert_eq!(gl, "ci/gitlab/.gitlab-ci.yml");
        let k = layout
            .logical_path("golden/kubernetes/a/base/x.yaml")
            .unwrap();
        assert_eq!(k, "kubernetes/a/base/x.yaml");
        assert_eq!(layout.logical_path("elsewhere/x"), None);
    }

    #[test]
    fn escaping_moves_are_refused() {
        for bad in ["../outside", "/etc/workflows", "a/../../b", "."] {
            let mut moves = BTreeMap::new();
            moves.insert("github".into(), PathBuf::from(bad));
            let err = Layout::new("golden", moves).unwrap_err();
            assert!(matches!(err, LayoutError::Escapes { .. }), "{bad}: {err}");
        }
        assert!(Layout::new("../golden", BTreeMap::new()).is_err());
        let mut moves = BTreeMap::new();
        moves.insert("circleci".into(), PathBuf::from("x"));
        assert!(matches!(
            Layout::new("golden", moves),
            Err(LayoutError::UnknownKey { .. })
        ));
    }

    #[test]
    fn from_toml_reads_string_moves() {
        let table: toml::Table = toml::from_str("github = \".github/workflows\"").unwrap();
        let layout = Layout::from_toml("out", &table).unwrap();
        assert_eq!(
            layout.disk_key("ci/github/a.yml").unwrap(),
            ".github/workflows/a.yml"
        );
        let bad: toml::Table = toml::from_str("github = 3").unwrap();
        assert!(Layout::from_toml("out", &bad).is_err());
    }

    #[test]
    fn owns_only_paths_inside_owned_roots() {
        let layout = moved();
        for good in [
            "golden/a.yaml",
            "golden/kubernetes/x/base/d.yaml",
            ".github/workflows/build.yml",
            ".gitlab-ci.yml",
        ] {
            assert!(layout.owns(good), "{good}");
        }
        for bad in [
            "registry.yaml",
            ".git/config",
            "golden",
            "golden/../registry.yaml",
            "golden/./a",
            "golden//a",
            "/etc/passwd",
            "golden\\a",
            "golden/.infrac-manifest",
            "golden/.infrac-lock",
            "golden/x/.infrac-tmp-abc",
            ".github/workflows",
            ".github/ci.yml",
            ".gitlab-ci.yml/x",
        ] {
            assert!(!layout.owns(bad), "{bad}");
        }
        assert_eq!(
            layout.write_dirs(),
            [
                (String::new(), false),
                (".github/workflows".to_owned(), true),
                ("golden".to_owned(), true)
            ]
        );
    }

    #[test]
    fn unsafe_generated_paths_are_refused() {
        let layout = Layout::default();
        for bad in ["", "../x", "a//b", "/abs", "a/./b", "a\\b", "a\nb"] {
            assert!(layout.disk_key(bad).is_err(), "{bad:?}");
        }
    }
}
