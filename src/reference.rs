//! `docs/reference.md`: every field of the three input files, generated from the embedded
//! JSON Schemas (their `description`s are the single source). A test keeps the committed
//! file fresh. Pure: schemas in, markdown out.

use crate::validate::schema::SchemaKind;
use serde_json::Value;
use std::fmt::Write;

/// The whole field reference as markdown.
pub fn render_reference() -> String {
    let mut out = String::from(
        "# Field reference\n\n<!-- Generated from schemas/*.schema.json by `infrac` (src/reference.rs); do not edit: run `UPDATE_GOLDEN=1 cargo test --test reference`. -->\n\n\
         Every field of the three input files. *Env override* says whether an environment overlay \
         (`environments/<env>.yaml`, under `defaults:` or `services.<name>:`) may set the field for \
         the environments it names; `<name>` stands for a key you choose, `[]` for a list item.\n",
    );
    let env_schema = parse(SchemaKind::Environment);
    let overridable = env_schema
        .pointer("/$defs/serviceOverride/properties")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect::<Vec<_>>())
        .unwrap_or_default();
    for kind in SchemaKind::ALL {
        let schema = parse(kind);
        let title = schema
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or(kind.name());
        let _ = write!(out, "\n## {} — `{}`\n\n", title, file_of(kind));
        if let Some(d) = schema.get("description").and_then(Value::as_str) {
            let _ = writeln!(out, "{d}\n");
        }
        out.push_str("| field | type | default | env override | description |\n| --- | --- | --- | --- | --- |\n");
        let mut rows = Vec::new();
        walk(&schema, &schema, "", 0, &mut rows);
        for row in rows {
            let env = match kind {
                SchemaKind::Registry => {
                    let field = row
                        .path
                        .strip_prefix("services.<name>.")
                        .or_else(|| row.path.strip_prefix("defaults."));
                    match field.map(|f| f.split(['.', '[']).next().unwrap_or(f)) {
                        Some(top) if overridable.iter().any(|o| o == top) => "yes",
                        Some(_) => "no",
                        None => "—",
                    }
                }
                _ => "—",
            };
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} |",
                row.path, row.ty, row.default, env, row.description
            );
        }
    }
    out
}

fn file_of(kind: SchemaKind) -> &'static str {
    match kind {
        SchemaKind::Registry => "registry.yaml",
        SchemaKind::Environment => "environments/<env>.yaml",
        SchemaKind::Versions => "versions.yaml",
    }
}

fn parse(kind: SchemaKind) -> Value {
    serde_json::from_str(kind.text()).expect("embedded schema is valid JSON")
}

struct Row {
    path: String,
    ty: String,
    default: String,
    description: String,
}

fn resolve<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    match node
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
    {
        Some(pointer) => root
            .pointer(pointer)
            .map_or(node, |target| resolve(root, target)),
        None => node,
    }
}

fn walk(root: &Value, node: &Value, path: &str, depth: usize, rows: &mut Vec<Row>) {
    if depth > 8 {
        return;
    }
    let target = resolve(root, node);
    if let Some(props) = target.get("properties").and_then(Value::as_object) {
        for (key, child) in props {
            let child_path = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            rows.push(row(root, child, &child_path));
            walk(root, child, &child_path, depth + 1, rows);
        }
    }
    if let Some(extra) = target.get("additionalProperties").filter(|v| v.is_object()) {
        let child_path = format!("{path}.<name>");
        let resolved = resolve(root, extra);
        if resolved.get("properties").is_some()
            || resolved
                .get("additionalProperties")
                .is_some_and(Value::is_object)
        {
            walk(root, extra, &child_path, depth + 1, rows);
        } else {
            let mut r = row(root, extra, &child_path);
            if r.description.is_empty() {
                r.description = format!("One entry of `{path}`, under a key you choose.");
            }
            rows.push(r);
        }
    }
    if let Some(items) = target.get("items") {
        let resolved = resolve(root, items);
        if resolved.get("properties").is_some() {
            walk(root, items, &format!("{path}[]"), depth + 1, rows);
        }
    }
}

fn row(root: &Value, node: &Value, path: &str) -> Row {
    let target = resolve(root, node);
    let description = node
        .get("description")
        .or_else(|| target.get("description"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .replace('\n', " ")
        .replace('|', "\\|");
    let default = node
        .get("default")
        .or_else(|| target.get("default"))
        .map_or(String::new(), |d| format!("`{d}`"));
    let example = node
        .get("examples")
        .or_else(|| target.get("examples"))
        .and_then(Value::as_array)
        .and_then(|e| e.first())
        .map(|e| format!(" Example: `{}`", e.to_string().replace('|', "\\|")))
        .unwrap_or_default();
    Row {
        path: path.to_owned(),
        ty: type_of(target),
        default,
        description: format!("{description}{example}"),
    }
}

fn type_of(node: &Value) -> String {
    if let Some(c) = node.get("const") {
        return format!("`{c}`");
    }
    if let Some(values) = node.get("enum").and_then(Value::as_array) {
        let names: Vec<String> = values
            .iter()
            .filter(|v| !v.is_null())
            .map(|v| format!("`{}`", v.as_str().map_or(v.to_string(), str::to_owned)))
            .collect();
        return names.join(" \\| ");
    }
    let types: Vec<&str> = match node.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect(),
        _ => Vec::new(),
    };
    if types.is_empty() {
        let alternatives = node
            .get("anyOf")
            .or_else(|| node.get("oneOf"))
            .and_then(Value::as_array);
        return alternatives
            .map(|a| {
                a.iter()
                    .map(type_of)
                    .filter(|t| !t.is_empty() && t != "null")
                    .collect::<Vec<_>>()
                    .join(" \\| ")
            })
            .unwrap_or_default();
    }
    types
        .iter()
        .map(|t| {
            if *t == "object" {
                "mapping"
            } else if *t == "array" {
                "list"
            } else {
                t
            }
        })
        .collect::<Vec<_>>()
        .join(" \\| ")
}
