//! The body of the `golden_manifest` fuzz target, shared by the cargo-fuzz target
//! (`fuzz/fuzz_targets/golden_manifest.rs`) and the ordinary test over a generated corpus
//! (`tests/trust.rs`, `golden_and_manifest_inputs_never_reach_outside_the_output`), both
//! of which include it with `#[path]`.
//!
//! One input is a hostile checkout: the manifest's text (any bytes: path traversal, absolute
//! paths, backslashes, huge lines, invalid UTF-8) and entries of the output tree (files,
//! directories, FIFOs, symbolic links into a "victim" directory beside the repository, to a
//! file of the repository, and relative links, under any name), plus generated files under
//! any path. It runs the manifest parser, `plan` and `build`'s write (the decision of what to
//! write, keep and delete, and the cleanup of temp files), and asserts what the product
//! promises: no panic, no path outside the owned roots accepted from the manifest, no
//! written or deleted path outside them, and nothing outside them changed on disk (the
//! victim and the repository's own files stay byte-identical; links are recorded as their
//! target text, never followed).
//!
//! The harness itself never writes outside its temp dir: it creates an entry only under an
//! owned root, only when no directory on the way is a link, with `O_EXCL`-style calls that
//! never follow a link, and it creates links only to targets inside its temp dir.
//!
//! Input format (a truncated input simply has fewer entries):
//!
//! ```text
//! flags:u8  manifest_len:u16le  manifest[manifest_len]
//! { kind:u8  name_len:u8  name[name_len]  content_len:u16le  content[content_len] }*
//! ```
//!
//! `flags & 1` moves the GitHub files to `.github/workflows` (a second owned root). `kind &
//! 0x80` puts a tree entry under `.github/workflows` instead of `golden`; `kind & 7` is: 0
//! file, 1 directory, 2 link to the victim directory, 3 link to the victim's secret, 4 link
//! to `registry.yaml`, 5 relative link (`content[0] % 5` levels of `../`, then `victim` or
//! `registry.yaml`), 6 FIFO, 7 a generated file of the build at path `name`.

#![allow(dead_code)]

use infrac::artifact::{FileSet, OutputFile, Target};
use infrac::output::layout::Layout;
use infrac::output::manifest::{Manifest, hash_hex};
use infrac::output::plan::{PlanFilter, plan};
use infrac::output::write::{load_manifest, write_tree};
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Component, Path, PathBuf};

/// What every victim file and every file of the repository outside the output holds: a
/// manifest line with this hash would delete it, if infrac trusted the line.
pub const VICTIM_TEXT: &[u8] = b"AKIAIOSFODNN7EXAMPLE victim: must survive byte-identical\n";

/// The files of the repository outside the output directory.
pub const ROOT_FILES: [&str; 4] = [
    "registry.yaml",
    ".git/config",
    ".github/keep.yml",
    "golden-not/file",
];

/// Names a generator (or a fuzzer's dictionary) tries: traversal, links, owned roots'
/// neighbours, the infrac's own files.
pub const HOSTILE_PATHS: [&str; 31] = [
    "golden/evil -> ../victim",
    "golden/stale.yaml",
    ".github/workflows/stale.yml",
    "registry.yaml",
    ".git/config",
    "../victim/secret.txt",
    "golden/../registry.yaml",
    "golden/./a",
    "golden//a",
    "/etc/passwd",
    "golden/evil/secret.txt",
    "golden/evil",
    "golden/link-file",
    "golden/rel/secret.txt",
    "golden\\..\\registry.yaml",
    "golden/.infrac-manifest",
    "golden/.infrac-lock",
    "golden/.infrac-tmp-1234",
    "golden/kubernetes/a/base/x.yaml",
    "golden/kubernetes/a",
    "golden-not/file",
    "golden",
    "",
    ".github/workflows/ci.yml",
    ".github/workflows/../keep.yml",
    ".github/keep.yml",
    "golden/fifo",
    "golden/a\nb",
    "golden/ a",
    "golden/\u{1b}[2J",
    "golden/dir/../../registry.yaml",
];

/// Manifest paths that are well-formed and under an owned root: a manifest of only these is
/// accepted, so the build gets as far as its write/keep/delete decision (over links, FIFOs
/// and files that changed).
pub const OWNED_PATHS: [&str; 10] = [
    "golden/stale.yaml",
    "golden/kubernetes/a/base/x.yaml",
    "golden/evil/secret.txt",
    "golden/link-file",
    "golden/rel/secret.txt",
    "golden/fifo",
    "golden/dir/deep/file",
    "golden/kubernetes/a/base/old.yaml",
    ".github/workflows/ci.yml",
    ".github/workflows/stale.yml",
];

