//! A stable-toolchain fuzzer for the `frontend` fuzz target (the same body as
//! `fuzz/fuzz_targets/frontend.rs`, from `fuzz/support/harness.rs`), for machines without
//! nightly / cargo-fuzz:
//!
//! ```text
//! cargo run --release --example fuzz_stable -- --seconds 600
//! cargo run --release --example fuzz_stable -- --replay fuzz/artifacts/crash-…
//! ```
//!
//! A bounded mutation loop (bit flips, byte insertions and deletions, splicing lines from the
//! example platforms, deep nesting, anchors and aliases, odd scalars, crossover) over a seed
//! corpus, keeping inputs that reach a new set of diagnostic codes. Panics are caught with
//! `catch_unwind`; each distinct one is saved to `fuzz/artifacts/`. It writes nowhere else
//! but its own temp dir, and stops by itself at the deadline.
//!
//! Every input that is UTF-8 is also parsed by the YAML fast path and the reference path
//! (`fuzz/support/yaml_diff.rs`); a difference is a crash like any other.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line tool: it prints

#[path = "../fuzz/support/harness.rs"]
mod harness;
#[path = "../benches/support/synth.rs"]
mod synth;
#[path = "../fuzz/support/yaml_diff.rs"]
mod yaml_diff;

use clap::Parser;
use harness::{Harness, Outcome, SLOTS};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use synth::Rng;

#[derive(Debug, Parser)]
#[command(about = "Stable-toolchain fuzzer for infrac's front end")]
struct Args {
    /// How long to run.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Mutation seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where crashing (and very slow) inputs are saved.
    #[arg(long, default_value = "fuzz/artifacts")]
    artifacts: PathBuf,
    /// Run one saved input (first byte = slot) and exit.
    #[arg(long)]
    replay: Option<PathBuf>,
}

/// Inputs are kept under this size; libFuzzer's default is similar.
const MAX_INPUT: usize = 256 * 1024;
const MAX_CORPUS: usize = 4096;
const SLOW: Duration = Duration::from_secs(2);

static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

fn main() {
    let args = Args::parse();
    let platform = synth::generate(6);
    let mut harness = Harness::new(&platform.files);
    if let Some(path) = &args.replay {
        let data = std::fs::read(path).expect("read the input to replay");
        println!("{:?}", harness.run(&data));
        println!("yaml fast path: {:?}", yaml_paths(&data));
        return;
    }
    std::panic::set_hook(Box::new(|info| {
        *LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner()) = Some(info.to_string());
    }));
    let mut corpus = seed_corpus(&platform.files);
    let dict = fragments(&corpus);
    let stats = fuzz_loop(&args, &mut harness, &mut corpus, &dict);
    let _ = std::panic::take_hook();
    println!(
        "done: {} iterations in {:.0} s ({:.0}/s), corpus {}, {} distinct outcomes, {} crashes ({} distinct), slowest {:.1} ms",
        stats.iterations,
        stats.elapsed.as_secs_f64(),
        stats.iterations as f64 / stats.elapsed.as_secs_f64().max(1e-9),
        corpus.len(),
        stats.outcomes,
        stats.crashes,
        stats.distinct_crashes.len(),
        stats.slowest.as_secs_f64() * 1e3
    );
    println!(
        "yaml: fast path agreed with the reference on {} inputs, declined {} (reference used)",
        stats.yaml_fast, stats.yaml_declined
    );
    if !stats.distinct_crashes.is_empty() {
        std::process::exit(1);
    }
}

#[derive(Default)]
struct Stats {
    iterations: u64,
    crashes: u64,
    distinct_crashes: BTreeSet<String>,
    outcomes: usize,
    slowest: Duration,
    elapsed: Duration,
    /// UTF-8 inputs the YAML fast path answered (and matched the reference on).
    yaml_fast: u64,
    /// UTF-8 inputs it declined (`parse` then matched the reference).
    yaml_declined: u64,
}

