//! Renderers: one function per output format, each a pure function of the diagnostics.
//!
//! Text uses miette (underlined snippet, `file:line:column`, help); JSON follows SPEC
//! "Diagnostics as data"; GitHub annotations are workflow commands.

use super::{Diagnostic, Diagnostics, Severity, Sources};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource};

/// Human-readable text: one miette report per diagnostic, then a count.
pub fn text(diags: &Diagnostics, sources: &Sources, colour: bool) -> String {
    let theme = if colour {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false);
    let mut out = String::new();
    for d in &diags.items {
        render_one(&handler, d, sources, &mut out);
    }
    let (errors, warnings) = (diags.error_count(), diags.warning_count());
    if !diags.items.is_empty() {
        out.push_str(&format!(
            "{} {}, {} {}. For more on a code: infrac explain-code CODE\n",
            errors,
            plural(errors, "error", "errors"),
            warnings,
            plural(warnings, "warning", "warnings"),
        ));
    }
    out
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

fn render_one(
    handler: &GraphicalReportHandler,
    d: &Diagnostic,
    sources: &Sources,
    out: &mut String,
) {
    let path = sources.path(d.pos.file);
    let text = sources.text(d.pos.file);
    let mut report = MietteDiagnostic::new(format!(
        "{}:{}:{}: {}",
        path, d.pos.line, d.pos.column, d.message
    ))
    .with_code(d.code.as_str())
    .with_severity(match d.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
    });
    if let Some(help) = &d.help {
        report = report.with_help(help.clone());
    }
    if !text.is_empty() {
        let start = (d.pos.offset as usize).min(text.len());
        let len = (d.pos.len as usize)
            .min(text.len() - start)
            .max(usize::from(start < text.len()));
        if snippet_fits(text, start, len) {
            report = report.with_label(LabeledSpan::new(d.label.clone(), start, len));
        }
    }
    let source = NamedSource::new(path, text.to_owned());
    let report = miette::Report::new(report).with_source_code(source);
    if handler.render_report(out, report.as_ref()).is_err() {
        out.push_str(&format!("{}: {}\n", d.code.as_str(), d.message));
    }
    out.push('\n');
}

/// miette pads its underline with `{:width$}`, which panics past 65,535 columns (found by
/// fuzzing: a diagnostic at the end of a 70,000-character line). A snippet that far right is
/// unreadable anyway, so such a diagnostic is shown without one. A byte takes at most 4
/// columns (a tab), so 8 KiB stays well inside the limit.
const MAX_SNIPPET_COLUMN: usize = 8 * 1024;

fn snippet_fits(text: &str, start: usize, len: usize) -> bool {
    let column = |at: usize| {
        at - text.as_bytes()[..at]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1)
    };
    column(start) <= MAX_SNIPPET_COLUMN && column(start + len) <= MAX_SNIPPET_COLUMN
}

/// `{"diagnostics": [...]}` with 1-based line and column, file relative to the root.
pub fn json(diags: &Diagnostics, sources: &Sources) -> String {
    let items: Vec<serde_json::Value> = diags
        .items
        .iter()
        .map(|d| {
            serde_json::json!({
                "code": d.code.as_str(),
                "severity": d.severity,
                "message": d.message,
                "file": sources.path(d.pos.file),
                "line": d.pos.line,
                "column": d.pos.column,
                "help": d.help,
            })
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&serde_json::json!({ "diagnostics": items }))
        .expect("diagnostics serialise");
    s.push('\n');
    s
}

/// GitHub Actions workflow commands (`::error file=…,line=…,col=…,title=…::message`).
pub fn github(diags: &Diagnostics, sources: &Sources) -> String {
    let mut out = String::new();
    for d in &diags.items {
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str(&format!(" (help: {help})"));
        }
        out.push_str(&format!(
            "::{level} file={},line={},col={},title={}::{}\n",
            escape_property(sources.path(d.pos.file)),
            d.pos.line,
            d.pos.column,
            escape_property(d.code.as_str()),
            escape_data(&message)
        ));
    }
    out
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Code;
    use crate::load::yaml::Pos;

    #[test]
    fn a_diagnostic_far_right_on_a_long_line_renders_without_a_snippet() {
        let mut sources = Sources::default();
        let source = format!("k: {} {{a: \n", "x".repeat(70_000));
        let file = sources.add("versions.yaml", source);
        let pos = Pos {
            file,
            offset: 70_004,
            len: 1,
            line: 1,
            column: 70_005,
        };
        let diags = Diagnostics {
            items: vec![Diagnostic::error(Code::Schema, pos, "bad")],
        };
        let out = text(&diags, &sources, false);
        assert!(out.contains("versions.yaml:1:70005: bad"), "{out}");
    }
}
