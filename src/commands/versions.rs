//! `set-image`, `promote` and `canary`: the commands that move versions.yaml. Each computes
//! the new entry, edits the text in place, re-validates the whole platform with the new
//! text, and writes only when the edit introduces no error.
//!
//! Every edit records where it came from beside the tags (`deployed`, `commit`, `build`):
//! `deployed` and `build` describe the edit (when, which CI run), `commit` the commit the
//! stable tag was built from. A field the edit is not given is kept while the stable tag
//! stays and dropped when it changes, so no entry carries another tag's commit.

use crate::cli::{CanaryAction, Command, Provenance};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Sources};
use crate::edit::{Meta, VersionEntry, is_build, is_commit, now_utc, read_entry, write_entry};
use crate::error::Error;
use crate::load::yaml::{Node, Pos};
use crate::merge::merge_platform;
use crate::model::{CanaryVersion, ImageVersion};
use crate::pipeline::{Frontend, run_frontend, run_frontend_with};
use crate::printer::Printer;
use crate::validate::rules::tag_matches;
use std::collections::BTreeSet;
use std::path::Path;

/// Runs `set-image`, `promote` or `canary`.
pub fn run(printer: &Printer, root: &Path, command: &Command) -> Result<u8, Error> {
    match command {
        Command::SetImage {
            service,
            tag,
            env,
            finish_canary,
            provenance,
            ..
        } => set_image(printer, root, service, tag, env, *finish_canary, provenance),
        Command::Promote {
            service,
            from,
            to,
            tag,
            finish_canary,
            cell,
            provenance,
            ..
        } => promote(
            printer,
            root,
            &PromoteArgs {
                service,
                from,
                to,
                tag: tag.as_deref(),
                finish_canary: *finish_canary,
                cell: cell.as_deref(),
            },
            provenance,
        ),
        Command::Canary {
            action,
            service,
            env,
            tag,
            cell,
            provenance,
            ..
        } => canary(
            printer,
            root,
            &CanaryArgs {
                action: *action,
                service,
                env,
                tag: tag.as_deref(),
                cell: cell.as_deref(),
            },
            provenance,
        ),
        Command::Rollout {
            service,
            env,
            now,
            alerts,
            provenance,
            ..
        } => super::rollout::advance(
            printer,
            root,
            &super::rollout::AdvanceArgs {
                service,
                env,
                now: now.as_deref(),
                alerts,
            },
            provenance,
        ),
        _ => Ok(64),
    }
}

/// Why an edit is refused: a sentence, or a diagnostic at the input that decides it.
pub(super) enum Refusal {
    Plain(String),
    At(Box<Diagnostic>),
}

impl From<String> for Refusal {
    fn from(message: String) -> Self {
        Self::Plain(message)
    }
}

impl From<&str> for Refusal {
    fn from(message: &str) -> Self {
        Self::Plain(message.to_owned())
    }
}

/// What an environment says about one service, read from the (possibly invalid) inputs.
pub(super) struct Facts {
    policy: String,
    /// The `imageTags` value in the environment file.
    policy_pos: Option<Pos>,
    /// `promotion.from` and where it is written.
    promotion_from: Option<(String, Pos)>,
    /// The environment file and a place in it (for a diagnostic about a field it lacks).
    env_file: String,
    env_pos: Pos,
    pub(super) strategy: String,
    steps: Vec<u32>,
    pub(super) current: Option<VersionEntry>,
    /// In versions.yaml: the stable tag, the `canary` key, the `preview` key.
    stable_pos: Option<Pos>,
    pub(super) canary_pos: Option<Pos>,
    preview_pos: Option<Pos>,
    /// The environment's cells as its file declares them, and where (`cells:` key).
    pub(super) cells: Vec<String>,
    pub(super) cells_pos: Option<Pos>,
    /// The environment file, for a diagnostic about a field it lacks.
    pub(super) env_file_pos: Pos,
}

