//! The formatting pass: an hcl-rs body laid out as `terraform fmt` canonical HCL.
//!
//! The body built with hcl-rs is converted to hcl-edit's tree (no text round trip) and
//! every node's whitespace decor is set the way `terraform fmt` (hclwrite) lays it out:
//! two-space indentation, `=` aligned in runs of one-line attributes and object items,
//! multi-line objects in attribute position and inline ones inside calls, `{ for … }`,
//! `features {}`. It only sets decor, never a token, so it cannot change meaning. Comments
//! that hcl-rs cannot hold (checkov skips) are attached here as decor of a block's first
//! line; headers are prepended by the callers.

use hcl_edit::expr::{Array, Expression, Object, ObjectKey, ObjectValueTerminator};
use hcl_edit::structure::{Block, Body, Structure};
use hcl_edit::{Decorate, Ident};

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
pub fn render(body: hcl::Body, notes: &[BlockNote]) -> Result<String, Error> {
    let mut body: Body = body.into();
    layout_body(&mut body, 0);
    for note in notes {
        attach_note(&mut body, note)?;
    }
    Ok(body.to_string())
}

fn indent(depth: usize) -> String {
    "  ".repeat(depth)
}

fn layout_body(body: &mut Body, depth: usize) {
    let pad = indent(depth);
    let mut previous_block: Option<bool> = None;
    let mut run: Vec<(usize, usize)> = Vec::new();
    let mut runs = Vec::new();
    for i in 0..body.len() {
        let Some(structure) = body.get_mut(i) else {
            break;
        };
        let is_block = structure.is_block();
        let blank = previous_block.is_some_and(|prev| prev || is_block);
        structure.decor_mut().set_prefix(if blank {
            format!("\n{pad}")
        } else {
            pad.clone()
        });
        if blank || is_block {
            runs.push(std::mem::take(&mut run));
        }
        match structure {
            Structure::Attribute(attr) => {
                if layout_value(&mut attr.value, depth) {
                    runs.push(std::mem::take(&mut run));
                } else {
                    run.push((i, attr.key.as_str().len()));
                }
            }
            Structure::Block(block) => layout_block(block, depth),
        }
        previous_block = Some(is_block);
    }
    runs.push(run);
    for run in runs {
        let max = run.iter().map(|(_, w)| *w).max().unwrap_or(0);
        for (i, width) in run {
            if let Some(Structure::Attribute(attr)) = body.get_mut(i) {
                attr.key.decor_mut().set_suffix(" ".repeat(max - width + 1));
            }
        }
    }
}

fn layout_block(block: &mut Block, depth: usize) {
    if block.body.is_empty() {
        block.body.set_prefer_oneline(true);
        return;
    }
    block.body.set_prefer_oneline(false);
    block.body.decor_mut().set_suffix(indent(depth));
    layout_body(&mut block.body, depth + 1);
}

/// Lays out a value in attribute or object-item position at `depth`; true when it spans
/// several lines (which ends a run of aligned `=`).
fn layout_value(expr: &mut Expression, depth: usize) -> bool {
    match expr {
        Expression::Object(object) if !object.is_empty() => {
            layout_object(object, depth);
            true
        }
        Expression::Array(array) if !array.is_empty() && array.iter().all(is_object) => {
            layout_array(array, depth);
            true
        }
        Expression::FuncCall(call)
            if call.args.len() == 1 && call.args.get(0).is_some_and(is_object) =>
        {
            // `jsonencode({` … `})`: one indentation level, as terraform fmt counts lines.
            call.args
                .get_mut(0)
                .map(|arg| layout_value(arg, depth))
                .unwrap_or(false)
        }
        other => {
            inline(other);
            false
        }
    }
}

fn is_object(expr: &Expression) -> bool {
    matches!(expr, Expression::Object(o) if !o.is_empty())
}

fn layout_object(object: &mut Object, depth: usize) {
    let pad = indent(depth + 1);
    let mut widths = Vec::with_capacity(object.len());
    for (i, (mut key, value)) in object.iter_mut().enumerate() {
        // Measured before the decor is set: an expression key's decor is its own.
        let width = key_width(key.get());
        key.decor_mut().set_prefix(if i == 0 {
            format!("\n{pad}")
        } else {
            pad.clone()
        });
        value.set_terminator(ObjectValueTerminator::Newline);
        let multi = layout_value(value.expr_mut(), depth + 1);
        widths.push((!multi).then_some(width));
    }
    object.set_trailing(indent(depth));
    let mut start = 0;
    while start < widths.len() {
        let len = widths[start..].iter().take_while(|w| w.is_some()).count();
        let max = widths[start..start + len]
            .iter()
            .flatten()
            .max()
            .copied()
            .unwrap_or(0);
        for (i, (mut key, _)) in object.iter_mut().enumerate().skip(start).take(len) {
            key.decor_mut()
                .set_suffix(" ".repeat(max - widths[i].unwrap_or(0) + 1));
        }
        start += len + 1;
    }
}

fn layout_array(array: &mut Array, depth: usize) {
    let pad = indent(depth + 1);
    for element in array.iter_mut() {
        element.decor_mut().set_prefix(format!("\n{pad}"));
        layout_value(element, depth + 1);
    }
    array.set_trailing_comma(true);
    array.set_trailing(format!("\n{}", indent(depth)));
}

fn key_width(key: &ObjectKey) -> usize {
    match key {
        ObjectKey::Ident(id) if is_bare_key(id) => id.as_str().len(),
        ObjectKey::Ident(id) => id.as_str().len() + 2,
        ObjectKey::Expression(e) => e.to_string().len(),
    }
}

