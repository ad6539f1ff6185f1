//! Times each stage of the front end on a platform repo (release build for real figures):
//! `cargo run --release --example frontend_phases -- DIR`.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line tool: it prints

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use infrac::diagnostic::{Diagnostics, Sources};
use infrac::validate::rules::{RuleCtx, check_rules};
use infrac::validate::schema::SchemaKind;
use std::time::Instant;

/// Resident memory in MB (Linux), to see which stage grows the heap.
fn rss() -> f64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |pages| pages * 4096.0 / 1e6)
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

fn main() {
    let root = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    let total = Instant::now();
    let mut sources = Sources::default();
    let mut diags = Diagnostics::default();
    let t = Instant::now();
    let inputs = infrac::load::load_inputs(&root, None, &mut sources, &mut diags);
    println!("load         {:>8.1} ms  rss {:>6.1} MB", ms(t), rss());
    let registry = inputs.registry.as_ref().expect("registry");
    let t = Instant::now();
    let d = infrac::validate::validate_file(SchemaKind::Registry, "registry.yaml", &registry.node);
    println!(
        "schema reg   {:>8.1} ms  rss {:>6.1} MB  {} diags",
        ms(t),
        rss(),
        d.len()
    );
    let t = Instant::now();
    for (_, env) in &inputs.environments {
        infrac::validate::validate_file(SchemaKind::Environment, "env", &env.node);
    }
    if let Some(v) = &inputs.versions {
        infrac::validate::validate_file(SchemaKind::Versions, "versions.yaml", &v.node);
    }
    println!("schema rest  {:>8.1} ms  rss {:>6.1} MB", ms(t), rss());
    let t = Instant::now();
    let envs: Vec<_> = inputs
        .environments
        .iter()
        .map(|(n, e)| (n.clone(), e.node.clone()))
        .collect();
    let merged = infrac::merge::merge_platform(&registry.node, &envs);
    println!("merge        {:>8.1} ms  rss {:>6.1} MB", ms(t), rss());
    let versions = inputs.versions.as_ref().map(|v| &v.node);
    let t = Instant::now();
    let spec = infrac::spec::read(&merged, versions);
    println!("spec         {:>8.1} ms  rss {:>6.1} MB", ms(t), rss());
    let t = Instant::now();
    let ctx = RuleCtx {
        spec: &spec,
        broken_environments: &inputs.broken_environments,
        environments_readable: true,
    };
    let d = check_rules(&ctx);
    println!(
        "rules        {:>8.1} ms  rss {:>6.1} MB  {} diags",
        ms(t),
        rss(),
        d.len()
    );
    let t = Instant::now();
    let model = infrac::lower::lower_model(&spec, "golden");
    println!(
        "lower        {:>8.1} ms  rss {:>6.1} MB  ok={}",
        ms(t),
        rss(),
        model.is_ok()
    );
    let t = Instant::now();
    drop(model);
    drop(spec);
    drop(merged);
    drop(inputs);
    println!("drop         {:>8.1} ms  rss {:>6.1} MB", ms(t), rss());
    println!("total        {:>8.1} ms  rss {:>6.1} MB", ms(total), rss());
}
