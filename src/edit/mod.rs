//! In-place edits of `versions.yaml`: change one service's entry in one environment and
//! keep every other byte (comments, key order, quoting, blank lines) as it was.
//!
//! Works on the text plus its spanned tree; computes the new text and never writes it.

mod time;
pub use time::epoch_seconds;

use crate::load::yaml::{Node, Value};
use crate::model::{CanaryVersion, Colour, ImageVersion};

/// Where an entry's current state came from, written beside its tags (all optional).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meta {
    /// When the entry was last written, RFC 3339.
    pub deployed: Option<String>,
    /// The commit the stable tag was built from, 7 to 40 hex digits.
    pub commit: Option<String>,
    /// The CI run that last wrote the entry: an id or a URL.
    pub build: Option<String>,
}

/// One service's entry in one environment: its tags and their metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionEntry {
    pub version: ImageVersion,
    pub meta: Meta,
    /// Per-cell pins (`cells: {<cell>: <tag>}`), in the order written.
    pub cells: Vec<(String, String)>,
    /// The one cell the canary runs in (`canary: {…, cell: <cell>}`); `None`: every cell.
    pub canary_cell: Option<String>,
}

impl VersionEntry {
    /// A plain stable tag, no metadata.
    pub fn tag(stable: &str) -> Self {
        Self {
            version: ImageVersion {
                stable: stable.to_owned(),
                canary: None,
                preview: None,
                active: Colour::default(),
                previous: None,
            },
            meta: Meta::default(),
            cells: Vec::new(),
            canary_cell: None,
        }
    }
}

