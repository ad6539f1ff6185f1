//! YAML out: every Kubernetes, Istio, Argo and Kustomize document is serialised here, from
//! typed structs or `serde_json::Value` (with `preserve_order`), never from text templates.
//!
//! The text is defined as what serde-saphyr 2.1 writes with [`serde_saphyr_options`] (2-space
//! indent, compact sequences under keys, literal block scalars for multi-line strings, every
//! string a YAML 1.1 reader would misread quoted: `on`, `yes`, `12:30`). Emitting ~50 MB of
//! manifests through its general-purpose serializer was a tenth of a build, so the common shapes
//! go through `BlockEmitter`, a `serde::Serializer` that writes the same bytes straight into a
//! `String`. It reproduces serde-saphyr's layout and scalar rules for maps, sequences, strings,
//! integers, bools and nulls; floats are formatted by serde-saphyr itself. A document using
//! anything else (enum variants with data, bytes, non-scalar or over-long keys, serde-saphyr's
//! wrapper types, a single-line string long enough to be folded) is handed whole to
//! serde-saphyr instead, so the output never depends on which path wrote it.
//! `tests/yaml_emitter.rs` holds the two to byte equality.

use serde::Serialize;
use serde::ser::{self, Impossible};
use std::fmt;

/// The serde-saphyr options that define infrac's YAML.
pub fn serde_saphyr_options() -> serde_saphyr::SerializerOptions {
    serde_saphyr::ser_options! {
        indent_step: 2,
        folded_wrap_chars: FOLDED_WRAP_CHARS,
        prefer_block_scalars: true,
    }
}

/// serde-saphyr folds a plain-safe single-line string longer than this many characters.
const FOLDED_WRAP_CHARS: usize = 100_000;

/// YAML requires `? key` for a simple key longer than this many characters.
const SIMPLE_KEY_MAX_CHARS: usize = 1024;

/// Bytes reserved per document up front: most manifests are a few KB, so this skips the
/// smallest steps of the String's doubling.
const INITIAL_CAPACITY: usize = 1024;

/// Spaces per nesting level; also the block scalar indentation indicator.
const INDENT_STEP: usize = 2;

/// One YAML document.
pub fn to_yaml<T: Serialize + ?Sized>(value: &T) -> String {
    let mut out = String::with_capacity(INITIAL_CAPACITY);
    push_document(&mut out, value);
    out
}

/// Several documents in one stream, separated by `---`.
pub fn to_yaml_documents<T: Serialize>(values: &[T]) -> String {
    let mut out = String::with_capacity(INITIAL_CAPACITY * values.len().min(4));
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        push_document(&mut out, value);
    }
    out
}

/// The hand-rolled emitter alone, without the serde-saphyr fallback: what the differential
/// tests and the benchmark measure.
pub fn emit_block_yaml<T: Serialize + ?Sized>(value: &T) -> Result<String, Unsupported> {
    let mut out = String::with_capacity(INITIAL_CAPACITY);
    value.serialize(&mut BlockEmitter::new(&mut out))?;
    Ok(out)
}

/// serde-saphyr alone: the reference [`to_yaml`] must match byte for byte.
pub fn serde_saphyr_yaml<T: Serialize + ?Sized>(value: &T) -> String {
    let mut out = String::new();
    push_serde_saphyr_document(&mut out, value);
    out
}

/// Appends one document, through the emitter when it can and serde-saphyr otherwise.
fn push_document<T: Serialize + ?Sized>(out: &mut String, value: &T) {
    let start = out.len();
    if value.serialize(&mut BlockEmitter::new(out)).is_err() {
        out.truncate(start);
        push_serde_saphyr_document(out, value);
    }
}

fn push_serde_saphyr_document<T: Serialize + ?Sized>(out: &mut String, value: &T) {
    serde_saphyr::to_fmt_writer_with_options(out, &value, serde_saphyr_options())
        .expect("serialising an in-memory value to YAML cannot fail");
}

/// Why the hand-rolled emitter left a document to serde-saphyr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported(pub String);

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "left to serde-saphyr: {}", self.0)
    }
}

impl std::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Unsupported(msg.to_string())
    }
}

fn unsupported<T>(what: &str) -> Result<T, Unsupported> {
    Err(Unsupported(what.to_owned()))
}

/// Where the next node goes; decides its prefix, and the columns of what it nests.
#[derive(Clone, Copy, Debug)]
enum Position {
    /// The document's root, at the start of an empty line.
    Root,
    /// After `key:` (no space yet) of a block map whose keys sit at `key_column`.
    MapValue { key_column: usize },
    /// After `- ` of a block sequence whose dashes sit at `dash_column`.
    SeqItem { dash_column: usize },
}

