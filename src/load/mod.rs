//! Reading input files: the only code that opens the user's files.
//!
//! Every file read is recorded in [`Sources`] (so diagnostics can quote it) and parsed into
//! a spanned [`yaml::Node`]. Problems become diagnostics, never panics: a missing file, a
//! directory where a file belongs, a huge file, invalid UTF-8, YAML errors, an empty file.

pub mod digest;
pub mod git;
pub mod templates;
pub mod yaml;

use crate::diagnostic::{Code, Diagnostic, Diagnostics, Sources};
use crate::project::{Project, parse_project};
use std::path::Path;
use yaml::{FileId, Node, ParseErrorKind, Pos};

/// Larger input files are refused; a 1,000-service registry is well under 1 MiB.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The raw inputs of one platform repo.
#[derive(Debug, Default)]
pub struct Inputs {
    pub project: Project,
    pub registry: Option<Loaded>,
    /// Environment overlays sorted by name (the file stem).
    pub environments: Vec<(String, Loaded)>,
    pub versions: Option<Loaded>,
    /// The environments directory, for diagnostics about the directory itself.
    pub environments_dir: Option<FileId>,
    /// Environment files that exist but could not be loaded (already diagnosed).
    pub broken_environments: Vec<String>,
}

/// One parsed YAML file.
#[derive(Debug)]
pub struct Loaded {
    pub file: FileId,
    pub node: Node,
}

/// Where the inputs are read from: the working tree under a directory, or the files of a
/// git revision ([`git::read_tree`], paths relative to the same directory).
#[derive(Debug, Clone, Copy)]
pub enum Root<'a> {
    Disk(&'a Path),
    Tree(&'a git::Tree),
}

/// What a root-relative path names.
enum Entry {
    File(u64),
    Dir,
    Other,
}

impl Root<'_> {
    fn entry(self, rel: &str) -> Option<Entry> {
        match self {
            Root::Disk(root) => {
                let meta = std::fs::metadata(root.join(rel)).ok()?;
                Some(if meta.is_file() {
                    Entry::File(meta.len())
                } else if meta.is_dir() {
                    Entry::Dir
                } else {
                    Entry::Other
                })
            }
            Root::Tree(tree) => {
                let rel = rel.trim_end_matches('/');
                if let Some(bytes) = tree.get(rel) {
                    return Some(Entry::File(bytes.len() as u64));
                }
                let prefix = format!("{rel}/");
                let dir = tree.range(prefix.clone()..).next();
                dir.is_some_and(|(k, _)| k.starts_with(&prefix))
                    .then_some(Entry::Dir)
            }
        }
    }

    /// Whether `rel` is a directory.
    pub fn is_dir(self, rel: &str) -> bool {
        matches!(self.entry(rel), Some(Entry::Dir))
    }

    /// An input file's bytes. On disk: only a regular file inside the root, at most
    /// [`MAX_FILE_BYTES`] ([`read_input`]); in a git tree: a blob (the tree reader has refused
    /// links and submodules already), under the same cap.
    fn read(self, rel: &str) -> Result<Vec<u8>, Unread> {
        match self {
            Root::Disk(root) => read_input(root, rel),
            Root::Tree(tree) => match self.entry(rel) {
                None => Err(Unread::Missing),
                Some(Entry::Dir | Entry::Other) => Err(Unread::NotRegular),
                Some(Entry::File(len)) if len > MAX_FILE_BYTES => Err(Unread::TooLarge(len)),
                Some(Entry::File(_)) => tree.get(rel).cloned().ok_or(Unread::Missing),
            },
        }
    }

    /// Whether `rel` exists but (links resolved) leads outside the repository root; never
    /// for a git tree, whose paths the tree reader validated.
    fn leads_outside(self, rel: &str) -> bool {
        match self {
            Root::Disk(root) => {
                let path = root.join(rel);
                path.exists() && inside_root(root, &path).is_none()
            }
            Root::Tree(_) => false,
        }
    }

    /// The names in directory `rel`.
    fn list(self, rel: &str) -> std::io::Result<Vec<String>> {
        match self {
            Root::Disk(root) => Ok(std::fs::read_dir(root.join(rel))?
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()),
            Root::Tree(tree) => {
                let prefix = format!("{}/", rel.trim_end_matches('/'));
                let mut names: Vec<String> = tree
                    .keys()
                    .filter_map(|k| k.strip_prefix(&prefix))
                    .map(|rest| rest.split('/').next().unwrap_or(rest).to_owned())
                    .collect();
                names.dedup();
                Ok(names)
            }
        }
    }
}

