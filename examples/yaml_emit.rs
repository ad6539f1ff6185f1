//! Times YAML serialisation alone: every Kubernetes golden file under DIR is parsed once into
//! `serde_json::Value`s, then re-emitted repeatedly by the hand-rolled emitter and by
//! serde-saphyr; prints the median of each and checks the texts are identical.
//! `cargo run --release --example yaml_emit -- /tmp/s1000/golden [ITERS]`.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line tool: it prints

use infrac::artifact::yaml::{emit_block_yaml, serde_saphyr_yaml};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let root = PathBuf::from(args.next().unwrap_or_else(|| "golden".into()));
    let iters: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(7);
    // `emitter` or `serde-saphyr` times only that one (for profiling); default both.
    let only = args.next().unwrap_or_default();
    let mut files = Vec::new();
    collect_yaml(&root.join("kubernetes"), &mut files);
    let docs: Vec<Value> = files
        .iter()
        .flat_map(|f| {
            let text = std::fs::read_to_string(f).expect("read golden file");
            serde_saphyr::from_multiple::<Value>(&text).expect("golden file parses")
        })
        .collect();
    println!("{} files, {} documents", files.len(), docs.len());

    let emitter = |docs: &[Value]| -> usize {
        docs.iter()
            .map(|d| {
                emit_block_yaml(d)
                    .expect("emitter covers the goldens")
                    .len()
            })
            .sum()
    };
    let reference =
        |docs: &[Value]| -> usize { docs.iter().map(|d| serde_saphyr_yaml(d).len()).sum() };

    for doc in docs.iter().filter(|_| only.is_empty()) {
        assert_eq!(
            emit_block_yaml(doc).expect("emitter covers the goldens"),
            serde_saphyr_yaml(doc),
            "texts differ"
        );
    }
    // Documents are timed in small chunks, each warmed first: infrac serialises a document
    // right after building it, so its tree is in cache, not spread over a 20k-tree heap.
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let mut bytes = 0;
    for _ in 0..iters {
        let (mut ours_total, mut theirs_total) = (Duration::ZERO, Duration::ZERO);
        for chunk in docs.chunks(32) {
            if only != "serde-saphyr" {
                std::hint::black_box(emitter(chunk));
                let t = Instant::now();
                bytes += std::hint::black_box(emitter(chunk));
                ours_total += t.elapsed();
            }
            if only != "emitter" {
                std::hint::black_box(reference(chunk));
                let t = Instant::now();
                std::hint::black_box(reference(chunk));
                theirs_total += t.elapsed();
            }
        }
        ours.push(ours_total);
        theirs.push(theirs_total);
    }
    bytes /= iters;
    if only == "emitter" || only == "serde-saphyr" {
        let times = if only == "emitter" { ours } else { theirs };
        let who = only;
        println!(
            "median of {iters}: {who} {:.1} ms",
            median(times).as_secs_f64() * 1e3
        );
        return;
    }
    let (ours, theirs) = (median(ours), median(theirs));
    println!(
        "{:.1} MB of YAML, median of {iters}: emitter {:.1} ms, serde-saphyr {:.1} ms ({:.1}x)",
        bytes as f64 / 1e6,
        ours.as_secs_f64() * 1e3,
        theirs.as_secs_f64() * 1e3,
        theirs.as_secs_f64() / ours.as_secs_f64()
    );
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn collect_yaml(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_yaml(&path, files);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            files.push(path);
        }
    }
}
