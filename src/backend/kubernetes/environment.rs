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
use crate::model::{Environment, Model};
use crate::output::OutputFile;
use crate::output::yaml::{to_yaml, to_yaml_documents};
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
            to_yaml_documents(&namespaces(env)),
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
    files.push(file(e, format!("{dir}/kustomization.yaml"), to_yaml(&k)));
    files
}

/// A Namespace and its STRICT PeerAuthentication for every namespace in use.
fn namespaces(env: &Environment) -> Vec<Value> {
    let mut docs = Vec::new();
    for ns in env.namespaces() {
        docs.push(json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": ns, "labels": {
                "app.kubernetes.io/managed-by": MANAGED_BY,
                "infrac.dev/environment": env.name,
                "istio-injection": "enabled",
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/audit": "restricted",
                "pod-security.kubernetes.io/warn": "restricted",
            }},
        }));
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