fn facts(frontend: &Frontend, service: &str, env: &str) -> Result<Facts, String> {
    let inputs = &frontend.inputs;
    let registry = &inputs
        .registry
        .as_ref()
        .ok_or("the registry could not be loaded")?
        .node;
    let envs = frontend.environments_owned();
    let merged = merge_platform(registry, &envs);
    if !merged.registry_services.contains_key(service) {
        let hint = crate::diagnostic::did_you_mean(
            service,
            merged.registry_services.keys().map(String::as_str),
        );
        return Err(format!(
            "`{service}` is not a service of the registry{}",
            hint.map(|h| format!(" (did you mean `{h}`?)"))
                .unwrap_or_default()
        ));
    }
    let menv = merged
        .environments
        .iter()
        .find(|e| e.name == env)
        .ok_or_else(|| {
            let hint = crate::diagnostic::did_you_mean(
                env,
                merged.environments.iter().map(|e| e.name.as_str()),
            );
            format!(
                "`{env}` is not an environment{}",
                hint.map(|h| format!(" (did you mean `{h}`?)"))
                    .unwrap_or_default()
            )
        })?;
    let svc = menv
        .services
        .get(service)
        .ok_or_else(|| format!("`{service}` is disabled in `{env}`"))?;
    let rollout = svc.node.get("rollout");
    let steps = rollout
        .and_then(|r| r.get("canary"))
        .and_then(|c| c.get("steps"))
        .and_then(Node::as_seq)
        .map(|s| {
            s.iter()
                .filter_map(|n| {
                    crate::validate::rules::int(Some(n)).and_then(|i| u32::try_from(i).ok())
                })
                .collect()
        })
        .unwrap_or_default();
    let image_tags = menv.node.get("imageTags");
    let written = inputs.versions.as_ref().and_then(|v| {
        v.node
            .get("environments")?
            .get(env)?
            .entry(service)
            .map(|e| e.value.clone())
    });
    let raw_env = inputs
        .environments
        .iter()
        .find(|(name, _)| name == env)
        .map(|(_, e)| &e.node);
    let cells_entry = raw_env.and_then(|n| n.entry("cells"));
    let key_pos = |key: &str| {
        written
            .as_ref()
            .and_then(|w| w.entry(key))
            .map(|e| e.key_pos)
    };
    Ok(Facts {
        policy: image_tags
            .and_then(Node::as_str)
            .unwrap_or("any")
            .to_owned(),
        policy_pos: image_tags.map(|n| n.pos),
        promotion_from: menv
            .node
            .get("promotion")
            .and_then(|p| p.get("from"))
            .and_then(|f| Some((f.as_str()?.to_owned(), f.pos))),
        env_file: frontend.sources.path(menv.node.pos.file).to_owned(),
        env_pos: menv
            .node
            .entry("promotion")
            .map_or(Sources::file_pos(menv.node.pos.file), |e| e.key_pos),
        strategy: rollout
            .and_then(|r| r.get("strategy"))
            .and_then(Node::as_str)
            .unwrap_or("rolling")
            .to_owned(),
        steps,
        current: inputs
            .versions
            .as_ref()
            .and_then(|v| read_entry(&v.node, env, service)),
        stable_pos: written
            .as_ref()
            .map(|w| w.get("stable").map_or(w.pos, |s| s.pos)),
        canary_pos: key_pos("canary"),
        preview_pos: key_pos("preview"),
        cells: cells_entry
            .and_then(|e| e.value.as_map())
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default(),
        cells_pos: cells_entry.map(|e| e.key_pos),
        env_file_pos: raw_env.map_or(Sources::file_pos(menv.node.pos.file), |n| {
            Sources::file_pos(n.pos.file)
        }),
    })
}

