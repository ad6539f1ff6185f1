//! The service dependency graph as text: Graphviz dot or Mermaid, with namespaces as
//! clusters, backing resources as nodes, and disabled services left out per environment.
//! A pure function of the model. `html` and `svg` are pictures for people (`page`).

use crate::model::{Environment, Model, Service};
use std::collections::BTreeMap;
use std::fmt::Write;

mod page;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
    /// A self-contained page: the graph with each service's alerts and rollout state.
    Html,
    /// The graph alone, as a standalone SVG.
    Svg,
}

/// The graph of one environment, or of the registry (every service) when `env` is `None`.
pub fn render_graph(model: &Model, env: Option<&Environment>, format: GraphFormat) -> String {
    let (services, suffix): (Vec<&Service>, &str) = match env {
        Some(e) => (e.services.values().collect(), e.namespace_suffix.as_str()),
        None => (model.registry_services.values().collect(), ""),
    };
    let mut by_namespace: BTreeMap<String, Vec<&Service>> = BTreeMap::new();
    for s in &services {
        by_namespace
            .entry(format!("{}{suffix}", s.namespace))
            .or_default()
            .push(s);
    }
    match format {
        GraphFormat::Dot => dot(&by_namespace, &services),
        GraphFormat::Mermaid => mermaid(&by_namespace, &services),
        GraphFormat::Html | GraphFormat::Svg => {
            let title = match env {
                Some(e) => format!("{}: {}", model.platform.name, e.name),
                None => format!("{}: registry", model.platform.name),
            };
            let page = if format == GraphFormat::Html {
                page::html
            } else {
                page::svg
            };
            page(&services, suffix, &title)
        }
    }
}

fn id(name: &str) -> String {
    name.replace('-', "_")
}

fn dot(by_namespace: &BTreeMap<String, Vec<&Service>>, services: &[&Service]) -> String {
    let mut out =
        String::from("digraph services {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n");
    for (ns, members) in by_namespace {
        let _ = writeln!(out, "  subgraph cluster_{} {{\n    label=\"{ns}\";", id(ns));
        for s in members {
            let _ = writeln!(out, "    {} [label=\"{}\"];", id(&s.name), s.name);
            for (name, infra) in &s.infra {
                let _ = writeln!(
                    out,
                    "    {}__{} [label=\"{name} ({})\", shape=cylinder];",
                    id(&s.name),
                    id(name),
                    infra.kind.as_str()
                );
            }
        }
        out.push_str("  }\n");
    }
    for s in services {
        for dep in &s.dependencies {
            let _ = writeln!(out, "  {} -> {};", id(&s.name), id(dep));
        }
        for name in s.infra.keys() {
            let _ = writeln!(
                out,
                "  {} -> {}__{} [style=dashed];",
                id(&s.name),
                id(&s.name),
                id(name)
            );
        }
    }
    out.push_str("}\n");
    out
}

fn mermaid(by_namespace: &BTreeMap<String, Vec<&Service>>, services: &[&Service]) -> String {
    let mut out = String::from("flowchart LR\n");
    for (ns, members) in by_namespace {
        let _ = writeln!(out, "  subgraph ns_{}[\"{ns}\"]", id(ns));
        for s in members {
            let _ = writeln!(out, "    {}[\"{}\"]", id(&s.name), s.name);
            for (name, infra) in &s.infra {
                let _ = writeln!(
                    out,
                    "    {}__{}[(\"{name}: {}\")]",
                    id(&s.name),
                    id(name),
                    infra.kind.as_str()
                );
            }
        }
        out.push_str("  end\n");
    }
    for s in services {
        for dep in &s.dependencies {
            let _ = writeln!(out, "  {} --> {}", id(&s.name), id(dep));
        }
        for name in s.infra.keys() {
            let _ = writeln!(out, "  {} -.-> {}__{}", id(&s.name), id(&s.name), id(name));
        }
    }
    out
}
