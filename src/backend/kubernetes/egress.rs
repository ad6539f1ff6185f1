//! The endpoints outside the cluster a service's pods reach, and the Istio `ServiceEntry`
//! of each: the declared `egress`, the cloud's token endpoint of its workload identity, and
//! the public endpoint of object storage (SPEC "Reaching the outside world").
//!
//! The mesh's outbound policy is `REGISTRY_ONLY` (the namespace `Sidecar`, see
//! `environment`), so a host without a ServiceEntry is unreachable: this module is the one
//! list both the ServiceEntries and the NetworkPolicy's external allows (`network`) are built
//! from, and `crosscheck::check_egress` checks that the two agree.
//!
//! Not here: the secret store. Its endpoint is reached by the External Secrets controller in
//! its own namespace, never by the service's pods (they read a Kubernetes Secret).

use super::{Ctx, common_labels, object};
use crate::backend::contract::{Placement, placement};
use crate::model::{CloudProvider, EgressTo, InfraType};
use serde_json::{Value, json};

/// One external endpoint: host names (resolved by DNS, or matched by SNI / Host header for
/// a wildcard), or address ranges, with the ports the pods use.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Endpoint {
    /// Suffix of the ServiceEntry's name.
    pub name: String,
    pub hosts: Vec<String>,
    /// IPv4 CIDRs; empty for a host resolved by name.
    pub addresses: Vec<String>,
    pub ports: Vec<u16>,
}

impl Endpoint {
    fn host(name: &str, hosts: &[&str], port: u16) -> Self {
        Endpoint {
            name: name.to_owned(),
            hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
            addresses: Vec::new(),
            ports: vec![port],
        }
    }

    /// Istio resolves the hosts by DNS, except wildcards (which cannot be resolved: the
    /// sidecar then forwards to the address the application resolved, `NONE`) and address
    /// ranges (`NONE`: the original destination).
    /// <https://istio.io/latest/docs/reference/config/networking/service-entry/#ServiceEntry-Resolution>
    pub fn resolution(&self) -> &'static str {
        if self.addresses.is_empty() && !self.hosts.iter().any(|h| h.starts_with('*')) {
            "DNS"
        } else {
            "NONE"
        }
    }
}

/// The private, link-local and shared (CGNAT) ranges: never "the internet", so the allow
/// for an external host name leaves them out (cluster pods and nodes live there).
pub(crate) const PRIVATE_RANGES: [&str; 5] = [
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "169.254.0.0/16",
];

/// Every external endpoint of `ctx.service`, in a fixed order: identity, object storage,
/// then the declared `egress` (ports of the same host merged, in the order written).
pub(crate) fn endpoints(ctx: &Ctx) -> Vec<Endpoint> {
    let region = &ctx.env.cloud.region;
    let provider = ctx.env.cloud.provider;
    let mut out = vec![identity(provider, region)];
    let buckets =
        ctx.service.infra.values().any(|i| {
            i.kind == InfraType::Bucket && placement(provider, i.kind) == Placement::Managed
        });
    if buckets {
        out.push(object_storage(provider, region));
    }
    for e in &ctx.service.egress {
        let (name, hosts, addresses) = match &e.to {
            EgressTo::Host(h) => (h.clone(), vec![h.clone()], Vec::new()),
            EgressTo::Cidr(c) => {
                let dashed = c.replace(['.', '/'], "-");
                // `hosts` is required; `.invalid` (RFC 2606) never resolves, so the name is
                // a label only: the addresses decide.
                (
                    dashed.clone(),
                    vec![format!("{dashed}.egress.invalid")],
                    vec![c.clone()],
                )
            }
        };
        match out
            .iter_mut()
            .find(|x| x.hosts == hosts && x.addresses == addresses)
        {
            Some(x) if !x.ports.contains(&e.port) => x.ports.push(e.port),
            Some(_) => {}
            None => out.push(Endpoint {
                name,
                hosts,
                addresses,
                ports: vec![e.port],
            }),
        }
    }
    out
}

