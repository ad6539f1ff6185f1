//! versions.yaml against the environments: a tag for every enabled service, each tag within
//! its environment's policy, never `latest`, canary and preview entries (and the blue-green `active` and `previous`)
//! only where the strategy has them.

use super::RuleCtx;
use crate::diagnostic::{Code, Diagnostic};
use crate::load::yaml::Pos;
use crate::spec::{Field, SpecEnv, VersionEntry, defaults};

pub fn check(ctx: &RuleCtx) -> Vec<Diagnostic> {
    let Some(versions) = &ctx.spec.versions else {
        return Vec::new();
    };
    let Some(by_env) = versions.spec.environments.spanned() else {
        return Vec::new(); // the schema reports a missing or malformed `environments:`
    };
    let mut out = Vec::new();
    for env in &ctx.spec.environments {
        let entry = by_env.value.get_key_value(env.name.as_str());
        let tags = entry.and_then(|(_, e)| e.get());
        let policy = env
            .spec
            .image_tags
            .get()
            .copied()
            .unwrap_or(defaults::IMAGE_TAGS)
            .as_str();
        for name in env.services.keys() {
            match tags.and_then(|t| t.get(name.as_str())) {
                Some(tag) => out.extend(check_entry(env, name, tag, policy)),
                None => {
                    let pos = entry.map_or(by_env.key_pos, |(key, _)| key.pos);
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
        for name in tags.into_iter().flat_map(|t| t.keys()) {
            if env.disabled.contains_key(name.as_str()) {
                out.push(
                    Diagnostic::warning(
                        Code::DisabledTag,
                        name.pos,
                        format!(
                            "`{}` is disabled in `{}`; its tag is ignored",
                            name.as_str(),
                            env.name
                        ),
                    )
                    .with_help("remove the entry, or enable the service there"),
                );
            }
        }
    }
    out
}

fn check_entry(
    env: &SpecEnv,
    name: &str,
    entry: &Field<VersionEntry>,
    policy: &str,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let strategy = env.services[name]
        .layer
        .rollout
        .get()
        .and_then(|r| r.strategy.get())
        .copied()
        .unwrap_or(defaults::STRATEGY)
        .as_str();
    let mut tags: Vec<(&str, Pos)> = Vec::new();
    match entry {
        Field::Set(tag) => match &tag.value {
            VersionEntry::Tag(text) => tags.push((text, tag.pos)),
            VersionEntry::Split(split) => {
                tags.extend(split.stable.spanned().map(|t| (t.value.0.as_str(), t.pos)));
                if let Some(key_pos) = split.canary.key_pos() {
                    let tag = split.canary.get().and_then(|c| c.tag.spanned());
                    tags.extend(tag.map(|t| (t.value.0.as_str(), t.pos)));
                    if strategy != "canary" {
                        out.push(wrong_strategy(
                            env, name, key_pos, "a canary", "canary", strategy,
                        ));
                    }
                }
                let blue_green = [
                    (split.preview.key_pos(), "a preview"),
                    (split.active.key_pos(), "an active colour"),
                    (split.previous.key_pos(), "a previous version"),
                ];
                for (key_pos, what) in blue_green {
                    if let Some(key_pos) = key_pos
                        && strategy != "blue-green"
                    {
                        out.push(wrong_strategy(
                            env,
                            name,
                            key_pos,
                            what,
                            "blue-green",
                            strategy,
                        ));
                    }
                }
                if let (Some(_), Some(previous)) =
                    (split.preview.key_pos(), split.previous.key_pos())
                {
                    out.push(
                        Diagnostic::error(
                            Code::Schema,
                            previous,
                            format!(
                                "`{name}` in `{}` holds both a preview and a previous version, which both run in the colour that is not active",
                                env.name
                            ),
                        )
                        .with_help("a preview replaces the previous version: delete `previous`"),
                    );
                }
                for field in [&split.preview, &split.previous] {
                    tags.extend(field.spanned().map(|t| (t.value.0.as_str(), t.pos)));
                }
                // Each cell's pin follows the environment's policy too.
                let pins = split.cells.get().into_iter().flat_map(|p| p.values());
                tags.extend(pins.filter_map(|t| t.spanned().map(|t| (t.value.0.as_str(), t.pos))));
            }
        },
        Field::Absent | Field::Invalid(_) => {}
    }
    for (text, pos) in tags {
        out.extend(check_tag(env, name, text, pos, policy));
    }
    out
}

fn wrong_strategy(
    env: &SpecEnv,
    name: &str,
    pos: Pos,
    what: &str,
    wanted: &str,
    strategy: &str,
) -> Diagnostic {
    Diagnostic::error(Code::CanaryWithoutStrategy, pos, format!("versions.yaml holds {what} for `{name}` in `{}`, but its rollout strategy there is `{strategy}`", env.name))
        .with_help(format!("set `rollout.strategy: {wanted}` for `{name}` in `{}`, or keep only the stable tag", env.name))
}

fn check_tag(env: &SpecEnv, name: &str, tag: &str, pos: Pos, policy: &str) -> Option<Diagnostic> {
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
