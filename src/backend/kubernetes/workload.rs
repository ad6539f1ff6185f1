//! The Deployment of one track (stable, canary, preview) of a service, with the secure
//! defaults of SPEC "Guarantees": non-root, read-only root filesystem, no privilege
//! escalation, all capabilities dropped, RuntimeDefault seccomp, no API token, limits.
//!
//! Only pod shape lives here; which tracks exist and what image each runs is decided by the
//! caller (`base`, `istio`). It must not look at environments or versions itself.

use super::{RUN_AS, checkov_skips, common_labels, object, track_selector};
use crate::model::{HealthCheck, IntOrPercent, Probe, Protocol, Service};
use serde_json::{Map, Value, json};

/// One Deployment to render.
pub(crate) struct Workload<'a> {
    pub platform: &'a str,
    pub service: &'a Service,
    /// Deployment name: the service name, or `<service>-canary` / `-preview`.
    pub name: String,
    /// Namespace written on the object (the overlay's `namespace:` has the last word).
    pub namespace: &'a str,
    /// Value of the `version` label: `stable`, `canary` or `preview`.
    pub track: &'static str,
    /// Image reference: the logical name for Kustomize's `images:`, or a full reference.
    pub image: String,
    /// Fixed replica count; None when an HPA manages the Deployment.
    pub replicas: Option<u32>,
    /// The container `env`.
    pub env: Vec<Value>,
    /// The image tag, for the `app.kubernetes.io/version` label.
    pub version: Option<&'a str>,
}

/// Why the Deployment keeps the checkov findings it keeps.
const DEPLOYMENT_SKIPS: &[(&str, &str)] = &[
    (
        "CKV_K8S_43",
        "images are pinned by immutable tags enforced by the environment imageTags policy",
    ),
    (
        "CKV_K8S_35",
        "env vars come from ExternalSecret-managed Secrets the application reads at start",
    ),
];

/// The Deployment of `w`.
pub(crate) fn deployment(w: &Workload) -> Value {
    let mut labels = common_labels(w.platform, w.service);
    if let Some(v) = w.version {
        labels.insert("app.kubernetes.io/version".into(), json!(v));
    }
    labels.insert("version".into(), json!(w.track));
    let mut obj = object("apps/v1", "Deployment", &w.name, Some(w.namespace), &labels);
    let mut skips = DEPLOYMENT_SKIPS.to_vec();
    if !w.image.contains(':') {
        skips.push((
            "CKV_K8S_14",
            "the base names its image logically; every overlay pins the immutable tag",
        ));
    }
    checkov_skips(&mut obj, &skips);
    let mut spec = Map::new();
    if let Some(n) = w.replicas {
        spec.insert("replicas".into(), json!(n));
    }
    spec.insert("revisionHistoryLimit".into(), json!(5));
    spec.insert(
        "selector".into(),
        obj! {"matchLabels" => track_selector(&w.service.name, w.track)},
    );
    spec.insert("strategy".into(), strategy(w.service));
    let mut pod_labels = labels;
    pod_labels.extend(super::secrets::identity_pod_labels_for(&w.env));
    spec.insert(
        "template".into(),
        obj! {"metadata" => obj! {"labels" => pod_labels}, "spec" => pod_spec(w)},
    );
    obj.insert("spec".into(), Value::Object(spec));
    Value::Object(obj)
}

fn strategy(service: &Service) -> Value {
    let mut rolling = Map::new();
    let int_or = |v: &IntOrPercent| match v {
        IntOrPercent::Int(n) => json!(n),
        IntOrPercent::Percent(p) => json!(p),
    };
    if let Some(v) = &service.rollout.max_surge {
        rolling.insert("maxSurge".into(), int_or(v));
    }
    if let Some(v) = &service.rollout.max_unavailable {
        rolling.insert("maxUnavailable".into(), int_or(v));
    }
    obj! {"type" => "RollingUpdate", "rollingUpdate" => rolling}
}

