//! Lowering: the typed spec ([`crate::spec`]) becomes the resolved [`Model`], every default
//! taken from [`crate::spec::defaults`].
//!
//! Runs only when validation found no error, so a failure here is a gap between the schema
//! and the model; it is still reported as a diagnostic at the offending service, never a
//! panic. Positions stop here: the model holds values only.

use crate::diagnostic::{Code, Diagnostic, Sources};
use crate::model::{
    Analysis, Backend, Build, Canary, CanaryVersion, Cluster, Colour, Egress, EgressTo,
    Environment, Expose, Header, HealthCheck, ImageVersion, Infra, Model, Monitoring, Network,
    NodePool, Platform, Port, Probe, Promotion, Quantities, Replicas, Resources, Rollout,
    SecretRef, SecretStore, Service, Sizing, Taint, TerraformSettings,
};
use crate::spec::{
    self, Field, InfraLayer, ServiceLayer, SizingLayer, SpecEnv, SpecPlatform, SpecService,
    VersionEntry, defaults,
};
use std::collections::BTreeMap;

mod cells;
pub mod de;
mod observe;

/// What a lowering step lacks: the first gap, as a message.
type Gap = String;

/// The value of a field the model needs.
fn req<'a, T>(field: &'a Field<T>, name: &str) -> Result<&'a T, Gap> {
    match field {
        Field::Set(s) => Ok(&s.value),
        Field::Invalid(s) => Err(format!("`{name}`: {}", s.value)),
        Field::Absent => Err(format!("missing field `{name}`")),
    }
}

/// The value of an optional field (an unreadable one is still a gap).
fn opt<'a, T>(field: &'a Field<T>, name: &str) -> Result<Option<&'a T>, Gap> {
    match field {
        Field::Set(s) => Ok(Some(&s.value)),
        Field::Invalid(s) => Err(format!("`{name}`: {}", s.value)),
        Field::Absent => Ok(None),
    }
}

fn string(field: &Field<String>, name: &str) -> Result<String, Gap> {
    req(field, name).cloned()
}

fn opt_string(field: &Field<String>, name: &str) -> Result<Option<String>, Gap> {
    Ok(opt(field, name)?.cloned())
}

/// Builds the model from the typed spec.
///
/// `out` is the project's output directory (`infrac.toml`), which some defaults follow.
pub fn lower_model(spec: &SpecPlatform, out: &str) -> Result<Model, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let platform = match &spec.registry.platform {
        Field::Absent => None,
        field => match lower_platform(field, out) {
            Ok(p) => Some(p),
            Err(gap) => {
                errors.push(Diagnostic::error(
                    Code::Schema,
                    field.pos().unwrap_or_default(),
                    format!("platform: {gap}"),
                ));
                None
            }
        },
    };
    let versions = spec
        .versions
        .as_ref()
        .and_then(|v| v.spec.environments.get());
    use rayon::prelude::*;
    // Every service of the registry and of each environment lowers independently: one flat
    // parallel pass over all of them (`collect` keeps the order); then the environments.
    let mut jobs: Vec<(Option<usize>, &SpecService, Option<ImageVersion>)> = spec
        .registry_services
        .values()
        .map(|s| (None, s, None))
        .collect();
    for (i, env) in spec.environments.iter().enumerate() {
        let here = versions
            .and_then(|v| v.get(env.name.as_str()))
            .and_then(Field::get);
        jobs.extend(env.services.values().map(|s| {
            let version = here
                .and_then(|v| v.get(s.name.as_str()))
                .and_then(Field::get)
                .map(|e| version_of(e, None));
            (Some(i), s, version)
        }));
    }
    let lowered: Vec<(Option<usize>, Result<Service, Diagnostic>)> = jobs
        .into_par_iter()
        .map(|(env, s, version)| (env, lower_service(s, version)))
        .collect();
    let mut registry_services = BTreeMap::new();
    let mut env_services: Vec<BTreeMap<String, Service>> =
        spec.environments.iter().map(|_| BTreeMap::new()).collect();
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
    for (env, services) in spec.environments.iter().zip(env_services) {
        match lower_environment(env, services) {
            Ok(mut environment) => {
                let tags = versions
                    .and_then(|v| v.get(env.name.as_str()))
                    .and_then(Field::get);
                cells::lower_cells(env, tags, &mut environment, &mut errors);
                environments.push(environment);
            }
            Err(gap) => errors.push(Diagnostic::error(
                Code::Schema,
                Sources::file_pos(env.file),
                format!("environment `{}`: {gap}", env.name),
            )),
        }
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
                    Sources::file_pos(spec.registry_file),
                    "the registry has no `platform`",
                ));
            }
            Err(errors)
        }
    }
}

