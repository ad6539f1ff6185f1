//! How large in-memory trees end: dropped as usual, or, in the `infrac` binary, left to the
//! process exit. The binary ends right after its command, so freeing millions of nodes one by
//! one (about 25 ms on a 1,000-service platform) buys nothing; the OS takes the whole heap
//! back at once. Library users (tests, benchmarks) keep ordinary drops unless they opt in.

use std::sync::atomic::{AtomicBool, Ordering};

static EXIT_AFTER_RUN: AtomicBool = AtomicBool::new(false);

/// Declares that the process exits right after the current command.
pub fn exit_after_run() {
    EXIT_AFTER_RUN.store(true, Ordering::Relaxed);
}

/// Drops `value`, or leaves it to the process exit when [`exit_after_run`] was called.
pub(crate) fn release<T>(value: T) {
    if EXIT_AFTER_RUN.load(Ordering::Relaxed) {
        std::mem::forget(value);
    } else {
        drop(value);
    }
}
