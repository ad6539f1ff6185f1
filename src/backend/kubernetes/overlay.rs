//! The overlay of one service in one environment: a kustomization (namespace, labels,
//! images, ConfigMap, JSON patches of the base) and the per-environment resources
//! (NetworkPolicy, AuthorizationPolicy, ExternalSecret, Istio traffic, the canary, the
//! blue-green colours).
//!
//! Patches are computed, never hand-written: the base rendered from the registry service
//! against the same renderer fed the environment's service. Disabled services never get here.

use super::base::base_objects;
use super::{Ctx, ENV_LABEL, egress, file, istio, kustomization, network, patch, secrets};
use crate::artifact::OutputFile;
use crate::artifact::yaml::{to_yaml, to_yaml_documents};
use crate::error::Error;
use crate::model::{Environment, Model, Service};
use serde_json::{Value, json};

/// `kubernetes/<service>/overlays/<env>/{kustomization,resources}.yaml`.
/// `base` is [`base_objects`] of the registry service, rendered once by the caller.
pub(crate) fn emit_overlay(
    model: &Model,
    env: &Environment,
    service: &Service,
    base: &[Value],
) -> Result<Vec<OutputFile>, Error> {
    let ctx = Ctx::new(model, env, service);
    let dir = format!("kubernetes/{}/overlays/{}", service.name, env.name);
    let docs = overlay_resources(&ctx);
    let want = base_objects(&model.platform.name, service, Some(&ctx));
    let stable = want
        .iter()
        .find(|d| d["kind"] == "Deployment" && d["metadata"]["name"] == service.name.as_str());
    if let Some(stable) = stable
        && docs.iter().any(|d| d["kind"] == "DestinationRule")
    {
        super::crosscheck::check_traffic(&service.name, &docs, stable).map_err(|e| {
            Error::Internal(format!(
                "traffic objects of `{}` in `{}` disagree: {e}",
                service.name, env.name
            ))
        })?;
    }
    let all: Vec<&Value> = want.iter().chain(&docs).collect();
    super::crosscheck::check_scaling(&all).map_err(|e| {
        Error::Internal(format!(
            "scaling of `{}` in `{}` disagrees: {e}",
            service.name, env.name
        ))
    })?;
    super::crosscheck::check_pull_secrets(&all).map_err(|e| {
        Error::Internal(format!(
            "pull credentials of `{}` in `{}` disagree: {e}",
            service.name, env.name
        ))
    })?;
    if service.rollout.strategy == crate::model::Strategy::BlueGreen {
        let version = service
            .version
            .as_ref()
            .map(|v| (v.stable.as_str(), v.active));
        let all: Vec<&Value> = want.iter().chain(&docs).collect();
        super::crosscheck::check_blue_green(&service.name, version, &all).map_err(|e| {
            Error::Internal(format!(
                "blue-green objects of `{}` in `{}` disagree: {e}",
                service.name, env.name
            ))
        })?;
    }
    super::crosscheck::check_egress(&docs).map_err(|e| {
        Error::Internal(format!(
            "egress objects of `{}` in `{}` disagree: {e}",
            service.name, env.name
        ))
    })?;
    // An overlay resource the base also holds (the Service of a blue-green service whose
    // registry strategy is another) is a patch of the base object: Kustomize refuses a second
    // resource of the same kind and name.
    let mut want = want;
    let in_base = |d: &Value| {
        base.iter()
            .any(|b| b["kind"] == d["kind"] && b["metadata"]["name"] == d["metadata"]["name"])
    };
    let (patched, rest): (Vec<Value>, Vec<Value>) = docs.into_iter().partition(|d| in_base(d));
    want.extend(patched);
    let mut docs = rest;
    let (patches, added) = base_patches(base, &want);
    // What the environment has and the registry's base lacks (another strategy here) comes
    // first, as the base would have held it.
    docs.splice(0..0, added);
    let mut resources = vec!["../../base".to_owned()];
    if !docs.is_empty() {
        resources.push("resources.yaml".to_owned());
    }
    let k = overlay_kustomization_with(&ctx, &resources, patches)?;
    let mut files = vec![file(
        Some(&env.name),
        format!("{dir}/kustomization.yaml"),
        to_yaml(&k),
    )];
    if !docs.is_empty() {
        files.push(file(
            Some(&env.name),
            format!("{dir}/resources.yaml"),
            to_yaml_documents(&docs),
        ));
    }
    Ok(files)
}