/// Reads `infrac.toml` (when present) and every input file under `root`; `versions_text`,
/// when given, stands in for the text of versions.yaml (an edit being checked).
pub fn load_inputs(
    root: &Path,
    versions_text: Option<&str>,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) -> Inputs {
    load_inputs_from(Root::Disk(root), versions_text, sources, diags)
}

/// [`load_inputs`] from either root.
pub fn load_inputs_from(
    root: Root,
    versions_text: Option<&str>,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) -> Inputs {
    let project = load_project(root, sources, diags);
    let registry_text = read_text(root, &project.registry, sources, diags);
    // The registry is by far the largest file: parse it on one core while the other reads
    // and parses the environment overlays and versions.yaml. File ids are taken in the same
    // order as before, and the registry's diagnostics come first.
    let mut registry_diags = Diagnostics::default();
    let (registry, (environments_dir, environments, broken_environments, versions, rest_diags)) =
        rayon::join(
            || {
                let (file, text) = registry_text.as_ref()?;
                parse_loaded(*file, text, &project.registry, &mut registry_diags)
            },
            || {
                let mut rest = Diagnostics::default();
                let (dir, envs, broken) =
                    load_environments(root, &project.environments, sources, &mut rest);
                let versions = match versions_text {
                    Some(text) => {
                        let file = sources.add(project.versions.clone(), text);
                        parse_loaded(file, text, &project.versions, &mut rest)
                    }
                    None => load_yaml(root, &project.versions, sources, &mut rest),
                };
                (dir, envs, broken, versions, rest)
            },
        );
    diags.extend(registry_diags.items);
    diags.extend(rest_diags.items);
    Inputs {
        project,
        registry,
        environments,
        versions,
        environments_dir,
        broken_environments,
    }
}

fn load_project(root: Root, sources: &mut Sources, diags: &mut Diagnostics) -> Project {
    if root.entry("infrac.toml").is_none() {
        return Project::default();
    }
    let Some((file, text)) = read_text(root, "infrac.toml", sources, diags) else {
        return Project::default();
    };
    match parse_project(&text) {
        Ok(project) => project,
        Err(e) => {
            let pos = match e.span {
                Some(span) => pos_at(&text, file, span.start, span.len()),
                None => Sources::file_pos(file),
            };
            diags.push(Diagnostic::error(Code::Config, pos, e.message));
            Project::default()
        }
    }
}

/// Why an input file was not read.
enum Unread {
    Missing,
    Outside,
    NotRegular,
    TooLarge(u64),
    Failed(std::io::Error),
}

/// Whether `path` (links resolved) lies inside the repository root. A link inside the root
/// that points at another file inside it is followed (a shared overlay); one that leads out
/// of the root is refused, so no file outside the repository is ever read or quoted.
fn inside_root(root: &Path, path: &Path) -> Option<std::path::PathBuf> {
    let root = std::fs::canonicalize(root).ok()?;
    let real = std::fs::canonicalize(path).ok()?;
    real.starts_with(&root).then_some(real)
}

