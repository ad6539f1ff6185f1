//! A small resolved model for the Kubernetes target's tests: three services over two
//! environments (dev on GCP, where kafka, mongodb, elasticsearch and rabbitmq run in the
//! cluster; prod on Azure with a canary in progress and a blue-green preview).

use crate::model::{CanaryVersion, Environment, ImageVersion, Model};

const PLATFORM: &str = r#"
platform:
  name: shop
  imageRegistry: registry.example.com
  gitops: {repository: github.com/shop/gitops, branch: main, path: golden/kubernetes}
registryServices:
  payment-service:
    name: payment-service
    team: payments
    namespace: payments
    image: shop/payment-service
    build: {language: java, context: services/payment-service}
    ports: [{name: http, port: 8080, protocol: http}, {name: grpc, port: 9090, protocol: grpc}]
    replicas: {min: 3, max: 10, targetCPU: 70}
    resources: {requests: {cpu: 500m, memory: 512Mi}, limits: {cpu: "1", memory: 1Gi}}
    healthCheck:
      readiness: {path: /health/ready, port: http, initialDelaySeconds: 10}
      liveness: {port: grpc}
    config: {LOG_LEVEL: INFO, FEATURE: "on"}
    secrets:
      FX_API_KEY: {store: vault, path: fx-provider, key: api-key}
    dependencies: [account-service]
    infra:
      db: {type: postgres, version: "16"}
      events: {type: kafka, topics: [payment-posted], brokers: 3}
    expose: {host: api.shop.example.com, path: /payments, gateway: istio-ingress/public}
    rollout:
      strategy: canary
      maxSurge: 25%
      maxUnavailable: 0
      canary:
        steps: [10, 50, 100]
        interval: 5m
        header: {name: x-canary, value: "true"}
        analysis: {maxErrorRate: 0.01, maxLatencyP95Ms: 200, failureLimit: 2}
  account-service:
    name: account-service
    team: accounts
    namespace: accounts
    image: shop/account-service
    build: {language: go, context: services/account-service}
    ports: [{name: grpc, port: 9000, protocol: grpc}]
    replicas: {min: 2, max: 4}
    resources: {requests: {cpu: 250m, memory: 256Mi}, limits: {cpu: "1", memory: 1Gi}}
    healthCheck:
      readiness: {port: grpc}
    infra:
      docs: {type: mongodb, storageGb: 20}
      search: {type: elasticsearch, nodes: 3}
    rollout: {strategy: rolling, maxSurge: 1, maxUnavailable: 0}
  ledger-service:
    name: ledger-service
    team: payments
    namespace: payments
    image: shop/ledger-service
    build: {language: rust, context: services/ledger-service}
    ports: [{name: tcp, port: 7000, protocol: tcp}]
    replicas: {min: 1, max: 1}
    resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: 500m, memory: 256Mi}}
    healthCheck:
      liveness: {port: tcp}
    dependencies: [account-service]
    infra:
      queue: {type: rabbitmq, exchanges: [ledger.events]}
    rollout: {strategy: blue-green}
environments: []
"#;

const DEV: &str = r#"
name: dev
cloud: {provider: gcp, region: europe-west1}
cluster: {name: shop-dev, version: "1.31"}
terraform: {backend: {type: gcs, config: {bucket: shop-state}}}
secretStore: {type: vault, name: shop-dev-vault}
network: {cidr: 10.10.0.0/16}
monitoring: {prometheusUrl: "http://prometheus.monitoring:9090"}
namespaceSuffix: "-dev"
imageTags: any
infraDefaults: {}
services: {}
disabled: [ledger-service]
"#;

const PROD: &str = r#"
name: prod
cloud: {provider: azure, region: westeurope}
cluster: {name: shop-prod, version: "1.31"}
terraform: {backend: {type: azurerm, config: {key: prod.tfstate}}}
secretStore: {type: vault, name: shop-prod-vault}
network: {cidr: 10.20.0.0/16}
monitoring: {prometheusUrl: "http://prometheus.observability:9090"}
namespaceSuffix: ""
imageTags: semver
infraDefaults: {}
services: {}
disabled: []
"#;

/// The test model.
pub(crate) fn model() -> Model {
    let mut model: Model = serde_saphyr::from_str(PLATFORM).expect("fixture model");
    let mut dev: Environment = serde_saphyr::from_str(DEV).expect("dev");
    let mut prod: Environment = serde_saphyr::from_str(PROD).expect("prod");
    let reg = &model.registry_services;
    for name in ["payment-service", "account-service"] {
        let mut s = reg[name].clone();
        s.version = Some(version("main-a1b2c3d-20250101120000"));
        if name == "payment-service" {
            s.replicas.min = 1;
            s.replicas.max = 2;
            s.config.insert("LOG_LEVEL".into(), "DEBUG".into());
        }
        dev.services.insert(name.into(), s);
    }
    for name in ["payment-service", "account-service", "ledger-service"] {
        let mut s = reg[name].clone();
        let mut v = version("v1.4.0");
        match name {
            "payment-service" => {
                s.replicas.min = 5;
                v.canary = Some(CanaryVersion {
                    tag: "v1.5.0".into(),
                    weight: 10,
                });
            }
            "ledger-service" => v.preview = Some("v1.5.0".into()),
            _ => {}
        }
        s.version = Some(v);
        prod.services.insert(name.into(), s);
    }
    model.environments = vec![dev, prod];
    model
}

fn version(stable: &str) -> ImageVersion {
    ImageVersion {
        stable: stable.into(),
        canary: None,
        preview: None,
        active: Default::default(),
        previous: None,
    }
}
