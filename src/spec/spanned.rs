//! Values with the place they were written: [`Spanned`] (a value that must be readable)
//! and [`Field`] (a field of a layer: absent, unreadable, or set).
//!
//! Both are read from the merged tree by the node deserializer of `lower::de` in the same
//! single pass as everything else: they ask it for a private struct name ([`MAGIC`]), and it
//! answers with a three-element sequence: the value's position, its key's position, the
//! value (the trick `toml`'s and `serde_spanned`'s `Spanned` use). Any other deserializer
//! refuses them.

use crate::load::yaml::Pos;
use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, SeqAccess, Visitor};
use std::marker::PhantomData;

/// The struct name only the node deserializer answers with a position.
pub(crate) const MAGIC: &str = "$__infrac_private_Spanned";
const FIELDS: &[&str] = &["pos", "key_pos", "value"];

/// A value and where it was written.
#[derive(Debug, Clone)]
pub struct Spanned<T> {
    pub value: T,
    /// The value's own position.
    pub pos: Pos,
    /// The position of the key it is the value of (its own position for a list item).
    pub key_pos: Pos,
}

impl<T> Spanned<T> {
    /// The value.
    pub fn get(&self) -> &T {
        &self.value
    }
}

impl Spanned<String> {
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

// A spanned value compares, orders and hashes as its value (so spanned names key maps).
impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}
impl<T: Eq> Eq for Spanned<T> {}
impl<T: PartialOrd> PartialOrd for Spanned<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        self.value.partial_cmp(&other.value)
    }
}
impl<T: Ord> Ord for Spanned<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.value.cmp(&other.value)
    }
}
impl<T: std::hash::Hash> std::hash::Hash for Spanned<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.value.hash(state)
    }
}
impl std::borrow::Borrow<str> for Spanned<String> {
    fn borrow(&self) -> &str {
        &self.value
    }
}

/// A field of a layer as written or merged. The schema reports a value of the wrong type;
/// here it is [`Field::Invalid`], so one bad value never hides the rest of its layer from
/// the rules (they treat it as unreadable), while lowering reports it as a gap.
#[derive(Debug, Clone, Default)]
pub enum Field<T> {
    /// Not written (or removed with `null`).
    #[default]
    Absent,
    /// Written, but not readable as `T`: the reason, at the value.
    Invalid(Spanned<String>),
    Set(Spanned<T>),
}

impl<T> Field<T> {
    /// The value, when set and readable.
    pub fn get(&self) -> Option<&T> {
        match self {
            Field::Set(s) => Some(&s.value),
            _ => None,
        }
    }

    /// The value with its positions, when set and readable.
    pub fn spanned(&self) -> Option<&Spanned<T>> {
        match self {
            Field::Set(s) => Some(s),
            _ => None,
        }
    }

    /// Whether anything is written here, readable or not.
    pub fn is_present(&self) -> bool {
        !matches!(self, Field::Absent)
    }

    /// The value's position, when written.
    pub fn pos(&self) -> Option<Pos> {
        match self {
            Field::Absent => None,
            Field::Invalid(s) => Some(s.pos),
            Field::Set(s) => Some(s.pos),
        }
    }

    /// The key's position, when written.
    pub fn key_pos(&self) -> Option<Pos> {
        match self {
            Field::Absent => None,
            Field::Invalid(s) => Some(s.key_pos),
            Field::Set(s) => Some(s.key_pos),
        }
    }
}

impl<T: Copy + Default> Field<T> {
    /// The value, or `T`'s default when unset (for enums whose default is the SPEC's).
    pub fn copied_or(&self, default: T) -> T {
        self.get().copied().unwrap_or(default)
    }
}

/// Hands a position to a visitor as `[file, offset, len, line, column]`.
struct PosDeserializer(Pos);

