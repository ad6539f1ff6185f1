//! cargo-fuzz target over the output tree and its manifest as a pull request may leave
//! them: any manifest text and `golden/` entries (links, FIFOs, traversal in names) through
//! the manifest parser, `plan` and the build's write/keep/delete decision, asserting that
//! nothing outside the owned roots is ever accepted, written or deleted (see
//! `fuzz/support/golden_harness.rs`). Run: `cargo +nightly fuzz run golden_manifest`.

#![no_main]

#[path = "../support/golden_harness.rs"]
mod golden_harness;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    golden_harness::run(data);
});
