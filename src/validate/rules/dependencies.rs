//! The dependency graph: every dependency names a registry service, enabled wherever the
//! dependent is, and the graph has no cycle.

use super::{RuleCtx, items};
use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::load::yaml::Pos;
use crate::spec::SpecService;
use std::collections::BTreeMap;

/// The readable dependency names of a service, with their positions.
fn deps(service: &SpecService) -> Vec<(&str, Pos)> {
    items(&service.layer.dependencies)
        .map(|(name, pos)| (name.as_str(), pos))
        .collect()
}

pub fn check(ctx: &RuleCtx) -> Vec<Diagnostic> {
    let names = ctx.service_names();
    let known: std::collections::BTreeSet<&str> = names.iter().copied().collect();
    let mut out = Vec::new();
    let mut scopes: Vec<(
        Option<&crate::spec::SpecEnv>,
        &BTreeMap<String, SpecService>,
    )> = vec![(None, &ctx.spec.registry_services)];
    scopes.extend(ctx.spec.environments.iter().map(|e| (Some(e), &e.services)));
    for (env, services) in scopes {
        for service in services.values() {
            for (dep, pos) in deps(service) {
                if !known.contains(dep) {
                    let mut d = Diagnostic::error(
                        Code::UnknownDependency,
                        pos,
                        format!(
                            "`{}` depends on `{dep}`, which the registry does not declare",
                            service.name
                        ),
                    )
                    .with_label("unknown service");
                    if let Some(s) = did_you_mean(dep, names.iter().copied()) {
                        d = d.with_help(format!("did you mean `{s}`?"));
                    }
                    out.push(d);
                } else if dep == service.name {
                    out.push(Diagnostic::error(
                        Code::DependencyCycle,
                        pos,
                        format!("`{dep}` depends on itself"),
                    ));
                }
            }
        }
        out.extend(cycles(services));
        if let Some(env) = env {
            let env_name = &env.name;
            for service in services.values() {
                for (dep, pos) in deps(service) {
                    if env.disabled.contains_key(dep) {
                        out.push(
                            Diagnostic::error(Code::DisabledDependency, pos, format!("`{}` depends on `{dep}`, which is disabled in environment `{env_name}`", service.name))
                                .with_help(format!("enable `{dep}` in environments/{env_name}.yaml, disable `{}` there too, or drop the dependency there", service.name)),
                        );
                    }
                }
            }
        }
    }
    out
}

/// One diagnostic per cycle, at the dependency entry that closes it.
fn cycles(services: &BTreeMap<String, SpecService>) -> Vec<Diagnostic> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut marks: BTreeMap<&str, Mark> =
        services.keys().map(|k| (k.as_str(), Mark::New)).collect();
    let mut out = Vec::new();
    for start in services.keys() {
        if marks[start.as_str()] != Mark::New {
            continue;
        }
        // Iterative DFS: (service, next dependency index); `path` is the active chain.
        let mut stack: Vec<(&str, usize)> = vec![(start.as_str(), 0)];
        marks.insert(start, Mark::Active);
        while let Some((name, i)) = stack.pop() {
            let deps = deps(&services[name]);
            if i >= deps.len() {
                marks.insert(name, Mark::Done);
                continue;
            }
            stack.push((name, i + 1));
            let (dep, pos) = deps[i];
            match marks.get(dep) {
                Some(Mark::New) => {
                    marks.insert(dep, Mark::Active);
                    stack.push((dep, 0));
                }
                Some(Mark::Active) if dep != name => {
                    let from = stack.iter().position(|(n, _)| *n == dep).unwrap_or(0);
                    let mut chain: Vec<&str> = stack[from..].iter().map(|(n, _)| *n).collect();
                    chain.push(dep);
                    out.push(
                        Diagnostic::error(Code::DependencyCycle, pos, format!("dependency cycle: {}", chain.join(" → ")))
                            .with_label("closes the cycle")
                            .with_help("dependencies must form a directed acyclic graph: remove one edge of the cycle"),
                    );
                }
                _ => {}
            }
        }
    }
    out
}
