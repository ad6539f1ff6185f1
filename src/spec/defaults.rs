//! Every default of the SPEC, in one place: what a field means when no layer writes it.
//! Lowering is the only reader; the model holds resolved values and has no defaults.

use crate::model::{Approval, Bump, Dataplane, Protocol, Strategy, TagPolicy};

/// `platform.gitops.branch`.
pub const GITOPS_BRANCH: &str = "main";
/// `platform.gitops.path`: where the Kubernetes tree sits in the repository, under the
/// project's output directory (`out` of `infrac.toml`), so the Argo CD Applications point at
/// the tree `build` writes.
pub fn gitops_path(out: &str) -> String {
    format!("{}/kubernetes", out.trim_end_matches('/'))
}
/// An environment's `namespaceSuffix`: the registry's namespaces unchanged.
pub const NAMESPACE_SUFFIX: &str = "";
/// An environment's `imageTags`.
pub const IMAGE_TAGS: TagPolicy = TagPolicy::Any;
/// An environment's `monitoring.prometheusUrl`.
pub const PROMETHEUS_URL: &str = "http://prometheus.monitoring:9090";
/// `promotion.approval`.
pub const APPROVAL: Approval = Approval::None;
/// `promotion.approvers`: the group `<environment>-approvers`.
pub fn approvers(environment: &str) -> String {
    format!("{environment}-approvers")
}
/// `platform.gitops.bump`: version bumps go through a pull request.
pub const BUMP: Bump = Bump::Pr;
/// A port's `protocol`.
pub const PROTOCOL: Protocol = Protocol::Http;
/// `replicas.targetCPU`: the CPU utilisation, in percent of the request, the HPA aims for.
pub const TARGET_CPU: u32 = 80;
/// `expose.path`.
pub const EXPOSE_PATH: &str = "/";
/// `rollout.strategy`.
pub const STRATEGY: Strategy = Strategy::Rolling;
/// `rollout.canary.interval`.
pub const CANARY_INTERVAL: &str = "10m";
/// `rollout.canary.analysis.failureLimit`.
pub const FAILURE_LIMIT: u32 = 1;
/// `bake`: how long a wave of cells stays healthy before the next (SPEC "Cells").
pub const BAKE: &str = "30m";

/// A cell's Terraform state, when the cell names no backend of its own: the environment's
/// backend with a state key of the cell's (`prod.tfstate` → `prod-za-north-1.tfstate`; a
/// `gcs` or `consul` prefix/path gets `/<cell>`), so no two roots share a state.
pub fn cell_state(config: &mut std::collections::BTreeMap<String, serde_json::Value>, cell: &str) {
    for (key, value) in config.iter_mut() {
        let Some(text) = value.as_str() else { continue };
        let new = match key.as_str() {
            "key" | "path" if text.ends_with(".tfstate") => {
                format!("{}-{cell}.tfstate", text.trim_end_matches(".tfstate"))
            }
            "key" | "path" | "prefix" => format!("{}/{cell}", text.trim_end_matches('/')),
            _ => continue,
        };
        *value = serde_json::Value::String(new);
    }
}

/// `secretStore.mount`: Vault's default KV v2 mount.
pub const VAULT_MOUNT: &str = "secret";
/// `metrics.path`.
pub const METRICS_PATH: &str = "/metrics";
/// `alerts.errorRate.for`.
pub const ERROR_RATE_FOR: &str = "2m";
/// `alerts.latencyP95Ms.for`.
pub const LATENCY_FOR: &str = "5m";
/// `alerts.restarts.within`.
pub const RESTARTS_WITHIN: &str = "5m";

/// `platform.mesh.dataplane`.
pub const DATAPLANE: Dataplane = Dataplane::Sidecar;

/// An environment's `network.cidr`: a stable /16 per environment name (so adding an
/// environment moves no other).
pub fn network_cidr(environment: &str) -> String {
    let hash = environment.bytes().fold(2166136261u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(16777619)
    });
    format!("10.{}.0.0/16", 16 + hash % 224)
}