/// A tag's place in an environment's policy: `latest` is never a tag, and every tag fits
/// `imageTags` (reported at that field).
pub(super) fn check_tag(tag: &str, f: &Facts, service: &str, env: &str) -> Result<(), Refusal> {
    if tag.eq_ignore_ascii_case("latest") {
        return Err("`latest` is refused: tags are immutable".into());
    }
    if tag_matches(&f.policy, tag) {
        return Ok(());
    }
    let message = format!("tag `{tag}` breaks the `{}` policy of `{env}`", f.policy);
    let Some(pos) = f.policy_pos else {
        return Err(message.into());
    };
    let example = example_tag(&f.policy);
    Err(Refusal::At(Box::new(
        Diagnostic::error(Code::TagPolicy, pos, message)
            .with_label(format!("`{service}` tags here look like `{example}`"))
            .with_help(format!("pass a tag like `{example}`")),
    )))
}

fn example_tag(policy: &str) -> &'static str {
    match policy {
        "branch-sha-timestamp" => "main-a1b2c3d-20250823143022",
        "staging-version" => "staging-1.4.0",
        "semver" => "v1.4.0",
        _ => "any tag",
    }
}

/// Refuses while a canary or preview is in progress, unless the command ends it.
fn no_rollout_in_progress(
    f: &Facts,
    service: &str,
    env: &str,
    finish: bool,
) -> Result<(), Refusal> {
    let Some(current) = f.current.as_ref().filter(|_| !finish) else {
        return Ok(());
    };
    let (what, pos) = match (&current.version.canary, &current.version.preview) {
        (Some(c), _) => (
            format!(
                "a canary of `{service}` is in progress in `{env}` (`{}` at {}%)",
                c.tag, c.weight
            ),
            f.canary_pos,
        ),
        (None, Some(p)) => (
            format!("a preview of `{service}` is deployed in `{env}` (`{p}`)"),
            f.preview_pos,
        ),
        (None, None) => return Ok(()),
    };
    let help = format!(
        "finish it first: `infrac canary promote {service} --env {env}` or `infrac canary abort {service} --env {env}`; or pass `--finish-canary` to replace it and the stable tag with the new tag"
    );
    Err(match pos {
        Some(pos) => Refusal::At(Box::new(
            Diagnostic::error(Code::CanaryInProgress, pos, what).with_help(help),
        )),
        None => Refusal::Plain(format!("{what}; {help}")),
    })
}

/// The commit in a `<branch>-<7 hex>-<14 digits>` tag.
fn tag_commit(tag: &str) -> Option<String> {
    tag_matches("branch-sha-timestamp", tag)
        .then(|| tag.rsplit('-').nth(1).unwrap_or_default().to_owned())
}

/// The first of `names` that is set to a value `valid` accepts.
fn first_env(names: &[&str], valid: fn(&str) -> bool) -> Option<String> {
    names
        .iter()
        .filter_map(|n| std::env::var(n).ok())
        .map(|v| v.trim().to_owned())
        .find(|v| valid(v))
}

/// The commit CI is building: GitHub Actions `GITHUB_SHA`
/// (<https://docs.github.com/en/actions/reference/variables-reference>), GitLab
/// `CI_COMMIT_SHA` (<https://docs.gitlab.com/ci/variables/predefined_variables>), Azure
/// Pipelines `Build.SourceVersion` as `BUILD_SOURCEVERSION`
/// (<https://learn.microsoft.com/en-us/azure/devops/pipelines/build/variables>), Jenkins'
/// git plugin `GIT_COMMIT` (<https://plugins.jenkins.io/git/#plugin-content-environment-variables>).
fn ci_commit() -> Option<String> {
    first_env(
        &[
            "GITHUB_SHA",
            "CI_COMMIT_SHA",
            "BUILD_SOURCEVERSION",
            "GIT_COMMIT",
        ],
        |v| is_commit(&v.to_ascii_lowercase()),
    )
    .map(|v| v.to_ascii_lowercase())
}

