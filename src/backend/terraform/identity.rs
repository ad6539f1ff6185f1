//! Workload identities: each service owning a managed resource gets a cloud identity bound
//! to its Kubernetes ServiceAccount (`<service>` in its namespace) — an IAM role with an EKS
//! Pod Identity association on AWS, a user-assigned identity with a federated credential on
//! Azure, the ServiceAccount itself as a GKE workload principal on GCP (the mechanisms and
//! why: [`crate::backend::contract::workload_identity`]) — and grants on its own resources
//! only: read on its own connection secrets (when the store is the cloud's own) and data
//! access on its own bucket.

use hcl::expr::{Object, ObjectKey};
use hcl::{Block, BlockBuilder, Expression};

use super::hclx::{arr, call, obj, r, ri, s};
use super::secrets::indexed;
use crate::model::{CloudProvider, Environment, InfraType, SecretStoreKind};

fn fmt(pattern: &str, args: impl IntoIterator<Item = Expression>) -> Expression {
    call("format", std::iter::once(s(pattern)).chain(args))
}

fn service_account_subject() -> Expression {
    fmt(
        "system:serviceaccount:%s:%s",
        [r("each.value.namespace"), r("each.key")],
    )
}

fn owner_tags() -> Expression {
    let own = obj([("service", r("each.key")), ("team", r("each.value.team"))]);
    call("merge", [r("local.tags"), own])
}

fn for_each_block(ty: &str, label: &str, over: &str) -> BlockBuilder {
    Block::builder("resource")
        .add_label(ty)
        .add_label(label)
        .add_attribute(("for_each", r(over)))
}

/// `<ty>.service[each.value.service].<attr>`: the owner's identity.
fn owner(ty: &str, attr: &str) -> Expression {
    ri(&format!("{ty}.service"), r("each.value.service"), attr)
}

/// The identity of every owner (`for_each = local.services`).
pub fn identities(env: &Environment) -> Vec<Block> {
    match env.cloud.provider {
        CloudProvider::Aws => aws_identities(),
        CloudProvider::Azure => azure_identities(),
        CloudProvider::Gcp => gcp_identities(env),
    }
}

/// EKS Pod Identity: a role only the EKS Auth service can assume, for the session tags of
/// this namespace and ServiceAccount, and the association that hands it to the pods.
/// Trust policy and tags: <https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html>;
/// association: <https://docs.aws.amazon.com/eks/latest/APIReference/API_CreatePodIdentityAssociation.html>.
fn aws_identities() -> Vec<Block> {
    let quoted = |k: &str| ObjectKey::Expression(s(k));
    let condition: Object<ObjectKey, Expression> = [
        (
            quoted("aws:RequestTag/kubernetes-namespace"),
            r("each.value.namespace"),
        ),
        (
            quoted("aws:RequestTag/kubernetes-service-account"),
            r("each.key"),
        ),
    ]
    .into_iter()
    .collect();
    let statement = obj([
        ("Effect", s("Allow")),
        ("Principal", obj([("Service", s("pods.eks.amazonaws.com"))])),
        ("Action", arr([s("sts:AssumeRole"), s("sts:TagSession")])),
        (
            "Condition",
            obj([("StringEquals", Expression::Object(condition))]),
        ),
    ]);
    let document = obj([
        ("Version", s("2012-10-17")),
        ("Statement", arr([statement])),
    ]);
    vec![
        for_each_block("aws_iam_role", "service", "local.services")
            .add_attribute(("name", r("each.value.identity_name")))
            .add_attribute(("tags", owner_tags()))
            .add_attribute(("assume_role_policy", call("jsonencode", [document])))
            .build(),
        for_each_block(
            "aws_eks_pod_identity_association",
            "service",
            "local.services",
        )
        .add_attribute(("cluster_name", r("module.cluster.name")))
        .add_attribute(("namespace", r("each.value.namespace")))
        .add_attribute(("service_account", r("each.key")))
        .add_attribute(("role_arn", indexed("aws_iam_role", "service", "arn")))
        .add_attribute(("tags", owner_tags()))
        .build(),
    ]
}

