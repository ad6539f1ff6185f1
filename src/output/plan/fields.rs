//! Field-level changes between two versions of one resource, as dotted paths with old → new
//! (`spec.replicas: 3 → 10`). Lists are compared by identity, never by position: items with a
//! name (containers, env, ports, Kustomize images, workflow steps, `KEY=value` literals) are
//! matched by it, and other lists (NetworkPolicy rules and peers, principals, Kustomization
//! `resources`) as sequences, so an insertion is one `+` item and not a cascade of every later
//! item changing. A changed multi-line string carries a line diff of itself.
//!
//! Pure functions over `serde_json::Value`; the only parsing is of multi-line strings that are
//! themselves YAML (Kustomize patches), so a patch reads as fields too. No I/O.

use serde::Serialize;
use serde_json::Value;
use similar::{Algorithm, ChangeTag, DiffOp, TextDiff, capture_diff_slices};

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
    /// A unified line diff of the two strings, when both are strings and either has more
    /// than one line (a script, a policy document).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// The input lines that produced the new value (empty when not traced: see
    /// [`super::causes`]).
    pub cause: Vec<Cause>,
}

/// One input position that produced a field's new value, and which layer of the merge it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Cause {
    /// Root-relative, `/`-separated (`environments/prod.yaml`).
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// `registry default`, `service`, `environment default`, `environment overlay`,
    /// `environment infra default` or `versions`.
    pub layer: &'static str,
}

impl Cause {
    /// `environments/prod.yaml:47:21`.
    pub fn place(&self) -> String {
        format!("{}:{}:{}", self.file, self.line, self.column)
    }
}

impl FieldChange {
    /// A one-line human description: `spec.replicas: 3 → 10`, `image tag: v1 → v2 (app)`.
    ///
    /// An added item or field reads `+ path: value`, a removed one `- path: value`; two long
    /// one-line strings are shown from just before where they first differ.
    pub fn describe(&self) -> String {
        let (old, new) = match (&self.old, &self.new) {
            (None, Some(v)) => return format!("+ {}: {}", self.path, render_item(v)),
            (Some(v), None) => return format!("- {}: {}", self.path, render_item(v)),
            (Some(Value::String(a)), Some(Value::String(b))) if self.diff.is_some() => {
                let lines = |t: &str| t.lines().count();
                return format!(
                    "{}: text changed ({} → {} lines)",
                    self.path,
                    lines(a),
                    lines(b)
                );
            }
            (Some(Value::String(a)), Some(Value::String(b)))
                if a.chars().count() > MAX_VALUE_CHARS || b.chars().count() > MAX_VALUE_CHARS =>
            {
                let (a, b) = from_first_difference(a, b);
                (a, b)
            }
            (old, new) => {
                let show = |v: &Option<Value>| {
                    v.as_ref().map_or_else(|| "(none)".to_owned(), render_value)
                };
                (show(old), show(new))
            }
        };
        if let Some(image) = kustomize_image(&self.path, "newTag") {
            return format!("image tag: {old} → {new} ({image})");
        }
        if let Some(image) = kustomize_image(&self.path, "newName") {
            return format!("image name: {old} → {new} ({image})");
        }
        format!("{}: {old} → {new}", self.path)
    }
}

/// Two long strings from a little before their first difference, each clipped.
fn from_first_difference(a: &str, b: &str) -> (String, String) {
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    let start = common.saturating_sub(30);
    let show = |t: &str| {
        let rest: String = t.chars().skip(start).collect();
        let clipped = render_value(&Value::String(rest));
        if start > 0 {
            format!("…{clipped}")
        } else {
            clipped
        }
    };
    (show(a), show(b))
}

/// An added or removed list item: a NetworkPolicy rule as `to <namespace>/<pod>:<port>`,
/// anything else as [`render_value`].
fn render_item(value: &Value) -> String {
    network_rule(value).unwrap_or_else(|| render_value(value))
}

