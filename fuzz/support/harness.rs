//! The body of the `frontend` fuzz target, shared by the cargo-fuzz target
//! (`fuzz/fuzz_targets/frontend.rs`) and the stable-toolchain fuzzer
//! (`examples/fuzz_stable.rs`), both of which include it with `#[path]`.
//!
//! A small valid platform lives in a temp dir; each input replaces one of its five files
//! (the first byte picks which) and runs the whole front end, then every diagnostic
//! renderer. It asserts only what the product promises: no panic, and "no error" implies a
//! model (the `validate` command relies on it). It never writes outside its temp dir.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The files an input may replace; the input's first byte modulo 5 picks one.
pub const SLOTS: [&str; 5] = [
    "registry.yaml",
    "environments/dev.yaml",
    "environments/staging.yaml",
    "environments/prod.yaml",
    "versions.yaml",
];

/// A valid platform in a temp dir, with one file at a time replaced by fuzzer bytes.
pub struct Harness {
    dir: tempfile::TempDir,
    originals: Vec<String>,
    dirty: Option<usize>,
}

/// What one run saw: the diagnostic codes (sorted, deduplicated) and whether a model came out.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Outcome {
    pub slot: usize,
    pub codes: Vec<&'static str>,
    pub valid: bool,
}

impl Harness {
    /// Writes `files` (relative path → text; must hold every slot) into a fresh temp dir.
    pub fn new(files: &[(String, String)]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir for the fuzz platform");
        for (rel, text) in files {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("create dirs");
            std::fs::write(&path, text).expect("write platform file");
        }
        let originals = SLOTS
            .iter()
            .map(|slot| {
                files
                    .iter()
                    .find(|(p, _)| p == slot)
                    .map(|(_, t)| t.clone())
                    .expect("platform holds every slot")
            })
            .collect();
        Harness {
            dir,
            originals,
            dirty: None,
        }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    fn slot_path(&self, slot: usize) -> PathBuf {
        self.dir.path().join(SLOTS[slot])
    }

    /// Runs one input. Restores the file the previous input replaced first, so a panic
    /// (caught by the caller) never leaves the platform broken for the next input.
    pub fn run(&mut self, data: &[u8]) -> Outcome {
        if let Some(prev) = self.dirty.take() {
            std::fs::write(self.slot_path(prev), &self.originals[prev])
                .expect("restore platform file");
        }
        let (slot, bytes) = match data.split_first() {
            Some((&first, rest)) => (first as usize % SLOTS.len(), rest),
            None => (0, data),
        };
        self.dirty = Some(slot);
        std::fs::write(self.slot_path(slot), bytes).expect("write fuzz input");
        let mut outcome = check_frontend(self.dir.path());
        outcome.slot = slot;
        outcome
    }
}

/// Runs the front end at `root` and every renderer over its diagnostics; panics only when
/// a product guarantee is broken.
pub fn check_frontend(root: &Path) -> Outcome {
    let frontend = infrac::pipeline::run_frontend(root);
    let errors = frontend.diagnostics.has_errors();
    assert!(
        errors || frontend.model.is_some(),
        "no error diagnostic, yet no model"
    );
    assert!(
        !errors || frontend.model.is_none(),
        "a model despite error diagnostics"
    );
    let sources = &frontend.sources;
    let diags = &frontend.diagnostics;
    std::hint::black_box(infrac::diagnostic::render::text(diags, sources, false));
    std::hint::black_box(infrac::diagnostic::render::text(diags, sources, true));
    let json = infrac::diagnostic::render::json(diags, sources);
    serde_json::from_str::<serde_json::Value>(&json).expect("--format json prints valid JSON");
    std::hint::black_box(infrac::diagnostic::render::github(diags, sources));
    let mut codes: Vec<&'static str> = diags.items.iter().map(|d| d.code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    Outcome {
        slot: 0,
        codes,
        valid: frontend.model.is_some(),
    }
}
