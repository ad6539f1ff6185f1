//! The secret store's side of the environment's ClusterSecretStore: the identity the External
//! Secrets Operator controller authenticates as
//! ([`SECRET_OPERATOR_NAMESPACE`]/[`SECRET_OPERATOR_SERVICE_ACCOUNT`]) and its read grants
//! on the environment's entries (the connection secrets Terraform writes and the registry
//! `secrets` paths); on Vault also one policy and one Kubernetes auth role per service, on
//! the service's own paths only.
//!
//! The Kubernetes side (`kubernetes::secrets::cluster_secret_store`) names the same store,
//! role and ServiceAccount; both read them from `backend::contract`.

use std::collections::BTreeSet;

use hcl::{Block, BlockBuilder, Expression};

use super::hclx::{arr, call, obj, r, ri, s};
use super::plan::EnvPlan;
use crate::backend::contract::{
    Placement, SECRET_OPERATOR_NAMESPACE, SECRET_OPERATOR_SERVICE_ACCOUNT, connection_secret_name,
    identity_in_store, identity_secret_name, placement, service_account_subject, vault_auth_path,
    vault_operator_role, vault_service_policy, vault_service_role,
};
use crate::model::{CloudProvider, Environment, Model, SecretStoreKind};

/// The registry `secrets` paths of `env`'s services, sorted and unique.
fn registry_paths(env: &Environment) -> BTreeSet<String> {
    env.services
        .values()
        .flat_map(|svc| svc.secrets.values().map(|r| r.path.clone()))
        .collect()
}

fn resource(ty: &str, label: &str) -> BlockBuilder {
    Block::builder("resource").add_label(ty).add_label(label)
}

fn operator_subject() -> String {
    service_account_subject(SECRET_OPERATOR_NAMESPACE, SECRET_OPERATOR_SERVICE_ACCOUNT)
}

/// The blocks of the store's auth for `env`, when its store is the cloud's own or Vault.
pub fn blocks(model: &Model, env: &Environment, plan: &EnvPlan) -> Vec<Block> {
    let platform = &model.platform.name;
    match (env.cloud.provider, env.secret_store.kind) {
        (CloudProvider::Aws, SecretStoreKind::AwsSecretsManager) => aws(model, env, plan),
        (CloudProvider::Azure, SecretStoreKind::AzureKeyVault) => azure(platform, env, plan),
        (_, SecretStoreKind::Vault) => vault(model, env),
        _ => vec![],
    }
}

/// An IAM role for the controller, handed to it by an EKS Pod Identity association, reading
/// the environment's secrets only.
/// <https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html>
fn aws(model: &Model, env: &Environment, plan: &EnvPlan) -> Vec<Block> {
    let platform = &model.platform.name;
    let name = super::names::dns_label(&[platform, &env.name, "external-secrets"], 64);
    let trust = obj([
        ("Version", s("2012-10-17")),
        (
            "Statement",
            arr([obj([
                ("Effect", s("Allow")),
                ("Principal", obj([("Service", s("pods.eks.amazonaws.com"))])),
                ("Action", arr([s("sts:AssumeRole"), s("sts:TagSession")])),
            ])]),
        ),
    ]);
    // Secrets Manager ARNs end in `-` and six random characters.
    // <https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples.html>
    let arn = |secret: &str| {
        call(
            "format",
            [
                s("arn:%s:secretsmanager:%s:%s:secret:%s-??????"),
                r("data.aws_partition.current.partition"),
                r("var.region"),
                r("data.aws_caller_identity.current.account_id"),
                s(secret),
            ],
        )
    };
    let mut names: BTreeSet<String> = registry_paths(env);
    for resources in plan.managed.values() {
        names.extend(resources.iter().map(|res| res.secret_name.clone()));
    }
    if names.is_empty() {
        return vec![];
    }
    let mut statements = vec![obj([
        ("Effect", s("Allow")),
        (
            "Action",
            arr([
                s("secretsmanager:GetSecretValue"),
                s("secretsmanager:DescribeSecret"),
            ]),
        ),
        ("Resource", arr(names.iter().map(|n| arn(n)))),
    ])];
    if !plan.managed.is_empty() {
        statements.push(obj([
            ("Effect", s("Allow")),
            ("Action", arr([s("kms:Decrypt")])),
            ("Resource", r("aws_kms_key.secrets.arn")),
        ]));
    }
    let policy = obj([("Version", s("2012-10-17")), ("Statement", arr(statements))]);
    vec![
        Block::builder("data")
            .add_label("aws_caller_identity")
            .add_label("current")
            .build(),
        Block::builder("data")
            .add_label("aws_partition")
            .add_label("current")
            .build(),
        resource("aws_iam_role", "secret_operator")
            .add_attribute(("name", name))
            .add_attribute(("tags", r("local.tags")))
            .add_attribute(("assume_role_policy", call("jsonencode", [trust])))
            .build(),
        resource("aws_iam_role_policy", "secret_operator")
            .add_attribute(("name", "read-environment-secrets"))
            .add_attribute(("role", r("aws_iam_role.secret_operator.id")))
            .add_attribute(("policy", call("jsonencode", [policy])))
            .build(),
        resource("aws_eks_pod_identity_association", "secret_operator")
            .add_attribute(("cluster_name", r("module.cluster.name")))
            .add_attribute(("namespace", SECRET_OPERATOR_NAMESPACE))
            .add_attribute(("service_account", SECRET_OPERATOR_SERVICE_ACCOUNT))
            .add_attribute(("role_arn", r("aws_iam_role.secret_operator.arn")))
            .add_attribute(("tags", r("local.tags")))
            .build(),
    ]
}

