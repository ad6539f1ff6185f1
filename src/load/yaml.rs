//! YAML in, with positions: the only module that calls the YAML parser.
//!
//! A document becomes a [`Node`] tree whose every key and value keeps the byte span, line and
//! column it was written at. Scalars are typed the YAML 1.2 core way, strictly: only
//! `true`/`false` are booleans, `0755` and `1_000` stay strings, NaN and infinity are refused.
//! Duplicate keys, alias bombs and runaway nesting are refused by the parser's budget.
//!
//! Two paths give the same tree: the reference path deserialises serde-saphyr's `Spanned`
//! values ([`parse_reference`]); the fast path ([`fast`]) builds the tree straight from the
//! parser's events and hands anything it is not sure of, every error included, to the
//! reference path.

use indexmap::IndexMap;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Spanned};
use std::fmt;
use std::sync::Arc;

mod fast;

/// Index of a source file in [`crate::load::Sources`].
pub type FileId = u32;

/// Where a node was written: file, byte span, 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    pub file: FileId,
    pub offset: u32,
    pub len: u32,
    pub line: u32,
    pub column: u32,
}

/// A YAML value with its position and, once merged, the positions it overrode.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
    /// Earlier layers' positions for this leaf that this node overrode, nearest first.
    pub overrode: Vec<Pos>,
}

/// The mapping of a [`Node`]: insertion-ordered (output follows the file), hashed with
/// foldhash (several times faster than SipHash on the short keys of a registry; iteration
/// order never depends on the hasher).
pub type NodeMap = IndexMap<String, Entry, foldhash::fast::RandomState>;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// Lists and mappings are shared, copied on write: merging a service into every
    /// environment copies only the paths an environment changes, not the whole tree.
    Seq(Arc<Vec<Node>>),
    Map(Arc<NodeMap>),
}

/// A mapping entry: the key's own position and the value.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key_pos: Pos,
    pub value: Node,
}

impl Node {
    pub fn new(value: Value, pos: Pos) -> Self {
        Self {
            value,
            pos,
            overrode: Vec::new(),
        }
    }