impl Position {
    /// The column a block scalar's body is indented to: one step past its parent.
    fn child_column(self) -> usize {
        match self {
            Position::Root => INDENT_STEP,
            Position::MapValue { key_column } => key_column + INDENT_STEP,
            Position::SeqItem { dash_column } => dash_column + INDENT_STEP,
        }
    }

    /// What goes between the position and an inline node: a space after `key:`.
    fn inline_prefix(self) -> &'static str {
        match self {
            Position::MapValue { .. } => " ",
            Position::Root | Position::SeqItem { .. } => "",
        }
    }
}

/// A `serde::Serializer` writing serde-saphyr's block YAML into a `String`.
///
/// Each node ends with its newline; containers set [`Position`] before each child.
struct BlockEmitter<'o> {
    out: &'o mut String,
    position: Position,
}

impl<'o> BlockEmitter<'o> {
    fn new(out: &'o mut String) -> Self {
        BlockEmitter {
            out,
            position: Position::Root,
        }
    }

    /// A scalar that fits on the current line: `text` after the position's prefix.
    fn push_inline_scalar(&mut self, text: &str) {
        self.out.push_str(self.position.inline_prefix());
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn push_integer(&mut self, negative: bool, magnitude: u128) {
        self.out.push_str(self.position.inline_prefix());
        push_integer(self.out, negative, magnitude);
        self.out.push('\n');
    }

    fn push_string(&mut self, s: &str) -> Result<(), Unsupported> {
        if let Some(plain) = identifier_is_plain(s)
            && s.len() <= FOLDED_WRAP_CHARS
        {
            self.out.push_str(self.position.inline_prefix());
            if plain {
                self.out.push_str(s);
            } else {
                push_double_quoted(self.out, s);
            }
            self.out.push('\n');
            return Ok(());
        }
        if s.contains('\n') {
            if is_block_scalar_content_safe(s) {
                self.push_literal_block(s);
            } else {
                // A line break is a control character: never plain, never single-quoted.
                self.out.push_str(self.position.inline_prefix());
                push_double_quoted(self.out, s);
                self.out.push('\n');
            }
            return Ok(());
        }
        if s.len() > FOLDED_WRAP_CHARS && would_auto_fold(s) {
            return unsupported("a single-line string long enough to fold");
        }
        self.out.push_str(self.position.inline_prefix());
        if matches!(s, "." | "#" | "-") {
            self.out.push('\'');
            self.out.push_str(s);
            self.out.push('\'');
        } else if is_plain_value(s) {
            self.out.push_str(s);
        } else {
            push_double_quoted(self.out, s);
        }
        self.out.push('\n');
        Ok(())
    }

    /// `|`, `|-` or `|+` (with the indentation indicator when the first line starts with a
    /// space), then the lines one level deeper than the node's parent.
    fn push_literal_block(&mut self, s: &str) {
        let body_column = self.position.child_column();
        self.out.push_str(self.position.inline_prefix());
        let content = s.trim_end_matches('\n');
        let trailing_newlines = s.len() - content.len();
        self.out.push('|');
        if first_line_leading_spaces(content) > 0 {
            self.out.push(char::from(b'0' + INDENT_STEP as u8));
        }
        match trailing_newlines {
            0 => self.out.push('-'),
            1 if !content.is_empty() => {}
            _ => self.out.push('+'),
        }
        self.out.push('\n');
        if content.is_empty() {
            push_newlines(self.out, trailing_newlines);
            return;
        }
        for line in content.split('\n') {
            if !line.is_empty() {
                push_spaces(self.out, body_column);
                self.out.push_str(line);
            }
            self.out.push('\n');
        }
        push_newlines(self.out, trailing_newlines.saturating_sub(1));
    }
}

fn push_newlines(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push('\n');
    }
}

fn push_spaces(out: &mut String, mut n: usize) {
    const SPACES: &str = "                                                                ";
    while n > 0 {
        let chunk = n.min(SPACES.len());
        out.push_str(&SPACES[..chunk]);
        n -= chunk;
    }
}

fn push_integer(out: &mut String, negative: bool, mut magnitude: u128) {
    let mut digits = [0u8; 40];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (magnitude % 10) as u8;
        magnitude /= 10;
        if magnitude == 0 {
            break;
        }
    }
    if negative {
        out.push('-');
    }
    if let Ok(text) = std::str::from_utf8(&digits[at..]) {
        out.push_str(text);
    }
}