/// A user-assigned identity per service, federated with the cluster's OIDC issuer for the
/// service's ServiceAccount token.
/// <https://learn.microsoft.com/en-us/azure/aks/workload-identity-deploy-cluster>
fn azure_identities() -> Vec<Block> {
    let group = || r("azurerm_resource_group.this.name");
    vec![
        for_each_block(
            "azurerm_user_assigned_identity",
            "service",
            "local.services",
        )
        .add_attribute(("name", r("each.value.identity_name")))
        .add_attribute(("resource_group_name", group()))
        .add_attribute(("location", r("azurerm_resource_group.this.location")))
        .add_attribute(("tags", owner_tags()))
        .build(),
        for_each_block(
            "azurerm_federated_identity_credential",
            "service",
            "local.services",
        )
        .add_attribute(("name", r("each.key")))
        .add_attribute(("resource_group_name", group()))
        .add_attribute((
            "parent_id",
            indexed("azurerm_user_assigned_identity", "service", "id"),
        ))
        .add_attribute(("audience", arr([s("api://AzureADTokenExchange")])))
        .add_attribute(("issuer", r("module.cluster.oidc_issuer_url")))
        .add_attribute(("subject", service_account_subject()))
        .build(),
    ]
}

/// The project's number, which GKE workload principals are named by.
fn gcp_identities(_env: &Environment) -> Vec<Block> {
    vec![
        Block::builder("data")
            .add_label("google_project")
            .add_label("this")
            .add_attribute(("project_id", r("var.project_id")))
            .build(),
    ]
}

/// `principal://…/subject/ns/<namespace>/sa/<service>`: the owner's ServiceAccount itself,
/// granted directly (Workload Identity Federation for GKE without a Google service account).
/// <https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity>
fn gcp_principal() -> Expression {
    fmt(
        "principal://iam.googleapis.com/projects/%s/locations/global/workloadIdentityPools/%s.svc.id.goog/subject/ns/%s/sa/%s",
        [
            r("data.google_project.this.number"),
            r("var.project_id"),
            ri("local.services", r("each.value.service"), "namespace"),
            r("each.value.service"),
        ],
    )
}

/// What the owner of a `kind` resource may do: read its secret, use its bucket.
struct Need {
    label: &'static str,
    over: String,
    secret: bool,
    bucket: bool,
    /// The map of the resources' module outputs (`module.<kind>`), by `each.key`.
    source: String,
    /// The label of the bucket grant where it is not `label` (Azure's, GCP's).
    bucket_label: &'static str,
}

impl Need {
    /// `<source>[each.key].<attr>`.
    fn module(&self, attr: &str) -> Expression {
        ri(&self.source, r("each.key"), attr)
    }
}

/// Grants of every `kind` resource to its owner only.
pub fn grants(env: &Environment, kind: InfraType) -> Vec<Block> {
    let secret = matches!(
        (env.cloud.provider, env.secret_store.kind),
        (CloudProvider::Aws, SecretStoreKind::AwsSecretsManager)
            | (CloudProvider::Azure, SecretStoreKind::AzureKeyVault)
            | (CloudProvider::Gcp, SecretStoreKind::GcpSecretManager)
    );
    let need = Need {
        label: kind.as_str(),
        over: format!("local.{}", kind.as_str()),
        secret,
        bucket: kind == InfraType::Bucket,
        source: format!("module.{}", kind.as_str()),
        bucket_label: "bucket",
    };
    grant(env, &need)
}

/// Data access of each owner on the `scope: environment` buckets of its environment, from a
/// cell's root: `over` maps each bucket's key to `{service}`, `source` to the environment
/// root's outputs of the bucket (`id`, and on AWS `kms_key_arn`).
pub fn shared_bucket_grants(env: &Environment, over: &str, source: &str) -> Vec<Block> {
    let need = Need {
        label: "shared_bucket",
        over: over.to_owned(),
        secret: false,
        bucket: true,
        source: source.to_owned(),
        bucket_label: "shared_bucket",
    };
    grant(env, &need)
}

