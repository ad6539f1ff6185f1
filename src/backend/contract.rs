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

use crate::model::{CloudProvider, Environment, InfraScope, InfraType, SecretStoreKind};

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
/// `cluster.name`. Secret-store entries of a cell's own resources carry it too
/// ([`entry_scope`]), since the cells of an environment may share one store.
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

/// The environment part of the store entry names of a backing resource of `env` (or of its
/// cell `cell`): [`cell_scoped`] for a cell's own resource, so cells sharing a store never
/// write the same entry, and the environment's name for a `scope: environment` resource,
/// the one entry every cell reads. Without cells the two are the same. A cell that does not
/// read its environment's store ([`reads_environment_store`], so `copies`) keeps copies of
/// the shared entries in its own, under its own names too: two such cells may share a store.
pub fn entry_scope(
    env: &str,
    cell: Option<&str>,
    scope: Option<InfraScope>,
    copies: bool,
) -> String {
    match scope.unwrap_or_default() {
        InfraScope::Environment if !copies => env.to_owned(),
        InfraScope::Cell | InfraScope::Environment => cell_scoped(env, cell),
    }
}

/// Whether the cell `cell` of `env` reads its environment's secret store (the one its
/// `scope: environment` entries are written to): the same store, and for Secrets Manager,
/// whose secrets are regional and which each ClusterSecretStore reads in its own cluster's
/// region, the same region.
/// <https://docs.aws.amazon.com/secretsmanager/latest/userguide/add-regions.html>
pub fn reads_environment_store(env: &Environment, cell: &Environment) -> bool {
    let (a, b) = (&env.secret_store, &cell.secret_store);
    a.kind == b.kind
        && a.name == b.name
        && a.address == b.address
        && a.project == b.project
        && a.project_slug == b.project_slug
        && a.environment_slug == b.environment_slug
        && a.mount == b.mount
        && (a.kind != SecretStoreKind::AwsSecretsManager || env.cloud.region == cell.cloud.region)
}

/// The longest store entry name: Key Vault's limit (1 to 127 alphanumerics and dashes), the
/// smallest of the supported stores (Secret Manager allows 255, Secrets Manager 512).
/// <https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/resource-name-rules#microsoftkeyvault>,
/// <https://cloud.google.com/python/docs/reference/secretmanager/1.0.2/google.cloud.secretmanager_v1.types.CreateSecretRequest>,
/// <https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/secretsmanager/aws.sdk.kotlin.services.secretsmanager.model/-create-secret-request/name.html>
pub const MAX_ENTRY_NAME: usize = 127;

/// `prefix` + `suffix`, or, when longer than [`MAX_ENTRY_NAME`], `prefix` cut and given
/// `-` and 8 hex digits of the SHA-256 of the whole name before `suffix`, so two long names
/// never meet by truncation. Eight, not six: Secrets Manager warns against a name ending in
/// a dash and six characters, which its ARNs append (same page as above).
fn bounded(prefix: &str, suffix: &str) -> String {
    use sha2::{Digest, Sha256};
    let full = format!("{prefix}{suffix}");
    if full.len() <= MAX_ENTRY_NAME {
        return full;
    }
    let digest = Sha256::digest(full.as_bytes());
    let hash: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    // Names are ASCII (DNS labels joined by dashes), so any byte index is a char boundary.
    let keep = MAX_ENTRY_NAME - suffix.len() - hash.len() - 1;
    let cut = prefix[..keep.min(prefix.len())].trim_end_matches('-');
    format!("{cut}-{hash}{suffix}")
}

/// The secret-store entry holding the connection details of `resource` of `service`:
/// `<platform>-<scope>-<service>-<resource>`, `scope` being [`entry_scope`]; letters, digits
/// and dashes only, at most [`MAX_ENTRY_NAME`] characters, so it is a valid name in every
/// supported store (Key Vault, Secrets Manager, Secret Manager, Vault, Infisical).
pub fn connection_secret_name(
    platform: &str,
    scope: &str,
    service: &str,
    resource: &str,
) -> String {
    bounded(&format!("{platform}-{scope}-{service}-{resource}"), "")
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
/// `<platform>-<scope>-<service>--identity`, `scope` being [`cell_scoped`] (each cell's
/// root creates its own identities). The double dash cannot end a
/// [`connection_secret_name`] (resource names are DNS labels), so the two never collide.
pub fn identity_secret_name(platform: &str, scope: &str, service: &str) -> String {
    bounded(&format!("{platform}-{scope}-{service}"), "--identity")
}

/// The property of [`identity_secret_name`]'s JSON document holding the client id.
pub const IDENTITY_CLIENT_ID_KEY: &str = "client_id";
/// The environment variable the Azure SDKs read the client id from.
/// <https://learn.microsoft.com/en-us/dotnet/api/azure.identity.workloadidentitycredentialoptions.clientid>
pub const IDENTITY_CLIENT_ID_ENV: &str = "AZURE_CLIENT_ID";

/// The Vault Kubernetes auth mount of one environment's cluster, `env` being
/// [`cell_scoped`]: each cluster has its own API server and CA, so environments (and the
/// cells of one) sharing a Vault never share a mount, nor the roles and policies below.
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
        assert_eq!(entry_scope("prod", None, None, false), "prod");
        assert_eq!(entry_scope("prod", Some("eu-1"), None, false), "prod-eu-1");
        let shared = Some(InfraScope::Environment);
        assert_eq!(entry_scope("prod", Some("eu-1"), shared, false), "prod");
        assert_eq!(entry_scope("prod", Some("eu-1"), shared, true), "prod-eu-1");
    }

    #[test]
    fn long_entry_names_fit_every_store() {
        let long = "s".repeat(63);
        let a = connection_secret_name(&long, "prod-eu-1", &long, "db");
        let b = connection_secret_name(&long, "prod-eu-2", &long, "db");
        assert_eq!(a.len(), MAX_ENTRY_NAME);
        assert_ne!(a, b);
        assert!(
            a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
            "{a}"
        );
        let id = identity_secret_name(&long, "prod-eu-1", &long);
        assert!(
            id.len() <= MAX_ENTRY_NAME && id.ends_with("--identity"),
            "{id}"
        );
        assert_eq!(
            connection_secret_name("shop", "prod-eu-1", "cart", "db"),
            "shop-prod-eu-1-cart-db"
        );
        assert_eq!(
            service_account_subject("shop", "cart"),
            "system:serviceaccount:shop:cart"
        );
    }
}
