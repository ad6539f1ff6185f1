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
    // prod: replicas.min 5 at 10% → 1 canary pod; dev has no canary in progress.
    let prod = overlay_docs("prod", "payment-service");
    let canary = find(&prod, "Deployment", "payment-service-canary").unwrap();
    assert_eq!(canary["spec"]["replicas"], 1);
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
    let preview = find(&prod_ledger, "Deployment", "ledger-service-preview").unwrap();
    let image = &preview["spec"]["template"]["spec"]["containers"][0]["image"];
    assert_eq!(image, "registry.example.com/shop/ledger-service:v1.5.0");
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
    let pod = &base[2]["spec"]["template"]["spec"];
    assert_eq!(pod["automountServiceAccountToken"], false);
    let c = &pod["containers"][0];
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(c["securityContext"]["capabilities"]["drop"], json!(["ALL"]));
    assert_eq!(c["readinessProbe"], json!({"tcpSocket": {"port": "tcp"}}));
    assert!(
        base[2]["spec"].get("replicas").is_none(),
        "the HPA owns replicas"
    );
    assert_eq!(base[4]["spec"]["maxUnavailable"], 1);
}
