//! The command line: clap derive types only. `main.rs` runs them.
//!
//! Values that name a domain thing (a target, a cloud, a schema) are the domain enums
//! themselves, which derive `clap::ValueEnum`: one spelling, no copies to keep in step.
//!
//! `--root` is not a global argument: it is accepted before the command (`infrac --root DIR
//! plan`, with `INFRAC_ROOT`) and by each command that reads a platform repo (a flattened
//! [`RootArg`]), so `explain-code`, `completions`, `man` and `schema` neither take nor show it.

use crate::artifact::Target;
use crate::graph::GraphFormat;
use crate::model::{CiSystem, CloudProvider};
use crate::validate::schema::SchemaKind;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};

#[derive(Debug, Parser)]
#[command(
    name = "infrac",
    version,
    about = "A declarative infrastructure compiler: one service registry and per-environment overlays in; Kustomize, Istio, Terraform and CI files out.",
    long_about = "A declarative infrastructure compiler: one service registry and per-environment overlays in; Kustomize, Istio, Terraform and CI files out.\n\nA platform repo holds registry.yaml (every service once), environments/<name>.yaml (what differs per environment), versions.yaml (the image tag of each service in each environment) and optionally infrac.toml. `infrac build` compiles them into the committed golden tree; `infrac check` fails in CI when that tree is stale.",
    after_help = "Examples:\n  infrac init shop --cloud aws         scaffold a platform repo in ./shop\n  infrac validate                      check the inputs of the repo in .\n  infrac build                         write the golden tree\n  infrac plan --env prod               what a build would change in prod\n  infrac --root ../platform check      fail when ../platform's golden tree is stale\n\nExit status: 0 success, 1 invalid input or a stale golden tree, 2 `plan` found changes, 3 internal failure, 64 usage error. `infrac man` prints the manual."
)]
pub struct Cli {
    /// The platform repo: the directory holding infrac.toml, registry.yaml and
    /// environments/. A command's own `--root` wins over this one.
    #[arg(long, value_name = "DIR", default_value = ".", env = "INFRAC_ROOT")]
    pub root: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The platform repo the command works on: its own `--root`, else `infrac --root DIR`
    /// (or `INFRAC_ROOT`), else the current directory.
    pub fn platform_root(&self) -> &Path {
        self.command
            .root_arg()
            .and_then(|r| r.root.as_deref())
            .unwrap_or(&self.root)
    }
}

