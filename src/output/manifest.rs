//! The manifest `<out>/.infrac-manifest`: every file infrac owns (paths relative to the
//! project root, `/`-separated) with the SHA-256 of the contents it wrote.
//!
//! Format, one line per file after a comment header, sorted by path:
//!
//! ```text
//! # infrac manifest v1: files generated and owned by infrac; do not edit
//! # generator: infrac 0.1.0
//! 9f86d08188…0a08  golden/kubernetes/payment-service/base/deployment.yaml
//! ```
//!
//! The `inputs` line (after the generator's, `# inputs: sha256:<hex>`) is the digest of every
//! input the compile read (`crate::load::digest`); `infrac affected` trusts the tree on disk
//! as the inputs' output only when it matches. It never makes a tree stale: a manifest
//! without it (an older tree) is as valid.
//!
//! The `generator` line records the infrac version that wrote the tree: `infrac check` fails
//! a tree another version generated, since the two may render the same inputs differently.
//!
//! Parsing never panics: a corrupt manifest is a [`ManifestError`] with its line number. A
//! path that could escape the root is corrupt, since the writer deletes what the manifest owns.
//! This module renders and parses text; reading and writing the file is the writer's job.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::layout::is_safe_relative;

const HEADER: &str = "# infrac manifest v1: files generated and owned by infrac; do not edit";
const GENERATOR: &str = "# generator: infrac ";
const INPUTS: &str = "# inputs: ";

/// The version of this infrac, as the manifest records it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A manifest line that cannot be read or trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ManifestError {
    /// 1-based line number.
    pub line: usize,
    /// Byte offset and length of the line in the manifest's text.
    pub offset: usize,
    pub len: usize,
    pub message: String,
}

/// The files infrac owns: root-relative path → lowercase hex SHA-256, and the version of
/// infrac that wrote them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    entries: BTreeMap<String, String>,
    generator: Option<Generator>,
    /// The digest of the inputs the tree was compiled from (`sha256:<hex>`), when recorded.
    inputs: Option<String>,
}

/// The `# generator:` line of a manifest: the version it names and where the line is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generator {
    pub version: String,
    /// Byte offset and length of the version in the manifest's text (0, 0 when rendered here).
    pub offset: usize,
    pub len: usize,
}

impl Default for Manifest {
    fn default() -> Self {
        Self::new()
    }
}

/// The lowercase hex SHA-256 of `bytes`.
pub fn hash_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        out.push(char::from_digit(u32::from(b & 0xf), 16).unwrap_or('0'));
    }
    out
}

impl Manifest {
    /// An empty manifest written by this version of infrac.
    pub fn new() -> Self {
        Self {
            entries: BTreeMap::new(),
            generator: Some(Generator {
                version: VERSION.to_owned(),
                offset: 0,
                len: 0,
            }),
            inputs: None,
        }
    }

    /// Records the digest of the inputs the files were compiled from.
    pub fn set_inputs(&mut self, digest: impl Into<String>) {
        self.inputs = Some(digest.into());
    }

    /// The digest of the inputs the files were compiled from; `None` for a manifest from
    /// before it was recorded.
    pub fn inputs(&self) -> Option<&str> {
        self.inputs.as_deref()
    }

    /// The version of infrac that wrote this manifest; `None` for a manifest from before
    /// versions were recorded.
    pub fn generator(&self) -> Option<&Generator> {
        self.generator.as_ref()
    }

    /// Records `path` with the hash of `contents`.
    pub fn insert(&mut self, path: impl Into<String>, contents: &[u8]) {
        self.entries.insert(path.into(), hash_hex(contents));
    }

    /// Records `path` with an already computed hash.
    pub fn insert_hash(&mut self, path: impl Into<String>, hash: impl Into<String>) {
        self.entries.insert(path.into(), hash.into());
    }

    /// The recorded hash of `path`, if infrac owns it.
    pub fn get(&self, path: &str) -> Option<&str> {
        self.entries.get(path).map(String::as_str)
    }

