//! Secrets reach pods only by reference: the ExternalSecret that copies a service's `secrets`
//! and its managed backing resources' connection details from the environment's secret
//! store, and the container `env` entries that read them.
//!
//! Naming of store entries and variables is `backend::contract`'s contract; this module must not
//! invent another. In-cluster resources are wired by `in_cluster`.

use super::{Ctx, common_labels, in_cluster, object};
use crate::artifact::yaml::to_yaml;
use crate::backend::contract::{
    IDENTITY_CLIENT_ID_ENV, IDENTITY_CLIENT_ID_KEY, INFISICAL_IDENTITY_KEY, Placement,
    SECRET_OPERATOR_NAMESPACE, SECRET_OPERATOR_SERVICE_ACCOUNT, cell_scoped, connection_keys,
    connection_secret_name, entry_scope, env_var_name, identity_in_store, identity_pod_labels,
    identity_secret_name, infisical_identity_secret, placement, reads_environment_store,
    vault_auth_path, vault_operator_role,
};
use crate::model::{CloudProvider, Environment, Infra, Model, SecretStoreKind, Service};
use serde_json::{Map, Value, json};

/// The Secret the service's ExternalSecret writes.
pub(crate) fn secret_name(service: &Service) -> String {
    format!("{}-secrets", service.name)
}

/// Whether `service` owns a managed resource on `provider`, and so has a cloud identity
/// (Terraform's `local.services`).
fn has_identity(service: &Service, provider: CloudProvider) -> bool {
    service
        .infra
        .values()
        .any(|infra| placement(provider, infra.kind) == Placement::Managed)
}

/// The pod labels the workload identity of `env`'s container needs: Azure's
/// `azure.workload.identity/use` when the container reads its client id
/// ([`crate::backend::contract::workload_identity`]).
pub(crate) fn identity_pod_labels_for(env: &[Value]) -> Map<String, Value> {
    let reads_client_id = env.iter().any(|v| v["name"] == IDENTITY_CLIENT_ID_ENV);
    let mut labels = Map::new();
    if reads_client_id {
        for (k, v) in identity_pod_labels(CloudProvider::Azure) {
            labels.insert((*k).to_owned(), json!(v));
        }
    }
    labels
}

/// The container `env` of `service`: one entry per `secrets` item, then one per connection
/// key of each backing resource, then (Azure) the identity's client id. `provider` None
/// (the base) wires every resource as managed.
pub(crate) fn env_vars(service: &Service, provider: Option<CloudProvider>) -> Vec<Value> {
    let secret = secret_name(service);
    let mut vars: Vec<Value> = service
        .secrets
        .keys()
        .map(|name| secret_env(name, &secret, name))
        .collect();
    for (resource, infra) in &service.infra {
        let in_cluster = provider.is_some_and(|p| placement(p, infra.kind) == Placement::InCluster);
        for key in connection_keys(infra.kind) {
            let name = env_var_name(resource, key);
            if in_cluster {
                vars.push(in_cluster::env_var(&name, service, resource, infra, key));
            } else {
                vars.push(secret_env(&name, &secret, &name));
            }
        }
    }
    if provider.is_some_and(|p| identity_in_store(p) && has_identity(service, p)) {
        vars.push(secret_env(
            IDENTITY_CLIENT_ID_ENV,
            &secret,
            IDENTITY_CLIENT_ID_ENV,
        ));
    }
    vars
}