/// The YAML fast path against the reference path on the input's text (after the slot byte);
/// panics on a difference. `None` when the input is not UTF-8 (the loader refuses it).
fn yaml_paths(input: &[u8]) -> Option<bool> {
    let text = std::str::from_utf8(input.get(1..)?).ok()?;
    match yaml_diff::compare(text) {
        Ok(fast) => Some(fast),
        Err(diff) => panic!("yaml fast path: {diff}"),
    }
}

fn fuzz_loop(
    args: &Args,
    harness: &mut Harness,
    corpus: &mut Vec<Vec<u8>>,
    dict: &[Vec<u8>],
) -> Stats {
    let start = Instant::now();
    let deadline = start + Duration::from_secs(args.seconds);
    let mut rng = Rng::new(args.seed ^ 0x9E37_79B9_7F4A_7C15);
    let mut seen: BTreeSet<Outcome> = BTreeSet::new();
    let mut stats = Stats::default();
    let mut next_report = start + Duration::from_secs(60);
    // Every seed runs once unmutated first.
    let mut pending: Vec<Vec<u8>> = corpus.clone();
    while Instant::now() < deadline {
        let input = pending
            .pop()
            .unwrap_or_else(|| mutate(corpus, dict, &mut rng));
        let t = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| {
            let outcome = harness.run(&input);
            (outcome, yaml_paths(&input))
        }));
        let took = t.elapsed();
        stats.iterations += 1;
        match result {
            Ok((outcome, yaml)) => {
                match yaml {
                    Some(true) => stats.yaml_fast += 1,
                    Some(false) => stats.yaml_declined += 1,
                    None => {}
                }
                if seen.insert(outcome) && corpus.len() < MAX_CORPUS {
                    corpus.push(input.clone());
                }
            }
            Err(_) => record_crash(args, &input, &mut stats),
        }
        if took > stats.slowest {
            stats.slowest = took;
        }
        if took > SLOW {
            save(&args.artifacts, "slow", &input);
        }
        if Instant::now() >= next_report {
            next_report += Duration::from_secs(60);
            eprintln!(
                "[{:>4.0} s] {} iterations, corpus {}, {} crashes",
                start.elapsed().as_secs_f64(),
                stats.iterations,
                corpus.len(),
                stats.crashes
            );
        }
    }
    stats.outcomes = seen.len();
    stats.elapsed = start.elapsed();
    stats
}

fn record_crash(args: &Args, input: &[u8], stats: &mut Stats) {
    stats.crashes += 1;
    let message = LAST_PANIC
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .unwrap_or_default();
    // One artifact per panic site: the location is the part before the message.
    let site = message
        .lines()
        .next()
        .unwrap_or("")
        .split(':')
        .take(3)
        .collect::<Vec<_>>()
        .join(":");
    if stats.distinct_crashes.insert(site) {
        let path = save(&args.artifacts, "crash", input);
        eprintln!(
            "CRASH ({} bytes, slot {}) saved to {}\n  {message}",
            input.len(),
            input.first().map_or(0, |b| b % 5),
            path.display()
        );
    }
}

fn save(dir: &Path, kind: &str, input: &[u8]) -> PathBuf {
    let hash = Sha256::digest(input);
    let hex: String = hash.iter().take(10).map(|b| format!("{b:02x}")).collect();
    let path = dir.join(format!("{kind}-{hex}"));
    let _ = std::fs::create_dir_all(dir);
    let _ = std::fs::write(&path, input);
    path
}

/// The seeds: every file of the synthetic platform, of the repo's example platform and of the
/// valid fixtures, each prefixed with its slot byte, plus hand-written hostile inputs.
fn seed_corpus(platform: &[(String, String)]) -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    for (slot, rel) in SLOTS.iter().enumerate() {
        if let Some((_, text)) = platform.iter().find(|(p, _)| p == rel) {
            seeds.push(with_slot(slot, text.as_bytes()));
        }
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut roots = vec![repo.to_path_buf()];
    if let Ok(entries) = std::fs::read_dir(repo.join("tests/fixtures/valid")) {
        let mut dirs: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
        dirs.sort();
        roots.extend(dirs);
    }
    for root in roots {
        for (slot, rel) in SLOTS.iter().enumerate() {
            if let Ok(bytes) = std::fs::read(root.join(rel)) {
                seeds.push(with_slot(slot, &bytes));
            }
        }
    }
    for hostile in hostile_inputs() {
        for slot in 0..SLOTS.len() {
            seeds.push(with_slot(slot, &hostile));
        }
    }
    seeds
}

