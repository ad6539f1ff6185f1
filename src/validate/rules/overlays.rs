//! Names that must refer to something: overlay services, promotion sources, versions.yaml
//! environments and services.

use super::RuleCtx;
use crate::diagnostic::{Code, Diagnostic, did_you_mean};

pub fn check(ctx: &RuleCtx) -> Vec<Diagnostic> {
    let services = ctx.service_names();
    let known: std::collections::BTreeSet<&str> = services.iter().copied().collect();
    let envs = ctx.environment_names();
    let (check_services, check_envs) = (ctx.services_readable(), ctx.environments_readable);
    let mut out = Vec::new();
    for env in &ctx.spec.environments {
        for name in env.spec.services.get().map_or(&[][..], |k| &k.0) {
            if check_services && !known.contains(name.as_str()) {
                out.push(unknown_service(
                    name.as_str(),
                    name.pos,
                    &services,
                    &format!("environments/{}.yaml", env.name),
                ));
            }
        }
        if let Some(from) = promotion_from(env)
            && check_envs
            && !envs.contains(&from.as_str())
        {
            out.push(unknown_env(from.as_str(), from.pos, &envs));
        }
    }
    out.extend(promotion_cycles(ctx));
    let Some(by_env) = ctx
        .spec
        .versions
        .as_ref()
        .and_then(|v| v.spec.environments.get())
    else {
        return out;
    };
    for (env, entry) in by_env {
        if check_envs && !envs.contains(&env.as_str()) {
            out.push(unknown_env(env.as_str(), env.pos, &envs));
        }
        for name in entry.get().into_iter().flat_map(|m| m.keys()) {
            if check_services && !known.contains(name.as_str()) {
                out.push(unknown_service(
                    name.as_str(),
                    name.pos,
                    &services,
                    "the registry",
                ));
            }
        }
    }
    out
}

/// `promotion.from` of an environment, when readable.
fn promotion_from(env: &crate::spec::SpecEnv) -> Option<&crate::spec::Spanned<String>> {
    env.spec.promotion.get()?.from.spanned()
}

fn unknown_service(
    name: &str,
    pos: crate::load::yaml::Pos,
    services: &[&str],
    place: &str,
) -> Diagnostic {
    let mut d = Diagnostic::error(
        Code::UnknownService,
        pos,
        format!("`{name}` is not a service of the registry"),
    )
    .with_label(format!("named in {place}"));
    if let Some(s) = did_you_mean(name, services.iter().copied()) {
        d = d.with_help(format!("did you mean `{s}`?"));
    } else {
        d = d.with_help("declare it under `services:` in registry.yaml, or remove this entry");
    }
    d
}

fn unknown_env(name: &str, pos: crate::load::yaml::Pos, envs: &[&str]) -> Diagnostic {
    let mut d = Diagnostic::error(
        Code::UnknownEnvironment,
        pos,
        format!("`{name}` is not an environment (no environments/{name}.yaml)"),
    );
    if let Some(s) = did_you_mean(name, envs.iter().copied()) {
        d = d.with_help(format!("did you mean `{s}`?"));
    }
    d
}

fn promotion_cycles(ctx: &RuleCtx) -> Vec<Diagnostic> {
    let from_of = |name: &str| -> Option<(&str, crate::load::yaml::Pos)> {
        let env = ctx.spec.environments.iter().find(|e| e.name == name)?;
        let from = promotion_from(env)?;
        Some((from.as_str(), from.pos))
    };
    let mut out = Vec::new();
    for env in &ctx.spec.environments {
        let mut seen = vec![env.name.as_str()];
        let mut current = env.name.as_str();
        while let Some((from, pos)) = from_of(current) {
            if from == env.name {
                seen.push(from);
                // Report once, at the environment whose name sorts first in the cycle.
                if seen.iter().min() == Some(&env.name.as_str()) {
                    let first_pos = from_of(&env.name).map_or(pos, |(_, p)| p);
                    out.push(
                        Diagnostic::error(
                            Code::PromotionCycle,
                            first_pos,
                            format!("promotion cycle: {}", seen.join(" ← ")),
                        )
                        .with_help("one environment of the chain must have no `promotion.from`"),
                    );
                }
                break;
            }
            if seen.contains(&from) {
                break;
            }
            seen.push(from);
            current = from;
        }
    }
    out
}
