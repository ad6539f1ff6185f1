//! `infrac explain SERVICE [--env E [--cell C]] [PATH]`: the merged value with, for each
//! leaf, every layer of the merge that set it (registry default, service, environment default,
//! environment overlay, environment infra default, and with `--cell` the cell's fields over
//! its environment): the layer, its file:line:col and the value it wrote, the winner first and
//! the others marked `(overridden)`.

use crate::diagnostic::Sources;
use crate::error::Error;
use crate::load::yaml::{Node, Pos, Value};
use crate::merge::merge_platform;
use crate::pipeline::Frontend;
use crate::printer::Printer;

pub fn run(
    printer: &Printer,
    frontend: &Frontend,
    service: &str,
    path: Option<&str>,
    env: Option<&str>,
    cell: Option<&str>,
) -> Result<u8, Error> {
    let inputs = &frontend.inputs;
    let registry = &inputs.registry.as_ref().expect("validated").node;
    let envs = frontend.environments_owned();
    let merged = merge_platform(registry, &envs);
    if !merged.registry_services.contains_key(service) {
        let names = merged.registry_services.keys().map(String::as_str);
        let hint = crate::diagnostic::did_you_mean(service, names)
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        printer.error(&format!(
            "`{service}` is not a service of the registry{hint}"
        ));
        return Ok(1);
    }
    if let Some(e) = env
        && !merged.environments.iter().any(|m| m.name == e)
    {
        printer.error(&format!("`{e}` is not an environment"));
        return Ok(1);
    }
    if let (Some(e), Some(c)) = (env, cell) {
        let menv = merged.environments.iter().find(|m| m.name == e);
        let cells: Vec<&str> = menv
            .into_iter()
            .flat_map(|m| m.cells.iter().map(|c| c.name.as_str()))
            .collect();
        if !cells.contains(&c) {
            let hint = match crate::diagnostic::did_you_mean(c, cells.iter().copied()) {
                Some(s) => format!(" (did you mean `{s}`?)"),
                None if cells.is_empty() => format!(" (`{e}` has no cells)"),
                None => format!(" (its cells: {})", cells.join(", ")),
            };
            printer.error(&format!("`{c}` is not a cell of `{e}`{hint}"));
            return Ok(1);
        }
    }
    let mut out = String::new();
    // Promotion order (dev → staging → prod), as the model orders environments.
    let order: Vec<&str> = frontend
        .model
        .as_ref()
        .map(|m| m.environments.iter().map(|e| e.name.as_str()).collect())
        .unwrap_or_default();
    let mut in_order: Vec<_> = merged.environments.iter().collect();
    in_order.sort_by_key(|m| {
        order
            .iter()
            .position(|o| *o == m.name)
            .unwrap_or(usize::MAX)
    });
    for menv in in_order
        .into_iter()
        .filter(|m| env.is_none_or(|e| e == m.name))
    {
        let in_cell = cell.and_then(|c| menv.cells.iter().find(|m| m.name == c));
        let (services, disabled) = match in_cell {
            Some(c) => {
                out.push_str(&format!("# {service} in {}, cell {}\n", menv.name, c.name));
                (&c.services, &c.disabled)
            }
            None => {
                out.push_str(&format!("# {service} in {}\n", menv.name));
                (&menv.services, &menv.disabled)
            }
        };
        let Some(svc) = services.get(service) else {
            let at = disabled
                .get(service)
                .map(|p| format!(" ({})", place(&frontend.sources, *p)))
                .unwrap_or_default();
            out.push_str(&format!("disabled{at}\n\n"));
            continue;
        };
        let node = match path {
            Some(p) => match p.split('.').try_fold(&svc.node, |n, step| n.get(step)) {
                Some(n) => n,
                None => {
                    printer.error(&format!(
                        "`{p}` is not set for `{service}` in `{}`",
                        menv.name
                    ));
                    return Ok(1);
                }
            },
            None => &svc.node,
        };
        let steps: Vec<Step> = path
            .map(|p| p.split('.').map(|k| Step::Key(k.to_owned())).collect())
            .unwrap_or_default();
        let cell_node =
            in_cell.and_then(|c| menv.node.get("cells").and_then(|cells| cells.get(&c.name)));
        let chain = layer_chain(registry, menv.node, cell_node, service);
        let ctx = Ctx {
            sources: &frontend.sources,
            chain: &chain,
            infra_defaults: menv.node.get("infraDefaults"),
            service: &svc.node,
        };
        write_node(&ctx, node, path.unwrap_or(""), &mut steps.clone(), &mut out);
        out.push('\n');
    }
    printer.out(&out)?;
    Ok(0)
}

fn place(sources: &Sources, pos: Pos) -> String {
    format!("{}:{}:{}", sources.path(pos.file), pos.line, pos.column)
}

/// One step of a path into a service: a key, a named list item, a list index.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Named(String),
    Index(usize),
}