/// The CI run writing the entry, as a URL where the system gives one (same sources as
/// [`ci_commit`]; Jenkins `BUILD_URL`, GitLab `CI_PIPELINE_URL`, Azure
/// `System.CollectionUri` + `System.TeamProject` + `Build.BuildId`).
fn ci_build() -> Option<String> {
    let var = |n: &str| std::env::var(n).ok().filter(|v| !v.trim().is_empty());
    if let (Some(server), Some(repo), Some(id)) = (
        var("GITHUB_SERVER_URL"),
        var("GITHUB_REPOSITORY"),
        var("GITHUB_RUN_ID"),
    ) {
        let url = format!("{}/{repo}/actions/runs/{id}", server.trim_end_matches('/'));
        if is_build(&url) {
            return Some(url);
        }
    }
    if let (Some(collection), Some(project), Some(id)) = (
        var("SYSTEM_COLLECTIONURI"),
        var("SYSTEM_TEAMPROJECT"),
        var("BUILD_BUILDID"),
    ) {
        let url = format!(
            "{}/{}/_build/results?buildId={id}",
            collection.trim_end_matches('/'),
            project.replace(' ', "%20")
        );
        if is_build(&url) {
            return Some(url);
        }
    }
    first_env(
        &[
            "CI_PIPELINE_URL",
            "BUILD_URL",
            "GITHUB_RUN_ID",
            "BUILD_BUILDID",
        ],
        is_build,
    )
}

/// `next` with its metadata: given values win; otherwise `deployed` is now, `build` the CI
/// run, and `commit` is kept while the stable tag stays, else `commit` (the command's own
/// default) or the one the new stable tag names.
pub(super) fn stamp(
    p: &Provenance,
    current: Option<&VersionEntry>,
    next: ImageVersion,
    commit: Option<String>,
) -> VersionEntry {
    let kept = current
        .filter(|c| c.version.stable == next.stable)
        .and_then(|c| c.meta.commit.clone());
    let commit = p
        .commit
        .clone()
        .or(kept)
        .or(commit)
        .or_else(|| tag_commit(&next.stable));
    // A canary kept stays in its cell; a new one is placed by `canary start`.
    let canary_cell = current
        .filter(|c| c.version.canary.is_some() && next.canary.is_some())
        .and_then(|c| c.canary_cell.clone());
    VersionEntry {
        version: next,
        meta: Meta {
            deployed: Some(p.deployed.clone().unwrap_or_else(now_utc)),
            commit,
            build: p.build.clone().or_else(ci_build),
        },
        // A new environment tag leaves the cells' pins alone (a rollout in progress).
        cells: current.map(|c| c.cells.clone()).unwrap_or_default(),
        canary_cell,
    }
}

/// `tag` as the only tag, served by the colour that serves today (a blue-green service's
/// active Service must keep selecting the Deployment that runs; `set-image` and `promote`
/// roll that colour in place). A previous colour kept for a switch back is dropped: the
/// entry's next change ends that window.
fn stable_only(tag: String, current: Option<&VersionEntry>) -> ImageVersion {
    ImageVersion {
        stable: tag,
        canary: None,
        preview: None,
        active: current.map(|c| c.version.active).unwrap_or_default(),
        previous: None,
    }
}

/// `infrac set-image SERVICE TAG --env E`.
fn set_image(
    printer: &Printer,
    root: &Path,
    service: &str,
    tag: &str,
    env: &str,
    finish_canary: bool,
    provenance: &Provenance,
) -> Result<u8, Error> {
    edit(printer, root, env, service, "set-image", |f| {
        check_tag(tag, f, service, env)?;
        no_rollout_in_progress(f, service, env, finish_canary)?;
        Ok(stamp(
            provenance,
            f.current.as_ref(),
            stable_only(tag.to_owned(), f.current.as_ref()),
            ci_commit(),
        ))
    })
}

struct PromoteArgs<'a> {
    service: &'a str,
    from: &'a str,
    to: &'a str,
    tag: Option<&'a str>,
    finish_canary: bool,
    cell: Option<&'a str>,
}

