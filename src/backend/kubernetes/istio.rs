//! Istio for one service in one environment: the AuthorizationPolicy derived from the
//! dependency graph, the VirtualService of an exposed service, and the progressive-delivery
//! objects (DestinationRule subsets, weighted and header routes, the canary Deployment and
//! its HPA; blue-green's colours are `blue_green`'s).
//!
//! Traffic weights and canary sizing are computed here and nowhere else. It must not emit
//! NetworkPolicy (see `network`) nor touch the base.

use super::overlay::image_repository;
use super::workload::{Workload, deployment};
use super::{Ctx, common_labels, object, secrets, service_selector};
use crate::model::{Port, Protocol, Strategy};
use serde_json::{Map, Value, json};

/// `(stable, canary)` traffic weights: `100-w / w` while a canary runs, else `100 / 0`.
pub(crate) fn weights(ctx: &Ctx) -> (u32, u32) {
    let w = ctx
        .service
        .version
        .as_ref()
        .and_then(|v| v.canary.as_ref())
        .map_or(0, |c| c.weight.min(100));
    (100 - w, w)
}

/// Canary replicas: `ceil(min × weight / 100)`, at least one.
pub(crate) fn canary_replicas(min: u32, weight: u32) -> u32 {
    (min * weight).div_ceil(100).max(1)
}

/// The AuthorizationPolicy of the service: ALLOW from the service accounts of the enabled
/// services that depend on it and from the ingress gateway when exposed; nothing else (an
/// ALLOW policy with no rules denies every request).
pub(crate) fn authorization_policy(ctx: &Ctx) -> Value {
    let service = ctx.service;
    let mut principals: Vec<String> = ctx
        .env
        .dependents_of(&service.name)
        .into_iter()
        .map(|d| format!("cluster.local/ns/{}/sa/{}", ctx.env.namespace_of(d), d.name))
        .collect();
    if let Some(expose) = &service.expose {
        let ns = expose.gateway.split('/').next().unwrap_or_default();
        principals.push(format!("cluster.local/ns/{ns}/sa/*"));
    }
    let labels = common_labels(&ctx.model.platform.name, service);
    let mut obj = object(
        "security.istio.io/v1",
        "AuthorizationPolicy",
        &service.name,
        Some(&ctx.namespace),
        &labels,
    );
    let mut spec = Map::new();
    spec.insert(
        "selector".into(),
        json!({"matchLabels": service_selector(&service.name)}),
    );
    spec.insert("action".into(), json!("ALLOW"));
    if !principals.is_empty() {
        let ports: Vec<String> = service.ports.iter().map(|p| p.port.to_string()).collect();
        spec.insert(
            "rules".into(),
            json!([{"from": [{"source": {"principals": principals}}],
                    "to": [{"operation": {"ports": ports}}]}]),
        );
    }
    obj.insert("spec".into(), Value::Object(spec));
    Value::Object(obj)
}

/// The traffic objects of the service's rollout strategy in this environment.
pub(crate) fn traffic(ctx: &Ctx) -> Vec<Value> {
    let service = ctx.service;
    match service.rollout.strategy {
        Strategy::Canary => {
            let mut docs = vec![destination_rule(ctx), canary_virtual_service(ctx)];
            let canary = service.version.as_ref().and_then(|v| v.canary.as_ref());
            if let Some(c) = canary {
                docs.push(track_deployment(ctx, "canary", &c.tag));
                docs.push(canary_hpa(ctx, c.weight));
            }
            docs
        }
        Strategy::BlueGreen => {
            let mut docs: Vec<Value> = plain_virtual_service(ctx).into_iter().collect();
            docs.extend(super::blue_green::objects(ctx));
            docs
        }
        Strategy::Rolling => plain_virtual_service(ctx).into_iter().collect(),
    }
}

/// Whether a canary runs: `versions.yaml` gives this environment's service a canary entry.
fn canary_running(ctx: &Ctx) -> bool {
    ctx.service
        .version
        .as_ref()
        .is_some_and(|v| v.canary.is_some())
}

