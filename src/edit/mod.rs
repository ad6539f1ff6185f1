//! In-place edits of `versions.yaml`: change one service's entry in one environment and
//! keep every other byte (comments, key order, quoting, blank lines) as it was.
//!
//! Works on the text plus its spanned tree; computes the new text and never writes it.

use crate::load::yaml::{Node, Value};
use crate::model::{CanaryVersion, ImageVersion};

/// The entry of `service` in `env`, as written (a plain tag or a map).
pub fn read_entry(versions: &Node, env: &str, service: &str) -> Option<ImageVersion> {
    let entry = versions.get("environments")?.get(env)?.get(service)?;
    match &entry.value {
        Value::Str(tag) => Some(ImageVersion {
            stable: tag.clone(),
            canary: None,
            preview: None,
        }),
        Value::Map(_) => Some(ImageVersion {
            stable: entry.get("stable")?.as_str()?.to_owned(),
            canary: entry.get("canary").and_then(|c| {
                let tag = c.get("tag")?.as_str()?.to_owned();
                let weight = match c.get("weight")?.value {
                    Value::Int(w) => u32::try_from(w).ok()?,
                    _ => return None,
                };
                Some(CanaryVersion { tag, weight })
            }),
            preview: entry
                .get("preview")
                .and_then(Node::as_str)
                .map(str::to_owned),
        }),
        _ => None,
    }
}

/// `text` with the entry of `service` in `env` set to `version` (inserted when absent).
pub fn write_entry(
    text: &str,
    versions: &Node,
    env: &str,
    service: &str,
    version: &ImageVersion,
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

/// A tag, or a flow mapping when a canary or preview is in progress.
fn render(version: &ImageVersion) -> String {
    let stable = scalar(&version.stable);
    match (&version.canary, &version.preview) {
        (None, None) => stable,
        (Some(c), _) => format!(
            "{{stable: {stable}, canary: {{tag: {}, weight: {}}}}}",
            scalar(&c.tag),
            c.weight
        ),
        (None, Some(p)) => format!("{{stable: {stable}, preview: {}}}", scalar(p)),
    }
}

/// A tag as a YAML scalar, quoted when it would otherwise read as a number or a boolean.
fn scalar(tag: &str) -> String {
    match crate::load::yaml::parse(&format!("t: {tag}\n"), 0) {
        Ok(node) if node.get("t").and_then(Node::as_str) == Some(tag) => tag.to_owned(),
        _ => format!("\"{tag}\""),
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

    fn edit(env: &str, svc: &str, v: ImageVersion) -> String {
        let node = parse(TEXT, 0).unwrap();
        write_entry(TEXT, &node, env, svc, &v).unwrap()
    }

    fn tag(s: &str) -> ImageVersion {
        ImageVersion {
            stable: s.into(),
            canary: None,
            preview: None,
        }
    }

    #[test]
    fn replaces_a_plain_tag_keeping_comments() {
        let out = edit(
            "prod",
            "pay",
            ImageVersion {
                stable: "v1.4.0".into(),
                canary: Some(CanaryVersion {
                    tag: "v1.5.0".into(),
                    weight: 10,
                }),
                preview: None,
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
}
