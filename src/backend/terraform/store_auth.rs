//! The secret store's side of the environment's ClusterSecretStore: the identity the External
//! Secrets Operator controller authenticates as
//! ([`SECRET_OPERATOR_NAMESPACE`]/[`SECRET_OPERATOR_SERVICE_ACCOUNT`]) and its read grants
//! on the environment's entries (the connection secrets Terraform writes and the registry
//! `secrets` paths); on Vault also one policy and one Kubernetes auth role per service, on
//! the service's own paths only; on Infisical one machine identity per service (Kubernetes
//! auth bound to its ServiceAccount, read rights on its own entries) and the controller's.
//!
//! The Kubernetes side (`kubernetes::secrets::cluster_secret_store`) names the same store,
//! role and ServiceAccount; both read them from `backend::contract`.

use std::collections::BTreeSet;

use hcl::{Block, BlockBuilder, Expression};

use super::hclx::{arr, call, obj, r, ri, s};
use super::plan::EnvPlan;
use crate::backend::contract::{
    INFISICAL_IDENTITY_KEY, Placement, SECRET_OPERATOR_NAMESPACE, SECRET_OPERATOR_SERVICE_ACCOUNT,
    connection_secret_name, entry_scope, identity_in_store, identity_secret_name,
    infisical_identity_secret, placement, service_account_subject, vault_auth_path,
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

/// The store entry of `entry` of `service` in `env` (a cell's own, or the environment's
/// one when `scope: environment`, or the cell's copy of it with `copies`), as
/// `terraform::plan` and the ExternalSecrets name it.
fn entry_name(
    platform: &str,
    env: &Environment,
    copies: bool,
    service: &str,
    entry: &str,
    infra: &crate::model::Infra,
) -> String {
    let scope = entry_scope(&env.name, env.cell.as_deref(), infra.scope, copies);
    connection_secret_name(platform, &scope, service, entry)
}

/// In a cell, the `scope: environment` entries its services read: the environment's, or
/// the cell's copies with `copies` (`terraform::cells`). None elsewhere: every entry is
/// then the root's own (`plan.managed`).
fn shared_reads(platform: &str, env: &Environment, copies: bool) -> BTreeSet<String> {
    if env.cell.is_none() {
        return BTreeSet::new();
    }
    let provider = env.cloud.provider;
    let mut out = BTreeSet::new();
    for svc in env.services.values() {
        for (entry, infra) in &svc.infra {
            if infra.scope == Some(crate::model::InfraScope::Environment)
                && placement(provider, infra.kind) == Placement::Managed
            {
                out.insert(entry_name(platform, env, copies, &svc.name, entry, infra));
            }
        }
    }
    out
}

fn resource(ty: &str, label: &str) -> BlockBuilder {
    Block::builder("resource").add_label(ty).add_label(label)
}

fn operator_subject() -> String {
    service_account_subject(SECRET_OPERATOR_NAMESPACE, SECRET_OPERATOR_SERVICE_ACCOUNT)
}

/// The blocks of the store's auth for `env`, when its store is the cloud's own or Vault.
/// `copies`: `env` is a cell keeping copies of its environment's shared entries
/// (`terraform::cells`: there are some, and
/// [`crate::backend::contract::reads_environment_store`] is false).
pub fn blocks(model: &Model, env: &Environment, plan: &EnvPlan, copies: bool) -> Vec<Block> {
    let platform = &model.platform.name;
    let shared = shared_reads(platform, env, copies);
    match (env.cloud.provider, env.secret_store.kind) {
        (CloudProvider::Aws, SecretStoreKind::AwsSecretsManager) => {
            aws(model, env, plan, shared, copies)
        }
        (CloudProvider::Azure, SecretStoreKind::AzureKeyVault) => {
            azure(platform, env, plan, copies)
        }
        (CloudProvider::Gcp, SecretStoreKind::GcpSecretManager) => gcp(env, plan, shared, copies),
        (_, SecretStoreKind::Vault) => vault(model, env, copies),
        (_, SecretStoreKind::Infisical) => infisical(model, env, copies),
        _ => vec![],
    }
}

/// An IAM role for the controller, handed to it by an EKS Pod Identity association, reading
/// the environment's secrets only.
/// <https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html>
fn aws(
    model: &Model,
    env: &Environment,
    plan: &EnvPlan,
    shared: BTreeSet<String>,
    copies: bool,
) -> Vec<Block> {
    let platform = &model.platform.name;
    let name = super::names::dns_label(
        &[platform, &super::names::base(env), "external-secrets"],
        64,
    );
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
    let reads_shared = !shared.is_empty();
    names.extend(shared);
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
    // The key of the root's own entries (and of a cell's copies), and the environment's key
    // of the shared entries a cell reads from the environment's store.
    let mut keys = Vec::new();
    if !plan.managed.is_empty() || (copies && reads_shared) {
        keys.push(r("aws_kms_key.secrets.arn"));
    }
    if reads_shared && !copies {
        keys.push(r(&format!(
            "{}.outputs.{}",
            super::cells::ENVIRONMENT_STATE,
            super::cells::SECRETS_KEY_OUTPUT
        )));
    }
    if !keys.is_empty() {
        let resource = if keys.len() == 1 {
            keys.remove(0)
        } else {
            arr(keys)
        };
        statements.push(obj([
            ("Effect", s("Allow")),
            ("Action", arr([s("kms:Decrypt")])),
            ("Resource", resource),
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
fn azure(platform: &str, env: &Environment, plan: &EnvPlan, copies: bool) -> Vec<Block> {
    let name = super::names::dns_label(
        &[platform, &super::names::base(env), "external-secrets"],
        128,
    );
    let group = || r("azurerm_resource_group.this.name");
    let mut blocks = Vec::new();
    if plan.managed.is_empty() && !copies {
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

/// The hand steps the store's auth leaves (README "Per cloud"), as header lines.
pub fn hand_steps(env: &Environment) -> Vec<String> {
    hand_step(env)
        .map(|(name, step, _)| {
            format!("# Hand step, once after the first apply: {step} (output {name}).")
        })
        .into_iter()
        .collect()
}

/// Whether some service of `env` reads anything from the store.
fn reads_anything(env: &Environment) -> bool {
    let provider = env.cloud.provider;
    env.services.values().any(|svc| {
        !svc.secrets.is_empty()
            || svc
                .infra
                .values()
                .any(|infra| placement(provider, infra.kind) == Placement::Managed)
    })
}

/// The one value the store's auth needs someone to carry into the cluster, known only after
/// apply: (output, what to do with it, value). Azure: the controller's client id, for its
/// ServiceAccount's `azure.workload.identity/client-id` annotation; Infisical: the controller's
/// machine identity id, for the Secret its ClusterSecretStore reads.
fn hand_step(env: &Environment) -> Option<(&'static str, String, Expression)> {
    match (env.cloud.provider, env.secret_store.kind) {
        (_, SecretStoreKind::Infisical)
            if reads_anything(env) && env.secret_store.project_slug.is_some() =>
        {
            Some((
                "secret_operator_identity_id",
                format!(
                    "put the External Secrets Operator's Infisical machine identity id in Secret {} (namespace {SECRET_OPERATOR_NAMESPACE}, key {INFISICAL_IDENTITY_KEY}), which the ClusterSecretStore reads",
                    infisical_identity_secret(&env.secret_store.name)
                ),
                r("infisical_identity.secret_operator.id"),
            ))
        }
        (CloudProvider::Azure, SecretStoreKind::AzureKeyVault) => Some((
            "secret_operator_client_id",
            format!(
                "annotate the External Secrets Operator's ServiceAccount ({SECRET_OPERATOR_NAMESPACE}/{SECRET_OPERATOR_SERVICE_ACCOUNT}) with azure.workload.identity/client-id set to this client id (Helm value serviceAccount.annotations at its install)"
            ),
            r("azurerm_user_assigned_identity.secret_operator.client_id"),
        )),
        _ => None,
    }
}

/// The outputs the store's auth needs someone to read: [`hand_step`].
pub fn outputs(env: &Environment) -> Vec<Block> {
    hand_step(env)
        .map(|(name, step, value)| {
            let mut description = step;
            if let Some(first) = description.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            Block::builder("output")
                .add_label(name)
                .add_attribute(("description", format!("{description}.")))
                .add_attribute(("value", value))
                .build()
        })
        .into_iter()
        .collect()
}

/// `path "<mount>/data/<entry>" { capabilities = ["read"] }` for every entry, `<mount>`
/// being `secretStore.mount` as everywhere else.
fn policy_text(mount: &str, entries: &BTreeSet<String>) -> Expression {
    let parts = entries.iter().map(|entry| {
        call(
            "format",
            [
                s("path \"%s/data/%s\" {\n  capabilities = [\"read\"]\n}\n"),
                s(mount),
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
fn vault(model: &Model, env: &Environment, copies: bool) -> Vec<Block> {
    let platform = &model.platform.name;
    // One mount, role and policy set per cluster: a cell's own.
    let base = super::names::base(env);
    let mut blocks = vec![
        resource("vault_auth_backend", "kubernetes")
            .add_attribute(("type", "kubernetes"))
            .add_attribute(("path", vault_auth_path(platform, &base)))
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
                entries.insert(entry_name(platform, env, copies, &svc.name, entry, infra));
            }
        }
        if owns && identity_in_store(provider) {
            entries.insert(identity_secret_name(platform, &base, &svc.name));
        }
        if entries.is_empty() {
            continue;
        }
        every.extend(entries.iter().cloned());
        let value = obj([
            ("namespace", s(env.namespace_of(svc))),
            (
                "policy",
                s(vault_service_policy(platform, &base, &svc.name)),
            ),
            ("role", s(vault_service_role(platform, &base, &svc.name))),
            ("document", policy_text(&env.secret_store.mount, &entries)),
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
    let operator = vault_operator_role(platform, &base);
    blocks.push(
        resource("vault_policy", "secret_operator")
            .add_attribute(("name", format!("{operator}-policy")))
            .add_attribute(("policy", policy_text(&env.secret_store.mount, &every)))
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

/// The controller's Kubernetes ServiceAccount granted read on every entry of the store in
/// `secretStore.project`: the connection secrets Terraform writes (after it writes them) and
/// the registry `secrets` paths. Workload Identity Federation for GKE names the
/// ServiceAccount itself as the principal, so the ClusterSecretStore needs no `auth`.
/// <https://external-secrets.io/latest/provider/google-secrets-manager/> ("Authorizing the
/// Core Controller Pod"), <https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity>
fn gcp(env: &Environment, plan: &EnvPlan, shared: BTreeSet<String>, copies: bool) -> Vec<Block> {
    let mut names: BTreeSet<String> = registry_paths(env)
        .into_iter()
        .map(|p| p.trim_matches('/').to_owned())
        .collect();
    for resources in plan.managed.values() {
        names.extend(resources.iter().map(|res| res.secret_name.clone()));
    }
    let copied = copies && !shared.is_empty();
    names.extend(shared);
    if names.is_empty() {
        return vec![];
    }
    let mut blocks = Vec::new();
    if plan.owners.is_empty() {
        // Otherwise the identities have looked the project up already.
        blocks.push(
            Block::builder("data")
                .add_label("google_project")
                .add_label("this")
                .add_attribute(("project_id", r("var.project_id")))
                .build(),
        );
    }
    let member = call(
        "format",
        [
            s(
                "principal://iam.googleapis.com/projects/%s/locations/global/workloadIdentityPools/%s.svc.id.goog/subject/ns/%s/sa/%s",
            ),
            r("data.google_project.this.number"),
            r("var.project_id"),
            s(SECRET_OPERATOR_NAMESPACE),
            s(SECRET_OPERATOR_SERVICE_ACCOUNT),
        ],
    );
    let mut written: Vec<Expression> = plan
        .managed
        .keys()
        .map(|kind| r(&format!("google_secret_manager_secret.{}", kind.as_str())))
        .collect();
    if copied {
        written.push(r(&format!(
            "google_secret_manager_secret.{}",
            super::cells::SHARED_COPIES
        )));
    }
    let mut block = resource("google_secret_manager_secret_iam_member", "secret_operator")
        .add_attribute(("for_each", call("toset", [arr(names.iter().map(s))])))
        .add_attribute(("project", super::secrets::gcp_store_project(env)))
        .add_attribute(("secret_id", r("each.key")))
        .add_attribute(("role", "roles/secretmanager.secretAccessor"))
        .add_attribute(("member", member));
    if !written.is_empty() {
        block = block.add_attribute(("depends_on", arr(written)));
    }
    blocks.push(block.build());
    blocks
}

/// What one reader of an Infisical store may read: the root-folder entries Terraform writes,
/// by exact name, and each registry secret by folder and name.
#[derive(Default)]
struct InfisicalReads {
    root: BTreeSet<String>,
    folders: BTreeSet<(String, String)>,
}

impl InfisicalReads {
    fn is_empty(&self) -> bool {
        self.root.is_empty() && self.folders.is_empty()
    }

    fn extend(&mut self, other: &InfisicalReads) {
        self.root.extend(other.root.iter().cloned());
        self.folders.extend(other.folders.iter().cloned());
    }

    /// `permissions_v2`: read on `secrets`, scoped by environment, folder and secret name.
    /// <https://registry.terraform.io/providers/Infisical/infisical/latest/docs/resources/project_identity_specific_privilege>,
    /// <https://infisical.com/docs/internals/permissions/project-permissions>
    fn permissions(&self, environment: &Expression) -> Expression {
        let permission = |path: String, names: Expression| {
            let conditions = obj([
                ("environment", obj([("$eq", environment.clone())])),
                ("secretPath", obj([("$eq", s(path))])),
                ("secretName", names),
            ]);
            obj([
                ("subject", s("secrets")),
                ("action", arr([s("read")])),
                ("conditions", call("jsonencode", [conditions])),
            ])
        };
        let mut out = Vec::new();
        if !self.root.is_empty() {
            let names = obj([("$in", arr(self.root.iter().map(s)))]);
            out.push(permission("/".to_owned(), names));
        }
        for (folder, key) in &self.folders {
            out.push(permission(folder.clone(), obj([("$eq", s(key))])));
        }
        arr(out)
    }
}

/// The folder of a registry `secrets` path on Infisical: `/billing`, `/` for the root (as the
/// ExternalSecret addresses it, `kubernetes::secrets::user_remote`).
fn infisical_folder(path: &str) -> String {
    format!("/{}", path.trim_matches('/'))
}

/// Infisical machine identities: one per service that reads anything, with Kubernetes auth
/// bound to its own ServiceAccount and read rights on its own entries only (like the Vault
/// policy per service), and the controller's, over all of them, whose id the
/// ClusterSecretStore reads from a Secret (output `secret_operator_identity_id`). Each
/// identity joins the project with the `no-access` role and gets its reads as specific
/// privileges. Logins are reviewed with the client's own token (no reviewer JWT).
/// <https://registry.terraform.io/providers/Infisical/infisical/latest/docs/resources/identity_kubernetes_auth>,
/// <https://infisical.com/docs/documentation/platform/identities/kubernetes-auth>
fn infisical(model: &Model, env: &Environment, copies: bool) -> Vec<Block> {
    let platform = &model.platform.name;
    let store = &env.secret_store;
    let Some(slug) = &store.project_slug else {
        return vec![];
    };
    let (_, environment) = super::secrets::infisical_scope(env);
    let provider = env.cloud.provider;
    let mut every = InfisicalReads::default();
    let mut services: Vec<(String, Expression)> = Vec::new();
    for svc in env.services.values() {
        let mut reads = InfisicalReads::default();
        for secret in svc.secrets.values() {
            reads
                .folders
                .insert((infisical_folder(&secret.path), secret.key.clone()));
        }
        let mut owns = false;
        for (entry, infra) in &svc.infra {
            if placement(provider, infra.kind) == Placement::Managed {
                owns = true;
                reads
                    .root
                    .insert(entry_name(platform, env, copies, &svc.name, entry, infra));
            }
        }
        if owns && identity_in_store(provider) {
            reads.root.insert(identity_secret_name(
                platform,
                &super::names::base(env),
                &svc.name,
            ));
        }
        if reads.is_empty() {
            continue;
        }
        every.extend(&reads);
        let name = super::names::dns_label(&[platform, &super::names::base(env), &svc.name], 64);
        services.push((
            svc.name.clone(),
            obj([
                ("name", s(name)),
                ("namespace", s(env.namespace_of(svc))),
                ("permissions", reads.permissions(&environment)),
            ]),
        ));
    }
    let project = Block::builder("data")
        .add_label("infisical_projects")
        .add_label("store")
        .add_attribute(("slug", slug.as_str()))
        .build();
    let mut blocks = vec![project];
    if every.is_empty() {
        return blocks;
    }
    // `for_each` over the services, or one block for the controller.
    let start = |ty: &str, label: &str| {
        let block = resource(ty, label);
        if label == "service" {
            block.add_attribute(("for_each", r("local.infisical_services")))
        } else {
            block
        }
    };
    let auth = |label: &str, identity: Expression, namespaces: Expression, accounts: Expression| {
        start("infisical_identity_kubernetes_auth", label)
            .add_attribute(("identity_id", identity))
            .add_attribute(("kubernetes_host", r("module.cluster.endpoint")))
            .add_attribute((
                "kubernetes_ca_certificate",
                r("module.cluster.ca_certificate"),
            ))
            .add_attribute(("token_reviewer_mode", "api"))
            .add_attribute(("allowed_namespaces", namespaces))
            .add_attribute(("allowed_service_account_names", accounts))
            .build()
    };
    let identity = |label: &str, name: Expression| {
        start("infisical_identity", label)
            .add_attribute(("name", name))
            .add_attribute(("role", "member"))
            .add_attribute(("org_id", r("data.infisical_projects.store.org_id")))
            .build()
    };
    let membership = |label: &str, identity: Expression| {
        start("infisical_project_identity", label)
            .add_attribute(("project_id", r("data.infisical_projects.store.id")))
            .add_attribute(("identity_id", identity))
            .add_attribute(("roles", arr([obj([("role_slug", s("no-access"))])])))
            .build()
    };
    let privilege = |label: &str, permissions: Expression| {
        let identity = if label == "service" {
            ri(
                "infisical_project_identity.service",
                r("each.key"),
                "identity_id",
            )
        } else {
            r(&format!("infisical_project_identity.{label}.identity_id"))
        };
        start("infisical_project_identity_specific_privilege", label)
            .add_attribute(("project_slug", slug.as_str()))
            .add_attribute(("identity_id", identity))
            .add_attribute(("permissions_v2", permissions))
            .build()
    };
    let service_id = || ri("infisical_identity.service", r("each.key"), "id");
    let operator_id = || r("infisical_identity.secret_operator.id");
    let operator_name = super::names::dns_label(
        &[platform, &super::names::base(env), "external-secrets"],
        64,
    );
    blocks.extend([
        Block::builder("locals")
            .add_attribute(("infisical_services", obj(services)))
            .build(),
        identity("service", r("each.value.name")),
        auth(
            "service",
            service_id(),
            arr([r("each.value.namespace")]),
            arr([r("each.key")]),
        ),
        membership("service", service_id()),
        privilege("service", r("each.value.permissions")),
        identity("secret_operator", s(operator_name)),
        auth(
            "secret_operator",
            operator_id(),
            arr([s(SECRET_OPERATOR_NAMESPACE)]),
            arr([s(SECRET_OPERATOR_SERVICE_ACCOUNT)]),
        ),
        membership("secret_operator", operator_id()),
        privilege("secret_operator", every.permissions(&environment)),
    ]);
    blocks
}
