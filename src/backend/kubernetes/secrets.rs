//! Secrets reach pods only by reference: the ExternalSecret that copies a service's `secrets`
//! and its managed backing resources' connection details from the environment's secret
//! store, and the container `env` entries that read them.
//!
//! Naming of store entries and variables is `backend::contract`'s contract; this module must not
//! invent another. In-cluster resources are wired by `in_cluster`.

use super::{Ctx, common_labels, in_cluster, object};
use crate::backend::contract::{
    Placement, connection_keys, connection_secret_name, env_var_name, placement,
};
use crate::model::{CloudProvider, Service};
use serde_json::{Value, json};

/// The Secret the service's ExternalSecret writes.
pub(crate) fn secret_name(service: &Service) -> String {
    format!("{}-secrets", service.name)
}

/// The container `env` of `service`: one entry per `secrets` item, then one per connection
/// key of each backing resource. `provider` None (the base) wires every resource as managed.
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
    vars
}

/// An `env` entry read from key `key` of Secret `secret`.
pub(crate) fn secret_env(name: &str, secret: &str, key: &str) -> Value {
    json!({"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}})
}

/// The ExternalSecret of one service in one environment, when it has anything to fetch.
pub(crate) fn external_secret(ctx: &Ctx) -> Option<Value> {
    let (service, env) = (ctx.service, ctx.env);
    let mut data: Vec<Value> = service
        .secrets
        .iter()
        .map(|(name, r)| remote(name, &r.path, &r.key))
        .collect();
    for (resource, infra) in &service.infra {
        if placement(env.cloud.provider, infra.kind) == Placement::InCluster {
            continue;
        }
        let entry =
            connection_secret_name(&ctx.model.platform.name, &env.name, &service.name, resource);
        for key in connection_keys(infra.kind) {
            data.push(remote(&env_var_name(resource, key), &entry, key));
        }
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

fn remote(secret_key: &str, key: &str, property: &str) -> Value {
    json!({"secretKey": secret_key, "remoteRef": {"key": key, "property": property}})
}