/// An input file's bytes: only a regular file inside the root, at most [`MAX_FILE_BYTES`];
/// opened without blocking, so a FIFO is refused rather than waited on.
fn read_input(root: &Path, rel: &str) -> Result<Vec<u8>, Unread> {
    use std::io::Read as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let path = root.join(rel);
    if std::fs::symlink_metadata(&path).is_err() {
        return Err(Unread::Missing);
    }
    let Some(real) = inside_root(root, &path) else {
        return Err(match std::fs::metadata(&path) {
            Err(_) if path.is_symlink() => Unread::Missing,
            _ => Unread::Outside,
        });
    };
    let file = std::fs::File::options()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(&real);
    let file = match file {
        Ok(f) => f,
        Err(_) if !real.is_file() => return Err(Unread::NotRegular),
        Err(e) => return Err(Unread::Failed(e)),
    };
    let meta = file.metadata().map_err(Unread::Failed)?;
    if !meta.is_file() {
        return Err(Unread::NotRegular);
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(Unread::TooLarge(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(Unread::Failed)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Unread::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Reads a file as UTF-8 text, registering it in `sources` (also when it cannot be read,
/// so the diagnostic can name it).
fn read_text(
    root: Root,
    rel: &str,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) -> Option<(FileId, String)> {
    let bytes = match root.read(rel) {
        Ok(b) => b,
        Err(why) => {
            let file = sources.add(rel, "");
            let pos = Sources::file_pos(file);
            diags.push(match why {
                Unread::Missing => Diagnostic::error(Code::MissingFile, pos, format!("`{rel}` does not exist"))
                    .with_help("create it, or point infrac.toml at the right path (`infrac init` scaffolds a platform repo)"),
                Unread::Outside => Diagnostic::error(
                    Code::NotAFile,
                    pos,
                    format!("`{rel}` is a symbolic link that leads outside the repository; infrac reads no file outside the repository root"),
                )
                .with_help("replace the link by the file itself (a link to another file inside the repository is fine)"),
                Unread::NotRegular => Diagnostic::error(
                    Code::NotAFile,
                    pos,
                    format!("`{rel}` is not a regular file"),
                ),
                Unread::TooLarge(len) => Diagnostic::error(
                    Code::FileTooLarge,
                    pos,
                    format!("`{rel}` is {len} bytes; infrac reads input files of at most {MAX_FILE_BYTES} bytes"),
                ),
                Unread::Failed(e) => Diagnostic::error(
                    Code::MissingFile,
                    pos,
                    format!("cannot read `{rel}`: {e}"),
                ),
            });
            return None;
        }
    };
    match String::from_utf8(bytes) {
        Ok(text) => {
            let file = sources.add(rel, text.clone());
            Some((file, text))
        }
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(&e.into_bytes()[..valid]).into_owned();
            let file = sources.add(rel, text.clone());
            let pos = pos_at(&text, file, valid, 0);
            diags.push(
                Diagnostic::error(Code::Encoding, pos, format!("`{rel}` is not valid UTF-8"))
                    .with_help("save the file as UTF-8"),
            );
            None
        }
    }
}

/// The position of byte `offset` in `text`.
pub fn pos_at(text: &str, file: FileId, offset: usize, len: usize) -> Pos {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    Pos {
        file,
        offset: offset as u32,
        len: len as u32,
        line: line as u32,
        column: column as u32,
    }
}

/// Reads and parses one YAML file.
pub fn load_yaml(
    root: Root,
    rel: &str,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) -> Option<Loaded> {
    let (file, text) = read_text(root, rel, sources, diags)?;
    parse_loaded(file, &text, rel, diags)
}

fn parse_loaded(file: FileId, text: &str, rel: &str, diags: &mut Diagnostics) -> Option<Loaded> {
    if text.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#') || t == "---"
    }) {
        diags.push(
            Diagnostic::error(
                Code::EmptyFile,
                Sources::file_pos(file),
                format!("`{rel}` holds no YAML document"),
            )
            .with_help("start from `infrac init`, or see SPEC for the file's fields"),
        );
        return None;
    }
    match yaml::parse(text, file) {
        Ok(node) => Some(Loaded { file, node }),
        Err(e) => {
            let code = match e.kind {
                ParseErrorKind::Syntax => Code::YamlSyntax,
                ParseErrorKind::DuplicateKey => Code::DuplicateKey,
                ParseErrorKind::Limits => Code::YamlLimits,
            };
            let offset = e.offset.unwrap_or(0);
            let mut pos = pos_at(text, file, offset, 1);
            if e.offset.is_none() {
                pos.line = e.line;
                pos.column = e.column;
            }
            let mut d = Diagnostic::error(code, pos, e.message);
            let line_text = text
                .lines()
                .nth(pos.line.saturating_sub(1) as usize)
                .unwrap_or("");
            if code == Code::YamlSyntax && text.contains('\t') {
                d = d.with_help("YAML forbids tabs for indentation: indent with spaces");
            } else if code == Code::DuplicateKey {
                let key = line_text
                    .trim()
                    .trim_start_matches("- ")
                    .split(':')
                    .next()
                    .unwrap_or("")
                    .trim();
                d.pos.len = key.len().max(1) as u32;
                d = d.with_label("set a second time here").with_help(format!(
                    "keep one `{key}` key: YAML readers disagree on which duplicate wins"
                ));
            } else if code == Code::YamlLimits {
                d = d.with_help("write the values out (infrac's `defaults` replace anchors), keep one document per file");
            }
            diags.push(d);
            None
        }
    }
}

fn load_environments(
    root: Root,
    rel: &str,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) -> (Option<FileId>, Vec<(String, Loaded)>, Vec<String>) {
    let dir_id = sources.add(rel, "");
    if root.leads_outside(rel) {
        diags.push(
            Diagnostic::error(
                Code::NotAFile,
                Sources::file_pos(dir_id),
                format!("`{rel}` is a symbolic link that leads outside the repository; infrac reads no file outside the repository root"),
            )
            .with_help("keep the environment overlays in the repository"),
        );
        return (Some(dir_id), Vec::new(), Vec::new());
    }
    if !root.is_dir(rel) {
        let (code, message) = if root.entry(rel).is_some() {
            (
                Code::NotAFile,
                format!("`{rel}` must be a directory of environment overlays"),
            )
        } else {
            (
                Code::MissingFile,
                format!("the environments directory `{rel}` does not exist"),
            )
        };
        diags.push(
            Diagnostic::error(code, Sources::file_pos(dir_id), message)
                .with_help("add one `<name>.yaml` per environment"),
        );
        return (Some(dir_id), Vec::new(), Vec::new());
    }
    let mut names: Vec<_> = match root.list(rel) {
        Ok(names) => names,
        Err(e) => {
            diags.push(Diagnostic::error(
                Code::MissingFile,
                Sources::file_pos(dir_id),
                format!("cannot read `{rel}`: {e}"),
            ));
            return (Some(dir_id), Vec::new(), Vec::new());
        }
    };
    names.sort();
    let mut envs = Vec::new();
    let mut broken = Vec::new();
    for name in names {
        let file_rel = format!("{}/{name}", rel.trim_end_matches('/'));
        if name.starts_with('.') {
            continue;
        }
        let Some(stem) = name.strip_suffix(".yaml") else {
            let id = sources.add(file_rel.clone(), "");
            let help = match name.strip_suffix(".yml") {
                Some(stem) => format!("rename it to `{stem}.yaml`"),
                None => "environment overlays are `<name>.yaml` files; move anything else out of this directory".to_owned(),
            };
            diags.push(
                Diagnostic::error(
                    Code::EnvironmentFile,
                    Sources::file_pos(id),
                    format!("`{file_rel}` is not an environment overlay (`<name>.yaml`)"),
                )
                .with_help(help),
            );
            continue;
        };
        match load_yaml(root, &file_rel, sources, diags) {
            Some(loaded) => envs.push((stem.to_owned(), loaded)),
            None => broken.push(stem.to_owned()),
        }
    }
    (Some(dir_id), envs, broken)
}
