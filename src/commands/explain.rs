//! `infrac explain SERVICE [--env E [--cell C]] [PATH]`: the merged value with, for each
//! leaf, the chain of places that set it (winner first, then what it overrode). With
//! `--cell`, the service as merged for that cell (the cell's fields over its environment).

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
        let (services, disabled) = match cell.and_then(|c| menv.cells.iter().find(|m| m.name == c))
        {
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
        write_node(&frontend.sources, node, path.unwrap_or(""), &mut out);
        out.push('\n');
    }
    printer.out(&out)?;
    Ok(0)
}

fn place(sources: &Sources, pos: Pos) -> String {
    format!("{}:{}:{}", sources.path(pos.file), pos.line, pos.column)
}

/// One line per leaf: `path = value    file:line:col ← file:line:col …`.
fn write_node(sources: &Sources, node: &Node, path: &str, out: &mut String) {
    match &node.value {
        Value::Map(map) if !map.is_empty() => {
            for (key, entry) in map.iter() {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                write_node(sources, &entry.value, &child, out);
            }
        }
        Value::Seq(items) if items.iter().any(|i| i.as_map().is_some()) => {
            for (i, item) in items.iter().enumerate() {
                let label = item
                    .get("name")
                    .and_then(Node::as_str)
                    .map_or(i.to_string(), str::to_owned);
                write_node(sources, item, &format!("{path}[{label}]"), out);
            }
        }
        _ => {
            let value = serde_json::to_string(&node.to_json()).unwrap_or_default();
            let mut chain = vec![place(sources, node.pos)];
            chain.extend(node.overrode.iter().map(|p| place(sources, *p)));
            out.push_str(&format!("{path} = {value}\n    {}\n", chain.join(" ← ")));
        }
    }
}
