//! `set-image`, `promote` and `canary`: the commands that move versions.yaml. Each computes
//! the new entry, edits the text in place, re-validates the whole platform with the new
//! text, and writes only when the edit introduces no error.

use crate::cli::CanaryAction;
use crate::edit::{read_entry, write_entry};
use crate::error::Error;
use crate::load::yaml::Node;
use crate::merge::merge_platform;
use crate::model::{CanaryVersion, ImageVersion};
use crate::pipeline::{Frontend, run_frontend, run_frontend_with};
use crate::printer::Printer;
use crate::validate::rules::tag_matches;
use std::collections::BTreeSet;
use std::path::Path;

/// What an environment says about one service, read from the (possibly invalid) inputs.
struct Facts {
    policy: String,
    strategy: String,
    steps: Vec<u32>,
    current: Option<ImageVersion>,
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
        .ok_or_else(|| format!("`{env}` is not an environment"))?;
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
    Ok(Facts {
        policy: menv
            .node
            .get("imageTags")
            .and_then(Node::as_str)
            .unwrap_or("any")
            .to_owned(),
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
    })
}

fn check_tag(tag: &str, policy: &str, env: &str) -> Result<(), String> {
    if tag.eq_ignore_ascii_case("latest") {
        return Err("`latest` is refused: tags are immutable".into());
    }
    if !tag_matches(policy, tag) {
        return Err(format!(
            "tag `{tag}` breaks the `{policy}` policy of `{env}`"
        ));
    }
    Ok(())
}

/// `infrac set-image SERVICE TAG --env E`.
pub fn set_image(
    printer: &Printer,
    root: &Path,
    service: &str,
    tag: &str,
    env: &str,
) -> Result<u8, Error> {
    edit(printer, root, env, service, |f| {
        check_tag(tag, &f.policy, env)?;
        let mut next = f.current.clone().unwrap_or(ImageVersion {
            stable: String::new(),
            canary: None,
            preview: None,
        });
        next.stable = tag.to_owned();
        Ok(next)
    })
}

/// `infrac promote SERVICE --from A --to B [--tag T]`.
pub fn promote(
    printer: &Printer,
    root: &Path,
    service: &str,
    from: &str,
    to: &str,
    tag: Option<&str>,
) -> Result<u8, Error> {
    let frontend = run_frontend(root);
    let source = match facts(&frontend, service, from) {
        Ok(f) => f.current.map(|c| c.stable),
        Err(e) => return fail(printer, &e),
    };
    edit(printer, root, to, service, |f| {
        let tag = match tag {
            Some(t) => t.to_owned(),
            None => {
                let source = source
                    .clone()
                    .ok_or_else(|| format!("`{service}` has no tag in `{from}` to promote"))?;
                translate(&source, &f.policy).ok_or_else(|| format!("`{source}` from `{from}` has no form under the `{}` policy of `{to}`; pass --tag", f.policy))?
            }
        };
        check_tag(&tag, &f.policy, to)?;
        let mut next = f.current.clone().unwrap_or(ImageVersion {
            stable: String::new(),
            canary: None,
            preview: None,
        });
        next.stable = tag;
        Ok(next)
    })
}

/// The tag `source` becomes under `policy`: the same X.Y.Z version in the policy's spelling.
pub fn translate(source: &str, policy: &str) -> Option<String> {
    if tag_matches(policy, source) {
        return Some(source.to_owned());
    }
    let version = source
        .strip_prefix("staging-")
        .or_else(|| source.strip_prefix('v'))
        .filter(|v| tag_matches("semver", &format!("v{v}")))?;
    let tag = match policy {
        "semver" => format!("v{version}"),
        "staging-version" => format!("staging-{version}"),
        "any" => source.to_owned(),
        _ => return None,
    };
    Some(tag)
}