impl<'de> Deserializer<'de> for PosDeserializer {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        let p = self.0;
        let parts = [p.file, p.offset, p.len, p.line, p.column];
        visitor.visit_seq(de::value::SeqDeserializer::new(parts.into_iter()))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

/// A position read back from [`PosDeserializer`].
struct PosSeed;

impl<'de> DeserializeSeed<'de> for PosSeed {
    type Value = Pos;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Pos, D::Error> {
        let [file, offset, len, line, column] = <[u32; 5]>::deserialize(d)?;
        Ok(Pos {
            file,
            offset,
            len,
            line,
            column,
        })
    }
}

/// The sequence the node deserializer answers [`MAGIC`] with.
pub(crate) struct SpanAccess<D> {
    pos: Pos,
    key_pos: Pos,
    value: Option<D>,
    step: u8,
}

impl<D> SpanAccess<D> {
    pub(crate) fn new(pos: Pos, key_pos: Pos, value: D) -> Self {
        Self {
            pos,
            key_pos,
            value: Some(value),
            step: 0,
        }
    }
}

impl<'de, D: Deserializer<'de, Error = de::value::Error>> SeqAccess<'de> for SpanAccess<D> {
    type Error = de::value::Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Self::Error> {
        self.step += 1;
        match self.step {
            1 => seed.deserialize(PosDeserializer(self.pos)).map(Some),
            2 => seed.deserialize(PosDeserializer(self.key_pos)).map(Some),
            3 => match self.value.take() {
                Some(value) => seed.deserialize(value).map(Some),
                None => Ok(None),
            },
            _ => Ok(None),
        }
    }
}

fn positions<'de, A: SeqAccess<'de>>(seq: &mut A) -> Result<(Pos, Pos), A::Error> {
    let pos = seq
        .next_element_seed(PosSeed)?
        .ok_or_else(|| de::Error::custom("a spanned value without its position"))?;
    let key_pos = seq
        .next_element_seed(PosSeed)?
        .ok_or_else(|| de::Error::custom("a spanned value without its key position"))?;
    Ok((pos, key_pos))
}

struct SpannedVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for SpannedVisitor<T> {
    type Value = Spanned<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a value read from a spanned tree")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let (pos, key_pos) = positions(&mut seq)?;
        let value = seq
            .next_element()?
            .ok_or_else(|| de::Error::custom("a spanned value without its value"))?;
        Ok(Spanned {
            value,
            pos,
            key_pos,
        })
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_struct(MAGIC, FIELDS, SpannedVisitor(PhantomData))
    }
}

struct FieldVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for FieldVisitor<T> {
    type Value = Field<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a field read from a spanned tree")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let (pos, key_pos) = positions(&mut seq)?;
        Ok(match seq.next_element::<Option<T>>() {
            Ok(Some(Some(value))) => Field::Set(Spanned {
                value,
                pos,
                key_pos,
            }),
            Ok(_) => Field::Absent,
            Err(e) => Field::Invalid(Spanned {
                value: e.to_string(),
                pos,
                key_pos,
            }),
        })
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_struct(MAGIC, FIELDS, FieldVisitor(PhantomData))
    }
}

/// The keys of a mapping, in the order written, each with its position (the values are
/// not read).
#[derive(Debug, Clone, Default)]
pub struct Keys(pub Vec<Spanned<String>>);

impl<'de> Deserialize<'de> for Keys {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeysVisitor;
        impl<'de> Visitor<'de> for KeysVisitor {
            type Value = Keys;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
                let mut keys = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    map.next_value::<de::IgnoredAny>()?;
                    keys.push(key);
                }
                Ok(Keys(keys))
            }
        }
        d.deserialize_map(KeysVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::yaml::parse;
    use crate::lower::de::from_node;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, Default)]
    #[serde(default)]
    struct Sample {
        a: Field<u32>,
        b: Field<u32>,
        c: Field<String>,
        d: Field<Vec<Field<u32>>>,
        keys: Field<Keys>,
    }

    #[test]
    fn fields_carry_positions_and_survive_wrong_types() {
        let node = parse("a: 1\nb: x\nd: [1, y, 3]\nkeys: {p: 1, q: [2]}\n", 0).unwrap();
        let sample: Sample = from_node(&node).unwrap();
        let a = sample.a.spanned().unwrap();
        assert_eq!(
            (a.value, a.pos.line, a.pos.column, a.key_pos.column),
            (1, 1, 4, 1)
        );
        assert!(matches!(sample.b, Field::Invalid(ref s) if s.pos.line == 2));
        assert!(!sample.c.is_present());
        let d = sample.d.get().unwrap();
        assert_eq!(d.len(), 3);
        assert_eq!(d[0].get(), Some(&1));
        assert!(matches!(d[1], Field::Invalid(_)));
        assert_eq!(d[2].pos().unwrap().column, 11);
        let keys: Vec<(&str, u32)> = sample
            .keys
            .get()
            .unwrap()
            .0
            .iter()
            .map(|k| (k.as_str(), k.pos.column))
            .collect();
        assert_eq!(keys, [("p", 8), ("q", 14)]);
    }
}
