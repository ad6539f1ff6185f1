//! Validation: each file against its own JSON Schema as written ([`schema`]), then the
//! semantic rules over the typed, spanned spec of the merged trees ([`rules`]). Every
//! problem is reported; nothing here stops at the first.

pub mod rules;
pub mod schema;

use crate::diagnostic::{Code, Diagnostic};
use crate::load::yaml::Node;
use schema::SchemaKind;

/// Checks `apiVersion`/`kind`, then the schema. A file of the wrong kind gets one
/// diagnostic and no schema errors (they would all be noise).
pub fn validate_file(kind: SchemaKind, rel: &str, node: &Node) -> Vec<Diagnostic> {
    if node.as_map().is_none() {
        return vec![
            Diagnostic::error(
                Code::Schema,
                node.pos,
                format!("`{rel}` must be a mapping, not a {}", node.type_name()),
            )
            .with_help(format!(
                "start the file with `apiVersion: infrac.dev/v1` and `kind: {}`",
                kind.kind_name()
            )),
        ];
    }
    match node.get("kind").and_then(Node::as_str) {
        Some(found) if found != kind.kind_name() => {
            let pos = node.get("kind").map_or(node.pos, |k| k.pos);
            return vec![
                Diagnostic::error(Code::WrongKind, pos, format!("`{rel}` declares `kind: {found}`, but this place holds {}", article(kind.kind_name())))
                    .with_label(format!("expected `{}`", kind.kind_name()))
                    .with_help(format!("registry.yaml is a Registry, environments/*.yaml are Environments, versions.yaml is Versions; use `kind: {}` or move the file", kind.kind_name())),
            ];
        }
        _ => {}
    }
    schema::validate_schema(kind, node)
}

fn article(kind: &str) -> String {
    match kind.chars().next() {
        Some('A' | 'E' | 'I' | 'O' | 'U') => format!("an {kind}"),
        _ => format!("a {kind}"),
    }
}

/// Drops a schema diagnostic where a semantic rule reports the same place: the rule's
/// message and help say more.
pub fn prefer_specific(diags: &mut Vec<Diagnostic>) {
    let specific: std::collections::BTreeSet<(u32, u32, u32)> = diags
        .iter()
        .filter(|d| d.code != Code::Schema)
        .map(|d| (d.pos.file, d.pos.line, d.pos.column))
        .collect();
    diags.retain(|d| {
        d.code != Code::Schema || !specific.contains(&(d.pos.file, d.pos.line, d.pos.column))
    });
}