/// `infrac promote SERVICE --from A --to B [--tag T]`.
fn promote(
    printer: &Printer,
    root: &Path,
    a: &PromoteArgs<'_>,
    provenance: &Provenance,
) -> Result<u8, Error> {
    let (service, from, to) = (a.service, a.from, a.to);
    let frontend = run_frontend(root);
    let source = match facts(&frontend, service, from) {
        Ok(f) => f,
        Err(e) => return fail(printer, &Sources::default(), "promote", Refusal::Plain(e)),
    };
    edit(printer, root, to, service, "promote", |f| {
        if from == to {
            return Err(format!("`--from` and `--to` are both `{to}`").into());
        }
        promotion_path(f, service, from, to)?;
        no_rollout_in_progress(f, service, to, a.finish_canary)?;
        let source_entry = source
            .current
            .as_ref()
            .ok_or_else(|| format!("`{service}` has no tag in `{from}` to promote"))?;
        let tag = match a.tag {
            Some(t) => t.to_owned(),
            None => {
                let from_tag = &source_entry.version.stable;
                translate(from_tag, &f.policy).map_err(|why| {
                    let (message, help) =
                        untranslatable(service, from, to, from_tag, &f.policy, &why);
                    match source.stable_pos {
                        Some(pos) => Refusal::At(Box::new(
                            Diagnostic::error(Code::TagTranslation, pos, message)
                                .with_label(format!("the `{service}` tag of `{from}`"))
                                .with_help(help),
                        )),
                        None => Refusal::Plain(format!("{message}; {help}")),
                    }
                })?
            }
        };
        check_tag(&tag, f, service, to)?;
        if let Some(cell) = a.cell {
            return super::rollout::pin(f, provenance, service, to, cell, &tag);
        }
        let commit = source_entry
            .meta
            .commit
            .clone()
            .or_else(|| tag_commit(&source_entry.version.stable));
        Ok(stamp(
            provenance,
            f.current.as_ref(),
            stable_only(tag, f.current.as_ref()),
            commit,
        ))
    })
}

/// `from` must be the `promotion.from` of `to`.
fn promotion_path(f: &Facts, service: &str, from: &str, to: &str) -> Result<(), Refusal> {
    let diagnostic = match &f.promotion_from {
        Some((source, _)) if source == from => return Ok(()),
        Some((source, pos)) => Diagnostic::error(
            Code::PromotionSource,
            *pos,
            format!("`{to}` promotes from `{source}`, not from `{from}`"),
        )
        .with_label(format!("`{to}` takes its tags from here"))
        .with_help(format!(
            "promote in order: `infrac promote {service} --from {source} --to {to}`"
        )),
        None => Diagnostic::error(
            Code::PromotionSource,
            f.env_pos,
            format!("`{to}` has no `promotion.from`: no environment promotes into it"),
        )
        .with_help(format!(
            "tags enter `{to}` from CI: `infrac set-image {service} TAG --env {to}` (or add `promotion: {{from: ENV}}` to {})",
            f.env_file
        )),
    };
    Err(Refusal::At(Box::new(diagnostic)))
}

/// Why a tag has no form under a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Untranslatable {
    /// The target needs an X.Y.Z version and the tag carries none (perhaps a commit).
    NoVersion { commit: Option<String> },
    /// The target needs `<branch>-<sha>-<time>` and a release tag has none of them.
    NoBuild,
}

/// The tag `source` becomes under `policy`: unchanged where it already fits (and always
/// under `any`), else the same X.Y.Z version in the policy's spelling (`staging-1.3.0`,
/// `v1.3.0` and `1.3.0` all carry 1.3.0).
pub fn translate(source: &str, policy: &str) -> Result<String, Untranslatable> {
    if tag_matches(policy, source) {
        return Ok(source.to_owned());
    }
    let version = source
        .strip_prefix("staging-")
        .or_else(|| source.strip_prefix('v'))
        .or(Some(source))
        .filter(|v| tag_matches("semver", &format!("v{v}")));
    match (policy, version) {
        ("semver", Some(v)) => Ok(format!("v{v}")),
        ("staging-version", Some(v)) => Ok(format!("staging-{v}")),
        ("branch-sha-timestamp", _) => Err(Untranslatable::NoBuild),
        _ => Err(Untranslatable::NoVersion {
            commit: tag_commit(source),
        }),
    }
}

