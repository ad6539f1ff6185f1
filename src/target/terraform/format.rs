//! The formatting pass: hcl-rs output made `terraform fmt` canonical.
//!
//! hcl-rs writes valid HCL but does not align the `=` of consecutive one-line attributes and
//! object items, and writes `{for`. This pass parses its output with hcl-edit and only changes
//! whitespace decor: it must never change a token, so it cannot change meaning. Comments that
//! hcl-rs cannot hold (checkov skips) are attached here as decor of the block's first line.

use hcl_edit::expr::{ForExpr, Object, ObjectKey};
use hcl_edit::structure::{Block, Body, Structure};
use hcl_edit::visit_mut::{
    VisitMut, visit_block_mut, visit_body_mut, visit_for_expr_mut, visit_object_mut,
};
use hcl_edit::{Decorate, Span};

use crate::error::Error;

/// A comment to put at the top of a block's body: `#checkov:skip=...` lines.
pub struct BlockNote {
    /// Block identifier and labels, e.g. `["resource", "aws_s3_bucket", "this"]`.
    pub path: Vec<String>,
    pub lines: Vec<String>,
}

impl BlockNote {
    pub fn new(path: &[&str], lines: &[&str]) -> Self {
        let own = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect();
        BlockNote {
            path: own(path),
            lines: own(lines),
        }
    }
}

/// Renders `body` as canonical HCL, with `notes` inserted in the blocks they name.
pub fn render(body: &hcl::Body, notes: &[BlockNote]) -> Result<String, Error> {
    let mut formatter = hcl::format::Formatter::builder()
        .prefer_ident_keys(true)
        .build_vec();
    let raw = hcl::format::Format::format_string(body, &mut formatter)
        .map_err(|e| Error::Internal(format!("hcl format: {e}")))?;
    canonical(&raw, notes)
}

/// Aligns and spaces already valid HCL text the way `terraform fmt` does.
pub fn canonical(text: &str, notes: &[BlockNote]) -> Result<String, Error> {
    let mut body: Body = text
        .parse()
        .map_err(|e| Error::Internal(format!("generated HCL does not parse: {e}")))?;
    Aligner { src: text }.visit_body_mut(&mut body);
    for note in notes {
        attach_note(&mut body, note);
    }
    Ok(body.to_string())
}

struct Aligner<'a> {
    src: &'a str,
}

impl Aligner<'_> {
    fn multi_line(&self, span: Option<std::ops::Range<usize>>) -> bool {
        span.and_then(|r| self.src.get(r))
            .is_some_and(|t| t.contains('\n'))
    }
}

/// A run of aligned lines breaks at a blank line or a comment in the leading decor.
fn breaks_run(prefix: Option<&str>) -> bool {
    prefix.is_some_and(|p| p.matches('\n').count() > 0 || p.contains('#') || p.contains("//"))
}