fn lower_platform(field: &Field<spec::PlatformSpec>, out: &str) -> Result<Platform, Gap> {
    let p = req(field, "platform")?;
    let gitops = req(&p.gitops, "gitops")?;
    Ok(Platform {
        name: string(&p.name, "name")?,
        image_registry: string(&p.image_registry, "imageRegistry")?,
        gitops: crate::model::GitOps {
            repository: string(&gitops.repository, "repository")?,
            branch: opt_string(&gitops.branch, "branch")?
                .unwrap_or_else(|| defaults::GITOPS_BRANCH.to_owned()),
            path: opt_string(&gitops.path, "path")?.unwrap_or_else(|| defaults::gitops_path(out)),
            bump: opt(&gitops.bump, "bump")?
                .copied()
                .unwrap_or(defaults::BUMP),
        },
        ci: opt(&p.ci, "ci")?.cloned().unwrap_or_default(),
        mesh: crate::model::Mesh {
            dataplane: match opt(&p.mesh, "mesh")? {
                Some(m) => opt(&m.dataplane, "dataplane")?.copied(),
                None => None,
            }
            .unwrap_or(defaults::DATAPLANE),
        },
        image_pull_secret: match opt(&p.image_pull_secret, "imagePullSecret")? {
            Some(s) => Some(crate::model::PullSecret {
                path: string(&s.path, "path")?,
                key: string(&s.key, "key")?,
            }),
            None => None,
        },
    })
}

/// One environment: its own fields from the file, its services lowered already.
fn lower_environment(
    env: &SpecEnv,
    services: BTreeMap<String, Service>,
) -> Result<Environment, Gap> {
    let e = &env.spec;
    let cloud = req(&e.cloud, "cloud")?;
    let cluster = req(&e.cluster, "cluster")?;
    let terraform = req(&e.terraform, "terraform")?;
    let backend = req(&terraform.backend, "backend")?;
    let store = req(&e.secret_store, "secretStore")?;
    let mut node_pools = BTreeMap::new();
    for (name, pool) in opt(&cluster.node_pools, "nodePools")?.into_iter().flatten() {
        let pool = req(pool, name.as_str())?;
        let taints = opt(&pool.taints, "taints")?.into_iter().flatten();
        node_pools.insert(
            name.value.clone(),
            NodePool {
                vm_size: string(&pool.vm_size, "vmSize")?,
                min: *req(&pool.min, "min")?,
                max: *req(&pool.max, "max")?,
                labels: opt(&pool.labels, "labels")?.cloned().unwrap_or_default(),
                taints: taints
                    .map(|t| Taint {
                        key: t.key.clone(),
                        value: t.value.clone(),
                        effect: t.effect.clone(),
                    })
                    .collect(),
            },
        );
    }
    let cidr = match opt(&e.network, "network")? {
        Some(n) => string(&n.cidr, "cidr")?,
        None => defaults::network_cidr(&env.name),
    };
    let prometheus_url = match opt(&e.monitoring, "monitoring")? {
        Some(m) => string(&m.prometheus_url, "prometheusUrl")?,
        None => defaults::PROMETHEUS_URL.to_owned(),
    };
    let promotion = match opt(&e.promotion, "promotion")? {
        Some(p) => Some(Promotion {
            from: string(&p.from, "from")?,
            approval: opt(&p.approval, "approval")?
                .copied()
                .unwrap_or(defaults::APPROVAL),
            approvers: opt_string(&p.approvers, "approvers")?
                .unwrap_or_else(|| defaults::approvers(&env.name)),
        }),
        None => None,
    };
    let mut infra_defaults = BTreeMap::new();
    for (kind, sizing) in opt(&e.infra_defaults, "infraDefaults")?
        .into_iter()
        .flatten()
    {
        infra_defaults.insert(*kind, sizing_of(req(sizing, kind.as_str())?)?);
    }
    Ok(Environment {
        name: env.name.clone(),
        cloud: crate::model::Cloud {
            provider: *req(&cloud.provider, "provider")?,
            region: string(&cloud.region, "region")?,
        },
        cluster: Cluster {
            name: string(&cluster.name, "name")?,
            version: opt_string(&cluster.version, "version")?,
            node_pools,
        },
        terraform: TerraformSettings {
            backend: Backend {
                kind: string(&backend.kind, "type")?,
                config: opt(&backend.config, "config")?
                    .into_iter()
                    .flatten()
                    .filter_map(|(k, v)| v.get().map(|v| (k.clone(), v.clone())))
                    .collect(),
            },
        },
        secret_store: SecretStore {
            kind: *req(&store.kind, "type")?,
            name: string(&store.name, "name")?,
            address: opt_string(&store.address, "address")?,
            project: opt_string(&store.project, "project")?,
            project_slug: opt_string(&store.project_slug, "projectSlug")?,
            environment_slug: opt_string(&store.environment_slug, "environmentSlug")?,
            mount: opt_string(&store.mount, "mount")?
                .unwrap_or_else(|| defaults::VAULT_MOUNT.to_owned()),
        },
        network: Network { cidr },
        monitoring: Monitoring { prometheus_url },
        namespace_suffix: opt_string(&e.namespace_suffix, "namespaceSuffix")?
            .unwrap_or_else(|| defaults::NAMESPACE_SUFFIX.to_owned()),
        promotion,
        image_tags: opt(&e.image_tags, "imageTags")?
            .copied()
            .unwrap_or(defaults::IMAGE_TAGS),
        infra_defaults,
        services,
        disabled: env.disabled.keys().cloned().collect(),
        cells: Vec::new(),
        waves: Vec::new(),
        bake: None,
        cell: None,
        dependents: Default::default(),
    })
}

