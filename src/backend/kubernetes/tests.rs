//! Unit tests of the Kubernetes target over the small fixture model.

use super::crosscheck;
use super::fixture::model;
use super::*;
use serde_json::json;

/// The back end with the default project (the fixture model has no `infrac.toml`).
fn emit(model: &crate::model::Model) -> Result<Vec<OutputFile>, crate::error::Error> {
    let templates = crate::templates::Templates::builtin().expect("built-in templates");
    let project = crate::project::Project::default();
    super::emit(model, &crate::backend::EmitCtx::new(&project, &templates))
}

fn files() -> Vec<OutputFile> {
    emit(&model()).expect("emit")
}

/// The example platform and every valid fixture platform of the repository.
fn real_platforms() -> Vec<(String, crate::model::Model)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![("example".to_owned(), root.to_path_buf())];
    let fixtures = root.join("tests/fixtures/valid");
    let mut entries: Vec<_> = std::fs::read_dir(&fixtures)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    entries.sort();
    for dir in entries {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        dirs.push((name, dir));
    }
    dirs.into_iter()
        .map(|(name, dir)| {
            let model = crate::pipeline::load_model(&dir)
                .unwrap_or_else(|_| panic!("{name} does not load"));
            (name, model)
        })
        .collect()
}

/// Writes the fixture tree and every real platform's tree under `$INFRAC_KUBE_OUT`
/// (default `/tmp/kube-out`), one directory each, for the real tools.
#[test]
#[ignore]
fn dump_for_conformance() {
    let root = std::env::var("INFRAC_KUBE_OUT").unwrap_or_else(|_| "/tmp/kube-out".into());
    let _ = std::fs::remove_dir_all(&root);
    let mut trees = vec![("fixture".to_owned(), files())];
    for (name, model) in real_platforms() {
        trees.push((name, emit(&model).expect("emit")));
    }
    // Blue-green after a promote (both colours, the switch-back window open) and images
    // from a registry that needs pull credentials.
    let promoted = bg("v1.5.0", None, crate::model::Colour::Green, Some("v1.4.0"));
    trees.push((
        "fixture-promoted".into(),
        emit(&ledger_at(promoted)).unwrap(),
    ));
    trees.push(("example-ghcr".into(), emit(&example_on_ghcr()).unwrap()));
    for (name, tree) in trees {
        for f in tree {
            let path = std::path::Path::new(&root).join(&name).join(&f.path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, f.contents).unwrap();
        }
    }
}

#[test]
fn real_platforms_compile_with_an_overlay_per_enabled_service() {
    for (name, model) in real_platforms() {
        let out = emit(&model).expect("emit");
        for env in &model.environments {
            for service in model.registry_services.keys() {
                let path = format!(
                    "kubernetes/{service}/overlays/{}/kustomization.yaml",
                    env.name
                );
                let present = out.iter().any(|f| f.path == path);
                assert_eq!(
                    present,
                    env.services.contains_key(service),
                    "{name}: {path}"
                );
            }
        }
    }
}

#[test]
fn deterministic() {
    assert_eq!(files(), files());
}

/// The overlay resources of `service` in `env` of the fixture, by kind and name.
fn overlay_docs(env: &str, service: &str) -> Vec<Value> {
    let m = model();
    let e = m.environment(env).unwrap();
    overlay::overlay_resources(&Ctx::new(&m, e, &e.services[service]))
}

fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> Option<&'a Value> {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
}

#[test]
fn canary_weights_and_replicas() {
    assert_eq!(istio::canary_replicas(3, 10), 1);
    assert_eq!(istio::canary_replicas(5, 10), 1);
    assert_eq!(istio::canary_replicas(10, 25), 3);
    assert_eq!(istio::canary_replicas(7, 50), 4);
    assert_eq!(istio::canary_replicas(1, 1), 1);
    let m = model();
    for (env, want) in [("dev", (100, 0)), ("prod", (90, 10))] {
        let e = m.environment(env).unwrap();
        let ctx = Ctx::new(&m, e, &e.services["payment-service"]);
        assert_eq!(istio::weights(&ctx), want, "{env}");
    }
    // prod: replicas.min 5 at 10% → 1 canary pod (the canary HPA's floor; the Deployment
    // leaves the count to it); dev has no canary in progress.
    let prod = overlay_docs("prod", "payment-service");
    let canary = find(&prod, "Deployment", "payment-service-canary").unwrap();
    assert!(canary["spec"].get("replicas").is_none());
    let hpa = find(&prod, "HorizontalPodAutoscaler", "payment-service-canary").unwrap();
    assert_eq!(hpa["spec"]["minReplicas"], 1);
    assert!(
        find(
            &overlay_docs("dev", "payment-service"),
            "Deployment",
            "payment-service-canary"
        )
        .is_none()
    );
}

