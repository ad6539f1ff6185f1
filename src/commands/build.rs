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
    /// The model the files were compiled from (for the change policies).
    pub model: crate::model::Model,
    /// The input paths (`infrac.toml` settings), to read the same inputs at a base revision.
    pub inputs: Vec<String>,
}

/// Runs the front end and the targets; `Err(exit code)` after reporting a problem.
pub fn compile(root: &Path) -> Result<Result<Compiled, u8>, Error> {
    let mut frontend = run_frontend(root);
    report(&frontend, DiagFormat::Text);
    let Some(model) = frontend.model.take() else {
        return Ok(Err(1));
    };
    let model = &model;
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
    let inputs = vec![
        "infrac.toml".to_owned(),
        project.registry.clone(),
        project.environments.trim_end_matches('/').to_owned(),
        project.versions.clone(),
    ];
    let model = model.clone();
    crate::teardown::release(frontend);
    Ok(Ok(Compiled {
        layout,
        files,
        environments,
        model,
        inputs,
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
    let mut plan = match planned {
        Ok(p) => p,
        Err(e) => return write_error(e),
    };
    if let Some(rev) = base {
        match base_policies(root, &compiled, rev) {
            Ok(found) => plan.policies = found,
            Err(code) => return Ok(code),
        }
    }
    print!("{}", render(&plan, format));
    let code = if plan.has_changes() { 2 } else { 0 };
    crate::teardown::release((compiled, plan));
    Ok(code)
}

/// `check --base`: every change policy the change since `rev` trips, printed; exit 1 when
/// one is not allowed by an `Infrac-Allow:` trailer of the head commit (HEAD, or HEAD's
/// second parent when HEAD is the merge commit CI checks out for a pull request).
fn check_policies(root: &Path, compiled: &Compiled, rev: &str) -> Result<u8, u8> {
    let found = base_policies(root, compiled, rev)?;
    if found.is_empty() {
        return Ok(0);
    }
    let git = |e: crate::load::git::GitError| {
        eprintln!("error: reading the head commit: {e}");
        1u8
    };
    let head = match crate::load::git::parent_count(root, "HEAD").map_err(git)? {
        n if n > 1 => "HEAD^2",
        _ => "HEAD",
    };
    let allowed =
        plan::policies::allowed_codes(&crate::load::git::commit_message(root, head).map_err(git)?);
    let mut refused = 0;
    for f in &found {
        let ok = allowed.iter().any(|a| a == f.code.as_str());
        let verdict = if ok {
            "allowed by the head commit"
        } else {
            "error"
        };
        eprintln!("{verdict}[{}]: {}", f.code.as_str(), f.message);
        if !ok {
            eprintln!("  help: {}", f.help);
            refused += 1;
        }
    }
    if refused > 0 {
        eprintln!(
            "error: {refused} change(s) since {rev} need a second look; allow them with `Infrac-Allow: CODE` in the commit message of {head}"
        );
        return Ok(1);
    }
    Ok(0)
}

/// The change policies from the inputs at `rev` to the working tree's; `Err(exit code)`
/// after saying why the base could not be read. Base inputs that do not compile leave
/// nothing to compare: a note says so and no policy is checked.
fn base_policies(
    root: &Path,
    compiled: &Compiled,
    rev: &str,
) -> Result<Vec<plan::policies::Finding>, u8> {
    let Some(base_model) = base_model(root, compiled, rev, "the change policies are not checked")?
    else {
        return Ok(Vec::new());
    };
    let found = plan::policies::check(&base_model, &compiled.model);
    crate::teardown::release(base_model);
    Ok(found)
}

/// The model of the inputs as committed at `rev` (`None`, after a note saying `what` is
/// skipped, when they do not compile); `Err(exit code)` when git cannot give them.
fn base_model(
    root: &Path,
    compiled: &Compiled,
    rev: &str,
    what: &str,
) -> Result<Option<crate::model::Model>, u8> {
    let paths: Vec<&str> = compiled.inputs.iter().map(String::as_str).collect();
    let tree = match crate::load::git::read_tree(root, rev, &paths) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: --base {rev}: {e}");
            return Err(1);
        }
    };
    let mut frontend = crate::pipeline::run_frontend_from(crate::load::Root::Tree(&tree), None);
    let model = frontend.model.take();
    if model.is_none() {
        eprintln!(
            "note: the inputs at {rev} do not compile ({} error(s)); {what}",
            frontend.diagnostics.error_count()
        );
    }
    crate::teardown::release(frontend);
    Ok(model)
}

/// `infrac affected --base REF`: the services whose resolved model differs in some
/// environment, and the environments and targets whose generated files differ. A change to
/// a shared file (a base, a module, CI) reaches every environment.
pub fn affected(root: &Path, rev: &str, format: crate::cli::AffectedFormat) -> Result<u8, Error> {
    use crate::cli::AffectedFormat;
    use std::collections::BTreeSet;
    let compiled = match compile(root)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let tree = match read_base_tree(root, &compiled, rev) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: --base {rev}: {e}");
            return Ok(1);
        }
    };
    let filter = PlanFilter::default();
    let planned = match plan::plan_base(&tree, &compiled.layout, &compiled.files, &filter) {
        Ok(p) => p,
        Err(e) => return write_error(e),
    };
    let base = match base_model(root, &compiled, rev, "every service counts as affected") {
        Ok(m) => m,
        Err(code) => return Ok(code),
    };
    let mut services = BTreeSet::new();
    for env in &compiled.model.environments {
        let old = base.as_ref().and_then(|m| m.environment(&env.name));
        for (name, service) in &env.services {
            let before = old.and_then(|o| o.services.get(name));
            let same = before.is_some_and(|b| {
                serde_json::to_value(b).ok() == serde_json::to_value(service).ok()
            });
            if !same {
                services.insert(name.clone());
            }
        }
        if let Some(old) = old {
            let gone = old
                .services
                .keys()
                .filter(|n| !env.services.contains_key(*n));
            services.extend(gone.cloned());
        }
    }
    let mut pairs: BTreeSet<(String, &'static str)> = BTreeSet::new();
    for f in &planned.files {
        let envs: Vec<String> = match &f.environment {
            Some(e) => vec![e.clone()],
            None => compiled.environments.clone(),
        };
        for e in envs {
            pairs.insert((e, f.target.as_str()));
        }
    }
    // Promotion order, as the model lists the environments.
    let order = |e: &str| compiled.environments.iter().position(|x| x == e);
    let mut environments: Vec<String> = pairs.iter().map(|(e, _)| e.clone()).collect();
    environments.dedup();
    environments.sort_by_key(|e| order(e));
    let targets: BTreeSet<&str> = pairs.iter().map(|(_, t)| *t).collect();
    let services: Vec<String> = services.into_iter().collect();
    let targets: Vec<&str> = targets.into_iter().collect();
    match format {
        AffectedFormat::Text => {
            println!("services: {}", services.join(", "));
            println!("environments: {}", environments.join(", "));
            println!("targets: {}", targets.join(", "));
        }
        AffectedFormat::Json => {
            let value = serde_json::json!({
                "base": rev,
                "services": services,
                "environments": environments,
                "targets": targets,
            });
            println!("{value:#}");
        }
        AffectedFormat::Matrix => {
            // `strategy.matrix: ${{ fromJSON(...) }}` takes an object whose `include` lists
            // one job per entry: https://docs.github.com/en/actions/writing-workflows/choosing-what-your-workflow-does/running-variations-of-jobs-in-a-workflow#expanding-or-adding-matrix-configurations
            let mut sorted: Vec<&(String, &str)> = pairs.iter().collect();
            sorted.sort_by_key(|(e, t)| (order(e), *t));
            let include: Vec<serde_json::Value> = sorted
                .into_iter()
                .map(|(e, t)| serde_json::json!({"environment": e, "target": t}))
                .collect();
            println!("{}", serde_json::json!({ "include": include }));
        }
    }
    crate::teardown::release((compiled, planned, base));
    Ok(0)
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
pub fn check(root: &Path, format: PlanFormat, base: Option<&str>) -> Result<u8, Error> {
    let compiled = match compile(root)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    if let Some(rev) = base {
        match check_policies(root, &compiled, rev) {
            Ok(0) => {}
            other => return other.or(Ok(1)),
        }
    }
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
