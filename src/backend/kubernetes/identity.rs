//! How the plan reads a Kubernetes file back: which environment a path under `kubernetes/`
//! belongs to, and each document's identity, `Kind namespace/name` (`Kind name` when the
//! file leaves the namespace to Kustomize; `Kind` alone for a nameless Kustomization).
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

/// Every document of a (multi-document) YAML file by identity; other files have none.
pub fn resources(logical_path: &str, text: &str) -> Result<Resources, String> {
    let mut out = Resources::new();
    if !(logical_path.ends_with(".yaml") || logical_path.ends_with(".yml")) {
        return Ok(out);
    }
    let docs: Vec<Value> = serde_saphyr::from_multiple_with_options(text, yaml_read_options())
        .map_err(|e| e.to_string())?;
    for doc in docs.into_iter().filter(Value::is_object) {
        push_resource(&mut out, id(&doc), doc);
    }
    Ok(out)
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
