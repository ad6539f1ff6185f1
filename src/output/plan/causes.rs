//! The cause of each changed field: the input positions that produced its new value
//! (`← environments/prod.yaml:47:21`), and which layer of the merge each is ([`Layers`]).
//!
//! A field of a Kubernetes file of service `S` (`kubernetes/S/base/…` from the registry
//! service, `kubernetes/S/overlays/E/…` from the service merged for `E`) is traced to the
//! merged spanned tree of that service and to its `versions.yaml` entry: a table of the
//! rendered paths the Kubernetes back end derives from one input field (replicas, the CPU
//! target, resources, ports, config literals, image tags, canary weights and canary sizing),
//! each naming the input leaf. The position comes from the merge's provenance, never from
//! searching the inputs for the value. A traced cause is kept only when the rendered value
//! is the one that input leaf gives (through the back end's formula, for derived values): a
//! field whose rendering the table does not know, or whose value does not follow from the
//! traced input, gets no cause rather than a wrong one.
//!
//! Not traced (no cause printed): fields of another service's objects (a caller's egress
//! port), probes, rollout surge, labels other than the version label, image names, every
//! Terraform and CI field, and whole subtrees a patch adds.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use super::Plan;
use super::fields::Cause;
use crate::artifact::Target;
use crate::diagnostic::Sources;
use crate::load::yaml::{FileId, Node, Pos, Value};

/// Which layer of the merge an input position is, by the top-level key of its file that holds
/// it (`defaults`, `services`, `infraDefaults`) and the kind of file.
pub struct Layers {
    files: BTreeMap<FileId, (FileKind, Vec<(u32, String)>)>,
}

#[derive(Clone, Copy)]
enum FileKind {
    Registry,
    Environment,
    Versions,
}

impl Layers {
    pub fn new(registry: &Node, environments: &[(String, Node)], versions: Option<&Node>) -> Self {
        let mut files = BTreeMap::new();
        let mut add = |node: &Node, kind| {
            let mut keys: Vec<(u32, String)> = node
                .as_map()
                .map(|m| {
                    m.iter()
                        .map(|(k, e)| (e.key_pos.offset, k.clone()))
                        .collect()
                })
                .unwrap_or_default();
            keys.sort();
            files.insert(node.pos.file, (kind, keys));
        };
        add(registry, FileKind::Registry);
        for (_, env) in environments {
            add(env, FileKind::Environment);
        }
        if let Some(v) = versions {
            add(v, FileKind::Versions);
        }
        Self { files }
    }

    /// `registry default`, `service`, `environment default`, `environment overlay`,
    /// `environment infra default`, `versions` (or `registry`, `environment`, `input` for
    /// a position outside those).
    pub fn layer(&self, pos: Pos) -> &'static str {
        let Some((kind, keys)) = self.files.get(&pos.file) else {
            return "input";
        };
        let key = keys
            .iter()
            .rev()
            .find(|(offset, _)| *offset <= pos.offset)
            .map(|(_, k)| k.as_str());
        match (kind, key) {
            (FileKind::Registry, Some("defaults")) => "registry default",
            (FileKind::Registry, Some("services")) => "service",
            (FileKind::Registry, _) => "registry",
            (FileKind::Environment, Some("defaults")) => "environment default",
            (FileKind::Environment, Some("infraDefaults")) => "environment infra default",
            (FileKind::Environment, Some("services")) => "environment overlay",
            (FileKind::Environment, Some("cells")) => "cell",
            (FileKind::Environment, _) => "environment",
            (FileKind::Versions, _) => "versions",
        }
    }

    /// A position as a [`Cause`].
    pub fn cause(&self, sources: &Sources, pos: Pos) -> Cause {
        Cause {
            file: sources.path(pos.file).to_owned(),
            line: pos.line,
            column: pos.column,
            layer: self.layer(pos),
        }
    }
}

/// The inputs the causes are traced to: the parsed files as loaded.
pub struct TraceInputs<'a> {
    pub sources: &'a Sources,
    pub registry: &'a Node,
    pub environments: &'a [(String, Node)],
    pub versions: Option<&'a Node>,
}

