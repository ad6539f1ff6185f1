//! The digest of every input a compile reads: the project file (when present), the registry,
//! each environment overlay, versions.yaml and each template override, each under its
//! root-relative path, with the infrac version. `infrac build` records it in the manifest
//! (`# inputs: sha256:<hex>`); `infrac affected` compares it with [`read_digest`], which
//! reads the same files without parsing them, to know whether the golden tree on disk is
//! what the inputs compile to.

use super::{Inputs, Root};
use crate::diagnostic::Sources;
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

/// The digest of `files` (root-relative path → bytes), as the manifest records it
/// (`sha256:<hex>`): the infrac version, then each file in path order as its path, a NUL,
/// its length in decimal, a NUL and its bytes, so no two sets of files hash alike.
pub fn digest<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut sorted: Vec<(&str, &[u8])> = files.into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let mut hasher = Sha256::new();
    hasher.update(b"infrac ");
    hasher.update(crate::output::manifest::VERSION.as_bytes());
    hasher.update(b"\n");
    for (path, bytes) in sorted {
        hasher.update(path.as_bytes());
        hasher.update(b"\0");
        hasher.update(bytes.len().to_string().as_bytes());
        hasher.update(b"\0");
        hasher.update(bytes);
    }
    let mut out = String::from("sha256:");
    for b in hasher.finalize() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// The digest of what a compile read: the texts the loader recorded in `sources` for the
/// files of `inputs`, and the template overrides (`dir`, relative path → text) it compiled.
pub fn loaded_digest(
    inputs: &Inputs,
    sources: &Sources,
    overrides: Option<(&str, &BTreeMap<String, String>)>,
) -> String {
    let mut files: Vec<(String, &[u8])> = Vec::new();
    let mut add = |file| files.push((sources.path(file).to_owned(), sources.text(file).as_bytes()));
    if let Some(project) = sources.find("infrac.toml") {
        add(project);
    }
    if let Some(registry) = &inputs.registry {
        add(registry.file);
    }
    for (_, env) in &inputs.environments {
        add(env.file);
    }
    if let Some(versions) = &inputs.versions {
        add(versions.file);
    }
    if let Some((dir, overrides)) = overrides {
        for (name, text) in overrides {
            files.push((format!("{dir}/{name}"), text.as_bytes()));
        }
    }
    digest(files.iter().map(|(p, b)| (p.as_str(), *b)))
}

/// The input files on disk, as [`read_disk_inputs`] finds them, with the project settings
/// that name them.
pub struct DiskInputs {
    /// `infrac.toml`'s settings (the defaults without one).
    pub project: crate::project::Project,
    /// Root-relative path → bytes, in the order read.
    pub files: Vec<(String, Vec<u8>)>,
    /// The environment overlays: (name, index into `files`), in name order.
    environments: Vec<(String, usize)>,
}

impl DiskInputs {
    /// Their digest, as the manifest records it.
    pub fn digest(&self) -> String {
        digest(self.files.iter().map(|(p, b)| (p.as_str(), b.as_slice())))
    }

    /// Each environment overlay as (name, bytes), in name order.
    pub fn environments(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.environments
            .iter()
            .map(|(name, i)| (name.as_str(), self.files[*i].1.as_slice()))
    }
}

/// Every input file under `root` as the loader reads it, by root-relative path, without
/// parsing any: `infrac.toml` (its settings name the rest), the registry, each
/// `<environments>/<name>.yaml`, versions.yaml and each template override. `None` when one
/// cannot be read or the directory holds what the loader would refuse (the compile then
/// says why).
pub fn read_disk_inputs(root: &Path) -> Option<DiskInputs> {
    let disk = Root::Disk(root);
    let mut files = Vec::new();
    let project = match disk.entry("infrac.toml") {
        None => crate::project::Project::default(),
        Some(_) => {
            let bytes = disk.read("infrac.toml").ok()?;
            let project = crate::project::parse_project(std::str::from_utf8(&bytes).ok()?).ok()?;
            files.push(("infrac.toml".to_owned(), bytes));
            project
        }
    };
    files.push((project.registry.clone(), disk.read(&project.registry).ok()?));
    let dir = project.environments.trim_end_matches('/');
    if disk.leads_outside(dir) || !disk.is_dir(dir) {
        return None;
    }
    let mut names = disk.list(dir).ok()?;
    names.sort();
    let mut environments = Vec::new();
    for name in names.into_iter().filter(|n| !n.starts_with('.')) {
        // Anything but an overlay is an error of the loader's.
        let env = name.strip_suffix(".yaml")?;
        let rel = format!("{dir}/{name}");
        let bytes = disk.read(&rel).ok()?;
        environments.push((env.to_owned(), files.len()));
        files.push((rel, bytes));
    }
    files.push((project.versions.clone(), disk.read(&project.versions).ok()?));
    if let Some(templates) = &project.templates {
        let read = super::templates::read_overrides(root, templates).ok()?;
        if !read.refused.is_empty() {
            return None;
        }
        let dir = templates.trim_end_matches('/');
        for (name, text) in read.files {
            files.push((format!("{dir}/{name}"), text.into_bytes()));
        }
    }
    Some(DiskInputs {
        project,
        files,
        environments,
    })
}

