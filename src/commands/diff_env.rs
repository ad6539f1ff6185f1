//! `infrac diff-env A B [SERVICE]`: every merged field whose value differs between two
//! environments, each side's value and where it came from (file:line:col and the layer of
//! the merge: registry default, service, environment default or overlay, versions).
//!
//! The fields are the service's merged tree (as `explain` shows it) and its `versions.yaml`
//! entry (`versions.stable`, `versions.canary.tag`, …). A service disabled on one side is one
//! line saying so.

use crate::cli::DiffEnvFormat;
use crate::error::Error;
use crate::load::yaml::{Node, Pos, Value};
use crate::merge::{MergedEnv, merge_platform};
use crate::output::plan::causes::Layers;
use crate::pipeline::run_frontend;
use crate::printer::Printer;
use serde_json::{Value as Json, json};
use std::path::Path;

/// One side of a differing field: the value and where it came from.
struct Side {
    value: Json,
    pos: Pos,
}

pub fn run(
    printer: &Printer,
    root: &Path,
    [a, b]: [&String; 2],
    service: Option<&str>,
    format: DiffEnvFormat,
) -> Result<u8, Error> {
    let frontend = run_frontend(root);
    if frontend.diagnostics.has_errors() {
        printer.diagnostics(&frontend.diagnostics, &frontend.sources)?;
        return Ok(1);
    }
    let registry = &frontend.inputs.registry.as_ref().expect("validated").node;
    let envs = frontend.environments_owned();
    let merged = merge_platform(registry, &envs);
    if let Some(name) = service
        && !merged.registry_services.contains_key(name)
    {
        let hint = crate::diagnostic::did_you_mean(
            name,
            merged.registry_services.keys().map(String::as_str),
        )
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
        printer.error(&format!("`{name}`: not a service of the registry{hint}"));
        return Ok(64);
    }
    let find = |name: &str| merged.environments.iter().find(|e| e.name == name);
    let (Some(env_a), Some(env_b)) = (find(a), find(b)) else {
        // The names were checked before the command ran; the files vanished since.
        printer.error("an environment named on the command line could not be read");
        return Ok(1);
    };
    let versions = frontend.inputs.versions.as_ref().map(|v| &v.node);
    let layers = Layers::new(registry, &envs, versions);
    let sources = &frontend.sources;
    let mut report = Vec::new();
    let names: Vec<&String> = merged
        .registry_services
        .keys()
        .filter(|n| service.is_none_or(|s| s == n.as_str()))
        .collect();
    for name in names {
        let sides = [env_a, env_b].map(|e| service_fields(e, name, versions));
        let entry = match &sides {
            [Err(_), Err(_)] => continue,
            [Err(pos), Ok(_)] | [Ok(_), Err(pos)] => {
                let which = if sides[0].is_err() { a } else { b };
                Entry::Disabled(which.clone(), *pos)
            }
            [Ok(fa), Ok(fb)] => {
                let mut paths: Vec<&String> = fa.iter().map(|(p, _)| p).collect();
                paths.extend(
                    fb.iter()
                        .map(|(p, _)| p)
                        .filter(|p| !fa.iter().any(|(q, _)| q == *p)),
                );
                fn get<'s>(f: &'s [(String, Side)], p: &str) -> Option<&'s Side> {
                    f.iter().find(|(q, _)| q == p).map(|(_, s)| s)
                }
                let fields: Vec<(String, Option<&Side>, Option<&Side>)> = paths
                    .into_iter()
                    .map(|p| (p.clone(), get(fa, p), get(fb, p)))
                    .filter(|(_, x, y)| x.map(|s| &s.value) != y.map(|s| &s.value))
                    .collect();
                if fields.is_empty() {
                    continue;
                }
                Entry::Fields(
                    fields
                        .into_iter()
                        .map(|(p, x, y)| {
                            let side = |s: Option<&Side>| s.map(|s| (s.value.clone(), s.pos));
                            (p, side(x), side(y))
                        })
                        .collect(),
                )
            }
        };
        report.push((name.clone(), entry));
    }
    let place = |pos: Pos| {
        let c = layers.cause(sources, pos);
        (c.place(), c.layer)
    };
    match format {
        DiffEnvFormat::Text => {
            let mut out = String::new();
            if report.is_empty() {
                out.push_str(&format!("No differences between {a} and {b}.\n"));
            }
            let width = a.len().max(b.len());
            for (name, entry) in &report {
                out.push_str(&format!("# {name}: {a} → {b}\n"));
                match entry {
                    Entry::Disabled(env, pos) => {
                        let (at, _) = place(*pos);
                        out.push_str(&format!("disabled in {env} ({at})\n"));
                    }
                    Entry::Fields(fields) => {
                        for (path, x, y) in fields {
                            out.push_str(&format!("{path}\n"));
                            for (env, side) in [(a, x), (b, y)] {
                                let line = match side {
                                    Some((value, pos)) => {
                                        let (at, layer) = place(*pos);
                                        format!("{}  {at} ({layer})", compact(value))
                                    }
                                    None => "(not set)".to_owned(),
                                };
                                out.push_str(&format!("  {env:<width$}  {line}\n"));
                            }
                        }
                    }
                }
                out.push('\n');
            }
            printer.out(&out)?;
        }
        DiffEnvFormat::Json => {
            let side = |s: &Shown| match s {
                None => Json::Null,
                Some((value, pos)) => {
                    let c = layers.cause(sources, *pos);
                    json!({"value": value, "file": c.file, "line": c.line, "column": c.column, "layer": c.layer})
                }
            };
            let services: Vec<Json> = report
                .iter()
                .map(|(name, entry)| match entry {
                    Entry::Disabled(env, pos) => {
                        let c = layers.cause(sources, *pos);
                        json!({"service": name, "disabledIn": env,
                               "disabledAt": {"file": c.file, "line": c.line, "column": c.column}})
                    }
                    Entry::Fields(fields) => {
                        let fields: Vec<Json> = fields
                            .iter()
                            .map(|(p, x, y)| json!({"path": p, "a": side(x), "b": side(y)}))
                            .collect();
                        json!({"service": name, "fields": fields})
                    }
                })
                .collect();
            let doc = json!({"a": a, "b": b, "services": services});
            printer.out(&format!("{doc:#}\n"))?;
        }
    }
    crate::teardown::release(merged);
    crate::teardown::release((frontend, envs));
    Ok(0)
}