fn grant(env: &Environment, need: &Need) -> Vec<Block> {
    match env.cloud.provider {
        CloudProvider::Aws => aws_grants(need),
        CloudProvider::Azure => azure_grants(need),
        CloudProvider::Gcp => gcp_grants(need),
    }
}

fn aws_grants(need: &Need) -> Vec<Block> {
    let label = need.label;
    let module = |attr: &str| need.module(attr);
    let allow = |actions: &[&str], resource: Expression| {
        let actions = arr(actions.iter().map(|a| s(*a)));
        obj([
            ("Effect", s("Allow")),
            ("Action", actions),
            ("Resource", resource),
        ])
    };
    let mut statements = Vec::new();
    if need.secret {
        let arn = indexed("aws_secretsmanager_secret", label, "arn");
        statements.push(allow(
            &[
                "secretsmanager:GetSecretValue",
                "secretsmanager:DescribeSecret",
            ],
            arn,
        ));
        statements.push(allow(&["kms:Decrypt"], r("aws_kms_key.secrets.arn")));
    }
    if need.bucket {
        let objects = fmt("%s/*", [module("id")]);
        statements.push(allow(&["s3:ListBucket"], module("id")));
        statements.push(allow(
            &["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            objects,
        ));
        statements.push(allow(
            &["kms:Decrypt", "kms:GenerateDataKey"],
            module("kms_key_arn"),
        ));
    }
    if statements.is_empty() {
        return vec![];
    }
    let document = obj([("Version", s("2012-10-17")), ("Statement", arr(statements))]);
    vec![
        for_each_block("aws_iam_role_policy", label, &need.over)
            .add_attribute(("name", r("each.key")))
            .add_attribute(("role", owner("aws_iam_role", "id")))
            .add_attribute(("policy", call("jsonencode", [document])))
            .build(),
    ]
}

fn azure_grants(need: &Need) -> Vec<Block> {
    let assign = |name: String, scope: Expression, role: &str| {
        for_each_block("azurerm_role_assignment", &name, &need.over)
            .add_attribute(("scope", scope))
            .add_attribute(("role_definition_name", role))
            .add_attribute((
                "principal_id",
                owner("azurerm_user_assigned_identity", "principal_id"),
            ))
            .build()
    };
    let mut out = Vec::new();
    if need.secret {
        let scope = indexed(
            "azurerm_key_vault_secret",
            need.label,
            "resource_versionless_id",
        );
        out.push(assign(
            format!("{}_secret", need.label),
            scope,
            "Key Vault Secrets User",
        ));
    }
    if need.bucket {
        let scope = need.module("id");
        out.push(assign(
            format!("{}_data", need.bucket_label),
            scope,
            "Storage Blob Data Contributor",
        ));
    }
    out
}

fn gcp_grants(need: &Need) -> Vec<Block> {
    let member = gcp_principal();
    let mut out = Vec::new();
    if need.secret {
        let secret_id = indexed("google_secret_manager_secret", need.label, "secret_id");
        out.push(
            for_each_block(
                "google_secret_manager_secret_iam_member",
                need.label,
                &need.over,
            )
            .add_attribute((
                "project",
                indexed("google_secret_manager_secret", need.label, "project"),
            ))
            .add_attribute(("secret_id", secret_id))
            .add_attribute(("role", "roles/secretmanager.secretAccessor"))
            .add_attribute(("member", member.clone()))
            .build(),
        );
    }
    if need.bucket {
        out.push(
            for_each_block(
                "google_storage_bucket_iam_member",
                need.bucket_label,
                &need.over,
            )
            .add_attribute(("bucket", need.module("id")))
            .add_attribute(("role", "roles/storage.objectUser"))
            .add_attribute(("member", member))
            .build(),
        );
    }
    out
}
