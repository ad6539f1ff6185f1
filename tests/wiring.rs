//! The seam between the Terraform and Kubernetes targets, followed link by link for every
//! (cloud × resource type × secret store): a platform whose one service owns every backing
//! resource type is compiled per pairing, and each resource is traced from the registry to
//! the pod's environment variable:
//!
//! - managed: the Terraform secret name (`locals.<kind>[key].secret_name`) is the
//!   ExternalSecret's `remoteRef.key`, the document Terraform writes has every property the
//!   ExternalSecret reads, and the ExternalSecret's key is the one the container's
//!   `secretKeyRef` reads;
//! - in cluster: no Terraform secret, no ExternalSecret entry, and the variable still set;
//! - the ServiceAccount the pods run as is the one Terraform binds the identity to (EKS Pod
//!   Identity association, Azure federated credential + client id through the store, GKE
//!   principal), and the ClusterSecretStore the ExternalSecret names exists where the model
//!   holds everything it needs.
//!
//! Any broken link fails with the pairing and the link.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use hcl::{Block, Body, Expression};
use infrac::artifact::{FileSet, Target};
use serde_json::Value;

const TYPES: [(&str, &str); 9] = [
    ("db", "{type: postgres, version: \"16\"}"),
    ("my", "{type: mysql}"),
    ("sql", "{type: sqlserver}"),
    ("docs", "{type: mongodb}"),
    ("cache", "{type: redis}"),
    ("events", "{type: kafka, topics: [order-placed]}"),
    ("queue", "{type: rabbitmq, exchanges: [orders]}"),
    ("search", "{type: elasticsearch}"),
    ("files", "{type: bucket}"),
];

fn registry_at(store: &str, image_registry: &str) -> String {
    let infra: String = TYPES
        .iter()
        .map(|(name, spec)| format!("      {name}: {spec}\n"))
        .collect();
    format!(
        r#"apiVersion: infrac.dev/v1
kind: Registry
platform:
  name: shop
  imageRegistry: {image_registry}
  gitops: {{repository: github.com/shop/gitops, branch: main}}
  ci: [github]
defaults:
  replicas: {{min: 1, max: 2, targetCPU: 70}}
  resources: {{requests: {{cpu: 250m, memory: 256Mi}}, limits: {{cpu: "1", memory: 1Gi}}}}
  rollout: {{strategy: rolling, maxSurge: 25%, maxUnavailable: 0}}
services:
  orders:
    team: orders
    namespace: orders
    image: shop/orders
    build: {{language: go, context: services/orders}}
    ports: [{{name: http, port: 8080}}]
    healthCheck:
      readiness: {{path: /ready, port: http}}
    secrets:
      API_TOKEN: {{store: {store}, path: /billing, key: API_TOKEN}}
    infra:
{infra}"#
    )
}

fn environment(cloud: &str, region: &str, store: &str, backend: &str) -> String {
    let address = match store {
        // A mount other than Vault's default, so every place that names it is seen to agree.
        "vault" => ", address: \"https://vault.example.com:8200\", mount: kv-shop",
        "infisical" => {
            ", address: \"https://infisical.example.com\", projectSlug: shop-a1b2, environmentSlug: development"
        }
        "gcp-secret-manager" => ", project: shop-secrets",
        _ => "",
    };
    format!(
        r#"apiVersion: infrac.dev/v1
kind: Environment
cloud: {{provider: {cloud}, region: {region}}}
cluster:
  name: shop-dev
  version: "1.31"
  nodePools:
    default: {{vmSize: standard, min: 1, max: 3}}
terraform:
  backend: {backend}
secretStore: {{type: {store}, name: shopdevstore{address}}}
network: {{cidr: 10.10.0.0/16}}
namespaceSuffix: "-dev"
imageTags: branch-sha-timestamp
"#
    )
}

fn compile(cloud: &str, store: &str) -> FileSet {
    compile_with(cloud, store, "registry.example.com/shop", &["dev"])
}

/// `cloud` with `store`, the platform's images in `image_registry`, and environments `envs`
/// (each promoting from the one before).
fn compile_with(cloud: &str, store: &str, image_registry: &str, envs: &[&str]) -> FileSet {
    let dir = tempfile::tempdir().unwrap();
    let root = compile_dir(cloud, store, image_registry, envs, dir.path());
    emit(&root, &format!("{cloud} × {store}"))
}

/// Writes the inputs of [`compile_with`] under `dir`; returns the project root.
fn compile_dir(
    cloud: &str,
    store: &str,
    image_registry: &str,
    envs: &[&str],
    dir: &Path,
) -> std::path::PathBuf {
    let (region, backend) = match cloud {
        "aws" => (
            "eu-west-1",
            "{type: s3, config: {bucket: shop-tfstate, key: dev.tfstate, region: eu-west-1}}",
        ),
        "azure" => (
            "westeurope",
            "{type: azurerm, config: {resource_group_name: tf, storage_account_name: tf, container_name: tf, key: dev.tfstate}}",
        ),
        _ => (
            "europe-west1",
            "{type: gcs, config: {bucket: shop-tfstate, prefix: dev}}",
        ),
    };
    let root = dir;
    std::fs::create_dir(root.join("environments")).unwrap();
    std::fs::write(
        root.join("registry.yaml"),
        registry_at(store, image_registry),
    )
    .unwrap();
    let mut versions = String::from("apiVersion: infrac.dev/v1\nkind: Versions\nenvironments:\n");
    for (i, name) in envs.iter().enumerate() {
        let mut text = environment(cloud, region, store, backend)
            .replace("shop-dev", &format!("shop-{name}"))
            .replace("shopdevstore", &format!("shop{name}store"))
            .replace("\"-dev\"", &format!("\"-{name}\""));
        if i > 0 {
            text.push_str(&format!("promotion: {{from: {}}}\n", envs[i - 1]));
            text = text.replace("imageTags: branch-sha-timestamp", "imageTags: any");
        }
        std::fs::write(root.join(format!("environments/{name}.yaml")), text).unwrap();
        versions.push_str(&format!(
            "  {name}:\n    orders: main-a1b2c3d-20251101120000\n"
        ));
    }
    std::fs::write(root.join("versions.yaml"), versions).unwrap();
    root.to_path_buf()
}

