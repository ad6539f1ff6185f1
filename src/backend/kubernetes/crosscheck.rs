//! Cross-artifact checks on a service's traffic objects, run on every compile: the
//! DestinationRule's subsets select the pods of the Deployment of their track, every route
//! names an existing subset, the header route comes first and sends everything to the
//! canary, and the weighted routes sum to 100; a blue-green service's Services each select
//! exactly one colour's pods, the active one the stable tag's; egress objects agree with
//! the NetworkPolicy. A failure is a compiler bug (the inputs were
//! validated), reported as an internal error rather than written out.

use serde_json::Value;

/// The first object of `kind` called `name` among `docs`.
fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> Option<&'a Value> {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
}

/// Checks the traffic objects of `service` in `docs` against its stable Deployment.
pub(crate) fn check_traffic(service: &str, docs: &[Value], stable: &Value) -> Result<(), String> {
    let Some(dr) = find(docs, "DestinationRule", service) else {
        return Ok(());
    };
    let vs = find(docs, "VirtualService", service)
        .ok_or("a DestinationRule without its VirtualService")?;
    let canary = find(docs, "Deployment", &format!("{service}-canary"));
    let subsets = dr["spec"]["subsets"]
        .as_array()
        .ok_or("DestinationRule without subsets")?;
    let mut names = Vec::new();
    for subset in subsets {
        let name = subset["name"].as_str().ok_or("a subset without a name")?;
        names.push(name);
        let deployment = match name {
            "stable" => Some(stable),
            "canary" => canary,
            other => return Err(format!("unexpected subset `{other}`")),
        };
        let Some(deployment) = deployment else {
            return Err(format!("subset `{name}` selects no Deployment's pods"));
        };
        let pod_labels = &deployment["spec"]["template"]["metadata"]["labels"];
        for (k, v) in subset["labels"].as_object().into_iter().flatten() {
            if &pod_labels[k] != v {
                return Err(format!(
                    "subset `{name}` selects {k}={v}, which its Deployment's pods do not carry"
                ));
            }
        }
    }
    // A canary subset or header route without canary pods answers 503.
    if names.contains(&"canary") != canary.is_some() {
        return Err(
            "the DestinationRule has a `canary` subset iff a canary Deployment runs, not so here"
                .into(),
        );
    }
    check_routes(vs, &names)
}

fn check_routes(vs: &Value, subsets: &[&str]) -> Result<(), String> {
    let http = vs["spec"]["http"]
        .as_array()
        .ok_or("VirtualService without http routes")?;
    let mut seen_weighted = false;
    for route in http {
        let dests = route["route"]
            .as_array()
            .ok_or("a route without destinations")?;
        for d in dests {
            let subset = d["destination"]["subset"].as_str().unwrap_or("");
            if !subsets.contains(&subset) {
                return Err(format!(
                    "a route names subset `{subset}`, which the DestinationRule lacks"
                ));
            }
        }
        let is_header = route["match"]
            .as_array()
            .is_some_and(|ms| ms.iter().all(|m| m.get("headers").is_some()));
        if is_header {
            if seen_weighted {
                return Err("a header route after a weighted route never matches first".into());
            }
            if dests.len() != 1 || dests[0]["destination"]["subset"] != "canary" {
                return Err("the header route must send everything to the canary".into());
            }
        } else {
            seen_weighted = true;
            let sum: u64 = dests
                .iter()
                .map(|d| d["weight"].as_u64().unwrap_or(0))
                .sum();
            if sum != 100 {
                return Err(format!("weighted route sums to {sum}, not 100"));
            }
        }
    }
    if !seen_weighted {
        return Err("no weighted route".into());
    }
    Ok(())
}