    pub fn contains(&self, path: &str) -> bool {
        self.entries.contains_key(path)
    }

    /// Every owned path with its hash, sorted by path.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(p, h)| (p.as_str(), h.as_str()))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The manifest's text: deterministic, LF-terminated, sorted by path.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(self.entries.len() * 120 + HEADER.len() + 1);
        out.push_str(HEADER);
        out.push('\n');
        out.push_str(GENERATOR);
        out.push_str(VERSION);
        out.push('\n');
        if let Some(inputs) = &self.inputs {
            out.push_str(INPUTS);
            out.push_str(inputs);
            out.push('\n');
        }
        for (path, hash) in &self.entries {
            out.push_str(hash);
            out.push_str("  ");
            out.push_str(path);
            out.push('\n');
        }
        out
    }

    /// Reads a manifest back. Blank lines and `#` comments are skipped (but for the
    /// `# generator:` line); any other line must be `<64 hex>  <safe relative path>`, and no
    /// path may appear twice. Every bad line is reported.
    pub fn parse(text: &str) -> Result<Self, Vec<ManifestError>> {
        Self::parse_owned(text, |_| None)
    }

    /// [`Manifest::parse`], also refusing each path for which `refuse` gives a reason (a path
    /// outside the roots infrac owns).
    pub fn parse_owned(
        text: &str,
        refuse: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, Vec<ManifestError>> {
        let mut entries = BTreeMap::new();
        let mut generator = None;
        let mut inputs = None;
        let mut errors = Vec::new();
        let mut offset = 0;
        for (index, raw) in text.split_inclusive('\n').enumerate() {
            let start = offset;
            offset += raw.len();
            let content = raw.strip_suffix('\n').unwrap_or(raw);
            let content = content.strip_suffix('\r').unwrap_or(content);
            if let Some(version) = content.strip_prefix(GENERATOR) {
                // The first such line counts; a version is printed back, so it is clipped.
                if generator.is_none() {
                    generator = Some(Generator {
                        version: clip(version.trim()),
                        offset: start + GENERATOR.len(),
                        len: version.len(),
                    });
                }
                continue;
            }
            if let Some(digest) = content.strip_prefix(INPUTS) {
                if inputs.is_none() {
                    inputs = Some(digest.trim().to_owned());
                }
                continue;
            }
            if content.trim().is_empty() || content.starts_with('#') {
                continue;
            }
            // A bad path is underlined alone; a malformed line as a whole.
            let path_at = content.find("  ").map_or(0, |i| i + 2);
            let (message, at, len) = match parse_line(content, &refuse) {
                Ok((hash, path)) => match entries.insert(path.to_owned(), hash) {
                    Some(_) => (
                        format!("`{}` is listed twice", clip(path)),
                        path_at,
                        path.len(),
                    ),
                    None => continue,
                },
                Err((message, true)) => (message, path_at, content.len() - path_at),
                Err((message, false)) => (message, 0, content.len()),
            };
            errors.push(ManifestError {
                line: index + 1,
                offset: start + at,
                len,
                message,
            });
        }
        if errors.is_empty() {
            Ok(Self {
                entries,
                generator,
                inputs,
            })
        } else {
            Err(errors)
        }
    }
}

/// One line's hash and path; an error says whether the path (`true`) or the line is wrong.
fn parse_line<'a>(
    content: &'a str,
    refuse: &impl Fn(&str) -> Option<String>,
) -> Result<(String, &'a str), (String, bool)> {
    let Some((hash, path)) = content.split_once("  ") else {
        let message = format!("expected `<sha256>  <path>`, found `{}`", clip(content));
        return Err((message, false));
    };
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err((
            format!("`{}` is not a SHA-256 hex digest", clip(hash)),
            false,
        ));
    }
    if !is_safe_relative(path) {
        let message = format!(
            "`{}` is not a normalised relative path (no `..`, `.`, empty or absolute segment, no backslash)",
            clip(path)
        );
        return Err((message, true));
    }
    if let Some(reason) = refuse(path) {
        return Err((format!("`{}` {reason}", clip(path)), true));
    }
    Ok((hash.to_ascii_lowercase(), path))
}

