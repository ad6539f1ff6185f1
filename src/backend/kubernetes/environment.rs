//! The aggregate of one environment, `kubernetes/environments/<env>/`: a kustomization over
//! every enabled service overlay, the namespaces (Istio injection, Pod Security
//! `restricted`) with their STRICT PeerAuthentication and the in-cluster operator resources;
//! beside it, `application.yaml`, the Argo CD Application that syncs this directory.
//!
//! `kubectl kustomize kubernetes/environments/<env>` is the whole environment. Objects here
//! carry explicit namespaces: this kustomization sets none. The Application is deliberately
//! not one of the kustomization's resources: it is applied once to the Argo CD cluster
//! (`kubectl apply -f application.yaml`) and must not be rendered into the workload it
//! deploys — nor can the offline Argo model check validate it (no Argo CD schema ships).

use super::{MANAGED_BY, file, in_cluster, kustomization};
use crate::artifact::OutputFile;
use crate::artifact::yaml::{to_yaml, to_yaml_documents};
use crate::model::{Dataplane, Environment, Model, Strategy};
use serde_json::{Value, json};

/// Where Argo CD runs and keeps its Applications.
const ARGOCD_NAMESPACE: &str = "argocd";

/// `kubernetes/environments/<env>/`.
pub(crate) fn emit_environment(model: &Model, env: &Environment) -> Vec<OutputFile> {
    let dir = format!("kubernetes/environments/{}", env.name);
    let e = Some(env.name.as_str());
    let mut resources = vec!["namespaces.yaml".to_owned()];
    let mut files = vec![
        file(
            e,
            format!("{dir}/namespaces.yaml"),
            to_yaml_documents(&namespaces(model, env)),
        ),
        file(
            e,
            format!("{dir}/application.yaml"),
            to_yaml(&application(model, env)),
        ),
    ];
    let store = super::secrets::cluster_secret_store(model, env);
    if !store.is_empty() {
        resources.push("secret-store.yaml".to_owned());
        files.push(file(
            e,
            format!("{dir}/secret-store.yaml"),
            to_yaml_documents(&store),
        ));
    }
    let operators = in_cluster::emit_resources(model, env);
    if !operators.is_empty() {
        resources.push("in-cluster.yaml".to_owned());
        files.push(file(
            e,
            format!("{dir}/in-cluster.yaml"),
            to_yaml_documents(&operators),
        ));
    }
    resources.extend(
        env.services
            .keys()
            .map(|s| format!("../../{s}/overlays/{}", env.name)),
    );
    let k = kustomization(&resources);
    let header = match model.platform.mesh.dataplane {
        Dataplane::Sidecar => SIDECAR_HEADER,
        Dataplane::Ambient => AMBIENT_HEADER,
    };
    files.push(file(
        e,
        format!("{dir}/kustomization.yaml"),
        format!("{header}{}", to_yaml(&k)),
    ));
    files
}

/// What the cluster must run for this tree to be admitted, with `dataplane: sidecar`.
/// Istio's default `istio-init` container needs NET_ADMIN and NET_RAW, which Pod Security
/// `restricted` (and `baseline`) refuse; the Istio CNI plugin does the redirection instead.
/// <https://istio.io/latest/docs/setup/additional-setup/pod-security-admission/>,
/// <https://istio.io/latest/docs/setup/additional-setup/cni/>
const SIDECAR_HEADER: &str = "\
# Requires istio-cni: these namespaces enforce Pod Security `restricted`, which refuses the
# NET_ADMIN/NET_RAW of Istio's default istio-init container. Install Istio with the CNI
# plugin (istioctl install --set components.cni.enabled=true, or the istio/cni Helm chart).
# See https://istio.io/latest/docs/setup/additional-setup/pod-security-admission/
";

/// With `dataplane: ambient` no init container exists: ztunnel and the CNI node agent
/// capture traffic. <https://istio.io/latest/docs/ambient/overview/>
const AMBIENT_HEADER: &str = "\
# Requires Istio in ambient mode (istioctl install --set profile=ambient): the namespaces are
# labelled istio.io/dataplane-mode=ambient; no sidecar or istio-init runs in the pods.
";

