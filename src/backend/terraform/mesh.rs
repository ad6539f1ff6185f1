//! Istio on the cluster the root provisions, installed with Helm so that the Kubernetes tree
//! is admitted: its service namespaces enforce Pod Security `restricted`, which refuses the
//! NET_ADMIN/NET_RAW of Istio's default `istio-init` container, so the traffic redirection
//! is done by the Istio CNI node agent instead (`platform.mesh.dataplane: sidecar`: the
//! `cni` chart and `istiod` with `pilot.cni.enabled`; `ambient`: the `cni` chart and
//! `istiod` with the ambient profile, plus `ztunnel`).
//! <https://istio.io/latest/docs/setup/additional-setup/cni/>,
//! <https://istio.io/latest/docs/setup/additional-setup/pod-security-admission/>,
//! <https://istio.io/latest/docs/setup/install/helm/>,
//! <https://istio.io/latest/docs/ambient/install/helm/>
//!
//! No managed add-on is used: AKS's Istio add-on and GKE's Cloud Service Mesh manage their
//! own control plane (revisions, `aks-istio-system`) apart from the upstream charts the
//! Kubernetes tree is written and tested against; EKS has none.
//!
//! The `helm` provider reaches the cluster through the cluster module's endpoint and CA, with
//! the cloud's own short-lived credentials (the identity running `terraform apply` needs
//! cluster-admin on it).
//! <https://registry.terraform.io/providers/hashicorp/helm/latest/docs#exec-plugins>

use hcl::{Block, BlockBuilder, Expression};

use super::hclx::{arr, call, obj, r, s};
use crate::model::{CloudProvider, Dataplane, Environment, Model};

/// The Istio release the charts are pinned to; bump deliberately, with the Kubernetes tree's
/// Istio resources.
pub const ISTIO_VERSION: &str = "1.27.1";

const REPOSITORY: &str = "https://istio-release.storage.googleapis.com/charts";
const NAMESPACE: &str = "istio-system";

/// The AKS Microsoft Entra server application every AKS token is issued for.
/// <https://azure.github.io/kubelogin/concepts/aks.html>
const AKS_SERVER_ID: &str = "6dae42f8-4368-4678-94ff-3960e28e3630";

/// `provider "helm" { kubernetes { ... } }` for `env`'s cluster.
pub fn provider(env: &Environment) -> Block {
    let exec = |command: &str, args: Vec<Expression>| {
        Block::builder("exec")
            .add_attribute(("api_version", "client.authentication.k8s.io/v1beta1"))
            .add_attribute(("command", command))
            .add_attribute(("args", arr(args)))
            .build()
    };
    let kubernetes = Block::builder("kubernetes")
        .add_attribute(("host", r("module.cluster.endpoint")))
        .add_attribute(("cluster_ca_certificate", r("module.cluster.ca_certificate")));
    let kubernetes = match env.cloud.provider {
        // <https://docs.aws.amazon.com/cli/latest/reference/eks/get-token.html>
        CloudProvider::Aws => kubernetes.add_block(exec(
            "aws",
            vec![
                s("eks"),
                s("get-token"),
                s("--cluster-name"),
                r("module.cluster.name"),
                s("--region"),
                r("var.region"),
            ],
        )),
        // Local accounts are off (the cluster module): Entra tokens through kubelogin, from
        // the Azure CLI session CI logged in with.
        CloudProvider::Azure => kubernetes.add_block(exec(
            "kubelogin",
            vec![
                s("get-token"),
                s("--login"),
                s("azurecli"),
                s("--server-id"),
                s(AKS_SERVER_ID),
            ],
        )),
        CloudProvider::Gcp => {
            kubernetes.add_attribute(("token", r("data.google_client_config.current.access_token")))
        }
    };
    Block::builder("provider")
        .add_label("helm")
        .add_block(kubernetes.build())
        .build()
}

fn release(label: &str, name: &str, chart: &str) -> BlockBuilder {
    Block::builder("resource")
        .add_label("helm_release")
        .add_label(label)
        .add_attribute(("name", name))
        .add_attribute(("repository", REPOSITORY))
        .add_attribute(("chart", chart))
        .add_attribute(("version", ISTIO_VERSION))
        .add_attribute(("namespace", NAMESPACE))
}

fn values(items: Vec<(&str, Expression)>) -> Expression {
    arr([call("yamlencode", [obj(items)])])
}

fn after(labels: &[&str]) -> Expression {
    arr(labels.iter().map(|l| r(&format!("helm_release.{l}"))))
}

/// The blocks installing Istio with its CNI node agent on `env`'s cluster.
pub fn blocks(model: &Model, env: &Environment) -> Vec<Block> {
    let ambient = model.platform.mesh.dataplane == Dataplane::Ambient;
    let mut out = Vec::new();
    if env.cloud.provider == CloudProvider::Gcp {
        out.push(
            Block::builder("data")
                .add_label("google_client_config")
                .add_label("current")
                .build(),
        );
    }
    // GKE keeps CNI binaries in /home/kubernetes/bin and needs the platform set.
    // <https://istio.io/latest/docs/ambient/install/platform-prerequisites/#google-kubernetes-engine-gke>
    let mut cni: Vec<(&str, Expression)> = Vec::new();
    if ambient {
        cni.push(("profile", s("ambient")));
    }
    if env.cloud.provider == CloudProvider::Gcp {
        cni.push(("global", obj([("platform", s("gke"))])));
    }
    let istiod: Vec<(&str, Expression)> = if ambient {
        vec![("profile", s("ambient"))]
    } else {
        vec![("pilot", obj([("cni", obj([("enabled", true.into())]))]))]
    };
    out.push(
        release("istio_base", "istio-base", "base")
            .add_attribute(("create_namespace", true))
            .build(),
    );
    let mut cni_release = release("istio_cni", "istio-cni", "cni");
    if !cni.is_empty() {
        cni_release = cni_release.add_attribute(("values", values(cni)));
    }
    out.push(
        cni_release
            .add_attribute(("depends_on", after(&["istio_base"])))
            .build(),
    );
    out.push(
        release("istiod", "istiod", "istiod")
            .add_attribute(("values", values(istiod)))
            .add_attribute(("depends_on", after(&["istio_base", "istio_cni"])))
            .build(),
    );
    if ambient {
        out.push(
            release("ztunnel", "ztunnel", "ztunnel")
                .add_attribute(("depends_on", after(&["istiod"])))
                .build(),
        );
    }
    out
}

/// The header line saying what the root installs.
pub fn header_line(model: &Model) -> String {
    match model.platform.mesh.dataplane {
        Dataplane::Sidecar => format!(
            "# Istio {ISTIO_VERSION}: installed here with the CNI node agent (helm_release.istio_cni), which Pod Security `restricted` needs for sidecars."
        ),
        Dataplane::Ambient => format!(
            "# Istio {ISTIO_VERSION}: installed here in ambient mode (istio-cni, istiod, ztunnel)."
        ),
    }
}
