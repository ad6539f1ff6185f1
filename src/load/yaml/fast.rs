//! The fast path of [`super::parse`]: a [`Node`] tree built straight from granit-parser's
//! events and spans, without serde.
//!
//! serde-saphyr (the reference path, [`super::parse_reference`]) reads the same events from
//! the same parser, then pays for serde and `Spanned` on every node. This module reproduces
//! its result for the documents infrac actually reads: one document of block and flow
//! mappings, sequences and scalars. It returns `None` — and the caller falls back to the
//! reference path, which then also produces every error message — on anything it cannot
//! match with certainty:
//!
//! - any parser error, and anything after the first document;
//! - anchors, aliases, tags and merge keys (`<<`);
//! - a duplicate key (as text: serde-saphyr decides whether it is an error), a key that is
//!   not a scalar;
//! - nesting deeper than the budget's 48 levels, and inputs near the other budget limits;
//! - plain scalars whose typing is not plainly one of: null (`""`, `~`, `null`, `Null`,
//!   `NULL`), a YAML 1.2 boolean, a decimal integer that fits `i64`, a finite float, or a
//!   string. Radix integers (`0x1F`), out-of-range integers, `.inf`, `.nan` and their
//!   relatives decline.
//!
//! Positions follow serde-saphyr's `Location` exactly: 1-based line, column = parser column
//! + 1 (characters), byte offset and byte length of the event's span.
//!
//! The differential test `tests/yaml_fastpath.rs` holds this module to the reference path.

use super::{Entry, FileId, Node, NodeMap, Pos, Value};
use granit_parser::{Event, Parser, ScalarStyle, Span, StrInput};
use std::borrow::Cow;

/// The budget's `max_depth` (see `super::budget`): deeper documents are the reference's error.
const MAX_DEPTH: usize = 48;
/// Below the reference's budget for the same text (`super::budget`: the larger of
/// serde-saphyr's defaults and [`super::size_limit`]), with a margin so counting details can
/// never matter: near a limit, decline.
fn limits(len: usize) -> (usize, usize, usize) {
    let room = super::size_limit(len);
    let margin = |default: usize, slack: usize| room.max(default) - slack;
    (
        margin(1_000_000, 1_000),
        margin(250_000, 1_000),
        margin(64 * 1024 * 1024, 64 * 1024),
    )
}
/// Byte offsets must fit serde-saphyr's 32-bit span storage with room to spare.
const MAX_TEXT_BYTES: usize = (u32::MAX / 2) as usize;

/// An open collection.
enum Frame {
    Seq {
        pos: Pos,
        items: Vec<Node>,
    },
    Map {
        pos: Pos,
        entries: NodeMap,
        /// The key read and waiting for its value.
        key: Option<(String, Pos)>,
    },
}

/// What a scalar resolves to, before its text is moved into a [`Value`].
enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str,
}

/// Parses `text` like the reference path does, or `None` when this path cannot be sure to.
pub fn parse(text: &str, file: FileId) -> Option<Node> {
    if text.len() > MAX_TEXT_BYTES {
        return None;
    }
    let (max_events, max_nodes, max_scalar_bytes) = limits(text.len());
    let mut parser = Parser::with_options(StrInput::new(text), parser_options());
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0usize;
    let mut events = 0usize;
    let mut nodes = 0usize;
    let mut scalar_bytes = 0usize;
    let mut last_pos: Option<Pos> = None;
    while let Some(item) = parser.next_event() {
        let (event, span) = item.ok()?;
        events += 1;
        if events > max_events {
            return None;
        }
        let pos = pos_of(&span, file)?;
        last_pos = Some(pos);
        match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
            Event::DocumentStart(_, version) => {
                documents += 1;
                if documents > 1 || version.is_some() {
                    return None;
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    return None;
                }
                nodes += 1;
                scalar_bytes = scalar_bytes.saturating_add(value.len());
                if nodes > max_nodes || scalar_bytes > max_scalar_bytes {
                    return None;
                }
                if let Some(Frame::Map {
                    key: key @ None, ..
                }) = stack.last_mut()
                {
                    let text = key_text(value, style)?;
                    if text == "<<" {
                        return None;
                    }
                    *key = Some((text, pos));
                    continue;
                }
                let node = Node::new(scalar_value(value, style)?, pos);
                attach(&mut stack, &mut root, node)?;
            }
            Event::SequenceStart(_, anchor, ref tag) | Event::MappingStart(_, anchor, ref tag) => {
                if anchor != 0 || tag.is_some() || stack.len() >= MAX_DEPTH {
                    return None;
                }
                nodes += 1;
                if nodes > max_nodes {
                    return None;
                }
                // A collection as a mapping key: the reference refuses it.
                if let Some(Frame::Map { key: None, .. }) = stack.last() {
                    return None;
                }
                if root.is_some() {
                    return None;
                }
                stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq {
                        pos,
                        items: Vec::new(),
                    }
                } else {
                    Frame::Map {
                        pos,
                        entries: NodeMap::default(),
                        key: None,
                    }
                });
            }
            Event::SequenceEnd => {
                let Some(Frame::Seq { pos, items }) = stack.pop() else {
                    return None;
                };
                attach(
                    &mut stack,
                    &mut root,
                    Node::new(Value::Seq(std::sync::Arc::new(items)), pos),
                )?;
            }
            Event::MappingEnd => {
                let Some(Frame::Map {
                    pos,
                    entries,
                    key: None,
                }) = stack.pop()
                else {
                    return None;
                };
                attach(
                    &mut stack,
                    &mut root,
                    Node::new(Value::Map(std::sync::Arc::new(entries)), pos),
                )?;
            }
            // Aliases, and whatever else the parser may emit: the reference's business.
            _ => return None,
        }
    }
    if !stack.is_empty() {
        return None;
    }
    // No document at all (an empty file, only comments): serde-saphyr reads a null placed
    // where the last event (the stream end) was.
    match root {
        Some(node) => Some(node),
        None => Some(Node::new(Value::Null, last_pos?)),
    }
}

