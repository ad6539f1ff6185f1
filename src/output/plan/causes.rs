//! The cause of each changed field: the input positions that produced its new value
//! (`← environments/prod.yaml:47:21`), and which layer of the merge each is ([`Layers`]).
//!
//! A field of a Kubernetes file of service `S` (`kubernetes/S/base/…` from the registry
//! service, `kubernetes/S/overlays/E/…` from the service merged for `E`,
//! `kubernetes/S/overlays/E/cells/C/…` from the service merged for cell `C` of `E`) is traced
//! to the merged spanned tree of that service and to its `versions.yaml` entry (a cell's pin
//! is its stable tag): a table of the rendered paths the Kubernetes back end derives from one
//! input field (replicas, the CPU target, resources, ports, config literals, image tags,
//! canary weights and canary sizing), each naming the input leaf. A cell's Application names
//! the cell's `cluster.name`.
//!
//! A field of a Terraform root (`terraform/environments/E/…`, or `…/E/cells/C/…` for a cell)
//! is traced to the environment's tree (the cell's, merged over it) and its services merged:
//! the cluster's name, version and node pools (`node_pools.<pool>.max` from
//! `cluster.nodePools.<pool>.max`, the Azure `system_pool` from the pool it names), the
//! network's CIDR, and a backing resource's sizing (`module.<type>["<service>-<entry>"]`'s
//! `each.value.storage_gb` from `infra.<entry>.storageGb`, wherever the merge took it from:
//! the service, the environment's override or its `infraDefaults`).
//!
//! The position comes from the merge's provenance, never from searching the inputs for the
//! value. A traced cause is kept only when the rendered value is the one that input leaf
//! gives (through the back end's formula, for derived values): a field whose rendering the
//! table does not know, or whose value does not follow from the traced input, gets no cause
//! rather than a wrong one.
//!
//! Not traced (no cause printed): fields of another service's objects (a caller's egress
//! port), probes, rollout surge, labels other than the version label, image names, names
//! infrac derives (cloud resource names, pool names it had to shorten), the messaging roots,
//! CI fields (the pipelines are rendered from the model, which keeps no input positions), and
//! whole subtrees a patch adds.

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
    let names: Vec<&str> = inputs
        .registry
        .get("services")
        .and_then(Node::as_map)
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let mut wanted = BTreeSet::new();
    let mut any = false;
    for file in &plan.files {
        if file.resources.iter().all(|r| r.fields.is_empty()) {
            continue;
        }
        match origin(file.target, &file.logical_path) {
            Some(Origin::Service { service, .. }) => {
                wanted.insert(service.to_owned());
                any = true;
            }
            Some(Origin::Root { .. }) => {
                any = true;
                // The owners of the module instances that changed (`<service>-<entry>`).
                for r in file.resources.iter().filter(|r| !r.fields.is_empty()) {
                    if let Some((_, key)) = instance(&r.id) {
                        let owners = names.iter().filter(|n| owns(n, &key));
                        wanted.extend(owners.map(|n| (*n).to_owned()));
                    }
                }
            }
            Some(Origin::Aggregate { .. }) => any = true,
            None => {}
        }
    }
    if !any {
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
        let Some(origin) = origin(file.target, &file.logical_path) else {
            continue;
        };
        let trace: Box<FieldTrace> = match origin {
            Origin::Service { service, env, cell } => {
                let Some(svc) = traced_service(&merged, inputs.versions, service, env, cell) else {
                    continue;
                };
                Box::new(move |kind, name, path, new| svc.trace_tree(kind, name, path, new))
            }
            Origin::Aggregate { env, cell } => {
                let Some(scope) = scope(&merged, env, Some(cell)) else {
                    continue;
                };
                Box::new(move |kind, _, path, new| {
                    // The cell's Application deploys to the cell's cluster:
                    // `backend::kubernetes::cells` sets `spec.destination.name` to it.
                    (kind == "Application" && path == "spec.destination.name")
                        .then(|| one(scope.node.get("cluster")?.get("name"), new))?
                })
            }
            Origin::Root { env, cell } => {
                let Some(scope) = scope(&merged, env, cell) else {
                    continue;
                };
                // The blocks as generated, read only when a field needs more of its block.
                let (text, logical) = (file.new.clone(), file.logical_path.clone());
                let bodies = std::cell::OnceCell::new();
                Box::new(move |id, _, path, new| {
                    let segments = segments(path)?;
                    let body = || {
                        bodies
                            .get_or_init(|| {
                                let text = text.as_deref().unwrap_or_default();
                                crate::backend::resources(Target::Terraform, &logical, text)
                                    .unwrap_or_default()
                            })
                            .get(id)
                    };
                    trace_segments(&segments, new, &|at, leaf| {
                        scope.terraform(id, &body, at, leaf)
                    })
                })
            }
        };
        for resource in &mut file.resources {
            let (kind, name) = match origin {
                Origin::Root { .. } => (resource.id.as_str(), ""),
                _ => match kind_and_name(&resource.id) {
                    Some(k) => k,
                    None => continue,
                },
            };
            for field in &mut resource.fields {
                let Some(new) = &field.new else { continue };
                if let Some(positions) = trace(kind, name, &field.path, new) {
                    field.cause = positions
                        .into_iter()
                        .map(|p| layers.cause(inputs.sources, p))
                        .collect();
                }
            }
        }
    }
}