fn emit(root: &Path, what: &str) -> FileSet {
    let frontend = infrac::pipeline::run_frontend(root);
    let Some(model) = frontend.model.as_ref() else {
        panic!(
            "{what} does not validate:\n{}",
            infrac::diagnostic::render::text(&frontend.diagnostics, &frontend.sources, false)
        )
    };
    let templates = infrac::templates::Templates::builtin().unwrap();
    let ctx = infrac::backend::EmitCtx::new(&frontend.project, &templates);
    infrac::backend::emit(model, &Target::ALL, &ctx).unwrap()
}

fn yaml_docs(files: &FileSet, path: &str) -> Vec<Value> {
    let Some(file) = files.get(path) else {
        return vec![];
    };
    serde_saphyr::from_multiple(&file.contents).unwrap()
}

fn doc<'a>(docs: &'a [Value], kind: &str) -> Option<&'a Value> {
    docs.iter().find(|d| d["kind"] == kind)
}

/// Applies the overlay's JSON patches of `kind` to the base object (add, replace, remove).
fn patched(base: &Value, kustomization: &Value, kind: &str) -> Value {
    let mut out = base.clone();
    for p in kustomization["patches"].as_array().into_iter().flatten() {
        if p["target"]["kind"] != kind {
            continue;
        }
        let ops: Vec<Value> = serde_saphyr::from_str(p["patch"].as_str().unwrap()).unwrap();
        for op in ops {
            let path: Vec<String> = op["path"]
                .as_str()
                .unwrap()
                .split('/')
                .skip(1)
                .map(|s| s.replace("~1", "/").replace("~0", "~"))
                .collect();
            let (last, parents) = path.split_last().unwrap();
            let mut at = &mut out;
            for seg in parents {
                at = match at {
                    Value::Array(a) => &mut a[seg.parse::<usize>().unwrap()],
                    other => &mut other[seg.as_str()],
                };
            }
            match (op["op"].as_str().unwrap(), at) {
                ("remove", Value::Array(a)) => {
                    a.remove(last.parse::<usize>().unwrap());
                }
                ("remove", Value::Object(m)) => {
                    m.remove(last);
                }
                ("add", Value::Array(a)) if last == "-" => a.push(op["value"].clone()),
                ("add", Value::Array(a)) => a.insert(last.parse().unwrap(), op["value"].clone()),
                ("replace", Value::Array(a)) => {
                    a[last.parse::<usize>().unwrap()] = op["value"].clone()
                }
                (_, Value::Object(m)) => {
                    m.insert(last.clone(), op["value"].clone());
                }
                (op, _) => panic!("cannot apply {op} at {path:?}"),
            }
        }
    }
    out
}

fn blocks<'a>(body: &'a Body, ty: &str) -> impl Iterator<Item = &'a Block> {
    body.blocks().filter(move |b| b.identifier.as_str() == ty)
}

fn attr<'a>(block: &'a Block, name: &str) -> Option<&'a Expression> {
    block
        .body
        .attributes()
        .find(|a| a.key.as_str() == name)
        .map(|a| &a.expr)
}

fn object_keys(expr: &Expression) -> BTreeMap<String, &Expression> {
    let Expression::Object(o) = expr else {
        panic!("not an object: {expr:?}")
    };
    o.iter()
        .map(|(k, v)| {
            let key = match k {
                hcl::ObjectKey::Identifier(i) => i.to_string(),
                hcl::ObjectKey::Expression(Expression::String(s)) => s.clone(),
                other => format!("{other:?}"),
            };
            (key, v)
        })
        .collect()
}

fn string(expr: &Expression) -> String {
    match expr {
        Expression::String(s) => s.clone(),
        other => panic!("not a string: {other:?}"),
    }
}

/// The properties of `jsonencode({...})`.
fn jsonencode_keys(expr: &Expression) -> BTreeSet<String> {
    let Expression::FuncCall(call) = expr else {
        panic!("not jsonencode: {expr:?}")
    };
    object_keys(&call.args[0]).into_keys().collect()
}

fn text(expr: &Expression) -> String {
    hcl::format::to_string(expr).unwrap()
}

/// [`text`] without whitespace, for lists and objects.
fn compact(expr: &Expression) -> String {
    text(expr).split_whitespace().collect()
}

struct Seen {
    pairing: String,
    problems: Vec<String>,
}

impl Seen {
    fn check(&mut self, ok: bool, link: impl FnOnce() -> String) {
        if !ok {
            self.problems.push(format!("{}: {}", self.pairing, link()));
        }
    }
}

