//! Back ends: each a pure function from the resolved [`Model`] and the [`EmitCtx`] to
//! generated files.
//!
//! A back end never reads a file and never writes one; it returns [`OutputFile`]s and
//! `output/` does the rest. Everything a back end may know about the project (paths from
//! `infrac.toml`, the templates) comes in through [`EmitCtx`].
//!
//! Each back end also owns how the plan reads its files back: which of its files a path is
//! ([`claim`], for a file known only from disk) and what the resources inside one are called
//! ([`resources`]: Kubernetes `Kind namespace/name`, Terraform addresses, CI workflow and job).
//! `output::plan` asks these two and knows no file format itself. What the back ends agree
//! on between themselves (secret names, connection keys, placement) is [`contract`].

pub mod ci;
pub mod contract;
pub mod kubernetes;
pub mod terraform;

use indexmap::IndexMap;

use crate::artifact::{FileSet, Target};
use crate::model::Model;
use crate::project::Project;
use crate::templates::Templates;

/// What every back end gets beside the model: the project (`infrac.toml`, defaults filled
/// in) and the template environment (built-ins with the user's overrides).
#[derive(Clone, Copy)]
pub struct EmitCtx<'a> {
    pub project: &'a Project,
    pub templates: &'a Templates,
}

impl<'a> EmitCtx<'a> {
    pub fn new(project: &'a Project, templates: &'a Templates) -> Self {
        Self { project, templates }
    }
}

/// Compiles `model` for the targets in `targets`.
pub fn emit(
    model: &Model,
    targets: &[Target],
    ctx: &EmitCtx,
) -> Result<FileSet, crate::error::Error> {
    use rayon::prelude::*;
    // Targets are independent: compile them side by side (each also runs in parallel
    // inside); the file set is keyed by path, so the order they finish in does not matter.
    let per_target = targets
        .par_iter()
        .map(|target| match target {
            Target::Kubernetes => kubernetes::emit(model, ctx),
            Target::Terraform => terraform::emit(model, ctx),
            Target::Ci => ci::emit(model, ctx),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut files = FileSet::new();
    for target_files in per_target {
        files.extend(target_files)?;
    }
    Ok(files)
}

/// The resources of one file, in file order, each under an identity unique in the file.
pub type Resources = IndexMap<String, serde_json::Value>;

/// Whose a file is: the back end that writes it and, when it belongs to exactly one, the
/// environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub target: Target,
    pub environment: Option<String>,
}

/// The owner of the file at file-set path `logical_path`, asked of the back end whose layout
/// it follows; `None` when no back end writes such a path. For a generated file its
/// [`OutputFile`](crate::artifact::OutputFile) says so itself: this is for one known only from
/// disk or the manifest (a stale file the next build deletes).
pub fn claim(logical_path: &str) -> Option<Owner> {
    Target::ALL.into_iter().find_map(|target| {
        let environment = match target {
            Target::Kubernetes => kubernetes::identity::claim(logical_path),
            Target::Terraform => terraform::addresses::claim(logical_path),
            Target::Ci => ci::identity::claim(logical_path),
        }?;
        Some(Owner {
            target,
            environment,
        })
    })
}

/// The resources of `text`, a file of back end `target` at file-set path `logical_path`.
/// `Err` carries the parser's message (a file on disk that does not parse).
pub fn resources(target: Target, logical_path: &str, text: &str) -> Result<Resources, String> {
    match target {
        Target::Kubernetes => kubernetes::identity::resources(logical_path, text),
        Target::Terraform => terraform::addresses::resources(logical_path, text),
        Target::Ci => ci::identity::resources(logical_path, text),
    }
}

/// YAML 1.2 reading, as Kubernetes tools and CI systems read what the emitter writes: `n`
/// and `on` stay strings, `0755` and `1_000` too.
pub fn yaml_read_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        strict_booleans: true,
        leading_zero_numbers_as_strings: true,
        underscored_numbers_as_strings: true,
    }
}

/// Adds a resource, suffixing `#2`, `#3`… when the identity is already taken.
fn push_resource(out: &mut Resources, id: String, body: serde_json::Value) {
    if !out.contains_key(&id) {
        out.insert(id, body);
        return;
    }
    let free = (2..)
        .map(|n| format!("{id} #{n}"))
        .find(|c| !out.contains_key(c));
    if let Some(unique) = free {
        out.insert(unique, body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file each back end writes for the example and every valid fixture.
    fn every_generated_file() -> Vec<(String, crate::artifact::OutputFile)> {
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let mut platforms = vec![("example".to_owned(), root.clone())];
        for name in ["aws-shop", "azure-minimal", "gcp-analytics"] {
            let path = root.join("tests/fixtures/valid").join(name);
            platforms.push((name.to_owned(), path));
        }
        let templates = Templates::builtin().expect("built-in templates");
        let project = Project::default();
        let ctx = EmitCtx::new(&project, &templates);
        let mut out = Vec::new();
        for (name, path) in platforms {
            let Ok(model) = crate::pipeline::load_model(&path) else {
                panic!("{name} does not load");
            };
            let files = emit(&model, &Target::ALL, &ctx).expect("emits");
            out.extend(files.iter().map(|f| (name.clone(), f.clone())));
        }
        out
    }

    /// A stale file is attributed as it was when generated: `claim` agrees with what every
    /// back end says of each file it writes (the messaging roots of aws-shop included).
    #[test]
    fn claim_agrees_with_every_generated_file() {
        for (platform, file) in every_generated_file() {
            let owner = Owner {
                target: file.target,
                environment: file.environment.clone(),
            };
            assert_eq!(claim(&file.path), Some(owner), "{platform}: {}", file.path);
        }
    }

    /// Every generated file parses into resources by its own back end.
    #[test]
    fn every_generated_file_has_resources() {
        for (platform, file) in every_generated_file() {
            let found = resources(file.target, &file.path, &file.contents);
            let found = found.unwrap_or_else(|e| panic!("{platform}: {}: {e}", file.path));
            assert!(
                !found.is_empty(),
                "{platform}: {} has no resources",
                file.path
            );
        }
    }

    #[test]
    fn paths_no_back_end_writes_are_unclaimed() {
        for path in ["README.md", "golden/x.yaml", ".github/workflows/a.yml"] {
            assert_eq!(claim(path), None, "{path}");
        }
    }
}