#[test]
fn images_rewrite_only_the_stable_track() {
    let m = model();
    let e = m.environment("prod").unwrap();
    let ctx = Ctx::new(&m, e, &e.services["payment-service"]);
    let k = overlay::overlay_kustomization(&ctx, &[]).unwrap();
    assert_eq!(
        k["images"],
        json!([{"name": "payment-service",
                "newName": "registry.example.com/shop/payment-service", "newTag": "v1.4.0"}])
    );
    let base = base::base_objects("shop", &m.registry_services["payment-service"], None);
    let image = &base[2]["spec"]["template"]["spec"]["containers"][0]["image"];
    assert_eq!(
        image, "payment-service",
        "the base image is the logical name `images:` matches"
    );
    let docs = overlay::overlay_resources(&ctx);
    let canary = find(&docs, "Deployment", "payment-service-canary").unwrap();
    let image = &canary["spec"]["template"]["spec"]["containers"][0]["image"];
    assert_eq!(image, "registry.example.com/shop/payment-service:v1.5.0");
    let prod_ledger = overlay_docs("prod", "ledger-service");
    // Blue-green: each colour carries its full reference (the preview is in green).
    for (colour, tag) in [("blue", "v1.4.0"), ("green", "v1.5.0")] {
        let d = find(
            &prod_ledger,
            "Deployment",
            &format!("ledger-service-{colour}"),
        )
        .unwrap();
        let image = &d["spec"]["template"]["spec"]["containers"][0]["image"];
        assert_eq!(
            image,
            &json!(format!("registry.example.com/shop/ledger-service:{tag}"))
        );
    }
}

#[test]
fn disabled_service_has_no_overlay() {
    let out = files();
    let paths: Vec<&str> = out.iter().map(|f| f.path.as_str()).collect();
    assert!(paths.contains(&"kubernetes/ledger-service/base/kustomization.yaml"));
    assert!(paths.contains(&"kubernetes/ledger-service/overlays/prod/kustomization.yaml"));
    assert!(
        !paths
            .iter()
            .any(|p| p.starts_with("kubernetes/ledger-service/overlays/dev"))
    );
    let dev = out
        .iter()
        .find(|f| f.path == "kubernetes/environments/dev/kustomization.yaml")
        .unwrap();
    assert!(!dev.contents.contains("ledger-service"), "{}", dev.contents);
    assert!(dev.contents.contains("../../payment-service/overlays/dev"));
}

#[test]
fn authz_peers_follow_each_environment() {
    let principals = |env: &str| {
        let docs = overlay_docs(env, "account-service");
        let ap = find(&docs, "AuthorizationPolicy", "account-service").unwrap();
        ap["spec"]["rules"][0]["from"][0]["source"]["principals"].clone()
    };
    assert_eq!(
        principals("dev"),
        json!(["cluster.local/ns/payments-dev/sa/payment-service"])
    );
    assert_eq!(
        principals("prod"),
        json!([
            "cluster.local/ns/payments/sa/ledger-service",
            "cluster.local/ns/payments/sa/payment-service"
        ])
    );
}