fn is_bare_key(id: &Ident) -> bool {
    hcl_edit::Ident::try_new(id.as_str()).is_ok()
        && !matches!(id.as_str(), "null" | "true" | "false")
}

/// Everything inside a call, an array or a for expression stays on one line.
fn inline(expr: &mut Expression) {
    match expr {
        Expression::Object(object) => {
            let last = object.len().saturating_sub(1);
            for (i, (mut key, value)) in object.iter_mut().enumerate() {
                key.decor_mut().set_prefix(" ");
                value.set_terminator(if i == last {
                    ObjectValueTerminator::None
                } else {
                    ObjectValueTerminator::Comma
                });
                inline(value.expr_mut());
            }
            object.set_trailing(if object.is_empty() { "" } else { " " });
        }
        Expression::Array(array) => array.iter_mut().for_each(inline),
        Expression::FuncCall(call) => call.args.iter_mut().for_each(inline),
        Expression::Parenthesis(p) => inline(p.inner_mut()),
        Expression::ForExpr(for_expr) => {
            if for_expr.key_expr.is_some() {
                for_expr.intro.decor_mut().set_prefix(" ");
                for_expr.intro.value_var.decor_mut().set_suffix(" ");
                for_expr.value_expr.decor_mut().set_suffix(" ");
            }
            inline(&mut for_expr.value_expr);
        }
        _ => {}
    }
}

fn attach_note(body: &mut Body, note: &BlockNote) -> Result<(), Error> {
    let Some((first, rest)) = note.path.split_first() else {
        return Ok(());
    };
    for block in body.get_blocks_mut(first) {
        let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
        if labels.len() != rest.len() || labels.iter().zip(rest).any(|(a, b)| *a != b) {
            continue;
        }
        let mut text = String::new();
        for line in &note.lines {
            text.push_str(&format!("  {line}\n"));
        }
        text.push_str("  ");
        if let Some(structure) = block.body.get_mut(0) {
            structure.decor_mut().set_prefix(text);
        }
        return Ok(());
    }
    Err(Error::Internal(format!(
        "note for missing block {}",
        note.path.join(".")
    )))
}

/// `terraform fmt -` on `text`, when terraform is installed (tests only). Without terraform
/// the check is skipped locally but fails under `CI=true`, so a CI run cannot pass by
/// skipping it (see [`terraform_missing`]).
#[cfg(test)]
pub(crate) fn terraform_fmt(text: &str) -> Option<String> {
    use std::io::Write;
    let spawned = std::process::Command::new("terraform")
        .args(["fmt", "-no-color", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(error) => {
            terraform_missing(&error.to_string(), std::env::var("CI").ok().as_deref());
            return None;
        }
    };
    child.stdin.take()?.write_all(text.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    assert!(out.status.success(), "terraform fmt rejected:\n{text}");
    Some(String::from_utf8(out.stdout).unwrap())
}

/// What a test that needs terraform does when it cannot run it: nothing locally (the check
/// is skipped), a failure when `ci` (the `CI` variable) is `true`, which GitHub Actions and
/// GitLab CI always set
/// (<https://docs.github.com/en/actions/reference/variables-reference>,
/// <https://docs.gitlab.com/ci/variables/predefined_variables/>).
#[cfg(test)]
fn terraform_missing(error: &str, ci: Option<&str>) {
    assert!(
        !ci.is_some_and(|v| v.eq_ignore_ascii_case("true")),
        "CI=true but terraform cannot run ({error}): install terraform, the `terraform fmt` \
         checks must not be skipped in CI"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::terraform::hclx::{arr, call, obj, r, s};

    fn sample() -> hcl::Body {
        let statement = obj([
            ("Effect", s("Allow")),
            ("Resource", arr([r("x.arn"), s("*")])),
        ]);
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
                        call(
                            "jsonencode",
                            [obj([
                                ("Version", s("2012-10-17")),
                                ("Statement", arr([statement.clone(), statement])),
                            ])],
                        ),
                    ))
                    .add_attribute((
                        "merged",
                        call("merge", [r("local.tags"), obj([("b", s("c"))])]),
                    ))
                    .add_block(hcl::Block::builder("features").build())
                    .build(),
            )
            .add_attribute(("x", "y"))
            .build()
    }

    #[test]
    fn missing_terraform_is_skipped_locally_and_fails_in_ci() {
        terraform_missing("not found", None);
        terraform_missing("not found", Some("false"));
        let in_ci = std::panic::catch_unwind(|| terraform_missing("not found", Some("true")));
        assert!(
            in_ci.is_err(),
            "CI=true: a missing terraform fails the test"
        );
    }

    #[test]
    fn output_is_terraform_fmt_canonical() {
        let notes = [BlockNote::new(
            &["resource", "aws_s3_bucket", "this"],
            &["#checkov:skip=CKV_AWS_18:reason"],
        )];
        let text = render(sample(), &notes).unwrap();
        assert!(
            text.contains("  #checkov:skip=CKV_AWS_18:reason\n  bucket        = \"x\""),
            "{text}"
        );
        assert!(text.contains("merge(local.tags, { b = \"c\" })"), "{text}");
        hcl::parse(&text).unwrap();
        if let Some(formatted) = terraform_fmt(&text) {
            if formatted != text {
                std::fs::write("/tmp/tf-fmt-want.tf", &formatted).unwrap();
                std::fs::write("/tmp/tf-fmt-got.tf", &text).unwrap();
            }
            assert_eq!(formatted, text);
        }
    }
}
