//! JSON Schema validation: the only module that touches `jsonschema`.
//!
//! The schemas in `schemas/` are embedded in the binary (and shipped for editors). Every
//! error from `iter_errors` is mapped back to the YAML node its instance path names.

use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::load::yaml::{Node, Value};
use jsonschema::error::ValidationErrorKind;
use std::sync::OnceLock;

/// The three input file kinds, each with its schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SchemaKind {
    Registry,
    Environment,
    Versions,
}

impl SchemaKind {
    pub const ALL: [SchemaKind; 3] = [Self::Registry, Self::Environment, Self::Versions];

    /// The schema's JSON text, as committed under `schemas/`.
    pub fn text(self) -> &'static str {
        match self {
            Self::Registry => include_str!("../../schemas/registry.schema.json"),
            Self::Environment => include_str!("../../schemas/environment.schema.json"),
            Self::Versions => include_str!("../../schemas/versions.schema.json"),
        }
    }

    /// The `kind:` a file of this kind declares.
    pub fn kind_name(self) -> &'static str {
        match self {
            Self::Registry => "Registry",
            Self::Environment => "Environment",
            Self::Versions => "Versions",
        }
    }

    /// `registry`, `environment`, `versions` (the `infrac schema` argument).
    pub fn name(self) -> &'static str {
        match self {
            Self::Registry => "registry",
            Self::Environment => "environment",
            Self::Versions => "versions",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

struct Compiled {
    validator: jsonschema::Validator,
    /// The schema itself, for the range walk ([`number_ranges`]).
    schema: serde_json::Value,
    /// Every property name the schema defines, for "did you mean" on unknown keys.
    properties: Vec<String>,
}

fn compiled(kind: SchemaKind) -> &'static Compiled {
    static CELLS: [OnceLock<Compiled>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    CELLS[kind.index()].get_or_init(|| {
        let schema: serde_json::Value =
            serde_json::from_str(kind.text()).expect("embedded schema is valid JSON");
        let validator = jsonschema::draft202012::new(&schema).expect("embedded schema compiles");
        let mut properties = Vec::new();
        collect_properties(&schema, &mut properties);
        properties.sort();
        properties.dedup();
        Compiled {
            validator,
            schema,
            properties,
        }
    })
}

fn collect_properties(schema: &serde_json::Value, out: &mut Vec<String>) {
    match schema {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Object(props)) = map.get("properties") {
                out.extend(props.keys().cloned());
            }
            map.values().for_each(|v| collect_properties(v, out));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_properties(v, out)),
        _ => {}
    }
}

