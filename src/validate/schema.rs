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
    for error in compiled.validator.iter_errors(&instance) {
        let path = error.instance_path().as_str().to_owned();
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