fn sizing_of(s: &SizingLayer) -> Result<Sizing, Gap> {
    Ok(Sizing {
        sku: opt_string(&s.sku, "sku")?,
        storage_gb: opt(&s.storage_gb, "storageGb")?.copied(),
        backup_retention_days: opt(&s.backup_retention_days, "backupRetentionDays")?.copied(),
        high_availability: opt(&s.high_availability, "highAvailability")?.copied(),
        brokers: opt(&s.brokers, "brokers")?.copied(),
        nodes: opt(&s.nodes, "nodes")?.copied(),
    })
}

/// The tags `entry` gives the environment (`cell: None`) or one of its cells: a canary
/// written for one cell (`canary.cell`) runs in that cell only.
fn version_of(entry: &VersionEntry, cell: Option<&str>) -> ImageVersion {
    match entry {
        VersionEntry::Tag(tag) => ImageVersion {
            stable: tag.clone(),
            canary: None,
            preview: None,
            active: Colour::default(),
            previous: None,
        },
        VersionEntry::Split(split) => ImageVersion {
            stable: split.stable.get().map(|t| t.0.clone()).unwrap_or_default(),
            canary: split.canary.get().and_then(|c| {
                if c.cell.get().is_some_and(|only| Some(only.as_str()) != cell) {
                    return None;
                }
                Some(CanaryVersion {
                    tag: c.tag.get()?.0.clone(),
                    weight: *c.weight.get()?,
                })
            }),
            preview: split.preview.get().map(|t| t.0.clone()),
            active: split.active.get().copied().unwrap_or_default(),
            previous: split.previous.get().map(|t| t.0.clone()),
        },
    }
}

fn lower_service(
    service: &SpecService,
    version: Option<ImageVersion>,
) -> Result<Service, Diagnostic> {
    let gap = |gap: Gap| {
        Diagnostic::error(
            Code::Schema,
            service.key_pos,
            format!("service `{}`: {gap}", service.name),
        )
    };
    if let Some(why) = &service.unreadable {
        return Err(gap(why.clone()));
    }
    let mut typed = service_of(&service.layer).map_err(gap)?;
    typed.name = service.name.clone();
    typed.dependencies.sort();
    typed.version = version;
    Ok(typed)
}