/// What one run did, for the figures.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub manifest_lines: usize,
    pub manifest_accepted: usize,
    pub manifest_refused: usize,
    pub entries_created: usize,
    pub links_created: usize,
    pub plan_ok: bool,
    pub build_ok: bool,
    pub written: usize,
    pub deleted: usize,
    pub kept: usize,
    pub cleaned: usize,
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<usize> {
        self.take(2)
            .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
    }
}

/// Every entry under `dir`, links as their target text, never followed; `skip` names
/// root-relative prefixes left out (the owned roots).
fn snapshot(dir: &Path, skip: &[&str]) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        let rel = path.strip_prefix(dir).unwrap_or(&path).to_path_buf();
        if skip.iter().any(|s| rel == Path::new(s)) {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let t = meta.file_type();
        let bytes = if t.is_symlink() {
            let target = std::fs::read_link(&path).unwrap_or_default();
            let mut b = b"-> ".to_vec();
            b.extend_from_slice(target.as_os_str().as_bytes());
            b
        } else if t.is_file() {
            std::fs::read(&path).unwrap_or_default()
        } else if t.is_dir() {
            if let Ok(entries) = std::fs::read_dir(&path) {
                stack.extend(entries.flatten().map(|e| e.path()));
            }
            b"<dir>".to_vec()
        } else {
            b"<special>".to_vec()
        };
        out.insert(rel, bytes);
    }
    out
}

/// `name` as a path under an owned root, when it is a plain relative path (the harness
/// creates nothing that could land outside).
fn plain_relative(name: &[u8]) -> Option<PathBuf> {
    if name.is_empty() || name.contains(&0) {
        return None;
    }
    let path = Path::new(OsStr::from_bytes(name));
    path.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then(|| path.to_path_buf())
}

/// Creates the directories on the way to `path` (inside `base`), refusing to pass through a
/// link or a non-directory; `false` when it cannot.
fn make_parents(base: &Path, rel: &Path) -> bool {
    let mut dir = base.to_path_buf();
    let Some(parent) = rel.parent() else {
        return true;
    };
    for part in parent.components() {
        dir.push(part);
        match std::fs::symlink_metadata(&dir) {
            Ok(m) if m.file_type().is_dir() => {}
            Ok(_) => return false,
            Err(_) => {
                if std::fs::create_dir(&dir).is_err() {
                    return false;
                }
            }
        }
    }
    true
}

/// Lexically resolves `target` relative to the directory of `link`; whether it stays
/// inside `top`.
fn lands_inside(top: &Path, link: &Path, target: &Path) -> bool {
    let mut at: Vec<Component> = link.parent().unwrap_or(top).components().collect();
    for c in target.components() {
        match c {
            Component::ParentDir => {
                at.pop();
            }
            Component::Normal(_) => at.push(c),
            _ => return false,
        }
    }
    let resolved: PathBuf = at.iter().collect();
    resolved.starts_with(top)
}