#[test]
fn network_peers_follow_each_environment() {
    let ingress_peers = |env: &str| -> Vec<Value> {
        let docs = overlay_docs(env, "account-service");
        let np = find(&docs, "NetworkPolicy", "account-service").unwrap();
        np["spec"]["ingress"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| {
                r["from"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/name"].as_str()
            })
            .map(|s| json!(s))
            .collect()
    };
    assert_eq!(ingress_peers("dev"), vec![json!("payment-service")]);
    assert_eq!(
        ingress_peers("prod"),
        vec![json!("ledger-service"), json!("payment-service")]
    );
    // Egress to the dependency, in that environment's namespace and on its ports.
    let docs = overlay_docs("dev", "payment-service");
    let np = find(&docs, "NetworkPolicy", "payment-service").unwrap();
    let to_account = np["spec"]["egress"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["to"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == "account-service"
        })
        .unwrap();
    assert_eq!(
        to_account["to"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
        "accounts-dev"
    );
    assert_eq!(
        to_account["ports"],
        json!([{"protocol": "TCP", "port": 9000}])
    );
}

/// Issue 5 part 6: the traffic objects agree with each other, and the compile-time check
/// catches each way they could disagree.
#[test]
fn canary_artifacts_agree() {
    let m = model();
    let e = m.environment("prod").unwrap();
    let ctx = Ctx::new(&m, e, &e.services["payment-service"]);
    let docs = overlay::overlay_resources(&ctx);
    let stable = base::base_objects("shop", ctx.service, Some(&ctx))[2].clone();
    assert!(find(&docs, "Deployment", "payment-service-canary").is_some());
    crosscheck::check_traffic("payment-service", &docs, &stable).unwrap();
    let vs_at = docs
        .iter()
        .position(|d| d["kind"] == "VirtualService")
        .unwrap();
    let dr_at = docs
        .iter()
        .position(|d| d["kind"] == "DestinationRule")
        .unwrap();
    type Breakage = Box<dyn Fn(&mut Vec<Value>)>;
    let broken: Vec<(&str, Breakage)> = vec![
        (
            "weights",
            Box::new(move |d| {
                let http = d[vs_at]["spec"]["http"].as_array_mut().unwrap();
                http.last_mut().unwrap()["route"][0]["weight"] = json!(1);
            }),
        ),
        (
            "subset",
            Box::new(move |d| {
                d[vs_at]["spec"]["http"][0]["route"][0]["destination"]["subset"] = json!("beta")
            }),
        ),
        (
            "labels",
            Box::new(move |d| d[dr_at]["spec"]["subsets"][0]["labels"]["version"] = json!("blue")),
        ),
        (
            "order",
            Box::new(move |d| d[vs_at]["spec"]["http"].as_array_mut().unwrap().reverse()),
        ),
    ];
    for (what, breaks) in broken {
        let mut docs = docs.clone();
        breaks(&mut docs);
        assert!(
            crosscheck::check_traffic("payment-service", &docs, &stable).is_err(),
            "{what} not caught"
        );
    }
}

#[test]
fn secure_pod_defaults() {
    let m = model();
    let base = base::base_objects("shop", &m.registry_services["ledger-service"], None);
    // A blue-green service's Deployments are its colours, in the overlays.
    let overlay = overlay_docs("prod", "ledger-service");
    let deployment = find(&overlay, "Deployment", "ledger-service-blue").unwrap();
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(pod["automountServiceAccountToken"], false);
    let c = &pod["containers"][0];
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(c["securityContext"]["capabilities"]["drop"], json!(["ALL"]));
    assert_eq!(c["readinessProbe"], json!({"tcpSocket": {"port": "tcp"}}));
    assert!(
        deployment["spec"].get("replicas").is_none(),
        "the HPA owns replicas"
    );
    let pdb = base.last().unwrap();
    assert_eq!(pdb["kind"], "PodDisruptionBudget");
    assert_eq!(pdb["spec"]["maxUnavailable"], 1);
}

/// `kubectl kustomize kubernetes/environments/<env>` of `tree`, as documents: what a user
/// applies. `None` (the test is skipped) only when kubectl is missing outside CI.
fn kustomize(tree: &[OutputFile], env: &str) -> Option<Vec<Value>> {
    let dir = tempfile::tempdir().unwrap();
    for f in tree {
        let path = dir.path().join(&f.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, &f.contents).unwrap();
    }
    let out = std::process::Command::new("kubectl")
        .arg("kustomize")
        .arg(dir.path().join(format!("kubernetes/environments/{env}")))
        .output();
    let out = match out {
        Ok(out) => out,
        Err(_) if std::env::var_os("CI").is_none() => {
            eprintln!("kubectl missing: rendered-output check skipped");
            return None;
        }
        Err(e) => panic!("kubectl is required in CI: {e}"),
    };
    assert!(
        out.status.success(),
        "kubectl kustomize {env}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let docs: Vec<Value> =
        serde_saphyr::from_multiple_with_options(&text, crate::backend::yaml_read_options())
            .unwrap();
    Some(docs)
}

fn rendered<'a>(docs: &'a [Value], kind: &str, ns: &str, name: &str) -> &'a Value {
    docs.iter()
        .find(|d| {
            d["kind"] == kind && d["metadata"]["name"] == name && d["metadata"]["namespace"] == ns
        })
        .unwrap_or_else(|| panic!("no {kind} {ns}/{name} rendered"))
}

/// The fixture with `egress` and an object-storage bucket on payment-service in prod.
fn egress_model() -> crate::model::Model {
    use crate::model::{Egress, EgressTo, Infra, InfraType};
    let mut m = model();
    let prod = m
        .environments
        .iter_mut()
        .find(|e| e.name == "prod")
        .unwrap();
    let s = prod.services.get_mut("payment-service").unwrap();
    s.egress = vec![
        Egress {
            to: EgressTo::Host("api.stripe.com".into()),
            port: 443,
        },
        Egress {
            to: EgressTo::Cidr("203.0.113.0/24".into()),
            port: 8443,
        },
        Egress {
            to: EgressTo::Host("api.stripe.com".into()),
            port: 8443,
        },
    ];
    s.infra.insert(
        "files".into(),
        Infra {
            kind: InfraType::Bucket,
            scope: None,
            version: None,
            topics: vec![],
            exchanges: vec![],
            sizing: Default::default(),
        },
    );
    m
}

/// Issue 16 item 2: `egress` became a ServiceEntry per host and the NetworkPolicy allows;
/// the cloud's workload-identity token endpoint and object storage's public endpoint are
/// allowed by default; the namespace's Sidecar is REGISTRY_ONLY.
#[test]
fn egress_reaches_service_entries_and_network_policy() {
    let tree = emit(&egress_model()).expect("emit");
    let Some(docs) = kustomize(&tree, "prod") else {
        return;
    };
    let entries: Vec<Value> = docs
        .iter()
        .filter(|d| d["kind"] == "ServiceEntry")
        .map(|d| json!([d["metadata"]["name"], d["metadata"]["namespace"], d["spec"]]))
        .collect();
    let tls = |p: u16| json!({"number": p, "name": format!("tls-{p}"), "protocol": "TLS"});
    let tcp = |p: u16| json!({"number": p, "name": format!("tcp-{p}"), "protocol": "TCP"});
    let entry = |hosts: Value, ports: Vec<Value>, resolution: &str| {
        json!({"hosts": hosts, "ports": ports, "location": "MESH_EXTERNAL",
               "resolution": resolution, "exportTo": ["."]})
    };
    let mut cidr = entry(
        json!(["203-0-113-0-24.egress.invalid"]),
        vec![tcp(8443)],
        "NONE",
    );
    cidr["addresses"] = json!(["203.0.113.0/24"]);
    let login = entry(json!(["login.microsoftonline.com"]), vec![tls(443)], "DNS");
    let want = vec![
        json!(["account-service-azure-login", "accounts", login]),
        json!(["ledger-service-azure-login", "payments", login]),
        json!(["payment-service-203-0-113-0-24", "payments", cidr]),
        json!([
            "payment-service-api.stripe.com",
            "payments",
            entry(json!(["api.stripe.com"]), vec![tls(443), tcp(8443)], "DNS")
        ]),
        json!([
            "payment-service-azure-blob",
            "payments",
            entry(json!(["*.blob.core.windows.net"]), vec![tls(443)], "NONE")
        ]),
        json!(["payment-service-azure-login", "payments", login]),
    ];
    let mut got = entries.clone();
    got.sort_by_key(|e| e[0].as_str().unwrap().to_owned());
    assert_eq!(got, want);
    let np = rendered(&docs, "NetworkPolicy", "payments", "payment-service");
    let egress = np["spec"]["egress"].as_array().unwrap();
    let external: Vec<&Value> = egress
        .iter()
        .filter(|r| r["to"][0].get("ipBlock").is_some())
        .collect();
    assert_eq!(
        external,
        [
            // postgres and kafka, managed in the VNet
            &json!({"to": [{"ipBlock": {"cidr": "10.20.0.0/16"}}], "ports": [{"protocol": "TCP", "port": 5432}]}),
            &json!({"to": [{"ipBlock": {"cidr": "10.20.0.0/16"}}], "ports": [{"protocol": "TCP", "port": 9093}]}),
            &json!({"to": [{"ipBlock": {"cidr": "10.20.0.0/16"}}], "ports": [{"protocol": "TCP", "port": 443}]}),
            &json!({"to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}], "ports": [{"protocol": "TCP", "port": 8443}]}),
            &json!({"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": egress::PRIVATE_RANGES}}],
                    "ports": [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 8443}]}),
        ]
    );
    for ns in ["accounts", "payments"] {
        let sidecar = rendered(&docs, "Sidecar", ns, "default");
        assert_eq!(
            sidecar["spec"],
            json!({"outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"}})
        );
    }
}

