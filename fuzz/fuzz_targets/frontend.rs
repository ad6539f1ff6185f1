//! cargo-fuzz target over load + merge + validate + lower (`pipeline::run_frontend`) and the
//! diagnostic renderers. The first input byte picks which file of a small valid synthetic
//! platform the rest replaces. Run: `cargo +nightly fuzz run frontend` (from the repo root).

#![no_main]

#[path = "../../benches/support/synth.rs"]
mod synth;
#[path = "../support/harness.rs"]
mod harness;

use libfuzzer_sys::fuzz_target;
use std::sync::{Mutex, OnceLock};

static HARNESS: OnceLock<Mutex<harness::Harness>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let harness = HARNESS.get_or_init(|| Mutex::new(harness::Harness::new(&synth::generate(6).files)));
    let mut harness = harness.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    harness.run(data);
});
