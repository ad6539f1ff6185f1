//! The one owner of stdout and stderr.
//!
//! A [`Printer`] is chosen once per run from the command's format. Results (the plan, the
//! graph, a schema, JSON diagnostics of `validate --format json`) go to stdout and stay pure:
//! nothing else is ever mixed in, so `infrac plan --format markdown > plan.md` is the PR
//! comment and `check --format json` parses. Everything addressed to the person or to the CI
//! system (text diagnostics, GitHub workflow-command annotations, error lines, notes) goes to
//! stderr.
//!
//! No other library code prints: `Cargo.toml` denies `clippy::print_stdout` and
//! `clippy::print_stderr` everywhere but here and in `main.rs`.
//!
//! A failed write to stdout (a full disk, a closed file) is the tool's failure, exit 3 with a
//! message, never a panic. A failed write to stderr has nowhere to be reported and is dropped.
//! A closed pipe (`infrac plan | head`) ends the process quietly through SIGPIPE (`main.rs`).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use crate::cli::{Command, DiagFormat};
use crate::diagnostic::render;
use crate::diagnostic::{Diagnostics, Sources};
use crate::error::Error;
use std::io::{IsTerminal, Write};

/// Where and how one run prints.
#[derive(Debug, Clone)]
pub struct Printer {
    /// How front-end diagnostics are shown: text on stderr, or JSON on stdout (the result).
    diagnostics: DiagFormat,
    colour_stdout: bool,
    colour_stderr: bool,
    /// Running in GitHub Actions: diagnostics are also annotations (on stderr).
    github: bool,
}

impl Printer {
    /// The printer for `command`, with the terminal and the environment (`NO_COLOR`,
    /// `GITHUB_ACTIONS`) read once.
    pub fn for_command(command: &Command) -> Self {
        let diagnostics = match command {
            Command::Validate { format, .. } => *format,
            _ => DiagFormat::Text,
        };
        let no_colour = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self {
            diagnostics,
            colour_stdout: !no_colour && std::io::stdout().is_terminal(),
            colour_stderr: !no_colour && std::io::stderr().is_terminal(),
            github: std::env::var("GITHUB_ACTIONS").as_deref() == Ok("true"),
        }
    }

    /// A printer with every choice given (for tests and embedders).
    pub fn new(diagnostics: DiagFormat, colour: bool, github: bool) -> Self {
        Self {
            diagnostics,
            colour_stdout: colour,
            colour_stderr: colour,
            github,
        }
    }

    /// Whether results on stdout may use colour (a terminal, no `NO_COLOR`).
    pub fn colour_stdout(&self) -> bool {
        self.colour_stdout
    }

    /// Writes a result to stdout, flushed, so a write error is seen here.
    pub fn out(&self, text: &str) -> Result<(), Error> {
        self.out_bytes(text.as_bytes())
    }

    /// [`Printer::out`] for bytes (completions, the man page).
    pub fn out_bytes(&self, bytes: &[u8]) -> Result<(), Error> {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(bytes)
            .and_then(|()| stdout.flush())
            .map_err(|e| Error::io("write", "stdout", e))
    }

    /// A result line (`\n` added).
    pub fn line(&self, text: &str) -> Result<(), Error> {
        let mut s = String::with_capacity(text.len() + 1);
        s.push_str(text);
        s.push('\n');
        self.out(&s)
    }

    /// `error: MESSAGE` on stderr, control characters escaped.
    pub fn error(&self, message: &str) {
        self.err(&format!("error: {}\n", render::escape_controls(message)));
    }

    /// A line for the person on stderr (`\n` added), control characters escaped.
    pub fn note(&self, message: &str) {
        self.err(&format!("{}\n", render::escape_controls(message)));
    }

    /// The tool's own failure, as `main` reports it before exiting 3.
    pub fn internal_error(&self, error: &Error) {
        self.err(&format!(
            "infrac: internal error: {}\n",
            render::escape_controls(&error.to_string())
        ));
    }

    /// The front end's diagnostics: text on stderr or JSON on stdout, as chosen for the
    /// run, and in GitHub Actions also as annotations on stderr.
    pub fn diagnostics(&self, diags: &Diagnostics, sources: &Sources) -> Result<(), Error> {
        match self.diagnostics {
            DiagFormat::Json => self.out(&render::json(diags, sources))?,
            DiagFormat::Text => self.err(&render::text(diags, sources, self.colour_stderr)),
        }
        if self.github {
            self.err(&render::github(diags, sources));
        }
        Ok(())
    }

    /// One GitHub Actions annotation on stderr (nothing outside GitHub Actions).
    pub fn annotation(&self, annotation: &render::Annotation<'_>) {
        if self.github {
            self.err(&annotation.render());
        }
    }

    fn err(&self, text: &str) {
        if text.is_empty() {
            return;
        }
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(text.as_bytes());
        let _ = stderr.flush();
    }
}
