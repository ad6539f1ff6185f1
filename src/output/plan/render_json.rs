//! The plan for machines: one JSON object with stable key order (summary, counts, groups, then
//! files with their resources, field changes and unified diff). File contents are not included.
//!
//! A pure function of the [`Plan`].

use serde::Serialize;

use super::{Counts, FileChange, GroupCounts, Plan};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonPlan<'a> {
    summary: String,
    has_changes: bool,
    policies: &'a [super::policies::Finding],
    totals: Counts,
    resource_totals: Counts,
    drift: usize,
    groups: &'a [GroupCounts],
    files: &'a [FileChange],
}

/// Renders the plan as pretty-printed JSON with a trailing newline.
pub fn render_json(plan: &Plan) -> String {
    let view = JsonPlan {
        summary: plan.summary_line(),
        has_changes: plan.has_changes(),
        policies: &plan.policies,
        totals: plan.totals,
        resource_totals: plan.resource_totals,
        drift: plan.drift,
        groups: &plan.groups,
        files: &plan.files,
    };
    let mut text =
        serde_json::to_string_pretty(&view).expect("a plan serialises to JSON: plain data only");
    text.push('\n');
    text
}