/// The entry of `service` in `env`, as written (a plain tag or a map).
pub fn read_entry(versions: &Node, env: &str, service: &str) -> Option<VersionEntry> {
    let entry = versions.get("environments")?.get(env)?.get(service)?;
    match &entry.value {
        Value::Str(tag) => Some(VersionEntry::tag(tag)),
        Value::Map(_) => {
            let text = |key: &str| entry.get(key).and_then(Node::as_str).map(str::to_owned);
            Some(VersionEntry {
                version: ImageVersion {
                    stable: text("stable")?,
                    canary: entry.get("canary").and_then(|c| {
                        let tag = c.get("tag")?.as_str()?.to_owned();
                        let weight = match c.get("weight")?.value {
                            Value::Int(w) => u32::try_from(w).ok()?,
                            _ => return None,
                        };
                        Some(CanaryVersion { tag, weight })
                    }),
                    preview: text("preview"),
                    active: match entry.get("active").and_then(Node::as_str) {
                        Some("green") => Colour::Green,
                        _ => Colour::Blue,
                    },
                    previous: text("previous"),
                },
                meta: Meta {
                    deployed: text("deployed"),
                    commit: text("commit"),
                    build: text("build"),
                },
                cells: entry
                    .get("cells")
                    .and_then(Node::as_map)
                    .map(|pins| {
                        pins.iter()
                            .filter_map(|(cell, e)| {
                                Some((cell.clone(), e.value.as_str()?.to_owned()))
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                canary_cell: entry
                    .get("canary")
                    .and_then(|c| c.get("cell"))
                    .and_then(Node::as_str)
                    .map(str::to_owned),
            })
        }
        _ => None,
    }
}

/// `text` with the entry of `service` in `env` set to `version` (inserted when absent).
pub fn write_entry(
    text: &str,
    versions: &Node,
    env: &str,
    service: &str,
    version: &VersionEntry,
) -> Result<String, String> {
    let rendered = render(version);
    let environments = versions
        .entry("environments")
        .ok_or("versions.yaml has no `environments:` mapping")?;
    let Some(envs) = environments.value.as_map() else {
        return Err("`environments:` in versions.yaml is not a mapping".into());
    };
    let Some(env_entry) = envs.get(env) else {
        let body = format!("{env}:\n{}{service}: {rendered}", " ".repeat(2));
        return insert_entry(text, &environments.value, &body);
    };
    if env_entry.value.is_null() {
        let start = after_colon(
            text,
            env_entry.key_pos.offset as usize + env_entry.key_pos.len as usize,
        );
        return Ok(splice(
            text,
            start,
            start,
            &format!(" {{{service}: {rendered}}}"),
        ));
    }
    if env_entry.value.as_map().is_none() {
        return Err(format!(
            "`environments.{env}` in versions.yaml is not a mapping"
        ));
    }
    match env_entry.value.entry(service) {
        Some(existing) => {
            let start = after_colon(
                text,
                existing.key_pos.offset as usize + existing.key_pos.len as usize,
            );
            let end = node_end(text, &existing.value);
            Ok(splice(text, start, end, &format!(" {rendered}")))
        }
        None => insert_entry(text, &env_entry.value, &format!("{service}: {rendered}")),
    }
}

/// A tag, or a flow mapping when a canary or preview is in progress or metadata is recorded.
fn render(entry: &VersionEntry) -> String {
    let version = &entry.version;
    let stable = scalar(&version.stable);
    let mut fields = Vec::new();
    if let Some(c) = &version.canary {
        let cell = entry
            .canary_cell
            .as_ref()
            .map(|cell| format!(", cell: {}", scalar(cell)))
            .unwrap_or_default();
        fields.push(format!(
            "canary: {{tag: {}, weight: {}{cell}}}",
            scalar(&c.tag),
            c.weight
        ));
    }
    if let Some(p) = &version.preview {
        fields.push(format!("preview: {}", scalar(p)));
    }
    // Blue is the default colour: an entry that never switched keeps its short form.
    if version.active != Colour::default() {
        fields.push(format!("active: {}", version.active.as_str()));
    }
    if let Some(p) = &version.previous {
        fields.push(format!("previous: {}", scalar(p)));
    }
    if !entry.cells.is_empty() {
        let pins: Vec<String> = entry
            .cells
            .iter()
            .map(|(cell, tag)| format!("{cell}: {}", scalar(tag)))
            .collect();
        fields.push(format!("cells: {{{}}}", pins.join(", ")));
    }
    for (key, value) in [
        ("deployed", &entry.meta.deployed),
        ("commit", &entry.meta.commit),
        ("build", &entry.meta.build),
    ] {
        if let Some(v) = value {
            fields.push(format!("{key}: {}", scalar(v)));
        }
    }
    if fields.is_empty() {
        return stable;
    }
    format!("{{stable: {stable}, {}}}", fields.join(", "))
}

/// A value as a YAML scalar inside a flow mapping, double-quoted when plain it would read as
/// something else (a number, a boolean, a URL with `, ` or `: ` in it), here or in a YAML 1.1
/// reader such as a CI script's (`0123456` is octal there, `on` a boolean).
fn scalar(value: &str) -> String {
    let yaml11 = value
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'_')
        || ["y", "n", "yes", "no", "on", "off"].contains(&value.to_ascii_lowercase().as_str());
    match crate::load::yaml::parse(&format!("t: {{k: {value}}}\n"), 0) {
        Ok(node)
            if !yaml11
                && node
                    .get("t")
                    .and_then(|t| t.get("k"))
                    .and_then(Node::as_str)
                    == Some(value)
                && node
                    .get("t")
                    .and_then(Node::as_map)
                    .is_some_and(|m| m.len() == 1) =>
        {
            value.to_owned()
        }
        _ => format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\"")),
    }
}

/// Adds `body` (one `key: value`, possibly multi-line with relative indentation) as the last
/// entry of the mapping `map`, in its style.
fn insert_entry(text: &str, map: &Node, body: &str) -> Result<String, String> {
    let start = map.pos.offset as usize;
    if text[start..].starts_with('{') {
        let close = node_end(text, map) - 1;
        let inner = text[start + 1..close].trim();
        let flat = body
            .replace('\n', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let flat = flat.replacen(": ", ": {", usize::from(body.contains('\n')))
            + if body.contains('\n') { "}" } else { "" };
        let sep = if inner.is_empty() { "" } else { ", " };
        return Ok(splice(text, close, close, &format!("{sep}{flat}")));
    }
    let map_entries = map.as_map().ok_or("not a mapping")?;
    let (_, last) = map_entries.last().ok_or("empty mapping")?;
    let first = map_entries.values().next().expect("non-empty");
    let indent = " ".repeat(first.key_pos.column.saturating_sub(1) as usize);
    let end = node_end(text, &last.value);
    let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i + 1);
    let mut insertion = String::new();
    if line_end == text.len() && !text.ends_with('\n') {
        insertion.push('\n');
    }
    for line in body.lines() {
        insertion.push_str(&indent);
        insertion.push_str(line);
        insertion.push('\n');
    }
    Ok(splice(text, line_end, line_end, &insertion))
}

/// `--commit`: a git commit id, 7 to 40 lowercase hex digits.
pub fn parse_commit(value: &str) -> Result<String, String> {
    if is_commit(value) {
        Ok(value.to_owned())
    } else {
        Err("expected a git commit id, 7 to 40 hex digits (`a1b2c3d`)".into())
    }
}

/// Whether `value` is a commit id as versions.yaml records it.
pub fn is_commit(value: &str) -> bool {
    (7..=40).contains(&value.len())
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `--build`: a CI build id or URL, one line of printable ASCII (at most 512 bytes).
pub fn parse_build(value: &str) -> Result<String, String> {
    if is_build(value) {
        Ok(value.to_owned())
    } else {
        Err(
            "expected a CI build id or URL: printable ASCII without spaces, at most 512 bytes"
                .into(),
        )
    }
}

/// Whether `value` is a build id as versions.yaml records it.
pub fn is_build(value: &str) -> bool {
    !value.is_empty() && value.len() <= 512 && value.bytes().all(|b| b.is_ascii_graphic())
}

/// `--deployed`: an RFC 3339 date-time (`2025-11-03T10:15:44Z`, offsets and fractions allowed).
pub fn parse_deployed(value: &str) -> Result<String, String> {
    if is_rfc3339(value) {
        Ok(value.to_owned())
    } else {
        Err("expected an RFC 3339 time such as `2025-11-03T10:15:44Z`".into())
    }
}

/// Whether `value` is an RFC 3339 `date-time` (section 5.6), with `T` and an upper-case `Z`
/// as versions.yaml writes them: <https://www.rfc-editor.org/rfc/rfc3339#section-5.6>.
pub fn is_rfc3339(value: &str) -> bool {
    let b = value.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let num = |r: std::ops::Range<usize>| value[r].parse::<u32>().unwrap_or(99);
    if b.len() < 20
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
        || b[10] != b'T'
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
        || b[16] != b':'
        || !digits(17..19)
    {
        return false;
    }
    if !(1..=12).contains(&num(5..7))
        || !(1..=31).contains(&num(8..10))
        || num(11..13) > 23
        || num(14..16) > 59
        || num(17..19) > 60
    {
        return false;
    }
    let mut rest = &value[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    match rest.as_bytes() {
        [b'Z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit())
                && rest[1..3].parse::<u32>().is_ok_and(|h| h < 24)
                && rest[4..6].parse::<u32>().is_ok_and(|m| m < 60)
        }
        _ => false,
    }
}

/// Now, in UTC, to the second: `2025-11-03T10:15:44Z`.
pub fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    utc(secs)
}

/// Seconds since the Unix epoch as an RFC 3339 UTC time (days to civil date after Howard
/// Hinnant's `civil_from_days`: <https://howardhinnant.github.io/date_algorithms.html>).
/// An RFC 3339 UTC time of seconds since the epoch (before 1970: the epoch).
pub fn epoch_to_utc(secs: i64) -> String {
    utc(u64::try_from(secs).unwrap_or(0))
}

fn utc(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn splice(text: &str, start: usize, end: usize, with: &str) -> String {
    format!("{}{with}{}", &text[..start], &text[end..])
}

/// The byte after the `:` that follows a key ending at `key_end`.
fn after_colon(text: &str, key_end: usize) -> usize {
    text[key_end..]
        .find(':')
        .map_or(key_end, |i| key_end + i + 1)
}

/// The byte just past a node's text: a scalar's span, a flow collection's closing bracket,
/// a block collection's last descendant.
pub fn node_end(text: &str, node: &Node) -> usize {
    let start = node.pos.offset as usize;
    let rest = &text[start.min(text.len())..];
    match &node.value {
        Value::Map(_) | Value::Seq(_) if rest.starts_with('{') || rest.starts_with('[') => {
            matching_bracket(text, start)
        }
        Value::Map(m) => m
            .values()
            .last()
            .map_or(start, |e| node_end(text, &e.value)),
        Value::Seq(items) => items.last().map_or(start, |i| node_end(text, i)),
        _ => start + node.pos.len as usize,
    }
}

fn matching_bracket(text: &str, start: usize) -> usize {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            quote @ (b'"' | b'\'') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    if quote == b'"' && bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::yaml::parse;

    const TEXT: &str = "# tags\napiVersion: infrac.dev/v1\nkind: Versions\nenvironments:\n  dev: {a: main-a1b2c3d-20250101000000}  # dev\n  prod:\n    # the payment canary\n    pay: v1.4.0   # stable\n    q:\n      stable: v1.0.0\n\n# end\n";

    fn edit(env: &str, svc: &str, v: VersionEntry) -> String {
        let node = parse(TEXT, 0).unwrap();
        write_entry(TEXT, &node, env, svc, &v).unwrap()
    }

    fn tag(s: &str) -> VersionEntry {
        VersionEntry::tag(s)
    }

    /// Per-cell pins are read and written back, so no other edit of the entry drops them.
    #[test]
    fn cell_pins_round_trip() {
        let entry = VersionEntry {
            cells: vec![
                ("za-north-1".into(), "v1.5.0".into()),
                ("b".into(), "1.0".into()),
            ],
            ..tag("v1.4.0")
        };
        let out = edit("prod", "pay", entry.clone());
        assert_eq!(
            out,
            TEXT.replace(
                "pay: v1.4.0",
                "pay: {stable: v1.4.0, cells: {za-north-1: v1.5.0, b: \"1.0\"}}"
            )
        );
        let node = parse(&out, 0).unwrap();
        assert_eq!(read_entry(&node, "prod", "pay"), Some(entry));
    }

    /// A canary of one cell keeps its cell through a read and a write.
    #[test]
    fn a_cell_canary_round_trips() {
        let mut entry = tag("v1.4.0");
        entry.version.canary = Some(CanaryVersion {
            tag: "v1.5.0".into(),
            weight: 10,
        });
        entry.canary_cell = Some("za-north-1".into());
        let out = edit("prod", "pay", entry.clone());
        assert_eq!(
            out,
            TEXT.replace(
                "pay: v1.4.0",
                "pay: {stable: v1.4.0, canary: {tag: v1.5.0, weight: 10, cell: za-north-1}}"
            )
        );
        let node = parse(&out, 0).unwrap();
        assert_eq!(read_entry(&node, "prod", "pay"), Some(entry));
    }

    #[test]
    fn replaces_a_plain_tag_keeping_comments() {
        let out = edit(
            "prod",
            "pay",
            VersionEntry {
                version: ImageVersion {
                    stable: "v1.4.0".into(),
                    canary: Some(CanaryVersion {
                        tag: "v1.5.0".into(),
                        weight: 10,
                    }),
                    preview: None,
                    active: Colour::Blue,
                    previous: None,
                },
                meta: Meta::default(),
                cells: Vec::new(),
                canary_cell: None,
            },
        );
        assert_eq!(
            out,
            TEXT.replace(
                "pay: v1.4.0",
                "pay: {stable: v1.4.0, canary: {tag: v1.5.0, weight: 10}}"
            )
        );
        let node = parse(&out, 0).unwrap();
        let back = write_entry(&out, &node, "prod", "pay", &tag("v1.5.0")).unwrap();
        assert_eq!(back, TEXT.replace("pay: v1.4.0", "pay: v1.5.0"));
    }

    #[test]
    fn replaces_a_block_map_and_inserts() {
        let out = edit("prod", "q", tag("v2.0.0"));
        assert!(out.contains("    q: v2.0.0\n\n# end\n"), "{out}");
        let out = edit("prod", "new", tag("v3.0.0"));
        assert!(
            out.contains("      stable: v1.0.0\n    new: v3.0.0\n\n# end"),
            "{out}"
        );
        let out = edit("dev", "b", tag("x"));
        assert!(
            out.contains("dev: {a: main-a1b2c3d-20250101000000, b: x}  # dev"),
            "{out}"
        );
        let out = edit("staging", "a", tag("staging-1.0.0"));
        assert!(
            out.contains("      stable: v1.0.0\n  staging:\n    a: staging-1.0.0\n"),
            "{out}"
        );
        let out = edit("dev", "c", tag("1.0"));
        assert!(out.contains("c: \"1.0\"}"), "{out}");
    }

    #[test]
    fn metadata_round_trips_and_quotes_what_needs_it() {
        let entry = VersionEntry {
            meta: Meta {
                deployed: Some("2025-11-03T10:15:44Z".into()),
                commit: Some("0123456".into()),
                build: Some("https://ci.example.com/run?id=1,2".into()),
            },
            ..tag("v2.0.0")
        };
        let out = edit("prod", "pay", entry.clone());
        assert_eq!(
            out,
            TEXT.replace(
                "pay: v1.4.0",
                "pay: {stable: v2.0.0, deployed: 2025-11-03T10:15:44Z, commit: \"0123456\", build: \"https://ci.example.com/run?id=1,2\"}"
            )
        );
        let node = parse(&out, 0).unwrap();
        assert_eq!(read_entry(&node, "prod", "pay"), Some(entry));
    }

    #[test]
    fn provenance_values() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(1_762_164_944), "2025-11-03T10:15:44Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        for ok in [
            "2025-11-03T10:15:44Z",
            "2025-11-03T10:15:44.123Z",
            "2025-11-03T12:15:44+02:00",
        ] {
            assert!(is_rfc3339(ok), "{ok}");
        }
        for bad in [
            "2025-11-03",
            "2025-11-03 10:15:44Z",
            "2025-13-03T10:15:44Z",
            "2025-11-03T10:15:44",
            "2025-11-03T10:15:44.Z",
            "2025-11-03T10:15:44+2:00",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
        assert!(is_commit("a1b2c3d") && is_commit(&"f".repeat(40)));
        assert!(!is_commit("a1b2c3") && !is_commit("A1B2C3D") && !is_commit(&"f".repeat(41)));
        assert!(is_build("12345") && !is_build("a b") && !is_build(""));
    }
}