/// Checks `node` against the schema of `kind`; one diagnostic per problem.
pub fn validate_schema(kind: SchemaKind, node: &Node) -> Vec<Diagnostic> {
    let compiled = compiled(kind);
    let instance = node.to_json();
    let mut out = Vec::new();
    // Numbers are checked first, in infrac's words; jsonschema's own message for a number
    // already reported (below its minimum, not whole) is dropped.
    let mut ranged = Vec::new();
    number_ranges(
        &compiled.schema,
        &compiled.schema,
        node,
        &mut String::new(),
        &mut ranged,
    );
    let ranged_paths: std::collections::HashSet<String> =
        ranged.iter().map(|(path, _)| path.clone()).collect();
    out.extend(ranged.into_iter().map(|(_, d)| d));
    for error in compiled.validator.iter_errors(&instance) {
        let path = error.instance_path().as_str().to_owned();
        if ranged_paths.contains(&path) {
            continue;
        }
        let Some((target, key_pos)) = node.pointer(&path) else {
            continue;
        };
        match error.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                for key in unexpected {
                    let Some(entry) = target.entry(key) else { continue };
                    let mut d = Diagnostic::error(
                        Code::UnknownField,
                        entry.key_pos,
                        if path.is_empty() {
                            format!("unknown field `{key}` at the top level")
                        } else {
                            format!("unknown field `{key}` in `{}`", dotted(&path))
                        },
                    )
                    .with_label("not a field here");
                    if kind == SchemaKind::Environment && (key == "image" || key == "build") {
                        d = d.with_help(format!("`{key}` is set once, in registry.yaml: an environment cannot change what is built"));
                    } else if let Some(s) = did_you_mean(key, compiled.properties.iter().map(String::as_str)) {
                        d = d.with_help(format!("did you mean `{s}`?"));
                    }
                    out.push(d);
                }
            }
            _ if is_literal_secret(&path, target) => out.push(
                Diagnostic::error(
                    Code::LiteralSecret,
                    target.pos,
                    format!("`{}` is a literal secret value", dotted(&path)),
                )
                .with_label("a value, not a reference")
                .with_help("secrets are references into the environment's secret store: `{store: <type>, path: <secret>, key: <property>}`"),
            ),
            _ => {
                let pos = if matches!(error.kind(), ValidationErrorKind::Required { .. }) {
                    key_pos.unwrap_or(target.pos)
                } else {
                    target.pos
                };
                let field = if path.is_empty() { "the document".to_owned() } else { format!("`{}`", dotted(&path)) };
                let (message, help) = readable_message(&error)
                    .unwrap_or_else(|| (short_message(&error), None));
                let mut d = Diagnostic::error(Code::Schema, pos, format!("{field}: {message}"));
                if let Some(help) = help {
                    d = d.with_help(help);
                }
                out.push(d);
            }
        }
    }
    out.dedup();
    out
}

/// The bounds of an integer field the schema gives none for: every integer of the typed
/// spec is a `u32` (a port a `u16`, which its schema bounds to 65535).
const INTEGER_BOUNDS: (i128, i128) = (0, u32::MAX as i128);