/// Runs one input in a fresh temp dir.
pub fn run(data: &[u8]) -> Outcome {
    let tmp = tempfile::tempdir().expect("temp dir");
    let top = tmp.path().to_path_buf();
    let root = top.join("repo");
    let victim = top.join("victim");
    for dir in [&root, &victim, &root.join("golden")] {
        std::fs::create_dir_all(dir).expect("create dir");
    }
    for rel in ROOT_FILES {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("create dirs");
        std::fs::write(path, VICTIM_TEXT).expect("root file");
    }
    std::fs::write(victim.join("secret.txt"), VICTIM_TEXT).expect("victim file");
    std::fs::create_dir_all(victim.join("kubernetes/a/base")).expect("victim dir");
    std::fs::write(victim.join("kubernetes/a/base/x.yaml"), VICTIM_TEXT).expect("victim file");

    let mut input = Reader(data);
    let flags = input.u8().unwrap_or(0);
    let moved = flags & 1 == 1;
    let mut moves = BTreeMap::new();
    if moved {
        moves.insert("github".to_owned(), PathBuf::from(".github/workflows"));
        std::fs::create_dir_all(root.join(".github/workflows")).expect("create dir");
    }
    let layout = Layout::new("golden", moves).expect("a valid layout");
    let owned: Vec<&str> = if moved {
        vec!["golden", ".github/workflows"]
    } else {
        vec!["golden"]
    };

    let manifest_len = input.u16().unwrap_or(0);
    let manifest = input.take(manifest_len).unwrap_or(input.0);
    let mut outcome = Outcome {
        manifest_lines: manifest.split(|&b| b == b'\n').count(),
        ..Outcome::default()
    };
    std::fs::write(root.join("golden/.infrac-manifest"), manifest).expect("manifest");

    let mut files = FileSet::new();
    let _ = files.insert(OutputFile::new(
        Target::Kubernetes,
        None,
        "kubernetes/a/base/x.yaml",
        "kind: ConfigMap\n",
    ));
    let _ = files.insert(OutputFile::new(
        Target::Ci,
        None,
        "ci/github/ci.yml",
        "name: ci\n",
    ));
    while let Some(kind) = input.u8() {
        let Some(name_len) = input.u8() else { break };
        let Some(name) = input.take(usize::from(name_len)) else {
            break;
        };
        let Some(content_len) = input.u16() else {
            break;
        };
        let Some(content) = input.take(content_len) else {
            break;
        };
        if kind & 7 == 7 {
            let (Ok(path), Ok(text)) = (std::str::from_utf8(name), std::str::from_utf8(content))
            else {
                continue;
            };
            let _ = files.insert(OutputFile::new(Target::Kubernetes, None, path, text));
            continue;
        }
        let base = if kind & 0x80 != 0 && moved {
            root.join(".github/workflows")
        } else {
            root.join("golden")
        };
        let Some(rel) = plain_relative(name) else {
            continue;
        };
        if !make_parents(&base, &rel) {
            continue;
        }
        let path = base.join(&rel);
        let made = match kind & 7 {
            0 => std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .and_then(|mut f| std::io::Write::write_all(&mut f, content))
                .is_ok(),
            1 => std::fs::create_dir(&path).is_ok(),
            6 => {
                let c = std::ffi::CString::new(path.as_os_str().as_bytes()).expect("no NUL");
                // SAFETY: a valid NUL-terminated path.
                unsafe { libc::mkfifo(c.as_ptr(), 0o600) == 0 }
            }
            k => {
                let target = match k {
                    2 => victim.clone(),
                    3 => victim.join("secret.txt"),
                    4 => root.join("registry.yaml"),
                    _ => {
                        let up = content.first().map_or(0, |b| b % 5);
                        let mut t = PathBuf::new();
                        for _ in 0..up {
                            t.push("..");
                        }
                        t.push(if content.len() % 2 == 0 {
                            "victim"
                        } else {
                            "registry.yaml"
                        });
                        if !lands_inside(&top, &path, &t) {
                            continue;
                        }
                        t
                    }
                };
                let ok = std::os::unix::fs::symlink(&target, &path).is_ok();
                outcome.links_created += usize::from(ok);
                ok
            }
        };
        outcome.entries_created += usize::from(made);
    }

    let skip = owned.clone();
    let outside_before = snapshot(&root, &skip);
    let victim_before = snapshot(&victim, &[]);

    // The manifest parser, directly and as the writer reads it.
    let text = String::from_utf8_lossy(manifest);
    match Manifest::parse_owned(&text, |p| {
        (!layout.owns(p)).then(|| "outside the owned roots".to_owned())
    }) {
        Ok(m) => {
            outcome.manifest_accepted = m.len();
            for (path, _) in m.iter() {
                assert!(layout.owns(path), "manifest path {path:?} accepted outside");
                assert!(
                    owned.iter().any(|o| path.starts_with(&format!("{o}/"))),
                    "manifest path {path:?} is not under an owned root"
                );
            }
        }
        Err(errors) => outcome.manifest_refused = errors.len(),
    }
    if let Ok(m) = load_manifest(&root, &layout) {
        for (path, _) in m.iter() {
            assert!(layout.owns(path), "load_manifest accepted {path:?}");
        }
    }

    let filter = PlanFilter::default();
    outcome.plan_ok = plan(&root, &layout, &files, &filter).is_ok();
    assert_eq!(
        snapshot(&root, &skip),
        outside_before,
        "plan changed the repository"
    );

    match write_tree(&root, &layout, &files, None) {
        Ok(report) => {
            outcome.build_ok = true;
            outcome.written = report.written.len();
            outcome.deleted = report.deleted.len();
            outcome.kept = report.kept.len();
            outcome.cleaned = report.cleaned.len();
            for key in report
                .written
                .iter()
                .chain(&report.deleted)
                .chain(&report.cleaned)
            {
                assert!(
                    owned.iter().any(|o| key.starts_with(&format!("{o}/"))),
                    "build touched {key:?}, outside the owned roots"
                );
            }
        }
        Err(_) => outcome.build_ok = false,
    }
    assert_eq!(
        snapshot(&root, &skip),
        outside_before,
        "build changed the repository outside the output"
    );
    assert_eq!(
        snapshot(&victim, &[]),
        victim_before,
        "build changed the victim"
    );
    outcome
}

