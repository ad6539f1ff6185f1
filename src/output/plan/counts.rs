//! Add / change / remove counts for a plan: overall, per resource, and per environment ×
//! target. Pure bookkeeping over the file changes `plan` computed.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{FileAction, FileChange, Plan, ResourceAction};
use crate::artifact::Target;

/// Add / change / remove counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub add: usize,
    pub change: usize,
    pub remove: usize,
}

impl Counts {
    pub fn total(&self) -> usize {
        self.add + self.change + self.remove
    }
}

/// Counts for one environment (or one cell of it) × target: `environment: None` = shared
/// files; `cell: None` = the environment's own files, which reach each cell sharing them;
/// `target: None` = infrac's build lock, on a row of its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupCounts {
    pub environment: Option<String>,
    pub cell: Option<String>,
    pub target: Option<Target>,
    pub files: Counts,
    pub resources: Counts,
    pub drift: usize,
}

pub(super) fn tally(files: Vec<FileChange>) -> Plan {
    let mut totals = Counts::default();
    let mut resource_totals = Counts::default();
    let mut drift = 0;
    // Per target (the build lock last), shared files first, each environment before its cells.
    type Key = (bool, Option<Target>, Option<String>, Option<String>);
    let mut groups: BTreeMap<Key, GroupCounts> = BTreeMap::new();
    for f in &files {
        let key = (
            f.target.is_none(),
            f.target,
            f.environment.clone(),
            f.cell.clone(),
        );
        let group = groups.entry(key).or_insert_with(|| GroupCounts {
            environment: f.environment.clone(),
            cell: f.cell.clone(),
            target: f.target,
            files: Counts::default(),
            resources: Counts::default(),
            drift: 0,
        });
        count_file(&mut totals, f.action);
        count_file(&mut group.files, f.action);
        for r in &f.resources {
            count_resource(&mut resource_totals, r.action);
            count_resource(&mut group.resources, r.action);
        }
        if f.drift.is_some() {
            drift += 1;
            group.drift += 1;
        }
    }
    Plan {
        files,
        totals,
        resource_totals,
        drift,
        groups: groups.into_values().collect(),
        policies: Vec::new(),
    }
}

fn count_file(counts: &mut Counts, action: FileAction) {
    match action {
        FileAction::Add => counts.add += 1,
        FileAction::Change => counts.change += 1,
        FileAction::Remove => counts.remove += 1,
        FileAction::None => {}
    }
}

fn count_resource(counts: &mut Counts, action: ResourceAction) {
    match action {
        ResourceAction::Add => counts.add += 1,
        ResourceAction::Change => counts.change += 1,
        ResourceAction::Remove => counts.remove += 1,
    }
}