/// The token endpoint the workload identity of `provider` needs from a pod.
///
/// - AWS (IRSA): the SDK exchanges the projected token at the regional STS endpoint,
///   `sts.<region>.amazonaws.com`; the instance metadata service is not used (and EKS best
///   practice blocks it for pods).
///   <https://docs.aws.amazon.com/eks/latest/userguide/configure-sts-endpoint.html>
/// - Azure (Microsoft Entra Workload ID): the federated token is exchanged at
///   `login.microsoftonline.com`; IMDS is not involved (that is pod-managed identity).
///   <https://learn.microsoft.com/en-us/azure/aks/workload-identity-overview>
/// - GCP (Workload Identity Federation for GKE): the GKE metadata server, reached at
///   `metadata.google.internal` = 169.254.169.254:80 (served on the node at
///   169.254.169.252:988, which `network` also allows).
///   <https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity>
fn identity(provider: CloudProvider, region: &str) -> Endpoint {
    match provider {
        CloudProvider::Aws => {
            Endpoint::host("aws-sts", &[&format!("sts.{region}.amazonaws.com")], 443)
        }
        CloudProvider::Azure => Endpoint::host("azure-login", &["login.microsoftonline.com"], 443),
        CloudProvider::Gcp => Endpoint {
            name: "gke-metadata".into(),
            hosts: vec!["metadata.google.internal".into()],
            addresses: vec![GKE_METADATA.into()],
            ports: vec![80],
        },
    }
}

/// The GKE metadata server's address as pods see it.
pub(crate) const GKE_METADATA: &str = "169.254.169.254/32";
/// Where GKE serves it on the node (Dataplane V2 evaluates NetworkPolicy after the DNAT).
pub(crate) const GKE_METADATA_NODE: (&str, u16) = ("169.254.169.252/32", 988);

/// The public HTTPS endpoint of object storage: a bucket is reached by name over the
/// internet endpoints, not inside the VPC CIDR.
/// <https://docs.aws.amazon.com/general/latest/gr/s3.html>,
/// <https://learn.microsoft.com/en-us/azure/storage/common/storage-account-overview#standard-endpoints>,
/// <https://cloud.google.com/storage/docs/request-endpoints>
fn object_storage(provider: CloudProvider, region: &str) -> Endpoint {
    match provider {
        CloudProvider::Aws => Endpoint::host(
            "s3",
            &[
                &format!("s3.{region}.amazonaws.com"),
                &format!("*.s3.{region}.amazonaws.com"),
            ],
            443,
        ),
        CloudProvider::Azure => Endpoint::host("azure-blob", &["*.blob.core.windows.net"], 443),
        CloudProvider::Gcp => Endpoint::host("gcs", &["storage.googleapis.com"], 443),
    }
}

/// The protocol Istio is told a port speaks: TLS on 443 (routed by SNI), HTTP on 80, TCP
/// otherwise.
fn protocol(port: u16) -> &'static str {
    match port {
        443 => "TLS",
        80 => "HTTP",
        _ => "TCP",
    }
}

/// One ServiceEntry per endpoint of `ctx.service`, visible in its own namespace only.
/// <https://istio.io/latest/docs/reference/config/networking/service-entry/>
pub(crate) fn service_entries(ctx: &Ctx) -> Vec<Value> {
    let labels = common_labels(&ctx.model.platform.name, ctx.service);
    endpoints(ctx)
        .into_iter()
        .map(|e| {
            let mut obj = object(
                "networking.istio.io/v1",
                "ServiceEntry",
                &format!("{}-{}", ctx.service.name, e.name),
                Some(&ctx.namespace),
                &labels,
            );
            let ports: Vec<Value> = e
                .ports
                .iter()
                .map(|p| {
                    let proto = protocol(*p);
                    json!({"number": p, "name": format!("{}-{p}", proto.to_lowercase()),
                           "protocol": proto})
                })
                .collect();
            let mut spec = serde_json::Map::new();
            spec.insert("hosts".into(), json!(e.hosts));
            if !e.addresses.is_empty() {
                spec.insert("addresses".into(), json!(e.addresses));
            }
            spec.insert("ports".into(), Value::from(ports));
            spec.insert("location".into(), json!("MESH_EXTERNAL"));
            spec.insert("resolution".into(), json!(e.resolution()));
            spec.insert("exportTo".into(), json!(["."]));
            obj.insert("spec".into(), Value::Object(spec));
            Value::Object(obj)
        })
        .collect()
}
