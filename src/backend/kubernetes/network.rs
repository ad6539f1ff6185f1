//! The NetworkPolicy of one service in one environment: default deny both ways for its pods,
//! then exactly the flows the model implies (dependents in, dependencies out, DNS, istiod,
//! the ingress gateway when exposed, Prometheus scraping the sidecar, backing resources).
//!
//! Peers are this environment's enabled services only. It must not emit Istio policy (that is
//! `istio`), and must not reach into other environments.

use super::{Ctx, common_labels, egress as external, in_cluster, object, service_selector};
use crate::backend::contract::{Placement, placement};
use crate::model::{CloudProvider, InfraType, Service};
use serde_json::{Value, json};

/// Ports on which Prometheus scrapes the Istio sidecar (merged app metrics and Envoy's own).
const SIDECAR_METRICS_PORTS: [u16; 2] = [15020, 15090];

/// The NetworkPolicy of `ctx.service`.
pub(crate) fn network_policy(ctx: &Ctx) -> Value {
    let service = ctx.service;
    let labels = common_labels(&ctx.model.platform.name, service);
    let mut obj = object(
        "networking.k8s.io/v1",
        "NetworkPolicy",
        &service.name,
        Some(&ctx.namespace),
        &labels,
    );
    obj.insert(
        "spec".into(),
        obj! {
            "podSelector" => obj! {"matchLabels" => service_selector(&service.name)},
            "policyTypes" => json!(["Ingress", "Egress"]),
            "ingress" => ingress(ctx),
            "egress" => egress(ctx),
        },
    );
    Value::Object(obj)
}

fn ingress(ctx: &Ctx) -> Vec<Value> {
    let own_ports = tcp_ports(ctx.service.ports.iter().map(|p| p.port));
    let mut rules: Vec<Value> = ctx
        .env
        .dependents_of(&ctx.service.name)
        .into_iter()
        .map(|d| obj! {"from" => vec![peer(ctx, d)], "ports" => own_ports.clone()})
        .collect();
    if let Some(expose) = &ctx.service.expose {
        let gateway_ns = expose.gateway.split('/').next().unwrap_or_default();
        rules.push(obj! {"from" => vec![namespace(gateway_ns)], "ports" => own_ports});
    }
    rules.push(obj! {
        "from" => vec![namespace(&monitoring_namespace(&ctx.env.monitoring.prometheus_url))],
        "ports" => tcp_ports(SIDECAR_METRICS_PORTS),
    });
    rules
}

fn egress(ctx: &Ctx) -> Vec<Value> {
    let dns = json!({"namespaceSelector": {"matchLabels":
        {"kubernetes.io/metadata.name": "kube-system"}},
        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}});
    let mut rules = vec![
        obj! {"to" => vec![dns], "ports" => json!([{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}])},
        obj! {"to" => vec![namespace("istio-system")], "ports" => tcp_ports([15012])},
    ];
    for dep in &ctx.service.dependencies {
        if let Some(d) = ctx.env.services.get(dep) {
            let ports = tcp_ports(d.ports.iter().map(|p| p.port));
            rules.push(obj! {"to" => vec![peer(ctx, d)], "ports" => ports});
        }
    }
    for (resource, infra) in &ctx.service.infra {
        let provider = ctx.env.cloud.provider;
        let (to, ports) = match placement(provider, infra.kind) {
            Placement::Managed => (
                json!({"ipBlock": {"cidr": ctx.env.network.cidr}}),
                managed_ports(provider, infra.kind),
            ),
            Placement::InCluster => {
                let name = in_cluster::resource_name(ctx.service, resource);
                let pods = in_cluster::pod_selector(infra.kind, &name);
                (
                    obj! {"podSelector" => obj! {"matchLabels" => pods}},
                    vec![in_cluster::port(infra.kind)],
                )
            }
        };
        rules.push(obj! {"to" => vec![to], "ports" => tcp_ports(ports)});
    }
    rules.extend(external_rules(ctx));
    rules
}

/// The allows for the endpoints outside the cluster (`egress::endpoints`): an ipBlock per
/// address range; for host names one rule, to every address but the private ranges, on the
/// union of their ports. A NetworkPolicy matches addresses only, never DNS names
/// (<https://kubernetes.io/docs/concepts/services-networking/network-policies/#what-you-can-t-do-with-network-policies-at-least-not-yet>),
/// so the name check is the mesh's: its outbound policy is `REGISTRY_ONLY`, and only the
/// ServiceEntry hosts get out.
fn external_rules(ctx: &Ctx) -> Vec<Value> {
    let mut rules = Vec::new();
    let mut public: Vec<u16> = Vec::new();
    for e in external::endpoints(ctx) {
        if e.addresses.is_empty() {
            public.extend(&e.ports);
            continue;
        }
        let to: Vec<Value> = e
            .addresses
            .iter()
            .map(|cidr| json!({"ipBlock": {"cidr": cidr}}))
            .collect();
        rules.push(obj! {"to" => to, "ports" => tcp_ports(e.ports.iter().copied())});
        if e.addresses == [external::GKE_METADATA] {
            let (cidr, port) = external::GKE_METADATA_NODE;
            rules.push(
                obj! {"to" => json!([{"ipBlock": {"cidr": cidr}}]), "ports" => tcp_ports([port])},
            );
        }
    }
    public.sort_unstable();
    public.dedup();
    if !public.is_empty() {
        rules.push(obj! {
            "to" => json!([{"ipBlock": {"cidr": "0.0.0.0/0", "except": external::PRIVATE_RANGES}}]),
            "ports" => tcp_ports(public),
        });
    }
    rules
}

/// The ports a managed resource of `kind` listens on at `provider` (TLS variants included).
fn managed_ports(provider: CloudProvider, kind: InfraType) -> Vec<u16> {
    use CloudProvider::*;
    match (provider, kind) {
        (Azure, InfraType::Redis) => vec![6380],
        (Gcp, InfraType::Redis) => vec![6378, 6379],
        (Azure, InfraType::Kafka) => vec![9093],
        (_, InfraType::Kafka) => vec![9092, 9094, 9096],
        (Azure, InfraType::Mongodb) => vec![10255],
        (_, InfraType::Rabbitmq) => vec![5671],
        (_, InfraType::Elasticsearch) => vec![443],
        (_, kind) => vec![in_cluster::port(kind)],
    }
}

/// The pods of `other` in its namespace of this environment.
fn peer(ctx: &Ctx, other: &Service) -> Value {
    let mut p = namespace(&ctx.env.namespace_of(other));
    p["podSelector"] = obj! {"matchLabels" => service_selector(&other.name)};
    p
}

fn namespace(name: &str) -> Value {
    json!({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}})
}

fn tcp_ports(ports: impl IntoIterator<Item = u16>) -> Vec<Value> {
    ports
        .into_iter()
        .map(|p| json!({"protocol": "TCP", "port": p}))
        .collect()
}

/// The namespace of the Prometheus at `url` (`http://prometheus.monitoring:9090` →
/// `monitoring`); `monitoring` when the host does not say.
pub(crate) fn monitoring_namespace(url: &str) -> String {
    let host = url
        .split("://")
        .nth(1)
        .unwrap_or(url)
        .split(['/', ':'])
        .next()
        .unwrap_or_default();
    host.split('.')
        .nth(1)
        .filter(|ns| !ns.is_empty() && *ns != "svc")
        .unwrap_or("monitoring")
        .to_owned()
}
