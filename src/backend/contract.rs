//! The contract between the back ends: where each backing resource lives and how its
//! connection details reach a pod.
//!
//! The Terraform back end provisions managed resources and writes their connection details
//! into the environment's secret store, under the names and keys given here; the Kubernetes
//! back end's ExternalSecrets read them back under the same names and hand them to pods as
//! the environment variables named here (or it runs the resource in the cluster through its
//! operator when the cloud has no managed offering). Both sides call only these functions, so
//! the naming lives once. None of it is part of the model: it is how two output formats meet,
//! not what the user declared.

use crate::model::{CloudProvider, InfraType};

/// Where a backing resource runs on a given cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Placement {
    /// A managed cloud service, provisioned by the Terraform target.
    Managed,
    /// In the cluster, through its standard operator resource (RabbitmqCluster, Strimzi
    /// Kafka, MongoDBCommunity, ECK Elasticsearch), emitted by the Kubernetes target.
    InCluster,
}

/// Where `kind` runs on `provider`: every pair is one or the other, never dropped.
pub fn placement(provider: CloudProvider, kind: InfraType) -> Placement {
    use CloudProvider::*;
    use InfraType::*;
    match (provider, kind) {
        (Aws, _) => Placement::Managed,
        (Azure, Rabbitmq | Elasticsearch) => Placement::InCluster,
        (Azure, Postgres | Mysql | Sqlserver | Mongodb | Redis | Kafka | Bucket) => {
            Placement::Managed
        }
        (Gcp, Kafka | Mongodb | Elasticsearch | Rabbitmq) => Placement::InCluster,
        (Gcp, Postgres | Mysql | Sqlserver | Redis | Bucket) => Placement::Managed,
    }
}

/// The environment part of every cloud name a Terraform root creates (backing resources,
/// workload identities, the secret operator's identity, a cell's own network and resource
/// group): the environment's name, or `<env>-<cell>` in a cell's root, so the cells of one
/// environment never share a cloud name (IAM role names are unique per account, database and
/// bucket names per region or globally). The cell's cluster is named by the cell's own
/// `cluster.name`. Secret-store entry names keep the environment's name: they are what the
/// cell's ExternalSecrets read.
pub fn cell_scoped(env: &str, cell: Option<&str>) -> String {
    match cell {
        Some(cell) => format!("{env}-{cell}"),
        None => env.to_owned(),
    }
}

/// The directory of a cell's Terraform root under `terraform/environments/`.
pub fn cell_root_dir(env: &str, cell: &str) -> String {
    format!("{env}/cells/{cell}")
}

/// The properties of the JSON document a managed resource's connection secret holds.
pub fn connection_keys(kind: InfraType) -> &'static [&'static str] {
    use InfraType::*;
    match kind {
        Postgres | Mysql | Sqlserver | Mongodb => {
            &["host", "port", "database", "username", "password", "url"]
        }
        Redis => &["host", "port", "password", "url"],
        Kafka => &["bootstrap_servers", "username", "password"],
        Rabbitmq => &["host", "port", "username", "password", "url"],
        Elasticsearch => &["url", "username", "password"],
        Bucket => &["name", "endpoint"],
    }
}

/// The secret-store entry holding the connection details of `resource` of `service`:
/// `<platform>-<env>-<service>-<resource>`, letters, digits and dashes only, so it is a
/// valid name in every supported store (Key Vault, Secrets Manager, Secret Manager, Vault).
pub fn connection_secret_name(platform: &str, env: &str, service: &str, resource: &str) -> String {
    format!("{platform}-{env}-{service}-{resource}")
}

/// The environment variable a pod sees for `key` of `resource`: `db` + `url` → `DB_URL`.
pub fn env_var_name(resource: &str, key: &str) -> String {
    format!("{resource}_{key}")
        .to_ascii_uppercase()
        .replace('-', "_")
}

/// The namespace and ServiceAccount of the External Secrets Operator controller (its Helm
/// chart's defaults, `helm install external-secrets external-secrets/external-secrets -n
/// external-secrets`): the identity every generated ClusterSecretStore authenticates as.
/// <https://external-secrets.io/latest/introduction/getting-started/>
pub const SECRET_OPERATOR_NAMESPACE: &str = "external-secrets";
/// See [`SECRET_OPERATOR_NAMESPACE`].
pub const SECRET_OPERATOR_SERVICE_ACCOUNT: &str = "external-secrets";

/// The Secret (in [`SECRET_OPERATOR_NAMESPACE`], key [`INFISICAL_IDENTITY_KEY`]) that holds
/// the id of the Infisical machine identity the controller logs in as; External Secrets reads
/// `identityId` only from a Secret. Its value is Terraform's output
/// `secret_operator_identity_id`, known after apply: the one hand step of an Infisical store.
/// <https://external-secrets.io/latest/provider/infisical/>
pub fn infisical_identity_secret(store: &str) -> String {
    format!("{store}-infisical-identity")
}
/// See [`infisical_identity_secret`].
pub const INFISICAL_IDENTITY_KEY: &str = "identityId";

/// The Kubernetes ServiceAccount a service's pods run as: named after the service, in its
/// namespace. The Terraform side binds the service's cloud identity to exactly this name
/// (EKS Pod Identity association, Azure federated credential subject, GKE principal).
pub fn service_account_name(service: &str) -> &str {
    service
}

/// The `system:serviceaccount:<namespace>:<name>` subject of a ServiceAccount's token.
pub fn service_account_subject(namespace: &str, name: &str) -> String {
    format!("system:serviceaccount:{namespace}:{name}")
}

