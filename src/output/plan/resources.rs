//! Resource identities inside generated files, and which resources a file change adds,
//! changes or removes.
//!
//! * Kubernetes YAML (multi-document): `Kind namespace/name` (`Kind name` when the file leaves
//!   the namespace to Kustomize; `Kind` alone for a nameless Kustomization).
//! * Terraform: the address (`azurerm_key_vault.this`, `module.postgres`, `data.x.y`,
//!   `output.x`, `variable.x`, `local.x`, `provider.azurerm`, `terraform`).
//! * CI: `workflow <file> job <id>` (GitHub `jobs:`, GitLab top-level jobs, Azure stages/jobs,
//!   Jenkins `stage('…')`), plus `workflow <file>` for the file-level settings.
//!
//! Parsing only: the file kind comes from the file-set path; nothing here reads the disk.

use std::sync::LazyLock;

use indexmap::IndexMap;
use regex::Regex;
use serde::Serialize;
use serde_json::{Map, Value};

use super::fields::{FieldChange, diff_fields};

/// What happens to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceAction {
    Add,
    Change,
    Remove,
}

/// One resource that a file change touches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceChange {
    pub action: ResourceAction,
    /// `Deployment payments/payment-service`, `module.postgres`, `workflow ci.yml job build`.
    pub id: String,
    /// The fields that differ (changed resources only).
    pub fields: Vec<FieldChange>,
}

/// The resources of one file, in file order, with unique identities.
type Resources = IndexMap<String, Value>;

/// Parses a file's resources by its file-set path. `Err` carries the parser's message.
pub fn extract(logical_path: &str, text: &str) -> Result<Resources, String> {
    let file = logical_path.rsplit('/').next().unwrap_or(logical_path);
    let mut out = Resources::new();
    if logical_path.starts_with("ci/jenkins/") || file.starts_with("Jenkinsfile") {
        jenkins(file, text, &mut out);
    } else if logical_path.ends_with(".tf") {
        terraform(text, &mut out)?;
    } else if !(file.ends_with(".yaml") || file.ends_with(".yml")) {
        return Ok(out);
    } else if logical_path.starts_with("ci/") {
        let doc: Value =
            serde_saphyr::from_str_with_options(text, yaml_options()).map_err(|e| e.to_string())?;
        ci_yaml(logical_path, file, doc, &mut out);
    } else {
        let docs: Vec<Value> = serde_saphyr::from_multiple_with_options(text, yaml_options())
            .map_err(|e| e.to_string())?;
        for doc in docs.into_iter().filter(Value::is_object) {
            push(&mut out, kubernetes_id(&doc), doc);
        }
    }
    Ok(out)
}

/// YAML 1.2 reading, as Kubernetes tools read what the emitter writes: `n` and `on` stay
/// strings, `0755` and `1_000` too.
pub(super) fn yaml_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        strict_booleans: true,
        leading_zero_numbers_as_strings: true,
        underscored_numbers_as_strings: true,
    }
}

/// Adds a resource, suffixing `#2`, `#3`… when the identity is already taken.
fn push(out: &mut Resources, id: String, body: Value) {
    if !out.contains_key(&id) {
        out.insert(id, body);
        return;
    }
    let free = (2..)
        .map(|n| format!("{id} #{n}"))
        .find(|c| !out.contains_key(c));
    if let Some(unique) = free {
        out.insert(unique, body);
    }
}

fn kubernetes_id(doc: &Value) -> String {
    let kind = doc
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("Document");
    let meta = doc.get("metadata");
    let name = meta.and_then(|m| m.get("name")).and_then(Value::as_str);
    let namespace = meta
        .and_then(|m| m.get("namespace"))
        .and_then(Value::as_str);
    match (namespace, name) {
        (Some(ns), Some(name)) => format!("{kind} {ns}/{name}"),
        (None, Some(name)) => format!("{kind} {name}"),
        _ => kind.to_owned(),
    }
}

fn terraform(text: &str, out: &mut Resources) -> Result<(), String> {
    let body = hcl::parse(text).map_err(|e| e.to_string())?;
    for structure in body.into_inner() {
        match structure {
            hcl::Structure::Attribute(attr) => {
                let value = serde_json::to_value(&attr.expr).unwrap_or(Value::Null);
                push(out, attr.key.to_string(), value);
            }
            hcl::Structure::Block(block) => terraform_block(block, out),
        }
    }
    Ok(())
}