/// Checks the ServiceEntries of a service against its NetworkPolicy: every port of every
/// entry is allowed out (an entry's address range by its own ipBlock; a host name by the
/// rule to the public addresses), and the public rule opens no port that no entry's host
/// uses (the mesh's `REGISTRY_ONLY` is what checks the name there).
pub(crate) fn check_egress(docs: &[Value]) -> Result<(), String> {
    let Some(np) = docs.iter().find(|d| d["kind"] == "NetworkPolicy") else {
        return Ok(());
    };
    let rules = np["spec"]["egress"].as_array().cloned().unwrap_or_default();
    let allows = |cidr: &str, port: u64| {
        rules.iter().any(|r| {
            let to = r["to"].as_array().into_iter().flatten();
            let ports = r["ports"].as_array().into_iter().flatten();
            to.clone().any(|t| t["ipBlock"]["cidr"] == cidr)
                && ports.clone().any(|p| p["port"].as_u64() == Some(port))
        })
    };
    let mut host_ports = Vec::new();
    for entry in docs.iter().filter(|d| d["kind"] == "ServiceEntry") {
        let name = entry["metadata"]["name"].as_str().unwrap_or_default();
        let spec = &entry["spec"];
        let ports: Vec<u64> = spec["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["number"].as_u64())
            .collect();
        let addresses: Vec<&str> = spec["addresses"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        for port in &ports {
            let targets = if addresses.is_empty() {
                host_ports.push(*port);
                vec!["0.0.0.0/0"]
            } else {
                addresses.clone()
            };
            for cidr in targets {
                if !allows(cidr, *port) {
                    return Err(format!(
                        "ServiceEntry `{name}` lets port {port} out to {cidr}, which the NetworkPolicy blocks"
                    ));
                }
            }
        }
    }
    for rule in &rules {
        let public = rule["to"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|t| t["ipBlock"]["cidr"] == "0.0.0.0/0");
        if !public {
            continue;
        }
        for p in rule["ports"].as_array().into_iter().flatten() {
            let port = p["port"].as_u64().unwrap_or(0);
            if !host_ports.contains(&port) {
                return Err(format!(
                    "the NetworkPolicy opens port {port} to the internet for no ServiceEntry host"
                ));
            }
        }
    }
    Ok(())
}

/// Checks a blue-green service's objects in one environment (its base objects as the
/// environment wants them, and its overlay's): the active Service selects the pods of
/// exactly one Deployment, the active colour's, which runs the stable tag; the preview
/// Service, when present, exactly one other; every Deployment is reached by one of them and
/// scaled by its own HPA (`check_scaling`).
pub(crate) fn check_blue_green(
    service: &str,
    version: Option<(&str, crate::model::Colour)>,
    objects: &[&Value],
) -> Result<(), String> {
    let Some((stable, active)) = version else {
        return Ok(());
    };
    let of = |kind: &str| -> Vec<&Value> {
        objects
            .iter()
            .copied()
            .filter(|d| d["kind"] == kind)
            .collect()
    };
    let deployments = of("Deployment");
    let selected = |svc: &Value| -> Vec<&str> {
        let selector = svc["spec"]["selector"].as_object();
        deployments
            .iter()
            .filter(|d| {
                let labels = &d["spec"]["template"]["metadata"]["labels"];
                selector.is_some_and(|s| s.iter().all(|(k, v)| &labels[k] == v))
            })
            .filter_map(|d| d["metadata"]["name"].as_str())
            .collect()
    };
    let services = of("Service");
    let find_service = |name: &str| services.iter().find(|s| s["metadata"]["name"] == name);
    let active_service =
        find_service(service).ok_or("no active Service named after the service")?;
    let want = super::blue_green::colour_name(service, active);
    let reached = selected(active_service);
    if reached != [want.as_str()] {
        return Err(format!(
            "the active Service selects the pods of {reached:?}, not exactly `{want}`"
        ));
    }
    let active_deployment = deployments
        .iter()
        .find(|d| d["metadata"]["name"] == want.as_str())
        .ok_or("no active Deployment")?;
    let tag = &active_deployment["metadata"]["labels"]["app.kubernetes.io/version"];
    if tag != stable {
        return Err(format!(
            "the active Deployment `{want}` runs {tag}, not the stable tag `{stable}`"
        ));
    }
    let mut reached_all = reached.clone();
    if let Some(preview) = find_service(&format!("{service}-preview")) {
        let other = selected(preview);
        if other.len() != 1 || other[0] == want {
            return Err(format!(
                "the preview Service selects the pods of {other:?}, not exactly the other colour"
            ));
        }
        reached_all.extend(other);
    }
    for d in &deployments {
        let name = d["metadata"]["name"].as_str().unwrap_or_default();
        if !reached_all.contains(&name) {
            return Err(format!(
                "Deployment `{name}` runs but no Service reaches it"
            ));
        }
    }
    // Each colour's own HPA and no `replicas`: `check_scaling`, as for every service.
    check_scaling(objects)
}

/// Checks a service's pull credentials in one environment: every Secret its ServiceAccount
/// names in `imagePullSecrets` is written by one of its ExternalSecrets as a
/// `kubernetes.io/dockerconfigjson` Secret, and every such ExternalSecret is named there.
pub(crate) fn check_pull_secrets(objects: &[&Value]) -> Result<(), String> {
    let named: Vec<&Value> = objects
        .iter()
        .filter(|d| d["kind"] == "ServiceAccount")
        .flat_map(|sa| sa["imagePullSecrets"].as_array().into_iter().flatten())
        .map(|r| &r["name"])
        .collect();
    let written: Vec<&Value> = objects
        .iter()
        .filter(|d| {
            d["kind"] == "ExternalSecret"
                && d["spec"]["target"]["template"]["type"] == "kubernetes.io/dockerconfigjson"
        })
        .map(|d| &d["spec"]["target"]["name"])
        .collect();
    if let Some(n) = named.iter().find(|n| !written.contains(n)) {
        return Err(format!(
            "the ServiceAccount pulls with Secret {n}, which no ExternalSecret writes as dockerconfigjson"
        ));
    }
    if let Some(w) = written.iter().find(|w| !named.contains(w)) {
        return Err(format!(
            "dockerconfigjson Secret {w} is written but no ServiceAccount pulls with it"
        ));
    }
    Ok(())
}

/// Checks a service's scaling in one environment: every Deployment is scaled by exactly one
/// HPA and sets no `replicas` of its own (a synced count would fight the HPA), and every HPA
/// scales one of the service's Deployments.
pub(crate) fn check_scaling(objects: &[&Value]) -> Result<(), String> {
    let of = |kind: &'static str| objects.iter().filter(move |d| d["kind"] == kind);
    for d in of("Deployment") {
        let name = &d["metadata"]["name"];
        if d["spec"].get("replicas").is_some() {
            return Err(format!(
                "Deployment {name} sets replicas, which its HPA owns"
            ));
        }
        let hpas = of("HorizontalPodAutoscaler")
            .filter(|h| &h["spec"]["scaleTargetRef"]["name"] == name)
            .count();
        if hpas != 1 {
            return Err(format!(
                "Deployment {name} is scaled by {hpas} HPAs, not one"
            ));
        }
    }
    for h in of("HorizontalPodAutoscaler") {
        let target = &h["spec"]["scaleTargetRef"]["name"];
        if !of("Deployment").any(|d| &d["metadata"]["name"] == target) {
            return Err(format!("an HPA scales {target}, which is not deployed"));
        }
    }
    Ok(())
}