/// The input positions behind a field's new value: (kind or address, name, path, new value).
type FieldTrace<'a> = dyn Fn(&str, &str, &str, &Json) -> Option<Vec<Pos>> + 'a;

/// The input positions behind one leaf at a path of segments.
type LeafTrace<'a> = dyn Fn(&[String], &Json) -> Option<Vec<Pos>> + 'a;

/// What a changed file is rendered from.
#[derive(Clone, Copy)]
enum Origin<'a> {
    /// A Kubernetes file of one service: its base (no environment), an environment's
    /// overlay, or an overlay made for one cell.
    Service {
        service: &'a str,
        env: Option<&'a str>,
        cell: Option<&'a str>,
    },
    /// A cell's own Kubernetes files (its aggregate and Application).
    Aggregate { env: &'a str, cell: &'a str },
    /// A Terraform root: an environment's, or one cell's (not the messaging roots).
    Root { env: &'a str, cell: Option<&'a str> },
}

fn origin(target: Option<Target>, logical: &str) -> Option<Origin<'_>> {
    match target? {
        Target::Kubernetes => {
            if let Some((env, cell)) = crate::backend::kubernetes::cells::cell_of(logical)
                && logical.starts_with("kubernetes/environments/")
            {
                return Some(Origin::Aggregate { env, cell });
            }
            let (service, env, cell) = owner(Target::Kubernetes, logical)?;
            Some(Origin::Service { service, env, cell })
        }
        Target::Terraform => {
            let rest = logical.strip_prefix("terraform/environments/")?;
            let parts: Vec<&str> = rest.split('/').collect();
            match parts.as_slice() {
                [env, _] => Some(Origin::Root { env, cell: None }),
                [env, "cells", cell, _] => Some(Origin::Root {
                    env,
                    cell: Some(cell),
                }),
                _ => None,
            }
        }
        Target::Ci => None,
    }
}

/// The service, environment (none for the base) and cell of a Kubernetes file of one service.
fn owner(target: Target, logical: &str) -> Option<(&str, Option<&str>, Option<&str>)> {
    if target != Target::Kubernetes {
        return None;
    }
    let rest = logical.strip_prefix("kubernetes/")?;
    let (service, rest) = rest.split_once('/')?;
    if let Some(rest) = rest.strip_prefix("overlays/") {
        let (env, rest) = rest.split_once('/')?;
        let cell = match rest.strip_prefix("cells/") {
            Some(rest) => Some(rest.split_once('/')?.0),
            None => None,
        };
        return Some((service, Some(env), cell));
    }
    rest.starts_with("base/").then_some((service, None, None))
}