/// A small deterministic generator (xorshift), so the test's corpus is the same every run.
pub struct Gen(u64);

impl Gen {
    pub fn new(seed: u64) -> Self {
        Gen(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// One generated input: a manifest of hostile and ordinary lines (hashes that match the
/// victim's contents, so a trusted line would delete it), tree entries of every kind under
/// hostile and ordinary names, generated files under odd paths, then a few random byte
/// mutations.
pub fn generate(g: &mut Gen) -> Vec<u8> {
    let victim_hash = hash_hex(VICTIM_TEXT);
    let mut manifest = Vec::new();
    if g.below(3) > 0 {
        manifest.extend_from_slice(
            b"# infrac manifest v1: files generated and owned by infrac; do not edit\n",
        );
    }
    let well_formed = g.below(2) == 0;
    for _ in 0..g.below(12) {
        let path = if well_formed {
            g.pick(&OWNED_PATHS)
        } else {
            g.pick(&HOSTILE_PATHS)
        };
        let hash = match g.below(if well_formed { 2 } else { 4 }) {
            0 => hash_hex(b"kind: ConfigMap\n"),
            1 => victim_hash.clone(),
            2 => "0".repeat(64),
            _ => "zz".to_owned(),
        };
        let sep = if well_formed {
            "  "
        } else {
            ["  ", " ", "\t", "   "][g.below(4)]
        };
        manifest.extend_from_slice(format!("{hash}{sep}{path}").as_bytes());
        manifest.extend_from_slice(if !well_formed && g.below(5) == 0 {
            b"\r\n"
        } else {
            b"\n"
        });
    }
    match if well_formed { 9 } else { g.below(8) } {
        0 => manifest.extend(std::iter::repeat_n(b'a', 20_000 + g.below(40_000))),
        1 => manifest.extend_from_slice(&[0xff, 0xfe, b'\n', 0, b'\n']),
        _ => {}
    }
    manifest.truncate(usize::from(u16::MAX));
    let mut out = vec![g.below(2) as u8];
    out.extend_from_slice(&(manifest.len() as u16).to_le_bytes());
    out.extend_from_slice(&manifest);
    const NAMES: [&str; 16] = [
        "stale.yaml",
        "kubernetes/a/base/old.yaml",
        "dir/deep/file",
        "evil",
        "link-file",
        "rel",
        "kubernetes",
        "kubernetes/a",
        "kubernetes/a/base",
        "kubernetes/a/base/x.yaml",
        ".infrac-tmp-1234",
        ".infrac-lock",
        "fifo",
        "a\nb",
        " a",
        "ci.yml",
    ];
    for _ in 0..g.below(8) {
        // A well-formed manifest mostly over plain files, so builds get to their decision.
        let kind = if well_formed && g.below(4) > 0 {
            if g.below(6) == 0 { 1 } else { 0 }
        } else {
            g.below(8) as u8
        } | if g.below(4) == 0 { 0x80 } else { 0 };
        let name = if kind & 7 == 7 {
            g.pick(&HOSTILE_PATHS)
                .trim_start_matches("golden/")
                .to_owned()
        } else {
            g.pick(&NAMES).to_owned()
        };
        let content: Vec<u8> = match g.below(3) {
            0 => VICTIM_TEXT.to_vec(),
            1 => b"kind: ConfigMap\n".to_vec(),
            _ => (0..g.below(8)).map(|_| g.next() as u8).collect(),
        };
        out.push(kind);
        out.push(name.len().min(255) as u8);
        out.extend_from_slice(&name.as_bytes()[..name.len().min(255)]);
        out.extend_from_slice(&(content.len() as u16).to_le_bytes());
        out.extend_from_slice(&content);
    }
    let mutations = if g.below(3) == 0 { g.below(3) + 1 } else { 0 };
    for _ in 0..mutations {
        if out.is_empty() {
            break;
        }
        let at = g.below(out.len());
        match g.below(3) {
            0 => out[at] ^= 1 << g.below(8),
            1 => out.insert(at, g.next() as u8),
            _ => {
                out.remove(at);
            }
        }
    }
    out
}
