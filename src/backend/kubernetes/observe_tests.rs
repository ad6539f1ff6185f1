//! Tests of the migration hooks, the monitoring objects and the dashboard over the fixture
//! model, each service given the fields it tests.

use super::fixture::model;
use super::*;
use crate::artifact::yaml::to_yaml_documents;
use crate::model::{MigrationTool, Migrations};

/// The overlay documents of `service` in `env` of `model`, of the given kinds.
fn docs_of(model: &Model, env: &str, service: &str, kinds: &[&str]) -> Vec<Value> {
    let env = model.environment(env).expect("env");
    let ctx = Ctx::new(model, env, &env.services[service]);
    overlay::overlay_resources(&ctx)
        .into_iter()
        .filter(|d| kinds.iter().any(|k| d["kind"] == *k))
        .collect()
}

fn with_migrations(image: Option<&str>) -> Model {
    let mut model = model();
    for env in &mut model.environments {
        let s = env
            .services
            .get_mut("payment-service")
            .expect("payment-service");
        s.migrations = Some(Migrations {
            tool: MigrationTool::Flyway,
            command: vec!["flyway".into(), "migrate".into()],
            image: image.map(str::to_owned),
        });
    }
    model
}

#[test]
fn a_service_with_migrations_gets_a_presync_job_and_its_database_secret() {
    let model = with_migrations(None);
    let docs: Vec<Value> = docs_of(
        &model,
        "prod",
        "payment-service",
        &["ExternalSecret", "Job"],
    )
    .into_iter()
    .filter(|d| d["metadata"]["labels"]["app.kubernetes.io/component"] == "migrations")
    .collect();
    assert_eq!(docs.len(), 2);
    insta::assert_snapshot!(to_yaml_documents(&docs));
}

#[test]
fn the_migration_runs_the_given_image_at_the_stable_tag() {
    let model = with_migrations(Some("shop/payment-migrator"));
    let docs = docs_of(&model, "dev", "payment-service", &["Job"]);
    let container = &docs[0]["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        container["image"],
        "registry.example.com/shop/payment-migrator:main-a1b2c3d-20250101120000"
    );
}

#[test]
fn the_migration_has_the_security_context_of_the_service() {
    let model = with_migrations(None);
    let env = model.environment("prod").unwrap();
    let service = &env.services["payment-service"];
    let ctx = Ctx::new(&model, env, service);
    let deployment = base::base_objects(&model.platform.name, service, Some(&ctx))
        .into_iter()
        .find(|d| d["kind"] == "Deployment")
        .expect("deployment");
    let job = &docs_of(&model, "prod", "payment-service", &["Job"])[0];
    let pod = |d: &Value| d["spec"]["template"]["spec"].clone();
    assert_eq!(
        pod(job)["securityContext"],
        pod(&deployment)["securityContext"]
    );
    assert_eq!(
        pod(job)["containers"][0]["securityContext"],
        pod(&deployment)["containers"][0]["securityContext"]
    );
    assert_eq!(
        pod(job)["containers"][0]["resources"],
        pod(&deployment)["containers"][0]["resources"]
    );
}

#[test]
fn no_migrations_no_job() {
    let docs = docs_of(&model(), "prod", "payment-service", &["Job"]);
    assert!(docs.is_empty());
}

use crate::model::{Alerts, LatencyThreshold, Metrics, RateThreshold, RestartsThreshold};

/// The fixture with `metrics` on payment-service (a canary) and alerts on payment-service
/// and account-service (without `metrics`: only its restarts alert is generated).
fn observed() -> Model {
    let mut model = model();
    for env in &mut model.environments {
        for (name, s) in env.services.iter_mut() {
            if name == "payment-service" {
                s.metrics = Some(Metrics {
                    port: "http".into(),
                    path: "/actuator/prometheus".into(),
                });
            }
            s.alerts = Alerts {
                error_rate: Some(RateThreshold {
                    above: 0.05,
                    for_: "2m".into(),
                }),
                latency_p95_ms: Some(LatencyThreshold {
                    above: 500,
                    for_: "5m".into(),
                }),
                restarts: Some(RestartsThreshold {
                    above: 3,
                    within: "5m".into(),
                }),
            };
        }
    }
    model
}

