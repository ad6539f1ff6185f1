//! A serde `Deserializer` over a merged [`Node`]: the typed model is read straight from the
//! spanned tree, with no detour through `serde_json::Value` (which cost a full copy of every
//! service per environment).
//!
//! One liberty, the one lowering needs: a string field given a number or a boolean reads it
//! as its text, as for `config` values and resource quantities. The schema has already
//! refused such values everywhere else. Given the [`Sources`] the tree was read from, that
//! text is the text the user wrote (`1.10`, `0x1F`, `1e3`, `True`); without them, the way
//! JSON writes the value (`1.1`, `31`, `1000.0`, `true`).

use crate::diagnostic::Sources;
use crate::load::yaml::{Entry, Node, Pos, Value};
use crate::spec::spanned;
use serde::de::value::{Error, StrDeserializer};
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;

/// Deserializes `T` from `node`; a number or boolean read as a string is written as JSON
/// writes it.
pub fn from_node<T: de::DeserializeOwned>(node: &Node) -> Result<T, Error> {
    T::deserialize(NodeDeserializer(node, node.pos, None))
}

/// Deserializes `T` from `node`, read from `sources`: a number or boolean read as a string
/// keeps the text it was written with.
pub fn from_node_in<T: de::DeserializeOwned>(node: &Node, sources: &Sources) -> Result<T, Error> {
    T::deserialize(NodeDeserializer(node, node.pos, Some(sources)))
}

/// The node as a `Deserializer`, with the position of the key it is the value of (the
/// node's own position for a list item or a document) and the sources it was read from.
///
/// It knows one private struct name, [`spanned::MAGIC`]: a [`Spanned`](crate::spec::Spanned)
/// or [`Field`](crate::spec::Field) asks for it and is handed the node's position, its key's
/// position and then the value (the trick `toml`'s and `serde_spanned`'s `Spanned` use).
#[derive(Clone, Copy)]
pub struct NodeDeserializer<'a>(pub &'a Node, pub Pos, pub Option<&'a Sources>);

/// The text of a scalar: as written when the sources hold it, else as JSON writes it; `None`
/// for null and collections.
fn scalar_text(node: &Node, sources: Option<&Sources>) -> Option<String> {
    if let Some(written) = sources.and_then(|s| written_text(node, s)) {
        return Some(written.to_owned());
    }
    match &node.value {
        Value::Bool(b) => Some(b.to_string()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => serde_json::Number::from_f64(*f).map(|n| n.to_string()),
        Value::Null | Value::Str(_) | Value::Seq(_) | Value::Map(_) => None,
    }
}

/// The text a number or boolean was written with: the source bytes its position spans,
/// used only when they read back as the same value (a node made by the merge, or a
/// position that is not the scalar's own, falls back to the JSON spelling).
fn written_text<'s>(node: &Node, sources: &'s Sources) -> Option<&'s str> {
    let pos = node.pos;
    let start = usize::try_from(pos.offset).ok()?;
    let end = start.checked_add(usize::try_from(pos.len).ok()?)?;
    let raw = sources.get_text(pos.file)?.get(start..end)?;
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.');
    if raw.is_empty() || raw.len() > 64 || !raw.chars().all(plain) {
        return None;
    }
    let same = match node.value {
        Value::Bool(true) => matches!(raw, "true" | "True" | "TRUE"),
        Value::Bool(false) => matches!(raw, "false" | "False" | "FALSE"),
        Value::Int(i) => written_int(raw) == Some(i),
        Value::Float(f) => raw.parse::<f64>().ok() == Some(f),
        _ => false,
    };
    same.then_some(raw)
}

/// A YAML 1.2 integer: decimal, or `0x`/`0o`/`0b` with an optional sign.
fn written_int(raw: &str) -> Option<i64> {
    let (negative, digits) = match raw.as_bytes().first()? {
        b'-' => (true, &raw[1..]),
        b'+' => (false, &raw[1..]),
        _ => (false, raw),
    };
    let (radix, digits) = match digits.get(..2) {
        Some("0x" | "0X") => (16, &digits[2..]),
        Some("0o" | "0O") => (8, &digits[2..]),
        Some("0b" | "0B") => (2, &digits[2..]),
        _ => (10, digits),
    };
    let magnitude = i128::from_str_radix(digits, radix).ok()?;
    i64::try_from(if negative { -magnitude } else { magnitude }).ok()
}