/// An `env` entry read from key `key` of Secret `secret`.
pub(crate) fn secret_env(name: &str, secret: &str, key: &str) -> Value {
    json!({"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}})
}

/// The ExternalSecret of one service in one environment, when it has anything to fetch.
/// It reads the environment's entry names, also in a cell's own overlay: each cell's
/// aggregate patches them to the cell's ([`cell_entry_patches`]), so cells share overlays.
pub(crate) fn external_secret(ctx: &Ctx) -> Option<Value> {
    external_secret_in(ctx, None)
}

/// The cell whose entry names an ExternalSecret reads, and whether it keeps copies of the
/// environment's shared entries in a store of its own
/// ([`crate::backend::contract::reads_environment_store`] is false).
#[derive(Debug, Clone, Copy)]
pub(crate) struct CellNames<'a> {
    pub cell: &'a str,
    pub copies: bool,
}

/// The store entry of `resource` of `ctx`'s service as read in `cell` (None: the
/// environment's names), as `terraform` writes it: a cell's own resources under the cell's
/// names, `scope: environment` ones under the environment's (or the cell's copies').
pub(crate) fn entry_name(
    ctx: &Ctx,
    cell: Option<CellNames>,
    resource: &str,
    infra: &Infra,
) -> String {
    let copies = cell.is_some_and(|c| c.copies);
    let scope = entry_scope(&ctx.env.name, cell.map(|c| c.cell), infra.scope, copies);
    connection_secret_name(
        &ctx.model.platform.name,
        &scope,
        &ctx.service.name,
        resource,
    )
}

/// [`external_secret`] with the entry names of `cell`.
fn external_secret_in(ctx: &Ctx, cell: Option<CellNames>) -> Option<Value> {
    let (service, env) = (ctx.service, ctx.env);
    let store = env.secret_store.kind;
    let mut data: Vec<Value> = service
        .secrets
        .iter()
        .map(|(name, r)| user_remote(store, name, &r.path, &r.key))
        .collect();
    let platform = &ctx.model.platform.name;
    for (resource, infra) in &service.infra {
        if placement(env.cloud.provider, infra.kind) == Placement::InCluster {
            continue;
        }
        let entry = entry_name(ctx, cell, resource, infra);
        for key in connection_keys(infra.kind) {
            data.push(remote(&env_var_name(resource, key), &entry, key));
        }
    }
    let provider = env.cloud.provider;
    if identity_in_store(provider) && has_identity(service, provider) {
        let scope = cell_scoped(&env.name, cell.map(|c| c.cell));
        let entry = identity_secret_name(platform, &scope, &service.name);
        data.push(remote(
            IDENTITY_CLIENT_ID_ENV,
            &entry,
            IDENTITY_CLIENT_ID_KEY,
        ));
    }
    if data.is_empty() {
        return None;
    }
    let labels = common_labels(&ctx.model.platform.name, service);
    let mut obj = object(
        "external-secrets.io/v1",
        "ExternalSecret",
        &secret_name(service),
        Some(&ctx.namespace),
        &labels,
    );
    obj.insert(
        "spec".into(),
        json!({
            "refreshInterval": "1h",
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": env.secret_store.name},
            "target": {"name": secret_name(service), "creationPolicy": "Owner"},
            "data": data,
        }),
    );
    Some(Value::Object(obj))
}

/// The kustomize patches of a cell's aggregate that point the ExternalSecrets of
/// `cell_env`'s services (and of their migration hooks) at the cell's own store entries:
/// one JSON 6902 patch per ExternalSecret whose entry names differ in the cell, replacing
/// each `remoteRef.key` that does. A patch in a kustomization applies to the resources of
/// the kustomizations it lists.
/// <https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/patches/>
pub(crate) fn cell_entry_patches(
    model: &Model,
    env: &Environment,
    cell_env: &Environment,
) -> Vec<Value> {
    let Some(cell) = cell_env.cell.as_deref() else {
        return Vec::new();
    };
    let cell = Some(CellNames {
        cell,
        copies: !reads_environment_store(env, cell_env),
    });
    let mut out = Vec::new();
    for service in cell_env.services.values() {
        let ctx = Ctx::new(model, cell_env, service);
        let pairs = [
            (
                external_secret_in(&ctx, None),
                external_secret_in(&ctx, cell),
            ),
            (
                super::migrations::external_secret_in(&ctx, None),
                super::migrations::external_secret_in(&ctx, cell),
            ),
        ];
        for (shared, own) in pairs {
            let (Some(shared), Some(own)) = (shared, own) else {
                continue;
            };
            let ops = super::patch::diff(&shared, &own);
            if ops.is_empty() {
                continue;
            }
            let meta = &own["metadata"];
            out.push(json!({
                "target": {"group": "external-secrets.io", "version": "v1",
                           "kind": "ExternalSecret", "name": meta["name"],
                           "namespace": meta["namespace"]},
                "patch": to_yaml(&Value::Array(ops)),
            }));
        }
    }
    out
}

/// A JSON-document entry `key` of the store, property `property` (the connection secrets
/// Terraform writes; on Infisical a secret at the root folder whose value is that JSON).
fn remote(secret_key: &str, key: &str, property: &str) -> Value {
    json!({"secretKey": secret_key, "remoteRef": {"key": key, "property": property}})
}

/// A registry `secrets` item `{path, key}`. On Infisical the path is a folder and the key a
/// secret in it, addressed together as `<folder>/<key>` with no property: External Secrets'
/// Infisical provider splits a `remoteRef.key` holding a `/` into folder and secret name
/// (`getSecretAddress` in providers/v1/infisical of external-secrets/external-secrets;
/// <https://external-secrets.io/latest/provider/infisical/>). Every other store keeps the path
/// as the entry and the key as the property of its JSON value.
fn user_remote(store: SecretStoreKind, secret_key: &str, path: &str, key: &str) -> Value {
    match store {
        SecretStoreKind::Infisical => {
            let folder = path.trim_end_matches('/');
            let folder = if folder.starts_with('/') {
                folder.to_owned()
            } else {
                format!("/{folder}")
            };
            let address = if folder == "/" {
                format!("/{key}")
            } else {
                format!("{folder}/{key}")
            };
            json!({"secretKey": secret_key, "remoteRef": {"key": address}})
        }
        SecretStoreKind::Vault
        | SecretStoreKind::AwsSecretsManager
        | SecretStoreKind::AzureKeyVault
        | SecretStoreKind::GcpSecretManager => remote(secret_key, path, key),
    }
}

/// The environment's ClusterSecretStore (named `secretStore.name`, as every ExternalSecret
/// references it) and what its auth needs in the cluster, authenticating as the External
/// Secrets Operator controller whose cloud / Vault identity Terraform creates
/// (`terraform::store_auth`). Empty where the controller has no identity the store trusts:
/// a cloud's store read from another cloud's cluster.
pub(crate) fn cluster_secret_store(model: &Model, env: &Environment) -> Vec<Value> {
    let store = &env.secret_store;
    let operator_sa = json!({"name": SECRET_OPERATOR_SERVICE_ACCOUNT,
                             "namespace": SECRET_OPERATOR_NAMESPACE});
    let provider = match (env.cloud.provider, store.kind) {
        // No auth: the controller's own credentials, from its EKS Pod Identity association.
        // <https://external-secrets.io/latest/provider/aws-secrets-manager/>
        (CloudProvider::Aws, SecretStoreKind::AwsSecretsManager) => json!({"aws": {
            "service": "SecretsManager", "region": env.cloud.region}}),
        // <https://external-secrets.io/latest/provider/azure-key-vault/>
        (CloudProvider::Azure, SecretStoreKind::AzureKeyVault) => json!({"azurekv": {
            "authType": "WorkloadIdentity",
            "vaultUrl": format!("https://{}.vault.azure.net", store.name),
            "serviceAccountRef": operator_sa}}),
        // <https://external-secrets.io/latest/provider/hashicorp-vault/>
        (_, SecretStoreKind::Vault) => {
            let Some(address) = &store.address else {
                return vec![];
            };
            let platform = &model.platform.name;
            // The mount and role of this cluster: a cell's own (`terraform::store_auth`).
            let cluster = cell_scoped(&env.name, env.cell.as_deref());
            json!({"vault": {
                "server": address, "path": store.mount, "version": "v2",
                "auth": {"kubernetes": {
                    "mountPath": vault_auth_path(platform, &cluster),
                    "role": vault_operator_role(platform, &cluster),
                    "serviceAccountRef": operator_sa}}}})
        }
        // No auth: the controller's own ServiceAccount is the IAM principal Terraform grants
        // (Workload Identity Federation for GKE, "Authorizing the Core Controller Pod").
        // <https://external-secrets.io/latest/provider/google-secrets-manager/>
        (CloudProvider::Gcp, SecretStoreKind::GcpSecretManager) => {
            let Some(project) = &store.project else {
                return vec![];
            };
            json!({"gcpsm": {"projectID": project}})
        }
        // Kubernetes auth as the controller's machine identity: Infisical reviews the
        // controller's own ServiceAccount token. The identity id is read from a Secret.
        // <https://external-secrets.io/latest/provider/infisical/> (`kubernetesAuthCredentials`,
        // `secretsScope` in apis/externalsecrets/v1/secretsstore_infisical_types.go of
        // external-secrets/external-secrets)
        (_, SecretStoreKind::Infisical) => {
            let (Some(address), Some(project), Some(environment)) =
                (&store.address, &store.project_slug, &store.environment_slug)
            else {
                return vec![];
            };
            json!({"infisical": {
                "hostAPI": address,
                "secretsScope": {"projectSlug": project, "environmentSlug": environment},
                "auth": {"kubernetesAuthCredentials": {"identityId": {
                    "name": infisical_identity_secret(&store.name),
                    "namespace": SECRET_OPERATOR_NAMESPACE,
                    "key": INFISICAL_IDENTITY_KEY}}}}})
        }
        _ => return vec![],
    };
    let labels = json!({"app.kubernetes.io/managed-by": super::MANAGED_BY,
                        super::ENV_LABEL: env.name});
    let mut docs = vec![json!({
        "apiVersion": "external-secrets.io/v1",
        "kind": "ClusterSecretStore",
        "metadata": {"name": store.name, "labels": labels},
        "spec": {"provider": provider},
    })];
    if matches!(
        store.kind,
        SecretStoreKind::Vault | SecretStoreKind::Infisical
    ) {
        // Vault and Infisical review each login with the logging-in token itself (no
        // reviewer JWT), which needs the TokenReview right.
        // <https://developer.hashicorp.com/vault/docs/auth/kubernetes#use-the-vault-client-s-jwt-as-the-reviewer-jwt>,
        // <https://infisical.com/docs/documentation/platform/identities/kubernetes-auth>
        let which = if store.kind == SecretStoreKind::Vault {
            "vault"
        } else {
            "infisical"
        };
        docs.push(json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": format!("{}-{which}-auth-delegator", store.name), "labels": labels},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                        "name": "system:auth-delegator"},
            "subjects": [{"kind": "ServiceAccount", "name": SECRET_OPERATOR_SERVICE_ACCOUNT,
                          "namespace": SECRET_OPERATOR_NAMESPACE}],
        }));
    }
    docs
}
