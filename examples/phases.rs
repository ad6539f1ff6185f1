//! Times each stage of a compile on a platform repo (release build for real figures):
//! `cargo run --release --example phases -- DIR`.

use infrac::output::Target;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::time::Instant;

fn main() {
    let root = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    let t = Instant::now();
    let model = match infrac::pipeline::load_model(&root) {
        Ok(m) => m,
        Err(_) => {
            eprintln!("the platform does not validate");
            std::process::exit(1);
        }
    };
    println!("frontend     {:>8.1} ms", t.elapsed().as_secs_f64() * 1e3);
    let templates = infrac::templates::Templates::builtin().expect("templates");
    let mut all = infrac::output::FileSet::new();
    for target in Target::ALL {
        let t = Instant::now();
        let files = infrac::target::emit(&model, &[target], &templates).expect("emit");
        println!(
            "{:<12} {:>8.1} ms  {} files",
            target.as_str(),
            t.elapsed().as_secs_f64() * 1e3,
            files.len()
        );
        all.extend(files.iter().cloned());
    }
    let layout = infrac::output::layout::Layout::default();
    let t = Instant::now();
    let plan = infrac::output::plan::plan(&root, &layout, &all, &Default::default()).expect("plan");
    println!(
        "plan diff    {:>8.1} ms  {} changed files",
        t.elapsed().as_secs_f64() * 1e3,
        plan.files.len()
    );
}
