//! Which resources a file change adds, changes or removes.
//!
//! The resources of a file and their identities come from the back end that writes it
//! ([`crate::backend::resources`]): this module only compares two versions of a file.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::Value;

use super::fields::{FieldChange, diff_fields};
use crate::backend::Resources;

/// What happens to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceAction {
    Add,
    Change,
    Remove,
}

/// One resource that a file change touches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceChange {
    pub action: ResourceAction,
    /// `Deployment payments/payment-service`, `module.postgres`, `workflow ci.yml job build`.
    pub id: String,
    /// The fields that differ (changed resources only).
    pub fields: Vec<FieldChange>,
}

/// The resource-level changes between two versions of a file (either side may be empty).
pub fn diff_resources(old: &Resources, new: &Resources) -> Vec<ResourceChange> {
    let mut out = Vec::new();
    for (id, nv) in new {
        match old.get(id) {
            None => out.push(resource(ResourceAction::Add, id, Vec::new())),
            Some(ov) if ov != nv => {
                let (ov, nv) = (read_each(ov), read_each(nv));
                if ov == nv {
                    continue;
                }
                let fields = match (ov.as_ref(), nv.as_ref()) {
                    (Value::String(_), Value::String(_)) => Vec::new(),
                    (ov, nv) => diff_fields(ov, nv),
                };
                out.push(resource(ResourceAction::Change, id, fields));
            }
            Some(_) => {}
        }
    }
    for id in old.keys().filter(|id| !new.contains_key(*id)) {
        out.push(resource(ResourceAction::Remove, id, Vec::new()));
    }
    out
}

/// A `for_each` instance (`module.postgres["orders-db"]`, which the Terraform reader lists
/// with its `each.value`) with only the `each.value` attributes its block reads: a key of
/// the map no expression of the block names (`each.value.storage_gb` in a secret that reads
/// only `each.value.secret_name`) cannot change that instance, so it is no change of it. A
/// block that reads `each.value` whole keeps every key. Other resources are as they are.
fn read_each(body: &Value) -> Cow<'_, Value> {
    let Some(fields) = body.as_object() else {
        return Cow::Borrowed(body);
    };
    let Some(values) = fields
        .get("each")
        .and_then(|e| e.get("value"))
        .and_then(Value::as_object)
    else {
        return Cow::Borrowed(body);
    };
    let mut rest = fields.clone();
    rest.remove("each");
    let text = Value::Object(rest).to_string();
    const WHOLE: &str = "each.value";
    let whole = text
        .match_indices(WHOLE)
        .any(|(i, _)| !text[i + WHOLE.len()..].starts_with('.'));
    if whole {
        return Cow::Borrowed(body);
    }
    let read = |key: &str| {
        let name = format!("{WHOLE}.{key}");
        text.match_indices(&name).any(|(i, _)| {
            let next = text[i + name.len()..].chars().next();
            !next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
    };
    let kept: serde_json::Map<String, Value> = values
        .iter()
        .filter(|(k, _)| read(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut body = fields.clone();
    body.insert("each".into(), serde_json::json!({ "value": kept }));
    Cow::Owned(Value::Object(body))
}

fn resource(action: ResourceAction, id: &str, fields: Vec<FieldChange>) -> ResourceChange {
    ResourceChange {
        action,
        id: id.to_owned(),
        fields,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifact::Target;

    fn kubernetes(text: &str) -> Resources {
        crate::backend::resources(Target::Kubernetes, "kubernetes/x.yaml", text).unwrap()
    }

    #[test]
    fn resource_diff_reports_fields() {
        let old = kubernetes(
            "kind: Deployment\nmetadata: {name: a, namespace: n}\nspec: {replicas: 3}\n---\nkind: Service\nmetadata: {name: s}\n",
        );
        let new = kubernetes(
            "kind: Deployment\nmetadata: {name: a, namespace: n}\nspec: {replicas: 10}\n---\nkind: ConfigMap\nmetadata: {name: c}\n",
        );
        let changes = diff_resources(&old, &new);
        let summary: Vec<_> = changes.iter().map(|c| (c.action, c.id.as_str())).collect();
        assert_eq!(
            summary,
            [
                (ResourceAction::Change, "Deployment n/a"),
                (ResourceAction::Add, "ConfigMap c"),
                (ResourceAction::Remove, "Service s")
            ]
        );
        assert_eq!(changes[0].fields[0].describe(), "spec.replicas: 3 → 10");
    }

    /// An instance's `each.value` attribute its block never reads is no change of it.
    #[test]
    fn unread_each_values_are_no_change() {
        let tf = |sku: &str| {
            let text = format!(
                "locals {{\n  db = {{\n    a = {{ sku = \"{sku}\", secret_name = \"s\" }}\n  }}\n}}\nmodule \"db\" {{\n  for_each = local.db\n  sku      = each.value.sku\n}}\nresource \"x_secret\" \"db\" {{\n  for_each = local.db\n  name     = each.value.secret_name\n}}\nresource \"x_all\" \"db\" {{\n  for_each = local.db\n  value    = jsonencode(each.value)\n}}\n"
            );
            crate::backend::resources(Target::Terraform, "terraform/environments/p/main.tf", &text)
                .unwrap()
        };
        let changes = diff_resources(&tf("B1"), &tf("B2"));
        let got: Vec<(&str, Vec<String>)> = changes
            .iter()
            .map(|c| {
                (
                    c.id.as_str(),
                    c.fields.iter().map(|f| f.describe()).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "module.db[\"a\"]",
                    vec!["each.value.sku: B1 → B2".to_owned()]
                ),
                (
                    "x_all.db[\"a\"]",
                    vec!["each.value.sku: B1 → B2".to_owned()]
                ),
            ]
        );
    }
}
