//! One function per command: each runs the pipeline stages it needs and prints results to
//! stdout, diagnostics to stderr. Returns the exit code.

mod build;
mod explain;
mod init;
mod versions;

use crate::cli::{Cli, Command, DiagFormat, SchemaName};
use crate::diagnostic::render;
use crate::error::Error;
use crate::pipeline::{Frontend, run_frontend};
use crate::validate::schema::SchemaKind;
use std::io::IsTerminal;

/// Runs the parsed command line; the exit code on success, an internal error otherwise.
pub fn run(cli: &Cli) -> Result<u8, Error> {
    match &cli.command {
        Command::Validate { format } => {
            let frontend = run_frontend(&cli.root);
            report(&frontend, *format);
            if frontend.diagnostics.has_errors() {
                return Ok(1);
            }
            if *format == DiagFormat::Text {
                let model = frontend.model.as_ref().expect("no errors means a model");
                let services = model.registry_services.len();
                println!(
                    "valid: {services} services, {} environments",
                    model.environments.len()
                );
            }
            crate::teardown::release(frontend);
            Ok(0)
        }
        Command::Explain { service, path, env } => {
            let frontend = run_frontend(&cli.root);
            if frontend.diagnostics.has_errors() {
                report(&frontend, DiagFormat::Text);
                return Ok(1);
            }
            explain::run(&frontend, service, path.as_deref(), env.as_deref())
        }
        Command::Build => build::build(&cli.root),
        Command::Plan {
            format,
            envs,
            targets,
            base,
        } => build::plan(&cli.root, *format, envs, targets, base.as_deref()),
        Command::Affected { base, format } => build::affected(&cli.root, base, *format),
        Command::Check { format, base } => build::check(&cli.root, *format, base.as_deref()),
        Command::SetImage { service, tag, env } => {
            versions::set_image(&cli.root, service, tag, env)
        }
        Command::Promote {
            service,
            from,
            to,
            tag,
        } => versions::promote(&cli.root, service, from, to, tag.as_deref()),
        Command::Canary {
            action,
            service,
            env,
            tag,
        } => versions::canary(&cli.root, *action, service, env, tag.as_deref()),
        Command::ExplainCode { code } => Ok(explain_code(code)),
        Command::Graph { env, format } => {
            let frontend = run_frontend(&cli.root);
            let Some(model) = frontend.model.as_ref() else {
                report(&frontend, DiagFormat::Text);
                return Ok(1);
            };
            let environment = match env {
                Some(name) => match model.environment(name) {
                    Some(e) => Some(e),
                    None => {
                        eprintln!("error: `{name}` is not an environment");
                        return Ok(1);
                    }
                },
                None => None,
            };
            let format = match format {
                crate::cli::GraphFormatArg::Dot => crate::graph::GraphFormat::Dot,
                crate::cli::GraphFormatArg::Mermaid => crate::graph::GraphFormat::Mermaid,
            };
            print!("{}", crate::graph::render_graph(model, environment, format));
            Ok(0)
        }
        Command::Init { dir, cloud, ci } => init::run(dir, *cloud, *ci),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut cmd = Cli::command();
            clap_complete::generate(*shell, &mut cmd, "infrac", &mut std::io::stdout());
            Ok(0)
        }
        Command::Man => {
            use clap::CommandFactory;
            let man = clap_mangen::Man::new(Cli::command());
            man.render(&mut std::io::stdout())
                .map_err(|e| Error::Internal(format!("cannot render the man page: {e}")))?;
            Ok(0)
        }
        Command::Schema { which } => {
            let kind = match which {
                SchemaName::Registry => SchemaKind::Registry,
                SchemaName::Environment => SchemaKind::Environment,
                SchemaName::Versions => SchemaKind::Versions,
            };
            print!("{}", kind.text());
            Ok(0)
        }
    }
}

/// Whether stderr gets colour: a terminal, and no `NO_COLOR`.
pub fn colour_stderr() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Prints the front end's diagnostics in the requested form (and GitHub annotations when
/// running in GitHub Actions).
pub fn report(frontend: &Frontend, format: DiagFormat) {
    let diags = &frontend.diagnostics;
    match format {
        DiagFormat::Json => print!("{}", render::json(diags, &frontend.sources)),
        DiagFormat::Text => eprint!(
            "{}",
            render::text(diags, &frontend.sources, colour_stderr())
        ),
    }
    if std::env::var("GITHUB_ACTIONS").as_deref() == Ok("true") {
        print!("{}", render::github(diags, &frontend.sources));
    }
}

fn explain_code(name: &str) -> u8 {
    use crate::diagnostic::Code;
    let wanted = if name.starts_with("infrac::") {
        name.to_owned()
    } else {
        format!("infrac::{name}")
    };
    match Code::ALL.iter().find(|c| c.as_str() == wanted) {
        Some(code) => {
            println!(
                "{}\n\n{}\n\nWrong:\n\n{}\nRight:\n\n{}",
                code.as_str(),
                code.summary(),
                indent(code.wrong()),
                indent(code.right())
            );
            0
        }
        None => {
            let names = Code::ALL.iter().map(|c| c.as_str());
            let hint = crate::diagnostic::did_you_mean(&wanted, names)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            eprintln!("error: `{name}` is not an infrac diagnostic code{hint}");
            1
        }
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}