/// The canary's own HPA, so that its scale follows the stable side's: the stable HPA's
/// bounds scaled by the canary's traffic weight, `ceil(bound × weight / 100)`, at least one,
/// with the stable side's CPU target. Each HPA scales on its own pods' load, which the
/// weights split in the same proportion, so the canary grows and shrinks with the stable
/// side within bounds that move with each step.
/// <https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/>
///
/// The canary Deployment sets no `replicas`: the HPA brings it to `minReplicas` at once,
/// and a count in the manifest would be put back by every sync (Argo CD's self-heal
/// reverts any drift from Git, the HPA's scaling included), fighting the HPA.
/// <https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#migrating-deployments-and-statefulsets-to-horizontal-autoscaling>,
/// <https://argo-cd.readthedocs.io/en/stable/user-guide/auto_sync/#automatic-self-healing>
fn canary_hpa(ctx: &Ctx, weight: u32) -> Value {
    let service = ctx.service;
    let name = format!("{}-canary", service.name);
    let labels = common_labels(&ctx.model.platform.name, service);
    let mut obj = object(
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        &name,
        Some(&ctx.namespace),
        &labels,
    );
    let min = canary_replicas(service.replicas.min, weight);
    let max = canary_replicas(service.replicas.max.max(service.replicas.min), weight).max(min);
    obj.insert(
        "spec".into(),
        json!({
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": min,
            "maxReplicas": max,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": service.replicas.target_cpu}}}],
        }),
    );
    Value::Object(obj)
}

/// The Deployment of a non-stable track, with its full image reference (so Kustomize's
/// `images:` rewrite of the stable image leaves it alone); its HPA owns the count.
fn track_deployment(ctx: &Ctx, track: &'static str, tag: &str) -> Value {
    let service = ctx.service;
    deployment(&Workload {
        platform: &ctx.model.platform.name,
        service,
        name: format!("{}-{track}", service.name),
        namespace: &ctx.namespace,
        track,
        image: format!("{}:{tag}", image_repository(ctx)),
        replicas: None,
        env: secrets::env_vars(service, Some(ctx.env.cloud.provider)),
        version: Some(tag),
    })
}

fn destination_rule(ctx: &Ctx) -> Value {
    let service = ctx.service;
    let labels = common_labels(&ctx.model.platform.name, service);
    let mut obj = object(
        "networking.istio.io/v1",
        "DestinationRule",
        &service.name,
        Some(&ctx.namespace),
        &labels,
    );
    // A `canary` subset without pods would make the header route answer 503: it exists
    // only while a canary runs.
    let tracks: &[&str] = if canary_running(ctx) {
        &["stable", "canary"]
    } else {
        &["stable"]
    };
    let subsets: Vec<Value> = tracks
        .iter()
        .map(|t| json!({"name": t, "labels": {"version": t}}))
        .collect();
    obj.insert(
        "spec".into(),
        json!({
            "host": ctx.fqdn(&service.name),
            "trafficPolicy": {"tls": {"mode": "ISTIO_MUTUAL"}},
            "subsets": subsets,
        }),
    );
    Value::Object(obj)
}

/// The port the ingress gateway forwards to: the first HTTP port, else the first port.
fn exposed_port<'a>(ctx: &Ctx<'a>) -> Option<&'a Port> {
    let ports = &ctx.service.ports;
    ports
        .iter()
        .find(|p| p.protocol == Protocol::Http)
        .or(ports.first())
}

fn virtual_service(
    ctx: &Ctx,
    hosts: Vec<String>,
    gateways: Vec<String>,
    http: Vec<Value>,
) -> Value {
    let labels = common_labels(&ctx.model.platform.name, ctx.service);
    let mut obj = object(
        "networking.istio.io/v1",
        "VirtualService",
        &ctx.service.name,
        Some(&ctx.namespace),
        &labels,
    );
    let mut spec = Map::new();
    spec.insert("hosts".into(), json!(hosts));
    if !gateways.is_empty() {
        spec.insert("gateways".into(), json!(gateways));
    }
    spec.insert("http".into(), json!(http));
    obj.insert("spec".into(), Value::Object(spec));
    Value::Object(obj)
}

