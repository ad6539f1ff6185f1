//! Backing resources that run in the cluster (`backend::contract::placement` = InCluster): their operator
//! resources (RabbitmqCluster, Strimzi Kafka, MongoDBCommunity, ECK Elasticsearch), how a pod
//! reaches them (pod selector, port) and reads their credentials (the Secret each operator
//! creates).
//!
//! Named `<service>-<resource>` in the service's namespace. Managed resources are not here:
//! they belong to the Terraform target and reach pods through `secrets`.

use super::{common_labels, object};
use crate::backend::contract::{Placement, placement};
use crate::model::{Environment, Infra, InfraType, Model, Service};
use serde_json::{Map, Value, json};

/// The operator resource's name for `resource` of `service`.
pub(crate) fn resource_name(service: &Service, resource: &str) -> String {
    format!("{}-{resource}", service.name)
}

/// The port a client uses to reach an in-cluster resource of `kind`.
pub(crate) fn port(kind: InfraType) -> u16 {
    match kind {
        InfraType::Rabbitmq => 5672,
        InfraType::Kafka => 9092,
        InfraType::Mongodb => 27017,
        InfraType::Elasticsearch => 9200,
        InfraType::Postgres => 5432,
        InfraType::Mysql => 3306,
        InfraType::Sqlserver => 1433,
        InfraType::Redis => 6379,
        InfraType::Bucket => 443,
    }
}

/// The labels the operator puts on the pods of the resource called `name`.
pub(crate) fn pod_selector(kind: InfraType, name: &str) -> Value {
    match kind {
        InfraType::Kafka => json!({"strimzi.io/cluster": name}),
        InfraType::Mongodb => json!({"app": format!("{name}-svc")}),
        InfraType::Elasticsearch => json!({"elasticsearch.k8s.elastic.co/cluster-name": name}),
        _ => json!({"app.kubernetes.io/name": name}),
    }
}

/// The `env` entry for connection key `key` of an in-cluster resource: the operator's Secret
/// for credentials, a literal for addresses (they are not secret and no Secret holds them).
pub(crate) fn env_var(
    var: &str,
    service: &Service,
    resource: &str,
    infra: &Infra,
    key: &str,
) -> Value {
    let n = resource_name(service, resource);
    let from = |secret: String, k: &str| json!({"name": var, "valueFrom": {"secretKeyRef": {"name": secret, "key": k}}});
    let literal = |v: String| json!({"name": var, "value": v});
    match (infra.kind, key) {
        (InfraType::Rabbitmq, "url") => from(format!("{n}-default-user"), "connection_string"),
        (InfraType::Rabbitmq, k) => from(format!("{n}-default-user"), k),
        (InfraType::Kafka, "bootstrap_servers") => literal(format!("{n}-kafka-bootstrap:9092")),
        (InfraType::Kafka, "username") => literal(n),
        (InfraType::Kafka, k) => from(n, k),
        (InfraType::Mongodb, "host") => literal(format!("{n}-svc")),
        (InfraType::Mongodb, "port") => literal("27017".into()),
        (InfraType::Mongodb, "database") => literal(resource.to_owned()),
        (InfraType::Mongodb, "url") => from(format!("{n}-admin-app"), "connectionString.standard"),
        (InfraType::Mongodb, k) => from(format!("{n}-admin-app"), k),
        (InfraType::Elasticsearch, "url") => literal(format!("https://{n}-es-http:9200")),
        (InfraType::Elasticsearch, "username") => literal("elastic".into()),
        (InfraType::Elasticsearch, _) => from(format!("{n}-es-elastic-user"), "elastic"),
        // Never in-cluster on any cloud today: read them as managed resources would be.
        (_, k) => from(super::secrets::secret_name(service), k),
    }
}

/// Every operator resource of the in-cluster backing resources of `env`, namespaced.
pub(crate) fn emit_resources(model: &Model, env: &Environment) -> Vec<Value> {
    let mut docs = Vec::new();
    for service in env.services.values() {
        let ns = env.namespace_of(service);
        let labels = common_labels(&model.platform.name, service);
        for (resource, infra) in &service.infra {
            if placement(env.cloud.provider, infra.kind) != Placement::InCluster {
                continue;
            }
            let r = Res {
                name: resource_name(service, resource),
                ns: &ns,
                labels: &labels,
                infra,
                resource,
            };
            docs.extend(r.objects());
        }
    }
    docs
}

