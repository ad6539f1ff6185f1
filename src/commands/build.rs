//! `build`, `plan` and `check`: compile in memory, then write the golden tree or diff it.

use crate::artifact::{FileSet, Target};
use crate::cli::PlanFormat;
use crate::diagnostic::{Code, Diagnostic, Sources};
use crate::error::Error;
use crate::output::layout::Layout;
use crate::output::plan::{self, PlanFilter};
use crate::output::write::{WriteError, write_tree};
use crate::pipeline::{Frontend, run_frontend};
use crate::printer::Printer;
use crate::templates::Templates;
use std::collections::BTreeMap;
use std::path::Path;

/// A compiled platform: its layout and every generated file.
pub struct Compiled {
    pub layout: Layout,
    pub files: FileSet,
    /// The model the files were compiled from (for the change policies).
    pub model: crate::model::Model,
    /// The input paths (`infrac.toml` settings), to read the same inputs at a base revision.
    pub inputs: Vec<String>,
    /// The front end the model came from (its parsed inputs trace the plan's causes).
    pub frontend: Frontend,
    /// The digest of every input the compile read, as the manifest records it.
    pub inputs_digest: String,
}

impl Compiled {
    /// Names the input positions behind each changed field of `plan` it can trace.
    fn attach_causes(&self, plan: &mut plan::Plan) {
        let Some(registry) = &self.frontend.inputs.registry else {
            return;
        };
        let environments = self.frontend.environments_owned();
        let inputs = plan::causes::TraceInputs {
            sources: &self.frontend.sources,
            registry: &registry.node,
            environments: &environments,
            versions: self.frontend.inputs.versions.as_ref().map(|v| &v.node),
        };
        plan::causes::attach(plan, &inputs);
    }
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
    let read = crate::load::templates::read_overrides(root, &dir)?;
    let overrides = Overrides {
        dir: dir.trim_end_matches('/').to_owned(),
        files: read.files,
    };
    if !read.refused.is_empty() {
        for refused in &read.refused {
            let d = crate::load::templates::refusal_diagnostic(
                &overrides.dir,
                refused,
                &mut frontend.sources,
            );
            frontend.diagnostics.push(d);
        }
        return Ok(None);
    }
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
    let (Some(model), Some((templates, overrides))) = (frontend.model.take(), templates) else {
        frontend.diagnostics.finish(&frontend.sources);
        printer.diagnostics(&frontend.diagnostics, &frontend.sources)?;
        return Ok(Err(1));
    };
    let project = &frontend.project;
    let layout = match Layout::of_project(project) {
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
    let files = match crate::backend::emit(&model, &targets, &ctx) {
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
    let inputs = input_paths(project);
    let inputs_digest = crate::load::digest::loaded_digest(
        &frontend.inputs,
        &frontend.sources,
        Some((&overrides.dir, &overrides.files)),
    );
    Ok(Ok(Compiled {
        layout,
        files,
        model,
        inputs,
        frontend,
        inputs_digest,
    }))
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
    match write_tree(
        root,
        &compiled.layout,
        &compiled.files,
        Some(&compiled.inputs_digest),
    ) {
        Ok(r) => {
            for key in &r.kept {
                printer.note(&format!(
                    "warning: kept `{key}`: infrac no longer generates it, but it was changed since infrac wrote it, so it is yours now; delete it if you do not need it"
                ));
            }
            if let Some(warning) = unread_pipelines(&compiled.layout, &compiled.files) {
                printer.note(&warning);
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

/// Where GitHub Actions reads workflows: only files directly in `.github/workflows`
/// (https://docs.github.com/actions/reference/workflows-and-actions/workflow-syntax).
const GITHUB_WORKFLOWS: &str = ".github/workflows";
/// Where GitLab reads its pipeline unless the project's "CI/CD configuration file" setting
/// names another (https://docs.gitlab.com/ci/pipelines/settings/#specify-a-custom-cicd-configuration-file).
const GITLAB_CI_FILE: &str = ".gitlab-ci.yml";

/// The one warning `build` gives when it writes GitHub or GitLab pipelines where those
/// systems never read them, with the `[output]` lines of infrac.toml that move them there.
fn unread_pipelines(layout: &Layout, files: &FileSet) -> Option<String> {
    let mut placed = Vec::new();
    let mut fix = Vec::new();
    let github = files.iter().find(|f| f.path.starts_with("ci/github/"));
    if let Some(file) = github {
        let disk = layout.disk_path(&file.path);
        if disk.parent() != Some(Path::new(GITHUB_WORKFLOWS)) {
            let dir = disk.parent().map(crate::output::layout::path_key);
            placed.push(format!(
                "the GitHub Actions workflows are in {} (GitHub runs only {GITHUB_WORKFLOWS}/*.yml)",
                dir.unwrap_or_default()
            ));
            fix.push(format!("github = \"{GITHUB_WORKFLOWS}\""));
        }
    }
    let gitlab = files.iter().find(|f| f.path.starts_with("ci/gitlab/"));
    if let Some(file) = gitlab {
        let disk = layout.disk_path(&file.path);
        if disk != Path::new(GITLAB_CI_FILE) {
            placed.push(format!(
                "the GitLab pipeline is {} (GitLab reads {GITLAB_CI_FILE} unless the project's CI/CD configuration file setting names another)",
                crate::output::layout::path_key(&disk)
            ));
            fix.push(format!("gitlab = \"{GITLAB_CI_FILE}\""));
        }
    }
    if placed.is_empty() {
        return None;
    }
    Some(format!(
        "warning: {}; to put them where they run, add to infrac.toml:\n  [output]\n  {}",
        placed.join(", and "),
        fix.join("\n  ")
    ))
}

/// `infrac plan`: exit 0 no changes, 2 changes, 1 error.
pub fn plan(
    printer: &Printer,
    root: &Path,
    format: PlanFormat,
    envs: &[String],
    targets: &[Target],
    base: Option<&str>,
) -> Result<u8, Error> {
    let compiled = match compile(printer, root)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let filter = PlanFilter {
        environments: envs.to_vec(),
        targets: targets.to_vec(),
    };
    let (planned, base_inputs) = match base {
        None => (
            plan::plan(root, &compiled.layout, &compiled.files, &filter),
            None,
        ),
        Some(rev) => {
            // The base golden tree (mostly git's own work, in its process) and the base
            // inputs' front end (ours) are read side by side.
            let (tree, base_inputs) = rayon::join(
                || read_base_tree(root, &compiled.layout, &compiled.files, rev),
                || load_base_model(root, &compiled.inputs, rev),
            );
            match tree {
                Ok(tree) => (
                    plan::plan_base(&tree, &compiled.layout, &compiled.files, &filter),
                    Some((rev, base_inputs)),
                ),
                Err(e) => {
                    printer.error(&format!("--base {rev}: {e}"));
                    return Ok(1);
                }
            }
        }
    };
    let mut plan = match planned {
        Ok(p) => p,
        Err(e) => return write_error(printer, e),
    };
    if let Some((rev, base_inputs)) = base_inputs {
        let what = "the change policies are not checked";
        match report_base_model(printer, rev, base_inputs, what) {
            Ok(Some(base_model)) => {
                plan.policies = plan::policies::check(&base_model, &compiled.model);
                crate::teardown::release(base_model);
            }
            Ok(None) => {}
            Err(code) => return Ok(code),
        }
    }
    compiled.attach_causes(&mut plan);
    printer.out(&render(printer, &plan, format))?;
    let code = if plan.has_changes() { 2 } else { 0 };
    crate::teardown::release((compiled, plan));
    Ok(code)
}

/// `check --base`: every change policy the change since `rev` trips, printed; exit 1 when
/// one is not allowed by an `Infrac-Allow:` trailer of the head commit (HEAD, or HEAD's
/// second parent when HEAD is the merge commit CI checks out for a pull request).
fn check_policies(
    printer: &Printer,
    root: &Path,
    compiled: &Compiled,
    rev: &str,
) -> Result<u8, u8> {
    let found = base_policies(printer, root, compiled, rev)?;
    if found.is_empty() {
        return Ok(0);
    }
    let git = |e: crate::load::git::GitError| {
        printer.error(&format!("reading the head commit: {e}"));
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
        printer.note(&format!("{verdict}[{}]: {}", f.code.as_str(), f.message));
        if !ok {
            printer.note(&format!("  help: {}", f.help));
            refused += 1;
        }
    }
    if refused > 0 {
        printer.error(&format!("{refused} change(s) since {rev} need a second look; allow them with `Infrac-Allow: CODE` in the commit message of {head}"
        ));
        return Ok(1);
    }
    Ok(0)
}

/// The change policies from the inputs at `rev` to the working tree's; `Err(exit code)`
/// after saying why the base could not be read. Base inputs that do not compile leave
/// nothing to compare: a note says so and no policy is checked.
fn base_policies(
    printer: &Printer,
    root: &Path,
    compiled: &Compiled,
    rev: &str,
) -> Result<Vec<plan::policies::Finding>, u8> {
    let Some(base_model) = base_model(
        printer,
        root,
        compiled,
        rev,
        "the change policies are not checked",
    )?
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
    printer: &Printer,
    root: &Path,
    compiled: &Compiled,
    rev: &str,
    what: &str,
) -> Result<Option<crate::model::Model>, u8> {
    report_base_model(
        printer,
        rev,
        load_base_model(root, &compiled.inputs, rev),
        what,
    )
}

/// The base inputs as read and compiled, before anything is printed about them.
type BaseModel = Result<Result<crate::model::Model, usize>, crate::load::git::GitError>;

/// Reads the inputs as committed at `rev` and runs the front end on them: the model, or the
/// number of errors that prevent it. Prints nothing (it may run beside other work).
fn load_base_model(root: &Path, inputs: &[String], rev: &str) -> BaseModel {
    let paths: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let tree = crate::load::git::read_tree(root, rev, &paths)?;
    let mut frontend = crate::pipeline::run_frontend_from(crate::load::Root::Tree(&tree), None);
    let model = frontend.model.take();
    let errors = frontend.diagnostics.error_count();
    crate::teardown::release((frontend, tree));
    Ok(model.ok_or(errors))
}

/// Says what [`load_base_model`] found: an unreadable base is an error (exit 1), inputs that
/// do not compile a note that `what` is skipped.
fn report_base_model(
    printer: &Printer,
    rev: &str,
    base: BaseModel,
    what: &str,
) -> Result<Option<crate::model::Model>, u8> {
    match base {
        Err(e) => {
            printer.error(&format!("--base {rev}: {e}"));
            Err(1)
        }
        Ok(Ok(model)) => Ok(Some(model)),
        Ok(Err(errors)) => {
            printer.note(&format!(
                "note: the inputs at {rev} do not compile ({errors} error(s)); {what}"
            ));
            Ok(None)
        }
    }
}

/// `infrac affected --base REF`: the services, environments, cells and targets whose
/// generated files differ from the base's golden tree (SPEC). A change to a file of no
/// environment (a base, a module, CI) reaches every environment; a shared file (an
/// environment's aggregate, promotion, a module) names no service ([`changed_services`]).
///
/// Two ways to the same answer. When the manifest's `# inputs:` digest is that of the
/// inputs on disk and every golden file holds the bytes the manifest records, the golden
/// tree on disk is what the inputs compile to: it is compared with the base's as it is, and
/// no back end runs (`"from": "golden"`). Otherwise (or with `--exact`) the inputs are
/// compiled, as `plan --base` does (`"from": "compile"`). Neither runs the base's front end:
/// the base is its golden tree, read from git.
pub fn affected(
    printer: &Printer,
    root: &Path,
    rev: &str,
    format: crate::cli::AffectedFormat,
    exact: bool,
) -> Result<u8, Error> {
    let golden = if exact { None } else { golden_head(root) };
    let (head, from) = match golden {
        Some(head) => (head, From::Golden),
        None => {
            let compiled = match compile(printer, root)? {
                Ok(c) => c,
                Err(code) => return Ok(code),
            };
            (
                Head {
                    topology: Topology::of_model(&compiled.model),
                    layout: compiled.layout,
                    files: compiled.files,
                },
                From::Compile,
            )
        }
    };
    let head = &head;
    let tree = match read_base_tree(root, &head.layout, &head.files, rev) {
        Ok(t) => t,
        Err(e) => {
            printer.error(&format!("--base {rev}: {e}"));
            return Ok(1);
        }
    };
    let filter = PlanFilter::default();
    let planned = match plan::plan_base(&tree, &head.layout, &head.files, &filter) {
        Ok(p) => p,
        Err(e) => return write_error(printer, e),
    };
    let services = changed_services(&head.layout, &head.files, &tree, &planned.files);
    let environments = head.topology.names();
    let answer = Affected::new(
        &head.topology,
        &head.files,
        &environments,
        services,
        &planned.files,
    );
    print_affected(printer, rev, format, from, &answer)?;
    crate::teardown::release((planned, tree));
    Ok(0)
}

/// Which way [`affected`] answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum From {
    Golden,
    Compile,
}

impl From {
    fn as_str(self) -> &'static str {
        match self {
            From::Golden => "golden",
            From::Compile => "compile",
        }
    }
}

/// The head side of `affected`: the generated files (compiled, or the golden tree on disk
/// when it is theirs), their layout and the environments with their cells.
struct Head {
    layout: Layout,
    files: FileSet,
    topology: Topology,
}

/// What `affected` needs of the environments: each one's name, in promotion order, with its
/// cells in wave order.
struct Topology(Vec<(String, Vec<String>)>);

impl Topology {
    fn of_model(model: &crate::model::Model) -> Self {
        Self(
            model
                .environments
                .iter()
                .map(|e| {
                    let cells = e.cells_in_wave_order();
                    (
                        e.name.clone(),
                        cells.iter().map(|c| c.name.clone()).collect(),
                    )
                })
                .collect(),
        )
    }

    /// From the environment overlays alone (name, text), as the model reads them: the cells
    /// in the order `waves:` lists them, the environments roots first (no `promotion.from`),
    /// then each after the one it promotes from, ties by name. `None` for an overlay that
    /// does not parse (the caller compiles).
    fn of_overlays<'a>(overlays: impl Iterator<Item = (&'a str, &'a [u8])>) -> Option<Self> {
        let mut envs: Vec<(String, Option<String>, Vec<String>)> = Vec::new();
        for (name, bytes) in overlays {
            let text = std::str::from_utf8(bytes).ok()?;
            let node = crate::load::yaml::parse(text, 0).ok()?;
            let from = node
                .get("promotion")
                .and_then(|p| p.get("from"))
                .and_then(|f| f.as_str())
                .map(str::to_owned);
            let cells: Vec<String> = node
                .get("waves")
                .and_then(|w| w.as_seq())
                .into_iter()
                .flatten()
                .flat_map(|wave| wave.as_seq().unwrap_or_default())
                .filter_map(|c| c.as_str().map(str::to_owned))
                .filter(|c| node.get("cells").and_then(|m| m.get(c)).is_some())
                .collect();
            envs.push((name.to_owned(), from, cells));
        }
        envs.sort_by(|a, b| a.0.cmp(&b.0));
        let names: Vec<String> = envs.iter().map(|e| e.0.clone()).collect();
        let mut placed: Vec<String> = Vec::new();
        let mut order = Vec::new();
        while !envs.is_empty() {
            let ready = envs.iter().position(|(_, from, _)| match from {
                Some(from) => placed.contains(from) || !names.contains(from),
                None => true,
            });
            let (name, _, cells) = envs.remove(ready.unwrap_or(0));
            placed.push(name.clone());
            order.push((name, cells));
        }
        Some(Self(order))
    }

    fn names(&self) -> Vec<String> {
        self.0.iter().map(|(name, _)| name.clone()).collect()
    }
}

/// The head from the golden tree on disk, when it is what the inputs compile to: the
/// manifest records the digest of the inputs as they are now ([`crate::load::digest`]) and
/// this infrac's version, and every file it owns holds the bytes it records (read and
/// hashed in parallel). No front end and no back end runs: the environments and cells are
/// read from the overlays ([`Topology::of_overlays`]). `None` on any doubt: the caller
/// compiles.
fn golden_head(root: &Path) -> Option<Head> {
    use rayon::prelude::*;
    let inputs = crate::load::digest::read_disk_inputs(root)?;
    let project = &inputs.project;
    let layout = Layout::of_project(project).ok()?;
    let manifest = crate::output::write::load_manifest(root, &layout).ok()?;
    if manifest.inputs() != Some(inputs.digest().as_str())
        || manifest.generator().map(|g| g.version.as_str())
            != Some(crate::output::manifest::VERSION)
        || manifest.is_empty()
    {
        return None;
    }
    let entries: Vec<(&str, &str)> = manifest.iter().collect();
    let (files, topology) = rayon::join(
        || {
            entries
                .par_iter()
                .map(|(key, hash)| {
                    let bytes = crate::output::write::read_optional(root, key).ok()??;
                    if crate::output::manifest::hash_hex(&bytes) != *hash {
                        return None;
                    }
                    let logical = layout.logical_path(key)?;
                    let owner = crate::backend::claim(&logical)?;
                    let text = String::from_utf8(bytes).ok()?;
                    // Not a file the back ends could have written as it is (normalising
                    // would change it): doubt. Normalising only drops a trailing run of
                    // blanks and newlines (adding one newline) and CRs, so a text ending in
                    // a newline that keeps its length is kept as it is.
                    let (len, ends) = (text.len(), text.ends_with('\n'));
                    let file = crate::artifact::OutputFile::new(
                        owner.target,
                        owner.environment.as_deref(),
                        logical,
                        text,
                    );
                    (ends && file.contents.len() == len).then_some(file)
                })
                .collect::<Vec<Option<crate::artifact::OutputFile>>>()
        },
        || Topology::of_overlays(inputs.environments()),
    );
    let mut set = FileSet::new();
    for file in files {
        set.insert(file?).ok()?;
    }
    Some(Head {
        layout,
        files: set,
        topology: topology?,
    })
}

/// The input paths `infrac.toml` names, to read the same inputs at a base revision.
fn input_paths(project: &crate::project::Project) -> Vec<String> {
    vec![
        "infrac.toml".to_owned(),
        project.registry.clone(),
        project.environments.trim_end_matches('/').to_owned(),
        project.versions.clone(),
    ]
}

/// What `affected` lists.
struct Affected {
    services: Vec<String>,
    /// In promotion order.
    environments: Vec<String>,
    /// `<env>/<cell>` in wave order; `None` when no environment has cells.
    cells: Option<Vec<String>>,
    targets: Vec<&'static str>,
    /// One matrix entry per environment, target and reached cell (`None`: the environment
    /// has no cell the change reaches, or no cells).
    entries: Vec<(String, &'static str, Option<String>)>,
}

impl Affected {
    fn new(
        topology: &Topology,
        files: &FileSet,
        order: &[String],
        services: std::collections::BTreeSet<String>,
        changes: &[plan::FileChange],
    ) -> Self {
        use std::collections::BTreeSet;
        let mut pairs: BTreeSet<(String, &'static str)> = BTreeSet::new();
        for f in changes {
            // The build lock (no target) is no back end's change.
            let Some(target) = f.target else { continue };
            let envs: Vec<String> = match &f.environment {
                Some(e) => vec![e.clone()],
                None => order.to_vec(),
            };
            for e in envs {
                pairs.insert((e, target.as_str()));
            }
        }
        // The cells the changed files reach, `<env>/<cell>` in wave order (SPEC "Cells").
        let cells = affected_cells(topology, files, changes);
        // Promotion order, as the model lists the environments.
        let position = |e: &str| order.iter().position(|x| x == e);
        let mut environments: Vec<String> = pairs.iter().map(|(e, _)| e.clone()).collect();
        environments.dedup();
        environments.sort_by_key(|e| position(e));
        let targets: BTreeSet<&'static str> = pairs.iter().map(|(_, t)| *t).collect();
        let mut sorted: Vec<&(String, &'static str)> = pairs.iter().collect();
        sorted.sort_by_key(|(e, t)| (position(e), *t));
        let mut entries = Vec::new();
        for (e, t) in sorted {
            // A pipeline runs in no cell; Kubernetes and Terraform changes in each cell reached.
            let reached: Vec<String> = match (&cells, *t) {
                (Some(cells), "kubernetes" | "terraform") => cells
                    .iter()
                    .filter_map(|c| c.strip_prefix(&format!("{e}/")).map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            };
            if reached.is_empty() {
                entries.push((e.clone(), *t, None));
            }
            for cell in reached {
                entries.push((e.clone(), *t, Some(cell)));
            }
        }
        Self {
            services: services.into_iter().collect(),
            environments,
            cells,
            targets: targets.into_iter().collect(),
            entries,
        }
    }
}

fn print_affected(
    printer: &Printer,
    rev: &str,
    format: crate::cli::AffectedFormat,
    from: From,
    a: &Affected,
) -> Result<(), Error> {
    use crate::cli::AffectedFormat;
    match format {
        AffectedFormat::Text => {
            printer.line(&format!("services: {}", a.services.join(", ")))?;
            printer.line(&format!("environments: {}", a.environments.join(", ")))?;
            if let Some(cells) = &a.cells {
                printer.line(&format!("cells: {}", cells.join(", ")))?;
            }
            printer.line(&format!("targets: {}", a.targets.join(", ")))?;
            printer.line(match from {
                From::Golden => "from: the golden tree on disk (its manifest records these inputs; `infrac check` proves it fresh)",
                From::Compile => "from: a compile of the inputs (the golden tree on disk is not known to be theirs; `infrac check` says whether it is fresh)",
            })?;
        }
        AffectedFormat::Json => {
            let mut value = serde_json::json!({
                "base": rev,
                "from": from.as_str(),
                "services": a.services,
                "environments": a.environments,
                "targets": a.targets,
            });
            if let Some(cells) = &a.cells {
                value["cells"] = serde_json::json!(cells);
            }
            printer.line(&format!("{value:#}"))?;
        }
        AffectedFormat::Matrix => {
            // `strategy.matrix: ${{ fromJSON(...) }}` takes an object whose `include` lists
            // one job per entry: https://docs.github.com/en/actions/writing-workflows/choosing-what-your-workflow-does/running-variations-of-jobs-in-a-workflow#expanding-or-adding-matrix-configurations
            let include: Vec<serde_json::Value> = a
                .entries
                .iter()
                .map(|(e, t, cell)| match cell {
                    Some(c) => serde_json::json!({"environment": e, "target": t, "cell": c}),
                    None => serde_json::json!({"environment": e, "target": t}),
                })
                .collect();
            printer.line(&format!("{}", serde_json::json!({ "include": include })))?;
        }
    }
    Ok(())
}

/// The services whose generated files differ: a changed file of a service's own
/// (its Kubernetes base and overlays, its build pipeline, as the back ends name them), and
/// the service each changed Terraform instance is keyed by (`module.postgres["orders-db"]`,
/// `…["orders"]`: the longest service name the key is, or starts with followed by `-`).
/// A shared file (an environment's aggregate, promotion, a module) names no service. The
/// Terraform keys are matched against the services with a Kubernetes base in the head's
/// files or in the base tree.
fn changed_services(
    layout: &Layout,
    head: &FileSet,
    base: &plan::BaseTree,
    changes: &[plan::FileChange],
) -> std::collections::BTreeSet<String> {
    use crate::artifact::Target;
    use crate::backend::{ci, kubernetes};
    use std::collections::BTreeSet;
    let mut known: BTreeSet<String> = head
        .iter()
        .filter_map(|f| kubernetes::identity::service_of(&f.path).map(str::to_owned))
        .collect();
    known.extend(base.keys().filter_map(|key| {
        let logical = layout.logical_path(key)?;
        kubernetes::identity::service_of(&logical).map(str::to_owned)
    }));
    let mut services = BTreeSet::new();
    for f in changes {
        let own = match f.target {
            Some(Target::Kubernetes) => kubernetes::identity::service_of(&f.logical_path),
            Some(Target::Ci) => ci::identity::service_of(&f.logical_path),
            _ => None,
        };
        if let Some(service) = own {
            services.insert(service.to_owned());
        }
        if f.target == Some(Target::Terraform) {
            for r in &f.resources {
                if let Some(service) = keyed_service(&known, &r.id) {
                    services.insert(service);
                }
            }
        }
    }
    services
}

/// The service a Terraform instance address is keyed by: the key of
/// `module.postgres["orders-db"]` (`orders-db`,
/// <https://developer.hashicorp.com/terraform/cli/state/resource-addressing>) is the longest
/// of `services` it equals or starts with followed by `-`.
fn keyed_service(services: &std::collections::BTreeSet<String>, address: &str) -> Option<String> {
    let (_, rest) = address.split_once("[\"")?;
    let (key, _) = rest.split_once("\"]")?;
    services
        .iter()
        .filter(|s| {
            key.strip_prefix(s.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('-'))
        })
        .max_by_key(|s| s.len())
        .cloned()
}

/// The cells (`<env>/<cell>`) the changed files reach, each environment's in wave order;
/// `None` when no environment has cells (the output then names none). A cell's own file
/// (`FileChange::cell`) reaches that cell alone; an environment's file each cell sharing it.
fn affected_cells(
    topology: &Topology,
    generated: &FileSet,
    files: &[plan::FileChange],
) -> Option<Vec<String>> {
    use crate::backend::kubernetes::cells::cells_reached;
    let celled: Vec<&(String, Vec<String>)> = topology
        .0
        .iter()
        .filter(|(_, cells)| !cells.is_empty())
        .collect();
    if celled.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    for (env, cells) in celled {
        let mut reached = std::collections::BTreeSet::new();
        for f in files {
            // A pipeline runs nowhere: only the Kubernetes and Terraform files reach cells.
            if f.target.is_some_and(|t| t != crate::artifact::Target::Ci)
                && f.environment.as_deref().is_none_or(|e| e == env)
            {
                match &f.cell {
                    Some(cell) if f.environment.is_some() => {
                        reached.insert(cell.clone());
                    }
                    _ => reached.extend(cells_reached(env, cells, &f.logical_path, generated)),
                }
            }
        }
        for cell in cells {
            if reached.contains(cell) {
                out.push(format!("{env}/{cell}"));
            }
        }
    }
    Some(out)
}

/// The golden tree as committed at `rev`: the output directory and every file the layout
/// moves out of it. A file whose blob is byte for byte the one generated now is listed but
/// not read (most of the tree, in a pull request that changes a few services).
fn read_base_tree(
    root: &Path,
    layout: &Layout,
    files: &FileSet,
    rev: &str,
) -> Result<plan::BaseTree, crate::load::git::GitError> {
    let out = crate::output::layout::path_key(layout.out());
    let mut paths: Vec<String> = vec![out.clone()];
    let mut generated: std::collections::HashMap<String, &[u8]> =
        std::collections::HashMap::with_capacity(files.len());
    for file in files.iter() {
        if let Ok(key) = layout.disk_key(&file.path) {
            if !std::path::Path::new(&key).starts_with(&out) {
                paths.push(key.clone());
            }
            generated.insert(key, file.contents.as_bytes());
        }
    }
    // The base manifest is always read: the plan parses it.
    generated.remove(&crate::output::layout::path_key(&layout.manifest_path()));
    paths.sort();
    paths.dedup();
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    crate::load::git::read_tree_except(root, rev, &paths, |path| generated.get(path).copied())
}

fn render(printer: &Printer, plan: &plan::Plan, format: PlanFormat) -> String {
    match format {
        PlanFormat::Text => plan::render_text::render_text(plan, printer.colour_stdout()),
        PlanFormat::Markdown => plan::render_markdown::render_markdown(plan),
        PlanFormat::Json => plan::render_json::render_json(plan),
    }
}

/// `infrac check`: exit 0 fresh, 1 stale or error.
pub fn check(
    printer: &Printer,
    root: &Path,
    format: PlanFormat,
    base: Option<&str>,
) -> Result<u8, Error> {
    let compiled = match compile(printer, root)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    if let Some(rev) = base {
        match check_policies(printer, root, &compiled, rev) {
            Ok(0) => {}
            other => return other.or(Ok(1)),
        }
    }
    // A tree another infrac version wrote is not fresh for this one, even when every file
    // happens to match: reported, then the files are compared too (all errors in one run).
    let other_version = match crate::output::write::generator_mismatch(root, &compiled.layout) {
        Ok(found) => found,
        Err(e) => return write_error(printer, e),
    };
    if let Some(refusal) = &other_version {
        let (diags, sources) =
            crate::output::fs::refusal_diagnostics(std::slice::from_ref(refusal));
        printer.diagnostics(&diags, &sources)?;
    }
    let mut plan = match plan::plan(
        root,
        &compiled.layout,
        &compiled.files,
        &PlanFilter::default(),
    ) {
        Ok(p) => p,
        Err(e) => return write_error(printer, e),
    };
    if !plan.has_changes() && other_version.is_some() {
        printer.error("the golden tree was generated by another infrac version; run `infrac build` and commit the result");
        return Ok(1);
    }
    compiled.attach_causes(&mut plan);
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

#[cfg(test)]
mod tests {
    use super::{Topology, keyed_service};

    /// The overlays alone give the model's environments (promotion order, not name order)
    /// and cells (wave order), on every valid fixture.
    #[test]
    fn the_overlays_give_the_models_environments_and_cells() {
        let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut roots = vec![manifest.to_path_buf()];
        for entry in std::fs::read_dir(manifest.join("tests/fixtures/valid")).unwrap() {
            roots.push(entry.unwrap().path());
        }
        let mut celled = 0;
        for root in roots {
            let frontend = crate::pipeline::run_frontend(&root);
            let Some(model) = frontend.model.as_ref() else {
                continue;
            };
            let inputs = crate::load::digest::read_disk_inputs(&root).unwrap();
            let read = Topology::of_overlays(inputs.environments()).unwrap();
            assert_eq!(read.0, Topology::of_model(model).0, "{}", root.display());
            celled += usize::from(read.0.iter().any(|(_, cells)| !cells.is_empty()));
        }
        assert!(celled > 0);
    }

    #[test]
    fn terraform_instances_name_the_longest_service_their_key_begins_with() {
        let services = ["orders", "orders-db", "cart"]
            .map(str::to_owned)
            .into_iter()
            .collect();
        let keyed = |address: &str| keyed_service(&services, address);
        assert_eq!(
            keyed(r#"module.postgres["orders-db-main"]"#).as_deref(),
            Some("orders-db")
        );
        assert_eq!(
            keyed(r#"module.redis["orders-cache"]"#).as_deref(),
            Some("orders")
        );
        assert_eq!(
            keyed(r#"module.workload_identity["cart"]"#).as_deref(),
            Some("cart")
        );
        assert_eq!(
            keyed(r#"azurerm_role_assignment.pull["cart-db"].id"#).as_deref(),
            Some("cart")
        );
        // Not a service's: another name that merely begins alike, a shared block, a key
        // that is a repository path.
        assert_eq!(keyed(r#"module.redis["ordersx"]"#), None);
        assert_eq!(keyed("module.cluster"), None);
        assert_eq!(keyed(r#"aws_ecr_repository.this["shop/cart"]"#), None);
    }
}
