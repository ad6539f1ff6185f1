//! `build`, `plan` and `check`: compile in memory, then write the golden tree or diff it.

use super::{DiagFormat, report};
use crate::cli::{PlanFormat, TargetArg};
use crate::error::Error;
use crate::output::layout::Layout;
use crate::output::plan::{self, PlanFilter};
use crate::output::write::{WriteError, write_tree};
use crate::output::{FileSet, Target};
use crate::pipeline::run_frontend;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// A compiled platform: its layout and every generated file.
pub struct Compiled {
    pub layout: Layout,
    pub files: FileSet,
    /// The environments' names, sorted, for checking `--env`.
    pub environments: Vec<String>,
}

/// Runs the front end and the targets; `Err(exit code)` after reporting a problem.
pub fn compile(root: &Path) -> Result<Result<Compiled, u8>, Error> {
    let frontend = run_frontend(root);
    report(&frontend, DiagFormat::Text);
    let Some(model) = frontend.model.as_ref() else {
        return Ok(Err(1));
    };
    let project = &frontend.project;
    let moves = project
        .output
        .iter()
        .map(|(k, v)| (k.clone(), PathBuf::from(v)))
        .collect();
    let layout = match Layout::new(&project.out, moves) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: infrac.toml: {e}");
            return Ok(Err(1));
        }
    };
    // Every enabled target: the manifest must describe the whole tree (plan filters after).
    let targets: Vec<Target> = project.targets.clone();
    let overrides = match &project.templates {
        Some(dir) => crate::load::templates::read_overrides(&root.join(dir))?,
        None => Default::default(),
    };
    let templates = crate::templates::Templates::with_overrides(&overrides)?;
    let ctx = crate::backend::EmitCtx::new(project, &templates);
    let files = crate::backend::emit(model, &targets, &ctx)?;
    let environments = model.environments.iter().map(|e| e.name.clone()).collect();
    crate::teardown::release(frontend);
    Ok(Ok(Compiled {
        layout,
        files,
        environments,
    }))
}

fn write_error(e: WriteError) -> Result<u8, Error> {
    match e {
        WriteError::Io {
            action,
            path,
            source,
        } => Err(Error::io(action, path, source)),
        other => {
            eprintln!("error: {other}");
            Ok(1)
        }
    }
}

/// `infrac build`: every enabled target, so the manifest always describes the whole tree.
pub fn build(root: &Path) -> Result<u8, Error> {
    let compiled = match compile(root)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    match write_tree(root, &compiled.layout, &compiled.files) {
        Ok(r) => {
            println!(
                "built {}: {} written, {} unchanged, {} deleted",
                compiled.layout.out().display(),
                r.written.len(),
                r.unchanged.len(),
                r.deleted.len()
            );
            crate::teardown::release(compiled);
            Ok(0)
        }
        Err(e) => write_error(e),
    }
}

fn colour_stdout() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// `infrac plan`: exit 0 no changes, 2 changes, 1 error.
pub fn plan(
    root: &Path,
    format: PlanFormat,
    envs: &[String],
    targets: &[TargetArg],
    base: Option<&str>,
) -> Result<u8, Error> {
    let compiled = match compile(root)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    if let Some(code) = unknown_environment(envs, &compiled.environments) {
        return Ok(code);
    }
    let filter = PlanFilter {
        environments: envs.to_vec(),
        targets: targets.iter().map(|t| t.target()).collect(),
    };
    let planned = match base {
        None => plan::plan(root, &compiled.layout, &compiled.files, &filter),
        Some(rev) => match read_base_tree(root, &compiled, rev) {
            Ok(tree) => plan::plan_base(&tree, &compiled.layout, &compiled.files, &filter),
            Err(e) => {
                eprintln!("error: --base {rev}: {e}");
                return Ok(1);
            }
        },
    };
    let plan = match planned {
        Ok(p) => p,
        Err(e) => return write_error(e),
    };
    print!("{}", render(&plan, format));
    let code = if plan.has_changes() { 2 } else { 0 };
    crate::teardown::release((compiled, plan));
    Ok(code)
}

/// Exit 64 (a usage error) after naming the first `--env` that is no environment, with the
/// nearest name when one is close.
fn unknown_environment(wanted: &[String], known: &[String]) -> Option<u8> {
    let name = wanted.iter().find(|w| !known.contains(w))?;
    let hint = crate::diagnostic::did_you_mean(name, known.iter().map(String::as_str))
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
    eprintln!(
        "error: --env {name}: not an environment{hint}; the environments are {}",
        known.join(", ")
    );
    Some(64)
}

/// The golden tree as committed at `rev`: the output directory and every file the layout
/// moves out of it.
fn read_base_tree(
    root: &Path,
    compiled: &Compiled,
    rev: &str,
) -> Result<plan::BaseTree, crate::load::git::GitError> {
    let out = crate::output::layout::path_key(compiled.layout.out());
    let mut paths: Vec<String> = vec![out.clone()];
    for file in compiled.files.iter() {
        if let Ok(key) = compiled.layout.disk_key(&file.path)
            && !std::path::Path::new(&key).starts_with(&out)
        {
            paths.push(key);
        }
    }
    paths.sort();
    paths.dedup();
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    crate::load::git::read_tree(root, rev, &paths)
}

fn render(plan: &plan::Plan, format: PlanFormat) -> String {
    match format {
        PlanFormat::Text => plan::render_text::render_text(plan, colour_stdout()),
        PlanFormat::Markdown => plan::render_markdown::render_markdown(plan),
        PlanFormat::Json => plan::render_json::render_json(plan),
    }
}

/// `infrac check`: exit 0 fresh, 1 stale or error.
pub fn check(root: &Path, format: PlanFormat) -> Result<u8, Error> {
    let compiled = match compile(root)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let plan = match plan::plan(
        root,
        &compiled.layout,
        &compiled.files,
        &PlanFilter::default(),
    ) {
        Ok(p) => p,
        Err(e) => return write_error(e),
    };
    if !plan.has_changes() {
        if format == PlanFormat::Json {
            print!("{}", render(&plan, format));
        } else {
            println!("golden tree is fresh: {} files", compiled.files.len());
        }
        crate::teardown::release((compiled, plan));
        return Ok(0);
    }
    print!("{}", render(&plan, format));
    if std::env::var("GITHUB_ACTIONS").as_deref() == Ok("true") {
        for file in &plan.files {
            println!(
                "::error file={},title=infrac::stale::generated file is stale: run `infrac build` and commit the result",
                file.path
            );
        }
    }
    eprintln!("error: the golden tree is stale; run `infrac build` and commit the result");
    Ok(1)
}