/// Checks every number the user wrote in a numeric field against the field's range (the
/// schema's `minimum`/`maximum`, else the bounds of the type it is read into), at the value:
/// a whole number where one is meant (`1.5`, and `3.0` too), never out of range
/// (`99999999999999999999`, `-3`, `port: 70000`). Walks the schema beside the tree
/// (`$ref`, `properties`, `additionalProperties`, `items`, `allOf`); each finding with the
/// JSON pointer of its value.
fn number_ranges(
    root: &serde_json::Value,
    schema: &serde_json::Value,
    node: &Node,
    path: &mut String,
    out: &mut Vec<(String, Diagnostic)>,
) {
    let Some(obj) = schema.as_object() else {
        return;
    };
    if let Some(target) = obj
        .get("$ref")
        .and_then(|r| r.as_str())
        .and_then(|r| r.strip_prefix('#'))
        .and_then(|r| root.pointer(r))
    {
        number_ranges(root, target, node, path, out);
    }
    for branch in obj
        .get("allOf")
        .and_then(|a| a.as_array())
        .into_iter()
        .flatten()
    {
        number_ranges(root, branch, node, path, out);
    }
    if let Some(d) = number_finding(obj, node, path)
        && !out.iter().any(|(p, _)| p == path)
    {
        out.push((path.clone(), d));
    }
    match &node.value {
        Value::Map(map) => {
            let properties = obj.get("properties").and_then(|p| p.as_object());
            let additional = obj.get("additionalProperties").filter(|a| a.is_object());
            for (key, entry) in map.iter() {
                let Some(sub) = properties.and_then(|p| p.get(key)).or(additional) else {
                    continue;
                };
                let len = path.len();
                path.push('/');
                path.push_str(&key.replace('~', "~0").replace('/', "~1"));
                number_ranges(root, sub, &entry.value, path, out);
                path.truncate(len);
            }
        }
        Value::Seq(items) => {
            let Some(sub) = obj.get("items") else { return };
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("/{i}"));
                number_ranges(root, sub, item, path, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// The finding for a number at a schema position that types it, if it is out of range.
fn number_finding(
    obj: &serde_json::Map<String, serde_json::Value>,
    node: &Node,
    path: &str,
) -> Option<Diagnostic> {
    let types: Vec<&str> = match obj.get("type")? {
        serde_json::Value::String(t) => vec![t.as_str()],
        serde_json::Value::Array(ts) => ts.iter().filter_map(|t| t.as_str()).collect(),
        _ => return None,
    };
    let integer = types.contains(&"integer");
    // A number-or-string field (a cpu quantity) has its own rule (`invalid-quantity`).
    if !integer && (!types.contains(&"number") || types.contains(&"string")) {
        return None;
    }
    let bound = |key: &str| obj.get(key).and_then(serde_json::Value::as_f64);
    let (min, max) = (bound("minimum"), bound("maximum"));
    let (xmin, xmax) = (bound("exclusiveMinimum"), bound("exclusiveMaximum"));
    // A string alternative, named by the schema's first string example (`25%`, `250m`).
    let or_string = types
        .contains(&"string")
        .then(|| {
            obj.get("examples")
                .and_then(|e| e.as_array())
                .and_then(|e| e.iter().find_map(|x| x.as_str()))
                .map(|x| format!(", or a string such as `{x}`"))
        })
        .flatten()
        .unwrap_or_default();
    let field = dotted(path);
    let (wanted, fits, label) = if integer {
        let lo = xmin.map_or(min.map_or(INTEGER_BOUNDS.0, |m| m.ceil() as i128), |x| {
            x.floor() as i128 + 1
        });
        let hi = xmax.map_or(max.map_or(INTEGER_BOUNDS.1, |m| m.floor() as i128), |x| {
            x.ceil() as i128 - 1
        });
        let hi = hi.min(INTEGER_BOUNDS.1);
        let (fits, label) = match node.value {
            Value::Int(i) if (lo..=hi).contains(&i128::from(i)) => (true, ""),
            Value::Int(i) if i128::from(i) < lo => (false, "too small"),
            Value::Int(_) => (false, "too large"),
            Value::Float(f) if f.fract() != 0.0 => (false, "not a whole number"),
            Value::Float(f) if f < lo as f64 => (false, "too small"),
            // Beyond `i64` (`99999999999999999999`) YAML reads a float.
            Value::Float(f) if f > hi as f64 => (false, "too large"),
            // In range, but written as a decimal (`3.0`): the typed spec reads whole numbers.
            Value::Float(_) => (false, "written as a decimal number"),
            _ => return None,
        };
        (format!("a whole number between {lo} and {hi}"), fits, label)
    } else {
        let f = match node.value {
            Value::Int(i) => i as f64,
            Value::Float(f) => f,
            _ => return None,
        };
        let below = min.is_some_and(|m| f < m) || xmin.is_some_and(|m| f <= m);
        let above = max.is_some_and(|m| f > m) || xmax.is_some_and(|m| f >= m);
        let lower = min
            .map(|m| format!("at least {m}"))
            .or(xmin.map(|m| format!("greater than {m}")));
        let upper = max
            .map(|m| format!("at most {m}"))
            .or(xmax.map(|m| format!("less than {m}")));
        let wanted = match (lower, upper) {
            (Some(l), Some(u)) => format!("a number {l} and {u}"),
            (Some(b), None) | (None, Some(b)) => format!("a number {b}"),
            (None, None) => return None,
        };
        let label = if below { "too small" } else { "too large" };
        (wanted, !below && !above, label)
    };
    if fits {
        return None;
    }
    Some(
        Diagnostic::error(
            Code::NumberRange,
            node.pos,
            format!("`{field}` must be {wanted}{or_string}"),
        )
        .with_label(label),
    )
}

fn is_literal_secret(path: &str, target: &Node) -> bool {
    let mut parts = path.rsplit('/');
    let _name = parts.next();
    parts.next() == Some("secrets")
        && matches!(
            target.value,
            Value::Str(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_)
        )
}

/// jsonschema's enum and type messages rewritten for a person: every allowed value (its
/// enum message cuts the list at two: "or 2 other candidates"), a did-you-mean, the expected
/// type without the `"null"` that only means "may be left out", and the quoting hint for a
/// scalar YAML read as a number or a boolean where a string belongs (`api: 1.0`). `None`
/// for every other kind of error.
fn readable_message(error: &jsonschema::ValidationError) -> Option<(String, Option<String>)> {
    use jsonschema::error::TypeKind;
    use jsonschema::types::JsonType;
    let instance: &serde_json::Value = error.instance();
    let shown = short_value(instance);
    match error.kind() {
        ValidationErrorKind::Enum { options } => {
            let allowed: Vec<String> = options
                .as_array()?
                .iter()
                .filter(|o| !o.is_null())
                .map(short_value)
                .collect();
            let list = match allowed.as_slice() {
                [] => return None,
                [one] => one.clone(),
                [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
            };
            let help = instance.as_str().and_then(|word| {
                let names = options.as_array()?.iter().filter_map(|o| o.as_str());
                did_you_mean(word, names).map(|s| format!("did you mean `{s}`?"))
            });
            Some((format!("{shown} is not one of {list}"), help))
        }
        ValidationErrorKind::Type { kind } => {
            let types: Vec<JsonType> = match kind {
                TypeKind::Single(t) => vec![*t],
                TypeKind::Multiple(set) => set.iter().collect(),
            };
            let wanted: Vec<&str> = types
                .iter()
                .filter(|t| **t != JsonType::Null)
                .map(|t| match t {
                    JsonType::Array => "a list",
                    JsonType::Boolean => "true or false",
                    JsonType::Integer => "a whole number",
                    JsonType::Number => "a number",
                    JsonType::Object => "a mapping",
                    JsonType::String => "a string",
                    JsonType::Null => "",
                })
                .collect();
            let found = match instance {
                serde_json::Value::Null => "empty",
                serde_json::Value::Bool(_) => "a boolean",
                serde_json::Value::Number(n) if n.is_f64() => "a number",
                serde_json::Value::Number(_) => "a whole number",
                serde_json::Value::String(_) => "a string",
                serde_json::Value::Array(_) => "a list",
                serde_json::Value::Object(_) => "a mapping",
            };
            let list = match wanted.as_slice() {
                [] => return None,
                [one] => (*one).to_owned(),
                [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
            };
            let help = (types.contains(&JsonType::String)
                && matches!(
                    instance,
                    serde_json::Value::Number(_) | serde_json::Value::Bool(_)
                ))
            .then(|| {
                format!("quote it (`\"{instance}\"`): unquoted, YAML reads `{instance}` as {found}")
            });
            let shown = if instance.is_object() || instance.is_array() {
                found.to_owned()
            } else {
                format!("{shown} is {found}")
            };
            Some((format!("{shown}, not {list}"), help))
        }
        _ => None,
    }
}

/// A JSON value in a message: scalars as JSON, a long one cut.
fn short_value(value: &serde_json::Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else {
        text
    }
}

fn short_message(error: &jsonschema::ValidationError) -> String {
    let message = error.to_string();
    if message.len() > 200 {
        format!(
            "{}…",
            &message[..message
                .char_indices()
                .take(200)
                .last()
                .map_or(0, |(i, _)| i)]
        )
    } else {
        message
    }
}

/// `/services/payment-service/ports/0` → `services.payment-service.ports[0]`.
pub fn dotted(pointer: &str) -> String {
    let mut out = String::new();
    for raw in pointer.split('/').skip(1) {
        let step = raw.replace("~1", "/").replace("~0", "~");
        if step.chars().all(|c| c.is_ascii_digit()) && !step.is_empty() {
            out.push_str(&format!("[{step}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&step);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_schemas_compile() {
        for kind in SchemaKind::ALL {
            assert!(!compiled(kind).properties.is_empty());
        }
    }

    #[test]
    fn dotted_paths() {
        assert_eq!(
            dotted("/services/a/ports/0/name"),
            "services.a.ports[0].name"
        );
    }
}