/// serde-saphyr's float text (shortest round-trip digits, always a `.`, signed exponent),
/// taken from serde-saphyr itself: a root scalar is the same text as a nested one.
fn float_text<F: Serialize>(value: F) -> Result<String, Unsupported> {
    let mut text = serde_saphyr::to_string(&value).map_err(|e| Unsupported(e.to_string()))?;
    if text.ends_with('\n') {
        text.pop();
    }
    Ok(text)
}

fn is_magic_name(name: &str) -> bool {
    // serde-saphyr's wrappers (flow, anchors, tags, comments, quoting, block strings).
    name.starts_with("__yaml_")
}

impl<'a, 'o> ser::Serializer for &'a mut BlockEmitter<'o> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = SequenceWriter<'a, 'o>;
    type SerializeTuple = SequenceWriter<'a, 'o>;
    type SerializeTupleStruct = SequenceWriter<'a, 'o>;
    type SerializeTupleVariant = Impossible<(), Unsupported>;
    type SerializeMap = MappingWriter<'a, 'o>;
    type SerializeStruct = MappingWriter<'a, 'o>;
    type SerializeStructVariant = Impossible<(), Unsupported>;

    fn serialize_bool(self, v: bool) -> Result<(), Unsupported> {
        self.push_inline_scalar(if v { "true" } else { "false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Unsupported> {
        self.serialize_i128(i128::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<(), Unsupported> {
        self.serialize_i128(i128::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<(), Unsupported> {
        self.serialize_i128(i128::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<(), Unsupported> {
        self.serialize_i128(i128::from(v))
    }
    fn serialize_i128(self, v: i128) -> Result<(), Unsupported> {
        self.push_integer(v < 0, v.unsigned_abs());
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), Unsupported> {
        self.serialize_u128(u128::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<(), Unsupported> {
        self.serialize_u128(u128::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<(), Unsupported> {
        self.serialize_u128(u128::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), Unsupported> {
        self.serialize_u128(u128::from(v))
    }
    fn serialize_u128(self, v: u128) -> Result<(), Unsupported> {
        self.push_integer(false, v);
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), Unsupported> {
        let text = float_text(v)?;
        self.push_inline_scalar(&text);
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result<(), Unsupported> {
        let text = float_text(v)?;
        self.push_inline_scalar(&text);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Unsupported> {
        self.push_string(v.encode_utf8(&mut [0u8; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Unsupported> {
        self.push_string(v)
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Unsupported> {
        unsupported("bytes")
    }
    fn serialize_none(self) -> Result<(), Unsupported> {
        self.serialize_unit()
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Unsupported> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Unsupported> {
        self.push_inline_scalar("null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Unsupported> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _variant_index: u32,
        variant: &'static str,
    ) -> Result<(), Unsupported> {
        // serde-saphyr writes the space after `key:` before deciding on a block scalar here,
        // which moves a multi-line variant name's block; never seen outside of tests.
        if variant.contains('\n') {
            return unsupported("a multi-line enum variant name");
        }
        self.push_string(variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        if is_magic_name(name) {
            return unsupported(name);
        }
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _variant_index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Unsupported> {
        unsupported("an enum variant with data")
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<SequenceWriter<'a, 'o>, Unsupported> {
        let opened_at = self.position;
        let dash_column = match opened_at {
            Position::Root => 0,
            // Compact: the dashes sit at the key's own column.
            Position::MapValue { key_column } => key_column,
            // `- - a`: the inner dashes line up two columns past the outer one.
            Position::SeqItem { dash_column } => dash_column + INDENT_STEP,
        };
        Ok(SequenceWriter {
            emitter: self,
            opened_at,
            dash_column,
            first: true,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<SequenceWriter<'a, 'o>, Unsupported> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<SequenceWriter<'a, 'o>, Unsupported> {
        if is_magic_name(name) {
            return unsupported(name);
        }
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _variant_index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Unsupported> {
        unsupported("an enum variant with data")
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MappingWriter<'a, 'o>, Unsupported> {
        let opened_at = self.position;
        let key_column = match opened_at {
            Position::Root => 0,
            Position::MapValue { key_column } => key_column + INDENT_STEP,
            // The first key follows the dash; the others align under it.
            Position::SeqItem { dash_column } => dash_column + INDENT_STEP,
        };
        // A map value known to be non-empty starts its next line at once; otherwise the line
        // break waits for the first key, so that an empty map stays `key: {}`.
        let line_broken =
            matches!(opened_at, Position::MapValue { .. }) && matches!(len, Some(n) if n > 0);
        if line_broken {
            self.out.push('\n');
        }
        Ok(MappingWriter {
            emitter: self,
            opened_at,
            key_column,
            line_broken,
            first: true,
        })
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<MappingWriter<'a, 'o>, Unsupported> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _variant_index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Unsupported> {
        unsupported("an enum variant with data")
    }
}

/// A block sequence in progress.
struct SequenceWriter<'a, 'o> {
    emitter: &'a mut BlockEmitter<'o>,
    opened_at: Position,
    dash_column: usize,
    first: bool,
}

impl SequenceWriter<'_, '_> {
    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Unsupported> {
        let out = &mut *self.emitter.out;
        match (self.first, self.opened_at) {
            // After `- `, the first inner dash stays on the outer dash's line.
            (true, Position::SeqItem { .. }) => {}
            (true, Position::MapValue { .. }) => {
                out.push('\n');
                push_spaces(out, self.dash_column);
            }
            _ => push_spaces(out, self.dash_column),
        }
        out.push_str("- ");
        self.first = false;
        self.emitter.position = Position::SeqItem {
            dash_column: self.dash_column,
        };
        value.serialize(&mut *self.emitter)
    }

    fn finish(self) -> Result<(), Unsupported> {
        if self.first {
            self.emitter.out.push_str(self.opened_at.inline_prefix());
            self.emitter.out.push_str("[]\n");
        }
        Ok(())
    }
}

impl ser::SerializeSeq for SequenceWriter<'_, '_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Unsupported> {
        self.element(value)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.finish()
    }
}

impl ser::SerializeTuple for SequenceWriter<'_, '_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Unsupported> {
        self.element(value)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for SequenceWriter<'_, '_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Unsupported> {
        self.element(value)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.finish()
    }
}

/// A block mapping in progress.
struct MappingWriter<'a, 'o> {
    emitter: &'a mut BlockEmitter<'o>,
    opened_at: Position,
    key_column: usize,
    /// The newline after the parent's `key:` is already written.
    line_broken: bool,
    first: bool,
}

impl MappingWriter<'_, '_> {
    /// Writes `key:` at the key column (or inline after `- `), leaving the value position set.
    fn key<K: ?Sized + Serialize>(&mut self, key: &K) -> Result<(), Unsupported> {
        let out = &mut *self.emitter.out;
        match (self.first, self.opened_at) {
            (true, Position::SeqItem { .. }) => {}
            (true, Position::MapValue { .. }) if !self.line_broken => {
                out.push('\n');
                self.line_broken = true;
                push_spaces(out, self.key_column);
            }
            _ => push_spaces(out, self.key_column),
        }
        self.first = false;
        let start = out.len();
        key.serialize(KeyWriter { out: &mut *out })?;
        let text = &out[start..];
        if text.len() > SIMPLE_KEY_MAX_CHARS && text.chars().count() > SIMPLE_KEY_MAX_CHARS {
            return unsupported("a key too long for `key:` form");
        }
        out.push(':');
        self.emitter.position = Position::MapValue {
            key_column: self.key_column,
        };
        Ok(())
    }

    fn finish(self) -> Result<(), Unsupported> {
        if self.first {
            let out = &mut *self.emitter.out;
            if self.line_broken {
                push_spaces(out, self.key_column);
            } else {
                out.push_str(self.opened_at.inline_prefix());
            }
            out.push_str("{}\n");
        }
        Ok(())
    }
}

impl ser::SerializeMap for MappingWriter<'_, '_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Unsupported> {
        self.key(key)
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Unsupported> {
        value.serialize(&mut *self.emitter)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.finish()
    }
}

impl ser::SerializeStruct for MappingWriter<'_, '_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        self.key(key)?;
        value.serialize(&mut *self.emitter)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.finish()
    }
}

/// Writes a scalar mapping key: plain when safe in both block and flow context, else
/// double-quoted; never a block scalar.
struct KeyWriter<'o> {
    out: &'o mut String,
}

impl KeyWriter<'_> {
    fn push_str_key(self, s: &str) -> Result<(), Unsupported> {
        if identifier_is_plain(s).unwrap_or_else(|| is_plain_key(s)) {
            self.out.push_str(s);
        } else {
            push_double_quoted(self.out, s);
        }
        Ok(())
    }
}

impl ser::Serializer for KeyWriter<'_> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Impossible<(), Unsupported>;
    type SerializeTuple = Impossible<(), Unsupported>;
    type SerializeTupleStruct = Impossible<(), Unsupported>;
    type SerializeTupleVariant = Impossible<(), Unsupported>;
    type SerializeMap = Impossible<(), Unsupported>;
    type SerializeStruct = Impossible<(), Unsupported>;
    type SerializeStructVariant = Impossible<(), Unsupported>;

    fn serialize_bool(self, v: bool) -> Result<(), Unsupported> {
        self.out.push_str(if v { "true" } else { "false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Unsupported> {
        self.serialize_i128(i128::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<(), Unsupported> {
        self.serialize_i128(i128::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<(), Unsupported> {
        self.serialize_i128(i128::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<(), Unsupported> {
        self.serialize_i128(i128::from(v))
    }
    fn serialize_i128(self, v: i128) -> Result<(), Unsupported> {
        push_integer(self.out, v < 0, v.unsigned_abs());
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), Unsupported> {
        self.serialize_u128(u128::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<(), Unsupported> {
        self.serialize_u128(u128::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<(), Unsupported> {
        self.serialize_u128(u128::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), Unsupported> {
        self.serialize_u128(u128::from(v))
    }
    fn serialize_u128(self, v: u128) -> Result<(), Unsupported> {
        push_integer(self.out, false, v);
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), Unsupported> {
        self.out.push_str(&float_text(v)?);
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result<(), Unsupported> {
        self.out.push_str(&float_text(v)?);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Unsupported> {
        self.push_str_key(v.encode_utf8(&mut [0u8; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Unsupported> {
        self.push_str_key(v)
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Unsupported> {
        unsupported("a non-scalar key")
    }
    fn serialize_none(self) -> Result<(), Unsupported> {
        self.serialize_unit()
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Unsupported> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Unsupported> {
        self.out.push_str("null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Unsupported> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _variant_index: u32,
        variant: &'static str,
    ) -> Result<(), Unsupported> {
        self.push_str_key(variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        if is_magic_name(name) {
            return unsupported(name);
        }
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _variant_index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Unsupported> {
        unsupported("a non-scalar key")
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Unsupported> {
        unsupported("a non-scalar key")
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Unsupported> {
        unsupported("a non-scalar key")
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Unsupported> {
        unsupported("a non-scalar key")
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _variant_index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Unsupported> {
        unsupported("a non-scalar key")
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Unsupported> {
        unsupported("a non-scalar key")
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Unsupported> {
        unsupported("a non-scalar key")
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _variant_index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Unsupported> {
        unsupported("a non-scalar key")
    }
}

// ---------------------------------------------------------------------------------------------
// Scalar rules. These mirror serde-saphyr 2.1.1 `src/ser/quoting.rs` (MIT OR Apache-2.0) with
// `yaml_12: false`, plus ASCII fast paths that give the same answers.
// ---------------------------------------------------------------------------------------------

/// Letters, digits and `-._/`, as a table: the byte loop below is the emitter's hottest.
const IDENTIFIER_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'/');
        b += 1;
    }
    table
};

/// The fast path for the usual Kubernetes string (`metadata`, `apps/v1`,
/// `app.kubernetes.io/name`, `payment-service`): a letter, then only letters, digits and
/// `-._/`. Such a string holds no indicator, comment, separator, white space or control
/// character and cannot be a number or timestamp, so it is plain (as key or value) unless it
/// is one of the short null/bool/nan/inf words. `None` when the string is not of this shape.
#[inline]
fn identifier_is_plain(s: &str) -> Option<bool> {
    let bytes = s.as_bytes();
    if !bytes.first()?.is_ascii_alphabetic() {
        return None;
    }
    if !bytes.iter().all(|&b| IDENTIFIER_BYTES[usize::from(b)]) {
        return None;
    }
    Some(
        bytes.len() > 5
            || ![
                "null", "true", "false", "nan", "inf", "yes", "y", "on", "no", "n", "off",
            ]
            .iter()
            .any(|word| s.eq_ignore_ascii_case(word)),
    )
}

/// Whether a string value may be written plain (block context, value position).
fn is_plain_value(s: &str) -> bool {
    if !has_plain_edges(s) || is_ambiguous(s, false) || starts_with_document_marker(s) {
        return false;
    }
    if s.is_ascii() {
        let bytes = s.as_bytes();
        if bytes.last() == Some(&b':') {
            return false;
        }
        let mut previous = 0u8;
        for (i, &b) in bytes.iter().enumerate() {
            match b {
                0..=0x1F | 0x7F => return false,
                b'#' if previous == b' ' => return false,
                b':' if bytes.get(i + 1) == Some(&b' ') => return false,
                _ => {}
            }
            previous = b;
        }
        true
    } else {
        !(s.contains(": ")
            || s.trim_end().ends_with(':')
            || s.chars().any(needs_escaping)
            || has_comment_start(s))
    }
}

/// Whether a string key may be written plain: serde-saphyr requires it to be safe both as a
/// block key and as a flow value (no `:`, `,`, brackets or braces anywhere).
fn is_plain_key(s: &str) -> bool {
    if !has_plain_edges(s)
        || is_ambiguous(s, false)
        || is_ambiguous(s, true)
        || starts_with_document_marker(s)
    {
        return false;
    }
    if s.is_ascii() {
        let mut previous = 0u8;
        for &b in s.as_bytes() {
            match b {
                0..=0x1F | 0x7F | b':' | b',' | b'[' | b']' | b'{' | b'}' => return false,
                b'#' if previous == b' ' => return false,
                _ => {}
            }
            previous = b;
        }
        true
    } else {
        !(s.chars()
            .any(|c| needs_escaping(c) || matches!(c, ':' | ',' | '[' | ']' | '{' | '}'))
            || has_comment_start(s))
    }
}

/// The first and last bytes allow a plain scalar: no surrounding ASCII white space, no
/// indicator that would start another kind of node.
fn has_plain_edges(s: &str) -> bool {
    let bytes = s.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if first.is_ascii_whitespace() || last.is_ascii_whitespace() {
        return false;
    }
    !matches!(
        bytes,
        [b'-' | b'?']
            | [b'-' | b'?', b' ' | b'\t' | b'\n' | b'\x0C' | b'\r', ..]
            | [
                b',' | b':'
                    | b'['
                    | b']'
                    | b'{'
                    | b'}'
                    | b'#'
                    | b'&'
                    | b'*'
                    | b'!'
                    | b'|'
                    | b'>'
                    | b'\''
                    | b'"'
                    | b'%'
                    | b'@'
                    | b'`',
                ..
            ]
    )
}

/// `#` after white space starts a comment in a plain scalar.
fn has_comment_start(s: &str) -> bool {
    let mut previous: Option<char> = None;
    for c in s.chars() {
        if c == '#' && previous.is_some_and(char::is_whitespace) {
            return true;
        }
        previous = Some(c);
    }
    false
}

fn starts_with_document_marker(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("---").or_else(|| s.strip_prefix("...")) else {
        return false;
    };
    rest.is_empty() || rest.as_bytes().first().is_some_and(u8::is_ascii_whitespace)
}

/// Characters a plain or single-quoted scalar cannot carry.
fn needs_escaping(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{FEFF}' | '\u{2028}' | '\u{2029}' | '\u{FFFE}' | '\u{FFFF}'
        )
}

/// Whether a reader could resolve the plain string to something else: null, bool, number,
/// timestamp, merge key.
fn is_ambiguous(s: &str, yaml_12: bool) -> bool {
    let bytes = s.as_bytes();
    // Fast path: every ambiguous spelling that starts with a letter is at most five bytes once
    // the spaces, tabs and line breaks a YAML 1.1 bool may carry are trimmed.
    if let (Some(first), Some(last)) = (bytes.first(), bytes.last())
        && first.is_ascii_alphabetic()
        && bytes.len() > 5
        && !matches!(last, b' ' | b'\t' | b'\r' | b'\n')
    {
        return false;
    }
    s.is_empty()
        || s == "~"
        || s.eq_ignore_ascii_case("null")
        || s.eq_ignore_ascii_case("true")
        || s.eq_ignore_ascii_case("false")
        || is_numeric(s, yaml_12)
        || s.eq_ignore_ascii_case("nan")
        || s.eq_ignore_ascii_case("inf")
        || s.eq_ignore_ascii_case("+inf")
        || s.eq_ignore_ascii_case("-inf")
        || (!yaml_12 && (is_yaml11_bool(s) || is_yaml11_timestamp(s) || matches!(s, "<<" | "=")))
}

fn is_yaml11_bool(s: &str) -> bool {
    let t = s.trim_matches([' ', '\t', '\r', '\n']);
    ["true", "yes", "y", "on", "false", "no", "n", "off"]
        .iter()
        .any(|word| t.eq_ignore_ascii_case(word))
}

fn is_numeric(s: &str, yaml_12: bool) -> bool {
    if !matches!(
        s.as_bytes().first(),
        Some(b'0'..=b'9' | b'+' | b'-' | b'.' | b'_')
    ) {
        return false;
    }
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    if unsigned.eq_ignore_ascii_case(".inf") || unsigned.eq_ignore_ascii_case(".nan") {
        return true;
    }
    if !yaml_12 {
        if is_yaml11_sexagesimal(s) {
            return true;
        }
        if let Some((radix, digits)) = radix_digits(unsigned)
            && is_digit_run(digits, radix, false)
        {
            return true;
        }
    }
    let normalized;
    let s = if !yaml_12 && s.contains('_') {
        normalized = s.replace('_', "");
        normalized.as_str()
    } else {
        s
    };
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    if let Some((radix, digits)) = radix_digits(unsigned) {
        let digits = if !yaml_12 && (s.starts_with("0b") || s.starts_with("0o")) {
            digits.strip_prefix(['+', '-']).unwrap_or(digits)
        } else {
            digits
        };
        return is_digit_run(digits, radix, true);
    }
    let mantissa = match unsigned.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => {
            let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
            if !is_digit_run(exponent, 10, true) {
                return false;
            }
            mantissa
        }
        None => unsigned,
    };
    match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            if !whole.is_empty() && !is_digit_run(whole, 10, true) {
                return false;
            }
            if !yaml_12 {
                fraction.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            } else if fraction.is_empty() {
                !whole.is_empty()
            } else {
                is_digit_run(fraction, 10, true)
            }
        }
        None => is_digit_run(mantissa, 10, true),
    }
}

fn radix_digits(s: &str) -> Option<(u32, &str)> {
    match s.as_bytes() {
        [b'0', b'b' | b'B', ..] => Some((2, &s[2..])),
        [b'0', b'o' | b'O', ..] => Some((8, &s[2..])),
        [b'0', b'x' | b'X', ..] => Some((16, &s[2..])),
        _ => None,
    }
}

fn is_digit_run(s: &str, radix: u32, strict_underscores: bool) -> bool {
    let is_digit = |b: u8| b.is_ascii() && char::from(b).is_digit(radix);
    let bytes = s.as_bytes();
    !bytes.is_empty()
        && bytes.iter().enumerate().all(|(i, &b)| {
            is_digit(b)
                || (b == b'_'
                    && (!strict_underscores
                        || (i > 0
                            && is_digit(bytes[i - 1])
                            && bytes.get(i + 1).is_some_and(|&next| is_digit(next)))))
        })
}

/// YAML 1.1 base-60 numbers (`12:30`, `1:20:30.5`).
fn is_yaml11_sexagesimal(s: &str) -> bool {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (integer, fraction) = match unsigned.split_once('.') {
        Some((integer, fraction)) => (integer, Some(fraction)),
        None => (unsigned, None),
    };
    let Some((first, rest)) = integer.split_once(':') else {
        return false;
    };
    let Some(first_digit) = first.as_bytes().first() else {
        return false;
    };
    if !first_digit.is_ascii_digit()
        || (fraction.is_none() && *first_digit == b'0')
        || !first.bytes().all(|b| b.is_ascii_digit() || b == b'_')
    {
        return false;
    }
    if !rest.split(':').all(|part| match part.as_bytes() {
        [digit] => digit.is_ascii_digit(),
        [tens, units] => matches!(tens, b'0'..=b'5') && units.is_ascii_digit(),
        _ => false,
    }) {
        return false;
    }
    fraction.is_none_or(|part| part.bytes().all(|b| b.is_ascii_digit() || b == b'_'))
}

/// YAML 1.1 timestamps (`2024-01-02`, `2024-01-02T03:04:05Z`), without calendar checks.
fn is_yaml11_timestamp(mut s: &str) -> bool {
    fn digits(s: &mut &str, min: usize, max: usize) -> bool {
        let len = s.bytes().take_while(u8::is_ascii_digit).count();
        if !(min..=max).contains(&len) {
            return false;
        }
        *s = &s[len..];
        true
    }
    fn prefix(s: &mut &str, ch: char) -> bool {
        if let Some(rest) = s.strip_prefix(ch) {
            *s = rest;
            true
        } else {
            false
        }
    }
    if !digits(&mut s, 4, 4)
        || !prefix(&mut s, '-')
        || !digits(&mut s, 1, 2)
        || !prefix(&mut s, '-')
        || !digits(&mut s, 1, 2)
    {
        return false;
    }
    if s.is_empty() {
        return true;
    }
    if let Some(rest) = s.strip_prefix(['T', 't']) {
        s = rest;
    } else {
        let rest = s.trim_start_matches([' ', '\t']);
        if rest.len() == s.len() {
            return false;
        }
        s = rest;
    }
    if !digits(&mut s, 1, 2)
        || !prefix(&mut s, ':')
        || !digits(&mut s, 1, 2)
        || !prefix(&mut s, ':')
        || !digits(&mut s, 1, 2)
    {
        return false;
    }
    if prefix(&mut s, '.') || prefix(&mut s, ',') {
        digits(&mut s, 0, usize::MAX);
    }
    s = s.trim_start_matches([' ', '\t']);
    if s.is_empty() || s == "Z" {
        return true;
    }
    if !(prefix(&mut s, '+') || prefix(&mut s, '-')) || !digits(&mut s, 1, 2) {
        return false;
    }
    if prefix(&mut s, ':') && !digits(&mut s, 2, 2) {
        return false;
    }
    s.is_empty()
}

/// Whether every character can appear literally in a `|` block.
fn is_block_scalar_content_safe(s: &str) -> bool {
    if s.is_ascii() {
        return s.bytes().all(|b| matches!(b, b'\n' | b'\t' | 0x20..=0x7E));
    }
    s.chars().all(|c| match c {
        '\n' | '\t' => true,
        '\r' | '\u{0085}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}' => false,
        c => matches!(
            c as u32,
            0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x0010_FFFF
        ),
    })
}

/// serde-saphyr folds a long single-line string only when it could also be plain.
fn would_auto_fold(s: &str) -> bool {
    let probe = s.trim_end_matches(' ');
    !probe.is_empty() && is_plain_value(probe) && s.chars().count() > FOLDED_WRAP_CHARS
}

/// Spaces before the first non-empty line; a block needs an indentation indicator if any.
fn first_line_leading_spaces(s: &str) -> usize {
    s.split('\n')
        .find(|line| !line.is_empty())
        .map_or(0, |line| line.len() - line.trim_start_matches(' ').len())
}

/// `"…"` with YAML's escapes (named where YAML has a name, `\xHH` / `\uHHHH` otherwise).
fn push_double_quoted(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('"');
    let mut run_start = 0;
    for (i, c) in s.char_indices() {
        let named = match c {
            '\\' => "\\\\",
            '"' => "\\\"",
            '\0' => "\\0",
            '\u{7}' => "\\a",
            '\u{8}' => "\\b",
            '\t' => "\\t",
            '\n' => "\\n",
            '\u{b}' => "\\v",
            '\u{c}' => "\\f",
            '\r' => "\\r",
            '\u{1b}' => "\\e",
            '\u{FEFF}' => "\\uFEFF",
            '\u{0085}' => "\\N",
            '\u{2028}' => "\\L",
            '\u{2029}' => "\\P",
            c if (c as u32) <= 0xFF && (c.is_control() || (0x7F..=0x9F).contains(&(c as u32))) => {
                ""
            }
            c if (c as u32) <= 0xFFFF && needs_escaping(c) => "",
            _ => continue,
        };
        out.push_str(&s[run_start..i]);
        run_start = i + c.len_utf8();
        if named.is_empty() {
            let code = c as u32;
            let digits = if code <= 0xFF {
                out.push_str("\\x");
                2
            } else {
                out.push_str("\\u");
                4
            };
            for shift in (0..digits).rev() {
                out.push(char::from(HEX[((code >> (shift * 4)) & 0xF) as usize]));
            }
        } else {
            out.push_str(named);
        }
    }
    out.push_str(&s[run_start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_1_1_lookalikes_are_quoted() {
        let v =
            serde_json::json!({"a": "on", "b": "yes", "c": "12:30", "d": "1", "e": [], "f": {}});
        let out = to_yaml(&v);
        assert_eq!(
            out, "a: \"on\"\nb: \"yes\"\nc: \"12:30\"\nd: \"1\"\ne: []\nf: {}\n",
            "{out}"
        );
    }

    #[test]
    fn documents_are_separated() {
        let out = to_yaml_documents(&[serde_json::json!({"a": 1}), serde_json::json!({"b": 2})]);
        assert_eq!(out, "a: 1\n---\nb: 2\n");
    }

    #[test]
    fn nested_layout_matches_serde_saphyr() {
        let v = serde_json::json!({
            "a": [{"b": 1, "c": [1, [2, 3], {"d": "x\ny\n"}], "e": {}}, [], {}],
            "f": {"g": {"h": " lead\n"}},
            "i": "",
        });
        assert_eq!(emit_block_yaml(&v).unwrap(), serde_saphyr_yaml(&v));
    }

    #[test]
    fn unsupported_shapes_fall_back_to_serde_saphyr() {
        #[derive(Serialize)]
        enum Shape {
            Circle { r: u32 },
        }
        let v = vec![Shape::Circle { r: 1 }];
        assert!(emit_block_yaml(&v).is_err());
        assert_eq!(to_yaml(&v), serde_saphyr_yaml(&v));
    }
}
