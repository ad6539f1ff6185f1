//! Compiles a platform repo in memory exactly as `infrac build` does, and writes nothing:
//! the "compile in memory" figure of the benchmarks, timed per process with hyperfine
//! (`scripts/bench.sh`). `cargo run --release --example compile -- DIR`.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line tool: it prints

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let root = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    // The same exit-time shortcut as the binary: large trees are left to the process exit.
    infrac::teardown::exit_after_run();
    let frontend = infrac::pipeline::run_frontend(&root);
    let Some(model) = frontend.model.as_ref() else {
        eprintln!("the platform does not validate");
        std::process::exit(1);
    };
    let templates = infrac::templates::Templates::builtin().expect("templates");
    let ctx = infrac::backend::EmitCtx::new(&frontend.project, &templates);
    let files = infrac::backend::emit(model, &infrac::artifact::Target::ALL, &ctx)
        .expect("every target compiles");
    println!("{} files", files.len());
    std::mem::forget(files);
    std::mem::forget(frontend);
}