fn clip(text: &str) -> String {
    let mut out: String = text.chars().take(80).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_sha256_hex() {
        assert_eq!(
            hash_hex(b"test"),
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
        );
    }

    #[test]
    fn render_then_parse_round_trips_sorted() {
        let mut m = Manifest::new();
        m.insert("golden/b.yaml", b"b");
        m.insert(".github/workflows/a.yml", b"a");
        let text = m.render();
        assert!(text.starts_with("# infrac manifest v1"));
        let lines: Vec<_> = text.lines().skip(1).collect();
        assert_eq!(lines[0], format!("# generator: infrac {VERSION}"));
        let lines = &lines[1..];
        assert!(lines[0].ends_with("  .github/workflows/a.yml"));
        assert!(lines[1].ends_with("  golden/b.yaml"));
        let parsed = Manifest::parse(&text).unwrap();
        assert_eq!(
            parsed.iter().collect::<Vec<_>>(),
            m.iter().collect::<Vec<_>>()
        );
        assert_eq!(
            parsed.generator().map(|g| g.version.as_str()),
            Some(VERSION)
        );
    }

    #[test]
    fn the_generator_line_is_read_with_its_position() {
        let good = hash_hex(b"x");
        let text = format!("{HEADER}\n# generator: infrac 0.0.9\n{good}  a\n");
        let g = Manifest::parse(&text)
            .unwrap()
            .generator()
            .cloned()
            .unwrap();
        assert_eq!(g.version, "0.0.9");
        assert_eq!(&text[g.offset..g.offset + g.len], "0.0.9");
        let old = format!("{HEADER}\n{good}  a\n");
        assert_eq!(Manifest::parse(&old).unwrap().generator(), None);
    }

    #[test]
    fn corrupt_lines_report_their_number() {
        let good = hash_hex(b"x");
        let cases = [
            format!("{HEADER}\nnot a line\n"),
            format!("{HEADER}\n\n{}  a\n", "zz"),
            format!("{HEADER}\n{good}  ../etc/passwd\n"),
            format!("{HEADER}\n{good}  /abs\n"),
            format!("{HEADER}\n{good}  a\n{good}  a\n"),
            format!("{HEADER}\n{}  a\n", "é".repeat(32)),
        ];
        let expected = [2, 3, 2, 2, 3, 2];
        for (text, line) in cases.iter().zip(expected) {
            let errs = Manifest::parse(text).unwrap_err();
            assert_eq!(errs.len(), 1, "{text:?}: {errs:?}");
            assert_eq!(errs[0].line, line, "{text:?}: {}", errs[0]);
        }
    }

    #[test]
    fn every_refused_line_is_reported_with_its_range() {
        let good = hash_hex(b"x");
        let text =
            format!("{HEADER}\n{good}  registry.yaml\n{good}  golden/a\n{good}  .git/config\n");
        let errs = Manifest::parse_owned(&text, |p| {
            (!p.starts_with("golden/")).then(|| "is outside golden".to_owned())
        })
        .unwrap_err();
        let lines: Vec<_> = errs
            .iter()
            .map(|e| (e.line, &text[e.offset..e.offset + e.len]))
            .collect();
        assert_eq!(lines, [(2, "registry.yaml"), (4, ".git/config")]);
        assert_eq!(errs[0].message, "`registry.yaml` is outside golden");
    }

    #[test]
    fn crlf_and_blank_lines_are_tolerated() {
        let good = hash_hex(b"x");
        let m = Manifest::parse(&format!("{HEADER}\r\n\r\n{good}  a/b\r\n")).unwrap();
        assert_eq!(m.get("a/b"), Some(good.as_str()));
    }
}
