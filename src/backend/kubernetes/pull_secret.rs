//! Image pull credentials where a cluster cannot pull `platform.imageRegistry` by its cloud
//! identity: an ExternalSecret per service writing a `kubernetes.io/dockerconfigjson` Secret
//! from `platform.imagePullSecret` in the environment's secret store, and the service's
//! ServiceAccount naming it in `imagePullSecrets` (which Kubernetes adds to every pod that
//! runs as the account, whatever its track or colour).
//! <https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#add-imagepullsecrets-to-a-service-account>,
//! <https://external-secrets.io/latest/guides/common-k8s-secret-types/>
//!
//! A cluster pulls by identity from its cloud's own registry (ECR on AWS, ACR on Azure,
//! Artifact Registry on GCP), where Terraform grants the pull right (`terraform::registry`);
//! from anything else it needs the credentials.

use super::{Ctx, secrets};
use crate::model::{CloudProvider, Environment, Model, SecretRef, Service};
use serde_json::{Value, json};

/// The Secret (and ExternalSecret) holding the pull credentials of `service`.
pub(crate) fn secret_name(service: &Service) -> String {
    format!("{}-pull", service.name)
}

/// Whether `env`'s cluster pulls `registry` with its own cloud identity.
fn pulls_by_identity(registry: &str, provider: CloudProvider) -> bool {
    let host = registry.split('/').next().unwrap_or_default();
    let host = host.split(':').next().unwrap_or_default();
    match provider {
        CloudProvider::Aws => host.contains(".dkr.ecr.") && host.ends_with(".amazonaws.com"),
        CloudProvider::Azure => host.ends_with(".azurecr.io"),
        CloudProvider::Gcp => host.ends_with("-docker.pkg.dev"),
    }
}

/// Whether the pods of `env` get pull credentials: the registry is not the cloud's own and
/// the platform names them.
pub(crate) fn needed(model: &Model, env: &Environment) -> bool {
    model.platform.image_pull_secret.is_some()
        && !pulls_by_identity(&model.platform.image_registry, env.cloud.provider)
}

/// The ExternalSecret of the pull credentials, where [`needed`]. The store entry is
/// addressed exactly as a registry `secrets` item is (`secrets::external_secret`, which
/// knows each store's addressing), then written as the `.dockerconfigjson` of a Secret of
/// that type through the ExternalSecret's template.
pub(crate) fn external_secret(ctx: &Ctx) -> Option<Value> {
    let pull = ctx.model.platform.image_pull_secret.as_ref()?;
    if !needed(ctx.model, ctx.env) {
        return None;
    }
    let mut only_pull = ctx.service.clone();
    only_pull.infra.clear();
    only_pull.secrets = [(
        "dockerconfigjson".to_owned(),
        SecretRef {
            store: ctx.env.secret_store.kind,
            path: pull.path.clone(),
            key: pull.key.clone(),
        },
    )]
    .into();
    let pull_ctx = Ctx::new(ctx.model, ctx.env, &only_pull);
    let mut es = secrets::external_secret(&pull_ctx)?;
    let name = secret_name(ctx.service);
    es["metadata"]["name"] = json!(name);
    es["spec"]["target"] = json!({
        "name": name,
        "creationPolicy": "Owner",
        "template": {
            "type": "kubernetes.io/dockerconfigjson",
            "data": {".dockerconfigjson": "{{ .dockerconfigjson | toString }}"},
        },
    });
    Some(es)
}