/// How a pod of `provider` proves its cloud identity, and so what the Kubernetes side must
/// add to it. No ServiceAccount annotation is generated on any cloud, because each
/// annotation's value exists only after `terraform apply` and the model does not know the
/// account / project it would be built from:
///
/// - AWS: EKS Pod Identity. The association (cluster, namespace, ServiceAccount → role) is
///   made by Terraform, so the ServiceAccount needs no `eks.amazonaws.com/role-arn`
///   annotation (which would need the account id).
///   <https://docs.aws.amazon.com/eks/latest/userguide/pod-identities.html>
/// - Azure: Microsoft Entra Workload ID. The pod carries the label
///   `azure.workload.identity/use: "true"`; the identity's client id (random, known after
///   apply) is written by Terraform into the secret store as [`identity_secret_name`] and
///   reaches the container as `AZURE_CLIENT_ID` through the ExternalSecret. The webhook
///   leaves a container's own `AZURE_CLIENT_ID` alone and injects only the tenant, the token
///   file and the authority host.
///   <https://azure.github.io/azure-workload-identity/docs/installation/mutating-admission-webhook.html>
/// - GCP: Workload Identity Federation for GKE with direct resource access: grants name the
///   ServiceAccount itself as the principal
///   `principal://iam.googleapis.com/projects/<number>/locations/global/workloadIdentityPools/<project>.svc.id.goog/subject/ns/<namespace>/sa/<name>`,
///   so no Google service account and no `iam.gke.io/gcp-service-account` annotation (which
///   would need the project id) are needed.
///   <https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity>
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkloadIdentity {
    EksPodIdentity,
    AzureWorkloadId,
    GkeDirectPrincipal,
}

/// The workload-identity mechanism of `provider`.
pub fn workload_identity(provider: CloudProvider) -> WorkloadIdentity {
    match provider {
        CloudProvider::Aws => WorkloadIdentity::EksPodIdentity,
        CloudProvider::Azure => WorkloadIdentity::AzureWorkloadId,
        CloudProvider::Gcp => WorkloadIdentity::GkeDirectPrincipal,
    }
}

/// Labels the pods of a service with a cloud identity carry on `provider`.
pub fn identity_pod_labels(provider: CloudProvider) -> &'static [(&'static str, &'static str)] {
    match workload_identity(provider) {
        WorkloadIdentity::AzureWorkloadId => &[("azure.workload.identity/use", "true")],
        WorkloadIdentity::EksPodIdentity | WorkloadIdentity::GkeDirectPrincipal => &[],
    }
}

/// Whether the identity's id travels through the secret store (Azure's random client id).
pub fn identity_in_store(provider: CloudProvider) -> bool {
    workload_identity(provider) == WorkloadIdentity::AzureWorkloadId
}

/// The secret-store entry holding the client id of `service`'s Azure identity:
/// `<platform>-<env>-<service>--identity`. The double dash cannot end a
/// [`connection_secret_name`] (resource names are DNS labels), so the two never collide.
pub fn identity_secret_name(platform: &str, env: &str, service: &str) -> String {
    format!("{platform}-{env}-{service}--identity")
}

/// The property of [`identity_secret_name`]'s JSON document holding the client id.
pub const IDENTITY_CLIENT_ID_KEY: &str = "client_id";
/// The environment variable the Azure SDKs read the client id from.
/// <https://learn.microsoft.com/en-us/dotnet/api/azure.identity.workloadidentitycredentialoptions.clientid>
pub const IDENTITY_CLIENT_ID_ENV: &str = "AZURE_CLIENT_ID";

/// The Vault Kubernetes auth mount of one environment's cluster: each cluster has its own
/// API server and CA, so environments sharing a Vault never share a mount.
pub fn vault_auth_path(platform: &str, env: &str) -> String {
    format!("kubernetes-{platform}-{env}")
}

/// The Vault role `service`'s ServiceAccount logs in as.
pub fn vault_service_role(platform: &str, env: &str, service: &str) -> String {
    format!("{platform}-{env}-{service}")
}

/// The Vault policy of `service`: read on its own entries only.
pub fn vault_service_policy(platform: &str, env: &str, service: &str) -> String {
    format!("{platform}-{env}-{service}-policy")
}

/// The Vault role the External Secrets Operator controller logs in as for the environment's
/// ClusterSecretStore.
pub fn vault_operator_role(platform: &str, env: &str) -> String {
    format!("{platform}-{env}-external-secrets")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pair_has_a_placement() {
        for provider in [CloudProvider::Aws, CloudProvider::Azure, CloudProvider::Gcp] {
            for kind in InfraType::ALL {
                let _ = placement(provider, kind);
                assert!(!connection_keys(kind).is_empty());
            }
        }
    }

    #[test]
    fn names() {
        assert_eq!(cell_scoped("prod", None), "prod");
        assert_eq!(cell_scoped("prod", Some("eu-1")), "prod-eu-1");
        assert_eq!(cell_root_dir("prod", "eu-1"), "prod/cells/eu-1");
        assert_eq!(env_var_name("read-db", "url"), "READ_DB_URL");
        assert_eq!(
            connection_secret_name("shop", "prod", "cart", "db"),
            "shop-prod-cart-db"
        );
        assert_eq!(
            identity_secret_name("shop", "prod", "cart"),
            "shop-prod-cart--identity"
        );
        assert_eq!(
            service_account_subject("shop", "cart"),
            "system:serviceaccount:shop:cart"
        );
    }
}