fn follow(cloud: &str, store: &str, seen: &mut Seen) {
    let files = compile(cloud, store);
    let main = files
        .get("terraform/environments/dev/main.tf")
        .expect("main.tf");
    let body: Body = hcl::from_str(&main.contents).unwrap();
    let locals: Vec<&Block> = body
        .blocks()
        .filter(|b| b.identifier.as_str() == "locals")
        .collect();
    let local = |name: &str| locals.iter().find_map(|b| attr(b, name));
    let resources = blocks(&body, "resource").collect::<Vec<_>>();

    let base = yaml_docs(&files, "kubernetes/orders/base/resources.yaml");
    let kustomization = yaml_docs(&files, "kubernetes/orders/overlays/dev/kustomization.yaml")
        .pop()
        .expect("overlay kustomization");
    let overlay = yaml_docs(&files, "kubernetes/orders/overlays/dev/resources.yaml");
    let deployment = patched(
        doc(&base, "Deployment").unwrap(),
        &kustomization,
        "Deployment",
    );
    let sa = patched(
        doc(&base, "ServiceAccount").unwrap(),
        &kustomization,
        "ServiceAccount",
    );
    let namespace = kustomization["namespace"].as_str().unwrap().to_owned();
    let es = doc(&overlay, "ExternalSecret").expect("ExternalSecret");
    let target = es["spec"]["target"]["name"].as_str().unwrap();
    let remote: BTreeMap<&str, &Value> = es["spec"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["secretKey"].as_str().unwrap(), &d["remoteRef"]))
        .collect();
    let pod_env: BTreeMap<&str, &Value> =
        deployment["spec"]["template"]["spec"]["containers"][0]["env"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["name"].as_str().unwrap(), &e["valueFrom"]))
            .collect();

    // Every variable the pod reads from the ExternalSecret's Secret is one it writes.
    for (name, from) in &pod_env {
        let r = &from["secretKeyRef"];
        if r["name"] == target {
            let key = r["key"].as_str().unwrap();
            seen.check(remote.contains_key(key), || {
                format!("pod env {name} reads `{key}`, which the ExternalSecret does not write")
            });
        }
    }
    // The registry secret `{path: /billing, key: API_TOKEN}`.
    let want = if store == "infisical" {
        serde_json::json!({"key": "/billing/API_TOKEN"})
    } else {
        serde_json::json!({"key": "/billing", "property": "API_TOKEN"})
    };
    seen.check(remote.get("API_TOKEN") == Some(&&want), || {
        format!(
            "API_TOKEN is read as {:?}, not {want}",
            remote.get("API_TOKEN")
        )
    });

    for (entry, spec) in TYPES {
        let kind = spec
            .trim_start_matches("{type: ")
            .split([',', '}'])
            .next()
            .unwrap();
        let key = format!("orders-{entry}");
        let tf_entry = local(kind)
            .map(object_keys)
            .and_then(|m| m.get(&key).map(|v| object_keys(v)));
        let var = format!("{}_", entry.to_ascii_uppercase());
        let vars: Vec<&&str> = pod_env.keys().filter(|k| k.starts_with(&var)).collect();
        seen.check(!vars.is_empty(), || {
            format!("{kind} `{entry}`: no env var in the pod")
        });
        let Some(tf_entry) = tf_entry else {
            // In cluster: nothing of it may go through the store.
            seen.check(!remote.keys().any(|k| k.starts_with(&var)), || {
                format!("{kind} `{entry}` runs in the cluster but the ExternalSecret reads it")
            });
            continue;
        };
        let secret_name = string(tf_entry["secret_name"]);
        let write = resources.iter().find(|b| {
            b.labels[1].as_str() == kind
                && ["value", "secret_string", "secret_data", "data_json"]
                    .iter()
                    .any(|a| attr(b, a).is_some())
        });
        let Some(write) = write else {
            seen.check(false, || {
                format!("{kind}: Terraform writes no connection secret")
            });
            continue;
        };
        let document = ["value", "secret_string", "secret_data", "data_json"]
            .iter()
            .find_map(|a| attr(write, a))
            .map(jsonencode_keys)
            .unwrap();
        for v in vars {
            let Some(r) = remote.get(*v) else {
                seen.check(false, || {
                    format!("{kind} `{entry}`: {v} is not in the ExternalSecret")
                });
                continue;
            };
            seen.check(r["key"] == secret_name.as_str(), || {
                format!("{v} reads `{}`, Terraform writes `{secret_name}`", r["key"])
            });
            let property = r["property"].as_str().unwrap_or_default();
            seen.check(document.contains(property), || {
                format!("{v} reads property `{property}`, absent from what Terraform writes {document:?}")
            });
        }
    }

    // The ServiceAccount the pods run as is the one the identity is bound to.
    let services = object_keys(local("services").expect("locals.services"));
    let owner = object_keys(services["orders"]);
    seen.check(string(owner["namespace"]) == namespace, || {
        format!(
            "Terraform binds namespace {:?}, pods run in {namespace}",
            owner["namespace"]
        )
    });
    seen.check(
        sa["metadata"]["name"] == "orders"
            && deployment["spec"]["template"]["spec"]["serviceAccountName"] == "orders",
        || "the pods do not run as ServiceAccount orders".to_owned(),
    );
    let find = |ty: &str, label: &str| {
        resources
            .iter()
            .find(|b| b.labels[0].as_str() == ty && b.labels[1].as_str() == label)
    };
    match cloud {
        "aws" => {
            let assoc = find("aws_eks_pod_identity_association", "service");
            seen.check(
                assoc.is_some_and(|b| {
                    attr(b, "service_account").map(text) == Some("each.key".into())
                        && attr(b, "namespace").map(text) == Some("each.value.namespace".into())
                }),
                || "no EKS Pod Identity association for the service's ServiceAccount".into(),
            );
        }
        "azure" => {
            let fic = find("azurerm_federated_identity_credential", "service");
            seen.check(
                fic.and_then(|b| attr(b, "subject"))
                    .map(text)
                    .is_some_and(|t| {
                        t.contains("system:serviceaccount:%s:%s")
                            && t.contains("each.value.namespace")
                            && t.contains("each.key")
                    }),
                || "the federated credential does not name the service's ServiceAccount".into(),
            );
            let labels = &deployment["spec"]["template"]["metadata"]["labels"];
            seen.check(labels["azure.workload.identity/use"] == "true", || {
                "the pod lacks azure.workload.identity/use".into()
            });
            let id_secret = owner.get("secret_name").map(|e| string(e));
            let r = remote.get("AZURE_CLIENT_ID");
            seen.check(
                id_secret.is_some()
                    && r.is_some_and(|r| {
                        r["key"] == id_secret.clone().unwrap().as_str()
                            && r["property"] == "client_id"
                    }),
                || format!("AZURE_CLIENT_ID is read as {r:?}, Terraform writes {id_secret:?}"),
            );
            seen.check(find_write(&resources, "identity"), || {
                "Terraform does not write the identity's client id".into()
            });
            seen.check(pod_env.contains_key("AZURE_CLIENT_ID"), || {
                "the pod does not read AZURE_CLIENT_ID".into()
            });
        }
        _ => {
            // The services' grants (the controller's is checked with its store).
            let principal = resources
                .iter()
                .filter(|b| b.labels[1].as_str() != "secret_operator")
                .filter_map(|b| attr(b, "member"))
                .map(text)
                .collect::<Vec<_>>();
            seen.check(
                !principal.is_empty()
                    && principal.iter().all(|t| {
                        t.contains("subject/ns/%s/sa/%s") && t.contains("each.value.service")
                    }),
                || format!("GCP grants do not name the ServiceAccount: {principal:?}"),
            );
        }
    }

    // The store the ExternalSecret names.
    let store_name = es["spec"]["secretStoreRef"]["name"].as_str().unwrap();
    let stores = yaml_docs(&files, "kubernetes/environments/dev/secret-store.yaml");
    let complete = matches!(
        (cloud, store),
        ("aws", "aws-secrets-manager")
            | ("azure", "azure-key-vault")
            | ("gcp", "gcp-secret-manager")
            | (_, "vault")
            | (_, "infisical")
    );
    if complete {
        let css = doc(&stores, "ClusterSecretStore");
        seen.check(
            css.is_some_and(|c| c["metadata"]["name"] == store_name),
            || format!("no ClusterSecretStore {store_name}"),
        );
        let env_k = yaml_docs(&files, "kubernetes/environments/dev/kustomization.yaml");
        seen.check(
            env_k[0]["resources"]
                .as_array()
                .is_some_and(|r| r.iter().any(|x| x == "secret-store.yaml")),
            || "the environment does not apply its ClusterSecretStore".into(),
        );
    }
    if store == "vault" {
        let policy = find("vault_policy", "service").is_some();
        let role = find("vault_kubernetes_auth_backend_role", "service").is_some();
        seen.check(policy && role, || {
            "no Vault policy and role per service".into()
        });
        let services = object_keys(local("vault_services").expect("locals.vault_services"));
        let doc = text(services["orders"]);
        for (_, name) in locals.iter().flat_map(|b| locals_secret_names(b)) {
            seen.check(doc.contains(&name), || {
                format!("orders' Vault policy misses {name}")
            });
        }
        seen.check(doc.contains("\"billing\""), || {
            "orders' Vault policy misses billing (without its leading /)".into()
        });
        // One mount, `secretStore.mount`: the store's path, every write, every policy.
        let css = doc_of(&stores, "ClusterSecretStore");
        seen.check(
            css["spec"]["provider"]["vault"]["path"] == "kv-shop",
            || {
                format!(
                    "the ClusterSecretStore reads mount {}",
                    css["spec"]["provider"]["vault"]["path"]
                )
            },
        );
        for b in resources
            .iter()
            .filter(|b| b.labels[0].as_str() == "vault_kv_secret_v2")
        {
            let mount = attr(b, "mount").map(text);
            seen.check(mount.as_deref() == Some("\"kv-shop\""), || {
                format!(
                    "vault_kv_secret_v2.{} writes to mount {mount:?}",
                    b.labels[1].as_str()
                )
            });
        }
        seen.check(
            doc.contains("\"kv-shop\"") && !doc.contains("var.vault_mount"),
            || format!("orders' Vault policy does not name mount kv-shop: {doc}"),
        );
        let vars = files
            .get("terraform/environments/dev/variables.tf")
            .map(|f| f.contents.clone())
            .unwrap_or_default();
        seen.check(!vars.contains("vault_mount"), || {
            "a vault_mount variable could still disagree with the ClusterSecretStore".into()
        });
    }
    if store == "infisical" {
        let css = doc_of(&stores, "ClusterSecretStore");
        let p = &css["spec"]["provider"]["infisical"];
        seen.check(
            p["secretsScope"]["projectSlug"] == "shop-a1b2"
                && p["secretsScope"]["environmentSlug"] == "development"
                && p["hostAPI"] == "https://infisical.example.com",
            || format!("the Infisical store's scope is {p}"),
        );
        let id_ref = &p["auth"]["kubernetesAuthCredentials"]["identityId"];
        seen.check(
            id_ref["namespace"] == "external-secrets" && id_ref["key"] == "identityId",
            || format!("the controller's identity id is read from {id_ref}"),
        );
        // The writes use the store's project and environment.
        for b in resources
            .iter()
            .filter(|b| b.labels[0].as_str() == "infisical_secret")
        {
            seen.check(
                attr(b, "env_slug").map(text).as_deref() == Some("\"development\"")
                    && attr(b, "workspace_id").map(text).as_deref()
                        == Some("data.infisical_projects.store.id"),
                || {
                    format!(
                        "infisical_secret.{} is not written in the store's scope",
                        b.labels[1].as_str()
                    )
                },
            );
        }
        let project = blocks(&body, "data").find(|b| b.labels[0].as_str() == "infisical_projects");
        seen.check(
            project.and_then(|b| attr(b, "slug")).map(text).as_deref() == Some("\"shop-a1b2\""),
            || "Terraform does not look the project up by its slug".into(),
        );
        // A machine identity per service, logging in as its own ServiceAccount and reading
        // only its own entries.
        let services = object_keys(local("infisical_services").expect("locals.infisical_services"));
        let orders = text(services["orders"]);
        for (_, name) in locals.iter().flat_map(|b| locals_secret_names(b)) {
            seen.check(orders.contains(&format!("\"{name}\"")), || {
                format!("orders' Infisical identity cannot read {name}")
            });
        }
        seen.check(
            orders.contains("\"/billing\"") && orders.contains("\"API_TOKEN\""),
            || format!("orders' Infisical identity cannot read /billing/API_TOKEN: {orders}"),
        );
        let k8s = find("infisical_identity_kubernetes_auth", "service");
        seen.check(
            k8s.is_some_and(|b| {
                attr(b, "allowed_service_account_names").map(compact) == Some("[each.key]".into())
                    && attr(b, "allowed_namespaces").map(compact)
                        == Some("[each.value.namespace]".into())
            }),
            || "the service identity is not bound to the service's ServiceAccount".into(),
        );
        for label in ["service", "secret_operator"] {
            for ty in [
                "infisical_identity",
                "infisical_project_identity",
                "infisical_project_identity_specific_privilege",
            ] {
                seen.check(find(ty, label).is_some(), || format!("no {ty}.{label}"));
            }
        }
        let outputs = files
            .get("terraform/environments/dev/outputs.tf")
            .map(|f| f.contents.clone())
            .unwrap_or_default();
        seen.check(
            outputs.contains("output \"secret_operator_identity_id\""),
            || "no output names the controller's identity id (the hand step)".into(),
        );
    }
    if store == "gcp-secret-manager" {
        let css = doc_of(&stores, "ClusterSecretStore");
        seen.check(
            css["spec"]["provider"]["gcpsm"]["projectID"] == "shop-secrets",
            || {
                format!(
                    "the GCP store reads project {}",
                    css["spec"]["provider"]["gcpsm"]
                )
            },
        );
        for b in resources
            .iter()
            .filter(|b| b.labels[0].as_str() == "google_secret_manager_secret")
        {
            seen.check(
                attr(b, "project").map(text).as_deref() == Some("\"shop-secrets\""),
                || {
                    format!(
                        "google_secret_manager_secret.{} is written outside the store's project",
                        b.labels[1].as_str()
                    )
                },
            );
        }
        let grant = find("google_secret_manager_secret_iam_member", "secret_operator");
        seen.check(
            grant
                .and_then(|b| attr(b, "member"))
                .map(text)
                .is_some_and(|t| {
                    t.contains("\"external-secrets\"") && t.contains("subject/ns/%s/sa/%s")
                }),
            || "the controller's ServiceAccount is not granted the store's secrets".into(),
        );
        let granted = grant
            .and_then(|b| attr(b, "for_each"))
            .map(text)
            .unwrap_or_default();
        for (_, name) in locals.iter().flat_map(|b| locals_secret_names(b)) {
            seen.check(granted.contains(&format!("\"{name}\"")), || {
                format!("the controller may not read {name}")
            });
        }
        seen.check(granted.contains("\"billing\""), || {
            format!("the controller may not read billing: {granted}")
        });
    }
}