/// The merged tree of `service` for its base, an environment or a cell, with its versions
/// entry and the cell's pin.
fn traced_service<'a>(
    merged: &'a crate::merge::MergedPlatform,
    versions: Option<&'a Node>,
    service: &'a str,
    env: Option<&str>,
    cell: Option<&'a str>,
) -> Option<Traced<'a>> {
    let Some(env) = env else {
        let s = merged.registry_services.get(service)?;
        return Some(Traced {
            name: service,
            node: &s.node,
            versions: None,
            cell: None,
        });
    };
    let e = merged.environments.iter().find(|e| e.name == env)?;
    let node = match cell {
        None => &e.services.get(service)?.node,
        Some(c) => {
            &e.cells
                .iter()
                .find(|x| x.name == c)?
                .services
                .get(service)?
                .node
        }
    };
    Some(Traced {
        name: service,
        node,
        versions: version_entry(versions, env, service),
        cell,
    })
}

/// An environment's tree (or a cell's, merged over it) and its services merged.
#[derive(Clone, Copy)]
struct Scope<'a> {
    node: &'a Node,
    services: &'a BTreeMap<String, crate::merge::MergedService>,
}

fn scope<'a>(
    merged: &'a crate::merge::MergedPlatform,
    env: &str,
    cell: Option<&str>,
) -> Option<Scope<'a>> {
    let e = merged.environments.iter().find(|e| e.name == env)?;
    match cell {
        None => Some(Scope {
            node: e.node,
            services: &e.services,
        }),
        Some(c) => {
            let c = e.cells.iter().find(|x| x.name == c)?;
            Some(Scope {
                node: &c.node,
                services: &c.services,
            })
        }
    }
}

/// `module.postgres["orders-db"]` → (`postgres`, `orders-db`).
fn instance(id: &str) -> Option<(&str, String)> {
    let rest = id.strip_prefix("module.")?;
    let (kind, key) = rest.split_once('[')?;
    let key: String = serde_json::from_str(key.strip_suffix(']')?).ok()?;
    Some((kind, key))
}

/// Whether `key` (`<service>-<entry>`) can be an instance of `service`.
fn owns(service: &str, key: &str) -> bool {
    key.strip_prefix(service)
        .and_then(|r| r.strip_prefix('-'))
        .is_some_and(|entry| !entry.is_empty())
}

/// The input leaf `node`, when it renders as `new`.
fn one(node: Option<&Node>, new: &Json) -> Option<Vec<Pos>> {
    let node = node?;
    same(node, new).then(|| vec![node.pos])
}

/// A field path as its segments: `node_pools.default.max` → [`node_pools`, `default`,
/// `max`], `labels["a/b"]` → [`labels`, `a/b`]. An unquoted `[…]` (a list item) stays
/// bracketed, so it matches no key.
fn segments(path: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            rest = r;
            continue;
        }
        if let Some(r) = rest.strip_prefix('[') {
            if r.starts_with('"') {
                let mut stream = serde_json::Deserializer::from_str(r).into_iter::<String>();
                let key = stream.next()?.ok()?;
                let used = stream.byte_offset();
                out.push(key);
                rest = r[used..].strip_prefix(']')?;
            } else {
                let end = r.find(']')?;
                out.push(format!("[{}]", &r[..end]));
                rest = &r[end + 1..];
            }
            continue;
        }
        let end = rest.find(['.', '[']).unwrap_or(rest.len());
        out.push(rest[..end].to_owned());
        rest = &rest[end..];
    }
    Some(out)
}

/// `trace` at `at`, or for a subtree the union over its leaves, only when every leaf is
/// traced.
fn trace_segments(at: &[String], new: &Json, trace: &LeafTrace) -> Option<Vec<Pos>> {
    let Json::Object(map) = new else {
        return trace(at, new);
    };
    if map.is_empty() {
        return None;
    }
    let mut all = Vec::new();
    for (key, value) in map {
        let mut path = at.to_vec();
        path.push(key.clone());
        for pos in trace_segments(&path, value, trace)? {
            if !all.contains(&pos) {
                all.push(pos);
            }
        }
    }
    Some(all)
}