/// Sets the `cause` of every field change of the plan that can be traced.
pub fn attach(plan: &mut Plan, inputs: &TraceInputs) {
    let mut wanted = BTreeSet::new();
    for file in &plan.files {
        if let Some((service, _)) = owner(file.target, &file.logical_path)
            && file.resources.iter().any(|r| !r.fields.is_empty())
        {
            wanted.insert(service.to_owned());
        }
    }
    if wanted.is_empty() {
        return;
    }
    // Only the services the plan touches are merged again, by the same merge.
    let mut registry = inputs.registry.clone();
    if let Some(services) = registry
        .as_map_mut()
        .and_then(|m| m.get_mut("services"))
        .and_then(|e| e.value.as_map_mut())
    {
        services.retain(|name, _| wanted.contains(name));
    }
    let merged = crate::merge::merge_platform(&registry, inputs.environments);
    let layers = Layers::new(inputs.registry, inputs.environments, inputs.versions);
    for file in &mut plan.files {
        let Some((service, env)) = owner(file.target, &file.logical_path) else {
            continue;
        };
        let (node, entry) = match env {
            None => match merged.registry_services.get(service) {
                Some(s) => (&s.node, None),
                None => continue,
            },
            Some(env) => {
                let Some(s) = merged
                    .environments
                    .iter()
                    .find(|e| e.name == env)
                    .and_then(|e| e.services.get(service))
                else {
                    continue;
                };
                (&s.node, version_entry(inputs.versions, env, service))
            }
        };
        let svc = Traced {
            name: service,
            node,
            versions: entry,
        };
        for resource in &mut file.resources {
            let Some((kind, name)) = kind_and_name(&resource.id) else {
                continue;
            };
            for field in &mut resource.fields {
                let Some(new) = &field.new else { continue };
                if let Some(positions) = svc.trace_tree(kind, name, &field.path, new) {
                    field.cause = positions
                        .into_iter()
                        .map(|p| layers.cause(inputs.sources, p))
                        .collect();
                }
            }
        }
    }
}

/// The service and environment (none for the base) of a Kubernetes file of one service.
fn owner(target: Target, logical: &str) -> Option<(&str, Option<&str>)> {
    if target != Target::Kubernetes {
        return None;
    }
    let rest = logical.strip_prefix("kubernetes/")?;
    let (service, rest) = rest.split_once('/')?;
    if let Some(rest) = rest.strip_prefix("overlays/") {
        let (env, _) = rest.split_once('/')?;
        return Some((service, Some(env)));
    }
    rest.starts_with("base/").then_some((service, None))
}

/// `Deployment payments/api` → (`Deployment`, `api`); `Kustomization` → (`Kustomization`, ``).
fn kind_and_name(id: &str) -> Option<(&str, &str)> {
    match id.split_once(' ') {
        Some((kind, rest)) => Some((kind, rest.rsplit('/').next()?)),
        None => Some((id, "")),
    }
}

/// The `versions.yaml` entry of `service` in `env`.
fn version_entry<'a>(versions: Option<&'a Node>, env: &str, service: &str) -> Option<&'a Node> {
    versions?.get("environments")?.get(env)?.get(service)
}

/// One service's merged tree and its versions entry (none for the base).
struct Traced<'a> {
    name: &'a str,
    node: &'a Node,
    versions: Option<&'a Node>,
}