fn with_slot(slot: usize, bytes: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(bytes.len() + 1);
    v.push(slot as u8);
    v.extend_from_slice(bytes);
    v
}

fn hostile_inputs() -> Vec<Vec<u8>> {
    let laughs = (1..10).fold(
        "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n".to_owned(),
        |mut s, i| {
            let prev = format!("*a{}", i - 1);
            s.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 9].join(", ")));
            s
        },
    );
    let texts: Vec<String> = vec![
        String::new(),
        "~".into(),
        "---\n...\n".into(),
        "- a\n- b\n".into(),
        "apiVersion: infrac.dev/v1\napiVersion: infrac.dev/v1\n".into(),
        "kind:\tRegistry\n".into(),
        "\u{feff}apiVersion: infrac.dev/v1\nkind: Registry\n".into(),
        "[".repeat(10_000),
        "{a: ".repeat(5_000),
        "- ".repeat(5_000) + "x",
        laughs,
        "base: &b {replicas: {min: 1}}\nservices:\n  x:\n    <<: *b\n".into(),
        "services: {x: *undefined}\n".into(),
        "%YAML 1.1\n---\non: yes\nport: 0755\nn: 1e400\nh: 0x1F\nu: 1_000\n".into(),
        "s: !!binary aGVsbG8=\nt: !custom 3\n".into(),
        format!("k: {}\n", "x".repeat(200_000)),
        "a: 'unterminated\n".into(),
        "a: \"\\uD800\"\n".into(),
        "? [complex, key]\n: value\n".into(),
        "---\na: 1\n---\nb: 2\n".into(),
    ];
    let mut out: Vec<Vec<u8>> = texts.into_iter().map(String::into_bytes).collect();
    out.push(b"apiVersion: \xff\xfe infrac\n".to_vec());
    out.push(b"a: b\0c\n".to_vec());
    out
}

/// Lines of every seed (and some structural snippets) to splice into inputs.
fn fragments(corpus: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut set: BTreeSet<Vec<u8>> = BTreeSet::new();
    for input in corpus.iter().filter(|i| i.len() < 64 * 1024) {
        for line in input[1..].split(|&b| b == b'\n') {
            if !line.is_empty() && line.len() < 200 {
                set.insert(line.to_vec());
            }
        }
    }
    for snippet in [
        "  ledger-0000: {enabled: false}",
        "    dependencies: [ledger-0000, nope]",
        "    rollout: {strategy: canary, canary: {steps: [50, 10]}}",
        "    replicas: {min: 9, max: 1}",
        "    ports: [{name: http, port: 8080}, {name: http, port: 8080}]",
        "    config: {DB_PASSWORD: hunter2}",
        "    ledger-0000: latest",
        "    ledger-0000: {stable: v1.0.0, canary: {tag: v1.1.0, weight: 100}}",
        "  x: &x {a: *x}",
        "<<: {}",
        "services: null",
        "environments: []",
    ] {
        set.insert(snippet.as_bytes().to_vec());
    }
    set.into_iter().collect()
}

const INTERESTING: [&str; 22] = [
    "null",
    "~",
    "-1",
    "0",
    "99999999999999999999",
    "1e309",
    ".nan",
    "-.inf",
    "\"\"",
    "[]",
    "{}",
    "yes",
    "0755",
    "latest",
    "'",
    "\"",
    "!!str 1",
    "*a",
    "&a x",
    "|\n  block",
    "\t",
    "\u{1F600}",
];
const YAML_BYTES: &[u8] = b":-[]{}&*!|>'\"#%@`\t\n ,?\\";

