//! `terraform/environments/<env>-messaging/`: Kafka topics and RabbitMQ exchanges on the
//! managed brokers of an environment, through the Mongey/kafka and cyrilgdn/rabbitmq
//! providers. It is a separate root because those providers need the brokers to exist:
//! apply it after the environment root, whose state (read with `terraform_remote_state`)
//! holds the broker connections. Event Hubs topics are created in their module instead.

use hcl::{Block, Body, Expression};

use super::format;
use super::hclx::{call, obj, r, ri, s};
use super::names::tf_ident;
use super::plan::{EnvPlan, Resource};
use super::providers::{Provider, versions_body};
use super::root::backend_body;
use crate::error::Error;
use crate::model::{CloudProvider, Environment, InfraType};

/// The brokers whose topics or exchanges this root manages.
fn brokers(plan: &EnvPlan) -> (Vec<&Resource>, Vec<&Resource>) {
    let of = |kind: InfraType| -> Vec<&Resource> {
        plan.managed
            .get(&kind)
            .map(|v| v.iter().collect())
            .unwrap_or_default()
    };
    let kafka = match plan.cloud {
        // Event Hubs: the module creates the event hubs itself.
        CloudProvider::Azure => vec![],
        CloudProvider::Aws | CloudProvider::Gcp => of(InfraType::Kafka)
            .into_iter()
            .filter(|r| !r.topics.is_empty())
            .collect(),
    };
    let rabbit = of(InfraType::Rabbitmq)
        .into_iter()
        .filter(|r| !r.exchanges.is_empty())
        .collect();
    (kafka, rabbit)
}

/// Whether the environment needs a messaging root.
pub fn needed(plan: &EnvPlan) -> bool {
    let (kafka, rabbit) = brokers(plan);
    !kafka.is_empty() || !rabbit.is_empty()
}

/// The messaging root's files, as (file name, text).
pub fn files(env: &Environment, plan: &EnvPlan) -> Result<Vec<(&'static str, String)>, Error> {
    let (kafka, rabbit) = brokers(plan);
    let mut providers = Vec::new();
    let mut main = Body::builder().add_block(remote_state(env)?);
    let mut provider_blocks = Body::builder();
    for res in &kafka {
        providers.push(Provider::Kafka);
        let conn = |attr: &str| {
            ri(
                "data.terraform_remote_state.env.outputs.kafka_connections",
                s(&res.key),
                attr,
            )
        };
        provider_blocks = provider_blocks.add_block(
            Block::builder("provider")
                .add_label("kafka")
                .add_attribute(("alias", tf_ident(&res.key)))
                .add_attribute((
                    "bootstrap_servers",
                    call("split", [s(","), conn("bootstrap_servers")]),
                ))
                .add_attribute(("tls_enabled", true))
                .add_attribute(("sasl_mechanism", "scram-sha512"))
                .add_attribute(("sasl_username", conn("username")))
                .add_attribute(("sasl_password", conn("password")))
                .build(),
        );
        for topic in &res.topics {
            main = main.add_block(
                Block::builder("resource")
                    .add_label("kafka_topic")
                    .add_label(tf_ident(&format!("{}-{topic}", res.key)))
                    .add_attribute(("provider", r(&format!("kafka.{}", tf_ident(&res.key)))))
                    .add_attribute(("name", topic.as_str()))
                    .add_attribute(("partitions", 6))
                    .add_attribute(("replication_factor", res.sizing.brokers.min(3)))
                    .add_attribute((
                        "config",
                        obj([(
                            "min.insync.replicas",
                            s(if res.sizing.brokers >= 3 { "2" } else { "1" }),
                        )]),
                    ))
                    .build(),
            );
        }
    }
    for res in &rabbit {
        providers.push(Provider::Rabbitmq);
        let conn = |attr: &str| {
            ri(
                "data.terraform_remote_state.env.outputs.rabbitmq_connections",
                s(&res.key),
                attr,
            )
        };
        provider_blocks = provider_blocks.add_block(
            Block::builder("provider")
                .add_label("rabbitmq")
                .add_attribute(("alias", tf_ident(&res.key)))
                .add_attribute(("endpoint", conn("management_url")))
                .add_attribute(("username", conn("username")))
                .add_attribute(("password", conn("password")))
                .build(),
        );
        for exchange in &res.exchanges {
            let settings = Block::builder("settings")
                .add_attribute(("type", "topic"))
                .add_attribute(("durable", true))
                .add_attribute(("auto_delete", false))
                .build();
            main = main.add_block(
                Block::builder("resource")
                    .add_label("rabbitmq_exchange")
                    .add_label(tf_ident(&format!("{}-{exchange}", res.key)))
                    .add_attribute(("provider", r(&format!("rabbitmq.{}", tf_ident(&res.key)))))
                    .add_attribute(("name", exchange.as_str()))
                    .add_attribute(("vhost", "/"))
                    .add_block(settings)
                    .build(),
            );
        }
    }
    let header = format!(
        "# Topics and exchanges of {env}, generated by infrac; do not edit.\n# Apply after terraform/environments/{env}: it reads the broker connections from that state.\n\n",
        env = env.name
    );
    Ok(vec![
        (
            "versions.tf",
            format::render(versions_body(&providers), &[])?,
        ),
        (
            "providers.tf",
            format::render(provider_blocks.build(), &[])?,
        ),
        ("backend.tf", format::render(messaging_backend(env)?, &[])?),
        (
            "main.tf",
            format!("{header}{}", format::render(main.build(), &[])?),
        ),
    ])
}

