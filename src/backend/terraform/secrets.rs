//! Connection secrets: for every managed resource, one entry in the environment's secret
//! store named by [`connection_secret_name`](crate::backend::contract::connection_secret_name),
//! whose value is a JSON document with exactly the
//! [`connection_keys`](crate::backend::contract::connection_keys), read from the module's
//! outputs. No secret value is ever written in the repository.

use hcl::{Block, BlockBuilder, Expression};

use super::format::BlockNote;
use super::hclx::{call, obj, r, ri, s};
use crate::backend::contract::{IDENTITY_CLIENT_ID_KEY, connection_keys, identity_in_store};
use crate::model::{Environment, InfraType, SecretStoreKind};

/// Blocks the store needs once per root (the vault lookup, the encryption key).
pub fn prelude(env: &Environment) -> (Vec<Block>, Vec<BlockNote>) {
    match env.secret_store.kind {
        SecretStoreKind::AzureKeyVault => {
            let vault = Block::builder("data")
                .add_label("azurerm_key_vault")
                .add_label("store")
                .add_attribute(("name", r("var.key_vault_name")))
                .add_attribute((
                    "resource_group_name",
                    r("var.key_vault_resource_group_name"),
                ))
                .build();
            (vec![vault], vec![])
        }
        SecretStoreKind::AwsSecretsManager => {
            let key = Block::builder("resource")
                .add_label("aws_kms_key")
                .add_label("secrets")
                .add_attribute(("description", format!("Connection secrets of {}", env.name)))
                .add_attribute(("enable_key_rotation", true))
                .add_attribute(("deletion_window_in_days", 30))
                .add_attribute(("tags", r("local.tags")))
                .build();
            let note = BlockNote::new(
                &["resource", "aws_kms_key", "secrets"],
                &[
                    "#checkov:skip=CKV2_AWS_64:the default key policy (account root) is intended; access is granted through IAM",
                ],
            );
            (vec![key], vec![note])
        }
        SecretStoreKind::GcpSecretManager | SecretStoreKind::Vault | SecretStoreKind::Infisical => {
            (vec![], vec![])
        }
    }
}

/// `jsonencode({ host = module.<kind>[each.key].host, ... })`.
fn document(kind: InfraType) -> Expression {
    document_of(kind, r("each.key"))
}

/// `jsonencode({ host = module.<kind>[<key>].host, ... })`: the value of the connection
/// entry of the `kind` resource `key`.
pub fn document_of(kind: InfraType, key: Expression) -> Expression {
    let module = format!("module.{}", kind.as_str());
    let fields = connection_keys(kind)
        .iter()
        .map(|key_name| (*key_name, ri(&module, key.clone(), key_name)));
    call("jsonencode", [obj(fields)])
}

/// What one family of store entries is: `resource "<ty>" "<label>"` over `over`, named by
/// `each.value.secret_name`, holding `value`.
struct Entry {
    label: &'static str,
    over: String,
    value: Expression,
}

/// The secret-store resources holding the connection details of every `kind` resource.
pub fn writes(env: &Environment, kind: InfraType) -> (Vec<Block>, Vec<BlockNote>) {
    write(
        env,
        Entry {
            label: kind.as_str(),
            over: format!("local.{}", kind.as_str()),
            value: document(kind),
        },
    )
}

/// The entries holding each service's Azure identity client id
/// ([`identity_secret_name`](crate::backend::contract::identity_secret_name)), for
/// `local.services` whose `secret_name` is that name; none on other clouds.
pub fn identity_writes(env: &Environment) -> (Vec<Block>, Vec<BlockNote>) {
    if !identity_in_store(env.cloud.provider) {
        return (vec![], vec![]);
    }
    let client_id = indexed("azurerm_user_assigned_identity", "service", "client_id");
    write(
        env,
        Entry {
            label: "identity",
            over: "local.services".to_owned(),
            value: call("jsonencode", [obj([(IDENTITY_CLIENT_ID_KEY, client_id)])]),
        },
    )
}

/// Entries `label` over `over` (each with a `secret_name`) holding `value`: the copies a
/// cell with a store of its own keeps of its environment's shared entries.
pub fn copies(
    env: &Environment,
    label: &'static str,
    over: &str,
    value: Expression,
) -> (Vec<Block>, Vec<BlockNote>) {
    write(
        env,
        Entry {
            label,
            over: over.to_owned(),
            value,
        },
    )
}

fn write(env: &Environment, entry: Entry) -> (Vec<Block>, Vec<BlockNote>) {
    match env.secret_store.kind {
        SecretStoreKind::AzureKeyVault => key_vault(entry),
        SecretStoreKind::AwsSecretsManager => secrets_manager(entry),
        SecretStoreKind::GcpSecretManager => (secret_manager(env, entry), vec![]),
        SecretStoreKind::Vault => (vec![vault(env, entry)], vec![]),
        SecretStoreKind::Infisical => (vec![infisical(env, entry)], vec![]),
    }
}