/// A Namespace and its STRICT PeerAuthentication for every namespace in use; with the
/// sidecar data plane its `Sidecar` with the `REGISTRY_ONLY` outbound policy, with ambient
/// the waypoint of a namespace whose VirtualServices route by weight or header (L7).
fn namespaces(model: &Model, env: &Environment) -> Vec<Value> {
    let dataplane = model.platform.mesh.dataplane;
    let mut docs = Vec::new();
    for ns in env.namespaces() {
        let operators = in_cluster::kinds_in(env, &ns);
        let enforce = if operators.is_empty() {
            "restricted"
        } else {
            "baseline"
        };
        let mut labels = json!({
            "app.kubernetes.io/managed-by": MANAGED_BY,
            "infrac.dev/environment": env.name,
            "pod-security.kubernetes.io/enforce": enforce,
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/warn": "restricted",
        });
        // Ambient: AuthorizationPolicies here name principals and ports only (L4), which
        // ztunnel enforces without a waypoint; only weighted/header routing (L7) needs one.
        // <https://istio.io/latest/docs/ambient/usage/waypoint/>
        let l7 = env
            .services
            .values()
            .any(|s| env.namespace_of(s) == ns && s.rollout.strategy == Strategy::Canary);
        match dataplane {
            Dataplane::Sidecar => labels["istio-injection"] = json!("enabled"),
            Dataplane::Ambient => {
                labels["istio.io/dataplane-mode"] = json!("ambient");
                if l7 {
                    labels["istio.io/use-waypoint"] = json!("waypoint");
                }
            }
        }
        let mut namespace = json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": ns, "labels": labels},
        });
        if !operators.is_empty() {
            namespace["metadata"]["annotations"] = json!({
                "infrac.dev/pod-security-reason": in_cluster::baseline_reason(&operators),
            });
        }
        docs.push(namespace);
        let meta = |name: &str| {
            json!({"name": name, "namespace": ns, "labels": {
                "app.kubernetes.io/managed-by": MANAGED_BY,
                "infrac.dev/environment": env.name,
            }})
        };
        match dataplane {
            // Only hosts in the mesh's registry (services and ServiceEntries) get out.
            // <https://istio.io/latest/docs/reference/config/networking/sidecar/#OutboundTrafficPolicy>
            Dataplane::Sidecar => docs.push(json!({
                "apiVersion": "networking.istio.io/v1",
                "kind": "Sidecar",
                "metadata": meta("default"),
                "spec": {"outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"}},
            })),
            Dataplane::Ambient if l7 => docs.push(json!({
                "apiVersion": "gateway.networking.k8s.io/v1",
                "kind": "Gateway",
                "metadata": meta("waypoint"),
                "spec": {
                    "gatewayClassName": "istio-waypoint",
                    "listeners": [{"name": "mesh", "port": 15008, "protocol": "HBONE"}],
                },
            })),
            Dataplane::Ambient => {}
        }
        docs.push(json!({
            "apiVersion": "security.istio.io/v1",
            "kind": "PeerAuthentication",
            "metadata": {"name": "default", "namespace": ns, "labels": {
                "app.kubernetes.io/managed-by": MANAGED_BY,
                "infrac.dev/environment": env.name,
            }},
            "spec": {"mtls": {"mode": "STRICT"}},
        }));
    }
    docs
}

/// The Argo CD Application that keeps the cluster in sync with this directory.
fn application(model: &Model, env: &Environment) -> Value {
    let gitops = &model.platform.gitops;
    let repo = if gitops.repository.contains("://") {
        gitops.repository.clone()
    } else {
        format!("https://{}", gitops.repository)
    };
    let path = format!(
        "{}/environments/{}",
        gitops.path.trim_end_matches('/'),
        env.name
    );
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": format!("{}-{}", model.platform.name, env.name),
            "namespace": ARGOCD_NAMESPACE,
            "labels": {"app.kubernetes.io/managed-by": MANAGED_BY,
                       "infrac.dev/environment": env.name},
            "finalizers": ["resources-finalizer.argocd.argoproj.io"],
        },
        "spec": {
            "project": "default",
            "source": {"repoURL": repo, "targetRevision": gitops.branch, "path": path},
            "destination": {"server": "https://kubernetes.default.svc"},
            "syncPolicy": {
                "automated": {"prune": true, "selfHeal": true},
                "syncOptions": ["ServerSideApply=true"],
            },
        },
    })
}