/// `data "terraform_remote_state" "env"` reading the environment root's state.
fn remote_state(env: &Environment) -> Result<Block, Error> {
    let backend = &env.terraform.backend;
    let config = hcl::to_expression(&backend.config)
        .map_err(|e| Error::Internal(format!("backend config: {e}")))?;
    Ok(Block::builder("data")
        .add_label("terraform_remote_state")
        .add_label("env")
        .add_attribute(("backend", backend.kind.as_str()))
        .add_attribute(("config", config))
        .build())
}

/// The environment's backend with its state key moved beside it (`…-messaging`).
fn messaging_backend(env: &Environment) -> Result<Body, Error> {
    let mut env = env.clone();
    for key in ["key", "prefix", "path", "workspace_key_prefix"] {
        if let Some(serde_json::Value::String(value)) = env.terraform.backend.config.get_mut(key) {
            *value = match value.strip_suffix(".tfstate") {
                Some(stem) => format!("{stem}-messaging.tfstate"),
                None => format!("{value}-messaging"),
            };
            break;
        }
    }
    backend_body(&env)
}

/// Root outputs the messaging root reads: broker connections, sensitive.
pub fn connection_outputs(plan: &EnvPlan) -> Vec<Block> {
    let (kafka, rabbit) = brokers(plan);
    let mut out = Vec::new();
    let output = |name: &str, module: &str, attrs: &[&str]| {
        let value = obj(attrs.iter().map(|a| (*a, r(&format!("m.{a}")))));
        let for_expr = hcl::expr::ForExpr::new(hcl::Identifier::unchecked("m"), r(module), value)
            .with_key_var(hcl::Identifier::unchecked("key"))
            .with_key_expr(r("key"));
        Block::builder("output")
            .add_label(name)
            .add_attribute(("description", "Broker connections for the messaging root."))
            .add_attribute(("value", Expression::from(for_expr)))
            .add_attribute(("sensitive", true))
            .build()
    };
    if !kafka.is_empty() {
        out.push(output(
            "kafka_connections",
            "module.kafka",
            &["bootstrap_servers", "username", "password"],
        ));
    }
    if !rabbit.is_empty() {
        out.push(output(
            "rabbitmq_connections",
            "module.rabbitmq",
            &["management_url", "username", "password"],
        ));
    }
    out
}