/// The resolved service of a merged layer (name and version are set by the caller).
fn service_of(s: &ServiceLayer) -> Result<Service, Gap> {
    let build = req(&s.build, "build")?;
    let replicas = req(&s.replicas, "replicas")?;
    let resources = req(&s.resources, "resources")?;
    let quantities = |field: &Field<spec::QuantitiesLayer>, name: &str| -> Result<_, Gap> {
        let q = req(field, name)?;
        Ok(Quantities {
            cpu: req(&q.cpu, "cpu")?.0.clone(),
            memory: req(&q.memory, "memory")?.0.clone(),
        })
    };
    let mut ports = Vec::new();
    for port in opt(&s.ports, "ports")?.into_iter().flatten() {
        let port = req(port, "ports")?;
        ports.push(Port {
            name: string(&port.name, "name")?,
            port: *req(&port.port, "port")?,
            protocol: opt(&port.protocol, "protocol")?
                .copied()
                .unwrap_or(defaults::PROTOCOL),
        });
    }
    let probe = |field: &Field<spec::ProbeLayer>, name: &str| -> Result<Option<Probe>, Gap> {
        let Some(p) = opt(field, name)? else {
            return Ok(None);
        };
        Ok(Some(Probe {
            path: opt_string(&p.path, "path")?,
            port: string(&p.port, "port")?,
            initial_delay_seconds: opt(&p.initial_delay_seconds, "initialDelaySeconds")?.copied(),
            period_seconds: opt(&p.period_seconds, "periodSeconds")?.copied(),
            timeout_seconds: opt(&p.timeout_seconds, "timeoutSeconds")?.copied(),
            failure_threshold: opt(&p.failure_threshold, "failureThreshold")?.copied(),
        }))
    };
    let health_check = match opt(&s.health_check, "healthCheck")? {
        Some(h) => HealthCheck {
            readiness: probe(&h.readiness, "readiness")?,
            liveness: probe(&h.liveness, "liveness")?,
            startup: probe(&h.startup, "startup")?,
        },
        None => HealthCheck {
            readiness: None,
            liveness: None,
            startup: None,
        },
    };
    let mut config = BTreeMap::new();
    for (key, value) in opt(&s.config, "config")?.into_iter().flatten() {
        if let Some(value) = opt(value, key)? {
            config.insert(key.clone(), value.clone());
        }
    }
    let mut secrets = BTreeMap::new();
    for (key, secret) in opt(&s.secrets, "secrets")?.into_iter().flatten() {
        let secret = req(secret, key)?;
        secrets.insert(
            key.clone(),
            SecretRef {
                store: *req(&secret.store, "store")?,
                path: string(&secret.path, "path")?,
                key: string(&secret.key, "key")?,
            },
        );
    }
    let mut dependencies = Vec::new();
    for dep in opt(&s.dependencies, "dependencies")?.into_iter().flatten() {
        dependencies.push(string(dep, "dependencies")?);
    }
    let mut infra = BTreeMap::new();
    for (name, entry) in opt(&s.infra, "infra")?.into_iter().flatten() {
        infra.insert(name.value.clone(), infra_of(req(entry, name.as_str())?)?);
    }
    let expose = match opt(&s.expose, "expose")? {
        Some(e) => Some(Expose {
            host: string(&e.host, "host")?,
            path: opt_string(&e.path, "path")?.unwrap_or_else(|| defaults::EXPOSE_PATH.to_owned()),
            gateway: string(&e.gateway, "gateway")?,
            tls: opt_string(&e.tls, "tls")?,
        }),
        None => None,
    };
    let alerts = observe::alerts_of(&s.alerts)?;
    let mut rollout = rollout_of(&s.rollout)?;
    analysis_from_alerts(&mut rollout, &alerts);
    Ok(Service {
        name: String::new(),
        team: string(&s.team, "team")?,
        namespace: string(&s.namespace, "namespace")?,
        image: string(&s.image, "image")?,
        build: Build {
            language: *req(&build.language, "language")?,
            context: string(&build.context, "context")?,
            dockerfile: opt_string(&build.dockerfile, "dockerfile")?,
        },
        ports,
        replicas: Replicas {
            min: *req(&replicas.min, "min")?,
            max: *req(&replicas.max, "max")?,
            target_cpu: opt(&replicas.target_cpu, "targetCPU")?
                .copied()
                .unwrap_or(defaults::TARGET_CPU),
        },
        resources: Resources {
            requests: quantities(&resources.requests, "requests")?,
            limits: quantities(&resources.limits, "limits")?,
        },
        health_check,
        config,
        secrets,
        dependencies,
        infra,
        expose,
        rollout,
        version: None,
        egress: egress_of(&s.egress)?,
        migrations: observe::migrations_of(&s.migrations)?,
        metrics: observe::metrics_of(&s.metrics)?,
        alerts,
    })
}

