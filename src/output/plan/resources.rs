//! Which resources a file change adds, changes or removes.
//!
//! The resources of a file and their identities come from the back end that writes it
//! ([`crate::backend::resources`]): this module only compares two versions of a file.

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
                let fields = match (ov, nv) {
                    (Value::String(_), Value::String(_)) => Vec::new(),
                    _ => diff_fields(ov, nv),
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
}