/// The refusal's message and help line (with the exact command to run).
pub fn untranslatable(
    service: &str,
    from: &str,
    to: &str,
    source: &str,
    policy: &str,
    why: &Untranslatable,
) -> (String, String) {
    let message = format!(
        "tag `{source}` of `{service}` in `{from}` has no form under the `{policy}` policy of `{to}`"
    );
    let placeholder = match policy {
        "staging-version" => "staging-X.Y.Z",
        "semver" => "vX.Y.Z",
        _ => "<branch>-<7 hex>-<14 digits>",
    };
    let command = format!("infrac promote {service} --from {from} --to {to} --tag {placeholder}");
    let help = match why {
        Untranslatable::NoVersion {
            commit: Some(commit),
        } => format!(
            "it names commit `{commit}` but no version: push the image built from it as `{placeholder}`, then run `{command}`"
        ),
        Untranslatable::NoVersion { commit: None } => {
            format!("it carries no X.Y.Z version: pass the release's tag, `{command}`")
        }
        Untranslatable::NoBuild => {
            format!(
                "it names no branch, commit and build time to build that tag from: pass a build's tag, `{command}`"
            )
        }
    };
    (message, help)
}

struct CanaryArgs<'a> {
    action: CanaryAction,
    service: &'a str,
    env: &'a str,
    tag: Option<&'a str>,
    cell: Option<&'a str>,
}

/// `infrac canary start|advance|abort|promote SERVICE --env E [--tag T] [--cell C]`.
fn canary(
    printer: &Printer,
    root: &Path,
    a: &CanaryArgs<'_>,
    provenance: &Provenance,
) -> Result<u8, Error> {
    let (action, service, env, tag) = (a.action, a.service, a.env, a.tag);
    edit(printer, root, env, service, "canary", |f| {
        let current = f.current.clone().ok_or_else(|| {
            format!("`{service}` has no stable tag in `{env}` yet: run `infrac set-image` first")
        })?;
        if let Some(cell) = a.cell {
            super::rollout::known_cell(f, env, cell)?;
            super::rollout::canary_in_cell(f, &current, action, service, env, cell)?;
        }
        if let (CanaryAction::Start, Some(t)) = (action, tag) {
            check_tag(t, f, service, env)?;
            if t == current.version.stable {
                return Err(
                    format!("`{t}` is already the stable tag of `{service}` in `{env}`").into(),
                );
            }
        }
        let next = match f.strategy.as_str() {
            "canary" => canary_step(action, current.version.clone(), &f.steps, tag),
            "blue-green" => preview_step(action, current.version.clone(), tag),
            other => Err(format!(
                "`{service}` uses the `{other}` strategy in `{env}`; canary commands need `canary` or `blue-green`"
            )),
        }?;
        Ok(super::rollout::place_canary(
            provenance, &current, action, a.cell, next,
        ))
    })
}