/// SPEC: "Canary analysis uses the same thresholds" as the automatic-rollback alerts. A
/// canary's analysis takes `alerts.errorRate.above` and `alerts.latencyP95Ms.above` wherever
/// `rollout.canary.analysis` does not set its own, so a canary is judged by what would roll
/// the stable version back; a canary with alerts and no `analysis` gets one.
fn analysis_from_alerts(rollout: &mut Rollout, alerts: &crate::model::Alerts) {
    let Some(canary) = rollout.canary.as_mut() else {
        return;
    };
    let error_rate = alerts.error_rate.as_ref().map(|t| t.above);
    let latency = alerts.latency_p95_ms.as_ref().map(|t| t.above);
    if error_rate.is_none() && latency.is_none() {
        return;
    }
    let analysis = canary.analysis.get_or_insert(Analysis {
        max_error_rate: None,
        max_latency_p95_ms: None,
        failure_limit: defaults::FAILURE_LIMIT,
    });
    analysis.max_error_rate = analysis.max_error_rate.or(error_rate);
    analysis.max_latency_p95_ms = analysis.max_latency_p95_ms.or(latency);
}

fn egress_of(field: &Field<Vec<Field<spec::EgressLayer>>>) -> Result<Vec<Egress>, Gap> {
    let mut out = Vec::new();
    for entry in opt(field, "egress")?.into_iter().flatten() {
        let e = req(entry, "egress")?;
        let to = match (opt_string(&e.host, "host")?, opt_string(&e.cidr, "cidr")?) {
            (Some(host), None) => EgressTo::Host(host),
            (None, Some(cidr)) => EgressTo::Cidr(cidr),
            _ => return Err("`egress`: exactly one of `host` and `cidr`".into()),
        };
        out.push(Egress {
            to,
            port: *req(&e.port, "port")?,
        });
    }
    Ok(out)
}

fn infra_of(i: &InfraLayer) -> Result<Infra, Gap> {
    Ok(Infra {
        kind: *req(&i.kind, "type")?,
        scope: opt(&i.scope, "scope")?.copied(),
        version: opt_string(&i.version, "version")?,
        topics: opt(&i.topics, "topics")?.cloned().unwrap_or_default(),
        exchanges: opt(&i.exchanges, "exchanges")?.cloned().unwrap_or_default(),
        sizing: Sizing {
            sku: opt_string(&i.sku, "sku")?,
            storage_gb: opt(&i.storage_gb, "storageGb")?.copied(),
            backup_retention_days: opt(&i.backup_retention_days, "backupRetentionDays")?.copied(),
            high_availability: opt(&i.high_availability, "highAvailability")?.copied(),
            brokers: opt(&i.brokers, "brokers")?.copied(),
            nodes: opt(&i.nodes, "nodes")?.copied(),
        },
    })
}

