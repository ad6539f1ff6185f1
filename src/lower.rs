//! Lowering: the merged, validated trees become the typed [`Model`].
//!
//! Runs only when validation found no error, so a failure here is a gap between the schema
//! and the model; it is still reported as a diagnostic at the offending service, never a
//! panic. Positions stop here: the model holds values only.

use crate::diagnostic::{Code, Diagnostic, Sources};
use crate::load::yaml::Node;
use crate::merge::{MergedPlatform, MergedService};
use crate::model::{Environment, ImageVersion, Model, Platform, Service};
use serde_json::{Map, Value};

mod de;

/// Builds the model from merged trees and `versions.yaml`.
pub fn lower_model(
    merged: &MergedPlatform,
    versions: Option<&Node>,
) -> Result<Model, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let platform_node = merged.registry.get("platform");
    let platform: Option<Platform> =
        platform_node.and_then(|n| typed(n.to_json(), n.pos, "platform", &mut errors));
    let tags = versions.and_then(|v| v.get("environments"));
    use rayon::prelude::*;
    // Every service of the registry and of each environment lowers independently: one flat
    // parallel pass over all of them (`collect` keeps the order); then the environments.
    let mut jobs: Vec<(Option<usize>, &MergedService, Option<ImageVersion>)> = merged
        .registry_services
        .values()
        .map(|s| (None, s, None))
        .collect();
    for (i, env) in merged.environments.iter().enumerate() {
        let versions_here = tags.and_then(|t| t.get(&env.name));
        jobs.extend(env.services.values().map(|s| {
            let version = versions_here.and_then(|v| v.get(&s.name)).map(version_of);
            (Some(i), s, version)
        }));
    }
    let lowered: Vec<(Option<usize>, Result<Service, Diagnostic>)> = jobs
        .into_par_iter()
        .map(|(env, s, version)| (env, lower_service(s, version)))
        .collect();
    let mut registry_services = std::collections::BTreeMap::new();
    let mut env_services: Vec<std::collections::BTreeMap<String, Service>> = merged
        .environments
        .iter()
        .map(|_| Default::default())
        .collect();
    for (env, service) in lowered {
        match service {
            Ok(service) => {
                let map = match env {
                    Some(i) => &mut env_services[i],
                    None => &mut registry_services,
                };
                map.insert(service.name.clone(), service);
            }
            Err(e) => errors.push(e),
        }
    }
    let mut environments = Vec::new();
    for (env, services) in merged.environments.iter().zip(env_services) {
        environments.extend(lower_environment(env, services, &mut errors));
    }
    match platform {
        Some(platform) if errors.is_empty() => Ok(Model {
            platform,
            registry_services,
            environments: promotion_order(environments),
        }),
        _ => {
            if errors.is_empty() {
                errors.push(Diagnostic::error(
                    Code::Schema,
                    Sources::file_pos(merged.registry.pos.file),
                    "the registry has no `platform`",
                ));
            }
            Err(errors)
        }
    }
}

/// One environment: its own fields from the overlay, its services lowered one by one (the
/// typed services go straight into the model, never back through JSON).
fn lower_environment(
    env: &crate::merge::MergedEnv,
    services: std::collections::BTreeMap<String, Service>,
    errors: &mut Vec<Diagnostic>,
) -> Option<Environment> {
    let mut json = env.node.to_json();
    let obj = json.as_object_mut()?;
    // The services are lowered already: keep the environment's own fields only.
    obj.insert("name".into(), Value::String(env.name.clone()));
    obj.insert("services".into(), Value::Object(Map::new()));
    obj.insert("disabled".into(), env.disabled.keys().cloned().collect());
    obj.remove("defaults");
    obj.remove("apiVersion");
    obj.remove("kind");
    fill_defaults(obj, &env.name);
    let mut environment: Environment = typed(
        json,
        env.node.pos,
        &format!("environment `{}`", env.name),
        errors,
    )?;
    environment.services = services;
    Some(environment)
}

fn typed<T: serde::de::DeserializeOwned>(
    json: Value,
    pos: crate::load::yaml::Pos,
    what: &str,
    errors: &mut Vec<Diagnostic>,
) -> Option<T> {
    serde_json::from_value(json)
        .map_err(|e| errors.push(Diagnostic::error(Code::Schema, pos, format!("{what}: {e}"))))
        .ok()
}

fn version_of(node: &Node) -> ImageVersion {
    match node.as_str() {
        Some(tag) => ImageVersion {
            stable: tag.to_owned(),
            canary: None,
            preview: None,
        },
        None => serde_json::from_value(node.to_json()).unwrap_or(ImageVersion {
            stable: String::new(),
            canary: None,
            preview: None,
        }),
    }
}

fn lower_service(
    service: &MergedService,
    version: Option<ImageVersion>,
) -> Result<Service, Diagnostic> {
    let mut typed: Service = de::from_node(&service.node).map_err(|e| {
        Diagnostic::error(
            Code::Schema,
            service.key_pos,
            format!("service `{}`: {e}", service.name),
        )
    })?;
    typed.name = service.name.clone();
    typed.dependencies.sort();
    typed.version = version;
    Ok(typed)
}

/// Fills the environment fields SPEC gives defaults for.
fn fill_defaults(obj: &mut Map<String, Value>, name: &str) {
    obj.entry("namespaceSuffix")
        .or_insert_with(|| Value::String(String::new()));
    obj.entry("imageTags")
        .or_insert_with(|| Value::String("any".into()));
    obj.entry("infraDefaults")
        .or_insert_with(|| serde_json::json!({}));
    obj.entry("monitoring").or_insert_with(
        || serde_json::json!({"prometheusUrl": "http://prometheus.monitoring:9090"}),
    );
    obj.entry("network")
        .or_insert_with(|| serde_json::json!({"cidr": default_cidr(name)}));
}

/// A stable /16 per environment name (so adding an environment moves no other).
pub fn default_cidr(name: &str) -> String {
    let hash = name.bytes().fold(2166136261u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(16777619)
    });
    format!("10.{}.0.0/16", 16 + hash % 224)
}

/// Roots (no `promotion.from`) first, then each environment after its source; ties by name.
fn promotion_order(mut envs: Vec<Environment>) -> Vec<Environment> {
    envs.sort_by(|a, b| a.name.cmp(&b.name));
    let names: Vec<String> = envs.iter().map(|e| e.name.clone()).collect();
    let mut placed: Vec<String> = Vec::new();
    let mut order = Vec::new();
    let mut remaining = envs;
    while !remaining.is_empty() {
        let ready = remaining.iter().position(|e| match &e.promotion {
            Some(p) => placed.contains(&p.from) || !names.contains(&p.from),
            None => true,
        });
        let index = ready.unwrap_or(0); // a cycle: validation reported it; keep going by name
        let env = remaining.remove(index);
        placed.push(env.name.clone());
        order.push(env);
    }
    order
}