fn doc_of(docs: &[Value], kind: &str) -> Value {
    doc(docs, kind).cloned().unwrap_or(Value::Null)
}

fn find_write(resources: &[&Block], label: &str) -> bool {
    resources.iter().any(|b| {
        b.labels[1].as_str() == label
            && ["value", "secret_string", "secret_data", "data_json"]
                .iter()
                .any(|a| attr(b, a).is_some())
    })
}

/// Every `secret_name` of a managed resource in `locals`, by kind.
fn locals_secret_names(locals: &Block) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for a in locals.body.attributes() {
        if a.key.as_str() == "services" || a.key.as_str() == "vault_services" {
            continue;
        }
        let Expression::Object(o) = &a.expr else {
            continue;
        };
        for v in o.values() {
            if let Expression::Object(_) = v
                && let Some(n) = object_keys(v).get("secret_name")
            {
                out.push((a.key.to_string(), string(n)));
            }
        }
    }
    out
}

#[test]
fn every_resource_reaches_the_pod_on_every_cloud_and_store() {
    let pairings = [
        ("aws", "aws-secrets-manager"),
        ("aws", "vault"),
        ("aws", "infisical"),
        ("azure", "azure-key-vault"),
        ("azure", "vault"),
        ("azure", "infisical"),
        ("gcp", "gcp-secret-manager"),
        ("gcp", "vault"),
        ("gcp", "infisical"),
    ];
    let mut problems = Vec::new();
    for (cloud, store) in pairings {
        let mut seen = Seen {
            pairing: format!("{cloud} × {store}"),
            problems: vec![],
        };
        follow(cloud, store, &mut seen);
        problems.extend(seen.problems);
    }
    assert!(
        problems.is_empty(),
        "broken links:\n{}",
        problems.join("\n")
    );
}