impl Scope<'_> {
    /// The input position behind `new` at `at` of the Terraform block `id` (`body` reads the
    /// block as generated): the cluster's name, version and node pools, the network's CIDR
    /// and a backing resource's sizing. The attribute names are the ones
    /// `backend::terraform::stack` writes.
    fn terraform<'b>(
        &self,
        id: &str,
        body: &dyn Fn() -> Option<&'b Json>,
        at: &[String],
        new: &Json,
    ) -> Option<Vec<Pos>> {
        let at: Vec<&str> = at.iter().map(String::as_str).collect();
        let leaf = |path: &[&str]| path.iter().try_fold(self.node, |n, k| n.get(k));
        match id {
            "module.cluster" => {
                let cluster = |rest: &[&str]| {
                    let mut p = vec!["cluster"];
                    p.extend_from_slice(rest);
                    leaf(&p)
                };
                match at.as_slice() {
                    ["name"] => one(cluster(&["name"]), new),
                    ["kubernetes_version"] => one(cluster(&["version"]), new),
                    ["node_pools", pool, field @ ..] => {
                        // A pool's name renders as itself only when it is already a valid
                        // one; another name is not traced.
                        let pool = cluster(&["nodePools", pool])?;
                        one(pool_field(pool, field), new)
                    }
                    ["system_pool", field @ ..] if field != ["name"] => {
                        // The system pool is the one whose name the block carries.
                        let name = body()?.get("system_pool")?.get("name")?.as_str()?;
                        let pool = cluster(&["nodePools", name])?;
                        one(pool_field(pool, field), new)
                    }
                    _ => None,
                }
            }
            "module.network" => match at.as_slice() {
                ["cidr"] => one(leaf(&["network", "cidr"]), new),
                _ => None,
            },
            _ => {
                let (kind, key) = instance(id)?;
                let ["each", "value", field] = at.as_slice() else {
                    return None;
                };
                let input = match *field {
                    "engine_version" => "version",
                    "sku" => "sku",
                    "storage_gb" => "storageGb",
                    "backup_retention_days" => "backupRetentionDays",
                    "high_availability" => "highAvailability",
                    "brokers" => "brokers",
                    "nodes" => "nodes",
                    _ => return None,
                };
                // The one service whose infra entry of this type the instance is.
                let mut found = self.services.iter().filter_map(|(name, s)| {
                    let entry = key.strip_prefix(name.as_str())?.strip_prefix('-')?;
                    let infra = s.node.get("infra")?.get(entry)?;
                    (infra.get("type")?.as_str()? == kind).then_some(infra)
                });
                let infra = found.next()?;
                if found.next().is_some() {
                    return None;
                }
                one(infra.get(input), new)
            }
        }
    }
}

/// A node pool's field as the cluster module reads it: `vm_size`, `min`, `max`, `labels.<k>`.
fn pool_field<'a>(pool: &'a Node, field: &[&str]) -> Option<&'a Node> {
    match field {
        ["vm_size"] => pool.get("vmSize"),
        ["min"] => pool.get("min"),
        ["max"] => pool.get("max"),
        ["labels", key] => pool.get("labels")?.get(key),
        _ => None,
    }
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
    /// The cell whose overlay it is: its pin (`cells: {<cell>: <tag>}`) is its stable tag.
    cell: Option<&'a str>,
}

