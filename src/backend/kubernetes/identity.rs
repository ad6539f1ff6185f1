//! How the plan reads a Kubernetes file back: which environment a path under `kubernetes/`
//! belongs to, and each document's identity, `Kind namespace/name` (`Kind name` when the
//! file leaves the namespace to Kustomize; `Kind` alone for a nameless Kustomization).
//!
//! A Kustomization's patches are read as the resources they patch, in the Kustomization's
//! namespace (`HorizontalPodAutoscaler payments/payment-service`), the way the cluster sees
//! the change: a JSON 6902 patch's operations become the fields they set
//! (`spec.minReplicas`), a strategic-merge patch is its own fields. The Kustomization keeps
//! the rest. Patch semantics: <https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/patches/>.
//!
//! The paths are the ones `base`, `overlay` and `environment` build (SPEC "Output layout"):
//! `kubernetes/<service>/base/`, `kubernetes/<service>/overlays/<env>/` and
//! `kubernetes/environments/<env>/`.

use serde_json::Value;

use crate::backend::{Resources, push_resource, yaml_read_options};

/// `Some(environment)` for a path of this back end (`None` inside: a base, shared by every
/// environment); `None` for a path outside `kubernetes/`.
pub fn claim(logical_path: &str) -> Option<Option<String>> {
    let rest = logical_path.strip_prefix("kubernetes/")?;
    let parts: Vec<&str> = rest.split('/').collect();
    let environment = match parts.as_slice() {
        ["environments", env, _, ..] | [_, "overlays", env, _, ..] => Some((*env).to_owned()),
        _ => None,
    };
    Some(environment)
}

/// The service whose file `logical_path` is: `kubernetes/<service>/base/…` and its overlays
/// (`overlays/<env>/…`, cell overlays under them); `None` for the environments' own files
/// (aggregates, Applications, namespaces), which are no one service's.
pub fn service_of(logical_path: &str) -> Option<&str> {
    let (dir, tail) = logical_path.strip_prefix("kubernetes/")?.split_once('/')?;
    (dir != "environments" && (tail.starts_with("base/") || tail.starts_with("overlays/")))
        .then_some(dir)
}

/// Every document of a (multi-document) YAML file by identity; other files have none.
pub fn resources(logical_path: &str, text: &str) -> Result<Resources, String> {
    let mut out = Resources::new();
    if !(logical_path.ends_with(".yaml") || logical_path.ends_with(".yml")) {
        return Ok(out);
    }
    let docs: Vec<Value> = serde_saphyr::from_multiple_with_options(text, yaml_read_options())
        .map_err(|e| e.to_string())?;
    for mut doc in docs.into_iter().filter(Value::is_object) {
        let patched = patched_resources(&mut doc);
        push_resource(&mut out, id(&doc), doc);
        for (id, body) in patched {
            push_resource(&mut out, id, body);
        }
    }
    Ok(out)
}

/// The resources a Kustomization's `patches` set, each as `(identity, fields)`; the patches
/// read this way leave the document. Other documents and patches without a kind and name
/// to target stay as they are.
fn patched_resources(doc: &mut Value) -> Vec<(String, Value)> {
    if doc.get("kind").and_then(Value::as_str) != Some("Kustomization") {
        return Vec::new();
    }
    let namespace = doc
        .get("namespace")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let Some(Value::Array(patches)) = doc.get_mut("patches") else {
        return Vec::new();
    };
    let mut out: Vec<(String, Value)> = Vec::new();
    patches.retain(|patch| match patch_fields(patch) {
        Some((kind, name, fields)) => {
            let id = match &namespace {
                Some(ns) => format!("{kind} {ns}/{name}"),
                None => format!("{kind} {name}"),
            };
            match out.iter_mut().find(|(i, _)| *i == id) {
                Some((_, body)) => merge_into(body, fields),
                None => out.push((id, fields)),
            }
            false
        }
        None => true,
    });
    if patches.is_empty()
        && let Some(map) = doc.as_object_mut()
    {
        map.remove("patches");
    }
    out
}