/// The body of `terraform/environments/<env>/<file>`.
fn tf(files: &FileSet, env: &str, file: &str) -> Body {
    let path = format!("terraform/environments/{env}/{file}");
    hcl::from_str(&files.get(&path).expect(&path).contents).unwrap()
}

fn has(body: &Body, kind: &str, ty: &str, label: &str) -> Option<Block> {
    blocks(body, kind)
        .find(|b| b.labels[0].as_str() == ty && b.labels.get(1).map(|l| l.as_str()) == Some(label))
        .cloned()
}

/// A cloud's registry is created once, by the first environment in promotion order, with
/// CI's push right for the root variable `ci_principal` (declared there and listed in the
/// root's header); every cluster gets its pull right; a registry of another kind is left
/// alone.
#[test]
fn registries_are_created_once_with_push_for_ci_and_pull_for_every_cluster() {
    let cases = [
        (
            "aws",
            "aws-secrets-manager",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
            ("aws_ecr_repository", "images"),
            ("aws_iam_role_policy", "ci_push"),
            // The node role's AmazonEC2ContainerRegistryReadOnly covers the account.
            None,
        ),
        (
            "azure",
            "azure-key-vault",
            "shopacr.azurecr.io",
            ("azurerm_container_registry", "images"),
            ("azurerm_role_assignment", "image_push"),
            Some(("azurerm_role_assignment", "image_pull")),
        ),
        (
            "gcp",
            "gcp-secret-manager",
            "europe-west1-docker.pkg.dev/shop-images/images",
            ("google_artifact_registry_repository", "images"),
            (
                "google_artifact_registry_repository_iam_member",
                "image_push",
            ),
            Some((
                "google_artifact_registry_repository_iam_member",
                "image_pull",
            )),
        ),
    ];
    let mut problems = Vec::new();
    for (cloud, store, image_registry, create, push, pull) in cases {
        let files = compile_with(cloud, store, image_registry, &["dev", "prod"]);
        let mut check = |ok: bool, what: String| {
            if !ok {
                problems.push(format!("{cloud}: {what}"));
            }
        };
        let (dev, prod) = (tf(&files, "dev", "main.tf"), tf(&files, "prod", "main.tf"));
        check(
            has(&dev, "resource", create.0, create.1).is_some(),
            format!("dev does not create {}.{}", create.0, create.1),
        );
        check(
            has(&prod, "resource", create.0, create.1).is_none(),
            format!("prod creates {}.{} a second time", create.0, create.1),
        );
        let push_block = has(&dev, "resource", push.0, push.1);
        let principal = push_block
            .as_ref()
            .and_then(|b| {
                ["member", "principal_id", "role"]
                    .iter()
                    .find_map(|a| attr(b, a))
            })
            .map(text);
        check(
            principal.as_deref() == Some("var.ci_principal"),
            format!("CI's push right {}.{} names {principal:?}", push.0, push.1),
        );
        check(
            has(&prod, "resource", push.0, push.1).is_none(),
            "prod grants CI's push a second time".into(),
        );
        let dev_vars = tf(&files, "dev", "variables.tf");
        let declared =
            blocks(&dev_vars, "variable").any(|b| b.labels[0].as_str() == "ci_principal");
        check(
            declared,
            "dev does not declare variable ci_principal".into(),
        );
        let header = &files
            .get("terraform/environments/dev/main.tf")
            .unwrap()
            .contents;
        check(
            header
                .lines()
                .any(|l| l.starts_with("# Root variables CI passes") && l.contains("ci_principal")),
            "the dev root's header does not list ci_principal".into(),
        );
        if let Some((ty, label)) = pull {
            for (env, body) in [("dev", &dev), ("prod", &prod)] {
                check(
                    has(body, "resource", ty, label).is_some(),
                    format!("{env}'s cluster has no pull right {ty}.{label}"),
                );
            }
        }
        // A registry infrac does not know is neither created nor granted.
        let other = compile_with(cloud, store, "registry.example.com/shop", &["dev"]);
        let body = tf(&other, "dev", "main.tf");
        check(
            has(&body, "resource", create.0, create.1).is_none()
                && has(&body, "resource", push.0, push.1).is_none(),
            "a registry.example.com registry is provisioned".into(),
        );
    }
    assert!(problems.is_empty(), "registries:\n{}", problems.join("\n"));
}

