//! Change policies: what in a pull request needs a second look, found by comparing the
//! resolved model at the base revision with the working tree's (SPEC "The plan of a pull
//! request"). Each finding has a [`Code`]; `check --base` fails on one unless the head
//! commit's message allows it (`Infrac-Allow: CODE[, CODE…]`).
//!
//! Pure functions over two [`Model`]s; nothing here reads git.

use serde::Serialize;

use crate::diagnostic::Code;
use crate::model::{Approval, Environment, InfraType, Model};

/// One policy a change trips.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    #[serde(serialize_with = "code_name")]
    pub code: Code,
    /// What changed: `payment-service in prod: replicas.min 10 → 4`.
    pub message: String,
    /// How to go ahead.
    pub help: String,
}

fn code_name<S: serde::Serializer>(code: &Code, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(code.as_str())
}

/// Backing resources whose removal destroys data (a cache is rebuilt, these are not).
fn stateful(kind: InfraType) -> bool {
    !matches!(kind, InfraType::Redis)
}

fn approval_required(env: &Environment) -> bool {
    env.promotion
        .as_ref()
        .is_some_and(|p| p.approval == Approval::Required)
}

fn allow(code: Code) -> String {
    let name = code.as_str().trim_start_matches("infrac::");
    format!(
        "if intended, add `Infrac-Allow: {name}` to the commit message; `infrac explain-code {name}` says more"
    )
}

/// Every policy the change from `base` to `head` trips, in environment order.
pub fn check(base: &Model, head: &Model) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut removed: std::collections::BTreeMap<(String, String), (String, Vec<String>)> =
        Default::default();
    for new_env in &head.environments {
        let Some(old_env) = base.environment(&new_env.name) else {
            continue;
        };
        let env = &new_env.name;
        for (name, old) in &old_env.services {
            let new = new_env.services.get(name);
            if approval_required(new_env) && new.is_none() {
                let how = if new_env.disabled.contains(name) {
                    "disabled"
                } else {
                    "removed"
                };
                out.push(Finding {
                    code: Code::ServiceDisabled,
                    message: format!("{name} is {how} in {env}, whose promotion needs approval"),
                    help: allow(Code::ServiceDisabled),
                });
            }
            for (key, infra) in old.infra.iter().filter(|(_, i)| stateful(i.kind)) {
                let kept = new.and_then(|s| s.infra.get(key)).map(|i| i.kind);
                if kept != Some(infra.kind) {
                    let entry = removed
                        .entry((name.clone(), key.clone()))
                        .or_insert_with(|| (infra.kind.as_str().to_owned(), Vec::new()));
                    entry.1.push(env.clone());
                }
            }
            let Some(new) = new else { continue };
            if approval_required(new_env) && new.replicas.min * 2 < old.replicas.min {
                out.push(Finding {
                    code: Code::ReplicaMinimumDrop,
                    message: format!(
                        "{name} in {env}: replicas.min {} → {} (more than half), in an environment whose promotion needs approval",
                        old.replicas.min, new.replicas.min
                    ),
                    help: allow(Code::ReplicaMinimumDrop),
                });
            }
            canary_jump(env, name, old, new, &mut out);
            tag_backwards(env, name, old, new, &mut out);
        }
    }
    for ((service, key), (kind, envs)) in removed {
        out.push(Finding {
            code: Code::StatefulResourceRemoved,
            message: format!(
                "{service}.infra.{key} ({kind}) is removed or renamed in {}: Terraform destroys it and its data",
                envs.join(", ")
            ),
            help: allow(Code::StatefulResourceRemoved),
        });
    }
    out
}

fn canary_jump(
    env: &str,
    name: &str,
    old: &crate::model::Service,
    new: &crate::model::Service,
    out: &mut Vec<Finding>,
) {
    let weight = |s: &crate::model::Service| {
        s.version
            .as_ref()
            .and_then(|v| v.canary.as_ref())
            .map_or(0, |c| c.weight)
    };
    let (from, to) = (weight(old), weight(new));
    let Some(canary) = new.rollout.canary.as_ref() else {
        return;
    };
    let next = canary.steps.iter().copied().filter(|s| *s > from).min();
    if let Some(next) = next
        && to > next
    {
        out.push(Finding {
            code: Code::CanaryWeightJump,
            message: format!(
                "{name} in {env}: canary weight {from}% → {to}%, past the next step {next}% (steps {:?})",
                canary.steps
            ),
            help: allow(Code::CanaryWeightJump),
        });
    }
}

fn tag_backwards(
    env: &str,
    name: &str,
    old: &crate::model::Service,
    new: &crate::model::Service,
    out: &mut Vec<Finding>,
) {
    let (Some(old_v), Some(new_v)) = (&old.version, &new.version) else {
        return;
    };
    let (Some(a), Some(b)) = (tag_order(&old_v.stable), tag_order(&new_v.stable)) else {
        return;
    };
    if b < a {
        out.push(Finding {
            code: Code::ImageTagBackwards,
            message: format!(
                "{name} in {env}: stable tag {} → {}, an older version",
                old_v.stable, new_v.stable
            ),
            help: allow(Code::ImageTagBackwards),
        });
    }
}

/// What orders a tag: the 14-digit timestamp that ends a branch-sha-timestamp tag
/// (`main-8d7c6b5-20251025142208`), else its last run of dotted numbers (`v1.4.0`,
/// `staging-1.0.2` → `[1, 4, 0]`); `None` for a tag with neither.
pub fn tag_order(tag: &str) -> Option<Vec<u64>> {
    if let Some((_, ts)) = tag.rsplit_once('-')
        && ts.len() == 14
        && ts.bytes().all(|b| b.is_ascii_digit())
    {
        return Some(vec![ts.parse().ok()?]);
    }
    let start = tag.find(|c: char| c.is_ascii_digit())?;
    let version: String = tag[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    version
        .split('.')
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().ok())
        .collect()
}

/// The codes an `Infrac-Allow: CODE[, CODE…]` trailer of `message` allows (with or without
/// the `infrac::` prefix, any case of the key).
pub fn allowed_codes(message: &str) -> Vec<String> {
    message
        .lines()
        .filter_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case("infrac-allow")
                .then_some(value)
        })
        .flat_map(|v| v.split(','))
        .map(|c| {
            let c = c.trim();
            if c.starts_with("infrac::") {
                c.to_owned()
            } else {
                format!("infrac::{c}")
            }
        })
        .filter(|c| c != "infrac::")
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_order_by_version_or_timestamp() {
        assert!(tag_order("v1.3.0") < tag_order("v1.4.0"));
        assert!(tag_order("v1.10.0") > tag_order("v1.9.9"));
        assert!(tag_order("staging-1.0.2") < tag_order("staging-1.0.10"));
        assert!(
            tag_order("main-8d7c6b5-20251025142208") > tag_order("main-1234abc-20251024000000")
        );
        assert_eq!(tag_order("latest"), None);
    }

    #[test]
    fn allow_trailers() {
        let msg = "Roll back payments\n\nInfrac-Allow: image-tag-backwards, infrac::service-disabled\ninfrac-allow: canary-weight-jump\n";
        assert_eq!(
            allowed_codes(msg),
            [
                "infrac::image-tag-backwards",
                "infrac::service-disabled",
                "infrac::canary-weight-jump"
            ]
        );
    }
}