/// `--root` of a command that reads a platform repo.
#[derive(Debug, Clone, Default, Args)]
pub struct RootArg {
    /// The platform repo: the directory holding infrac.toml, registry.yaml and
    /// environments/ [default: `infrac --root`, INFRAC_ROOT, or .]
    #[arg(long = "root", value_name = "DIR")]
    pub root: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagFormat {
    /// Human-readable diagnostics with source excerpts.
    Text,
    /// One JSON document with every diagnostic, for tools.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// A summary and a unified diff per changed file.
    Text,
    /// The same as Markdown, for a pull-request comment.
    Markdown,
    /// Machine-readable: every added, changed and removed file.
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
pub enum DiffEnvFormat {
    /// One block per service, a line per field and side.
    Text,
    /// One JSON document: every differing field with both sides.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CanaryAction {
    /// Start a canary at the first step (blue-green: deploy the preview).
    Start,
    /// Move the canary to the next step.
    Advance,
    /// Drop the canary (or the preview); stable stays. Blue-green after a promote: switch back.
    Abort,
    /// Make the canary (or preview) tag the stable tag (blue-green: switch to its colour).
    Promote,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RolloutAction {
    /// Take the new version to the next wave of cells.
    Advance,
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
    #[command(
        after_help = "Examples:\n  infrac validate\n  infrac validate --format json > diagnostics.json\n\nExit status: 0 valid, 1 invalid."
    )]
    Validate {
        /// How diagnostics are written (to stderr).
        #[arg(long, value_enum, default_value_t = DiagFormat::Text)]
        format: DiagFormat,
        #[command(flatten)]
        root: RootArg,
    },
    /// Compile every target and write the golden tree (atomically, with its manifest).
    #[command(
        after_help = "Examples:\n  infrac build\n  infrac build --root ../platform\n\nExit status: 0 written, 1 invalid input."
    )]
    Build {
        #[command(flatten)]
        root: RootArg,
    },
    /// Compile in memory and show what a build would change in the golden tree.
    #[command(
        after_help = "Examples:\n  infrac plan\n  infrac plan --env staging --env prod --target kubernetes\n  infrac plan --format markdown > plan.md\n  infrac plan --base origin/main --format markdown\n\nExit status: 0 no changes, 2 changes, 1 invalid input."
    )]
    Plan {
        /// How the plan is written (to stdout).
        #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
        format: PlanFormat,
        /// Only the files of this environment (repeatable; every environment when left out).
        #[arg(long = "env", value_name = "ENV")]
        envs: Vec<String>,
        /// Only the files of this target (repeatable; every target when left out).
        #[arg(long = "target", value_enum, value_name = "TARGET")]
        targets: Vec<Target>,
        /// Compare with the golden tree as committed at this git revision (the plan of a
        /// pull request: `--base origin/main`) instead of the tree on disk.
        #[arg(long, value_name = "REV")]
        base: Option<String>,
        #[command(flatten)]
        root: RootArg,
    },
    /// Fail when the golden tree is stale (for CI): prints the plan and the fix.
    #[command(
        after_help = "Examples:\n  infrac check\n  infrac check --format markdown\n  infrac check --base origin/main\n\nExit status: 0 fresh, 1 stale, drifted or invalid input."
    )]
    Check {
        /// How the plan of a stale tree is written (to stdout).
        #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
        format: PlanFormat,
        /// Also fail on the change policies the change since this git revision trips,
        /// unless the head commit's message allows them (`Infrac-Allow: CODE`).
        #[arg(long, value_name = "REV")]
        base: Option<String>,
        #[command(flatten)]
        root: RootArg,
    },
    /// List the services, environments and targets whose generated files differ from those
    /// committed at a git revision (for monorepo CI matrices).
    #[command(
        after_help = "Examples:\n  infrac affected --base origin/main\n  infrac affected --base origin/main --format matrix\n\nExit status: 0 listed, 1 invalid input or an unreadable base."
    )]
    Affected {
        /// The git revision to compare with (`origin/main`).
        #[arg(long, value_name = "REV")]
        base: String,
        /// How the list is written (to stdout): text, JSON, or a GitHub Actions matrix.
        #[arg(long, value_enum, default_value_t = AffectedFormat::Text)]
        format: AffectedFormat,
        /// Always compile the inputs, even when the golden tree on disk is what they compile to.
        #[arg(long)]
        exact: bool,
        #[command(flatten)]
        root: RootArg,
    },
    /// Show a service's merged value and, for each leaf, every layer that set it and the value it wrote.
    #[command(
        after_help = "Examples:\n  infrac explain api\n  infrac explain api replicas.min --env prod\n  infrac explain api --env prod --cell za-north-1\n\nExit status: 0 shown, 1 unknown service, path or cell, or invalid input, 64 unknown environment."
    )]
    Explain {
        /// The service, as named in registry.yaml.
        #[arg(value_name = "SERVICE")]
        service: String,
        /// A dotted path inside the service (`replicas.min`, `ports`); the whole service when left out.
        #[arg(value_name = "PATH")]
        path: Option<String>,
        /// One environment (the name of its file in environments/); every environment when left out.
        #[arg(long, value_name = "ENV")]
        env: Option<String>,
        /// One cell of that environment (a key of its `cells`): the cell's fields merged over it.
        #[arg(long, value_name = "CELL", requires = "env")]
        cell: Option<String>,
        #[command(flatten)]
        root: RootArg,
    },
    /// Every merged field whose value differs between two environments, each side's value
    /// and where it came from (file:line:col and layer).
    #[command(
        after_help = "Examples:\n  infrac diff-env staging prod\n  infrac diff-env dev prod payment-service --format json\n\nExit status: 0 shown (with or without differences), 1 invalid input, 64 unknown environment or service."
    )]
    DiffEnv {
        /// The first environment (the name of its file in environments/).
        #[arg(value_name = "A")]
        a: String,
        /// The second environment.
        #[arg(value_name = "B")]
        b: String,
        /// Only this service, as named in registry.yaml; every service when left out.
        #[arg(value_name = "SERVICE")]
        service: Option<String>,
        /// How the differences are written (to stdout).
        #[arg(long, value_enum, default_value_t = DiffEnvFormat::Text)]
        format: DiffEnvFormat,
        #[command(flatten)]
        root: RootArg,
    },
    /// Set a service's stable image tag in one environment (edits versions.yaml in place).
    ///
    /// Refused while a canary or preview is in progress there, unless `--finish-canary`.
    #[command(
        after_help = "Examples:\n  infrac set-image api main-1a2b3c4-20250101120000 --env dev\n\nThe tag must follow the environment's `imageTags` policy. Exit status: 0 set, 1 refused."
    )]
    SetImage {
        /// The service, as named in registry.yaml.
        #[arg(value_name = "SERVICE")]
        service: String,
        /// The image tag to deploy (`main-1a2b3c4-20250101120000`, `staging-1.3.0`, `v1.3.0`).
        #[arg(value_name = "TAG")]
        tag: String,
        /// The environment whose tag is set.
        #[arg(long, value_name = "ENV")]
        env: String,
        /// End a canary (or preview) in progress: the new tag replaces stable and canary both.
        #[arg(long)]
        finish_canary: bool,
        #[command(flatten)]
        provenance: Provenance,
        #[command(flatten)]
        root: RootArg,
    },
    /// Promote a service's stable tag from one environment to the next, translated to the
    /// target's tag policy (`staging-1.3.0` → `v1.3.0`), or to `--tag`.
    ///
    /// `--from` must be the `promotion.from` of `--to`, also with `--tag` (to set any tag, use
    /// `set-image`). A `<branch>-<sha>-<time>` tag carries no version: promoting it to a
    /// `staging-version` or `semver` environment needs `--tag`. Refused while a canary or
    /// preview is in progress in `--to`, unless `--finish-canary`.
    #[command(
        after_help = "Examples:\n  infrac promote api --from dev --to staging\n  infrac promote api --from staging --to prod --tag v1.3.0\n\nExit status: 0 promoted, 1 refused."
    )]
    Promote {
        /// The service, as named in registry.yaml.
        #[arg(value_name = "SERVICE")]
        service: String,
        /// The environment whose stable tag is promoted.
        #[arg(long, value_name = "ENV")]
        from: String,
        /// The environment that receives it (its `promotion.from` must be `--from`).
        #[arg(long, value_name = "ENV")]
        to: String,
        /// The tag to set instead of the translated one (it must fit the policy of `--to`).
        #[arg(long, value_name = "TAG")]
        tag: Option<String>,
        /// End a canary (or preview) in progress in `--to`: the promoted tag replaces both.
        #[arg(long)]
        finish_canary: bool,
        /// Pin the tag for one cell of `--to` (its first wave) instead of the whole
        /// environment; `infrac rollout advance` takes it to the next waves.
        #[arg(long, value_name = "CELL")]
        cell: Option<String>,
        #[command(flatten)]
        provenance: Provenance,
        #[command(flatten)]
        root: RootArg,
    },
    /// Move a new version through the cells of an environment, wave by wave (versions.yaml).
    ///
    /// `advance` pins the tag the reached waves run on the cells of the next wave; after the
    /// last wave it becomes the environment's stable tag and the pins go. Refused while the
    /// wave reached last is younger than the environment's `bake` (from the entry's
    /// `deployed`), and while an alert of the service fires in a cell it has reached
    /// (`--alerts`).
    #[command(
        after_help = "Examples:\n  infrac promote api --from staging --to prod --cell za-north-1\n  infrac rollout advance api --env prod\n  curl -fsS \"$PROMETHEUS_URL/api/v1/alerts\" | infrac rollout advance api --env prod --alerts za-north-1=-\n\nExit status: 0 advanced, 1 refused."
    )]
    Rollout {
        /// What to do with the rollout.
        #[arg(value_enum, value_name = "ACTION")]
        action: RolloutAction,
        /// The service, as named in registry.yaml.
        #[arg(value_name = "SERVICE")]
        service: String,
        /// The environment whose cells the version moves through.
        #[arg(long, value_name = "ENV")]
        env: String,
        /// The time `bake` is measured to, an RFC 3339 time. Default: now, in UTC.
        #[arg(long, value_name = "TIME", value_parser = crate::edit::parse_deployed)]
        now: Option<String>,
        /// The alerts of one cell: `CELL=FILE`, FILE the JSON body of that cell's
        /// Prometheus `GET /api/v1/alerts` (`-` for standard input). Repeat it for each
        /// cell; the advance is refused while an alert of the service fires in a cell the
        /// new tag has reached.
        #[arg(long, value_name = "CELL=FILE")]
        alerts: Vec<String>,
        #[command(flatten)]
        provenance: Provenance,
        #[command(flatten)]
        root: RootArg,
    },
    /// Move a canary (or blue-green preview) through its steps in versions.yaml.
    #[command(
        after_help = "Examples:\n  infrac canary start api --env prod --tag v1.4.0\n  infrac canary advance api --env prod\n  infrac canary promote api --env prod\n  infrac canary start api --env prod --cell za-north-1 --tag v1.5.0\n\nExit status: 0 moved, 1 refused."
    )]
    Canary {
        /// What to do with the canary.
        #[arg(value_enum, value_name = "ACTION")]
        action: CanaryAction,
        /// The service, as named in registry.yaml (its rollout is a canary or blue-green).
        #[arg(value_name = "SERVICE")]
        service: String,
        /// The environment the canary runs in.
        #[arg(long, value_name = "ENV")]
        env: String,
        /// The new tag (for `start`).
        #[arg(long, value_name = "TAG")]
        tag: Option<String>,
        /// Run the canary inside one cell of `--env` (a key of its `cells`): only that
        /// cell's overlay gets the canary; `promote` then pins its tag on that cell, and
        /// `infrac rollout advance` takes it to the next waves. With `advance`, `abort` or
        /// `promote` it must name the cell the canary runs in.
        #[arg(long, value_name = "CELL")]
        cell: Option<String>,
        #[command(flatten)]
        provenance: Provenance,
        #[command(flatten)]
        root: RootArg,
    },
    /// Print the service dependency graph with backing resources, namespaces as clusters.
    #[command(
        after_help = "Examples:\n  infrac graph\n  infrac graph --env prod --format dot | dot -Tsvg > prod.svg\n  infrac graph --env prod --format html > prod.html"
    )]
    Graph {
        /// One environment (disabled services left out); the whole registry when left out.
        #[arg(long, value_name = "ENV")]
        env: Option<String>,
        /// Mermaid (renders in GitHub and GitLab Markdown), Graphviz dot, or a picture: a
        /// self-contained HTML page (with each service's alerts and canary state) or SVG.
        #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
        format: GraphFormat,
        #[command(flatten)]
        root: RootArg,
    },
    /// Scaffold a small working platform repo (never overwrites a file).
    #[command(
        after_help = "Examples:\n  infrac init shop --cloud aws\n  infrac init --root . --cloud gcp --ci jenkins\n\nExit status: 0 created, 1 a file already exists (nothing written)."
    )]
    Init {
        /// Where to create it (created when missing); `--root` when left out.
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
        /// The cloud the environments run in.
        #[arg(long, value_enum, default_value_t = CloudProvider::Azure)]
        cloud: CloudProvider,
        /// The CI system; the cloud's usual one when left out (aws: github, azure:
        /// azure-pipelines, gcp: gitlab).
        #[arg(long, value_enum)]
        ci: Option<CiSystem>,
        /// Scaffold prod as this many cells (2 to 20), each on its own cluster, reached in
        /// two waves.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(2..=20))]
        cells: Option<u8>,
        #[command(flatten)]
        root: RootArg,
    },
    /// Print shell completions.
    #[command(
        after_help = "Examples:\n  infrac completions bash > ~/.local/share/bash-completion/completions/infrac\n  infrac completions zsh > \"${fpath[1]}/_infrac\""
    )]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum, value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    #[command(
        after_help = "Examples:\n  infrac man | man -l -\n  infrac man > ~/.local/share/man/man1/infrac.1"
    )]
    Man,
    /// Explain a diagnostic code, with a wrong and a right example.
    #[command(after_help = "Examples:\n  infrac explain-code unknown-dependency")]
    ExplainCode {
        /// `infrac::unknown-dependency` (the `infrac::` prefix may be left out).
        #[arg(value_name = "CODE")]
        code: String,
    },
    /// Print a JSON Schema of an input file (draft 2020-12).
    #[command(
        after_help = "Examples:\n  infrac schema environment > schemas/environment.schema.json"
    )]
    Schema {
        /// Which input file's schema.
        #[arg(value_enum, default_value_t = SchemaKind::Registry, value_name = "FILE")]
        which: SchemaKind,
    },
}

impl Command {
    /// The command's own `--root`, for the commands that read a platform repo.
    pub fn root_arg(&self) -> Option<&RootArg> {
        match self {
            Command::Validate { root, .. }
            | Command::Build { root }
            | Command::Plan { root, .. }
            | Command::Check { root, .. }
            | Command::Affected { root, .. }
            | Command::Explain { root, .. }
            | Command::DiffEnv { root, .. }
            | Command::SetImage { root, .. }
            | Command::Promote { root, .. }
            | Command::Canary { root, .. }
            | Command::Rollout { root, .. }
            | Command::Graph { root, .. }
            | Command::Init { root, .. } => Some(root),
            Command::Completions { .. }
            | Command::Man
            | Command::ExplainCode { .. }
            | Command::Schema { .. } => None,
        }
    }
}
