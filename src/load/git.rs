//! Reading files as committed at a git revision, straight from the object store: one
//! `git ls-tree` for the listing and one `git cat-file --batch` process for every blob.
//! Nothing is checked out, no worktree is made and no temporary file is left.
//!
//! The committed tree is input like any other, and hostile: only regular files (blob mode
//! `100644` or `100755`) are read; a symlink (`120000`) or a submodule (`160000`) under a
//! requested path is refused, as is a path that is absolute, has an empty, `.` or `..`
//! segment, or a blob larger than [`MAX_BLOB_BYTES`] (and more than [`MAX_TOTAL_BYTES`] in all).
//! Modes and the `--batch` output format: <https://git-scm.com/docs/git-ls-tree#_output_format>,
//! <https://git-scm.com/docs/git-cat-file#_batch_output>.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

/// Larger blobs are refused (the same cap as an input file on disk).
pub const MAX_BLOB_BYTES: u64 = super::MAX_FILE_BYTES;
/// Larger trees are refused: a 1,000-service golden tree is well under 100 MiB.
pub const MAX_TOTAL_BYTES: u64 = 1024 * 1024 * 1024;

/// Files at a revision, by path relative to the directory git ran in (`/`-separated).
pub type Tree = BTreeMap<String, Vec<u8>>;

/// Why a revision's files could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GitError {
    #[error("cannot run git: {0}")]
    NoGit(String),
    #[error("`{root}` is not inside a git repository; `--base` reads the base from git")]
    NotARepository { root: String },
    #[error("`{rev}` is not a git revision name (it may not start with `-`)")]
    BadRevision { rev: String },
    #[error(
        "the revision `{rev}` is not in this clone, which is shallow: fetch it first \
         (`git fetch --deepen=50`, or `git fetch origin <branch>` for a base branch), then run again"
    )]
    MissingInShallowClone { rev: String },
    #[error(
        "the revision `{rev}` is not in this repository: check its name, or fetch it (`git fetch origin <branch>`)"
    )]
    UnknownRevision { rev: String },
    #[error("`{path}` at `{rev}` is {what}; infrac reads only regular files from git")]
    NotAFile {
        rev: String,
        path: String,
        what: &'static str,
    },
    #[error("`{path}` at `{rev}` is not a safe relative path")]
    UnsafePath { rev: String, path: String },
    #[error("`{path}` at `{rev}` is {size} bytes; infrac reads files of at most {limit} bytes")]
    TooLarge {
        rev: String,
        path: String,
        size: u64,
        limit: u64,
    },
    #[error("git {command} failed: {message}")]
    Failed {
        command: &'static str,
        message: String,
    },
}

/// A git command in `root`, with the user's and system's configuration kept out of the way
/// where it could change what is printed.
fn git(root: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.arg("-C")
        .arg(root)
        .args(["-c", "core.quotePath=false"])
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C");
    cmd
}

/// Runs git; whether it succeeded and its stdout.
fn run(root: &Path, args: &[&str]) -> Result<(bool, Vec<u8>), GitError> {
    let out = git(root)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| GitError::NoGit(e.to_string()))?;
    Ok((out.status.success(), out.stdout))
}

/// The commit `rev` names, or why there is none.
pub fn resolve(root: &Path, rev: &str) -> Result<String, GitError> {
    if rev.is_empty() || rev.starts_with('-') || rev.contains('\0') {
        return Err(GitError::BadRevision { rev: rev.into() });
    }
    let (inside, _) = run(root, &["rev-parse", "--show-toplevel"])?;
    if !inside {
        return Err(GitError::NotARepository {
            root: root.display().to_string(),
        });
    }
    let spec = format!("{rev}^{{commit}}");
    let (ok, out) = run(
        root,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &spec,
        ],
    )?;
    if ok {
        return Ok(String::from_utf8_lossy(&out).trim().to_owned());
    }
    let (_, shallow) = run(root, &["rev-parse", "--is-shallow-repository"])?;
    if String::from_utf8_lossy(&shallow).trim() == "true" {
        Err(GitError::MissingInShallowClone { rev: rev.into() })
    } else {
        Err(GitError::UnknownRevision { rev: rev.into() })
    }
}