#[test]
fn metrics_give_a_service_monitor_and_alerts_a_prometheus_rule() {
    let model = observed();
    let docs = docs_of(
        &model,
        "prod",
        "payment-service",
        &["ServiceMonitor", "PrometheusRule"],
    );
    insta::assert_snapshot!(to_yaml_documents(&docs));
}

#[test]
fn without_metrics_no_service_monitor_only_the_restarts_alert_and_a_dashboard() {
    let model = observed();
    let kinds = ["ServiceMonitor", "PrometheusRule", "ConfigMap"];
    let dashboards = |docs: &[Value]| -> Vec<String> {
        docs.iter()
            .filter(|d| d["metadata"]["labels"]["grafana_dashboard"] == "1")
            .map(|d| d["metadata"]["name"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    let docs = docs_of(&model, "prod", "account-service", &kinds);
    let monitoring: Vec<&str> = docs
        .iter()
        .filter(|d| d["kind"] != "ConfigMap")
        .filter_map(|d| d["kind"].as_str())
        .collect();
    assert_eq!(monitoring, ["PrometheusRule"]);
    let rule = docs.iter().find(|d| d["kind"] == "PrometheusRule").unwrap();
    let rules = &rule["spec"]["groups"][0]["rules"];
    assert_eq!(rules.as_array().unwrap().len(), 1);
    assert_eq!(rules[0]["alert"], "RestartsHigh");
    assert_eq!(dashboards(&docs), ["account-service-dashboard"]);
    // Neither metrics nor alerts: no ServiceMonitor, no rule, still the dashboard.
    let docs = docs_of(&super::fixture::model(), "prod", "account-service", &kinds);
    assert!(
        docs.iter()
            .all(|d| d["kind"] != "ServiceMonitor" && d["kind"] != "PrometheusRule"),
        "{docs:?}"
    );
    assert_eq!(dashboards(&docs), ["account-service-dashboard"]);
}

/// Every PrometheusRule of the observed fixture, as a rule file `promtool check rules` reads.
fn rule_files(model: &Model) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for env in &model.environments {
        for name in env.services.keys() {
            for doc in docs_of(model, &env.name, name, &["PrometheusRule"]) {
                let text = crate::artifact::yaml::to_yaml(doc["spec"].as_object().unwrap());
                out.push((format!("{}-{name}.yaml", env.name), text));
            }
        }
    }
    out
}

/// The rule expressions pass Prometheus' own checker, where it is installed (the Debian
/// `prometheus` package ships `promtool`); skipped, saying so, where it is not.
#[test]
fn prometheus_rules_pass_promtool() {
    let files = rule_files(&observed());
    assert!(files.len() >= 4, "{files:?}");
    let Ok(version) = std::process::Command::new("promtool")
        .arg("--version")
        .output()
    else {
        eprintln!("promtool not installed: rule expressions not checked");
        return;
    };
    assert!(version.status.success());
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (name, text) in &files {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        paths.push(path);
    }
    let out = std::process::Command::new("promtool")
        .arg("check")
        .arg("rules")
        .args(&paths)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The dashboard JSON of `service` in `env`, read back from its ConfigMap.
fn dashboard_of(model: &Model, env: &str, service: &str) -> (Value, Value) {
    let docs = docs_of(model, env, service, &["ConfigMap"]);
    let cm = docs
        .into_iter()
        .find(|d| d["metadata"]["labels"]["grafana_dashboard"] == "1")
        .expect("dashboard ConfigMap");
    let text = cm["data"][format!("{service}.json")]
        .as_str()
        .unwrap()
        .to_owned();
    (cm, serde_json::from_str(&text).expect("dashboard JSON"))
}

/// Structure Grafana needs: a uid within 40 characters, unique panel ids, panels on the
/// 24-column grid without overlap, every query with a refId, an expression and the
/// datasource variable; the panels the SPEC lists; stable against canary only for a canary.
#[test]
fn the_dashboard_is_well_formed_and_shows_what_the_spec_lists() {
    let model = observed();
    let (cm, d) = dashboard_of(&model, "prod", "payment-service");
    assert_eq!(cm["metadata"]["name"], "payment-service-dashboard");
    assert_eq!(cm["metadata"]["namespace"], "payments");
    assert_eq!(d["uid"], "prod-payment-service");
    assert_eq!(d["schemaVersion"], 39);
    assert_eq!(d["templating"]["list"][0]["type"], "datasource");
    let panels = d["panels"].as_array().unwrap();
    let mut ids = std::collections::BTreeSet::new();
    let mut cells = std::collections::BTreeSet::new();
    for p in panels {
        assert!(ids.insert(p["id"].as_u64().unwrap()), "duplicate id {p}");
        let g = &p["gridPos"];
        let (x, y, w, h) = (
            g["x"].as_u64().unwrap(),
            g["y"].as_u64().unwrap(),
            g["w"].as_u64().unwrap(),
            g["h"].as_u64().unwrap(),
        );
        assert!(x + w <= 24 && w > 0 && h > 0, "{g}");
        for cx in x..x + w {
            for cy in y..y + h {
                assert!(cells.insert((cx, cy)), "panels overlap at {cx},{cy}");
            }
        }
        assert_eq!(p["type"], "timeseries");
        assert!(p["fieldConfig"]["defaults"]["unit"].is_string());
        let targets = p["targets"].as_array().unwrap();
        assert!(!targets.is_empty());
        for (i, t) in targets.iter().enumerate() {
            assert_eq!(t["refId"], ["A", "B", "C"][i]);
            assert!(!t["expr"].as_str().unwrap().is_empty());
            assert_eq!(t["datasource"]["uid"], "${datasource}");
        }
    }
    let titles: Vec<&str> = panels.iter().filter_map(|p| p["title"].as_str()).collect();
    assert_eq!(
        titles,
        [
            "Request rate",
            "Error rate (5xx)",
            "Latency",
            "Pods ready",
            "Restarts",
            "CPU",
            "Memory",
            "Stable vs canary: request rate",
            "Stable vs canary: error rate",
            "Stable vs canary: latency p95",
        ]
    );
    let legends = |title: &str| -> Vec<String> {
        panels.iter().find(|p| p["title"] == title).unwrap()["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["legendFormat"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(legends("Latency"), ["p50", "p95", "p99"]);
    assert_eq!(legends("CPU"), ["{{pod}}", "request", "limit"]);
    assert_eq!(legends("Memory"), ["{{pod}}", "request", "limit"]);
    // The same model, the same bytes.
    let again = dashboard_of(&model, "prod", "payment-service").0;
    assert_eq!(cm, again);
}

#[test]
fn a_rolling_service_has_no_canary_panels_and_long_uids_are_cut() {
    let mut model = observed();
    for env in &mut model.environments {
        let s = env.services.get_mut("account-service").unwrap();
        s.metrics = Some(Metrics {
            port: "grpc".into(),
            path: "/metrics".into(),
        });
    }
    let (_, d) = dashboard_of(&model, "dev", "account-service");
    let titles: Vec<&str> = d["panels"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["title"].as_str())
        .collect();
    assert_eq!(titles.len(), 7);
    assert!(titles.iter().all(|t| !t.contains("canary")));
    let uid = dashboard::uid("production", "a-service-with-a-rather-long-name");
    assert_eq!(uid.len(), 40);
    assert_eq!(
        uid,
        dashboard::uid("production", "a-service-with-a-rather-long-name")
    );
    assert_ne!(
        uid,
        dashboard::uid("production", "a-service-with-a-rather-long-name2")
    );
}