fn pod_spec(w: &Workload) -> Value {
    let s = w.service;
    let mut container = Map::new();
    container.insert("name".into(), json!(s.name));
    container.insert("image".into(), json!(w.image));
    container.insert("imagePullPolicy".into(), json!("Always"));
    let ports: Vec<Value> = s
        .ports
        .iter()
        .map(|p| json!({"name": p.name, "containerPort": p.port, "protocol": "TCP"}))
        .collect();
    container.insert("ports".into(), Value::from(ports));
    container.insert(
        "envFrom".into(),
        json!([{"configMapRef": {"name": format!("{}-config", s.name)}}]),
    );
    if !w.env.is_empty() {
        container.insert("env".into(), Value::from(w.env.clone()));
    }
    container.insert("resources".into(), json!(s.resources));
    probes(s, &s.health_check, &mut container);
    container.insert("securityContext".into(), container_security_context());
    container.insert(
        "volumeMounts".into(),
        json!([{"name": "tmp", "mountPath": "/tmp"}]),
    );
    obj! {
        "serviceAccountName" => s.name.as_str(),
        "automountServiceAccountToken" => false,
        "securityContext" => json!({
            "runAsNonRoot": true,
            "runAsUser": RUN_AS,
            "runAsGroup": RUN_AS,
            "fsGroup": RUN_AS,
            "seccompProfile": {"type": "RuntimeDefault"},
        }),
        "containers" => vec![Value::Object(container)],
        "volumes" => json!([{"name": "tmp", "emptyDir": {}}]),
    }
}

/// The declared probes; a missing readiness or liveness probe defaults to a TCP check of
/// the first port, so that no pod takes traffic before it listens nor hangs unnoticed.
fn probes(service: &Service, hc: &HealthCheck, container: &mut Map<String, Value>) {
    let fallback = service.ports.first().map(|p| Probe {
        path: None,
        port: p.name.clone(),
        initial_delay_seconds: None,
        period_seconds: None,
        timeout_seconds: None,
        failure_threshold: None,
    });
    let tcp = |p: &Probe| json!({"tcpSocket": {"port": p.port}});
    let all = [
        ("readinessProbe", &hc.readiness, true),
        ("livenessProbe", &hc.liveness, true),
        ("startupProbe", &hc.startup, false),
    ];
    for (field, probe, required) in all {
        match (probe, &fallback) {
            (Some(p), _) => {
                container.insert(field.into(), probe_spec(service, p));
            }
            (None, Some(f)) if required => {
                container.insert(field.into(), tcp(f));
            }
            (None, _) => {}
        }
    }
}

/// A probe resolved from its named port: `path` → HTTP GET; else the port's protocol
/// decides (native gRPC probe, which needs the number, or a TCP check).
pub(crate) fn probe_spec(service: &Service, probe: &Probe) -> Value {
    let port = service.port(&probe.port);
    let mut spec = Map::new();
    match (&probe.path, port) {
        (Some(path), _) => {
            spec.insert("httpGet".into(), json!({"path": path, "port": probe.port}));
        }
        (None, Some(p)) if p.protocol == Protocol::Grpc => {
            spec.insert("grpc".into(), json!({"port": p.port}));
        }
        (None, _) => {
            spec.insert("tcpSocket".into(), json!({"port": probe.port}));
        }
    }
    let timings = [
        ("initialDelaySeconds", probe.initial_delay_seconds),
        ("periodSeconds", probe.period_seconds),
        ("timeoutSeconds", probe.timeout_seconds),
        ("failureThreshold", probe.failure_threshold),
    ];
    for (field, value) in timings {
        if let Some(v) = value {
            spec.insert(field.into(), json!(v));
        }
    }
    Value::Object(spec)
}

/// The container security context Pod Security `restricted` admits, shared by the service's
/// containers and its migration Job (which must run under the same namespace level).
pub(super) fn container_security_context() -> Value {
    json!({
        "allowPrivilegeEscalation": false,
        "privileged": false,
        "readOnlyRootFilesystem": true,
        "runAsNonRoot": true,
        "runAsUser": RUN_AS,
        "runAsGroup": RUN_AS,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    })
}