impl<'de> de::Deserializer<'de> for NodeDeserializer<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.0.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => visitor.visit_i64(*i),
            Value::Float(f) => visitor.visit_f64(*f),
            Value::Str(s) => visitor.visit_str(s),
            Value::Seq(items) => visitor.visit_seq(SeqAccess {
                items: items.iter(),
                sources: self.2,
            }),
            Value::Map(map) => visitor.visit_map(MapAccess {
                entries: map.iter(),
                value: None,
                sources: self.2,
            }),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == spanned::MAGIC {
            visitor.visit_seq(spanned::SpanAccess::new(self.0.pos, self.1, self))
        } else {
            self.deserialize_any(visitor)
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        // Nothing of an ignored subtree is read.
        visitor.visit_unit()
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match scalar_text(self.0, self.2) {
            Some(text) => visitor.visit_string(text),
            None => self.deserialize_any(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match &self.0.value {
            // A unit variant is written as its name.
            Value::Str(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            // A variant with data as a one-entry mapping `{variant: data}`.
            Value::Map(map) if map.len() == 1 => {
                visitor.visit_enum(de::value::MapAccessDeserializer::new(MapAccess {
                    entries: map.iter(),
                    value: None,
                    sources: self.2,
                }))
            }
            _ => Err(de::Error::invalid_type(
                unexpected(&self.0.value),
                &"a variant name or a one-entry mapping",
            )),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf unit
        unit_struct seq tuple tuple_struct map identifier
    }
}

fn unexpected(value: &Value) -> de::Unexpected<'_> {
    match value {
        Value::Null => de::Unexpected::Unit,
        Value::Bool(b) => de::Unexpected::Bool(*b),
        Value::Int(i) => de::Unexpected::Signed(*i),
        Value::Float(f) => de::Unexpected::Float(*f),
        Value::Str(s) => de::Unexpected::Str(s),
        Value::Seq(_) => de::Unexpected::Seq,
        Value::Map(_) => de::Unexpected::Map,
    }
}

struct SeqAccess<'a> {
    items: std::slice::Iter<'a, Node>,
    sources: Option<&'a Sources>,
}

impl<'de> de::SeqAccess<'de> for SeqAccess<'_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.items
            .next()
            .map(|item| seed.deserialize(NodeDeserializer(item, item.pos, self.sources)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapAccess<'a> {
    entries: indexmap::map::Iter<'a, String, Entry>,
    value: Option<(&'a Node, Pos)>,
    sources: Option<&'a Sources>,
}

impl<'de> de::MapAccess<'de> for MapAccess<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, entry)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some((&entry.value, entry.key_pos));
        seed.deserialize(KeyDeserializer(key, entry.key_pos))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        match self.value.take() {
            Some((node, key_pos)) => {
                seed.deserialize(NodeDeserializer(node, key_pos, self.sources))
            }
            None => Err(de::Error::custom("a mapping value was read before its key")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// A mapping key as a `Deserializer`: its text, and its position for a `Spanned` key.
#[derive(Clone, Copy)]
struct KeyDeserializer<'a>(&'a str, Pos);

impl<'de> de::Deserializer<'de> for KeyDeserializer<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let key: StrDeserializer<Error> = self.0.into_deserializer();
        key.deserialize_any(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let key: StrDeserializer<Error> = self.0.into_deserializer();
        key.deserialize_enum(name, variants, visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == spanned::MAGIC {
            visitor.visit_seq(spanned::SpanAccess::new(self.1, self.1, self))
        } else {
            self.deserialize_any(visitor)
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::yaml::parse;
    use serde::Deserialize;
    use std::collections::BTreeMap;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "camelCase")]
    struct Sample {
        name: String,
        #[serde(default)]
        config: BTreeMap<String, String>,
        ports: Vec<u16>,
        #[serde(default)]
        missing: Option<u32>,
        strategy: Kind,
        #[serde(default)]
        nothing: Option<String>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "kebab-case")]
    enum Kind {
        BlueGreen,
    }

    #[test]
    fn reads_typed_values_and_scalars_as_text() {
        let node = parse(
            "name: a\nconfig: {A: 1.5, B: true, C: 3, D: x}\nports: [80, 443]\nstrategy: blue-green\nnothing: null\n",
            0,
        )
        .unwrap();
        let sample: Sample = from_node(&node).unwrap();
        assert_eq!(sample.name, "a");
        assert_eq!(
            sample.config.values().collect::<Vec<_>>(),
            ["1.5", "true", "3", "x"]
        );
        assert_eq!(sample.ports, [80, 443]);
        assert_eq!(sample.missing, None);
        assert_eq!(sample.strategy, Kind::BlueGreen);
        assert_eq!(sample.nothing, None);
    }

    #[test]
    fn matches_the_json_route_on_numbers() {
        // The text of a number is what `serde_json::Value::to_string` gives.
        for text in ["1.0", "1e20", "0.1", "-3", "2.5e-7"] {
            let node = parse(&format!("v: {text}\n"), 0).unwrap();
            let v = node.get("v").unwrap();
            let ours: String = from_node(v).unwrap();
            assert_eq!(ours, v.to_json().to_string(), "{text}");
        }
    }

    #[test]
    fn with_sources_a_scalar_keeps_its_written_text() {
        let text = "v: [1.10, 0x1F, 1e3, -0o17, +5, True, FALSE, 3, 2.50]\n";
        let mut sources = Sources::default();
        let file = sources.add("a.yaml", text);
        let node = parse(text, file).unwrap();
        let v = node.get("v").unwrap();
        let ours: Vec<String> = from_node_in(v, &sources).unwrap();
        assert_eq!(
            ours,
            [
                "1.10", "0x1F", "1e3", "-0o17", "+5", "True", "FALSE", "3", "2.50"
            ]
        );
        // A position that does not span the scalar's own text falls back to JSON's spelling.
        let mut moved = v.as_seq().unwrap()[0].clone();
        moved.pos.offset += 1;
        let text: String = from_node_in(&moved, &sources).unwrap();
        assert_eq!(text, "1.1");
    }

    #[test]
    fn wrong_types_are_errors_not_panics() {
        let node = parse("ports: x\nname: 1\nstrategy: [1]\n", 0).unwrap();
        assert!(from_node::<Sample>(&node).is_err());
    }
}