/// The cross-check fails the compile when a ServiceEntry's port is not let out, or the
/// public allow opens a port no ServiceEntry host uses.
#[test]
fn egress_crosscheck_catches_disagreement() {
    let m = egress_model();
    let e = m.environment("prod").unwrap();
    let docs = overlay::overlay_resources(&Ctx::new(&m, e, &e.services["payment-service"]));
    crosscheck::check_egress(&docs).unwrap();
    let np_at = docs
        .iter()
        .position(|d| d["kind"] == "NetworkPolicy")
        .unwrap();
    fn last_rule(d: &mut [Value], np_at: usize) -> &mut Value {
        d[np_at]["spec"]["egress"]
            .as_array_mut()
            .unwrap()
            .last_mut()
            .unwrap()
    }
    let mut dropped = docs.clone();
    last_rule(&mut dropped, np_at)["ports"]
        .as_array_mut()
        .unwrap()
        .pop();
    assert!(crosscheck::check_egress(&dropped).is_err());
    let mut extra = docs.clone();
    last_rule(&mut extra, np_at)["ports"]
        .as_array_mut()
        .unwrap()
        .push(json!({"protocol": "TCP", "port": 25}));
    assert!(crosscheck::check_egress(&extra).is_err());
    let mut cidr = docs.clone();
    let at = cidr
        .iter()
        .position(|d| d["metadata"]["name"] == "payment-service-203-0-113-0-24")
        .unwrap();
    cidr[at]["spec"]["addresses"] = json!(["198.51.100.0/24"]);
    assert!(crosscheck::check_egress(&cidr).is_err());
}

/// Issue 16 item 4: where no canary runs (dev), the DestinationRule has only `stable` and
/// the VirtualService no header route (a request with the header got a 503 from the empty
/// `canary` subset); where one runs (prod), both are there.
#[test]
fn no_canary_subset_or_header_route_without_a_canary() {
    let tree = files();
    let Some(dev) = kustomize(&tree, "dev") else {
        return;
    };
    let dr = rendered(&dev, "DestinationRule", "payments-dev", "payment-service");
    assert_eq!(
        dr["spec"]["subsets"],
        json!([{"name": "stable", "labels": {"version": "stable"}}])
    );
    let vs = rendered(&dev, "VirtualService", "payments-dev", "payment-service");
    let names: Vec<&str> = vs["spec"]["http"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["gateway-weighted", "mesh-weighted"]);
    for route in vs["spec"]["http"].as_array().unwrap() {
        assert_eq!(route["route"].as_array().unwrap().len(), 1, "{route}");
        assert_eq!(route["route"][0]["destination"]["subset"], "stable");
        assert_eq!(route["route"][0]["weight"], 100);
    }
    let prod = kustomize(&tree, "prod").unwrap();
    let dr = rendered(&prod, "DestinationRule", "payments", "payment-service");
    assert_eq!(dr["spec"]["subsets"].as_array().unwrap().len(), 2);
    let vs = rendered(&prod, "VirtualService", "payments", "payment-service");
    assert_eq!(vs["spec"]["http"][0]["name"], "gateway-canary-header");
    // The cross-check refuses a canary subset without canary pods.
    let m = model();
    let e = m.environment("dev").unwrap();
    let ctx = Ctx::new(&m, e, &e.services["payment-service"]);
    let mut docs = overlay::overlay_resources(&ctx);
    let stable = base::base_objects("shop", ctx.service, Some(&ctx))[2].clone();
    crosscheck::check_traffic("payment-service", &docs, &stable).unwrap();
    let dr_at = docs
        .iter()
        .position(|d| d["kind"] == "DestinationRule")
        .unwrap();
    docs[dr_at]["spec"]["subsets"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "canary", "labels": {"version": "canary"}}));
    assert!(crosscheck::check_traffic("payment-service", &docs, &stable).is_err());
}

