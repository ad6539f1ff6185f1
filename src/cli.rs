//! The command line: clap derive types only. `main.rs` runs them.
//!
//! Values that name a domain thing (a target, a cloud, a schema) are the domain enums
//! themselves, which derive `clap::ValueEnum`: one spelling, no copies to keep in step.

use crate::graph::GraphFormat;
use crate::model::{CiSystem, CloudProvider};
use crate::output::Target;
use crate::validate::schema::SchemaKind;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "infrac",
    version,
    about = "A declarative infrastructure compiler: one service registry and per-environment overlays in; Kustomize, Istio, Terraform and CI files out."
)]
pub struct Cli {
    /// The platform repo (the directory holding infrac.toml, registry.yaml, environments/).
    #[arg(long, global = true, default_value = ".", env = "INFRAC_ROOT")]
    pub root: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AffectedFormat {
    Text,
    Json,
    /// A GitHub Actions matrix: `{"include": [{"environment": …, "target": …}]}`.
    Matrix,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CanaryAction {
    /// Start a canary at the first step (blue-green: deploy the preview).
    Start,
    /// Move the canary to the next step.
    Advance,
    /// Drop the canary (or the preview); stable stays.
    Abort,
    /// Make the canary (or preview) tag the stable tag.
    Promote,
}

/// Where an edit of versions.yaml came from, recorded beside the tag it writes.
#[derive(Debug, Clone, Default, Args)]
pub struct Provenance {
    /// The commit the stable tag was built from (7 to 40 hex digits). Default: the recorded one
    /// while the stable tag stays; else for `set-image` GITHUB_SHA, CI_COMMIT_SHA,
    /// BUILD_SOURCEVERSION or GIT_COMMIT, for `promote` the source entry's; else the commit a
    /// `<branch>-<sha>-<time>` tag names.
    #[arg(long, value_name = "SHA", value_parser = crate::edit::parse_commit)]
    pub commit: Option<String>,
    /// The CI run that writes the entry (an id or a URL). Default: the GitHub Actions run URL,
    /// CI_PIPELINE_URL, the Azure Pipelines build URL or BUILD_URL, when set.
    #[arg(long, value_name = "ID|URL", value_parser = crate::edit::parse_build)]
    pub build: Option<String>,
    /// When the entry is written, an RFC 3339 time (`2025-11-03T10:15:44Z`). Default: now, in UTC.
    #[arg(long, value_name = "TIME", value_parser = crate::edit::parse_deployed)]
    pub deployed: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load, merge and validate the registry, the overlays and versions.yaml.
    Validate {
        #[arg(long, value_enum, default_value_t = DiagFormat::Text)]
        format: DiagFormat,
    },
    /// Compile every target and write the golden tree (atomically, with its manifest).
    Build,
    /// Compile in memory and show what a build would change in the golden tree.
    Plan {
        #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
        format: PlanFormat,
        /// Only this environment (repeatable).
        #[arg(long = "env")]
        envs: Vec<String>,
        /// Only this target (repeatable).
        #[arg(long = "target", value_enum)]
        targets: Vec<Target>,
        /// Compare with the golden tree as committed at this git revision (the plan of a
        /// pull request: `--base origin/main`) instead of the tree on disk.
        #[arg(long)]
        base: Option<String>,
    },
    /// Fail when the golden tree is stale (for CI): prints the plan and the fix.
    Check {
        #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
        format: PlanFormat,
        /// Also fail on the change policies the change since this git revision trips,
        /// unless the head commit's message allows them (`Infrac-Allow: CODE`).
        #[arg(long)]
        base: Option<String>,
    },
    /// List the services, environments and targets whose generated files differ from those
    /// committed at a git revision (for monorepo CI matrices).
    Affected {
        /// The git revision to compare with (`origin/main`).
        #[arg(long)]
        base: String,
        #[arg(long, value_enum, default_value_t = AffectedFormat::Text)]
        format: AffectedFormat,
    },
    /// Show a service's merged value and, for each leaf, the chain of places that set it.
    Explain {
        /// The service.
        service: String,
        /// A dotted path inside the service (`replicas.min`, `ports`); the whole service when left out.
        path: Option<String>,
        /// One environment; every environment when left out.
        #[arg(long)]
        env: Option<String>,
    },
    /// Set a service's stable image tag in one environment (edits versions.yaml in place).
    ///
    /// Refused while a canary or preview is in progress there, unless `--finish-canary`.
    SetImage {
        service: String,
        tag: String,
        #[arg(long)]
        env: String,
        /// End a canary (or preview) in progress: the new tag replaces stable and canary both.
        #[arg(long)]
        finish_canary: bool,
        #[command(flatten)]
        provenance: Provenance,
    },
    /// Promote a service's stable tag from one environment to the next, translated to the
    /// target's tag policy (`staging-1.3.0` → `v1.3.0`), or to `--tag`.
    ///
    /// `--from` must be the `promotion.from` of `--to`, also with `--tag` (to set any tag, use
    /// `set-image`). A `<branch>-<sha>-<time>` tag carries no version: promoting it to a
    /// `staging-version` or `semver` environment needs `--tag`. Refused while a canary or
    /// preview is in progress in `--to`, unless `--finish-canary`.
    Promote {
        service: String,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        /// The tag to set instead of the translated one (it must fit the policy of `--to`).
        #[arg(long)]
        tag: Option<String>,
        /// End a canary (or preview) in progress in `--to`: the promoted tag replaces both.
        #[arg(long)]
        finish_canary: bool,
        #[command(flatten)]
        provenance: Provenance,
    },
    /// Move a canary (or blue-green preview) through its steps in versions.yaml.
    Canary {
        #[arg(value_enum)]
        action: CanaryAction,
        service: String,
        #[arg(long)]
        env: String,
        /// The new tag (for `start`).
        #[arg(long)]
        tag: Option<String>,
        #[command(flatten)]
        provenance: Provenance,
    },
    /// Print the service dependency graph with backing resources, namespaces as clusters.
    Graph {
        /// One environment (disabled services left out); the whole registry when left out.
        #[arg(long)]
        env: Option<String>,
        #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
        format: GraphFormat,
    },
    /// Scaffold a small working platform repo (never overwrites a file).
    Init {
        /// Where to create it.
        #[arg(default_value = ".")]
        dir: std::path::PathBuf,
        #[arg(long, value_enum, default_value_t = CloudProvider::Azure)]
        cloud: CloudProvider,
        /// The CI system; the cloud's usual one when left out.
        #[arg(long, value_enum)]
        ci: Option<CiSystem>,
    },
    /// Print shell completions.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
    /// Explain a diagnostic code, with a wrong and a right example.
    ExplainCode {
        /// `infrac::unknown-dependency` (the `infrac::` prefix may be left out).
        code: String,
    },
    /// Print a JSON Schema of an input file (draft 2020-12).
    Schema {
        #[arg(value_enum, default_value_t = SchemaKind::Registry)]
        which: SchemaKind,
    },
}