/// The in-cluster backing resource types whose operator pods run in namespace `ns` of `env`,
/// sorted, without duplicates.
pub(crate) fn kinds_in(env: &Environment, ns: &str) -> Vec<InfraType> {
    let mut kinds: Vec<InfraType> = env
        .services
        .values()
        .filter(|s| env.namespace_of(s) == ns)
        .flat_map(|s| s.infra.values())
        .filter(|i| placement(env.cloud.provider, i.kind) == Placement::InCluster)
        .map(|i| i.kind)
        .collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

/// Why a namespace with operator pods enforces Pod Security `baseline` (auditing and
/// warning at `restricted`): the operators' default pods do not set everything
/// `restricted` requires (seccomp profile, dropped capabilities, no privilege escalation).
/// Strimzi, for one, applies its Baseline pod security provider unless the operator itself
/// is configured with `STRIMZI_POD_SECURITY_PROVIDER_CLASS=restricted`, which infrac does not
/// install. <https://strimzi.io/blog/2022/09/12/pod-security-providers/>,
/// <https://kubernetes.io/docs/concepts/security/pod-security-standards/>
pub(crate) fn baseline_reason(kinds: &[InfraType]) -> String {
    let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    format!(
        "baseline, not restricted: the default pods of the {} operator(s) do not meet restricted; \
         audit and warn stay at restricted",
        names.join(", ")
    )
}

/// One in-cluster resource being rendered.
struct Res<'a> {
    name: String,
    ns: &'a str,
    labels: &'a Map<String, Value>,
    infra: &'a Infra,
    resource: &'a str,
}