/// A user-assigned identity for the controller, federated for its ServiceAccount, reading
/// the store's secrets. Its client id is the one value the controller's ServiceAccount
/// needs by hand (output `secret_operator_client_id`).
/// <https://external-secrets.io/latest/provider/azure-key-vault/>
fn azure(platform: &str, env: &Environment, plan: &EnvPlan) -> Vec<Block> {
    let name = super::names::dns_label(&[platform, &env.name, "external-secrets"], 128);
    let group = || r("azurerm_resource_group.this.name");
    let mut blocks = Vec::new();
    if plan.managed.is_empty() {
        // Otherwise the secrets prelude has looked the vault up already.
        let (prelude, _) = super::secrets::prelude(env);
        blocks.extend(prelude);
    }
    blocks.extend([
        resource("azurerm_user_assigned_identity", "secret_operator")
            .add_attribute(("name", name))
            .add_attribute(("resource_group_name", group()))
            .add_attribute(("location", r("azurerm_resource_group.this.location")))
            .add_attribute(("tags", r("local.tags")))
            .build(),
        resource("azurerm_federated_identity_credential", "secret_operator")
            .add_attribute(("name", SECRET_OPERATOR_SERVICE_ACCOUNT))
            .add_attribute(("resource_group_name", group()))
            .add_attribute((
                "parent_id",
                r("azurerm_user_assigned_identity.secret_operator.id"),
            ))
            .add_attribute(("audience", arr([s("api://AzureADTokenExchange")])))
            .add_attribute(("issuer", r("module.cluster.oidc_issuer_url")))
            .add_attribute(("subject", operator_subject()))
            .build(),
        resource("azurerm_role_assignment", "secret_operator")
            .add_attribute(("scope", r("data.azurerm_key_vault.store.id")))
            .add_attribute(("role_definition_name", "Key Vault Secrets User"))
            .add_attribute((
                "principal_id",
                r("azurerm_user_assigned_identity.secret_operator.principal_id"),
            ))
            .build(),
    ]);
    blocks
}

/// The outputs the store's auth needs someone to read: Azure's controller client id.
pub fn outputs(env: &Environment) -> Vec<Block> {
    match (env.cloud.provider, env.secret_store.kind) {
        (CloudProvider::Azure, SecretStoreKind::AzureKeyVault) => vec![
            Block::builder("output")
                .add_label("secret_operator_client_id")
                .add_attribute((
                    "description",
                    "Client id for the External Secrets Operator ServiceAccount annotation azure.workload.identity/client-id (set once at its Helm install).",
                ))
                .add_attribute((
                    "value",
                    r("azurerm_user_assigned_identity.secret_operator.client_id"),
                ))
                .build(),
        ],
        _ => vec![],
    }
}

/// `path "<mount>/data/<entry>" { capabilities = ["read"] }` for every entry.
fn policy_text(entries: &BTreeSet<String>) -> Expression {
    let parts = entries.iter().map(|entry| {
        call(
            "format",
            [
                s("path \"%s/data/%s\" {\n  capabilities = [\"read\"]\n}\n"),
                r("var.vault_mount"),
                // A registry path may be written `/billing`; Vault paths have no leading `/`.
                s(entry.trim_start_matches('/')),
            ],
        )
    });
    call("join", [s(""), arr(parts)])
}

