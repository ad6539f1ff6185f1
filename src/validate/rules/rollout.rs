//! Rollout settings: canary steps strictly increasing and ending at 100; a canary strategy
//! has its canary block; backing resources carry only the fields of their type.

use super::{RuleCtx, int};
use crate::diagnostic::{Code, Diagnostic};
use crate::load::yaml::Node;
use crate::merge::MergedService;

pub fn check(ctx: &RuleCtx) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let envs = ctx
        .merged
        .environments
        .iter()
        .flat_map(|e| e.services.values());
    for service in ctx.merged.registry_services.values().chain(envs) {
        out.extend(check_canary(service));
        out.extend(check_infra_fields(service));
    }
    out
}

fn check_canary(service: &MergedService) -> Vec<Diagnostic> {
    let Some(rollout) = service.node.get("rollout") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(steps) = rollout
        .get("canary")
        .and_then(|c| c.get("steps"))
        .and_then(Node::as_seq)
    {
        let values: Vec<(i64, &Node)> = steps
            .iter()
            .filter_map(|s| Some((int(Some(s))?, s)))
            .collect();
        for pair in values.windows(2) {
            if pair[1].0 <= pair[0].0 {
                out.push(
                    Diagnostic::error(Code::CanarySteps, pair[1].1.pos, format!("canary step {} of `{}` does not increase on {}", pair[1].0, service.name, pair[0].0))
                        .with_help("steps are traffic percentages in strictly increasing order, e.g. [10, 25, 50, 100]"),
                );
            }
        }
        if let Some((last, node)) = values.last()
            && *last != 100
        {
            out.push(
                Diagnostic::error(
                    Code::CanarySteps,
                    node.pos,
                    format!(
                        "the canary steps of `{}` end at {last}, not 100",
                        service.name
                    ),
                )
                .with_help("end the steps with 100: the last step sends all traffic to the canary"),
            );
        }
    }
    if let Some(strategy) = rollout.get("strategy")
        && strategy.as_str() == Some("canary")
        && rollout.get("canary").and_then(|c| c.get("steps")).is_none()
    {
        out.push(
            Diagnostic::error(
                Code::MissingCanary,
                strategy.pos,
                format!(
                    "`{}` uses the canary strategy without `rollout.canary.steps`",
                    service.name
                ),
            )
            .with_help("add `canary: {steps: [10, 25, 50, 100], interval: 30m}` under `rollout`"),
        );
    }
    out
}

fn check_infra_fields(service: &MergedService) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (name, entry) in service
        .node
        .get("infra")
        .and_then(Node::as_map)
        .into_iter()
        .flatten()
    {
        let Some(kind) = entry.value.get("type").and_then(Node::as_str) else {
            continue;
        };
        for (field, owner) in [
            ("topics", "kafka"),
            ("exchanges", "rabbitmq"),
            ("brokers", "kafka"),
            ("nodes", "elasticsearch"),
        ] {
            if let Some(e) = entry.value.entry(field)
                && kind != owner
            {
                out.push(
                    Diagnostic::error(
                        Code::InfraField,
                        e.key_pos,
                        format!("`{field}` does not apply to `{name}`, a {kind} resource"),
                    )
                    .with_help(format!(
                        "`{field}` is for {owner} resources; remove it here"
                    )),
                );
            }
        }
    }
    out
}
