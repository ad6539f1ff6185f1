//! The plan for a terminal: summary first, then per-file and per-resource changes, then the
//! unified diffs. ANSI colour (red/green lines, bold headers, word-level highlights) only when
//! the caller asks for it: the CLI decides from the TTY and `NO_COLOR`.
//!
//! A pure function of the [`Plan`]; it prints nothing.

use std::fmt::Write as _;

use similar::{Algorithm, ChangeTag, TextDiff};

use super::{FileAction, FileChange, Plan, ResourceAction};

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const CYAN: &str = "\x1b[36m";
/// Word-level highlight inside a changed line.
const EMPHASIS: &str = "\x1b[1;4m";

struct Style {
    colour: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.colour && !text.is_empty() {
            format!("{code}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }
}

/// Renders the plan as text; `colour` turns on ANSI escapes.
pub fn render_text(plan: &Plan, colour: bool) -> String {
    let style = Style { colour };
    let mut out = String::new();
    if !plan.has_changes() {
        out.push_str("No changes. The generated files are up to date.\n");
        return out;
    }
    summary(plan, &style, &mut out);
    out.push('\n');
    out.push_str(&style.paint(BOLD, "Changes:"));
    out.push('\n');
    for file in &plan.files {
        file_entry(file, &style, &mut out);
    }
    let with_diffs: Vec<_> = plan.files.iter().filter(|f| !f.diff.is_empty()).collect();
    if !with_diffs.is_empty() {
        out.push('\n');
        out.push_str(&style.paint(BOLD, "Diffs:"));
        out.push('\n');
    }
    for file in with_diffs {
        diff(file, &style, &mut out);
    }
    out
}

fn summary(plan: &Plan, style: &Style, out: &mut String) {
    out.push_str(&style.paint(BOLD, &plan.summary_line()));
    out.push('\n');
    if !plan.policies.is_empty() {
        out.push('\n');
        out.push_str(&style.paint(BOLD, "Needs a second look:"));
        out.push('\n');
        for f in &plan.policies {
            let line = format!("! {}: {}", f.code.as_str(), f.message);
            let _ = writeln!(out, "  {}", style.paint(YELLOW, &line));
            let _ = writeln!(out, "      help: {}", f.help);
        }
    }
    if plan.drift > 0 {
        let line = format!(
            "Drift: {} file(s) differ from what infrac last wrote.",
            plan.drift
        );
        out.push_str(&style.paint(YELLOW, &line));
        out.push('\n');
    }
    out.push('\n');
    let rows: Vec<String> = plan.groups.iter().map(group_label).collect();
    // A cell's row reads `prod/za-north-1`; the column widens for a longer one.
    let width = rows
        .iter()
        .map(|r| r.chars().count() + 1)
        .max()
        .unwrap_or(0)
        .max(16);
    let _ = writeln!(
        out,
        "  {:<width$} {:<11} {:>5} {:>7} {:>7} {:>6}",
        "environment", "target", "add", "change", "remove", "drift"
    );
    for (g, env) in plan.groups.iter().zip(&rows) {
        let _ = writeln!(
            out,
            "  {:<width$} {:<11} {:>5} {:>7} {:>7} {:>6}",
            env,
            target_label(g.target),
            g.files.add,
            g.files.change,
            g.files.remove,
            g.drift
        );
    }
}

/// A row of the table of groups: `prod/za-north-1` for a cell, `prod`, or `(shared)`.
pub(super) fn group_label(g: &super::GroupCounts) -> String {
    super::cells::place(g.environment.as_deref(), g.cell.as_deref())
        .unwrap_or_else(|| "(shared)".to_owned())
}

/// A file's back end, or `infrac` for its own build lock.
pub(super) fn target_label(target: Option<crate::artifact::Target>) -> &'static str {
    target.map_or("infrac", crate::artifact::Target::as_str)
}

/// Where a file belongs: `prod/za-north-1` (a cell's own file), `prod`, or `shared`.
pub(super) fn file_place(file: &FileChange) -> String {
    super::cells::place(file.environment.as_deref(), file.cell.as_deref())
        .unwrap_or_else(|| "shared".to_owned())
}

/// The marker for a file or resource action: `+`, `~`, `-`, `!`.
pub(super) fn marker(action: FileAction) -> &'static str {
    match action {
        FileAction::Add => "+",
        FileAction::Change => "~",
        FileAction::Remove => "-",
        FileAction::None => "!",
    }
}

