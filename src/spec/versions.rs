//! `versions.yaml` as written: per environment, per service, a tag or a split.

use super::{Field, Spanned};
use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::{self, Visitor};

/// `versions.yaml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct VersionsSpec {
    pub environments: Field<IndexMap<Spanned<String>, Field<TagsByService>>>,
}

/// One environment's entry: each service's tags, by service name as written.
pub type TagsByService = IndexMap<Spanned<String>, Field<VersionEntry>>;

/// One service's tags in one environment.
#[derive(Debug, Clone)]
pub enum VersionEntry {
    /// A plain string: the stable tag.
    Tag(String),
    Split(Box<SplitSpec>),
}

/// `{stable, canary: {tag, weight, cell}, preview, active, previous, cells}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SplitSpec {
    pub stable: Field<Tag>,
    pub canary: Field<CanarySpec>,
    pub preview: Field<Tag>,
    /// Blue-green: the colour serving `stable`.
    pub active: Field<crate::model::Colour>,
    /// Blue-green: the tag the other colour keeps after a promote.
    pub previous: Field<Tag>,
    /// Per-cell pins: a stable tag for one cell, by cell name as written.
    pub cells: Field<IndexMap<Spanned<String>, Field<Tag>>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CanarySpec {
    pub tag: Field<Tag>,
    pub weight: Field<u32>,
    /// The one cell the canary runs in; absent: every cell.
    pub cell: Field<String>,
}

/// An image tag: a string only (a number is not a tag, even where YAML reads one).
#[derive(Debug, Clone, PartialEq)]
pub struct Tag(pub String);

impl<'de> Deserialize<'de> for Tag {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Tag;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a tag")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Tag, E> {
                Ok(Tag(s.to_owned()))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for VersionEntry {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = VersionEntry;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a tag or a mapping with `stable`")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<VersionEntry, E> {
                Ok(VersionEntry::Tag(s.to_owned()))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<VersionEntry, A::Error> {
                SplitSpec::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|split| VersionEntry::Split(Box::new(split)))
            }
        }
        d.deserialize_any(V)
    }
}