/// `resource "<ty>" "<label>" { for_each = <over> ... }`.
fn resource(ty: &str, entry: &Entry) -> BlockBuilder {
    Block::builder("resource")
        .add_label(ty)
        .add_label(entry.label)
        .add_attribute(("for_each", r(&entry.over)))
}

fn key_vault(entry: Entry) -> (Vec<Block>, Vec<BlockNote>) {
    let block = resource("azurerm_key_vault_secret", &entry)
        .add_attribute(("name", r("each.value.secret_name")))
        .add_attribute(("key_vault_id", r("data.azurerm_key_vault.store.id")))
        .add_attribute(("content_type", "application/json"))
        .add_attribute(("value", entry.value))
        .build();
    let note = BlockNote::new(
        &["resource", "azurerm_key_vault_secret", entry.label],
        &[
            "#checkov:skip=CKV_AZURE_41:connection details live as long as the resource; they are rotated with it, not by date",
        ],
    );
    (vec![block], vec![note])
}

fn secrets_manager(entry: Entry) -> (Vec<Block>, Vec<BlockNote>) {
    let label = entry.label;
    let secret = resource("aws_secretsmanager_secret", &entry)
        .add_attribute(("name", r("each.value.secret_name")))
        .add_attribute(("kms_key_id", r("aws_kms_key.secrets.arn")))
        .add_attribute(("recovery_window_in_days", 7))
        .add_attribute(("tags", r("local.tags")))
        .build();
    let version = resource("aws_secretsmanager_secret_version", &entry)
        .add_attribute((
            "secret_id",
            indexed("aws_secretsmanager_secret", label, "id"),
        ))
        .add_attribute(("secret_string", entry.value))
        .build();
    let note = BlockNote::new(
        &["resource", "aws_secretsmanager_secret", label],
        &[
            "#checkov:skip=CKV2_AWS_57:connection details are rotated with the resource by Terraform, not by a rotation Lambda",
        ],
    );
    (vec![secret, version], vec![note])
}

/// The GCP project of a Secret Manager store: `secretStore.project` (required by the
/// schema), so the ClusterSecretStore and the writes name the same one.
pub fn gcp_store_project(env: &Environment) -> Expression {
    match &env.secret_store.project {
        Some(project) => s(project),
        None => r("var.project_id"),
    }
}

/// The Infisical project, looked up by `secretStore.projectSlug` (`store_auth` declares the
/// lookup), and the environment slug: the ClusterSecretStore's `secretsScope`.
pub fn infisical_scope(env: &Environment) -> (Expression, Expression) {
    let environment = env
        .secret_store
        .environment_slug
        .as_deref()
        .unwrap_or(env.name.as_str());
    (r("data.infisical_projects.store.id"), s(environment))
}

fn secret_manager(env: &Environment, entry: Entry) -> Vec<Block> {
    let replication = Block::builder("replication")
        .add_block(Block::builder("auto").build())
        .build();
    let secret = resource("google_secret_manager_secret", &entry)
        .add_attribute(("project", gcp_store_project(env)))
        .add_attribute(("secret_id", r("each.value.secret_name")))
        .add_attribute(("labels", r("local.tags")))
        .add_block(replication)
        .build();
    let version = resource("google_secret_manager_secret_version", &entry)
        .add_attribute((
            "secret",
            indexed("google_secret_manager_secret", entry.label, "id"),
        ))
        .add_attribute(("secret_data", entry.value))
        .build();
    vec![secret, version]
}

fn vault(env: &Environment, entry: Entry) -> Block {
    resource("vault_kv_secret_v2", &entry)
        .add_attribute(("mount", env.secret_store.mount.as_str()))
        .add_attribute(("name", r("each.value.secret_name")))
        .add_attribute(("data_json", entry.value))
        .build()
}

fn infisical(env: &Environment, entry: Entry) -> Block {
    let (workspace, environment) = infisical_scope(env);
    resource("infisical_secret", &entry)
        .add_attribute(("name", r("each.value.secret_name")))
        .add_attribute(("value", entry.value))
        .add_attribute(("env_slug", environment))
        .add_attribute(("workspace_id", workspace))
        .add_attribute(("folder_path", s("/")))
        .build()
}

/// `<ty>.<label>[each.key].<attr>`.
pub fn indexed(ty: &str, label: &str, attr: &str) -> Expression {
    ri(&format!("{ty}.{label}"), r("each.key"), attr)
}
