//! Writes a synthetic platform repo (registry.yaml, environments/{dev,staging,prod}.yaml,
//! versions.yaml) for benchmarks and experiments:
//!
//! ```text
//! cargo run --release --example synth -- --services 1000 --out /tmp/synth-1000
//! cargo run --release --example synth -- --services 1000 --cells 10 --out /tmp/synth-1000-c10
//! ```
//!
//! Deterministic for a given `--services`, `--cells` and `--seed`. It refuses to write into a
//! directory that already holds a registry.yaml unless `--force` is given; it never deletes.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line tool: it prints

#[path = "../benches/support/synth.rs"]
mod synth;

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(about = "Generate a synthetic infrac platform repo")]
struct Args {
    /// Number of services.
    #[arg(long, default_value_t = 1000)]
    services: usize,
    /// Directory to write the platform into (created when missing).
    #[arg(long)]
    out: PathBuf,
    /// Run prod as this many cells, each on its own cluster and region, in waves of 1, 2,
    /// 4, 8… cells (0: prod is one cluster, no `cells:`).
    #[arg(long, default_value_t = 0)]
    cells: usize,
    /// Seed of the generator.
    #[arg(long, default_value_t = synth::DEFAULT_SEED)]
    seed: u64,
    /// Overwrite the files of an existing platform in `--out`.
    #[arg(long)]
    force: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.out.join("registry.yaml").exists() && !args.force {
        eprintln!(
            "synth: {} already holds a registry.yaml (pass --force to overwrite)",
            args.out.display()
        );
        return ExitCode::from(1);
    }
    let platform = synth::generate_with(args.services, args.seed, args.cells);
    if let Err(e) = platform.write_to(&args.out) {
        eprintln!("synth: cannot write {}: {e}", args.out.display());
        return ExitCode::from(3);
    }
    let bytes: usize = platform.files.iter().map(|(_, t)| t.len()).sum();
    let cells = match args.cells {
        0 => String::new(),
        n => format!(", prod in {n} cells"),
    };
    println!(
        "wrote {} services{cells} ({} files, {bytes} bytes) to {}",
        args.services.max(1),
        platform.files.len(),
        args.out.display()
    );
    ExitCode::SUCCESS
}