impl Traced<'_> {
    fn leaf(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self.node, |n, k| n.get(k))
    }

    fn stable_tag(&self) -> Option<&Node> {
        let entry = self.versions?;
        match entry.value {
            Value::Str(_) => Some(entry),
            _ => entry.get("stable"),
        }
    }

    fn canary(&self, key: &str) -> Option<&Node> {
        self.versions?.get("canary")?.get(key)
    }

    /// The one port of the service (a port rendered into another object is traced only
    /// when there is no other port it could be).
    fn single_port(&self) -> Option<&Node> {
        match self.leaf(&["ports"])?.as_seq()? {
            [port] => port.get("port"),
            _ => None,
        }
    }

    fn named_port(&self, name: &str) -> Option<&Node> {
        let ports = self.leaf(&["ports"])?.as_seq()?;
        ports
            .iter()
            .find(|p| p.get("name").and_then(Node::as_str) == Some(name))?
            .get("port")
    }

    /// The input positions that produce `new` at `path` of the object `kind`/`name`.
    fn trace(&self, kind: &str, name: &str, path: &str, new: &Json) -> Option<Vec<Pos>> {
        let s = self.name;
        let canary_name = format!("{s}-canary");
        let is_canary = name == canary_name;
        let own = name == s || is_canary;
        let one = |node: Option<&Node>| -> Option<Vec<Pos>> {
            let node = node?;
            same(node, new).then(|| vec![node.pos])
        };
        match kind {
            "Kustomization" => {
                if path == format!("images[{s}].newTag") {
                    return one(self.stable_tag());
                }
                let key = path
                    .strip_prefix(&format!("configMapGenerator[{s}-config].literals["))?
                    .strip_suffix(']')?;
                let value = self.leaf(&["config", key])?;
                let text = scalar_text(value)?;
                (new.as_str() == Some(&format!("{key}={text}"))).then(|| vec![value.pos])
            }
            "Deployment" if own => {
                let container = [
                    format!("spec.template.spec.containers[{s}]."),
                    "spec.template.spec.containers.0.".to_owned(),
                ];
                if let Some(rest) = container.iter().find_map(|p| path.strip_prefix(p.as_str())) {
                    if let Some(q) = rest.strip_prefix("resources.") {
                        let (side, quantity) = q.split_once('.')?;
                        if matches!(side, "requests" | "limits")
                            && matches!(quantity, "cpu" | "memory")
                        {
                            return one(self.leaf(&["resources", side, quantity]));
                        }
                        return None;
                    }
                    let port = rest
                        .strip_prefix("ports[")?
                        .strip_suffix("].containerPort")?;
                    return one(self.named_port(port));
                }
                if path == "metadata.labels[\"app.kubernetes.io/version\"]"
                    || path == "spec.template.metadata.labels[\"app.kubernetes.io/version\"]"
                {
                    return one(if is_canary {
                        self.canary("tag")
                    } else {
                        self.stable_tag()
                    });
                }
                if is_canary && path == "spec.replicas" {
                    return self.canary_size(&["replicas", "min"], None, new);
                }
                None
            }
            "HorizontalPodAutoscaler" if own => match path {
                "spec.minReplicas" if is_canary => {
                    self.canary_size(&["replicas", "min"], None, new)
                }
                "spec.maxReplicas" if is_canary => {
                    self.canary_size(&["replicas", "max"], Some(&["replicas", "min"]), new)
                }
                "spec.minReplicas" => one(self.leaf(&["replicas", "min"])),
                "spec.maxReplicas" => one(self.leaf(&["replicas", "max"])),
                "spec.metrics[0].resource.target.averageUtilization" => {
                    one(self.leaf(&["replicas", "targetCPU"]))
                }
                _ => None,
            },
            "VirtualService" if name == s => {
                if glob("spec.http[*].route[1].weight", path) {
                    return one(self.canary("weight"));
                }
                if glob("spec.http[*].route[0].weight", path) {
                    let weight = self.canary("weight")?;
                    let w = int(weight)?;
                    return (new.as_i64() == Some(100 - w.min(100))).then(|| vec![weight.pos]);
                }
                if glob("spec.http[*].route[*].destination.port.number", path) {
                    return one(self.single_port());
                }
                None
            }
            "NetworkPolicy" if name == s && glob("spec.ingress[*].ports[*].port", path) => {
                one(self.single_port())
            }
            "AuthorizationPolicy"
                if name == s && glob("spec.rules[*].to[*].operation.ports[*]", path) =>
            {
                let port = self.single_port()?;
                let text = scalar_text(port)?;
                let shown = match new {
                    Json::String(t) => t.clone(),
                    other => other.to_string(),
                };
                (shown == text).then(|| vec![port.pos])
            }
            "Service" if name == s => {
                let port = path.strip_prefix("spec.ports[")?.strip_suffix("].port")?;
                one(self.named_port(port))
            }
            _ => None,
        }
    }

    /// [`Self::trace`], or for a subtree (what a patch adds: `containers.0.resources:
    /// {requests: {cpu: 750m}}`) the union over its leaves, only when every leaf is traced.
    fn trace_tree(&self, kind: &str, name: &str, path: &str, new: &Json) -> Option<Vec<Pos>> {
        let Json::Object(map) = new else {
            return self.trace(kind, name, path, new);
        };
        if map.is_empty() {
            return None;
        }
        let mut all = Vec::new();
        for (key, value) in map {
            for pos in self.trace_tree(kind, name, &format!("{path}.{key}"), value)? {
                if !all.contains(&pos) {
                    all.push(pos);
                }
            }
        }
        Some(all)
    }

    /// A canary's size, `ceil(bound × weight / 100)`, at least one (and the maximum at least
    /// the canary's minimum, from `floor`): caused by the canary weight and the bound.
    fn canary_size(&self, bound: &[&str], floor: Option<&[&str]>, new: &Json) -> Option<Vec<Pos>> {
        let weight = self.canary("weight")?;
        let w = int(weight)?.min(100);
        let b = self.leaf(bound)?;
        let size = |n: i64| (n * w + 99) / 100;
        let mut want = size(int(b)?).max(1);
        let mut causes = vec![weight.pos, b.pos];
        if let Some(floor) = floor {
            let f = self.leaf(floor)?;
            let min = size(int(f)?).max(1);
            if min > want {
                want = min;
                causes.push(f.pos);
            }
        }
        (new.as_i64() == Some(want)).then_some(causes)
    }
}