/// The files of [`read_disk_inputs`].
pub fn read_inputs(root: &Path) -> Option<Vec<(String, Vec<u8>)>> {
    read_disk_inputs(root).map(|i| i.files)
}

/// The digest of the inputs under `root` as [`read_inputs`] finds them.
pub fn read_digest(root: &Path) -> Option<String> {
    read_disk_inputs(root).map(|i| i.digest())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rel: &str, text: &str) {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// The digest of a compile of `root`'s inputs, as `build` records it.
    fn compiled_digest(root: &Path) -> String {
        let frontend = crate::pipeline::run_frontend(root);
        let overrides = frontend.project.templates.clone().map(|dir| {
            let read = super::super::templates::read_overrides(root, &dir).unwrap();
            (dir.trim_end_matches('/').to_owned(), read.files)
        });
        loaded_digest(
            &frontend.inputs,
            &frontend.sources,
            overrides.as_ref().map(|(d, f)| (d.as_str(), f)),
        )
    }

    #[test]
    fn reading_and_loading_give_one_digest_and_every_input_counts() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let inputs = [
            (
                "infrac.toml",
                "registry = \"platform/registry.yaml\"\ntemplates = \"tpl\"\n",
            ),
            ("platform/registry.yaml", "services: {}\n"),
            ("environments/dev.yaml", "name: dev\n"),
            ("environments/prod.yaml", "name: prod\n"),
            ("versions.yaml", "services: {}\n"),
            ("tpl/ci/github/build-service.yml.j2", "x\n"),
            ("tpl/kubernetes/deployment.yaml.j2", "y\n"),
        ];
        for (rel, text) in inputs {
            write(root, rel, text);
        }
        // Not inputs: a hidden file beside the overlays, the golden tree.
        write(root, "environments/.keep", "");
        write(root, "golden/a.yaml", "a\n");
        let first = read_digest(root).unwrap();
        assert_eq!(first, compiled_digest(root));
        let listed: Vec<String> = read_inputs(root)
            .unwrap()
            .into_iter()
            .map(|f| f.0)
            .collect();
        let mut expected: Vec<&str> = inputs.iter().map(|(p, _)| *p).collect();
        expected.sort_by_key(|p| listed.iter().position(|l| l == p));
        assert_eq!(listed, expected);
        write(root, "golden/a.yaml", "b\n");
        write(root, "environments/.keep", "x");
        assert_eq!(read_digest(root).unwrap(), first);
        let mut seen = vec![first];
        for (rel, text) in inputs {
            write(root, rel, &format!("{text}# edited\n"));
            let now = read_digest(root).unwrap();
            assert!(
                !seen.contains(&now),
                "editing {rel} left the digest as it was"
            );
            assert_eq!(now, compiled_digest(root), "after editing {rel}");
            seen.push(now);
        }
        // A new overlay and a new override count too.
        write(root, "environments/staging.yaml", "name: staging\n");
        write(root, "tpl/extra.j2", "z\n");
        let now = read_digest(root).unwrap();
        assert!(!seen.contains(&now));
        assert_eq!(now, compiled_digest(root));
    }

    #[test]
    fn what_the_loader_refuses_is_no_digest() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "registry.yaml", "services: {}\n");
        write(dir.path(), "environments/dev.yml", "name: dev\n");
        write(dir.path(), "versions.yaml", "services: {}\n");
        assert_eq!(read_digest(dir.path()), None);
    }
}