fn canary_step(
    action: CanaryAction,
    mut v: ImageVersion,
    steps: &[u32],
    tag: Option<&str>,
) -> Result<ImageVersion, String> {
    match (action, &v.canary) {
        (CanaryAction::Start, Some(c)) => Err(format!(
            "a canary of `{}` is already in progress at {}%",
            c.tag, c.weight
        )),
        (CanaryAction::Start, None) => {
            let tag = tag.ok_or("`canary start` needs --tag")?;
            let weight = *steps
                .first()
                .filter(|w| **w < 100)
                .ok_or("the canary has no step below 100: use `infrac set-image`")?;
            v.canary = Some(CanaryVersion {
                tag: tag.to_owned(),
                weight,
            });
            Ok(v)
        }
        (_, None) => Err("no canary is in progress".into()),
        (CanaryAction::Advance, Some(c)) => {
            let next = steps.iter().copied().find(|s| *s > c.weight).unwrap_or(100);
            if next >= 100 {
                return Err(format!(
                    "the canary is at its last step ({}%): run `infrac canary promote`",
                    c.weight
                ));
            }
            v.canary = Some(CanaryVersion {
                tag: c.tag.clone(),
                weight: next,
            });
            Ok(v)
        }
        (CanaryAction::Abort, Some(_)) => {
            v.canary = None;
            Ok(v)
        }
        (CanaryAction::Promote, Some(c)) => Ok(ImageVersion {
            stable: c.tag.clone(),
            canary: None,
            ..v
        }),
    }
}

/// Blue-green: `start` deploys the preview in the colour that does not serve (ending the
/// switch-back window of a previous promote, whose colour that is); `promote` points the
/// active Service at the preview's colour and keeps the old one running its tag as
/// `previous`; `abort` drops the preview, or with no preview switches back to `previous`.
fn preview_step(
    action: CanaryAction,
    mut v: ImageVersion,
    tag: Option<&str>,
) -> Result<ImageVersion, String> {
    match (action, &v.preview) {
        (CanaryAction::Start, Some(p)) => Err(format!("a preview of `{p}` is already deployed")),
        (CanaryAction::Start, None) => {
            let tag = tag.ok_or("`canary start` needs --tag")?;
            v.preview = Some(tag.to_owned());
            v.previous = None;
            Ok(v)
        }
        (CanaryAction::Advance, _) => Err("blue-green has no steps: `promote` switches the active Service, `abort` drops the preview or switches back".into()),
        (CanaryAction::Abort, None) => match v.previous.take() {
            Some(previous) => Ok(ImageVersion {
                stable: previous,
                active: v.active.other(),
                ..v
            }),
            None => Err("no preview is deployed and no previous version is kept to switch back to".into()),
        },
        (CanaryAction::Promote, None) => Err("no preview is deployed".into()),
        (CanaryAction::Abort, Some(_)) => {
            v.preview = None;
            Ok(v)
        }
        (CanaryAction::Promote, Some(p)) => Ok(ImageVersion {
            stable: p.clone(),
            canary: None,
            preview: None,
            active: v.active.other(),
            previous: Some(v.stable.clone()),
        }),
    }
}

fn fail(
    printer: &Printer,
    sources: &Sources,
    command: &str,
    refusal: Refusal,
) -> Result<u8, Error> {
    match refusal {
        Refusal::Plain(message) => {
            printer.error(&format!("{message}; versions.yaml is unchanged"));
        }
        Refusal::At(diagnostic) => {
            let diagnostics = Diagnostics {
                items: vec![*diagnostic],
            };
            printer.diagnostics(&diagnostics, sources)?;
            printer.error(&format!(
                "`infrac {command}` refused; versions.yaml is unchanged"
            ));
        }
    }
    Ok(1)
}