    pub fn as_map(&self) -> Option<&NodeMap> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The mapping, for changing (copied first when shared).
    pub fn as_map_mut(&mut self) -> Option<&mut NodeMap> {
        match &mut self.value {
            Value::Map(m) => Some(Arc::make_mut(m)),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The entry under `key` when this is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?.get(key).map(|e| &e.value)
    }

    /// The entry (with its key position) under `key` when this is a mapping.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?.get(key)
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The YAML type name, for messages.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "number",
            Value::Str(_) => "string",
            Value::Seq(_) => "list",
            Value::Map(_) => "mapping",
        }
    }

    /// The value as JSON (what JSON Schema and the typed model read).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(m) => J::Object(
                m.iter()
                    .map(|(k, e)| (k.clone(), e.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// The node a JSON pointer (`/services/payment-service/ports/0`) names, with the entry's
    /// key position when the last step is a mapping key.
    pub fn pointer(&self, pointer: &str) -> Option<(&Node, Option<Pos>)> {
        let mut node = self;
        let mut key_pos = None;
        for raw in pointer.split('/').skip(1) {
            let step = raw.replace("~1", "/").replace("~0", "~");
            match &node.value {
                Value::Map(m) => {
                    let entry = m.get(&step)?;
                    key_pos = Some(entry.key_pos);
                    node = &entry.value;
                }
                Value::Seq(items) => {
                    node = items.get(step.parse::<usize>().ok()?)?;
                    key_pos = None;
                }
                _ => return None,
            }
        }
        Some((node, key_pos))
    }
}

/// A parse failure: a message and where, when the parser knows.
#[derive(Debug, Clone)]
pub struct ParseError {
    pub message: String,
    pub offset: Option<usize>,
    pub line: u32,
    pub column: u32,
    pub kind: ParseErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseErrorKind {
    Syntax,
    DuplicateKey,
    Limits,
}

/// Parses one YAML document of file `file` into a [`Node`] tree.
///
/// The fast path when it is sure of the result, else the reference path (which also gives
/// every error); both give the same tree.
pub fn parse(text: &str, file: FileId) -> Result<Node, ParseError> {
    match fast::parse(text, file) {
        Some(node) => Ok(node),
        None => parse_reference(text, file),
    }
}

/// The fast path alone: `None` where [`parse`] falls back to [`parse_reference`]. For the
/// differential test and the fuzzer.
pub fn parse_fast(text: &str, file: FileId) -> Option<Node> {
    fast::parse(text, file)
}

/// The reference path: serde-saphyr deserialises `Spanned` values, converted to a [`Node`].
pub fn parse_reference(text: &str, file: FileId) -> Result<Node, ParseError> {
    let options = serde_saphyr::options! {
        strict_booleans: true,
        leading_zero_numbers_as_strings: true,
        underscored_numbers_as_strings: true,
        legacy_octal_numbers: false,
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::Reject,
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
        with_snippet: false,
        budget: Some(budget(text.len())),
    };
    let raw: Spanned<Raw> =
        serde_saphyr::from_str_with_options(text, options).map_err(|e| parse_error(&e, text))?;
    Ok(convert(raw, file, text))
}

/// The parser's budget for a document of `len` bytes.
///
/// The limits bound what an attacker can *multiply*, not what a platform can write: without
/// anchors and aliases a YAML document cannot produce more events, nodes or scalar bytes than
/// it has bytes (every event but the stream and document markers consumes at least one byte of
/// input, an empty value at least its `:`, `-` or `?`), so those three grow with the text, and
/// a 10,000-service registry loads. What aliases can multiply is capped absolutely: anchors,
/// aliases and the events copied to replay them. The loader caps the file size itself.
pub(crate) fn budget(len: usize) -> serde_saphyr::Budget {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    budget.max_recorded_anchor_events = 100_000;
    budget.max_depth = 48;
    budget.max_documents = 1;
    let room = size_limit(len);
    budget.max_events = room.max(budget.max_events);
    budget.max_nodes = room.max(budget.max_nodes);
    budget.max_total_scalar_bytes = room.max(budget.max_total_scalar_bytes);
    budget
}

/// Twice the document's length plus slack: more than an alias-free document can produce of
/// events, nodes or scalar bytes, so only alias expansion can reach it.
pub(crate) fn size_limit(len: usize) -> usize {
    len.saturating_mul(2).saturating_add(4_096)
}

fn parse_error(error: &serde_saphyr::Error, text: &str) -> ParseError {
    let message = error.to_string();
    let lower = message.to_ascii_lowercase();
    let kind = if lower.contains("duplicate") {
        ParseErrorKind::DuplicateKey
    } else if lower.contains("budget") || lower.contains("limit") || lower.contains("exceeded") {
        ParseErrorKind::Limits
    } else {
        ParseErrorKind::Syntax
    };
    let (line, column, offset) = match error.location() {
        Some(loc) => {
            let offset = loc
                .span()
                .byte_offset()
                .map(|o| o as usize)
                .or_else(|| offset_of(text, loc.line() as u32, loc.column() as u32));
            (loc.line() as u32, loc.column() as u32, offset)
        }
        None => (1, 1, None),
    };
    let message = match kind {
        ParseErrorKind::DuplicateKey => "duplicate mapping key".to_owned(),
        ParseErrorKind::Limits => limits_message(&lower),
        ParseErrorKind::Syntax
            if lower.contains("nan") || lower.contains("inf") && lower.contains("policy") =>
        {
            "NaN and infinity are not accepted as numbers".to_owned()
        }
        ParseErrorKind::Syntax => first_line(&message),
    };
    let (line, column, offset) = point_at_tab(text, line.max(1), column.max(1), offset);
    ParseError {
        message,
        offset,
        line,
        column,
        kind,
    }
}

/// The parser's budget breaches, said in the user's terms.
fn limits_message(lower: &str) -> String {
    if lower.contains("document") {
        "the file holds more than one YAML document (`---`); infrac reads exactly one".to_owned()
    } else if lower.contains("depth") {
        "the document nests deeper than infrac reads (48 levels)".to_owned()
    } else {
        "anchors and aliases expand beyond infrac's budget (an alias bomb?)".to_owned()
    }
}

/// The parser reports a tab used for indentation just after it; point at the tab itself.
fn point_at_tab(
    text: &str,
    line: u32,
    column: u32,
    offset: Option<usize>,
) -> (u32, u32, Option<usize>) {
    let Some(line_text) = text.lines().nth(line as usize - 1) else {
        return (line, column, offset);
    };
    let indent: String = line_text
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect();
    match indent.chars().position(|c| c == '\t') {
        Some(i) if (i as u32) < column => {
            let line_start = offset_of(text, line, 1);
            (
                line,
                i as u32 + 1,
                line_start.map(|s| {
                    s + indent[..indent.char_indices().nth(i).map_or(0, |(b, _)| b)].len()
                }),
            )
        }
        _ => (line, column, offset),
    }
}

fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or(message);
    // The parser appends its own " at line X column Y"; our diagnostic shows the place.
    match line.find(" at line ") {
        Some(i) => line[..i].to_owned(),
        None => line.to_owned(),
    }
}

/// Byte offset of a 1-based line and character column.
pub fn offset_of(text: &str, line: u32, column: u32) -> Option<usize> {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1) as usize)
        .map(str::len)
        .sum();
    let rest = text.get(start..)?;
    let col = rest
        .char_indices()
        .nth(column.saturating_sub(1) as usize)
        .map_or(rest.len(), |(i, _)| i);
    Some(start + col)
}