impl Traced<'_> {
    fn leaf(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self.node, |n, k| n.get(k))
    }

    fn stable_tag(&self) -> Option<&Node> {
        let entry = self.versions?;
        if let Some(pin) = self.cell.and_then(|c| entry.get("cells")?.get(c)) {
            return Some(pin);
        }
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
            cell: None,
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
    fn field_paths_split_into_segments() {
        let s = |p| segments(p).unwrap();
        assert_eq!(
            s("node_pools.default.max"),
            ["node_pools", "default", "max"]
        );
        assert_eq!(s("each.value.sku"), ["each", "value", "sku"]);
        assert_eq!(s("labels[\"a/b\"].c"), ["labels", "a/b", "c"]);
        assert_eq!(s("topics[0]"), ["topics", "[0]"]);
        assert_eq!(
            instance("module.postgres[\"orders-db\"]"),
            Some(("postgres", "orders-db".to_owned()))
        );
        assert_eq!(instance("module.cluster"), None);
    }

    /// A Terraform field is traced to the environment's (or cell's) input only when the
    /// rendered value is the one that input gives.
    #[test]
    fn terraform_fields_follow_their_input() {
        use crate::load::yaml::parse;
        use serde_json::json;
        let env = parse(
            "cluster:\n  name: c\n  nodePools:\n    system: {vmSize: D4, min: 3, max: 3}\n    default: {vmSize: D8, min: 6, max: 20, labels: {workload: general}}\nnetwork: {cidr: 10.0.0.0/16}\n",
            0,
        )
        .unwrap();
        let svc = parse("infra:\n  db: {type: postgres, storageGb: 64}\n", 1).unwrap();
        let mut services = BTreeMap::new();
        services.insert(
            "orders".to_owned(),
            crate::merge::MergedService {
                name: "orders".into(),
                key_pos: svc.pos,
                node: svc.clone(),
            },
        );
        let scope = Scope {
            node: &env,
            services: &services,
        };
        let body = json!({"system_pool": {"name": "system"}});
        let t = |id: &str, path: &str, new: Json| {
            let at = segments(path).unwrap();
            trace_segments(&at, &new, &|at, leaf| {
                scope.terraform(id, &|| Some(&body), at, leaf)
            })
        };
        let pools = env.get("cluster").unwrap().get("nodePools").unwrap();
        let max = pools.get("default").unwrap().get("max").unwrap().pos;
        assert_eq!(
            t("module.cluster", "node_pools.default.max", json!(20)),
            Some(vec![max])
        );
        assert_eq!(
            t("module.cluster", "node_pools.default.max", json!(16)),
            None
        );
        let label = pools
            .get("default")
            .unwrap()
            .get("labels")
            .unwrap()
            .get("workload")
            .unwrap()
            .pos;
        assert_eq!(
            t(
                "module.cluster",
                "node_pools.default.labels",
                json!({"workload": "general"})
            ),
            Some(vec![label])
        );
        let system_min = pools.get("system").unwrap().get("min").unwrap().pos;
        assert_eq!(
            t("module.cluster", "system_pool.min", json!(3)),
            Some(vec![system_min])
        );
        assert_eq!(
            t("module.cluster", "system_pool.name", json!("system")),
            None
        );
        let storage = svc
            .get("infra")
            .unwrap()
            .get("db")
            .unwrap()
            .get("storageGb")
            .unwrap()
            .pos;
        assert_eq!(
            t(
                "module.postgres[\"orders-db\"]",
                "each.value.storage_gb",
                json!(64)
            ),
            Some(vec![storage])
        );
        // Another type, or a value the input does not give: no cause.
        assert_eq!(
            t(
                "module.mysql[\"orders-db\"]",
                "each.value.storage_gb",
                json!(64)
            ),
            None
        );
        assert_eq!(
            t(
                "module.postgres[\"orders-db\"]",
                "each.value.storage_gb",
                json!(32)
            ),
            None
        );
        assert_eq!(
            t(
                "module.postgres[\"orders-db\"]",
                "each.value.sku",
                json!("B1")
            ),
            None
        );
        let cidr = env.get("network").unwrap().get("cidr").unwrap().pos;
        assert_eq!(
            t("module.network", "cidr", json!("10.0.0.0/16")),
            Some(vec![cidr])
        );
    }

    #[test]
    fn owners_of_kubernetes_paths() {
        let k = Target::Kubernetes;
        assert_eq!(
            owner(k, "kubernetes/api/base/resources.yaml"),
            Some(("api", None, None))
        );
        assert_eq!(
            owner(k, "kubernetes/api/overlays/prod/kustomization.yaml"),
            Some(("api", Some("prod"), None))
        );
        assert_eq!(
            owner(
                k,
                "kubernetes/api/overlays/prod/cells/za-1/kustomization.yaml"
            ),
            Some(("api", Some("prod"), Some("za-1")))
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