/// The layers of the merge of one service in one environment (and cell), in merge order,
/// each with its name (`registry default`, `service`, `environment default`, `cell default`,
/// `environment overlay`, `cell overlay`): a cell's `defaults` override the environment's,
/// and the environment's own entry for the service still beats them.
fn layer_chain<'a>(
    registry: &'a Node,
    env: &'a Node,
    cell: Option<&'a Node>,
    service: &str,
) -> Vec<(&'static str, &'a Node)> {
    let own = |root: &'a Node| root.get("services").and_then(|s| s.get(service));
    let mut chain = Vec::new();
    chain.extend(registry.get("defaults").map(|n| ("registry default", n)));
    chain.extend(own(registry).map(|n| ("service", n)));
    chain.extend(env.get("defaults").map(|n| ("environment default", n)));
    chain.extend(
        cell.and_then(|c| c.get("defaults"))
            .map(|n| ("cell default", n)),
    );
    chain.extend(own(env).map(|n| ("environment overlay", n)));
    chain.extend(cell.and_then(own).map(|n| ("cell overlay", n)));
    chain
}

struct Ctx<'a> {
    sources: &'a Sources,
    chain: &'a [(&'static str, &'a Node)],
    infra_defaults: Option<&'a Node>,
    /// The merged service (for the type of a backing resource).
    service: &'a Node,
}

/// `node` at `steps`, when that layer writes there.
fn at<'a>(node: &'a Node, steps: &[Step]) -> Option<&'a Node> {
    steps.iter().try_fold(node, |n, step| match step {
        Step::Key(k) => n.get(k),
        Step::Named(name) => n
            .as_seq()?
            .iter()
            .find(|i| i.get("name").and_then(Node::as_str) == Some(name)),
        Step::Index(i) => n.as_seq()?.get(*i),
    })
}

impl Ctx<'_> {
    /// Every layer that writes the leaf at `steps`, in merge order: `infraDefaults` of the
    /// resource's type first (the resource's own sizing merges on top of it), then the
    /// service's layers.
    fn writers(&self, steps: &[Step]) -> Vec<(&'static str, &Node)> {
        let mut out = Vec::new();
        if let [Step::Key(infra), Step::Key(resource), rest @ ..] = steps
            && infra == "infra"
            && let Some(kind) = self
                .service
                .get("infra")
                .and_then(|i| i.get(resource))
                .and_then(|r| r.get("type"))
                .and_then(Node::as_str)
            && let Some(n) = self
                .infra_defaults
                .and_then(|d| d.get(kind))
                .and_then(|d| at(d, rest))
        {
            out.push(("environment infra default", n));
        }
        for (layer, node) in self.chain {
            if let Some(n) = at(node, steps).filter(|n| !n.is_null()) {
                out.push((*layer, n));
            }
        }
        out
    }
}

/// The text a layer wrote at `pos` (a scalar as written); a collection as JSON.
fn written(sources: &Sources, node: &Node) -> String {
    match node.value {
        Value::Map(_) | Value::Seq(_) => serde_json::to_string(&node.to_json()).unwrap_or_default(),
        _ => {
            let text = sources.text(node.pos.file);
            let (start, len) = (node.pos.offset as usize, node.pos.len as usize);
            text.get(start..start + len)
                .filter(|t| !t.is_empty())
                .map_or_else(
                    || serde_json::to_string(&node.to_json()).unwrap_or_default(),
                    str::to_owned,
                )
        }
    }
}

/// Per leaf: `path = value`, then each layer that set it, the winner first: the layer, its
/// place and the value it wrote; the others marked `(overridden)`.
fn write_node(ctx: &Ctx, node: &Node, path: &str, steps: &mut Vec<Step>, out: &mut String) {
    match &node.value {
        Value::Map(map) if !map.is_empty() => {
            for (key, entry) in map.iter() {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                steps.push(Step::Key(key.clone()));
                write_node(ctx, &entry.value, &child, steps, out);
                steps.pop();
            }
        }
        Value::Seq(items) if items.iter().any(|i| i.as_map().is_some()) => {
            for (i, item) in items.iter().enumerate() {
                let (label, step) = match item.get("name").and_then(Node::as_str) {
                    Some(name) => (name.to_owned(), Step::Named(name.to_owned())),
                    None => (i.to_string(), Step::Index(i)),
                };
                steps.push(step);
                write_node(ctx, item, &format!("{path}[{label}]"), steps, out);
                steps.pop();
            }
        }
        _ => {
            let value = serde_json::to_string(&node.to_json()).unwrap_or_default();
            out.push_str(&format!("{path} = {value}\n"));
            let mut rows: Vec<(&str, String, String, bool)> = ctx
                .writers(steps)
                .into_iter()
                .rev()
                .map(|(layer, n)| {
                    let winner = n.pos == node.pos;
                    (
                        layer,
                        place(ctx.sources, n.pos),
                        written(ctx.sources, n),
                        winner,
                    )
                })
                .collect();
            if !rows.iter().any(|r| r.3) {
                // Not written by a layer of the chain (the tool's own bookkeeping): the place only.
                rows.insert(
                    0,
                    (
                        "input",
                        place(ctx.sources, node.pos),
                        written(ctx.sources, node),
                        true,
                    ),
                );
            }
            let lw = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
            let pw = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
            for (layer, at, text, winner) in rows {
                let mark = if winner { "" } else { "  (overridden)" };
                let line = format!("    {layer:<lw$}  {at:<pw$}  {text}{mark}");
                out.push_str(line.trim_end());
                out.push('\n');
            }
        }
    }
}