/// The options serde-saphyr gives the parser under infrac's budget (`Budget::parser_options`):
/// the defaults, with the block nesting limit raised to at least `max_depth + 1`.
fn parser_options() -> granit_parser::Options {
    let defaults = granit_parser::Options::default();
    granit_parser::options! {
        simple_key_max_lookahead: 1024,
        flow_nesting_limit: 255,
        block_nesting_limit: defaults.block_nesting_limit.max(MAX_DEPTH + 1),
        emit_comments: false,
        strict_indentation: false,
    }
}

/// Hands a finished node to its parent (or makes it the root); `None` on a duplicate key.
fn attach(stack: &mut [Frame], root: &mut Option<Node>, node: Node) -> Option<()> {
    match stack.last_mut() {
        None => {
            if root.is_some() {
                return None;
            }
            *root = Some(node);
        }
        Some(Frame::Seq { items, .. }) => items.push(node),
        Some(Frame::Map { entries, key, .. }) => {
            let (text, key_pos) = key.take()?;
            let entry = Entry {
                key_pos,
                value: node,
            };
            // A key already there: serde-saphyr decides whether that is an error.
            if entries.insert(text, entry).is_some() {
                return None;
            }
        }
    }
    Some(())
}

/// serde-saphyr's `Location` for a span, as [`super::parse_reference`] turns it into a
/// [`Pos`]. Declines when the parser gave no byte offsets (never, for a string input).
fn pos_of(span: &Span, file: FileId) -> Option<Pos> {
    let (start, end) = (span.start, span.end);
    if end.index() < start.index() {
        return None;
    }
    let begin = start.byte_offset()?;
    let len = end.byte_offset()?.checked_sub(begin)?;
    Some(Pos {
        file,
        offset: u32::try_from(begin).ok()?,
        len: u32::try_from(len).ok()?,
        line: u32::try_from(start.line()).ok()?,
        column: u32::try_from(start.col().checked_add(1)?).ok()?,
    })
}

/// A scalar in value position.
fn scalar_value(text: Cow<'_, str>, style: ScalarStyle) -> Option<Value> {
    let resolved = match style {
        ScalarStyle::Plain => resolve_plain(&text)?,
        ScalarStyle::SingleQuoted
        | ScalarStyle::DoubleQuoted
        | ScalarStyle::Literal
        | ScalarStyle::Folded => Scalar::Str,
        #[allow(unreachable_patterns)]
        _ => return None,
    };
    Some(match resolved {
        Scalar::Null => Value::Null,
        Scalar::Bool(b) => Value::Bool(b),
        Scalar::Int(i) => Value::Int(i),
        Scalar::Float(f) => Value::Float(f),
        Scalar::Str => Value::Str(text.into_owned()),
    })
}

/// A scalar in key position, as the reference's key visitor spells it: typed like a value,
/// then written back as text (`null`, `true`, `8080`, `1.5`).
fn key_text(text: Cow<'_, str>, style: ScalarStyle) -> Option<String> {
    Some(match scalar_value(text, style)? {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Str(s) => s,
        Value::Seq(_) | Value::Map(_) => return None,
    })
}

/// serde-saphyr's typing of an untagged plain scalar under infrac's options (strict
/// booleans, leading-zero and underscored numbers as strings, no legacy octal, non-finite
/// floats refused), for the spellings it is sure of; `None` for the rest.
fn resolve_plain(text: &str) -> Option<Scalar> {
    // Null is matched on the untrimmed text, everything after on trimmed text: the parser
    // never leaves padding on a plain scalar, but if it did the two would differ.
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Some(Scalar::Null);
    }
    const PAD: [char; 4] = [' ', '\t', '\r', '\n'];
    if text.starts_with(PAD) || text.ends_with(PAD) {
        return None;
    }
    match text {
        "true" | "True" | "TRUE" => return Some(Scalar::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Scalar::Bool(false)),
        _ => {}
    }
    if leading_zero_decimal(text) || text.contains('_') {
        return Some(Scalar::Str);
    }
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let bytes = unsigned.as_bytes();
    // Radix integers (`0x1F`, `0o17`, `0b1`) and YAML's non-finite floats, which infrac
    // refuses.
    if let [b'0', b'x' | b'X' | b'o' | b'O' | b'b' | b'B', ..] = bytes {
        return None;
    }
    if matches!(
        unsigned,
        ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF"
    ) {
        return None;
    }
    if !bytes.is_empty() && bytes.iter().all(u8::is_ascii_digit) {
        // A decimal integer without a redundant leading zero; beyond i64 the reference
        // either refuses it or reads a float.
        return text.parse::<i64>().ok().map(Scalar::Int);
    }
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() => Some(Scalar::Float(f)),
        // `inf`, `NaN`, `infinity`, `1e999`: strings or refusals, not ours to say.
        Ok(_) => None,
        Err(_) => Some(Scalar::Str),
    }
}

/// A decimal integer spelled with a redundant leading zero (`0755`, `-012`): a string.
fn leading_zero_decimal(text: &str) -> bool {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit())
}