/// The message of commit `rev` (for `Infrac-Allow:` trailers).
pub fn commit_message(root: &Path, rev: &str) -> Result<String, GitError> {
    let commit = resolve(root, rev)?;
    let (ok, out) = run(root, &["cat-file", "commit", &commit])?;
    if !ok {
        return Err(GitError::Failed {
            command: "cat-file commit",
            message: format!("cannot read commit {commit}"),
        });
    }
    let text = String::from_utf8_lossy(&out);
    Ok(text
        .split_once("\n\n")
        .map_or(String::new(), |(_, m)| m.to_owned()))
}

/// How many parents commit `rev` has.
pub fn parent_count(root: &Path, rev: &str) -> Result<usize, GitError> {
    let commit = resolve(root, rev)?;
    let (_, out) = run(root, &["cat-file", "commit", &commit])?;
    let text = String::from_utf8_lossy(&out);
    let header = text.split("\n\n").next().unwrap_or("");
    Ok(header.lines().filter(|l| l.starts_with("parent ")).count())
}

/// One entry of `git ls-tree -r -z --long`.
struct Entry {
    mode: String,
    kind: String,
    object: String,
    size: Option<u64>,
    path: String,
}

fn parse_entry(raw: &[u8]) -> Option<Entry> {
    let text = std::str::from_utf8(raw).ok()?;
    let (meta, path) = text.split_once('\t')?;
    let mut parts = meta.split_whitespace();
    let mode = parts.next()?.to_owned();
    let kind = parts.next()?.to_owned();
    let object = parts.next()?.to_owned();
    let size = parts.next().and_then(|s| s.parse().ok());
    Some(Entry {
        mode,
        kind,
        object,
        size,
        path: path.to_owned(),
    })
}

fn check_entry(rev: &str, e: &Entry) -> Result<(), GitError> {
    let not_a_file = |what| GitError::NotAFile {
        rev: rev.into(),
        path: e.path.clone(),
        what,
    };
    match (e.mode.as_str(), e.kind.as_str()) {
        ("100644" | "100755", "blob") => {}
        ("120000", _) => return Err(not_a_file("a symbolic link")),
        ("160000", _) | (_, "commit") => return Err(not_a_file("a submodule")),
        _ => return Err(not_a_file("not a regular file")),
    }
    if e.path.starts_with('/') || !crate::output::layout::is_safe_relative(&e.path) {
        return Err(GitError::UnsafePath {
            rev: rev.into(),
            path: e.path.clone(),
        });
    }
    let size = e.size.unwrap_or(u64::MAX);
    if size > MAX_BLOB_BYTES {
        return Err(GitError::TooLarge {
            rev: rev.into(),
            path: e.path.clone(),
            size,
            limit: MAX_BLOB_BYTES,
        });
    }
    Ok(())
}

/// Every regular file under `paths` (files or directories, relative to `root`) as committed
/// at `rev`, by path relative to `root`. A path missing at `rev` is simply absent.
pub fn read_tree(root: &Path, rev: &str, paths: &[&str]) -> Result<Tree, GitError> {
    let entries = list(root, rev, paths)?;
    let blobs = cat_blobs(root, &entries)?;
    Ok(entries.into_iter().map(|e| e.path).zip(blobs).collect())
}

/// Files at a revision, by path: the bytes of each, or `None` for one whose blob is the very
/// bytes the caller already has (see [`read_tree_except`]).
pub type SparseTree = BTreeMap<String, Option<Vec<u8>>>;