impl VisitMut for Aligner<'_> {
    fn visit_body_mut(&mut self, body: &mut Body) {
        let mut runs: Vec<Vec<(usize, usize)>> = vec![Vec::new()];
        for (i, structure) in body.iter().enumerate() {
            let one_line = match structure {
                Structure::Attribute(a) => {
                    let prefix = a.decor().prefix().map(|p| &**p);
                    if breaks_run(prefix) {
                        runs.push(Vec::new());
                    }
                    (!self.multi_line(a.value.span())).then(|| a.key.as_str().len())
                }
                Structure::Block(_) => None,
            };
            match one_line {
                Some(width) => runs.last_mut().map(|r| r.push((i, width))).unwrap_or(()),
                None => runs.push(Vec::new()),
            }
        }
        for run in runs.iter().filter(|r| r.len() > 1) {
            let max = run.iter().map(|(_, w)| *w).max().unwrap_or(0);
            for (i, width) in run {
                if let Some(Structure::Attribute(a)) = body.get_mut(*i) {
                    a.key.decor_mut().set_suffix(" ".repeat(max - width + 1));
                }
            }
        }
        visit_body_mut(self, body);
    }

    fn visit_object_mut(&mut self, object: &mut Object) {
        let src = self.src;
        if !self.multi_line(object.span()) {
            // `{ a = 1, b = 2 }` on one line: terraform fmt aligns nothing.
            return visit_object_mut(self, object);
        }
        let mut widths: Vec<Option<usize>> = Vec::new();
        for (key, value) in object.iter() {
            let width = match key {
                ObjectKey::Ident(id) => id.span(),
                ObjectKey::Expression(e) => e.span(),
            }
            .and_then(|r| src.get(r))
            .map(str::len);
            widths.push(width.filter(|_| !self.multi_line(value.expr().span())));
        }
        let mut start = 0;
        while start < widths.len() {
            let len = widths[start..].iter().take_while(|w| w.is_some()).count();
            let max = widths[start..start + len].iter().flatten().max().copied();
            for (i, (mut key, _)) in object.iter_mut().enumerate().skip(start).take(len) {
                let width = widths[i].unwrap_or(0);
                key.decor_mut()
                    .set_suffix(" ".repeat(max.unwrap_or(0) - width + 1));
            }
            start += len.max(1);
        }
        visit_object_mut(self, object);
    }

    fn visit_block_mut(&mut self, block: &mut Block) {
        if block.body.is_empty() {
            // hcl-rs writes `features {  }`; terraform fmt wants `features {}`.
            block.body.decor_mut().clear();
            block.body.set_prefer_oneline(true);
        }
        visit_block_mut(self, block);
    }

    fn visit_for_expr_mut(&mut self, expr: &mut ForExpr) {
        if expr.key_expr.is_some() {
            expr.intro.decor_mut().set_prefix(" ");
            match &mut expr.cond {
                Some(cond) => cond.decor_mut().set_suffix(" "),
                None => expr.value_expr.decor_mut().set_suffix(" "),
            }
        }
        visit_for_expr_mut(self, expr);
    }
}

fn attach_note(body: &mut Body, note: &BlockNote) {
    let Some((first, rest)) = note.path.split_first() else {
        return;
    };
    for block in body.get_blocks_mut(first) {
        let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
        if labels.len() != rest.len() || labels.iter().zip(rest).any(|(a, b)| *a != b) {
            continue;
        }
        let indent = "  ";
        let mut text = String::new();
        for line in &note.lines {
            text.push_str(indent);
            text.push_str(line);
            text.push('\n');
        }
        text.push_str(indent);
        if let Some(structure) = block.body.get_mut(0) {
            structure.decor_mut().set_prefix(text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::terraform::hclx::{call, obj, r, s};

    fn sample() -> hcl::Body {
        hcl::Body::builder()
            .add_block(
                hcl::Block::builder("resource")
                    .add_label("aws_s3_bucket")
                    .add_label("this")
                    .add_attribute(("bucket", s("x")))
                    .add_attribute(("force_destroy", false))
                    .add_attribute((
                        "tags",
                        obj([("a", s("1")), ("managed-by", s("infrac")), ("9x", s("y"))]),
                    ))
                    .add_attribute(("for_each", r("local.buckets")))
                    .add_attribute((
                        "policy",
                        call("jsonencode", [obj([("Version", s("2012-10-17"))])]),
                    ))
                    .build(),
            )
            .add_attribute(("x", "y"))
            .add_block(hcl::Block::builder("features").build())
            .build()
    }

    #[test]
    fn output_is_terraform_fmt_canonical() {
        let notes = [BlockNote::new(
            &["resource", "aws_s3_bucket", "this"],
            &["#checkov:skip=CKV_AWS_18:reason"],
        )];
        let text = render(&sample(), &notes).unwrap();
        assert!(text.contains("  #checkov:skip=CKV_AWS_18:reason\n  bucket        = \"x\""));
        assert_eq!(
            canonical(&text, &[]).unwrap(),
            text,
            "the pass is idempotent"
        );
        if let Some(formatted) = super::terraform_fmt(&text) {
            assert_eq!(formatted, text);
        }
    }
}

/// `terraform fmt -` on `text`, when terraform is installed (tests only).
#[cfg(test)]
pub(crate) fn terraform_fmt(text: &str) -> Option<String> {
    use std::io::Write;
    let mut child = std::process::Command::new("terraform")
        .args(["fmt", "-no-color", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(text.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    assert!(out.status.success(), "terraform fmt rejected:\n{text}");
    Some(String::from_utf8(out.stdout).unwrap())
}
