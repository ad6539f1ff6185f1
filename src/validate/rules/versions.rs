//! versions.yaml against the environments: a tag for every enabled service, each tag within
//! its environment's policy, never `latest`, canary and preview entries only where the
//! strategy has them.

use super::RuleCtx;
use crate::diagnostic::{Code, Diagnostic, Sources};
use crate::load::yaml::{Node, Pos, Value};
use crate::merge::MergedEnv;

pub fn check(ctx: &RuleCtx) -> Vec<Diagnostic> {
    let Some(versions) = ctx.versions else {
        return Vec::new();
    };
    let Some(by_env) = versions.get("environments").and_then(Node::as_map) else {
        return Vec::new(); // the schema reports a missing or malformed `environments:`
    };
    let by_env = Some(by_env);
    let mut out = Vec::new();
    for env in &ctx.merged.environments {
        let entry = by_env.and_then(|m| m.get(&env.name));
        let tags = entry.and_then(|e| e.value.as_map());
        let policy = env
            .node
            .get("imageTags")
            .and_then(Node::as_str)
            .unwrap_or("any");
        for name in env.services.keys() {
            match tags.and_then(|t| t.get(name)) {
                Some(tag) => out.extend(check_entry(env, name, &tag.value, policy)),
                None => {
                    let pos = entry.map_or_else(|| by_env_pos(versions), |e| e.key_pos);
                    out.push(
                        Diagnostic::error(
                            Code::MissingTag,
                            pos,
                            format!(
                                "`{name}` is enabled in `{}` but has no image tag there",
                                env.name
                            ),
                        )
                        .with_help(format!(
                            "run `infrac set-image {name} <tag> --env {}`",
                            env.name
                        )),
                    );
                }
            }
        }
        for (name, tag) in tags.into_iter().flatten() {
            if env.disabled.contains_key(name) {
                out.push(
                    Diagnostic::warning(
                        Code::DisabledTag,
                        tag.key_pos,
                        format!("`{name}` is disabled in `{}`; its tag is ignored", env.name),
                    )
                    .with_help("remove the entry, or enable the service there"),
                );
            }
        }
    }
    out
}

fn by_env_pos(versions: &Node) -> Pos {
    versions
        .entry("environments")
        .map_or(Sources::file_pos(versions.pos.file), |e| e.key_pos)
}

fn check_entry(env: &MergedEnv, name: &str, entry: &Node, policy: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let strategy = env.services[name]
        .node
        .get("rollout")
        .and_then(|r| r.get("strategy"))
        .and_then(Node::as_str)
        .unwrap_or("rolling");
    let mut tags: Vec<&Node> = Vec::new();
    match &entry.value {
        Value::Str(_) => tags.push(entry),
        Value::Map(_) => {
            tags.extend(entry.get("stable"));
            if let Some(canary) = entry.entry("canary") {
                tags.extend(canary.value.get("tag"));
                if strategy != "canary" {
                    out.push(wrong_strategy(
                        env,
                        name,
                        canary.key_pos,
                        "a canary",
                        "canary",
                        strategy,
                    ));
                }
            }
            if let Some(preview) = entry.entry("preview") {
                tags.push(&preview.value);
                if strategy != "blue-green" {
                    out.push(wrong_strategy(
                        env,
                        name,
                        preview.key_pos,
                        "a preview",
                        "blue-green",
                        strategy,
                    ));
                }
            }
        }
        _ => {}
    }
    for tag in tags {
        if let Some(text) = tag.as_str() {
            out.extend(check_tag(env, name, text, tag.pos, policy));
        }
    }
    out
}

fn wrong_strategy(
    env: &MergedEnv,
    name: &str,
    pos: Pos,
    what: &str,
    wanted: &str,
    strategy: &str,
) -> Diagnostic {
    Diagnostic::error(Code::CanaryWithoutStrategy, pos, format!("versions.yaml holds {what} for `{name}` in `{}`, but its rollout strategy there is `{strategy}`", env.name))
        .with_help(format!("set `rollout.strategy: {wanted}` for `{name}` in `{}`, or keep only the stable tag", env.name))
}

fn check_tag(env: &MergedEnv, name: &str, tag: &str, pos: Pos, policy: &str) -> Option<Diagnostic> {
    if tag.eq_ignore_ascii_case("latest") {
        return Some(
            Diagnostic::error(
                Code::LatestTag,
                pos,
                format!("`{name}` in `{}` uses the tag `latest`", env.name),
            )
            .with_help("tags are immutable: use the tag CI pushed for this build"),
        );
    }
    if tag_matches(policy, tag) {
        return None;
    }
    let example = match policy {
        "branch-sha-timestamp" => "main-a1b2c3d-20250823143022",
        "staging-version" => "staging-1.4.0",
        "semver" => "v1.4.0",
        _ => "any tag",
    };
    Some(
        Diagnostic::error(Code::TagPolicy, pos, format!("tag `{tag}` of `{name}` breaks the `{policy}` policy of `{}`", env.name))
            .with_label(format!("expected like `{example}`"))
            .with_help(format!("use a tag like `{example}`, or `infrac promote {name} --from <env> --to {}` to translate one", env.name)),
    )
}

/// Whether `tag` satisfies the `imageTags` policy `policy`.
pub fn tag_matches(policy: &str, tag: &str) -> bool {
    match policy {
        "branch-sha-timestamp" => {
            let parts: Vec<&str> = tag.rsplitn(3, '-').collect();
            parts.len() == 3
                && parts[0].len() == 14
                && parts[0].bytes().all(|b| b.is_ascii_digit())
                && parts[1].len() == 7
                && parts[1]
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                && !parts[2].is_empty()
        }
        "staging-version" => tag.strip_prefix("staging-").is_some_and(is_xyz),
        "semver" => tag.strip_prefix('v').is_some_and(is_xyz),
        _ => true,
    }
}

fn is_xyz(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::tag_matches;

    #[test]
    fn policies() {
        assert!(tag_matches(
            "branch-sha-timestamp",
            "main-a1b2c3d-20250823143022"
        ));
        assert!(tag_matches(
            "branch-sha-timestamp",
            "feature-x-a1b2c3d-20250823143022"
        ));
        assert!(!tag_matches(
            "branch-sha-timestamp",
            "main-a1b2c3-20250823143022"
        ));
        assert!(tag_matches("staging-version", "staging-1.3.0"));
        assert!(!tag_matches("staging-version", "staging-1.3"));
        assert!(tag_matches("semver", "v1.4.0"));
        assert!(!tag_matches("semver", "1.4.0"));
        assert!(tag_matches("any", "whatever"));
    }
}
