//! The plan as a pull-request comment: the summary table per environment × target, then one
//! `<details>` per file with its resource changes and a ```` ```diff ```` block.
//!
//! GitHub refuses comments over 65,536 characters: diffs are truncated (never the summary)
//! with a note saying so. A pure function of the [`Plan`].

use std::fmt::Write as _;

use super::render_text::{file_place, group_label, marker, resource_marker, target_label};
use super::{FileChange, Plan};

/// GitHub's limit on a comment body, in characters.
pub const COMMENT_LIMIT: usize = 65_536;
/// Room kept for the closing truncation note.
const NOTE_RESERVE: usize = 400;

/// Renders the plan as Markdown under [`COMMENT_LIMIT`] characters.
pub fn render_markdown(plan: &Plan) -> String {
    render_markdown_limited(plan, COMMENT_LIMIT)
}

/// [`render_markdown`] with another character budget (tests use small ones).
pub fn render_markdown_limited(plan: &Plan, limit: usize) -> String {
    let mut out = String::from("## infrac plan\n\n");
    if !plan.has_changes() {
        out.push_str("No changes. The generated files are up to date.\n");
        return out;
    }
    summary(plan, &mut out);
    // Room kept back so files that do not fit can still be named, one line each.
    let list_reserve = (plan.files.len() * 110).min(limit / 5);
    let budget = limit.saturating_sub(NOTE_RESERVE + list_reserve);
    let mut used = out.chars().count();
    let mut truncated = 0usize;
    let mut omitted = Vec::new();
    for file in &plan.files {
        let (head, diff, tail) = file_parts(file);
        let fixed = head.chars().count() + tail.chars().count();
        let full = fixed + diff.chars().count();
        if used + full <= budget {
            out.push_str(&head);
            out.push_str(&diff);
            out.push_str(&tail);
            used += full;
        } else if used + fixed + TRUNCATED.len() + 80 <= budget {
            let cut = clip_lines(&diff, budget - used - fixed - TRUNCATED.len() - 80);
            let _ = write!(out, "{head}{cut}{TRUNCATED}{tail}");
            used += fixed + cut.chars().count() + TRUNCATED.len();
            truncated += 1;
        } else {
            omitted.push(file);
        }
    }
    omitted_list(
        &omitted,
        limit.saturating_sub(used + NOTE_RESERVE / 2),
        &mut out,
    );
    if truncated + omitted.len() > 0 {
        let _ = write!(
            out,
            "\n> **Note:** this comment was shortened to fit GitHub's {limit}-character limit: \
             {truncated} diff(s) truncated, {} file(s) shown without their diff. \
             Run `infrac plan` locally for the full diff.\n",
            omitted.len()
        );
    }
    out
}

const TRUNCATED: &str = "… (diff truncated)\n";

/// The files that did not fit, one line each, as many as `room` allows.
fn omitted_list(files: &[&FileChange], room: usize, out: &mut String) {
    if files.is_empty() {
        return;
    }
    let mut list = format!(
        "<details><summary>{} more file(s), diffs not shown</summary>\n\n",
        files.len()
    );
    let close = "\n</details>\n";
    let mut left = 0;
    for (i, file) in files.iter().enumerate() {
        let line = format!("- `{} {}`\n", marker(file.action), file.path);
        if list.chars().count() + line.chars().count() + close.len() + 40 > room {
            left = files.len() - i;
            break;
        }
        list.push_str(&line);
    }
    if left > 0 {
        let _ = writeln!(list, "- … and {left} more");
    }
    list.push_str(close);
    if list.chars().count() <= room {
        out.push_str(&list);
    }
}

fn summary(plan: &Plan, out: &mut String) {
    let _ = writeln!(out, "**{}**", plan.summary_line());
    if !plan.policies.is_empty() {
        out.push_str("\n> [!WARNING]\n> **Needs a second look:**\n");
        for f in &plan.policies {
            let _ = writeln!(
                out,
                "> - `{}`: {}  \n>   {}",
                f.code.as_str(),
                f.message.replace('`', "'"),
                f.help
            );
        }
    }
    if plan.drift > 0 {
        let _ = writeln!(
            out,
            "\n:warning: **Drift:** {} file(s) differ from what infrac last wrote; change the registry instead of the generated files.",
            plan.drift
        );
    }
    out.push_str("\n| environment | target | add | change | remove | drift |\n");
    out.push_str("| --- | --- | ---: | ---: | ---: | ---: |\n");
    for g in &plan.groups {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            group_label(g),
            target_label(g.target),
            g.files.add,
            g.files.change,
            g.files.remove,
            g.drift
        );
    }
    out.push('\n');
}

/// A file's `<details>` opening with its resources, its diff block body, and the closing.
fn file_parts(file: &FileChange) -> (String, String, String) {
    let mut head = String::new();
    let _ = writeln!(
        head,
        "<details><summary><code>{} {}</code> ({}, {})</summary>\n",
        marker(file.action),
        escape_html(&file.path),
        target_label(file.target),
        file_place(file)
    );
    for r in &file.resources {
        let env = super::render_text::env_suffix(file);
        let _ = writeln!(head, "- `{} {}{env}`", resource_marker(r.action), r.id);
        for field in &r.fields {
            let cause: Vec<String> = field
                .cause
                .iter()
                .map(|c| format!("`{}` ({})", c.place().replace('`', "'"), c.layer))
                .collect();
            let cause = if cause.is_empty() {
                String::new()
            } else {
                format!(" ← {}", cause.join(", "))
            };
            let _ = writeln!(head, "  - `{}`{cause}", field.describe().replace('`', "'"));
            if let Some(diff) = &field.diff {
                let fence = "`".repeat(longest_backtick_run(diff).max(2) + 1);
                let _ = writeln!(head, "\n    {fence}diff");
                for line in diff.lines() {
                    let _ = writeln!(head, "    {line}");
                }
                let _ = writeln!(head, "    {fence}\n");
            }
        }
    }
    if let Some(error) = &file.parse_error {
        let _ = writeln!(head, "- resources not listed: {}", error.replace('`', "'"));
    }
    if let Some(drift) = file.drift {
        let _ = writeln!(head, "- :warning: drift: {}", drift.hint());
    }
    let fence = "`".repeat(longest_backtick_run(&file.diff).max(2) + 1);
    if file.diff.is_empty() {
        head.push_str("\n</details>\n\n");
        return (head, String::new(), String::new());
    }
    let _ = writeln!(head, "\n{fence}diff");
    let tail = format!("{fence}\n\n</details>\n\n");
    (head, file.diff.clone(), tail)
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// Whole lines of `text` within `room` characters.
fn clip_lines(text: &str, room: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for line in text.split_inclusive('\n') {
        let n = line.chars().count();
        if used + n > room {
            break;
        }
        out.push_str(line);
        used += n;
    }
    out
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