/// Every root that provisions a cluster installs Istio with the CNI node agent (the service
/// namespaces enforce Pod Security `restricted`, which refuses `istio-init`); ambient adds
/// ztunnel. The Helm provider reaches the cluster the root creates.
#[test]
fn every_cluster_gets_istio_with_the_cni_node_agent() {
    let mut problems = Vec::new();
    for cloud in ["aws", "azure", "gcp"] {
        for dataplane in ["sidecar", "ambient"] {
            let files = compile_mesh(cloud, dataplane);
            let what = format!("{cloud} × {dataplane}");
            let main = tf(&files, "dev", "main.tf");
            let release = |label: &str| has(&main, "resource", "helm_release", label);
            let chart = |label: &str| {
                release(label)
                    .and_then(|b| attr(&b, "chart").map(text))
                    .unwrap_or_default()
            };
            let mut check = |ok: bool, link: String| {
                if !ok {
                    problems.push(format!("{what}: {link}"));
                }
            };
            check(
                chart("istio_cni") == "\"cni\"",
                "no istio/cni release".into(),
            );
            let istiod = release("istiod")
                .and_then(|b| attr(&b, "values").map(compact))
                .unwrap_or_default();
            let depends = release("istiod")
                .and_then(|b| attr(&b, "depends_on").map(compact))
                .unwrap_or_default();
            check(
                depends.contains("helm_release.istio_cni"),
                format!("istiod does not wait for the CNI agent: {depends}"),
            );
            if dataplane == "sidecar" {
                check(
                    istiod.contains("pilot={cni={enabled=true}}"),
                    format!("istiod does not use the CNI agent: {istiod}"),
                );
                check(
                    release("ztunnel").is_none(),
                    "ztunnel without ambient".into(),
                );
            } else {
                check(
                    istiod.contains("profile=\"ambient\""),
                    format!("istiod is not ambient: {istiod}"),
                );
                let cni = release("istio_cni")
                    .and_then(|b| attr(&b, "values").map(compact))
                    .unwrap_or_default();
                check(
                    cni.contains("profile=\"ambient\""),
                    format!("istio-cni is not ambient: {cni}"),
                );
                check(
                    chart("ztunnel") == "\"ztunnel\"",
                    "no ztunnel release".into(),
                );
            }
            let providers = tf(&files, "dev", "providers.tf");
            let helm = blocks(&providers, "provider").find(|b| b.labels[0].as_str() == "helm");
            let host = helm
                .and_then(|b| {
                    b.body
                        .blocks()
                        .find(|k| k.identifier.as_str() == "kubernetes")
                })
                .and_then(|k| attr(k, "host").map(text));
            check(
                host.as_deref() == Some("module.cluster.endpoint"),
                format!("the helm provider reaches {host:?}, not the root's cluster"),
            );
            let versions = &files
                .get("terraform/environments/dev/versions.tf")
                .unwrap()
                .contents;
            check(
                versions.contains("hashicorp/helm"),
                "versions.tf does not pin the helm provider".into(),
            );
        }
    }
    assert!(problems.is_empty(), "mesh:\n{}", problems.join("\n"));
}