/// [`read_tree`], except that a file whose blob id equals the id of the bytes `known` gives
/// for its path is listed as `None` and never read: equal ids mean equal bytes, so this is
/// exact (nothing on disk is trusted). The ids of `known`'s bytes are computed in parallel, in
/// the repository's object format (SHA-1, or SHA-256 under `extensions.objectFormat`, told
/// apart by the length of the ids `ls-tree` prints).
pub fn read_tree_except<'k>(
    root: &Path,
    rev: &str,
    paths: &[&str],
    known: impl Fn(&str) -> Option<&'k [u8]> + Sync,
) -> Result<SparseTree, GitError> {
    use rayon::prelude::*;
    let entries = list(root, rev, paths)?;
    let same: Vec<bool> = entries
        .par_iter()
        .map(|e| {
            known(&e.path).is_some_and(|bytes| {
                e.size == Some(bytes.len() as u64)
                    && blob_id(bytes, e.object.len()).is_some_and(|id| id == e.object)
            })
        })
        .collect();
    let (skipped, wanted): (Vec<_>, Vec<_>) =
        entries.into_iter().zip(same).partition(|(_, same)| *same);
    let wanted: Vec<Entry> = wanted.into_iter().map(|(e, _)| e).collect();
    let blobs = cat_blobs(root, &wanted)?;
    let mut tree: SparseTree = skipped.into_iter().map(|(e, _)| (e.path, None)).collect();
    tree.extend(
        wanted
            .into_iter()
            .map(|e| e.path)
            .zip(blobs.into_iter().map(Some)),
    );
    Ok(tree)
}

/// The git object id of a blob holding `bytes`, as `hex_len` lowercase hex digits: the SHA-1
/// (40) or SHA-256 (64) of `blob <length>\0<bytes>`
/// (<https://git-scm.com/book/en/v2/Git-Internals-Git-Objects#_object_storage>,
/// <https://git-scm.com/docs/hash-function-transition>); `None` for any other length.
pub fn blob_id(bytes: &[u8], hex_len: usize) -> Option<String> {
    fn hashed<D: sha2::Digest>(bytes: &[u8]) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut d = D::new();
        d.update(format!("blob {}\0", bytes.len()).as_bytes());
        d.update(bytes);
        let digest = d.finalize();
        let mut hex = String::with_capacity(2 * digest.len());
        for b in digest.iter() {
            hex.push(char::from(HEX[usize::from(b >> 4)]));
            hex.push(char::from(HEX[usize::from(b & 0xf)]));
        }
        hex
    }
    match hex_len {
        40 => Some(hashed::<sha1::Sha1>(bytes)),
        64 => Some(hashed::<sha2::Sha256>(bytes)),
        _ => None,
    }
}

/// The checked entries of `git ls-tree` for `paths` at `rev`.
fn list(root: &Path, rev: &str, paths: &[&str]) -> Result<Vec<Entry>, GitError> {
    let commit = resolve(root, rev)?;
    for p in paths {
        if !crate::output::layout::is_safe_relative(p) {
            return Err(GitError::UnsafePath {
                rev: rev.into(),
                path: (*p).to_owned(),
            });
        }
    }
    let mut args = vec!["ls-tree", "-r", "-z", "--long", commit.as_str(), "--"];
    args.extend_from_slice(paths);
    let (ok, listing) = run(root, &args)?;
    if !ok {
        return Err(GitError::Failed {
            command: "ls-tree",
            message: format!("cannot list {commit}"),
        });
    }
    let mut entries = Vec::new();
    let mut total = 0u64;
    for raw in listing.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        let entry = parse_entry(raw).ok_or_else(|| GitError::Failed {
            command: "ls-tree",
            message: format!("unexpected output `{}`", String::from_utf8_lossy(raw)),
        })?;
        check_entry(rev, &entry)?;
        total += entry.size.unwrap_or(0);
        if total > MAX_TOTAL_BYTES {
            return Err(GitError::TooLarge {
                rev: rev.into(),
                path: paths.join(", "),
                size: total,
                limit: MAX_TOTAL_BYTES,
            });
        }
        entries.push(entry);
    }
    Ok(entries)
}

