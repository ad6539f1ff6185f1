//! Rollout settings: canary steps strictly increasing and ending at 100; a canary strategy
//! has its canary block; backing resources carry only the fields of their type.

use super::{RuleCtx, items};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::Strategy;
use crate::spec::SpecService;

pub fn check(ctx: &RuleCtx) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for service in ctx.every_service() {
        out.extend(check_canary(service));
        out.extend(check_infra_fields(service));
    }
    out
}

fn check_canary(service: &SpecService) -> Vec<Diagnostic> {
    let Some(rollout) = service.layer.rollout.get() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let canary = rollout.canary.get();
    if let Some(steps) = canary.map(|c| &c.steps)
        && steps.get().is_some()
    {
        let values: Vec<(u32, crate::load::yaml::Pos)> =
            items(steps).map(|(v, pos)| (*v, pos)).collect();
        for pair in values.windows(2) {
            if pair[1].0 <= pair[0].0 {
                out.push(
                    Diagnostic::error(Code::CanarySteps, pair[1].1, format!("canary step {} of `{}` does not increase on {}", pair[1].0, service.name, pair[0].0))
                        .with_help("steps are traffic percentages in strictly increasing order, e.g. [10, 25, 50, 100]"),
                );
            }
        }
        if let Some((last, pos)) = values.last()
            && *last != 100
        {
            out.push(
                Diagnostic::error(
                    Code::CanarySteps,
                    *pos,
                    format!(
                        "the canary steps of `{}` end at {last}, not 100",
                        service.name
                    ),
                )
                .with_help("end the steps with 100: the last step sends all traffic to the canary"),
            );
        }
    }
    if let Some(strategy) = rollout.strategy.spanned()
        && strategy.value == Strategy::Canary
        && !canary.is_some_and(|c| c.steps.is_present())
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

fn check_infra_fields(service: &SpecService) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (name, entry) in service.layer.infra.get().into_iter().flatten() {
        let Some(entry) = entry.get() else { continue };
        let Some(kind) = entry.kind.get() else {
            continue;
        };
        let kind = kind.as_str();
        for (field, key_pos, owner) in [
            ("topics", entry.topics.key_pos(), "kafka"),
            ("exchanges", entry.exchanges.key_pos(), "rabbitmq"),
            ("brokers", entry.brokers.key_pos(), "kafka"),
            ("nodes", entry.nodes.key_pos(), "elasticsearch"),
        ] {
            if let Some(key_pos) = key_pos
                && kind != owner
            {
                out.push(
                    Diagnostic::error(
                        Code::InfraField,
                        key_pos,
                        format!(
                            "`{field}` does not apply to `{}`, a {kind} resource",
                            name.as_str()
                        ),
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