/// Whether the input leaf renders as `new` (a JSON scalar).
fn same(node: &Node, new: &Json) -> bool {
    match (&node.value, new) {
        (Value::Str(a), Json::String(b)) => a == b,
        (Value::Int(a), Json::Number(b)) => b.as_i64() == Some(*a),
        (Value::Bool(a), Json::Bool(b)) => a == b,
        (Value::Float(a), Json::Number(b)) => b.as_f64() == Some(*a),
        _ => false,
    }
}

fn int(node: &Node) -> Option<i64> {
    match node.value {
        Value::Int(i) => Some(i),
        _ => None,
    }
}

/// A scalar as text, the way a config value reaches the container.
fn scalar_text(node: &Node) -> Option<String> {
    match &node.value {
        Value::Str(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `pattern` with each `*` standing for the contents of one `[…]` segment.
fn glob(pattern: &str, path: &str) -> bool {
    let mut rest = path;
    let mut parts = pattern.split('*');
    let Some(first) = parts.next() else {
        return false;
    };
    let Some(r) = rest.strip_prefix(first) else {
        return false;
    };
    rest = r;
    for part in parts {
        let Some(end) = rest.find(']') else {
            return false;
        };
        if rest[..end].contains('[') {
            return false;
        }
        let Some(r) = rest[end..].strip_prefix(part) else {
            return false;
        };
        rest = r;
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_one_segment_per_star() {
        assert!(glob(
            "spec.http[*].route[1].weight",
            "spec.http[mesh-weighted].route[1].weight"
        ));
        assert!(!glob(
            "spec.http[*].route[1].weight",
            "spec.http[a].route[0].weight"
        ));
        assert!(!glob("a[*].b", "a[x].c[y].b"));
        assert!(glob("a[*]", "a[x]"));
    }

    /// A rendered value that does not follow from the traced input gets no cause.
    #[test]
    fn a_value_the_input_does_not_give_has_no_cause() {
        use crate::load::yaml::parse;
        use serde_json::json;
        let node = parse("replicas: {min: 3, max: 10}\nconfig: {A: 1}\n", 0).unwrap();
        let versions = parse("{stable: v1, canary: {tag: v2, weight: 25}}\n", 1).unwrap();
        let svc = Traced {
            name: "api",
            node: &node,
            versions: Some(&versions),
        };
        let hpa = |name, path, v| svc.trace_tree("HorizontalPodAutoscaler", name, path, &v);
        let min = node.get("replicas").unwrap().get("min").unwrap().pos;
        let weight = versions.get("canary").unwrap().get("weight").unwrap().pos;
        assert_eq!(hpa("api", "spec.minReplicas", json!(3)), Some(vec![min]));
        assert_eq!(hpa("api", "spec.minReplicas", json!(4)), None);
        assert_eq!(hpa("other", "spec.minReplicas", json!(3)), None);
        // ceil(3 × 25 / 100) = 1.
        assert_eq!(
            hpa("api-canary", "spec.minReplicas", json!(1)),
            Some(vec![weight, min])
        );
        assert_eq!(hpa("api-canary", "spec.minReplicas", json!(2)), None);
        let k = |path, v| svc.trace_tree("Kustomization", "", path, &v);
        assert!(k("configMapGenerator[api-config].literals[A]", json!("A=1")).is_some());
        assert_eq!(
            k("configMapGenerator[api-config].literals[A]", json!("A=2")),
            None
        );
        assert!(k("images[api].newTag", json!("v1")).is_some());
        assert_eq!(k("images[api].newTag", json!("v2")), None);
    }

    #[test]
    fn owners_of_kubernetes_paths() {
        let k = Target::Kubernetes;
        assert_eq!(
            owner(k, "kubernetes/api/base/resources.yaml"),
            Some(("api", None))
        );
        assert_eq!(
            owner(k, "kubernetes/api/overlays/prod/kustomization.yaml"),
            Some(("api", Some("prod")))
        );
        assert_eq!(
            owner(k, "kubernetes/environments/prod/namespaces.yaml"),
            None
        );
        assert_eq!(
            owner(Target::Ci, "kubernetes/api/base/resources.yaml"),
            None
        );
    }
}
