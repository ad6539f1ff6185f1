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
        let s = env.services.get_mut("payment-service").expect("payment-service");
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
    let docs: Vec<Value> = docs_of(&model, "prod", "payment-service", &["ExternalSecret", "Job"])
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
    assert_eq!(pod(job)["securityContext"], pod(&deployment)["securityContext"]);
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