enum Entry {
    /// Disabled in this environment, at this position (enabled in the other).
    Disabled(String, Pos),
    /// Path, then each side's value and position.
    Fields(Vec<(String, Shown, Shown)>),
}

/// One side's value and position, `None` when the field is not set there.
type Shown = Option<(Json, Pos)>;

/// Every leaf of `service` merged in `env`, then its versions entry; `Err` with the position
/// of `enabled: false` when disabled there.
fn service_fields(
    env: &MergedEnv,
    service: &str,
    versions: Option<&Node>,
) -> Result<Vec<(String, Side)>, Pos> {
    let Some(merged) = env.services.get(service) else {
        return Err(env.disabled.get(service).copied().unwrap_or_default());
    };
    let mut out = Vec::new();
    leaves(&merged.node, "", &mut out);
    if let Some(entry) = versions
        .and_then(|v| v.get("environments"))
        .and_then(|e| e.get(&env.name))
        .and_then(|e| e.get(service))
    {
        match &entry.value {
            Value::Map(_) => leaves(entry, "versions", &mut out),
            _ => leaves(entry, "versions.stable", &mut out),
        }
    }
    Ok(out)
}

/// The leaves under `node` as `(path, side)`: maps by key, lists of mappings item by item
/// (by `name` when they have one), other lists whole.
fn leaves(node: &Node, path: &str, out: &mut Vec<(String, Side)>) {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match &node.value {
        Value::Map(map) if !map.is_empty() => {
            for (key, entry) in map.iter() {
                leaves(&entry.value, &join(key), out);
            }
        }
        Value::Seq(items) if items.iter().any(|i| i.as_map().is_some()) => {
            for (i, item) in items.iter().enumerate() {
                let label = item
                    .get("name")
                    .and_then(Node::as_str)
                    .map_or(i.to_string(), str::to_owned);
                leaves(item, &format!("{path}[{label}]"), out);
            }
        }
        _ => out.push((
            path.to_owned(),
            Side {
                value: node.to_json(),
                pos: node.pos,
            },
        )),
    }
}

/// A value on one line, as JSON (strings quoted).
fn compact(value: &Json) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
