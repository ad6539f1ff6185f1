//! Field-level changes between two versions of one resource, as dotted paths with old → new
//! (`spec.replicas: 3 → 10`). Lists of named items (containers, env, ports, Kustomize images)
//! are matched by `name`, so a reorder or an insertion does not read as every item changing.
//!
//! Pure functions over `serde_json::Value`; no parsing, no I/O.

use serde::Serialize;
use serde_json::Value;

/// Longest rendering of a value before it is clipped with `…`.
const MAX_VALUE_CHARS: usize = 120;

/// One leaf (or whole subtree) that differs between the old and new resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    /// Dotted path: `spec.template.spec.containers[app].image`, `metadata.labels["a/b"]`.
    pub path: String,
    /// The old value; `None` (left out of JSON) when the field is added.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    /// The new value; `None` (left out of JSON) when the field is removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
}

impl FieldChange {
    /// A one-line human description: `spec.replicas: 3 → 10`, `image tag: v1 → v2 (app)`.
    pub fn describe(&self) -> String {
        let show = |v: &Option<Value>| v.as_ref().map_or_else(|| "(none)".to_owned(), render_value);
        let (old, new) = (show(&self.old), show(&self.new));
        if let Some(image) = kustomize_image(&self.path, "newTag") {
            return format!("image tag: {old} → {new} ({image})");
        }
        if let Some(image) = kustomize_image(&self.path, "newName") {
            return format!("image name: {old} → {new} ({image})");
        }
        format!("{}: {old} → {new}", self.path)
    }
}

/// `images[<name>].<field>` → `<name>`.
fn kustomize_image<'a>(path: &'a str, field: &str) -> Option<&'a str> {
    let inner = path.strip_prefix("images[")?;
    let name = inner.strip_suffix(&format!("].{field}"))?;
    Some(name.trim_matches('"'))
}

/// Every difference between `old` and `new`, in document order of `new` then `old`.
pub fn diff_fields(old: &Value, new: &Value) -> Vec<FieldChange> {
    let mut out = Vec::new();
    diff_at("", old, new, &mut out);
    out
}

fn diff_at(path: &str, old: &Value, new: &Value, out: &mut Vec<FieldChange>) {
    if old == new {
        return;
    }
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, nv) in b {
                let p = join_key(path, key);
                match a.get(key) {
                    Some(ov) => diff_at(&p, ov, nv, out),
                    None => out.push(change(p, None, Some(nv))),
                }
            }
            for (key, ov) in a.iter().filter(|(k, _)| !b.contains_key(*k)) {
                out.push(change(join_key(path, key), Some(ov), None));
            }
        }
        (Value::Array(a), Value::Array(b)) if all_named(a) && all_named(b) => {
            diff_named(path, a, b, out);
        }
        (Value::Array(a), Value::Array(b)) => {
            for i in 0..a.len().max(b.len()) {
                let p = format!("{path}[{i}]");
                match (a.get(i), b.get(i)) {
                    (Some(ov), Some(nv)) => diff_at(&p, ov, nv, out),
                    (ov, nv) => out.push(change(p, ov, nv)),
                }
            }
        }
        _ => out.push(change(path.to_owned(), Some(old), Some(new))),
    }
}

fn diff_named(path: &str, a: &[Value], b: &[Value], out: &mut Vec<FieldChange>) {
    for nv in b {
        let name = item_name(nv);
        let p = format!("{path}[{}]", segment_name(name));
        match a.iter().find(|ov| item_name(ov) == name) {
            Some(ov) => diff_at(&p, ov, nv, out),
            None => out.push(change(p, None, Some(nv))),
        }
    }
    for ov in a {
        let name = item_name(ov);
        if !b.iter().any(|nv| item_name(nv) == name) {
            out.push(change(
                format!("{path}[{}]", segment_name(name)),
                Some(ov),
                None,
            ));
        }
    }
}

fn all_named(items: &[Value]) -> bool {
    let mut names: Vec<&str> = items.iter().map(item_name).collect();
    let count = names.len();
    names.sort_unstable();
    names.dedup();
    count > 0 && names.len() == count && names.iter().all(|n| !n.is_empty())
}

fn item_name(item: &Value) -> &str {
    item.get("name").and_then(Value::as_str).unwrap_or("")
}

fn change(path: String, old: Option<&Value>, new: Option<&Value>) -> FieldChange {
    FieldChange {
        path: if path.is_empty() {
            "(root)".into()
        } else {
            path
        },
        old: old.cloned(),
        new: new.cloned(),
    }
}

fn join_key(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$');
    match (path.is_empty(), plain) {
        (true, true) => key.to_owned(),
        (false, true) => format!("{path}.{key}"),
        (_, false) => format!("{path}[{}]", quote(key)),
    }
}

fn segment_name(name: &str) -> String {
    if name.chars().any(|c| matches!(c, '[' | ']' | '"' | ' ')) {
        quote(name)
    } else {
        name.to_owned()
    }
}

fn quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| format!("{text:?}"))
}

/// A value for display: strings bare when they are one plain line, the rest as compact JSON,
/// clipped to [`MAX_VALUE_CHARS`].
pub fn render_value(value: &Value) -> String {
    let text = match value {
        Value::String(s) if !s.is_empty() && !s.contains('\n') && s.trim() == s => s.clone(),
        other => other.to_string(),
    };
    if text.chars().count() <= MAX_VALUE_CHARS {
        return text;
    }
    let mut clipped: String = text.chars().take(MAX_VALUE_CHARS).collect();
    clipped.push('…');
    clipped
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn described(old: Value, new: Value) -> Vec<String> {
        diff_fields(&old, &new)
            .iter()
            .map(FieldChange::describe)
            .collect()
    }

    #[test]
    fn scalar_change_is_a_dotted_path() {
        let got = described(
            json!({"spec": {"replicas": 3}}),
            json!({"spec": {"replicas": 10}}),
        );
        assert_eq!(got, ["spec.replicas: 3 → 10"]);
    }

    #[test]
    fn named_lists_match_by_name() {
        let old =
            json!({"containers": [{"name": "a", "image": "x:1"}, {"name": "b", "image": "y"}]});
        let new =
            json!({"containers": [{"name": "b", "image": "y"}, {"name": "a", "image": "x:2"}]});
        assert_eq!(described(old, new), ["containers[a].image: x:1 → x:2"]);
    }

    #[test]
    fn kustomize_image_tag_reads_naturally() {
        let old = json!({"images": [{"name": "p/payment-service", "newTag": "v1.4.0"}]});
        let new = json!({"images": [{"name": "p/payment-service", "newTag": "v1.5.0"}]});
        assert_eq!(
            described(old, new),
            ["image tag: v1.4.0 → v1.5.0 (p/payment-service)"]
        );
    }

    #[test]
    fn additions_removals_and_odd_keys() {
        let old = json!({"metadata": {"labels": {"app.kubernetes.io/name": "a"}}, "gone": 1});
        let new = json!({"metadata": {"labels": {"app.kubernetes.io/name": "b"}}, "ports": [80]});
        assert_eq!(
            described(old, new),
            [
                "metadata.labels[\"app.kubernetes.io/name\"]: a → b",
                "ports: (none) → [80]",
                "gone: 1 → (none)"
            ]
        );
        let got = described(json!({"a": [1, 2]}), json!({"a": [1]}));
        assert_eq!(got, ["a[1]: 2 → (none)"]);
    }

    #[test]
    fn long_values_are_clipped() {
        let long = "x".repeat(500);
        let rendered = render_value(&json!(long));
        assert_eq!(rendered.chars().count(), MAX_VALUE_CHARS + 1);
    }
}
