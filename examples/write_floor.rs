//! The floor for `infrac build` into an empty directory: a minimal program that writes the
//! same files (read into memory first, not timed) with plain `fs::write`, no hashing, no
//! manifest, no atomic rename. `scripts/bench.sh` runs it beside `infrac build`.
//!
//! `cargo run --release --example write_floor -- SRC_TREE DEST_DIR`

#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line tool: it prints

use std::path::{Path, PathBuf};
use std::time::Instant;

fn collect(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>, base: &Path) {
    for entry in std::fs::read_dir(dir).expect("readable tree") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            collect(&path, out, base);
        } else {
            let rel = path.strip_prefix(base).expect("inside").to_path_buf();
            out.push((rel, std::fs::read(&path).expect("readable file")));
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (src, dest) = match (args.next(), args.next()) {
        (Some(s), Some(d)) => (PathBuf::from(s), PathBuf::from(d)),
        _ => {
            eprintln!("usage: write_floor SRC_TREE DEST_DIR");
            std::process::exit(64);
        }
    };
    let mut files = Vec::new();
    collect(&src, &mut files, &src);
    let t = Instant::now();
    for (rel, bytes) in &files {
        let path = dest.join(rel);
        std::fs::create_dir_all(path.parent().expect("has parent")).expect("mkdir");
        std::fs::write(&path, bytes).expect("write");
    }
    println!(
        "{} files in {:.1} ms",
        files.len(),
        t.elapsed().as_secs_f64() * 1e3
    );
}