pub(super) fn resource_marker(action: ResourceAction) -> &'static str {
    match action {
        ResourceAction::Add => "+",
        ResourceAction::Change => "~",
        ResourceAction::Remove => "-",
    }
}

fn colour_of(mark: &str) -> &'static str {
    match mark {
        "+" => GREEN,
        "-" => RED,
        _ => YELLOW,
    }
}

fn file_entry(file: &FileChange, style: &Style, out: &mut String) {
    let mark = marker(file.action);
    let head = format!("{mark} {}", file.path);
    let _ = writeln!(
        out,
        "  {}  ({}, {})",
        style.paint(colour_of(mark), &head),
        target_label(file.target),
        file_place(file)
    );
    for r in &file.resources {
        let mark = resource_marker(r.action);
        let line = format!("{mark} {}{}", r.id, env_suffix(file));
        let _ = writeln!(out, "      {}", style.paint(colour_of(mark), &line));
        for field in &r.fields {
            let cause: Vec<String> = field.cause.iter().map(|c| c.place()).collect();
            let cause = if cause.is_empty() {
                String::new()
            } else {
                style.paint(CYAN, &format!("  ← {}", cause.join(", ")))
            };
            let _ = writeln!(out, "          {}{cause}", field.describe());
            for line in field.diff.iter().flat_map(|d| d.lines()) {
                let colour = match line.chars().next() {
                    Some('+') => GREEN,
                    Some('-') => RED,
                    _ => "",
                };
                let _ = writeln!(out, "            {}", style.paint(colour, line));
            }
        }
    }
    if let Some(error) = &file.parse_error {
        let _ = writeln!(out, "      (resources not listed: {error})");
    }
    if let Some(drift) = file.drift {
        let line = format!("! drift: {}", drift.hint());
        let _ = writeln!(out, "      {}", style.paint(YELLOW, &line));
    }
}

/// ` (prod/za-north-1)` after a resource of one cell's file, ` (prod)` after one of an
/// environment's; nothing for a shared file.
pub(super) fn env_suffix(file: &FileChange) -> String {
    super::cells::place(file.environment.as_deref(), file.cell.as_deref())
        .map_or_else(String::new, |e| format!(" ({e})"))
}

fn diff(file: &FileChange, style: &Style, out: &mut String) {
    if !style.colour {
        out.push_str(&file.diff);
        if !file.diff.ends_with('\n') {
            out.push('\n');
        }
        return;
    }
    coloured_diff(file, style, out);
}

/// The diff again, from the contents, with word-level highlights on changed lines.
fn coloured_diff(file: &FileChange, style: &Style, out: &mut String) {
    let old = file.old.as_deref().unwrap_or("");
    let new = file.new.as_deref().unwrap_or("");
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Histogram)
        .diff_lines(old, new);
    for line in file.diff.lines().take(2) {
        out.push_str(&style.paint(BOLD, line));
        out.push('\n');
    }
    for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
        out.push_str(&style.paint(CYAN, &hunk.header().to_string()));
        out.push('\n');
        for op in hunk.ops() {
            for change in diff.iter_inline_changes(op) {
                let (sign, colour) = match change.tag() {
                    ChangeTag::Delete => ("-", RED),
                    ChangeTag::Insert => ("+", GREEN),
                    ChangeTag::Equal => (" ", ""),
                };
                let mut line = format!("{colour}{sign}");
                for (emphasised, text) in change.iter_strings_lossy() {
                    let text = text.trim_end_matches('\n');
                    if emphasised {
                        let _ = write!(line, "{EMPHASIS}{text}{RESET}{colour}");
                    } else {
                        line.push_str(text);
                    }
                }
                if !colour.is_empty() {
                    line.push_str(RESET);
                }
                out.push_str(&line);
                out.push('\n');
            }
        }
    }
}
