//! Times YAML loading alone: every input file of a platform repo (registry.yaml,
//! environments/*.yaml, versions.yaml) parsed into the spanned tree by the event-driven fast
//! path (`load::yaml::parse`, which falls back when unsure) and by the serde-saphyr reference
//! path alone; prints the median of each and checks the trees are identical.
//! `cargo run --release --example yaml_load -- /tmp/synth-1000 [ITERS]`.

use infrac::load::yaml::{parse, parse_reference};
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let root = PathBuf::from(args.next().unwrap_or_else(|| ".".into()));
    let iters: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(11);
    let mut files = vec![root.join("registry.yaml"), root.join("versions.yaml")];
    let mut envs: Vec<PathBuf> = std::fs::read_dir(root.join("environments"))
        .expect("environments/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    envs.sort();
    files.extend(envs);
    let texts: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(f).expect("read input"))
        .collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    println!("{} files, {:.1} MB", texts.len(), bytes as f64 / 1e6);
    for (text, file) in texts.iter().zip(&files) {
        let fast = parse(text, 0).expect("parses");
        let reference = parse_reference(text, 0).expect("parses");
        assert!(
            fast == reference,
            "{}: the two paths differ",
            file.display()
        );
    }
    let time = |f: &dyn Fn(&str) -> usize| {
        let mut runs: Vec<Duration> = (0..iters)
            .map(|_| {
                let start = Instant::now();
                let nodes: usize = texts.iter().map(|t| f(t)).sum();
                std::hint::black_box(nodes);
                start.elapsed()
            })
            .collect();
        runs.sort();
        runs[runs.len() / 2]
    };
    let fast = time(&|t| usize::from(parse(t, 0).is_ok()));
    let reference = time(&|t| usize::from(parse_reference(t, 0).is_ok()));
    println!(
        "fast path {:.1} ms, serde-saphyr {:.1} ms (median of {iters}; {:.2}x)",
        fast.as_secs_f64() * 1e3,
        reference.as_secs_f64() * 1e3,
        reference.as_secs_f64() / fast.as_secs_f64()
    );
}