/// A patch's target kind and name and the fields it sets.
fn patch_fields(patch: &Value) -> Option<(String, String, Value)> {
    let text = patch.get("patch")?.as_str()?;
    let parsed: Value = serde_saphyr::from_str_with_options(text, yaml_read_options()).ok()?;
    let target = patch.get("target");
    let field = |v: Option<&Value>, k: &str| v?.get(k)?.as_str().map(str::to_owned);
    match parsed {
        Value::Array(ops) => {
            let kind = field(target, "kind")?;
            let name = field(target, "name")?;
            let mut body = Value::Object(Default::default());
            for op in &ops {
                let verb = op.get("op")?.as_str()?;
                let path = op.get("path")?.as_str()?;
                let value = match verb {
                    "add" | "replace" => op.get("value")?.clone(),
                    "remove" => Value::String("(removed)".into()),
                    _ => return None,
                };
                set_pointer(&mut body, path, value)?;
            }
            Some((kind, name, body))
        }
        Value::Object(mut map) => {
            let kind =
                field(target, "kind").or_else(|| map.get("kind")?.as_str().map(str::to_owned))?;
            let name = field(target, "name").or_else(|| field(map.get("metadata"), "name"))?;
            map.remove("apiVersion");
            map.remove("kind");
            Some((kind, name, Value::Object(map)))
        }
        _ => None,
    }
}

/// Sets `value` at JSON pointer `pointer` (`/spec/minReplicas`, `~1` for `/`), making maps
/// on the way; `None` when a step lands on something that is not a map.
fn set_pointer(body: &mut Value, pointer: &str, value: Value) -> Option<()> {
    let steps: Vec<String> = pointer
        .strip_prefix('/')?
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    let (last, parents) = steps.split_last()?;
    let mut at = body;
    for step in parents {
        at = at
            .as_object_mut()?
            .entry(step.clone())
            .or_insert_with(|| Value::Object(Default::default()));
    }
    at.as_object_mut()?.insert(last.clone(), value);
    Some(())
}

fn merge_into(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(&k) {
                    Some(existing) => merge_into(existing, v),
                    None => {
                        a.insert(k, v);
                    }
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

fn id(doc: &Value) -> String {
    let kind = doc
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("Document");
    let meta = doc.get("metadata");
    let name = meta.and_then(|m| m.get("name")).and_then(Value::as_str);
    let namespace = meta
        .and_then(|m| m.get("namespace"))
        .and_then(Value::as_str);
    match (namespace, name) {
        (Some(ns), Some(name)) => format!("{kind} {ns}/{name}"),
        (None, Some(name)) => format!("{kind} {name}"),
        _ => kind.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str) -> Vec<String> {
        resources("kubernetes/a/base/x.yaml", text)
            .unwrap()
            .keys()
            .cloned()
            .collect()
    }

    #[test]
    fn kind_namespace_name() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: ns}\n---\nkind: Service\nmetadata: {name: a}\n---\nkind: Kustomization\n";
        assert_eq!(ids(text), ["Deployment ns/a", "Service a", "Kustomization"]);
    }

    #[test]
    fn kustomization_patches_read_as_the_resources_they_patch() {
        let text = "kind: Kustomization\nnamespace: payments\nresources: [a.yaml]\npatches:\n- target: {kind: HorizontalPodAutoscaler, name: pay}\n  patch: |\n    - op: replace\n      path: /spec/minReplicas\n      value: 10\n- patch: |\n    kind: Deployment\n    metadata: {name: pay}\n    spec: {replicas: 2}\n";
        let found = resources("kubernetes/pay/overlays/prod/kustomization.yaml", text).unwrap();
        let got: Vec<String> = found.iter().map(|(k, v)| format!("{k} {v}")).collect();
        assert_eq!(
            got,
            [
                "Kustomization {\"kind\":\"Kustomization\",\"namespace\":\"payments\",\"resources\":[\"a.yaml\"]}",
                "HorizontalPodAutoscaler payments/pay {\"spec\":{\"minReplicas\":10}}",
                "Deployment payments/pay {\"spec\":{\"replicas\":2},\"metadata\":{\"name\":\"pay\"}}"
            ]
        );
    }

    #[test]
    fn a_repeated_identity_is_numbered() {
        let text = "kind: Service\nmetadata: {name: a}\n---\nkind: Service\nmetadata: {name: a}\n";
        assert_eq!(ids(text), ["Service a", "Service a #2"]);
    }

    #[test]
    fn broken_files_are_errors_and_other_files_have_no_resources() {
        assert!(resources("kubernetes/x.yaml", "a: [").is_err());
        let none = resources("kubernetes/readme.md", "anything").unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn claims_by_layout() {
        let cases = [
            (
                "kubernetes/pay/overlays/prod/kustomization.yaml",
                Some(Some("prod")),
            ),
            (
                "kubernetes/environments/dev/kustomization.yaml",
                Some(Some("dev")),
            ),
            ("kubernetes/pay/base/deployment.yaml", Some(None)),
            ("terraform/environments/dev/main.tf", None),
        ];
        for (path, want) in cases {
            let want = want.map(|env| env.map(str::to_owned));
            assert_eq!(claim(path), want, "{path}");
        }
    }
}