fn pos_of(loc: &Location, file: FileId, text: &str) -> Pos {
    let line = loc.line() as u32;
    let column = loc.column() as u32;
    let span = loc.span();
    let offset = span
        .byte_offset()
        .map(|o| o as usize)
        .or_else(|| offset_of(text, line, column))
        .unwrap_or(0);
    let len = span.byte_len().unwrap_or(span.len()) as usize;
    Pos {
        file,
        offset: offset as u32,
        len: len as u32,
        line,
        column,
    }
}

fn convert(raw: Spanned<Raw>, file: FileId, text: &str) -> Node {
    let pos = pos_of(&raw.referenced, file, text);
    let value = match raw.value {
        Raw::Null => Value::Null,
        Raw::Bool(b) => Value::Bool(b),
        Raw::Int(i) => Value::Int(i),
        Raw::Float(f) => Value::Float(f),
        Raw::Str(s) => Value::Str(s),
        Raw::Seq(items) => Value::Seq(Arc::new(
            items.into_iter().map(|i| convert(i, file, text)).collect(),
        )),
        Raw::Map(entries) => Value::Map(Arc::new(
            entries
                .into_iter()
                .map(|(k, v)| {
                    let key_pos = pos_of(&k.referenced, file, text);
                    (
                        k.value.0,
                        Entry {
                            key_pos,
                            value: convert(v, file, text),
                        },
                    )
                })
                .collect(),
        )),
    };
    Node::new(value, pos)
}

/// What the parser hands us, before positions are turned into [`Pos`].
enum Raw {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<Key>, Spanned<Raw>)>),
}

/// A mapping key: any scalar, kept as its text.
struct Key(String);

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_none<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
        Raw::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Raw, E> {
        i64::try_from(v)
            .map(Raw::Int)
            .map_err(|_| E::custom("integer too large"))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Raw, E> {
        i64::try_from(v)
            .map(Raw::Int)
            .map_err(|_| E::custom("integer too large"))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Raw, E> {
        i64::try_from(v)
            .map(Raw::Int)
            .map_err(|_| E::custom("integer too large"))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Raw, E> {
        Ok(Raw::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Raw, E> {
        Ok(Raw::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Raw, E> {
        Err(E::custom("binary values are not supported"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Raw>>()? {
            items.push(item);
        }
        Ok(Raw::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<Key>>()? {
            let value = map.next_value::<Spanned<Raw>>()?;
            entries.push((key, value));
        }
        Ok(Raw::Map(entries))
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a scalar mapping key")
    }
    fn visit_str<E>(self, v: &str) -> Result<Key, E> {
        Ok(Key(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Key, E> {
        Ok(Key(v))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Key, E> {
        Ok(Key(v.to_string()))
    }
    fn visit_unit<E>(self) -> Result<Key, E> {
        Ok(Key("null".to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_of_keys_and_values() {
        let text = "a: 1\nb:\n  c: héllo\n  d: [x, y]\n";
        let node = parse(text, 0).unwrap();
        let b = node.entry("b").unwrap();
        assert_eq!((b.key_pos.line, b.key_pos.column), (2, 1));
        let c = b.value.entry("c").unwrap();
        assert_eq!((c.key_pos.line, c.key_pos.column), (3, 3));
        assert_eq!((c.value.pos.line, c.value.pos.column), (3, 6));
        assert_eq!(&text[c.value.pos.offset as usize..][..6], "héllo");
        let (y, _) = node.pointer("/b/d/1").unwrap();
        assert_eq!((y.pos.line, y.pos.column), (4, 10));
    }

    #[test]
    fn strict_scalars() {
        let node = parse("a: on\nb: 0755\nc: 1_000\nd: true\ne: ~\nf: 1.5\n", 0).unwrap();
        assert_eq!(node.get("a").unwrap().value, Value::Str("on".into()));
        assert_eq!(node.get("b").unwrap().value, Value::Str("0755".into()));
        assert_eq!(node.get("c").unwrap().value, Value::Str("1_000".into()));
        assert_eq!(node.get("d").unwrap().value, Value::Bool(true));
        assert_eq!(node.get("e").unwrap().value, Value::Null);
        assert_eq!(node.get("f").unwrap().value, Value::Float(1.5));
    }

    #[test]
    fn refusals() {
        assert_eq!(
            parse("a: 1\na: 2\n", 0).unwrap_err().kind,
            ParseErrorKind::DuplicateKey
        );
        let bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n";
        assert!(parse(bomb, 0).is_err());
        let err = parse("a:\n\tb: 1\n", 0).unwrap_err();
        assert_eq!(err.kind, ParseErrorKind::Syntax);
        assert!(parse("a: .nan\n", 0).is_err());
    }
}
