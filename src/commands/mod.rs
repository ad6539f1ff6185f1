//! One function per command: each runs the pipeline stages it needs and hands its results
//! and diagnostics to the run's [`Printer`] (results to stdout, diagnostics to stderr).
//! Returns the exit code.

mod build;
mod diff_env;
mod explain;
mod init;
mod names;
mod rollout;
mod versions;

use crate::cli::{Cli, Command, DiagFormat};
use crate::error::Error;
use crate::pipeline::run_frontend;
use crate::printer::Printer;

/// Runs the parsed command line; the exit code on success, an internal error otherwise.
pub fn run(cli: &Cli, printer: &Printer) -> Result<u8, Error> {
    let root = cli.platform_root();
    if let Some(code) = names::check_environments(printer, root, &cli.command) {
        return Ok(code);
    }
    match &cli.command {
        Command::Validate { format, .. } => {
            let mut frontend = run_frontend(root);
            // Overrides are compiled too, so `validate` catches a broken one; only when
            // infrac.toml names a directory (no cost otherwise).
            if frontend.project.templates.is_some() {
                build::load_templates(root, &mut frontend)?;
                frontend.diagnostics.finish(&frontend.sources);
            }
            printer.diagnostics(&frontend.diagnostics, &frontend.sources)?;
            if frontend.diagnostics.has_errors() {
                return Ok(1);
            }
            if *format == DiagFormat::Text {
                let model = frontend.model.as_ref().expect("no errors means a model");
                let services = model.registry_services.len();
                printer.line(&format!(
                    "valid: {services} services, {} environments",
                    model.environments.len()
                ))?;
            }
            crate::teardown::release(frontend);
            Ok(0)
        }
        Command::Explain {
            service,
            path,
            env,
            cell,
            ..
        } => {
            let frontend = run_frontend(root);
            if frontend.diagnostics.has_errors() {
                printer.diagnostics(&frontend.diagnostics, &frontend.sources)?;
                return Ok(1);
            }
            explain::run(
                printer,
                &frontend,
                service,
                path.as_deref(),
                env.as_deref(),
                cell.as_deref(),
            )
        }
        Command::DiffEnv {
            a,
            b,
            service,
            format,
            ..
        } => diff_env::run(printer, root, [a, b], service.as_deref(), *format),
        Command::Build { .. } => build::build(printer, root),
        Command::Plan {
            format,
            envs,
            targets,
            base,
            ..
        } => build::plan(printer, root, *format, envs, targets, base.as_deref()),
        Command::Affected {
            base,
            format,
            exact,
            ..
        } => build::affected(printer, root, base, *format, *exact),
        Command::Check { format, base, .. } => {
            build::check(printer, root, *format, base.as_deref())
        }
        Command::SetImage { .. }
        | Command::Promote { .. }
        | Command::Canary { .. }
        | Command::Rollout { .. } => versions::run(printer, root, &cli.command),
        Command::ExplainCode { code } => explain_code(printer, code),
        Command::Graph { env, format, .. } => {
            let frontend = run_frontend(root);
            let Some(model) = frontend.model.as_ref() else {
                printer.diagnostics(&frontend.diagnostics, &frontend.sources)?;
                return Ok(1);
            };
            let environment = match env {
                Some(name) => match model.environment(name) {
                    Some(e) => Some(e),
                    None => {
                        printer.error(&format!("`{name}` is not an environment"));
                        return Ok(1);
                    }
                },
                None => None,
            };
            printer.out(&crate::graph::render_graph(model, environment, *format))?;
            Ok(0)
        }
        Command::Init {
            dir,
            cloud,
            ci,
            cells,
            ..
        } => init::run(
            printer,
            dir.as_deref().unwrap_or(root),
            *cloud,
            *ci,
            cells.unwrap_or(0),
        ),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut cmd = Cli::command();
            // Into a buffer first: clap_complete panics when its writer fails.
            let mut out = Vec::new();
            clap_complete::generate(*shell, &mut cmd, "infrac", &mut out);
            printer.out_bytes(&out)?;
            Ok(0)
        }
        Command::Man => {
            let out = man_page()
                .map_err(|e| Error::Internal(format!("cannot render the man page: {e}")))?;
            printer.out_bytes(&out)?;
            Ok(0)
        }
        Command::Schema { which } => {
            printer.out(which.text())?;
            Ok(0)
        }
    }
}