fn terraform_block(block: hcl::Block, out: &mut Resources) {
    let ident = block.identifier.to_string();
    let labels: Vec<&str> = block.labels.iter().map(hcl::BlockLabel::as_str).collect();
    let id = match (ident.as_str(), labels.as_slice()) {
        ("resource", [kind, name]) => format!("{kind}.{name}"),
        ("locals", []) => {
            for attr in block.body.attributes() {
                let value = serde_json::to_value(&attr.expr).unwrap_or(Value::Null);
                push(out, format!("local.{}", attr.key), value);
            }
            return;
        }
        (_, []) => ident,
        _ => format!("{ident}.{}", labels.join(".")),
    };
    let value = hcl::from_body::<Value>(block.body).unwrap_or(Value::Null);
    push(out, id, value);
}

fn ci_yaml(logical_path: &str, file: &str, doc: Value, out: &mut Resources) {
    let Value::Object(mut top) = doc else {
        return;
    };
    let prefix = format!("workflow {file}");
    if logical_path.starts_with("ci/gitlab/") {
        let (settings, jobs): (Map<String, Value>, Map<String, Value>) = top
            .into_iter()
            .partition(|(k, _)| GITLAB_KEYWORDS.contains(&k.as_str()));
        push(out, prefix.clone(), Value::Object(settings));
        for (id, job) in jobs {
            push(out, format!("{prefix} job {id}"), job);
        }
        return;
    }
    let jobs = top.remove("jobs");
    let stages = top.remove("stages");
    push(out, prefix.clone(), Value::Object(top));
    match jobs {
        Some(Value::Object(jobs)) => {
            for (id, job) in jobs {
                push(out, format!("{prefix} job {id}"), job);
            }
        }
        Some(Value::Array(items)) => {
            for item in &items {
                azure_job_or_stage(&prefix, item, out);
            }
        }
        _ => {}
    }
    for item in list(stages.as_ref()) {
        azure_job_or_stage(&prefix, item, out);
    }
}