/// The contents of every entry's blob, in order, from one `git cat-file --batch`.
fn cat_blobs(root: &Path, entries: &[Entry]) -> Result<Vec<Vec<u8>>, GitError> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let failed = |message: String| GitError::Failed {
        command: "cat-file --batch",
        message,
    };
    let mut child = git(root)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| GitError::NoGit(e.to_string()))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| failed("no stdin".into()))?;
    let request: String = entries.iter().map(|e| format!("{}\n", e.object)).collect();
    // Written from another thread: git answers while it reads, and a full pipe either way
    // would otherwise block both sides.
    let writer = std::thread::spawn(move || {
        let result = stdin.write_all(request.as_bytes());
        drop(stdin);
        result
    });
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| failed("no stdout".into()))?;
    let mut reader = BufReader::new(stdout);
    let mut blobs = Vec::with_capacity(entries.len());
    let mut result = Ok(());
    for entry in entries {
        match read_one(&mut reader, entry) {
            Ok(blob) => blobs.push(blob),
            Err(message) => {
                result = Err(failed(message));
                break;
            }
        }
    }
    drop(reader);
    let _ = writer.join();
    let _ = child.wait();
    result.map(|()| blobs)
}

fn read_one(reader: &mut impl BufRead, entry: &Entry) -> Result<Vec<u8>, String> {
    let mut header = String::new();
    reader
        .read_line(&mut header)
        .map_err(|e| format!("reading the header for {}: {e}", entry.path))?;
    let mut parts = header.split_whitespace();
    let (object, kind, size) = (parts.next(), parts.next(), parts.next());
    if object != Some(entry.object.as_str()) || kind != Some("blob") {
        return Err(format!(
            "unexpected answer `{}` for {}",
            header.trim(),
            entry.path
        ));
    }
    let size: u64 = size
        .and_then(|s| s.parse().ok())
        .filter(|s| *s <= MAX_BLOB_BYTES)
        .ok_or_else(|| format!("bad size in `{}`", header.trim()))?;
    let mut blob = vec![0; size as usize];
    reader
        .read_exact(&mut blob)
        .map_err(|e| format!("reading {}: {e}", entry.path))?;
    let mut newline = [0u8; 1];
    reader
        .read_exact(&mut newline)
        .map_err(|e| format!("reading {}: {e}", entry.path))?;
    Ok(blob)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(dir: &Path, args: &[&str]) {
        let status = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }

    fn repo() -> tempfile::TempDir {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        sh(d, &["init", "-q", "-b", "main"]);
        std::fs::create_dir_all(d.join("sub/golden/a")).unwrap();
        std::fs::write(d.join("sub/golden/a/x.yaml"), "x: 1\n").unwrap();
        std::fs::write(d.join("sub/golden/b.tf"), "").unwrap();
        std::fs::write(d.join("sub/registry.yaml"), "r: 1\n").unwrap();
        sh(d, &["add", "-A"]);
        sh(d, &["commit", "-q", "-m", "base"]);
        tmp
    }

    #[test]
    fn reads_a_subdirectory_relative_to_the_root() {
        let tmp = repo();
        let tree = read_tree(&tmp.path().join("sub"), "HEAD", &["golden"]).unwrap();
        let got: Vec<_> = tree
            .iter()
            .map(|(k, v)| (k.as_str(), String::from_utf8_lossy(v).into_owned()))
            .collect();
        assert_eq!(
            got,
            [
                ("golden/a/x.yaml", "x: 1\n".into()),
                ("golden/b.tf", String::new())
            ]
        );
        let none = read_tree(&tmp.path().join("sub"), "HEAD", &["nothing"]).unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn refuses_symlinks_bad_revisions_and_unknown_ones() {
        let tmp = repo();
        let d = tmp.path();
        std::os::unix::fs::symlink("/etc/passwd", d.join("sub/golden/link")).unwrap();
        sh(d, &["add", "-A"]);
        sh(d, &["commit", "-q", "-m", "link"]);
        let err = read_tree(&d.join("sub"), "HEAD", &["golden"]).unwrap_err();
        assert!(
            matches!(
                err,
                GitError::NotAFile {
                    what: "a symbolic link",
                    ..
                }
            ),
            "{err}"
        );
        let err = read_tree(d, "--output=x", &["golden"]).unwrap_err();
        assert!(matches!(err, GitError::BadRevision { .. }), "{err}");
        let err = read_tree(d, "no-such-branch", &["golden"]).unwrap_err();
        assert!(matches!(err, GitError::UnknownRevision { .. }), "{err}");
        let err = read_tree(d, "HEAD", &["../x"]).unwrap_err();
        assert!(matches!(err, GitError::UnsafePath { .. }), "{err}");
    }

    #[test]
    fn blob_ids_are_gits_own_in_both_object_formats() {
        // `printf 'x: 1\n' | git hash-object --stdin`, in a SHA-1 and a SHA-256 repository.
        assert_eq!(
            blob_id(b"x: 1\n", 40).as_deref(),
            Some("d508cf756344aaf9123c531122a9d2d410c4ecfa")
        );
        assert_eq!(
            blob_id(b"x: 1\n", 64).as_deref(),
            Some("559e9e66259fced4396dfc6fdc3bc188d6f3c82ced8851c42eaa9325862da69c")
        );
        assert_eq!(
            blob_id(b"", 40).as_deref(),
            Some("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391")
        );
        assert_eq!(blob_id(b"x", 41), None);
    }

    /// What `read_tree_except` gives for `sub/golden` when the caller has `x: 1` for
    /// `a/x.yaml` and `theirs` for `b.tf`, as (path, bytes or "(same)").
    fn except(root: &Path, theirs: &'static [u8]) -> Vec<(String, String)> {
        let known = |path: &str| match path {
            "golden/a/x.yaml" => Some(&b"x: 1\n"[..]),
            "golden/b.tf" => Some(theirs),
            _ => None,
        };
        read_tree_except(root, "HEAD", &["golden"], known)
            .unwrap()
            .into_iter()
            .map(|(k, v)| {
                let v = v.map_or("(same)".to_owned(), |b| String::from_utf8_lossy(&b).into());
                (k, v)
            })
            .collect()
    }

    #[test]
    fn a_blob_equal_to_the_callers_bytes_is_listed_but_not_read() {
        let tmp = repo();
        let sub = tmp.path().join("sub");
        std::fs::write(sub.join("golden/c.yaml"), "c: 3\n").unwrap();
        std::fs::write(sub.join("golden/b.tf"), "b = 1\n").unwrap();
        sh(tmp.path(), &["add", "-A"]);
        sh(tmp.path(), &["commit", "-q", "-m", "more"]);
        let row = |p: &str, v: &str| (p.to_owned(), v.to_owned());
        // Same bytes: not read. Same length, other bytes: read. Unknown to the caller: read.
        assert_eq!(
            except(&sub, b"b = 2\n"),
            [
                row("golden/a/x.yaml", "(same)"),
                row("golden/b.tf", "b = 1\n"),
                row("golden/c.yaml", "c: 3\n"),
            ]
        );
        assert_eq!(except(&sub, b"b = 1\n")[1], row("golden/b.tf", "(same)"));
        // Another length: read without hashing.
        assert_eq!(except(&sub, b"b = 10\n")[1], row("golden/b.tf", "b = 1\n"));
    }

    #[test]
    fn a_sha256_repository_is_compared_by_its_own_ids() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        sh(d, &["init", "-q", "--object-format=sha256", "-b", "main"]);
        std::fs::create_dir_all(d.join("sub/golden/a")).unwrap();
        std::fs::write(d.join("sub/golden/a/x.yaml"), "x: 1\n").unwrap();
        std::fs::write(d.join("sub/golden/b.tf"), "b = 1\n").unwrap();
        sh(d, &["add", "-A"]);
        sh(d, &["commit", "-q", "-m", "base"]);
        let got = except(&d.join("sub"), b"b = 2\n");
        let row = |p: &str, v: &str| (p.to_owned(), v.to_owned());
        assert_eq!(
            got,
            [
                row("golden/a/x.yaml", "(same)"),
                row("golden/b.tf", "b = 1\n")
            ]
        );
    }

    #[test]
    fn outside_a_repository_is_a_clear_error() {
        let tmp = tempfile::tempdir().unwrap();
        let err = read_tree(tmp.path(), "HEAD", &["golden"]).unwrap_err();
        assert!(matches!(err, GitError::NotARepository { .. }), "{err}");
    }
}
