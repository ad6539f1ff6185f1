//! Field-level changes between two versions of one resource, as dotted paths with old → new
//! (`spec.replicas: 3 → 10`). Lists of named items (containers, env, ports, Kustomize images)
//! are matched by `name`, so a reorder or an insertion does not read as every item changing.
//!
//! Pure functions over `serde_json::Value`; the only parsing is of multi-line strings that are
//! themselves YAML (Kustomize patches), so a patch reads as fields too. No I/O.

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
        (Value::Array(a), Value::Array(b)) => match keyed(a, b) {
            Some((ka, kb)) => diff_keyed(path, (a, &ka), (b, &kb), out),
            None => diff_indexed(path, a, b, out),
        },
        (Value::String(a), Value::String(b)) => match (embedded_yaml(a), embedded_yaml(b)) {
            (Some(ov), Some(nv)) => diff_at(path, &ov, &nv, out),
            _ => out.push(change(path.to_owned(), Some(old), Some(new))),
        },
        _ => out.push(change(path.to_owned(), Some(old), Some(new))),
    }
}

fn diff_indexed(path: &str, a: &[Value], b: &[Value], out: &mut Vec<FieldChange>) {
    for i in 0..a.len().max(b.len()) {
        let p = format!("{path}[{i}]");
        match (a.get(i), b.get(i)) {
            (Some(ov), Some(nv)) => diff_at(&p, ov, nv, out),
            (ov, nv) => out.push(change(p, ov, nv)),
        }
    }
}

/// Both sides of a list with their item keys.
type Keyed<'a> = (&'a [Value], &'a [String]);

fn diff_keyed(path: &str, (a, ka): Keyed, (b, kb): Keyed, out: &mut Vec<FieldChange>) {
    for (nv, key) in b.iter().zip(kb) {
        let p = format!("{path}[{}]", segment_name(key));
        match ka.iter().position(|k| k == key) {
            Some(i) => diff_at(&p, &a[i], nv, out),
            None => out.push(change(p, None, Some(nv))),
        }
    }
    for (ov, key) in a.iter().zip(ka).filter(|(_, k)| !kb.contains(k)) {
        let p = format!("{path}[{}]", segment_name(key));
        out.push(change(p, Some(ov), None));
    }
}

/// How list items are identified, tried in order: `name` (containers, env, ports, Kustomize
/// images), `path` (JSON 6902 patch operations), `target` (Kustomize patches).
#[derive(Debug, Clone, Copy)]
enum ItemKey {
    Name,
    Path,
    Target,
}

fn key_of(item: &Value, rule: ItemKey) -> Option<String> {
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    match rule {
        ItemKey::Name => text(item, "name"),
        ItemKey::Path => text(item, "path"),
        ItemKey::Target => {
            let target = item.get("target")?;
            let kind = text(target, "kind")?;
            Some(text(target, "name").map_or_else(|| kind.clone(), |n| format!("{kind}/{n}")))
        }
    }
}

/// Every item's key under one rule, when each has a distinct, non-empty key.
fn keys(items: &[Value], rule: ItemKey) -> Option<Vec<String>> {
    let keys: Vec<String> = items
        .iter()
        .map(|item| key_of(item, rule).filter(|k| !k.is_empty()))
        .collect::<Option<_>>()?;
    let mut sorted: Vec<&String> = keys.iter().collect();
    sorted.sort_unstable();
    sorted.dedup();
    (sorted.len() == keys.len()).then_some(keys)
}

fn keyed(a: &[Value], b: &[Value]) -> Option<(Vec<String>, Vec<String>)> {
    if a.is_empty() && b.is_empty() {
        return None;
    }
    [ItemKey::Name, ItemKey::Path, ItemKey::Target]
        .into_iter()
        .find_map(|rule| Some((keys(a, rule)?, keys(b, rule)?)))
}

/// A multi-line string that is itself YAML (a Kustomize patch), parsed to a list or map.
fn embedded_yaml(text: &str) -> Option<Value> {
    if !text.contains('\n') || text.len() > 64 * 1024 {
        return None;
    }
    let value: Value =
        serde_saphyr::from_str_with_options(text, crate::backend::yaml_read_options()).ok()?;
    (value.is_array() || value.is_object()).then_some(value)
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
    fn kustomize_patches_are_diffed_inside() {
        let patch = |n: u32| {
            json!({"patches": [{"target": {"kind": "HorizontalPodAutoscaler", "name": "p"},
                "patch": format!("- op: replace\n  path: /spec/minReplicas\n  value: {n}\n")}]})
        };
        assert_eq!(
            described(patch(10), patch(12)),
            ["patches[HorizontalPodAutoscaler/p].patch[/spec/minReplicas].value: 10 → 12"]
        );
    }

    #[test]
    fn long_values_are_clipped() {
        let long = "x".repeat(500);
        let rendered = render_value(&json!(long));
        assert_eq!(rendered.chars().count(), MAX_VALUE_CHARS + 1);
    }
}