/// Picks a corpus entry and applies 1–4 mutations; keeps the result under `MAX_INPUT`.
fn mutate(corpus: &[Vec<u8>], dict: &[Vec<u8>], rng: &mut Rng) -> Vec<u8> {
    let mut data = rng.pick(corpus).clone();
    for _ in 0..1 + rng.below(4) {
        mutate_once(&mut data, corpus, dict, rng);
    }
    if data.is_empty() {
        data.push(0);
    }
    data.truncate(MAX_INPUT);
    data
}

fn mutate_once(data: &mut Vec<u8>, corpus: &[Vec<u8>], dict: &[Vec<u8>], rng: &mut Rng) {
    if data.len() < 2 {
        let fragment: &Vec<u8> = rng.pick(dict);
        data.extend_from_slice(fragment);
        return;
    }
    let len = data.len() as u64;
    let at = 1 + rng.below(len - 1) as usize;
    match rng.below(12) {
        0 => data[at] ^= 1 << rng.below(8),
        1 => data.insert(at, *rng.pick(YAML_BYTES)),
        2 => data.insert(at, rng.next_u64() as u8),
        3 => {
            let end = (at + 1 + rng.below(32) as usize).min(data.len());
            data.drain(at..end);
        }
        4 => {
            let end = (at + 1 + rng.below(64) as usize).min(data.len());
            let chunk = data[at..end].to_vec();
            data.splice(at..at, chunk);
        }
        5 | 6 => {
            let fragment: &Vec<u8> = rng.pick(dict);
            splice_line(data, fragment, rng)
        }
        7 => replace_value(data, rng.pick(&INTERESTING).as_bytes(), rng),
        8 => crossover(data, corpus, rng),
        9 => data[0] = rng.below(SLOTS.len() as u64) as u8,
        10 => {
            let depth = 1 + rng.below(2_000) as usize;
            let open = *rng.pick(&[&b"["[..], b"{a: ", b"- "]);
            let nest: Vec<u8> = open
                .iter()
                .copied()
                .cycle()
                .take(open.len() * depth)
                .collect();
            data.splice(at..at, nest);
        }
        _ => data.truncate(at),
    }
}

/// Inserts `line` at a line boundary (or replaces the line there).
fn splice_line(data: &mut Vec<u8>, line: &[u8], rng: &mut Rng) {
    let at = line_start(data, 1 + rng.below(data.len() as u64 - 1) as usize);
    let mut piece = line.to_vec();
    piece.push(b'\n');
    if rng.chance(50) {
        let end = data[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(data.len(), |p| at + p + 1);
        data.splice(at..end, piece);
    } else {
        data.splice(at..at, piece);
    }
}

/// Replaces the value after a `: ` with `value`.
fn replace_value(data: &mut Vec<u8>, value: &[u8], rng: &mut Rng) {
    let from = 1 + rng.below(data.len() as u64 - 1) as usize;
    let Some(colon) = data[from..]
        .windows(2)
        .position(|w| w == b": ")
        .map(|p| from + p + 2)
    else {
        return;
    };
    let end = data[colon..]
        .iter()
        .position(|&b| matches!(b, b'\n' | b',' | b'}' | b']'))
        .map_or(data.len(), |p| colon + p);
    data.splice(colon..end, value.iter().copied());
}

/// Keeps this input's head and another's tail (same slot byte as this one).
fn crossover(data: &mut Vec<u8>, corpus: &[Vec<u8>], rng: &mut Rng) {
    let other = rng.pick(corpus);
    if other.len() < 2 {
        return;
    }
    let cut = line_start(data, 1 + rng.below(data.len() as u64 - 1) as usize);
    let from = line_start(other, 1 + rng.below(other.len() as u64 - 1) as usize).max(1);
    data.truncate(cut);
    data.extend_from_slice(&other[from..]);
}

fn line_start(data: &[u8], at: usize) -> usize {
    data[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(1, |p| p + 1)
}