fn compile_mesh(cloud: &str, dataplane: &str) -> FileSet {
    let store = match cloud {
        "aws" => "aws-secrets-manager",
        "azure" => "azure-key-vault",
        _ => "gcp-secret-manager",
    };
    let dir = tempfile::tempdir().unwrap();
    let source = compile_dir(
        cloud,
        store,
        "registry.example.com/shop",
        &["dev"],
        dir.path(),
    );
    let registry = std::fs::read_to_string(source.join("registry.yaml")).unwrap();
    let registry = registry.replace(
        "  ci: [github]\n",
        &format!("  ci: [github]\n  mesh: {{dataplane: {dataplane}}}\n"),
    );
    std::fs::write(source.join("registry.yaml"), registry).unwrap();
    emit(&source, &format!("{cloud} × {dataplane}"))
}

/// Providers the local mirror does not hold; their blocks are taken out of the copy that is
/// validated, and references to their resources become stub variables.
const UNMIRRORED: [&str; 6] = ["random", "tls", "helm", "vault", "infisical", "kubernetes"];

/// The local filesystem mirror with the aws provider (as the conformance check uses it):
/// `CONFORMANCE_TF_PLUGIN_MIRROR`, else `/opt/tf-plugins`.
fn aws_mirror() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("CONFORMANCE_TF_PLUGIN_MIRROR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "/opt/tf-plugins".into());
    dir.join("registry.terraform.io/hashicorp/aws")
        .is_dir()
        .then_some(dir)
}

/// `text` without the blocks of [`UNMIRRORED`] providers, and the addresses of the resources
/// it dropped.
fn strip_unmirrored(text: &str) -> (String, Vec<String>) {
    let unmirrored = |ty: &str| UNMIRRORED.iter().any(|p| ty.starts_with(&format!("{p}_")));
    let body: Body = hcl::from_str(text).unwrap();
    let mut dropped: Vec<String> = Vec::new();
    let mut kept = Body::builder();
    for structure in body.into_iter() {
        let hcl::Structure::Block(block) = structure else {
            kept = kept.add_structure(structure);
            continue;
        };
        let id = block.identifier.as_str();
        let first = block.labels.first().map(|l| l.as_str().to_owned());
        match (id, first.as_deref()) {
            ("provider", Some(p)) if UNMIRRORED.contains(&p) => continue,
            ("resource", Some(ty)) if unmirrored(ty) => {
                dropped.push(format!("{ty}.{}", block.labels[1].as_str()));
                continue;
            }
            ("data", Some(ty)) if unmirrored(ty) => {
                dropped.push(format!("data.{ty}.{}", block.labels[1].as_str()));
                continue;
            }
            ("terraform", _) => {
                let mut b = hcl::Block::builder("terraform");
                for s in block.body.into_iter() {
                    match s {
                        hcl::Structure::Block(rp)
                            if rp.identifier.as_str() == "required_providers" =>
                        {
                            let mut keep = hcl::Block::builder("required_providers");
                            for a in rp.body.attributes() {
                                if !UNMIRRORED.contains(&a.key.as_str()) {
                                    keep = keep.add_attribute(a.clone());
                                }
                            }
                            b = b.add_block(keep.build());
                        }
                        other => b = b.add_structure(other),
                    }
                }
                kept = kept.add_block(b.build());
            }
            _ => kept = kept.add_block(block),
        }
    }
    (hcl::to_string(&kept.build()).unwrap(), dropped)
}

