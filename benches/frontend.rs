//! Front-end benchmark: `pipeline::run_frontend` (load + schema + rules + merge + lower) on
//! synthetic 100- and 1,000-service platforms × 3 environments, and the 1,000-service one
//! with prod in 10 cells (each cell's overlay merged and lowered as an environment of its own).
//!
//! A plain `Instant` loop (harness = false): warm-up, then at least `BENCH_ITERS`
//! (default 15) timed runs, printing median / min / max. No criterion: the question is
//! "is it well under 150 ms", not a 2% regression detector, and the loop builds in seconds.
//! It writes its platforms under a temp dir and never touches the repo.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line tool: it prints

#[path = "support/synth.rs"]
mod synth;

use std::time::{Duration, Instant};

fn main() {
    // `cargo bench -- <filter>` passes the filter (and `--bench`); keep the sizes that match.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let iters: usize = std::env::var("BENCH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15)
        .max(10);
    let dir = tempfile::tempdir().expect("temp dir");
    println!(
        "{:<28} {:>6} {:>10} {:>10} {:>10}",
        "benchmark", "iters", "median", "min", "max"
    );
    for (services, cells) in [(100usize, 0usize), (1000, 0), (1000, 10)] {
        let name = match cells {
            0 => format!("run_frontend/{services}x3"),
            _ => format!("run_frontend/{services}x3/{cells}-cells"),
        };
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let root = dir.path().join(format!("synth-{services}-{cells}"));
        synth::generate_with(services, synth::DEFAULT_SEED, cells)
            .write_to(&root)
            .expect("write synthetic platform");
        let times = measure(iters, || {
            let frontend = infrac::pipeline::run_frontend(&root);
            assert!(frontend.model.is_some(), "synthetic platform must validate");
            std::hint::black_box(frontend);
        });
        report(&name, &times);
    }
}

fn measure(iters: usize, mut f: impl FnMut()) -> Vec<Duration> {
    f(); // warm-up: page cache, lazily compiled schemas
    let mut times: Vec<Duration> = (0..iters)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort_unstable();
    times
}

fn report(name: &str, sorted: &[Duration]) {
    let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1e3);
    let median = sorted[sorted.len() / 2];
    println!(
        "{:<28} {:>6} {:>10} {:>10} {:>10}",
        name,
        sorted.len(),
        ms(median),
        ms(sorted[0]),
        ms(sorted[sorted.len() - 1])
    );
}