/// `to platform/tenant-service:8080`, `from monitoring`, `to 10.0.0.0/16:5432` for a
/// NetworkPolicy egress or ingress rule.
fn network_rule(rule: &Value) -> Option<String> {
    let map = rule.as_object()?;
    let (dir, peers) = match (map.get("to"), map.get("from")) {
        (Some(p), None) => ("to", p.as_array()?),
        (None, Some(p)) => ("from", p.as_array()?),
        _ => return None,
    };
    let label = |v: &Value, selector: &str, key: &str| {
        v.get(selector)?
            .get("matchLabels")?
            .get(key)?
            .as_str()
            .map(str::to_owned)
    };
    let peer = |p: &Value| -> Option<String> {
        if let Some(cidr) = p
            .get("ipBlock")
            .and_then(|b| b.get("cidr"))
            .and_then(Value::as_str)
        {
            return Some(cidr.to_owned());
        }
        let ns = label(p, "namespaceSelector", "kubernetes.io/metadata.name");
        let pod = label(p, "podSelector", "app.kubernetes.io/name");
        match (ns, pod) {
            (Some(ns), Some(pod)) => Some(format!("{ns}/{pod}")),
            (Some(ns), None) => Some(ns),
            (None, Some(pod)) => Some(pod),
            (None, None) => None,
        }
    };
    let peers: Vec<String> = peers.iter().map(peer).collect::<Option<_>>()?;
    let ports: Vec<String> = match map.get("ports") {
        None => Vec::new(),
        Some(p) => p
            .as_array()?
            .iter()
            .map(|p| p.get("port").map(render_value))
            .collect::<Option<_>>()?,
    };
    let peers = if peers.is_empty() {
        "anywhere".to_owned()
    } else {
        peers.join(", ")
    };
    Some(match ports.as_slice() {
        [] => format!("{dir} {peers}"),
        ports => format!("{dir} {peers}:{}", ports.join(",")),
    })
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
            None => diff_sequence(path, a, b, out),
        },
        (Value::String(a), Value::String(b)) => match (embedded_yaml(a), embedded_yaml(b)) {
            (Some(ov), Some(nv)) => diff_at(path, &ov, &nv, out),
            _ if a.contains('\n') || b.contains('\n') => {
                let mut c = change(path.to_owned(), Some(old), Some(new));
                c.diff = Some(string_diff(a, b));
                out.push(c);
            }
            _ => out.push(change(path.to_owned(), Some(old), Some(new))),
        },
        _ => out.push(change(path.to_owned(), Some(old), Some(new))),
    }
}

/// The changed lines of a multi-line string, `-`/`+` prefixed, one line of context.
fn string_diff(a: &str, b: &str) -> String {
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Histogram)
        .diff_lines(a, b);
    let mut out = String::new();
    for hunk in diff.unified_diff().context_radius(1).iter_hunks() {
        for change in hunk.iter_changes() {
            let sign = match change.tag() {
                ChangeTag::Delete => '-',
                ChangeTag::Insert => '+',
                ChangeTag::Equal => ' ',
            };
            out.push(sign);
            out.push_str(change.value().trim_end_matches('\n'));
            out.push('\n');
        }
    }
    out
}