impl Res<'_> {
    fn objects(&self) -> Vec<Value> {
        match self.infra.kind {
            InfraType::Rabbitmq => self.rabbitmq(),
            InfraType::Kafka => self.kafka(),
            InfraType::Mongodb => self.mongodb(),
            InfraType::Elasticsearch => vec![self.elasticsearch()],
            _ => Vec::new(),
        }
    }

    fn obj(&self, api: &str, kind: &str, name: &str, spec: Value) -> Value {
        let mut o = object(api, kind, name, Some(self.ns), self.labels);
        o.insert("spec".into(), spec);
        Value::Object(o)
    }

    fn storage(&self) -> String {
        format!("{}Gi", self.infra.sizing.storage_gb.unwrap_or(10))
    }

    /// Replicas for a clustered resource: the explicit count, else 3 when highly available.
    fn members(&self, explicit: Option<u32>) -> u32 {
        explicit.unwrap_or(if self.infra.sizing.high_availability == Some(true) {
            3
        } else {
            1
        })
    }

    fn rabbitmq(&self) -> Vec<Value> {
        let spec = json!({
            "replicas": self.members(self.infra.sizing.nodes),
            "persistence": {"storage": self.storage()},
        });
        let mut docs = vec![self.obj("rabbitmq.com/v1beta1", "RabbitmqCluster", &self.name, spec)];
        for exchange in &self.infra.exchanges {
            let spec = json!({
                "name": exchange, "type": "topic", "durable": true,
                "rabbitmqClusterReference": {"name": self.name},
            });
            let name = format!("{}-{}", self.name, dns_label(exchange));
            docs.push(self.obj("rabbitmq.com/v1beta1", "Exchange", &name, spec));
        }
        docs
    }

    fn kafka(&self) -> Vec<Value> {
        let brokers = self.members(self.infra.sizing.brokers);
        let rf = brokers.min(3);
        let mut kafka = json!({
            "listeners": [{"name": "plain", "port": 9092, "type": "internal", "tls": false,
                           "authentication": {"type": "scram-sha-512"}}],
            "authorization": {"type": "simple"},
            "config": {"offsets.topic.replication.factor": rf,
                       "transaction.state.log.replication.factor": rf,
                       "transaction.state.log.min.isr": rf.min(2),
                       "default.replication.factor": rf, "min.insync.replicas": rf.min(2)},
        });
        if let Some(v) = &self.infra.version {
            kafka["version"] = json!(v);
        }
        let spec =
            json!({"kafka": kafka, "entityOperator": {"topicOperator": {}, "userOperator": {}}});
        let mut cluster = self.obj("kafka.strimzi.io/v1beta2", "Kafka", &self.name, spec);
        cluster["metadata"]["annotations"] =
            json!({"strimzi.io/kraft": "enabled", "strimzi.io/node-pools": "enabled"});
        let pool = self.strimzi("KafkaNodePool", &format!("{}-brokers", self.name), json!({
            "replicas": brokers, "roles": ["controller", "broker"],
            "storage": {"type": "persistent-claim", "size": self.storage(), "deleteClaim": false},
        }));
        let mut docs = vec![cluster, pool];
        for topic in &self.infra.topics {
            let name = format!("{}-{}", self.name, dns_label(topic));
            let spec = json!({"topicName": topic, "partitions": 3, "replicas": rf});
            docs.push(self.strimzi("KafkaTopic", &name, spec));
        }
        let acls: Vec<Value> = ["topic", "group"]
            .iter()
            .map(|t| {
                json!({"resource": {"type": t, "name": "*", "patternType": "literal"},
                            "operations": ["All"]})
            })
            .collect();
        let user = json!({"authentication": {"type": "scram-sha-512"},
                          "authorization": {"type": "simple", "acls": acls}});
        docs.push(self.strimzi("KafkaUser", &self.name, user));
        docs
    }

    /// A Strimzi resource that belongs to this Kafka cluster.
    fn strimzi(&self, kind: &str, name: &str, spec: Value) -> Value {
        let mut doc = self.obj("kafka.strimzi.io/v1beta2", kind, name, spec);
        doc["metadata"]["labels"]["strimzi.io/cluster"] = json!(self.name);
        doc
    }

    fn mongodb(&self) -> Vec<Value> {
        let password = format!("{}-password", self.name);
        let generator = "generators.external-secrets.io/v1alpha1";
        let spec = json!({
            "members": self.members(self.infra.sizing.nodes),
            "type": "ReplicaSet",
            "version": self.infra.version.clone().unwrap_or_else(|| "7.0.12".into()),
            "security": {"authentication": {"modes": ["SCRAM"]}},
            "users": [{"name": "app", "db": "admin",
                       "passwordSecretRef": {"name": password},
                       "scramCredentialsSecretName": format!("{}-scram", self.name),
                       "roles": [{"name": "readWrite", "db": self.resource}]}],
            "statefulSet": {"spec": {"volumeClaimTemplates": [{
                "metadata": {"name": "data-volume"},
                "spec": {"accessModes": ["ReadWriteOnce"],
                         "resources": {"requests": {"storage": self.storage()}}}}]}},
        });
        let gen_spec = json!({"length": 32, "digits": 6, "symbols": 0, "noUpper": false,
                              "allowRepeat": true});
        let es_spec = json!({
            "refreshInterval": "0",
            "target": {"name": password, "creationPolicy": "Owner"},
            "dataFrom": [{"sourceRef": {"generatorRef": {
                "apiVersion": generator, "kind": "Password", "name": password}}}],
        });
        vec![
            self.obj(generator, "Password", &password, gen_spec),
            self.obj(
                "external-secrets.io/v1",
                "ExternalSecret",
                &password,
                es_spec,
            ),
            self.obj(
                "mongodbcommunity.mongodb.com/v1",
                "MongoDBCommunity",
                &self.name,
                spec,
            ),
        ]
    }

    fn elasticsearch(&self) -> Value {
        let spec = json!({
            "version": self.infra.version.clone().unwrap_or_else(|| "8.15.3".into()),
            "nodeSets": [{
                "name": "default",
                "count": self.members(self.infra.sizing.nodes),
                "config": {"node.store.allow_mmap": false},
                "volumeClaimTemplates": [{
                    "metadata": {"name": "elasticsearch-data"},
                    "spec": {"accessModes": ["ReadWriteOnce"],
                             "resources": {"requests": {"storage": self.storage()}}}}],
            }],
        });
        self.obj(
            "elasticsearch.k8s.elastic.co/v1",
            "Elasticsearch",
            &self.name,
            spec,
        )
    }
}

/// A DNS-1123 label from a topic or exchange name (`payment.posted` → `payment-posted`).
fn dns_label(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .trim_matches('-')
        .to_owned()
}
