//! Times each stage of a compile on a platform repo (release build for real figures):
//! `cargo run --release --example phases -- DIR [RUNS]`. Prints the median wall time and the
//! median CPU time (all threads) of each stage over RUNS runs (default 1).

#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line tool: it prints

use infrac::artifact::Target;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::time::Instant;

/// CPU time of the whole process so far (user + system, every thread), in ms.
fn cpu_ms() -> f64 {
    // SAFETY: getrusage fills the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let ms = |t: libc::timeval| t.tv_sec as f64 * 1e3 + t.tv_usec as f64 / 1e3;
    ms(usage.ru_utime) + ms(usage.ru_stime)
}

/// Wall and CPU time of `f`.
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64, f64) {
    let (t, c) = (Instant::now(), cpu_ms());
    let out = f();
    (out, t.elapsed().as_secs_f64() * 1e3, cpu_ms() - c)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let root = std::path::PathBuf::from(args.next().unwrap_or_else(|| ".".into()));
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(1);
    let templates = infrac::templates::Templates::builtin().expect("templates");
    let project = infrac::project::Project::default();
    let ctx = infrac::backend::EmitCtx::new(&project, &templates);
    let layout = infrac::output::layout::Layout::default();
    let stages = [
        "frontend",
        "kubernetes",
        "terraform",
        "ci",
        "plan diff",
        "all targets",
        "compile",
    ];
    let mut wall: Vec<Vec<f64>> = vec![Vec::new(); stages.len()];
    let mut cpu: Vec<Vec<f64>> = vec![Vec::new(); stages.len()];
    let mut counts = vec![0usize; stages.len()];
    for _ in 0..runs {
        let (model, w, c) = timed(|| infrac::pipeline::load_model(&root));
        let Ok(model) = model else {
            eprintln!("the platform does not validate");
            std::process::exit(1);
        };
        wall[0].push(w);
        cpu[0].push(c);
        for (i, target) in Target::ALL.into_iter().enumerate() {
            let (files, w, c) =
                timed(|| infrac::backend::emit(&model, &[target], &ctx).expect("emit"));
            wall[i + 1].push(w);
            cpu[i + 1].push(c);
            counts[i + 1] = files.len();
        }
        // What `build` does: every target at once (they run side by side).
        let (all, w, c) =
            timed(|| infrac::backend::emit(&model, &Target::ALL, &ctx).expect("emit"));
        wall[5].push(w);
        cpu[5].push(c);
        counts[5] = all.len();
        // Compile in memory = front end + every target.
        let (front_wall, front_cpu) = (wall[0][wall[0].len() - 1], cpu[0][cpu[0].len() - 1]);
        wall[6].push(front_wall + w);
        cpu[6].push(front_cpu + c);
        let (plan, w, c) = timed(|| {
            infrac::output::plan::plan(&root, &layout, &all, &Default::default()).expect("plan")
        });
        wall[4].push(w);
        cpu[4].push(c);
        counts[4] = plan.files.len();
    }
    println!(
        "{:<12} {:>9} {:>9}  (medians of {runs})",
        "stage", "wall ms", "cpu ms"
    );
    for (i, stage) in stages.iter().enumerate() {
        let what = match i {
            0 | 6 => String::new(),
            4 => format!("{} changed files", counts[i]),
            _ => format!("{} files", counts[i]),
        };
        println!(
            "{stage:<12} {:>9.1} {:>9.1}  {what}",
            median(wall[i].clone()),
            median(cpu[i].clone())
        );
    }
}