/// Vault Kubernetes auth for this environment's cluster: the auth mount configured with the
/// cluster's API, one policy and role per service on its own entries only (each of its
/// connection secrets by exact name, never a prefix another service's name could share, and
/// its registry paths), and the controller's role over all of them.
/// <https://developer.hashicorp.com/vault/docs/auth/kubernetes>,
/// <https://registry.terraform.io/providers/hashicorp/vault/latest/docs/resources/kubernetes_auth_backend_role>
fn vault(model: &Model, env: &Environment) -> Vec<Block> {
    let platform = &model.platform.name;
    let mut blocks = vec![
        resource("vault_auth_backend", "kubernetes")
            .add_attribute(("type", "kubernetes"))
            .add_attribute(("path", vault_auth_path(platform, &env.name)))
            .build(),
        // Without a reviewer JWT Vault reviews each login with the client's own token, so
        // the logging-in ServiceAccounts need `system:auth-delegator` (bound beside the
        // ClusterSecretStore).
        resource("vault_kubernetes_auth_backend_config", "this")
            .add_attribute(("backend", r("vault_auth_backend.kubernetes.path")))
            .add_attribute(("kubernetes_host", r("module.cluster.endpoint")))
            .add_attribute(("kubernetes_ca_cert", r("module.cluster.ca_certificate")))
            .add_attribute(("disable_local_ca_jwt", true))
            .build(),
    ];
    let mut every: BTreeSet<String> = BTreeSet::new();
    let mut services: Vec<(String, Expression)> = Vec::new();
    for svc in env.services.values() {
        let mut entries: BTreeSet<String> = svc.secrets.values().map(|r| r.path.clone()).collect();
        let provider = env.cloud.provider;
        let mut owns = false;
        for (entry, infra) in &svc.infra {
            if placement(provider, infra.kind) == Placement::Managed {
                owns = true;
                entries.insert(connection_secret_name(
                    platform, &env.name, &svc.name, entry,
                ));
            }
        }
        if owns && identity_in_store(provider) {
            entries.insert(identity_secret_name(platform, &env.name, &svc.name));
        }
        if entries.is_empty() {
            continue;
        }
        every.extend(entries.iter().cloned());
        let value = obj([
            ("namespace", s(env.namespace_of(svc))),
            (
                "policy",
                s(vault_service_policy(platform, &env.name, &svc.name)),
            ),
            (
                "role",
                s(vault_service_role(platform, &env.name, &svc.name)),
            ),
            ("document", policy_text(&entries)),
        ]);
        services.push((svc.name.clone(), value));
    }
    if every.is_empty() {
        return vec![];
    }
    let locals = Block::builder("locals")
        .add_attribute(("vault_services", obj(services)))
        .build();
    blocks.insert(0, locals);
    let each = |attr: &str| r(&format!("each.value.{attr}"));
    blocks.push(
        resource("vault_policy", "service")
            .add_attribute(("for_each", r("local.vault_services")))
            .add_attribute(("name", each("policy")))
            .add_attribute(("policy", each("document")))
            .build(),
    );
    blocks.push(
        resource("vault_kubernetes_auth_backend_role", "service")
            .add_attribute(("for_each", r("local.vault_services")))
            .add_attribute(("backend", r("vault_auth_backend.kubernetes.path")))
            .add_attribute(("role_name", each("role")))
            .add_attribute(("bound_service_account_names", arr([r("each.key")])))
            .add_attribute(("bound_service_account_namespaces", arr([each("namespace")])))
            .add_attribute((
                "token_policies",
                arr([ri("vault_policy.service", r("each.key"), "name")]),
            ))
            .build(),
    );
    let operator = vault_operator_role(platform, &env.name);
    blocks.push(
        resource("vault_policy", "secret_operator")
            .add_attribute(("name", format!("{operator}-policy")))
            .add_attribute(("policy", policy_text(&every)))
            .build(),
    );
    blocks.push(
        resource("vault_kubernetes_auth_backend_role", "secret_operator")
            .add_attribute(("backend", r("vault_auth_backend.kubernetes.path")))
            .add_attribute(("role_name", operator))
            .add_attribute((
                "bound_service_account_names",
                arr([s(SECRET_OPERATOR_SERVICE_ACCOUNT)]),
            ))
            .add_attribute((
                "bound_service_account_namespaces",
                arr([s(SECRET_OPERATOR_NAMESPACE)]),
            ))
            .add_attribute((
                "token_policies",
                arr([r("vault_policy.secret_operator.name")]),
            ))
            .build(),
    );
    blocks
}