/// `infrac canary start|advance|abort|promote SERVICE --env E [--tag T]`.
pub fn canary(
    printer: &Printer,
    root: &Path,
    action: CanaryAction,
    service: &str,
    env: &str,
    tag: Option<&str>,
) -> Result<u8, Error> {
    edit(printer, root, env, service, |f| {
        let current = f.current.clone().ok_or_else(|| {
            format!("`{service}` has no stable tag in `{env}` yet: run `infrac set-image` first")
        })?;
        match f.strategy.as_str() {
            "canary" => canary_step(action, current, &f.steps, tag, &f.policy, env),
            "blue-green" => preview_step(action, current, tag, &f.policy, env),
            other => Err(format!(
                "`{service}` uses the `{other}` strategy in `{env}`; canary commands need `canary` or `blue-green`"
            )),
        }
    })
}

fn canary_step(
    action: CanaryAction,
    mut v: ImageVersion,
    steps: &[u32],
    tag: Option<&str>,
    policy: &str,
    env: &str,
) -> Result<ImageVersion, String> {
    match (action, &v.canary) {
        (CanaryAction::Start, Some(c)) => Err(format!(
            "a canary of `{}` is already in progress at {}%",
            c.tag, c.weight
        )),
        (CanaryAction::Start, None) => {
            let tag = tag.ok_or("`canary start` needs --tag")?;
            check_tag(tag, policy, env)?;
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
            preview: v.preview,
        }),
    }
}

fn preview_step(
    action: CanaryAction,
    mut v: ImageVersion,
    tag: Option<&str>,
    policy: &str,
    env: &str,
) -> Result<ImageVersion, String> {
    match (action, &v.preview) {
        (CanaryAction::Start, Some(p)) => Err(format!("a preview of `{p}` is already deployed")),
        (CanaryAction::Start, None) => {
            let tag = tag.ok_or("`canary start` needs --tag")?;
            check_tag(tag, policy, env)?;
            v.preview = Some(tag.to_owned());
            Ok(v)
        }
        (CanaryAction::Advance, _) => Err("blue-green has no steps: `promote` switches the active Service, `abort` drops the preview".into()),
        (_, None) => Err("no preview is deployed".into()),
        (CanaryAction::Abort, Some(_)) => {
            v.preview = None;
            Ok(v)
        }
        (CanaryAction::Promote, Some(p)) => Ok(ImageVersion { stable: p.clone(), canary: None, preview: None }),
    }
}

fn fail(printer: &Printer, message: &str) -> Result<u8, Error> {
    printer.error(&format!("{message}; versions.yaml is unchanged"));
    Ok(1)
}

/// Computes the new entry with `change`, edits the text, re-validates, writes.
fn edit(
    printer: &Printer,
    root: &Path,
    env: &str,
    service: &str,
    change: impl FnOnce(&Facts) -> Result<ImageVersion, String>,
) -> Result<u8, Error> {
    let before = run_frontend(root);
    let facts = match facts(&before, service, env) {
        Ok(f) => f,
        Err(e) => return fail(printer, &e),
    };
    let Some(versions) = before.inputs.versions.as_ref() else {
        printer.diagnostics(&before.diagnostics, &before.sources)?;
        return fail(printer, "versions.yaml could not be read");
    };
    let next = match change(&facts) {
        Ok(n) => n,
        Err(e) => return fail(printer, &e),
    };
    let text = before.sources.text(versions.file).to_owned();
    let new_text = match write_entry(&text, &versions.node, env, service, &next) {
        Ok(t) => t,
        Err(e) => return fail(printer, &e),
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
        return fail(printer, "the edit would make the platform invalid");
    }
    let path = root.join(&before.project.versions);
    crate::output::atomic::write_atomic(&path, new_text.as_bytes())?;
    let shown = match (&next.canary, &next.preview) {
        (Some(c), _) => format!("stable {}, canary {} at {}%", next.stable, c.tag, c.weight),
        (None, Some(p)) => format!("stable {}, preview {p}", next.stable),
        _ => format!("stable {}", next.stable),
    };
    printer.line(&format!("{service} in {env}: {shown}"))?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::translate;

    #[test]
    fn translation() {
        assert_eq!(
            translate("staging-1.3.0", "semver").as_deref(),
            Some("v1.3.0")
        );
        assert_eq!(
            translate("v1.3.0", "staging-version").as_deref(),
            Some("staging-1.3.0")
        );
        assert_eq!(translate("main-a1b2c3d-20250101000000", "semver"), None);
        assert_eq!(translate("v1.3.0", "semver").as_deref(), Some("v1.3.0"));
    }
}
