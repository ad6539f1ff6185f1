//! `infrac.toml`: where the inputs are, where output goes, which targets are on.
//!
//! Every path is relative to the project root (the directory holding `infrac.toml`, or
//! `--root`). Reading the file is the loader's job; this module only parses its text.

use crate::artifact::Target;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The parsed `infrac.toml`, defaults filled in.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Project {
    pub registry: String,
    pub environments: String,
    pub versions: String,
    pub out: String,
    /// Enabled targets; all when left out.
    pub targets: Vec<Target>,
    /// A directory whose files override built-in templates by relative path.
    pub templates: Option<String>,
    /// Moves a CI system's files out of `out` (`github = ".github/workflows"`).
    pub output: BTreeMap<String, String>,
}

impl Default for Project {
    fn default() -> Self {
        Self {
            registry: "registry.yaml".to_owned(),
            environments: "environments".to_owned(),
            versions: "versions.yaml".to_owned(),
            out: "golden".to_owned(),
            targets: Target::ALL.to_vec(),
            templates: None,
            output: BTreeMap::new(),
        }
    }
}

/// The keys `[output]` accepts: one per CI system.
pub const OUTPUT_KEYS: [&str; 4] = ["github", "gitlab", "azure-pipelines", "jenkins"];

/// A problem in `infrac.toml`: message and byte span.
#[derive(Debug, Clone)]
pub struct ProjectError {
    pub message: String,
    pub span: Option<std::ops::Range<usize>>,
}

/// Parses `infrac.toml` text.
pub fn parse_project(text: &str) -> Result<Project, ProjectError> {
    let project: Project = toml::from_str(text).map_err(|e| {
        let message = e.message().to_owned();
        // A bad list item is reported on the whole list; point at the item itself.
        let item = message
            .split('`')
            .nth(1)
            .and_then(|name| text.find(&format!("\"{name}\"")));
        let span = match item {
            Some(start) if message.starts_with("unknown target") => {
                Some(start..start + message.split('`').nth(1).map_or(0, str::len) + 2)
            }
            _ => e.span(),
        };
        ProjectError { message, span }
    })?;
    for (key, value) in [
        ("registry", &project.registry),
        ("environments", &project.environments),
        ("versions", &project.versions),
        ("out", &project.out),
    ]
    .into_iter()
    .chain(project.templates.as_ref().map(|t| ("templates", t)))
    {
        if !inside_root(value) {
            return Err(ProjectError {
                message: format!(
                    "`{key} = \"{value}\"` must be a relative path inside the project root (no `..`, not absolute)"
                ),
                span: text
                    .find(&format!("\"{value}\""))
                    .map(|i| i..i + value.len() + 2),
            });
        }
    }
    for (key, value) in &project.output {
        if !OUTPUT_KEYS.contains(&key.as_str()) {
            return Err(ProjectError {
                message: format!(
                    "unknown [output] key `{key}`; expected one of {}",
                    OUTPUT_KEYS.join(", ")
                ),
                span: text.find(&format!("{key} ")).map(|i| i..i + key.len()),
            });
        }
        let only_cur_dir = std::path::Path::new(value)
            .components()
            .all(|c| c == std::path::Component::CurDir);
        if !inside_root(value) || only_cur_dir {
            return Err(ProjectError {
                message: format!(
                    "`[output] {key} = \"{value}\"` must be a relative path inside the project root (no `..`, not absolute, not the root itself)"
                ),
                span: value_span(text, &["output", key]),
            });
        }
    }
    Ok(project)
}

/// The byte span of the value at `path` (`["templates"]`, `["output", "github"]`) in
/// `infrac.toml` text, to point a diagnostic at it.
pub fn value_span(text: &str, path: &[&str]) -> Option<std::ops::Range<usize>> {
    let root = toml::de::DeTable::parse(text).ok()?;
    let (last, parents) = path.split_last()?;
    let mut table = root.get_ref();
    for step in parents {
        let (_, value) = table.iter().find(|(k, _)| k.get_ref() == step)?;
        table = value.get_ref().as_table()?;
    }
    table
        .iter()
        .find(|(k, _)| k.get_ref() == last)
        .map(|(_, v)| v.span())
}

/// A relative path that stays inside the root.
fn inside_root(path: &str) -> bool {
    let p = std::path::Path::new(path);
    !path.is_empty()
        && p.is_relative()
        && p.components().all(|c| {
            matches!(
                c,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        })
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Target::ALL
            .into_iter()
            .find(|t| t.as_str() == name)
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "unknown target `{name}`; expected kubernetes, terraform or ci"
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_errors() {
        let p = parse_project("").unwrap();
        assert_eq!(p.out, "golden");
        assert_eq!(p.targets.len(), 3);
        let p =
            parse_project("targets = [\"kubernetes\"]\n[output]\ngithub = \".github/workflows\"\n")
                .unwrap();
        assert_eq!(p.targets, vec![Target::Kubernetes]);
        assert!(parse_project("outt = \"x\"").is_err());
        assert!(parse_project("[output]\ncircle = \"x\"").is_err());
        let text = "[output]\ngithub = \"../x\"\n";
        let err = parse_project(text).unwrap_err();
        assert_eq!(&text[err.span.unwrap()], "\"../x\"");
        assert!(parse_project("[output]\ngithub = \".\"").is_err());
        assert_eq!(
            value_span("out = \"g\"\ntemplates = \"tpl\"\n", &["templates"]),
            Some(22..27)
        );
    }
}