/// Issue 16 item 6: the canary Deployment gets its own HPA, the stable HPA's bounds scaled
/// by the weight (ceil, at least one), with the stable CPU target.
#[test]
fn canary_hpa_follows_the_stable_hpa() {
    let mut m = model();
    let prod = m
        .environments
        .iter_mut()
        .find(|e| e.name == "prod")
        .unwrap();
    let s = prod.services.get_mut("payment-service").unwrap();
    s.replicas.max = 12;
    s.version.as_mut().unwrap().canary.as_mut().unwrap().weight = 25;
    let Some(docs) = kustomize(&emit(&m).unwrap(), "prod") else {
        return;
    };
    let hpa = rendered(
        &docs,
        "HorizontalPodAutoscaler",
        "payments",
        "payment-service-canary",
    );
    assert_eq!(
        hpa["spec"],
        json!({
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "payment-service-canary"},
            "minReplicas": 2,
            "maxReplicas": 3,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": 70}}}],
        })
    );
    let deployment = rendered(&docs, "Deployment", "payments", "payment-service-canary");
    assert!(
        deployment["spec"].get("replicas").is_none(),
        "the canary HPA owns the count: {deployment}"
    );
    let dev = kustomize(&files(), "dev").unwrap();
    assert!(!dev.iter().any(|d| d["kind"] == "HorizontalPodAutoscaler"
        && d["metadata"]["name"] == "payment-service-canary"));
}

/// Issue 16 item 1: with the sidecar data plane the environment's kustomization says it
/// needs istio-cni (restricted refuses istio-init); with ambient the namespaces are ambient,
/// inject no sidecar, and a namespace with L7 routing (a canary) gets its waypoint.
#[test]
fn pod_security_with_each_dataplane() {
    let tree = files();
    let k = tree
        .iter()
        .find(|f| f.path == "kubernetes/environments/prod/kustomization.yaml")
        .unwrap();
    assert!(
        k.contents.starts_with("# Requires istio-cni:"),
        "{}",
        k.contents
    );
    let mut m = model();
    m.platform.mesh.dataplane = crate::model::Dataplane::Ambient;
    let Some(docs) = kustomize(&emit(&m).unwrap(), "prod") else {
        return;
    };
    let labels = |ns: &str| {
        let d = docs
            .iter()
            .find(|d| d["kind"] == "Namespace" && d["metadata"]["name"] == ns)
            .unwrap();
        d["metadata"]["labels"].clone()
    };
    let payments = labels("payments");
    assert_eq!(payments["istio.io/dataplane-mode"], "ambient");
    assert_eq!(payments["istio.io/use-waypoint"], "waypoint");
    // ledger-service's RabbitmqCluster runs here: baseline, with the reason on the object.
    assert_eq!(payments["pod-security.kubernetes.io/enforce"], "baseline");
    assert_eq!(payments["pod-security.kubernetes.io/warn"], "restricted");
    let ns = rendered_namespace(&docs, "payments");
    assert_eq!(
        ns["metadata"]["annotations"]["infrac.dev/pod-security-reason"],
        in_cluster::baseline_reason(&[crate::model::InfraType::Rabbitmq])
    );
    assert!(payments.get("istio-injection").is_none());
    assert!(labels("accounts").get("istio.io/use-waypoint").is_none());
    let waypoint = rendered(&docs, "Gateway", "payments", "waypoint");
    assert_eq!(waypoint["spec"]["gatewayClassName"], "istio-waypoint");
    assert!(!docs.iter().any(|d| d["kind"] == "Sidecar"));
}

fn rendered_namespace<'a>(docs: &'a [Value], name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == "Namespace" && d["metadata"]["name"] == name)
        .unwrap()
}

