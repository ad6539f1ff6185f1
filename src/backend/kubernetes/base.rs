//! The Kustomize base of one service: ServiceAccount, Service, Deployment, HPA and PDB, from
//! the registry service (registry defaults applied, no environment). A blue-green service's
//! base has no Service, Deployment nor HPA: which of its two colour Deployments run and which
//! one the Service selects is the state of each environment (`versions.yaml`), so they are
//! all in the overlays (`blue_green`), where a switch reads as the selector change it is.
//!
//! `base_objects` also renders what an environment wants, so that `overlay` can patch the
//! difference; it must stay a pure function of its arguments.

use super::workload::{Workload, deployment};
use super::{Ctx, common_labels, file, kustomization, object, secrets, service_selector};
use crate::artifact::OutputFile;
use crate::artifact::yaml::{to_yaml, to_yaml_documents};
use crate::model::{Model, Protocol, Service, Strategy};
use serde_json::{Value, json};

/// `kubernetes/<service>/base/{kustomization,resources}.yaml` from the registry service,
/// and the base objects themselves (what every overlay of the service patches).
pub(crate) fn emit_base(model: &Model, service: &Service) -> (Vec<OutputFile>, Vec<Value>) {
    let dir = format!("kubernetes/{}/base", service.name);
    let docs = base_objects(&model.platform.name, service, None);
    let k = kustomization(&["resources.yaml".to_owned()]);
    let files = vec![
        file(None, format!("{dir}/kustomization.yaml"), to_yaml(&k)),
        file(
            None,
            format!("{dir}/resources.yaml"),
            to_yaml_documents(&docs),
        ),
    ];
    (files, docs)
}

/// The objects of the base, rendered for `service`; with `ctx` (an environment) the pod
/// env is wired for that environment's cloud and the version label set.
pub(crate) fn base_objects(platform: &str, service: &Service, ctx: Option<&Ctx>) -> Vec<Value> {
    let labels = common_labels(platform, service);
    let provider = ctx.map(|c| c.env.cloud.provider);
    let version = service.version.as_ref().map(|v| v.stable.as_str());
    let workload = Workload {
        platform,
        service,
        name: service.name.clone(),
        namespace: &service.namespace,
        track: "stable",
        image: service.name.clone(),
        replicas: None,
        env: secrets::env_vars(service, provider),
        version,
    };
    let ns = Some(service.namespace.as_str());
    let mut sa = object("v1", "ServiceAccount", &service.name, ns, &labels);
    sa.insert("automountServiceAccountToken".into(), json!(false));
    if ctx.is_some_and(|c| super::pull_secret::needed(c.model, c.env)) {
        let name = super::pull_secret::secret_name(service);
        sa.insert("imagePullSecrets".into(), json!([{"name": name}]));
    }
    let mut docs = vec![Value::Object(sa)];
    // The Service selects every track (Istio subsets split canary traffic); a blue-green
    // service's selects one colour, environment state like the colours themselves.
    if service.rollout.strategy != Strategy::BlueGreen {
        docs.push(k8s_service(
            platform,
            service,
            &service.name,
            ns,
            service_selector(&service.name),
        ));
        docs.push(deployment(&workload));
        docs.push(hpa(platform, service, ns, &service.name));
    }
    docs.push(pdb(platform, service, ns));
    docs
}

/// A ClusterIP Service named `name` over `service`'s ports, selecting `selector`.
pub(crate) fn k8s_service(
    platform: &str,
    service: &Service,
    name: &str,
    namespace: Option<&str>,
    selector: Value,
) -> Value {
    let labels = common_labels(platform, service);
    let mut obj = object("v1", "Service", name, namespace, &labels);
    let ports: Vec<Value> = service
        .ports
        .iter()
        .map(|p| {
            let app = match p.protocol {
                Protocol::Http => "http",
                Protocol::Grpc => "grpc",
                Protocol::Tcp => "tcp",
            };
            json!({"name": p.name, "port": p.port, "targetPort": p.name, "protocol": "TCP",
                   "appProtocol": app})
        })
        .collect();
    obj.insert(
        "spec".into(),
        obj! {"type" => "ClusterIP", "selector" => selector, "ports" => ports},
    );
    Value::Object(obj)
}

/// The HPA called `name` of the Deployment called `name`, with the service's scaling bounds
/// and CPU target.
pub(crate) fn hpa(platform: &str, service: &Service, ns: Option<&str>, name: &str) -> Value {
    let labels = common_labels(platform, service);
    let mut obj = object(
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        name,
        ns,
        &labels,
    );
    let cpu = service.replicas.target_cpu;
    obj.insert(
        "spec".into(),
        json!({
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": service.replicas.min,
            "maxReplicas": service.replicas.max.max(service.replicas.min),
            "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": cpu}}}],
        }),
    );
    Value::Object(obj)
}

/// `maxUnavailable: 1` keeps one pod serving during voluntary disruptions and never blocks a
/// node drain, even at one replica (where `minAvailable: 1` would).
fn pdb(platform: &str, service: &Service, ns: Option<&str>) -> Value {
    let labels = common_labels(platform, service);
    let mut obj = object(
        "policy/v1",
        "PodDisruptionBudget",
        &service.name,
        ns,
        &labels,
    );
    obj.insert(
        "spec".into(),
        obj! {"maxUnavailable" => 1, "selector" => obj! {"matchLabels" => service_selector(&service.name)}},
    );
    Value::Object(obj)
}
