//! One function per command: each runs the pipeline stages it needs and hands its results
//! and diagnostics to the run's [`Printer`] (results to stdout, diagnostics to stderr).
//! Returns the exit code.

mod build;
mod explain;
mod init;
mod versions;

use crate::cli::{Cli, Command, DiagFormat};
use crate::error::Error;
use crate::pipeline::run_frontend;
use crate::printer::Printer;

/// Runs the parsed command line; the exit code on success, an internal error otherwise.
pub fn run(cli: &Cli, printer: &Printer) -> Result<u8, Error> {
    match &cli.command {
        Command::Validate { format } => {
            let mut frontend = run_frontend(&cli.root);
            // Overrides are compiled too, so `validate` catches a broken one; only when
            // infrac.toml names a directory (no cost otherwise).
            if frontend.project.templates.is_some() {
                build::load_templates(&cli.root, &mut frontend)?;
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
        Command::Explain { service, path, env } => {
            let frontend = run_frontend(&cli.root);
            if frontend.diagnostics.has_errors() {
                printer.diagnostics(&frontend.diagnostics, &frontend.sources)?;
                return Ok(1);
            }
            explain::run(printer, &frontend, service, path.as_deref(), env.as_deref())
        }
        Command::Build => build::build(printer, &cli.root),
        Command::Plan {
            format,
            envs,
            targets,
            base,
        } => build::plan(printer, &cli.root, *format, envs, targets, base.as_deref()),
        Command::Affected { base, format } => build::affected(printer, &cli.root, base, *format),
        Command::Check { format, base } => {
            build::check(printer, &cli.root, *format, base.as_deref())
        }
        Command::SetImage { .. } | Command::Promote { .. } | Command::Canary { .. } => {
            versions::run(printer, &cli.root, &cli.command)
        }
        Command::ExplainCode { code } => explain_code(printer, code),
        Command::Graph { env, format } => {
            let frontend = run_frontend(&cli.root);
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
        Command::Init { dir, cloud, ci } => init::run(printer, dir, *cloud, *ci),
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
            use clap::CommandFactory;
            let man = clap_mangen::Man::new(Cli::command());
            let mut out = Vec::new();
            man.render(&mut out)
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