/// A namespace without operator pods enforces restricted and carries no reason.
#[test]
fn namespaces_without_operators_enforce_restricted() {
    let mut m = model();
    for env in &mut m.environments {
        for s in env.services.values_mut() {
            s.infra.clear();
        }
    }
    let Some(docs) = kustomize(&emit(&m).unwrap(), "prod") else {
        return;
    };
    for ns in ["accounts", "payments"] {
        let d = rendered_namespace(&docs, ns);
        assert_eq!(
            d["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
            "restricted"
        );
        assert_eq!(d["metadata"]["labels"]["istio-injection"], "enabled");
        assert!(d["metadata"].get("annotations").is_none());
    }
}

/// Issue 16 item 7: no Argo Rollouts object is emitted (the CI canary driver runs the
/// analysis), so no cluster needs the Argo Rollouts CRDs; the example and every fixture.
#[test]
fn no_argo_rollouts_objects() {
    let mut trees = vec![("fixture".to_owned(), files())];
    for (name, model) in real_platforms() {
        trees.push((name, emit(&model).expect("emit")));
    }
    for (name, tree) in trees {
        for f in tree {
            for kind in ["AnalysisTemplate", "AnalysisRun", "Rollout"] {
                assert!(
                    !f.contents.contains(&format!("kind: {kind}\n")),
                    "{name}: {} holds a {kind}",
                    f.path
                );
            }
        }
    }
}

/// The fixture with ledger-service's (blue-green) prod entry set to `version`.
fn ledger_at(version: crate::model::ImageVersion) -> crate::model::Model {
    let mut m = model();
    let prod = m
        .environments
        .iter_mut()
        .find(|e| e.name == "prod")
        .unwrap();
    prod.services.get_mut("ledger-service").unwrap().version = Some(version);
    m
}

fn bg(
    stable: &str,
    preview: Option<&str>,
    active: crate::model::Colour,
    previous: Option<&str>,
) -> crate::model::ImageVersion {
    crate::model::ImageVersion {
        stable: stable.into(),
        canary: None,
        preview: preview.map(Into::into),
        active,
        previous: previous.map(Into::into),
    }
}

/// The rendered objects of ledger-service in prod, by `kind/name`.
fn ledger_objects(docs: &[Value]) -> std::collections::BTreeMap<String, Value> {
    docs.iter()
        .filter(|d| {
            d["metadata"]["namespace"] == "payments"
                && d["metadata"]["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("ledger-service"))
                && ["Deployment", "Service", "HorizontalPodAutoscaler"]
                    .contains(&d["kind"].as_str().unwrap_or_default())
        })
        .map(|d| {
            let key = format!(
                "{}/{}",
                d["kind"].as_str().unwrap(),
                d["metadata"]["name"].as_str().unwrap()
            );
            (key, d.clone())
        })
        .collect()
}

/// Issue 16 item 5: blue-green switches by selector. Preview in green beside blue; the
/// promote points the active Service at green and keeps blue running the old tag (the
/// preview Service now reaches it) with every Deployment and HPA byte-identical, so the
/// switch moves no pod; the switch back is the same edit in reverse; once `previous` is
/// gone only green runs.
#[test]
fn blue_green_switches_by_selector() {
    use crate::model::Colour::{Blue, Green};
    let states = [
        ("preview", bg("v1.4.0", Some("v1.5.0"), Blue, None)),
        ("promoted", bg("v1.5.0", None, Green, Some("v1.4.0"))),
        ("switched back", bg("v1.4.0", None, Blue, None)),
        ("settled", bg("v1.5.0", None, Green, None)),
    ];
    let mut rendered_states = Vec::new();
    for (what, version) in states {
        let Some(docs) = kustomize(&emit(&ledger_at(version)).unwrap(), "prod") else {
            return;
        };
        rendered_states.push((what, ledger_objects(&docs)));
    }
    let selector = |objs: &std::collections::BTreeMap<String, Value>, name: &str| {
        objs.get(&format!("Service/{name}"))
            .map(|s| s["spec"]["selector"]["version"].clone())
    };
    let names =
        |objs: &std::collections::BTreeMap<String, Value>| objs.keys().cloned().collect::<Vec<_>>();
    let [(_, preview), (_, promoted), (_, back), (_, settled)] = &rendered_states[..] else {
        unreachable!()
    };
    let both = [
        "Deployment/ledger-service-blue",
        "Deployment/ledger-service-green",
        "HorizontalPodAutoscaler/ledger-service-blue",
        "HorizontalPodAutoscaler/ledger-service-green",
        "Service/ledger-service",
        "Service/ledger-service-preview",
    ];
    assert_eq!(names(preview), both);
    assert_eq!(selector(preview, "ledger-service"), Some(json!("blue")));
    assert_eq!(
        selector(preview, "ledger-service-preview"),
        Some(json!("green"))
    );
    let tag = |objs: &std::collections::BTreeMap<String, Value>, colour: &str| {
        objs[&format!("Deployment/ledger-service-{colour}")]["spec"]["template"]["spec"]
            ["containers"][0]["image"]
            .clone()
    };
    assert_eq!(
        tag(preview, "green"),
        "registry.example.com/shop/ledger-service:v1.5.0"
    );
    assert_eq!(names(promoted), both);
    assert_eq!(selector(promoted, "ledger-service"), Some(json!("green")));
    assert_eq!(
        selector(promoted, "ledger-service-preview"),
        Some(json!("blue"))
    );
    for key in &both[..4] {
        assert_eq!(
            preview[*key], promoted[*key],
            "{key} changed at the promote"
        );
    }
    assert_eq!(
        names(back),
        [
            "Deployment/ledger-service-blue",
            "HorizontalPodAutoscaler/ledger-service-blue",
            "Service/ledger-service"
        ]
    );
    assert_eq!(selector(back, "ledger-service"), Some(json!("blue")));
    assert_eq!(
        back["Deployment/ledger-service-blue"],
        promoted["Deployment/ledger-service-blue"]
    );
    assert_eq!(
        names(settled),
        [
            "Deployment/ledger-service-green",
            "HorizontalPodAutoscaler/ledger-service-green",
            "Service/ledger-service"
        ]
    );
    assert_eq!(
        settled["Deployment/ledger-service-green"],
        promoted["Deployment/ledger-service-green"]
    );
    let hpa = &promoted["HorizontalPodAutoscaler/ledger-service-blue"]["spec"];
    assert_eq!(hpa["scaleTargetRef"]["name"], "ledger-service-blue");
    assert_eq!(hpa["minReplicas"], 1);
}

/// The blue-green crosscheck fails the compile when the Services and Deployments disagree.
#[test]
fn blue_green_crosscheck_catches_disagreement() {
    use crate::model::Colour::Green;
    let m = ledger_at(bg("v1.5.0", None, Green, Some("v1.4.0")));
    let e = m.environment("prod").unwrap();
    let ctx = Ctx::new(&m, e, &e.services["ledger-service"]);
    let mut docs = base::base_objects("shop", ctx.service, Some(&ctx));
    docs.extend(overlay::overlay_resources(&ctx));
    let check = |docs: &[Value], stable: &str| {
        let all: Vec<&Value> = docs.iter().collect();
        crosscheck::check_blue_green("ledger-service", Some((stable, Green)), &all)
    };
    assert_eq!(check(&docs, "v1.5.0"), Ok(()));
    assert!(
        check(&docs, "v1.4.0").is_err(),
        "active colour runs another tag"
    );
    let at = |docs: &[Value], kind: &str, name: &str| {
        docs.iter()
            .position(|d| d["kind"] == kind && d["metadata"]["name"] == name)
            .unwrap()
    };
    /// A change of the objects, given the positions of the active Service, the blue
    /// Deployment and its HPA.
    type Mutation = fn(&mut Vec<Value>, usize, usize, usize);
    let mutations: [(&str, Mutation); 4] = [
        ("active Service selects every colour", |d, svc, _, _| {
            d[svc]["spec"]["selector"]
                .as_object_mut()
                .unwrap()
                .remove("version");
        }),
        ("a colour sets replicas", |d, _, blue, _| {
            d[blue]["spec"]["replicas"] = json!(3);
        }),
        ("a colour without its HPA", |d, _, _, hpa| {
            d.remove(hpa);
        }),
        (
            "the preview Service reaches the active colour",
            |d, _, _, _| {
                let i = d
                    .iter()
                    .position(|x| {
                        x["kind"] == "Service" && x["metadata"]["name"] == "ledger-service-preview"
                    })
                    .unwrap();
                d[i]["spec"]["selector"]["version"] = json!("green");
            },
        ),
    ];
    for (what, mutate) in mutations {
        let mut d = docs.clone();
        let svc = at(&d, "Service", "ledger-service");
        let blue = at(&d, "Deployment", "ledger-service-blue");
        let hpa = at(&d, "HorizontalPodAutoscaler", "ledger-service-blue");
        mutate(&mut d, svc, blue, hpa);
        assert!(check(&d, "v1.5.0").is_err(), "{what} not caught");
    }
}

/// An environment that overrides `rollout.strategy` to or from blue-green: the base
/// objects it lacks are deleted by patch, the ones it has beyond the base are added.
#[test]
fn strategy_override_reshapes_the_base() {
    use crate::model::Strategy;
    let mut m = model();
    let prod = m
        .environments
        .iter_mut()
        .find(|e| e.name == "prod")
        .unwrap();
    let pay = prod.services.get_mut("payment-service").unwrap();
    pay.rollout.strategy = Strategy::BlueGreen;
    pay.version.as_mut().unwrap().canary = None;
    let ledger = prod.services.get_mut("ledger-service").unwrap();
    ledger.rollout.strategy = Strategy::Rolling;
    ledger.version.as_mut().unwrap().preview = None;
    let Some(docs) = kustomize(&emit(&m).unwrap(), "prod") else {
        return;
    };
    let deployments: Vec<&str> = docs
        .iter()
        .filter(|d| d["kind"] == "Deployment" && d["metadata"]["namespace"] == "payments")
        .filter_map(|d| d["metadata"]["name"].as_str())
        .collect();
    assert_eq!(deployments, ["ledger-service", "payment-service-blue"]);
    let hpa = rendered(
        &docs,
        "HorizontalPodAutoscaler",
        "payments",
        "ledger-service",
    );
    assert_eq!(hpa["spec"]["scaleTargetRef"]["name"], "ledger-service");
    assert!(
        !docs.iter().any(|d| d["kind"] == "HorizontalPodAutoscaler"
            && d["metadata"]["name"] == "payment-service")
    );
}

/// The example platform with its images moved to a registry no cloud identity reaches and
/// `platform.imagePullSecret` set: loaded from files through the whole front end.
fn example_on_ghcr() -> crate::model::Model {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    for name in ["registry.yaml", "versions.yaml"] {
        std::fs::copy(repo.join(name), dir.path().join(name)).unwrap();
    }
    std::fs::create_dir(dir.path().join("environments")).unwrap();
    for env in ["dev", "staging", "prod"] {
        let name = format!("environments/{env}.yaml");
        std::fs::copy(repo.join(&name), dir.path().join(&name)).unwrap();
    }
    let registry = std::fs::read_to_string(dir.path().join("registry.yaml")).unwrap();
    let moved = registry.replacen(
        "  imageRegistry: paymentsacr.azurecr.io\n",
        "  imageRegistry: ghcr.io/acme\n  imagePullSecret: {path: registry/ghcr, key: dockerconfigjson}\n",
        1,
    );
    assert_ne!(moved, registry);
    std::fs::write(dir.path().join("registry.yaml"), moved).unwrap();
    match crate::pipeline::load_model(dir.path()) {
        Ok(m) => m,
        Err(f) => panic!("the example on ghcr does not load: {:?}", f.diagnostics),
    }
}

/// Issue 16 item 9: images in a registry the cluster cannot pull from by identity get
/// credentials from the secret store: a dockerconfigjson ExternalSecret per service, named
/// by its ServiceAccount; none where the cluster pulls by identity.
#[test]
fn pull_credentials_from_the_secret_store() {
    let m = example_on_ghcr();
    let Some(docs) = kustomize(&emit(&m).unwrap(), "prod") else {
        return;
    };
    let sa = rendered(&docs, "ServiceAccount", "accounts", "account-service");
    assert_eq!(
        sa["imagePullSecrets"],
        json!([{"name": "account-service-pull"}])
    );
    let es = rendered(&docs, "ExternalSecret", "accounts", "account-service-pull");
    let store = &m.environment("prod").unwrap().secret_store.name;
    assert_eq!(
        es["spec"],
        json!({
            "refreshInterval": "1h",
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": store},
            "target": {"name": "account-service-pull", "creationPolicy": "Owner",
                "template": {"type": "kubernetes.io/dockerconfigjson",
                    "data": {".dockerconfigjson": "{{ .dockerconfigjson | toString }}"}}},
            "data": [{"secretKey": "dockerconfigjson",
                      "remoteRef": {"key": "registry/ghcr", "property": "dockerconfigjson"}}],
        })
    );
    let service_accounts = docs.iter().filter(|d| d["kind"] == "ServiceAccount");
    for sa in service_accounts.filter(|sa| sa["metadata"]["namespace"] != "external-secrets") {
        let name = sa["metadata"]["name"].as_str().unwrap();
        assert_eq!(
            sa["imagePullSecrets"],
            json!([{"name": format!("{name}-pull")}]),
            "{name}"
        );
    }
    // Where the cluster pulls by identity (the example's own ACR on Azure), nothing changes.
    let Some(own) = kustomize(&emit(&real_platforms()[0].1).unwrap(), "prod") else {
        return;
    };
    assert!(!own.iter().any(|d| d.get("imagePullSecrets").is_some()));
    assert!(!own.iter().any(|d| {
        d["kind"] == "ExternalSecret"
            && d["metadata"]["name"]
                .as_str()
                .is_some_and(|n| n.ends_with("-pull"))
    }));
}

/// The pull-credential crosscheck fails the compile when the ServiceAccount and the
/// ExternalSecret disagree.
#[test]
fn pull_secret_crosscheck_catches_disagreement() {
    let mut m = model();
    m.platform.image_pull_secret = Some(crate::model::PullSecret {
        path: "registry/ghcr".into(),
        key: "dockerconfigjson".into(),
    });
    let e = m.environment("prod").unwrap();
    let ctx = Ctx::new(&m, e, &e.services["payment-service"]);
    let mut docs = base::base_objects("shop", ctx.service, Some(&ctx));
    docs.extend(overlay::overlay_resources(&ctx));
    let check = |docs: &[Value]| crosscheck::check_pull_secrets(&docs.iter().collect::<Vec<_>>());
    assert_eq!(check(&docs), Ok(()));
    let mut no_es = docs.clone();
    no_es.retain(|d| d["metadata"]["name"] != "payment-service-pull");
    assert!(check(&no_es).is_err(), "a pull Secret nothing writes");
    let mut no_ref = docs.clone();
    no_ref[0]
        .as_object_mut()
        .unwrap()
        .remove("imagePullSecrets");
    assert!(check(&no_ref).is_err(), "a pull Secret nobody uses");
}

/// Issue 16 item 6: the scaling crosscheck fails the compile when a canary Deployment keeps
/// a count of its own beside its HPA, or loses its HPA.
#[test]
fn scaling_crosscheck_catches_a_count_beside_the_hpa() {
    let m = model();
    let e = m.environment("prod").unwrap();
    let ctx = Ctx::new(&m, e, &e.services["payment-service"]);
    let mut docs = base::base_objects("shop", ctx.service, Some(&ctx));
    docs.extend(overlay::overlay_resources(&ctx));
    let check = |docs: &[Value]| crosscheck::check_scaling(&docs.iter().collect::<Vec<_>>());
    assert_eq!(check(&docs), Ok(()));
    let canary = docs
        .iter()
        .position(|d| {
            d["kind"] == "Deployment" && d["metadata"]["name"] == "payment-service-canary"
        })
        .unwrap();
    let mut counted = docs.clone();
    counted[canary]["spec"]["replicas"] = json!(1);
    assert!(check(&counted).is_err(), "a count beside the HPA");
    let mut unscaled = docs.clone();
    unscaled.retain(|d| {
        !(d["kind"] == "HorizontalPodAutoscaler"
            && d["metadata"]["name"] == "payment-service-canary")
    });
    assert!(check(&unscaled).is_err(), "a canary without its HPA");
}
