//! `build`, `plan` and `check`: compile in memory, then write the golden tree or diff it.

use crate::cli::PlanFormat;
use crate::diagnostic::{Code, Diagnostic, Sources};
use crate::error::Error;
use crate::output::layout::Layout;
use crate::output::plan::{self, PlanFilter};
use crate::output::write::{WriteError, write_tree};
use crate::output::{FileSet, Target};
use crate::pipeline::{Frontend, run_frontend};
use crate::printer::Printer;
use crate::templates::Templates;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A compiled platform: its layout and every generated file.
pub struct Compiled {
    pub layout: Layout,
    pub files: FileSet,
}

/// The user's template overrides as read: the directory as infrac.toml names it, and its
/// files by relative path.
#[derive(Debug, Default)]
pub(super) struct Overrides {
    dir: String,
    files: BTreeMap<String, String>,
}

/// The templates: the built-ins with the overrides of the directory infrac.toml's
/// `templates` names. A missing directory, a file where the directory belongs and an
/// override that does not compile are the user's mistakes: each a located diagnostic pushed
/// onto `frontend`, and `None`.
pub(super) fn load_templates(
    root: &Path,
    frontend: &mut Frontend,
) -> Result<Option<(Templates, Overrides)>, Error> {
    let Some(dir) = frontend.project.templates.clone() else {
        return Ok(Some((Templates::builtin()?, Overrides::default())));
    };
    let full = root.join(&dir);
    let problem = match std::fs::metadata(&full) {
        Ok(meta) if meta.is_dir() => None,
        Ok(_) => Some((
            Code::NotAFile,
            format!(
                "`templates = \"{dir}\"` names a file; it must be a directory of template overrides"
            ),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some((
            Code::MissingFile,
            format!("the template directory `{dir}` does not exist"),
        )),
        Err(e) => return Err(Error::io("read template directory", full, e)),
    };
    if let Some((code, message)) = problem {
        let sources = &mut frontend.sources;
        let pos = match sources.find("infrac.toml") {
            Some(file) => {
                let text = sources.text(file);
                match crate::project::value_span(text, &["templates"]) {
                    Some(span) => crate::load::pos_at(text, file, span.start, span.len()),
                    None => Sources::file_pos(file),
                }
            }
            None => Sources::file_pos(sources.add("infrac.toml", "")),
        };
        frontend.diagnostics.push(
            Diagnostic::error(code, pos, message).with_help(
                "create the directory with your overrides, or remove `templates` from infrac.toml to use the built-in templates",
            ),
        );
        return Ok(None);
    }
    let overrides = Overrides {
        dir: dir.trim_end_matches('/').to_owned(),
        files: crate::load::templates::read_overrides(&full)?,
    };
    match Templates::with_overrides(&overrides.files) {
        Ok(templates) => Ok(Some((templates, overrides))),
        Err(e) => match override_diagnostic(&e, &overrides, &mut frontend.sources) {
            Some(d) => {
                frontend.diagnostics.push(d);
                Ok(None)
            }
            None => Err(e),
        },
    }
}

/// A template error in one of the user's overrides as a diagnostic at the place in it;
/// `None` when the template at fault is a built-in (the tool's bug).
fn override_diagnostic(
    error: &Error,
    overrides: &Overrides,
    sources: &mut Sources,
) -> Option<Diagnostic> {
    let Error::Template {
        name,
        message,
        line,
        range,
    } = error
    else {
        return None;
    };
    let text = overrides.files.get(name)?;
    let file = sources.add(format!("{}/{name}", overrides.dir), text.clone());
    let pos = match (range, line) {
        (Some(range), _) => crate::load::pos_at(text, file, range.start, range.len()),
        (None, Some(line)) => {
            let start: usize = text
                .split_inclusive('\n')
                .take(line.saturating_sub(1))
                .map(str::len)
                .sum();
            let len = text[start.min(text.len())..]
                .find('\n')
                .unwrap_or(text.len() - start.min(text.len()));
            crate::load::pos_at(text, file, start, len)
        }
        (None, None) => Sources::file_pos(file),
    };
    let message = line
        .and_then(|l| message.strip_prefix(&format!("line {l}: ")))
        .unwrap_or(message);
    Some(
        Diagnostic::error(
            Code::Template,
            pos,
            format!("the template override `{name}` is broken: {message}"),
        )
        .with_help("fix the override, or delete it to use the built-in template"),
    )
}

/// Runs the front end and the targets; `Err(exit code)` after reporting a problem.
pub fn compile(printer: &Printer, root: &Path) -> Result<Result<Compiled, u8>, Error> {
    let mut frontend = run_frontend(root);
    let templates = load_templates(root, &mut frontend)?;
    let (Some(model), Some((templates, overrides))) = (frontend.model.as_ref(), templates) else {
        frontend.diagnostics.finish(&frontend.sources);
        printer.diagnostics(&frontend.diagnostics, &frontend.sources)?;
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
            printer.diagnostics(&frontend.diagnostics, &frontend.sources)?;
            printer.error(&format!("infrac.toml: {e}"));
            return Ok(Err(1));
        }
    };
    // Every enabled target: the manifest must describe the whole tree (plan filters after).
    let targets: Vec<Target> = project.targets.clone();
    let ctx = crate::backend::EmitCtx::new(project, &templates);
    let files = match crate::backend::emit(model, &targets, &ctx) {
        Ok(files) => files,
        Err(e) => {
            let Some(d) = override_diagnostic(&e, &overrides, &mut frontend.sources) else {
                return Err(e);
            };
            frontend.diagnostics.push(d);
            frontend.diagnostics.finish(&frontend.sources);
            printer.diagnostics(&frontend.diagnostics, &frontend.sources)?;
            return Ok(Err(1));
        }
    };
    printer.diagnostics(&frontend.diagnostics, &frontend.sources)?;
    crate::teardown::release(frontend);
    Ok(Ok(Compiled { layout, files }))
}

fn write_error(printer: &Printer, e: WriteError) -> Result<u8, Error> {
    if let Some((diags, sources)) = e.diagnostics() {
        printer.diagnostics(&diags, &sources)?;
        return Ok(1);
    }
    match e {
        WriteError::Io {
            action,
            path,
            source,
        } => Err(Error::io(action, path, source)),
        other => {
            printer.error(&other.to_string());
            Ok(1)
        }
    }
}

/// `infrac build`: every enabled target, so the manifest always describes the whole tree.
pub fn build(printer: &Printer, root: &Path) -> Result<u8, Error> {
    let compiled = match compile(printer, root)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    match write_tree(root, &compiled.layout, &compiled.files) {
        Ok(r) => {
            for key in &r.kept {
                printer.note(&format!(
                    "warning: kept `{key}`: infrac no longer generates it, but it was changed since infrac wrote it, so it is yours now; delete it if you do not need it"
                ));
            }
            printer.line(&format!(
                "built {}: {} written, {} unchanged, {} deleted",
                compiled.layout.out().display(),
                r.written.len(),
                r.unchanged.len(),
                r.deleted.len()
            ))?;
            crate::teardown::release(compiled);
            Ok(0)
        }
        Err(e) => write_error(printer, e),
    }
}

/// `infrac plan`: exit 0 no changes, 2 changes, 1 error.
pub fn plan(
    printer: &Printer,
    root: &Path,
    format: PlanFormat,
    envs: &[String],
    targets: &[Target],
) -> Result<u8, Error> {
    let compiled = match compile(printer, root)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let filter = PlanFilter {
        environments: envs.to_vec(),
        targets: targets.to_vec(),
    };
    let plan = match plan::plan(root, &compiled.layout, &compiled.files, &filter) {
        Ok(p) => p,
        Err(e) => return write_error(printer, e),
    };
    printer.out(&render(printer, &plan, format))?;
    let code = if plan.has_changes() { 2 } else { 0 };
    crate::teardown::release((compiled, plan));
    Ok(code)
}

fn render(printer: &Printer, plan: &plan::Plan, format: PlanFormat) -> String {
    match format {
        PlanFormat::Text => plan::render_text::render_text(plan, printer.colour_stdout()),
        PlanFormat::Markdown => plan::render_markdown::render_markdown(plan),
        PlanFormat::Json => plan::render_json::render_json(plan),
    }
}

/// `infrac check`: exit 0 fresh, 1 stale or error.
pub fn check(printer: &Printer, root: &Path, format: PlanFormat) -> Result<u8, Error> {
    let compiled = match compile(printer, root)? {
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
        Err(e) => return write_error(printer, e),
    };
    if !plan.has_changes() {
        if format == PlanFormat::Json {
            printer.out(&render(printer, &plan, format))?;
        } else {
            printer.line(&format!(
                "golden tree is fresh: {} files",
                compiled.files.len()
            ))?;
        }
        crate::teardown::release((compiled, plan));
        return Ok(0);
    }
    printer.out(&render(printer, &plan, format))?;
    for file in &plan.files {
        printer.annotation(&crate::diagnostic::render::Annotation {
            level: crate::diagnostic::Severity::Error,
            file: &file.path,
            at: None,
            title: "infrac::stale",
            message: "generated file is stale: run `infrac build` and commit the result",
        });
    }
    printer.error("the golden tree is stale; run `infrac build` and commit the result");
    Ok(1)
}
