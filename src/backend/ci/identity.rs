//! How the plan reads a CI file back: every path under `ci/` is this back end's (no file of
//! it belongs to one environment), and each pipeline's identities are `workflow <file> job
//! <id>` (GitHub `jobs:`, GitLab top-level jobs, Azure stages and jobs, Jenkins
//! `stage('…')`), plus `workflow <file>` for the file-level settings.
//!
//! The paths are the ones each system's module builds: `ci/github/`, `ci/gitlab/`,
//! `ci/azure-pipelines/` and `ci/jenkins/` (an `[output]` move maps them back to these).

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value};

use crate::backend::{Resources, push_resource, yaml_read_options};

/// `Some(None)` for a path under `ci/`; `None` otherwise.
pub fn claim(logical_path: &str) -> Option<Option<String>> {
    logical_path.strip_prefix("ci/").map(|_| None)
}

/// The service a pipeline file is generated for, as the CI back ends name them:
/// `build-<service>.yml` (GitHub Actions, Azure Pipelines), `Jenkinsfile.build-<service>`
/// (Jenkins). GitLab's one file and the shared pipelines (promotion, canary, check,
/// Terraform, Azure's `build-template.yml`, GitHub's `reusable-build.yml`) are no service's.
pub fn service_of(logical_path: &str) -> Option<&str> {
    let rest = logical_path.strip_prefix("ci/")?;
    let (dir, file) = rest.rsplit_once('/')?;
    match dir {
        "jenkins" => file.strip_prefix("Jenkinsfile.build-"),
        "azure-pipelines" if file == "build-template.yml" => None,
        "github" | "azure-pipelines" => file.strip_prefix("build-")?.strip_suffix(".yml"),
        _ => None,
    }
}

/// The pipeline's workflow, stages and jobs by identity; files of no known kind have none.
pub fn resources(logical_path: &str, text: &str) -> Result<Resources, String> {
    let file = logical_path.rsplit('/').next().unwrap_or(logical_path);
    let mut out = Resources::new();
    if logical_path.starts_with("ci/jenkins/") || file.starts_with("Jenkinsfile") {
        jenkins(file, text, &mut out);
    } else if file.ends_with(".yaml") || file.ends_with(".yml") {
        let doc: Value = serde_saphyr::from_str_with_options(text, yaml_read_options())
            .map_err(|e| e.to_string())?;
        let gitlab = logical_path.starts_with("ci/gitlab/");
        yaml_pipeline(gitlab, file, doc, &mut out);
    }
    Ok(out)
}

fn yaml_pipeline(gitlab: bool, file: &str, doc: Value, out: &mut Resources) {
    let Value::Object(mut top) = doc else {
        return;
    };
    let prefix = format!("workflow {file}");
    if gitlab {
        let (settings, jobs): (Map<String, Value>, Map<String, Value>) = top
            .into_iter()
            .partition(|(k, _)| GITLAB_KEYWORDS.contains(&k.as_str()));
        push_resource(out, prefix.clone(), Value::Object(settings));
        for (id, job) in jobs {
            push_resource(out, format!("{prefix} job {id}"), job);
        }
        return;
    }
    let jobs = top.remove("jobs");
    let stages = top.remove("stages");
    push_resource(out, prefix.clone(), Value::Object(top));
    match jobs {
        Some(Value::Object(jobs)) => {
            for (id, job) in jobs {
                push_resource(out, format!("{prefix} job {id}"), job);
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
        push_resource(out, stage_id.clone(), body);
        for job in list(jobs.as_ref()) {
            azure_job_or_stage(&stage_id, job, out);
        }
    } else if let Some(job) = name("job").or_else(|| name("deployment")) {
        push_resource(out, format!("{prefix} job {job}"), item.clone());
    } else if let Some(template) = name("template") {
        push_resource(out, format!("{prefix} template {template}"), item.clone());
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
        let id = format!("workflow {file} stage {}", name.as_str());
        push_resource(out, id, body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(path: &str, text: &str) -> Vec<String> {
        resources(path, text).unwrap().keys().cloned().collect()
    }

    #[test]
    fn workflow_stage_and_job_ids() {
        let gh = "name: build\non: push\njobs:\n  build: {runs-on: ubuntu-latest}\n  scan: {runs-on: x}\n";
        assert_eq!(
            ids("ci/github/build.yml", gh),
            [
                "workflow build.yml",
                "workflow build.yml job build",
                "workflow build.yml job scan"
            ]
        );
        let gl = "stages: [build]\nbuild-a:\n  stage: build\n  script: [make]\n";
        assert_eq!(
            ids("ci/gitlab/.gitlab-ci.yml", gl),
            [
                "workflow .gitlab-ci.yml",
                "workflow .gitlab-ci.yml job build-a"
            ]
        );
        let az =
            "trigger: none\nstages:\n- stage: Build\n  jobs:\n  - job: Compile\n    steps: []\n";
        assert_eq!(
            ids("ci/azure-pipelines/a.yml", az),
            [
                "workflow a.yml",
                "workflow a.yml stage Build",
                "workflow a.yml stage Build job Compile"
            ]
        );
        let jf = "pipeline {\n stages {\n  stage('Build') { steps { sh 'make' } }\n  stage(\"Push\") {}\n }\n}\n";
        assert_eq!(
            ids("ci/jenkins/Jenkinsfile.a", jf),
            [
                "workflow Jenkinsfile.a stage Build",
                "workflow Jenkinsfile.a stage Push"
            ]
        );
    }

    #[test]
    fn broken_files_are_errors() {
        assert!(resources("ci/github/a.yml", "a: [").is_err());
    }

    #[test]
    fn claims_every_path_under_ci() {
        assert_eq!(claim("ci/github/build.yml"), Some(None));
        assert_eq!(claim("ci/jenkins/Jenkinsfile.check"), Some(None));
        assert_eq!(claim("kubernetes/environments/dev/a.yaml"), None);
    }
}