/// The manual, one page: clap_mangen's title, name, synopsis, description and options of
/// `infrac`; then every command in full under COMMANDS (synopsis, description, options,
/// examples) instead of clap_mangen's list of `infrac-<command>(1)` pages, which are not
/// installed; then EXIT STATUS, ENVIRONMENT, EXAMPLES and VERSION.
fn man_page() -> std::io::Result<Vec<u8>> {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    cmd.build();
    let man = clap_mangen::Man::new(cmd.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    out.extend_from_slice(b".SH COMMANDS\n");
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let page = clap_mangen::Man::new(sub.clone());
        let mut parts = Vec::new();
        page.render_synopsis_section(&mut parts)?;
        page.render_description_section(&mut parts)?;
        page.render_options_section(&mut parts)?;
        out.extend_from_slice(format!(".SS \"infrac {}\"\n", sub.get_name()).as_bytes());
        // Within a command, its synopsis, description and options follow one another as
        // paragraphs, not as sections of their own.
        for line in String::from_utf8_lossy(&parts).lines() {
            let line = if line.starts_with(".SH") { ".PP" } else { line };
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
        }
        if let Some(after) = sub.get_after_help() {
            out.extend_from_slice(&roff_block(&after.to_string()));
        }
    }
    out.extend_from_slice(MAN_EXIT_ENVIRONMENT.as_bytes());
    if let Some(after) = cmd.get_after_help() {
        out.extend_from_slice(b".SH EXAMPLES\n");
        let text = after.to_string();
        let examples = text.split("\n\n").next().unwrap_or_default();
        out.extend_from_slice(&roff_block(examples.trim_start_matches("Examples:\n")));
    }
    man.render_version_section(&mut out)?;
    Ok(out)
}

/// EXIT STATUS and ENVIRONMENT of the man page (roff).
const MAN_EXIT_ENVIRONMENT: &str = r#".SH "EXIT STATUS"
.TP
.B 0
Success: valid, written, fresh, or (plan) no changes.
.TP
.B 1
Invalid input (registry, environments, versions.yaml, infrac.toml or a template override),
a stale or drifted golden tree (check), or a refused edit; the diagnostics are on stderr.
.TP
.B 2
.B plan
found changes.
.TP
.B 3
Internal failure, including a failed write to stdout.
.TP
.B 64
Usage error (an unknown command, option or value).
.SH ENVIRONMENT
.TP
.B INFRAC_ROOT
The platform repo when no
.B \-\-root
is given (before or after the command).
.TP
.B NO_COLOR
When set and not empty, no colour on stdout or stderr (colour is only ever used on a terminal).
.TP
.B GITHUB_ACTIONS
When
.BR true ,
diagnostics are also written as GitHub workflow annotations, on stderr only.
.TP
.B CI
infrac itself reads nothing from it. In infrac's own test suite, when set, a missing
external tool (terraform, kubectl, shellcheck) fails a test instead of skipping it.
"#;

/// `text` as a no-fill roff block: every line kept as is, roff's control characters and
/// backslashes escaped.
fn roff_block(text: &str) -> Vec<u8> {
    let mut out = String::from(".PP\n.nf\n");
    for line in text.lines() {
        let line = line.replace('\\', "\\e").replace('-', "\\-");
        if line.starts_with(['.', '\'']) {
            out.push_str("\\&");
        }
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(".fi\n");
    out.into_bytes()
}

fn explain_code(printer: &Printer, name: &str) -> Result<u8, Error> {
    use crate::diagnostic::Code;
    let wanted = if name.starts_with("infrac::") {
        name.to_owned()
    } else {
        format!("infrac::{name}")
    };
    match Code::ALL.iter().find(|c| c.as_str() == wanted) {
        Some(code) => {
            printer.line(&format!(
                "{}\n\n{}\n\nWrong:\n\n{}\nRight:\n\n{}",
                code.as_str(),
                code.summary(),
                indent(code.wrong()),
                indent(code.right())
            ))?;
            Ok(0)
        }
        None => {
            let names = Code::ALL.iter().map(|c| c.as_str());
            let hint = crate::diagnostic::did_you_mean(&wanted, names)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            printer.error(&format!("`{name}` is not an infrac diagnostic code{hint}"));
            Ok(1)
        }
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}
