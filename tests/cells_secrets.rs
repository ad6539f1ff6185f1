//! The secret-store entries of cells (SPEC "Cells"): the cells of one environment may share
//! one store, so each cell's Terraform root writes its own resources' connection (and
//! identity) entries under names no other cell writes, and each cell's ExternalSecrets, as
//! its Kustomize aggregate builds them, read exactly those plus the environment root's
//! (`scope: environment`) ones. Checked for every store kind, on a celled prod scaffolded by
//! `infrac init --cells 2` with a cell-scoped database (with migrations), an
//! environment-scoped cache, and a service whose only resource is an environment-scoped
//! bucket (its identity and data access are each cell's).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

const CELLS: [&str; 2] = ["cell-1", "cell-2"];

fn infrac(dir: &Path, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_infrac"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "infrac {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A built celled platform on `cloud` whose prod uses `store` (a `secretStore:` flow map)
/// and whose `cell-2` is `cell2` (a flow map) when given.
fn platform(cloud: &str, store: Option<&str>, cell2: Option<&str>) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    infrac(tmp.path(), &["init", "p", "--cloud", cloud, "--cells", "2"]);
    let root = tmp.path().join("p");
    let registry = root.join("registry.yaml");
    let text = std::fs::read_to_string(&registry).unwrap();
    let db = "      db: {type: postgres, version: \"16\"}\n";
    assert!(text.contains(db), "the scaffold's api has a database");
    let text = text.replace(
        db,
        &format!(
            "{db}      cache: {{type: redis, version: \"7.2\", scope: environment}}\n    migrations: {{tool: flyway, command: [/app/migrate]}}\n"
        ),
    );
    // web's only backing resource is shared: it still runs (with its identity) in each cell.
    let expose = "    expose: {host: www.example.com, path: /, gateway: istio-ingress/public}\n";
    assert!(text.contains(expose), "the scaffold's web is exposed");
    let text = text.replace(
        expose,
        &format!("{expose}    infra:\n      assets: {{type: bucket, scope: environment}}\n"),
    );
    std::fs::write(&registry, text).unwrap();
    let prod = root.join("environments/prod.yaml");
    let mut text = std::fs::read_to_string(&prod).unwrap();
    for (start, with) in [("secretStore:", store), ("  cell-2:", cell2)] {
        let Some(with) = with else { continue };
        let line = text
            .lines()
            .find(|l| l.starts_with(start))
            .unwrap()
            .to_owned();
        text = text.replace(&line, &format!("{start} {with}"));
    }
    std::fs::write(&prod, text).unwrap();
    infrac(&root, &["build"]);
    tmp
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The literal values of `key = "..."` lines in `text` that start with one of `prefixes`.
fn literals(text: &str, keys: &[&str], prefixes: &[&str]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let Some((key, value)) = line.trim().split_once('=') else {
            continue;
        };
        let value = value.trim();
        if !keys.contains(&key.trim()) || !value.starts_with('"') || !value.ends_with('"') {
            continue;
        }
        let value = &value[1..value.len() - 1];
        if prefixes.iter().any(|p| value.starts_with(p)) {
            out.insert(value.to_owned());
        }
    }
    out
}

/// The store entries a root writes (`secret_name` of its locals).
fn written(main: &str) -> BTreeSet<String> {
    literals(main, &["secret_name"], &["p-"])
}

fn docs(text: &str) -> Vec<Value> {
    let values: Vec<Value> = serde_saphyr::from_multiple(text).unwrap();
    values.into_iter().filter(|v| !v.is_null()).collect()
}

/// Applies the `replace` operations of a JSON 6902 patch (all the cell patches use).
fn apply(doc: &mut Value, ops: &[Value]) {
    for op in ops {
        assert_eq!(op["op"], "replace", "{op}");
        let name = doc["metadata"]["name"].clone();
        let target = doc
            .pointer_mut(op["path"].as_str().unwrap())
            .unwrap_or_else(|| panic!("no {} in {name}", op["path"]));
        *target = op["value"].clone();
    }
}

/// The `remoteRef.key`s of every ExternalSecret the cell's aggregate builds, by
/// `<namespace>/<name>` of the ExternalSecret: the overlays it lists, with its patches.
fn cell_reads(golden: &Path, cell: &str) -> BTreeMap<String, BTreeSet<String>> {
    let dir = golden.join(format!("kubernetes/environments/prod/cells/{cell}"));
    let kustomization: Value =
        serde_saphyr::from_str(&read(&dir.join("kustomization.yaml"))).unwrap();
    let mut secrets = Vec::new();
    for resource in kustomization["resources"].as_array().unwrap() {
        let resource = resource.as_str().unwrap();
        if !resource.starts_with("../") {
            continue;
        }
        let overlay = dir.join(resource);
        secrets.extend(
            docs(&read(&overlay.join("resources.yaml")))
                .into_iter()
                .filter(|d| d["kind"] == "ExternalSecret"),
        );
    }
    for patch in kustomization["patches"].as_array().into_iter().flatten() {
        let target = &patch["target"];
        assert_eq!(target["kind"], "ExternalSecret", "{patch}");
        let ops: Vec<Value> = serde_saphyr::from_str(patch["patch"].as_str().unwrap()).unwrap();
        let doc = secrets
            .iter_mut()
            .find(|d| {
                d["metadata"]["name"] == target["name"]
                    && d["metadata"]["namespace"] == target["namespace"]
            })
            .unwrap_or_else(|| panic!("{cell}: the patch of {target} finds no ExternalSecret"));
        apply(doc, &ops);
    }
    let mut out = BTreeMap::new();
    for doc in secrets {
        let id = format!(
            "{}/{}",
            doc["metadata"]["namespace"].as_str().unwrap(),
            doc["metadata"]["name"].as_str().unwrap()
        );
        let keys = doc["spec"]["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["remoteRef"]["key"].as_str().unwrap().to_owned())
            .filter(|k| k.starts_with("p-"))
            .collect();
        out.insert(id, keys);
    }
    out
}

/// `cell2`: an override of cell-2 moving it to a secret store of its own (another store,
/// or another region of a regional one), where it keeps copies of the shared entries.
/// `terraform fmt -check` over the roots under `dir`, where terraform is installed (on CI,
/// where the `CI` variable is `true`, it must be).
fn fmt_clean(what: &str, dir: &Path) {
    let out = Command::new("terraform")
        .args(["fmt", "-check", "-recursive", "-no-color"])
        .arg(dir)
        .output();
    match out {
        Ok(out) => assert!(
            out.status.success(),
            "{what}: not terraform fmt canonical: {}",
            String::from_utf8_lossy(&out.stdout)
        ),
        Err(e) => assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "terraform is not installed on CI: {e}"
        ),
    }
}

fn check(cloud: &str, store: Option<&str>, cell2: Option<&str>) {
    let what = format!(
        "{cloud} with {}{}",
        store.unwrap_or("its own store"),
        cell2.map(|c| format!(", cell-2 {c}")).unwrap_or_default()
    );
    let tmp = platform(cloud, store, cell2);
    let golden = tmp.path().join("p/golden");
    let tf = golden.join("terraform/environments/prod");
    fmt_clean(&what, &tf);
    let shared = written(&read(&tf.join("main.tf")));
    assert!(
        !shared.is_empty(),
        "{what}: the environment root writes the cache's entry"
    );
    let mut by_cell: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    // Entries, Vault mounts, roles and policies: one cell's never another's.
    let mut named: BTreeMap<String, &str> = BTreeMap::new();
    for cell in CELLS {
        let main = read(&tf.join(format!("cells/{cell}/main.tf")));
        let own = written(&main);
        assert!(
            !own.is_empty(),
            "{what}: {cell} writes its database's entry"
        );
        for name in &own {
            assert!(name.contains(cell), "{what}: {cell} writes `{name}`");
            assert!(
                name.len() <= 127,
                "{what}: `{name}` is longer than Key Vault allows"
            );
        }
        assert!(
            own.is_disjoint(&shared),
            "{what}: {cell} rewrites an environment entry"
        );
        let names = literals(
            &main,
            &["secret_name", "path", "role_name", "role", "policy", "name"],
            &["p-", "kubernetes-p-"],
        );
        for name in names
            .into_iter()
            .filter(|n| own.contains(n) || n.starts_with("kubernetes-") || n.ends_with("-policy"))
        {
            if let Some(other) = named.insert(name.clone(), cell) {
                panic!("{what}: `{name}` is written by {other} and by {cell}");
            }
        }
        // The shared bucket's owner gets data access on it from the cell.
        let grant = match cloud {
            "aws" => "resource \"aws_iam_role_policy\" \"shared_bucket\"",
            "azure" => "resource \"azurerm_role_assignment\" \"shared_bucket_data\"",
            _ => "resource \"google_storage_bucket_iam_member\" \"shared_bucket\"",
        };
        assert!(main.contains(grant), "{what}: {cell} has no `{grant}`");
        assert!(
            main.contains("  shared_buckets = {\n    web-assets = {\n      service = \"web\""),
            "{what}: {cell} does not grant web its shared bucket"
        );
        // A cell in another region has no generated network path to the shared cache.
        let moved = cell == "cell-2" && cell2.is_some_and(|c| c.contains("region"));
        assert_eq!(
            main.contains("# Hand step: this cell's own network has no path to the shared redis api-cache in the network of terraform/environments/prod"),
            moved,
            "{what}: {cell}'s network hand step"
        );
        by_cell.insert(cell, own);
    }
    for cell in CELLS {
        let reads = cell_reads(&golden, cell);
        let own = &by_cell[cell];
        let mut read_any = BTreeSet::new();
        for (secret, keys) in &reads {
            for key in keys {
                assert!(
                    own.contains(key) || shared.contains(key),
                    "{what}: {cell}'s ExternalSecret {secret} reads `{key}`, which neither {cell} nor the environment writes"
                );
            }
            read_any.extend(keys.iter().cloned());
        }
        assert!(
            own.is_subset(&read_any),
            "{what}: {cell} writes {own:?} but its ExternalSecrets read {read_any:?}"
        );
        if cell == "cell-2" && cell2.is_some() {
            // Its own copies of the shared entries, under its names.
            assert!(
                shared.is_disjoint(&read_any),
                "{what}: {cell} reads the environment's {shared:?} from a store without them"
            );
        } else {
            assert!(
                shared.is_subset(&read_any),
                "{what}: {cell} does not read the environment's {shared:?}"
            );
        }
        // The migration hook reads the cell's database too.
        let hook = reads
            .get("backend/api-migrations")
            .unwrap_or_else(|| panic!("{what}: no migration ExternalSecret in {cell}"));
        assert!(
            !hook.is_empty() && hook.is_subset(own),
            "{what}: {cell}'s migration reads {hook:?}"
        );
    }
}

const VAULT: &str = "{type: vault, name: p-vault, address: \"https://vault.example.com:8200\"}";
const INFISICAL: &str = "{type: infisical, name: p-infisical, address: \"https://app.infisical.com\", projectSlug: p, environmentSlug: prod}";

#[test]
fn cells_sharing_a_secret_store_write_and_read_their_own_entries() {
    check("gcp", None, None);
    check("aws", None, None);
    check("azure", None, None);
}

#[test]
fn cells_sharing_vault_or_infisical_write_and_read_their_own_entries() {
    check("aws", Some(VAULT), None);
    check("gcp", Some(INFISICAL), None);
}

#[test]
fn a_cell_with_a_store_of_its_own_keeps_copies_of_the_shared_entries() {
    // Secrets Manager is regional: a cell in another region reads another store.
    check(
        "aws",
        None,
        Some(
            "{cloud: {region: us-east-1}, cluster: {name: p-prod-2}, network: {cidr: 10.40.0.0/16}}",
        ),
    );
    check(
        "azure",
        None,
        Some(
            "{cluster: {name: p-prod-2}, secretStore: {type: azure-key-vault, name: p-prod-2-kv}}",
        ),
    );
    check(
        "gcp",
        Some(VAULT),
        Some(&format!(
            "{{cluster: {{name: p-prod-2}}, secretStore: {}}}",
            VAULT.replace("p-vault", "p-vault-2")
        )),
    );
}