/// The resources the overlay adds beside the base, in a fixed order.
pub(crate) fn overlay_resources(ctx: &Ctx) -> Vec<Value> {
    let mut docs = vec![
        network::network_policy(ctx),
        istio::authorization_policy(ctx),
    ];
    docs.extend(secrets::external_secret(ctx));
    docs.extend(super::pull_secret::external_secret(ctx));
    docs.extend(egress::service_entries(ctx));
    docs.extend(istio::traffic(ctx));
    docs.extend(super::migrations::migration_hooks(ctx));
    docs.extend(super::monitoring::monitoring(ctx));
    docs
}

/// The overlay's kustomization document, rendering the base objects itself.
#[cfg(test)]
pub(crate) fn overlay_kustomization(
    ctx: &Ctx,
    resources: &[String],
) -> Result<serde_json::Map<String, Value>, Error> {
    let platform = &ctx.model.platform.name;
    let registry = ctx
        .model
        .registry_services
        .get(&ctx.service.name)
        .ok_or_else(|| {
            Error::Internal(format!(
                "service {} is missing from the registry",
                ctx.service.name
            ))
        })?;
    let base = base_objects(platform, registry, None);
    let want = base_objects(platform, ctx.service, Some(ctx));
    overlay_kustomization_with(ctx, resources, base_patches(&base, &want).0)
}

/// The overlay's kustomization document with the given patches of the base.
fn overlay_kustomization_with(
    ctx: &Ctx,
    resources: &[String],
    patches: Vec<Value>,
) -> Result<serde_json::Map<String, Value>, Error> {
    let (service, env) = (ctx.service, ctx.env);
    let version = service.version.as_ref().ok_or_else(|| {
        Error::Internal(format!(
            "service {} has no image tag in environment {}",
            service.name, env.name
        ))
    })?;
    let mut k = kustomization(resources);
    k.insert("namespace".into(), json!(ctx.namespace));
    k.insert(
        "labels".into(),
        json!([{"pairs": {ENV_LABEL: env.name}, "includeSelectors": false,
                "includeTemplates": true}]),
    );
    // The base names its image after the service, so this rewrites the stable track only;
    // canary and preview Deployments carry full references of their own.
    k.insert(
        "images".into(),
        json!([{"name": service.name, "newName": image_repository(ctx), "newTag": version.stable}]),
    );
    let literals: Vec<String> = service
        .config
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    k.insert(
        "configMapGenerator".into(),
        json!([{"name": format!("{}-config", service.name), "literals": literals}]),
    );
    if !patches.is_empty() {
        k.insert("patches".into(), Value::from(patches));
    }
    Ok(k)
}

/// `<imageRegistry>/<image>`, without a tag.
pub(crate) fn image_repository(ctx: &Ctx) -> String {
    format!(
        "{}/{}",
        ctx.model.platform.image_registry, ctx.service.image
    )
}

/// One inline JSON patch per base object the environment changes (`base` from the registry
/// service, `want` from the environment's; an object is its kind and name), a delete patch
/// per base object the environment does not have, and the objects it has that the base
/// lacks (both happen where an environment overrides `rollout.strategy` to or from
/// blue-green). Kustomize's `patches` takes a strategic merge patch, and `$patch: delete` in
/// one deletes its target. <https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/patches/>,
/// <https://github.com/kubernetes-sigs/kustomize/issues/5373>
fn base_patches(base: &[Value], want: &[Value]) -> (Vec<Value>, Vec<Value>) {
    let key = |d: &Value| (d["kind"].clone(), d["metadata"]["name"].clone());
    let mut patches = Vec::new();
    let mut added = Vec::new();
    for w in want {
        let Some(b) = base.iter().find(|b| key(b) == key(w)) else {
            added.push(w.clone());
            continue;
        };
        let ops = patch::diff(b, w);
        if ops.is_empty() {
            continue;
        }
        patches.push(json!({
            "target": {"kind": w["kind"], "name": w["metadata"]["name"]},
            "patch": to_yaml(&ops),
        }));
    }
    for b in base
        .iter()
        .filter(|b| !want.iter().any(|w| key(w) == key(b)))
    {
        let delete = json!({"$patch": "delete", "apiVersion": b["apiVersion"], "kind": b["kind"],
                            "metadata": {"name": b["metadata"]["name"]}});
        patches.push(json!({
            "target": {"kind": b["kind"], "name": b["metadata"]["name"]},
            "patch": to_yaml(&delete),
        }));
    }
    (patches, added)
}