/// A list of unnamed items as a sequence: the longest common subsequence stays, an inserted
/// item is one addition, a removed one one removal; an item replaced in place is diffed
/// inside. Paths index the new list for additions and changes, the old one for removals.
fn diff_sequence(path: &str, a: &[Value], b: &[Value], out: &mut Vec<FieldChange>) {
    let ka: Vec<String> = a.iter().map(Value::to_string).collect();
    let kb: Vec<String> = b.iter().map(Value::to_string).collect();
    let added = |from: usize, to: usize, out: &mut Vec<FieldChange>| {
        for (j, item) in b.iter().enumerate().take(to).skip(from) {
            out.push(change(format!("{path}[{j}]"), None, Some(item)));
        }
    };
    let removed = |from: usize, to: usize, out: &mut Vec<FieldChange>| {
        for (i, item) in a.iter().enumerate().take(to).skip(from) {
            out.push(change(format!("{path}[{i}]"), Some(item), None));
        }
    };
    for op in capture_diff_slices(Algorithm::Myers, &ka, &kb) {
        match op {
            DiffOp::Equal { .. } => {}
            DiffOp::Insert {
                new_index, new_len, ..
            } => added(new_index, new_index + new_len, out),
            DiffOp::Delete {
                old_index, old_len, ..
            } => removed(old_index, old_index + old_len, out),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                let paired = old_len.min(new_len);
                for k in 0..paired {
                    let p = format!("{path}[{}]", new_index + k);
                    diff_at(&p, &a[old_index + k], &b[new_index + k], out);
                }
                added(new_index + paired, new_index + new_len, out);
                removed(old_index + paired, old_index + old_len, out);
            }
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
/// images), `path` (JSON 6902 patch operations), `target` (Kustomize patches), a workflow
/// step's `id`, `name` or `uses`, a GitLab or Azure `job`/`stage`, and the `KEY` of
/// `KEY=value` strings (configMapGenerator literals).
#[derive(Debug, Clone, Copy)]
enum ItemKey {
    Name,
    Path,
    Target,
    Step,
    Job,
    Literal,
}

fn key_of(item: &Value, rule: ItemKey) -> Option<String> {
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    match rule {
        ItemKey::Name => text(item, "name"),
        ItemKey::Step => text(item, "id")
            .or_else(|| text(item, "name"))
            .or_else(|| text(item, "uses")),
        ItemKey::Job => text(item, "job")
            .or_else(|| text(item, "stage"))
            .or_else(|| text(item, "deployment")),
        ItemKey::Literal => {
            let (key, _) = item.as_str()?.split_once('=')?;
            (!key.is_empty() && !key.contains(' ')).then(|| key.to_owned())
        }
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
    [
        ItemKey::Name,
        ItemKey::Path,
        ItemKey::Target,
        ItemKey::Step,
        ItemKey::Job,
        ItemKey::Literal,
    ]
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
        cause: Vec::new(),
        path: if path.is_empty() {
            "(root)".into()
        } else {
            path
        },
        old: old.cloned(),
        new: new.cloned(),
        diff: None,
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
                "+ ports: [80]",
                "- gone: 1"
            ]
        );
        let got = described(json!({"a": [1, 2]}), json!({"a": [1]}));
        assert_eq!(got, ["- a[1]: 2"]);
    }

    #[test]
    fn an_insertion_in_an_unnamed_list_is_one_addition() {
        let rule = |ns: &str, pod: &str, port: u16| {
            json!({"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": ns}},
                "podSelector": {"matchLabels": {"app.kubernetes.io/name": pod}}}],
                "ports": [{"protocol": "TCP", "port": port}]})
        };
        let cidr = json!({"to": [{"ipBlock": {"cidr": "10.0.0.0/16"}}], "ports": [{"port": 5432}]});
        let old = json!({"egress": [rule("a", "x", 80), cidr.clone()]});
        let new = json!({"egress": [rule("a", "x", 80), rule("p", "tenant", 8080), cidr]});
        assert_eq!(described(old, new), ["+ egress[1]: to p/tenant:8080"]);
        let old = json!({"principals": ["a", "c", "d"]});
        let new = json!({"principals": ["a", "b", "c", "d"]});
        assert_eq!(described(old, new), ["+ principals[1]: b"]);
        let old = json!({"literals": ["A=1", "B=2"]});
        let new = json!({"literals": ["A=1", "AB=0", "B=3"]});
        assert_eq!(
            described(old, new),
            ["+ literals[AB]: AB=0", "literals[B]: B=2 → B=3"]
        );
    }

    #[test]
    fn workflow_steps_match_by_id_name_or_uses() {
        let old =
            json!({"steps": [{"uses": "actions/checkout@v4"}, {"name": "build", "run": "make"}]});
        let new = json!({"steps": [{"uses": "actions/checkout@v4"}, {"name": "lint", "run": "make lint"},
            {"name": "build", "run": "make all"}]});
        assert_eq!(
            described(old, new),
            [
                "+ steps[lint]: {\"name\":\"lint\",\"run\":\"make lint\"}",
                "steps[build].run: make → make all"
            ]
        );
    }

    #[test]
    fn long_strings_show_where_they_differ() {
        let a = format!("{}-old-tail", "x".repeat(200));
        let b = format!("{}-new-tail", "x".repeat(200));
        let got = described(json!({"s": a}), json!({"s": b}));
        let want = format!(
            "s: …{}-old-tail → …{}-new-tail",
            "x".repeat(29),
            "x".repeat(29)
        );
        assert_eq!(got, [want]);
        let changes = diff_fields(
            &json!({"script": "set -e\nmake\nmake test\n"}),
            &json!({"script": "set -e\nmake\nmake lint\nmake test\n"}),
        );
        assert_eq!(changes[0].describe(), "script: text changed (3 → 4 lines)");
        assert_eq!(
            changes[0].diff.as_deref(),
            Some(" make\n+make lint\n make test\n")
        );
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