/// Computes the new entry with `change`, edits the text, re-validates, writes.
pub(super) fn edit(
    printer: &Printer,
    root: &Path,
    env: &str,
    service: &str,
    command: &str,
    change: impl FnOnce(&Facts) -> Result<VersionEntry, Refusal>,
) -> Result<u8, Error> {
    let before = run_frontend(root);
    let facts = match facts(&before, service, env) {
        Ok(f) => f,
        Err(e) => return fail(printer, &before.sources, command, e.into()),
    };
    let Some(versions) = before.inputs.versions.as_ref() else {
        printer.diagnostics(&before.diagnostics, &before.sources)?;
        return fail(
            printer,
            &before.sources,
            command,
            "versions.yaml could not be read".into(),
        );
    };
    let next = match change(&facts) {
        Ok(n) => n,
        Err(e) => return fail(printer, &before.sources, command, e),
    };
    let text = before.sources.text(versions.file).to_owned();
    let new_text = match write_entry(&text, &versions.node, env, service, &next) {
        Ok(t) => t,
        Err(e) => return fail(printer, &before.sources, command, e.into()),
    };
    let after = run_frontend_with(root, Some(&new_text));
    let known: BTreeSet<(&str, &str)> = before
        .diagnostics
        .items
        .iter()
        .filter(|d| d.is_error())
        .map(|d| (d.code.as_str(), d.message.as_str()))
        .collect();
    let mut introduced = after.diagnostics.clone();
    introduced
        .items
        .retain(|d| d.is_error() && !known.contains(&(d.code.as_str(), d.message.as_str())));
    if !introduced.items.is_empty() {
        printer.diagnostics(&introduced, &after.sources)?;
        return fail(
            printer,
            &after.sources,
            command,
            "the edit would make the platform invalid".into(),
        );
    }
    let path = root.join(&before.project.versions);
    crate::output::atomic::write_atomic(&path, new_text.as_bytes())?;
    let v = &next.version;
    let mut shown = match (&v.canary, &v.preview) {
        (Some(c), _) => match &next.canary_cell {
            Some(cell) => format!(
                "stable {}, canary {} at {}% in cell {cell}",
                v.stable, c.tag, c.weight
            ),
            None => format!("stable {}, canary {} at {}%", v.stable, c.tag, c.weight),
        },
        (None, Some(p)) => format!("stable {}, preview {p}", v.stable),
        _ => format!("stable {}", v.stable),
    };
    if facts.strategy == "blue-green" {
        shown.push_str(&format!(" on {}", v.active.as_str()));
    }
    if let Some(p) = &v.previous {
        shown.push_str(&format!(
            ", previous {p} kept on {}",
            v.active.other().as_str()
        ));
    }
    let pins: Vec<String> = next.cells.iter().map(|(c, t)| format!("{c} {t}")).collect();
    let shown = match pins.is_empty() {
        true => shown,
        false => format!("{shown}; cells {}", pins.join(", ")),
    };
    printer.line(&format!("{service} in {env}: {shown}"))?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::{translate, untranslatable};

    /// Every (policy, policy) pair: the tag a promotion writes, or the refusal it prints.
    #[test]
    fn promotion_matrix() {
        let policies = [
            ("any", "build-42"),
            ("any", "1.3.0"),
            ("branch-sha-timestamp", "main-a1b2c3d-20251101143022"),
            ("staging-version", "staging-1.3.0"),
            ("semver", "v1.3.0"),
        ];
        let mut out = String::new();
        for (from_policy, tag) in policies {
            for to in ["any", "branch-sha-timestamp", "staging-version", "semver"] {
                out.push_str(&format!("{from_policy} `{tag}` → {to}: "));
                match translate(tag, to) {
                    Ok(t) => out.push_str(&format!("`{t}`\n")),
                    Err(why) => {
                        let (message, help) = untranslatable("svc", "a", "b", tag, to, &why);
                        out.push_str(&format!("refused\n  error: {message}\n  help: {help}\n"));
                    }
                }
            }
        }
        insta::assert_snapshot!(out);
    }

    #[test]
    fn translation() {
        assert_eq!(
            translate("staging-1.3.0", "semver").as_deref(),
            Ok("v1.3.0")
        );
        assert_eq!(
            translate("v1.3.0", "staging-version").as_deref(),
            Ok("staging-1.3.0")
        );
        assert!(translate("main-a1b2c3d-20250101000000", "semver").is_err());
        assert_eq!(translate("v1.3.0", "semver").as_deref(), Ok("v1.3.0"));
        assert_eq!(translate("v1.3", "any").as_deref(), Ok("v1.3"));
        assert!(translate("v1.3", "semver").is_err());
    }
}