fn list(value: Option<&Value>) -> &[Value] {
    value
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// An Azure Pipelines `stages:` item (or a top-level `jobs:` list item).
fn azure_job_or_stage(prefix: &str, item: &Value, out: &mut Resources) {
    let name = |key: &str| item.get(key).and_then(Value::as_str).map(str::to_owned);
    if let Some(stage) = name("stage") {
        let mut body = item.clone();
        let jobs = body.as_object_mut().and_then(|m| m.remove("jobs"));
        let stage_id = format!("{prefix} stage {stage}");
        push(out, stage_id.clone(), body);
        for job in list(jobs.as_ref()) {
            azure_job_or_stage(&stage_id, job, out);
        }
    } else if let Some(job) = name("job").or_else(|| name("deployment")) {
        push(out, format!("{prefix} job {job}"), item.clone());
    } else if let Some(template) = name("template") {
        push(out, format!("{prefix} template {template}"), item.clone());
    }
}

/// GitLab top-level keys that are settings, not jobs.
const GITLAB_KEYWORDS: [&str; 10] = [
    "stages",
    "variables",
    "default",
    "include",
    "workflow",
    "image",
    "services",
    "before_script",
    "after_script",
    "cache",
];

static JENKINS_STAGE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"stage\s*\(\s*['"]([^'"]+)['"]\s*\)"#).expect("a valid regex"));

/// Jenkins stages by `stage('…')`; each body is the text up to the next stage.
fn jenkins(file: &str, text: &str, out: &mut Resources) {
    let found: Vec<_> = JENKINS_STAGE.captures_iter(text).collect();
    for (i, caps) in found.iter().enumerate() {
        let (Some(whole), Some(name)) = (caps.get(0), caps.get(1)) else {
            continue;
        };
        let end = found
            .get(i + 1)
            .and_then(|c| c.get(0))
            .map_or(text.len(), |m| m.start());
        let body = Value::String(text[whole.start()..end].to_owned());
        push(
            out,
            format!("workflow {file} stage {}", name.as_str()),
            body,
        );
    }
}

/// The resource-level changes between two versions of a file (either side may be empty).
pub fn diff_resources(old: &Resources, new: &Resources) -> Vec<ResourceChange> {
    let mut out = Vec::new();
    for (id, nv) in new {
        match old.get(id) {
            None => out.push(resource(ResourceAction::Add, id, Vec::new())),
            Some(ov) if ov != nv => {
                let fields = match (ov, nv) {
                    (Value::String(_), Value::String(_)) => Vec::new(),
                    _ => diff_fields(ov, nv),
                };
                out.push(resource(ResourceAction::Change, id, fields));
            }
            Some(_) => {}
        }
    }
    for id in old.keys().filter(|id| !new.contains_key(*id)) {
        out.push(resource(ResourceAction::Remove, id, Vec::new()));
    }
    out
}

fn resource(action: ResourceAction, id: &str, fields: Vec<FieldChange>) -> ResourceChange {
    ResourceChange {
        action,
        id: id.to_owned(),
        fields,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(path: &str, text: &str) -> Vec<String> {
        extract(path, text).unwrap().keys().cloned().collect()
    }

    #[test]
    fn kubernetes_ids() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: ns}\n---\nkind: Service\nmetadata: {name: a}\n---\nkind: Kustomization\n";
        let got = ids("kubernetes/a/base/x.yaml", text);
        assert_eq!(got, ["Deployment ns/a", "Service a", "Kustomization"]);
    }

    #[test]
    fn terraform_addresses() {
        let text = r#"
module "postgres" {
  source = "../../modules/postgres"
  sku    = var.sku
}
resource "azurerm_resource_group" "this" { name = "rg" }
data "azurerm_client_config" "current" {}
variable "sku" { type = string }
output "id" { value = module.postgres.id }
locals { a = 1 }
terraform { required_version = ">= 1.6" }
"#;
        let got = ids("terraform/environments/prod/main.tf", text);
        assert_eq!(
            got,
            [
                "module.postgres",
                "azurerm_resource_group.this",
                "data.azurerm_client_config.current",
                "variable.sku",
                "output.id",
                "local.a",
                "terraform"
            ]
        );
        let body = &extract("terraform/x.tf", text).unwrap()["module.postgres"];
        assert_eq!(body["source"], "../../modules/postgres");
    }

    #[test]
    fn ci_ids() {
        let gh = "name: build\non: push\njobs:\n  build: {runs-on: ubuntu-latest}\n  scan: {runs-on: x}\n";
        let got = ids("ci/github/build.yml", gh);
        assert_eq!(
            got,
            [
                "workflow build.yml",
                "workflow build.yml job build",
                "workflow build.yml job scan"
            ]
        );
        let gl = "stages: [build]\nbuild-a:\n  stage: build\n  script: [make]\n";
        let got = ids("ci/gitlab/.gitlab-ci.yml", gl);
        assert_eq!(
            got,
            [
                "workflow .gitlab-ci.yml",
                "workflow .gitlab-ci.yml job build-a"
            ]
        );
        let az =
            "trigger: none\nstages:\n- stage: Build\n  jobs:\n  - job: Compile\n    steps: []\n";
        let got = ids("ci/azure-pipelines/a.yml", az);
        assert_eq!(
            got,
            [
                "workflow a.yml",
                "workflow a.yml stage Build",
                "workflow a.yml stage Build job Compile"
            ]
        );
        let jf = "pipeline {\n stages {\n  stage('Build') { steps { sh 'make' } }\n  stage(\"Push\") {}\n }\n}\n";
        let got = ids("ci/jenkins/Jenkinsfile.a", jf);
        assert_eq!(
            got,
            [
                "workflow Jenkinsfile.a stage Build",
                "workflow Jenkinsfile.a stage Push"
            ]
        );
    }

    #[test]
    fn resource_diff_reports_fields() {
        let old = extract("kubernetes/x.yaml", "kind: Deployment\nmetadata: {name: a, namespace: n}\nspec: {replicas: 3}\n---\nkind: Service\nmetadata: {name: s}\n").unwrap();
        let new = extract("kubernetes/x.yaml", "kind: Deployment\nmetadata: {name: a, namespace: n}\nspec: {replicas: 10}\n---\nkind: ConfigMap\nmetadata: {name: c}\n").unwrap();
        let changes = diff_resources(&old, &new);
        let summary: Vec<_> = changes.iter().map(|c| (c.action, c.id.as_str())).collect();
        assert_eq!(
            summary,
            [
                (ResourceAction::Change, "Deployment n/a"),
                (ResourceAction::Add, "ConfigMap c"),
                (ResourceAction::Remove, "Service s")
            ]
        );
        assert_eq!(changes[0].fields[0].describe(), "spec.replicas: 3 → 10");
    }

    #[test]
    fn broken_files_are_errors_not_panics() {
        assert!(extract("kubernetes/x.yaml", "a: [").is_err());
        assert!(extract("terraform/x.tf", "resource {").is_err());
        assert!(
            extract("kubernetes/readme.md", "anything")
                .unwrap()
                .is_empty()
        );
    }
}