/// An exposed service without canary: its host and path at the gateway, to the Service.
fn plain_virtual_service(ctx: &Ctx) -> Option<Value> {
    let expose = ctx.service.expose.as_ref()?;
    let mut destination = json!({"host": ctx.fqdn(&ctx.service.name)});
    if let Some(p) = exposed_port(ctx) {
        destination["port"] = json!({"number": p.port});
    }
    let http = vec![json!({
        "name": "primary",
        "match": [{"uri": {"prefix": expose.path}}],
        "route": [{"destination": destination}],
    })];
    Some(virtual_service(
        ctx,
        vec![expose.host.clone()],
        vec![expose.gateway.clone()],
        http,
    ))
}

/// The canary VirtualService: header routes to the canary subset first, then the weighted
/// split; for mesh traffic and, when exposed, for the gateway's host and path.
fn canary_virtual_service(ctx: &Ctx) -> Value {
    let service = ctx.service;
    let fqdn = ctx.fqdn(&service.name);
    let mut hosts = vec![fqdn.clone()];
    let mut gateways = Vec::new();
    let mut scopes = vec![Scope::mesh()];
    if let Some(expose) = &service.expose {
        hosts.push(expose.host.clone());
        gateways = vec!["mesh".to_owned(), expose.gateway.clone()];
        scopes[0].gateway = Some("mesh".to_owned());
        scopes.insert(
            0,
            Scope {
                name: "gateway",
                gateway: Some(expose.gateway.clone()),
                prefix: Some(expose.path.clone()),
                port: exposed_port(ctx).map(|p| p.port),
            },
        );
    }
    let header = service
        .rollout
        .canary
        .as_ref()
        .and_then(|c| c.header.as_ref())
        .filter(|_| canary_running(ctx));
    let (stable, canary) = weights(ctx);
    let mut http = Vec::new();
    if let Some(h) = header {
        for scope in &scopes {
            let mut m = scope.match_();
            m["headers"] = json!({h.name.clone(): {"exact": h.value}});
            http.push(json!({
                "name": format!("{}-canary-header", scope.name),
                "match": [m],
                "route": [{"destination": scope.destination(&fqdn, "canary")}],
            }));
        }
    }
    for scope in &scopes {
        let destinations = if canary_running(ctx) {
            json!([
                {"destination": scope.destination(&fqdn, "stable"), "weight": stable},
                {"destination": scope.destination(&fqdn, "canary"), "weight": canary},
            ])
        } else {
            json!([{"destination": scope.destination(&fqdn, "stable"), "weight": 100}])
        };
        let mut route = json!({
            "name": format!("{}-weighted", scope.name),
            "route": destinations,
        });
        let m = scope.match_();
        if m.as_object().is_some_and(|o| !o.is_empty()) {
            route["match"] = json!([m]);
        }
        http.push(route);
    }
    virtual_service(ctx, hosts, gateways, http)
}

/// Where a set of routes applies: in the mesh, or at the ingress gateway (host, path, port).
struct Scope {
    name: &'static str,
    gateway: Option<String>,
    prefix: Option<String>,
    port: Option<u16>,
}

impl Scope {
    fn mesh() -> Self {
        Scope {
            name: "mesh",
            gateway: None,
            prefix: None,
            port: None,
        }
    }

    fn match_(&self) -> Value {
        let mut m = json!({});
        if let Some(p) = &self.prefix {
            m["uri"] = json!({"prefix": p});
        }
        if let Some(g) = &self.gateway {
            m["gateways"] = json!([g]);
        }
        m
    }

    fn destination(&self, host: &str, subset: &str) -> Value {
        let mut d = json!({"host": host, "subset": subset});
        if let Some(p) = self.port {
            d["port"] = json!({"number": p});
        }
        d
    }
}