fn rollout_of(field: &Field<spec::RolloutLayer>) -> Result<Rollout, Gap> {
    let Some(r) = opt(field, "rollout")? else {
        return Ok(Rollout {
            strategy: defaults::STRATEGY,
            max_surge: None,
            max_unavailable: None,
            canary: None,
        });
    };
    let canary = match opt(&r.canary, "canary")? {
        Some(c) => {
            let mut steps = Vec::new();
            for step in req(&c.steps, "steps")? {
                steps.push(*req(step, "steps")?);
            }
            let header = match opt(&c.header, "header")? {
                Some(h) => Some(Header {
                    name: string(&h.name, "name")?,
                    value: string(&h.value, "value")?,
                }),
                None => None,
            };
            let analysis = match opt(&c.analysis, "analysis")? {
                Some(a) => Some(Analysis {
                    max_error_rate: opt(&a.max_error_rate, "maxErrorRate")?.copied(),
                    max_latency_p95_ms: opt(&a.max_latency_p95_ms, "maxLatencyP95Ms")?.copied(),
                    failure_limit: opt(&a.failure_limit, "failureLimit")?
                        .copied()
                        .unwrap_or(defaults::FAILURE_LIMIT),
                }),
                None => None,
            };
            Some(Canary {
                steps,
                interval: opt_string(&c.interval, "interval")?
                    .unwrap_or_else(|| defaults::CANARY_INTERVAL.to_owned()),
                header,
                analysis,
            })
        }
        None => None,
    };
    Ok(Rollout {
        strategy: opt(&r.strategy, "strategy")?
            .copied()
            .unwrap_or(defaults::STRATEGY),
        max_surge: opt(&r.max_surge, "maxSurge")?.cloned(),
        max_unavailable: opt(&r.max_unavailable, "maxUnavailable")?.cloned(),
        canary,
    })
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

#[cfg(test)]
mod tests {
    use crate::load::yaml::parse;
    use crate::merge::merge_platform;
    use crate::validate::schema::SchemaKind;
    use serde_json::{Value, json};

    /// Follows a local `$ref` (`#/$defs/<name>`).
    fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let name = r.trim_start_matches("#/$defs/");
                &root["$defs"][name]
            }
            None => schema,
        }
    }

    /// A value for `schema` that differs from its `default` (so a field dropped and filled
    /// with the default is caught): an example, an enum member, or one made from the type.
    fn sample(root: &Value, schema: &Value) -> Value {
        let schema = resolve(root, schema);
        let default = schema.get("default");
        let differs = |v: &&Value| !v.is_null() && Some(*v) != default;
        let types: Vec<&str> = match &schema["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let kind = types
            .iter()
            .copied()
            .find(|t| *t != "null")
            .unwrap_or("string");
        if kind == "object" {
            let mut out = serde_json::Map::new();
            if let Some(props) = schema["properties"].as_object() {
                for (key, sub) in props {
                    out.insert(key.clone(), sample(root, sub));
                }
            }
            if let Some(items) = schema.get("additionalProperties").filter(|a| a.is_object()) {
                out.insert("SAMPLE".into(), sample(root, items));
            }
            return Value::Object(out);
        }
        if kind == "array" {
            let items = resolve(root, &schema["items"]);
            // Items that hold only some of their optional properties (`maxProperties`, as
            // `egress`: `host` or `cidr`): one item per optional property, so each is walked.
            if let (Some(max), Some(props)) = (
                items["maxProperties"].as_u64(),
                items["properties"].as_object(),
            ) {
                let required: Vec<&str> = items["required"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                if (props.len() as u64) > max {
                    let one = |optional: &str| {
                        let mut out = serde_json::Map::new();
                        for (key, sub) in props {
                            if key == optional || required.contains(&key.as_str()) {
                                out.insert(key.clone(), sample(root, sub));
                            }
                        }
                        Value::Object(out)
                    };
                    return props
                        .keys()
                        .filter(|k| !required.contains(&k.as_str()))
                        .map(|k| one(k))
                        .collect();
                }
            }
            return json!([sample(root, &schema["items"])]);
        }
        if let Some(v) = schema["enum"]
            .as_array()
            .and_then(|e| e.iter().find(differs))
        {
            return v.clone();
        }
        if let Some(v) = schema["examples"]
            .as_array()
            .and_then(|e| e.iter().find(differs))
        {
            return v.clone();
        }
        match kind {
            "integer" | "number" => {
                let min = schema["minimum"].as_i64().unwrap_or(0);
                let v = (min..min + 3)
                    .find(|v| default != Some(&json!(v)))
                    .unwrap_or(min);
                json!(v)
            }
            "boolean" => json!(default != Some(&json!(true))),
            _ => json!("sample"),
        }
    }

    /// Every leaf of `value` as a JSON pointer with its value.
    fn leaves(value: &Value, path: String, out: &mut Vec<(String, Value)>) {
        match value {
            Value::Object(map) if !map.is_empty() => {
                for (k, v) in map {
                    leaves(v, format!("{path}/{k}"), out);
                }
            }
            Value::Array(items) if !items.is_empty() => {
                for (i, v) in items.iter().enumerate() {
                    leaves(v, format!("{path}/{i}"), out);
                }
            }
            _ => out.push((path, value.clone())),
        }
    }

    /// Bug: `replicas.targetCPU` was accepted by the schema and dropped on the way to the
    /// model. Every field the schema lets a service write, set to a value that is not its
    /// default, must reach the resolved service unchanged.
    #[test]
    fn every_schema_field_of_a_service_reaches_the_model() {
        let schema: Value = serde_json::from_str(SchemaKind::Registry.text()).unwrap();
        let service = sample(&schema, &schema["$defs"]["service"]);
        let platform = sample(&schema, &schema["$defs"]["platform"]);
        let registry = json!({
            "apiVersion": "infrac.dev/v1",
            "kind": "Registry",
            "platform": platform,
            "services": {"sample": service},
        });
        assert!(
            crate::validate::schema::validate_schema(
                SchemaKind::Registry,
                &parse(&registry.to_string(), 0).unwrap()
            )
            .is_empty(),
            "the generated registry must be valid: {registry:#}"
        );
        let node = parse(&registry.to_string(), 0).unwrap();
        let merged = merge_platform(&node, &[]);
        let spec = crate::spec::read(&merged, None);
        let model = super::lower_model(&spec, "golden").unwrap_or_else(|e| panic!("{e:?}"));
        let resolved = serde_json::to_value(&model.registry_services["sample"]).unwrap();
        let mut written = Vec::new();
        leaves(&service, String::new(), &mut written);
        let resolved_platform = serde_json::to_value(&model.platform).unwrap();
        leaves(&platform, "/platform".into(), &mut written);
        assert!(written.len() > 50, "{written:?}");
        let mut dropped = Vec::new();
        for (pointer, value) in &written {
            let got = match pointer.strip_prefix("/platform") {
                Some(rest) => resolved_platform.pointer(rest),
                None => resolved.pointer(pointer),
            };
            // Quantities and config values reach the model as text.
            let text = value.to_string();
            let same = got == Some(value) || got.and_then(Value::as_str) == Some(text.as_str());
            if !same {
                dropped.push(format!("{pointer}: wrote {value}, resolved {got:?}"));
            }
        }
        assert!(
            dropped.is_empty(),
            "fields lost on the way to the model:\n{}",
            dropped.join("\n")
        );
    }
}

#[cfg(test)]
mod cluster_version {
    use crate::diagnostic::{Code, Severity};
    use std::path::Path;

    /// The example platform with `cluster.version` removed from dev and prod.
    fn unpinned_example() -> tempfile::TempDir {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = tempfile::tempdir().unwrap();
        for file in ["registry.yaml", "versions.yaml"] {
            std::fs::copy(root.join(file), dir.path().join(file)).unwrap();
        }
        std::fs::create_dir(dir.path().join("environments")).unwrap();
        for env in ["dev", "staging", "prod"] {
            let rel = format!("environments/{env}.yaml");
            let text = std::fs::read_to_string(root.join(&rel)).unwrap();
            let text = match env {
                "staging" => text,
                _ => {
                    assert!(text.contains("\n  version: \"1.31\"\n"), "{rel}");
                    text.replace("\n  version: \"1.31\"\n", "\n")
                }
            };
            std::fs::write(dir.path().join(rel), text).unwrap();
        }
        dir
    }

    /// Bug: a platform written to the SPEC without `cluster.version` was refused. Now it
    /// builds, the cluster module gets no version (the cloud's default applies), and only
    /// prod (approval required) is warned about.
    #[test]
    fn a_cluster_without_version_is_left_to_the_cloud() {
        let dir = unpinned_example();
        let frontend = crate::pipeline::run_frontend(dir.path());
        let found: Vec<(Code, Severity, String)> = frontend
            .diagnostics
            .items
            .iter()
            .map(|d| {
                (
                    d.code,
                    d.severity,
                    frontend.sources.path(d.pos.file).to_owned(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [(
                Code::UnpinnedClusterVersion,
                Severity::Warning,
                "environments/prod.yaml".to_owned()
            )]
        );
        let model = frontend.model.expect("the platform builds");
        let versions: Vec<(&str, Option<&str>)> = model
            .environments
            .iter()
            .map(|e| (e.name.as_str(), e.cluster.version.as_deref()))
            .collect();
        assert_eq!(
            versions,
            [("dev", None), ("staging", Some("1.31")), ("prod", None)]
        );
        let templates = crate::templates::Templates::builtin().unwrap();
        let project = crate::project::Project::default();
        let ctx = crate::backend::EmitCtx::new(&project, &templates);
        let files = crate::backend::terraform::emit(&model, &ctx).unwrap();
        let cluster_version = |env: &str| {
            let main = files
                .iter()
                .find(|f| f.path == format!("terraform/environments/{env}/main.tf"))
                .unwrap_or_else(|| panic!("no main.tf for {env}"));
            main.contents
                .lines()
                .find(|l| l.trim_start().starts_with("kubernetes_version"))
                .map(|l| l.trim().to_owned())
        };
        assert_eq!(cluster_version("dev"), None);
        assert_eq!(cluster_version("prod"), None);
        assert_eq!(
            cluster_version("staging").as_deref(),
            Some("kubernetes_version = \"1.31\"")
        );
    }
}
