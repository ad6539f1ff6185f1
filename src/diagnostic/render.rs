//! Renderers: one function per output format, each a pure function of the diagnostics.
//!
//! Text uses miette (underlined snippet, `file:line:column`, help); JSON follows SPEC
//! "Diagnostics as data"; GitHub annotations are workflow commands.
//!
//! Input is hostile: keys, values, file names and messages may hold terminal control
//! sequences (`ESC[31m`, a lone carriage return). No renderer echoes a control character raw:
//! text and annotations show it visibly (`\u{1b}`), JSON escapes it (`\u001b`) as JSON does.

use super::{Diagnostic, Diagnostics, Severity, Sources};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource};
use std::borrow::Cow;

/// A control character a terminal could act on: every C0 control but tab and newline, DEL,
/// and the C1 controls (U+009B is a one-character CSI on some terminals).
fn is_hostile(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

/// `text` with every control character but tab and newline shown as `\u{…}`; borrowed when
/// there is none (the common case).
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hostile) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_hostile(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A source text for a snippet with its control characters escaped (a `\r` before `\n`
/// kept), and the span `start..start + len` moved to the same characters in it.
fn escape_source(text: &str, start: usize, len: usize) -> (String, usize, usize) {
    let bytes = text.as_bytes();
    let hostile =
        |i: usize, c: char| is_hostile(c) && !(c == '\r' && bytes.get(i + 1) == Some(&b'\n'));
    if !text.char_indices().any(|(i, c)| hostile(i, c)) {
        return (text.to_owned(), start, len);
    }
    let end = start + len;
    let (mut new_start, mut new_end) = (None, None);
    let mut out = String::with_capacity(text.len() + 16);
    for (i, c) in text.char_indices() {
        if i >= start && new_start.is_none() {
            new_start = Some(out.len());
        }
        if i >= end && new_end.is_none() {
            new_end = Some(out.len());
        }
        if hostile(i, c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    let new_start = new_start.unwrap_or(out.len());
    let new_end = new_end.unwrap_or(out.len());
    (out, new_start, new_end - new_start)
}

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
        escape_controls(path),
        d.pos.line,
        d.pos.column,
        escape_controls(&d.message)
    ))
    .with_code(d.code.as_str())
    .with_severity(match d.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
    });
    if let Some(help) = &d.help {
        report = report.with_help(escape_controls(help).into_owned());
    }
    let start = (d.pos.offset as usize).min(text.len());
    let len = (d.pos.len as usize)
        .min(text.len() - start)
        .max(usize::from(start < text.len()));
    let (text, start, len) = escape_source(text, start, len);
    if !text.is_empty() && snippet_fits(&text, start, len) {
        let label = d.label.as_deref().map(|l| escape_controls(l).into_owned());
        report = report.with_label(LabeledSpan::new(label, start, len));
    }
    let source = NamedSource::new(escape_controls(path), text);
    let report = miette::Report::new(report).with_source_code(source);
    if handler.render_report(out, report.as_ref()).is_err() {
        out.push_str(&format!(
            "{}: {}\n",
            d.code.as_str(),
            escape_controls(&d.message)
        ));
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
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str(&format!(" (help: {help})"));
        }
        out.push_str(
            &Annotation {
                level: d.severity,
                file: sources.path(d.pos.file),
                at: Some((d.pos.line, d.pos.column)),
                title: d.code.as_str(),
                message: &message,
            }
            .render(),
        );
    }
    out
}

/// One GitHub Actions workflow command on a file
/// (https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands).
#[derive(Debug, Clone)]
pub struct Annotation<'a> {
    pub level: Severity,
    pub file: &'a str,
    /// Line and column, 1-based; the whole file when `None`.
    pub at: Option<(u32, u32)>,
    pub title: &'a str,
    pub message: &'a str,
}

impl Annotation<'_> {
    /// `::error file=…[,line=…,col=…],title=…::message\n`, properties and data escaped.
    pub fn render(&self) -> String {
        let level = match self.level {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let at = self
            .at
            .map(|(line, col)| format!(",line={line},col={col}"))
            .unwrap_or_default();
        format!(
            "::{level} file={}{at},title={}::{}\n",
            escape_property(self.file),
            escape_property(self.title),
            escape_data(self.message)
        )
    }
}

/// Workflow-command data: `%`, CR and LF percent-encoded (GitHub's own escaping), then any
/// other control character shown as `\u{…}`.
fn escape_data(s: &str) -> String {
    let s = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    escape_controls(&s).into_owned()
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
    fn control_characters_are_shown_and_spans_follow_them() {
        assert_eq!(escape_controls("a\u{1b}[31mb\tc\n"), "a\\u{1b}[31mb\tc\n");
        assert_eq!(escape_controls("\r\u{9b}\u{7f}"), "\\u{d}\\u{9b}\\u{7f}");
        assert!(matches!(escape_controls("plain"), Cow::Borrowed(_)));
        // `x: \e[1m` → the span of `b` moves by the 5 extra bytes of `\u{1b}`.
        let (text, start, len) = escape_source("a\u{1b}b\r\nc", 2, 1);
        assert_eq!(text, "a\\u{1b}b\r\nc");
        assert_eq!(&text[start..start + len], "b");
        let (text, start, len) = escape_source("\u{1b}", 0, 1);
        assert_eq!(&text[start..start + len], "\\u{1b}");
    }

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