/// `text` with every reference to a `dropped` address replaced by `var.stub_<prefix>_<n>`
/// (declared at the end, with a default).
fn stub_references(mut out: String, dropped: &[String], prefix: &str) -> String {
    let mut stubs = 0;
    for reference in dropped {
        while let Some(at) = out.find(reference.as_str()) {
            // The whole traversal: `.attr`, `[index]`.
            let bytes = out.as_bytes();
            let mut end = at + reference.len();
            let mut depth = 0;
            while end < bytes.len() {
                let c = bytes[end] as char;
                match c {
                    '[' => depth += 1,
                    ']' if depth > 0 => depth -= 1,
                    _ if depth > 0 => {}
                    c if c.is_ascii_alphanumeric() || c == '_' || c == '.' => {}
                    _ => break,
                }
                end += 1;
            }
            stubs += 1;
            out.replace_range(at..end, &format!("var.stub_{prefix}_{stubs}"));
        }
    }
    for n in 1..=stubs {
        out.push_str(&format!(
            "\nvariable \"stub_{prefix}_{n}\" {{\n  default = \"stub\"\n}}\n"
        ));
    }
    out
}

/// `terraform init -backend=false` and `terraform validate` in `dir` with the mirror only.
fn terraform_validate(dir: &Path, mirror: &Path, scratch: &Path) -> Result<(), String> {
    let rc = scratch.join("terraformrc");
    std::fs::write(
        &rc,
        format!(
            "disable_checkpoint = true\nprovider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n  }}\n}}\n",
            mirror.display()
        ),
    )
    .unwrap();
    let data = scratch.join(dir.file_name().unwrap());
    let run = |args: &[&str]| {
        std::process::Command::new("terraform")
            .args(args)
            .current_dir(dir)
            .env("TF_CLI_CONFIG_FILE", &rc)
            .env("TF_DATA_DIR", &data)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .output()
    };
    for args in [
        &["init", "-backend=false", "-input=false", "-no-color"][..],
        &["validate", "-no-color"][..],
    ] {
        let out = run(args).map_err(|e| format!("terraform cannot run: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "terraform {}:\n{}{}",
                args[0],
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    Ok(())
}

/// The AWS environment roots (and the modules they call) pass `terraform validate` against
/// the aws provider of the local mirror the conformance check uses: the aws-shop fixture and
/// one root holding every resource type with each store. What the mirror does not hold
/// (random, tls, helm, vault, infisical) is taken out of the validated copy; the messaging
/// roots (Mongey/kafka, cyrilgdn/rabbitmq only) are not validated. Skipped without terraform
/// or the mirror, except that under `CI` a missing terraform fails.
#[test]
fn aws_roots_pass_terraform_validate_with_the_mirrored_provider() {
    let has_terraform = std::process::Command::new("terraform")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_terraform {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but terraform cannot run: install terraform"
        );
        eprintln!("skipped: no terraform");
        return;
    }
    let Some(mirror) = aws_mirror() else {
        eprintln!("skipped: no filesystem mirror with hashicorp/aws");
        return;
    };
    let mut trees: Vec<(String, Vec<(String, String)>)> = Vec::new();
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid/aws-shop/golden");
    let mut files = Vec::new();
    for entry in walk(&fixture.join("terraform")) {
        let rel = entry
            .strip_prefix(&fixture)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        files.push((rel, std::fs::read_to_string(&entry).unwrap()));
    }
    trees.push(("aws-shop".into(), files));
    for store in ["aws-secrets-manager", "vault", "infisical"] {
        let set = compile_with(
            "aws",
            store,
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
            &["dev"],
        );
        let files = set
            .iter()
            .filter(|f| f.path.starts_with("terraform/"))
            .map(|f| (f.path.clone(), f.contents.clone()))
            .collect();
        trees.push((format!("every type × {store}"), files));
    }
    let mut problems = Vec::new();
    let mut validated = Vec::new();
    for (name, files) in trees {
        let dir = tempfile::tempdir().unwrap();
        let scratch = tempfile::tempdir().unwrap();
        // Strip every file, then stub the references of each module directory.
        let mut stripped: Vec<(String, String)> = Vec::new();
        let mut dropped: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (path, text) in &files {
            let parent = path.rsplit_once('/').map_or("", |(d, _)| d).to_owned();
            if path.ends_with(".tf") {
                let (text, gone) = strip_unmirrored(text);
                dropped.entry(parent).or_default().extend(gone);
                stripped.push((path.clone(), text));
            } else {
                stripped.push((path.clone(), text.clone()));
            }
        }
        for (path, text) in stripped {
            let (parent, file) = path.rsplit_once('/').unwrap_or(("", &path));
            let text = match dropped.get(parent) {
                Some(gone) if path.ends_with(".tf") => {
                    stub_references(text, gone, file.trim_end_matches(".tf"))
                }
                _ => text,
            };
            let to = dir.path().join(&path);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::write(to, text).unwrap();
        }
        let envs = dir.path().join("terraform/environments");
        let mut roots: Vec<_> = std::fs::read_dir(&envs)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| !p.to_string_lossy().ends_with("-messaging"))
            .collect();
        roots.sort();
        for root in roots {
            let label = format!("{name}: {}", root.file_name().unwrap().to_string_lossy());
            match terraform_validate(&root, &mirror, scratch.path()) {
                Ok(()) => validated.push(label),
                Err(e) => problems.push(format!("{label}: {e}")),
            }
        }
    }
    eprintln!("validated: {}", validated.join(", "));
    assert!(
        problems.is_empty(),
        "terraform validate:\n{}",
        problems.join("\n")
    );
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}
