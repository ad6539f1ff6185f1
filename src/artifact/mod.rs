//! What the back ends produce and everything downstream reads: the [`Target`]s, one
//! [`OutputFile`] per generated file with the one normalisation point for all output, the
//! [`FileSet`] of a compilation, and the YAML emitter ([`yaml`]) the back ends write with.
//!
//! Vocabulary only: nothing here reads or writes a file (that is `output/`), and nothing here
//! knows a back end's layout (that is `backend/`).

pub mod yaml;

use std::collections::BTreeMap;

/// The back ends infrac compiles to. `--target` takes these names. `kubernetes`: Kustomize
/// bases and overlays, Istio and Argo resources; `terraform`: Terraform roots and modules;
/// `ci`: CI pipeline files for every system in `platform.ci`. (Described here rather than on
/// the variants: clap would show variant doc comments in `--help`.)
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    Kubernetes,
    Terraform,
    Ci,
}

impl Target {
    pub const ALL: [Target; 3] = [Target::Kubernetes, Target::Terraform, Target::Ci];

    pub fn as_str(self) -> &'static str {
        match self {
            Target::Kubernetes => "kubernetes",
            Target::Terraform => "terraform",
            Target::Ci => "ci",
        }
    }
}

/// One generated file, addressed relative to the output root with `/` separators
/// (`kubernetes/payment-service/base/deployment.yaml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    pub path: String,
    pub contents: String,
    pub target: Target,
    /// The environment the file belongs to, when it belongs to exactly one.
    pub environment: Option<String>,
}

impl OutputFile {
    /// A file with its contents normalised: LF line ends, no trailing blanks at the end,
    /// exactly one trailing newline. The one normalisation point for all output.
    pub fn new(
        target: Target,
        environment: Option<&str>,
        path: impl Into<String>,
        contents: impl Into<String>,
    ) -> Self {
        Self {
            path: path.into(),
            contents: normalise(contents.into()),
            target,
            environment: environment.map(str::to_owned),
        }
    }
}

/// LF line endings and exactly one final newline; in place (no copy) when already so.
fn normalise(mut text: String) -> String {
    if text.contains('\r') {
        text = text.replace("\r\n", "\n");
    }
    let kept = text.trim_end_matches(['\n', ' ']).len();
    text.truncate(kept);
    text.push('\n');
    text
}

/// Every file a compilation produces, by path (so iteration order is the path order).
#[derive(Debug, Clone, Default)]
pub struct FileSet {
    files: BTreeMap<String, OutputFile>,
}

impl FileSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file. A second file at the same path is a bug in a back end, refused in every
    /// build (never one silently dropped): the error names the path and both targets, and
    /// the set keeps the first file.
    pub fn insert(&mut self, file: OutputFile) -> Result<(), crate::error::Error> {
        use std::collections::btree_map::Entry;
        match self.files.entry(file.path.clone()) {
            Entry::Vacant(slot) => {
                slot.insert(file);
                Ok(())
            }
            Entry::Occupied(first) => Err(crate::error::Error::Internal(format!(
                "two generated files share the path `{}`: one from the {} target, one from the {} target",
                file.path,
                first.get().target.as_str(),
                file.target.as_str()
            ))),
        }
    }

    /// [`FileSet::insert`] for each file, stopping at the first clash.
    pub fn extend(
        &mut self,
        files: impl IntoIterator<Item = OutputFile>,
    ) -> Result<(), crate::error::Error> {
        files.into_iter().try_for_each(|file| self.insert(file))
    }

    pub fn get(&self, path: &str) -> Option<&OutputFile> {
        self.files.get(path)
    }

    pub fn iter(&self) -> impl Iterator<Item = &OutputFile> {
        self.files.values()
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Keeps only the files `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&OutputFile) -> bool) {
        self.files.retain(|_, f| keep(f));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_file_at_the_same_path_is_refused() {
        let mut set = FileSet::new();
        set.insert(OutputFile::new(Target::Kubernetes, None, "a/x.yaml", "one"))
            .unwrap();
        let err = set
            .insert(OutputFile::new(Target::Ci, None, "a/x.yaml", "two"))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "two generated files share the path `a/x.yaml`: one from the kubernetes target, one from the ci target"
        );
        assert_eq!(set.len(), 1);
        assert_eq!(set.get("a/x.yaml").unwrap().contents, "one\n");
        let err = set
            .extend([
                OutputFile::new(Target::Terraform, None, "b.tf", "b"),
                OutputFile::new(Target::Terraform, None, "b.tf", "c"),
            ])
            .unwrap_err();
        assert!(err.to_string().contains("`b.tf`"), "{err}");
    }
}
