//! The one registry of diagnostic codes. Each code is declared once here, with the summary
//! `infrac explain-code` prints and a wrong and a right example; a test checks every code
//! is documented.

macro_rules! codes {
    ($($variant:ident = $name:literal { $summary:literal, wrong: $wrong:literal, right: $right:literal })*) => {
        /// A stable diagnostic code, `infrac::<problem>`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $($variant),* }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// `infrac::<name>`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => concat!("infrac::", $name)),* }
            }

            /// One paragraph on what the code means.
            pub fn summary(self) -> &'static str {
                match self { $(Code::$variant => $summary),* }
            }

            /// An input that triggers it.
            pub fn wrong(self) -> &'static str {
                match self { $(Code::$variant => $wrong),* }
            }

            /// The same input, fixed.
            pub fn right(self) -> &'static str {
                match self { $(Code::$variant => $right),* }
            }
        }
    };
}

codes! {
    Config = "config" {
        "infrac.toml could not be read: a TOML syntax error, an unknown key, or a value of the wrong type.",
        wrong: "out = 3\n",
        right: "out = \"golden\"\n"
    }
    MissingFile = "missing-file" {
        "An input file or directory infrac needs does not exist (the registry, the environments directory, versions.yaml).",
        wrong: "# infrac.toml\nregistry = \"services.yaml\"   # no such file\n",
        right: "# infrac.toml\nregistry = \"registry.yaml\"\n"
    }
    NotAFile = "not-a-file" {
        "A path that must name a file names a directory (or the reverse).",
        wrong: "registry.yaml/   # a directory\n",
        right: "registry.yaml    # a YAML file\n"
    }
    Template = "template" {
        "A template override (a file under the `templates` directory of infrac.toml) does not compile or render: a syntax error, an unknown filter, a variable the built-in does not provide.",
        wrong: "# templates/ci/github/infrac-check.yml.j2\nname: check\n[% if %]\n",
        right: "# templates/ci/github/infrac-check.yml.j2\nname: check\n[% if true %]\non: pull_request\n[% endif %]\n"
    }
    FileTooLarge = "file-too-large" {
        "An input file is larger than infrac reads (16 MiB); no real registry comes near it.",
        wrong: "registry.yaml   # 50 MB\n",
        right: "registry.yaml   # a few hundred KB, even for 1,000 services\n"
    }
    SymlinkInOutput = "symlink-in-output" {
        "A path infrac writes, reads or deletes in the output (the output directory, an [output] destination, a directory on the way to one) is a symbolic link. infrac never follows links there: a link could make a build write or delete files outside the repository, or make `plan` print a file from elsewhere as a diff.",
        wrong: "golden/kubernetes -> /etc/kubernetes   # a link committed in place of the directory\n",
        right: "golden/kubernetes/                      # a real directory (or none: `infrac build` creates it)\n"
    }
    Manifest = "manifest" {
        "A line of the manifest (`golden/.infrac-manifest`) cannot be trusted: not `<sha256>  <path>`, a path that is not normalised (`..`, `.`, an empty or absolute segment, a backslash), listed twice, or outside the files infrac may own (the output directory and the [output] destinations). infrac deletes what the manifest owns, so it deletes nothing until the manifest is repaired.",
        wrong: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  registry.yaml\n",
        right: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  golden/kubernetes/payment-service/base/deployment.yaml\n"
    }
    Encoding = "encoding" {
        "An input file is not valid UTF-8.",
        wrong: "name: caf\\xe9   # Latin-1 byte\n",
        right: "name: café      # saved as UTF-8\n"
    }
    EmptyFile = "empty-file" {
        "An input file holds no YAML document at all.",
        wrong: "# only a comment\n",
        right: "apiVersion: infrac.dev/v1\nkind: Versions\nenvironments: {}\n"
    }
    YamlSyntax = "yaml-syntax" {
        "The file is not valid YAML (bad indentation, a tab used for indentation, an unclosed bracket or quote).",
        wrong: "services:\n\tpayment-service: {}   # tab\n",
        right: "services:\n  payment-service: {}\n"
    }
    DuplicateKey = "duplicate-key" {
        "A mapping has the same key twice; YAML readers disagree on which one wins, so infrac refuses both.",
        wrong: "replicas: {min: 2}\nreplicas: {min: 3}\n",
        right: "replicas: {min: 3}\n"
    }
    YamlLimits = "yaml-limits" {
        "The document exceeds infrac's parsing budget: too many aliases (an alias bomb), too deep, or more than one document.",
        wrong: "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]   # ... and so on\n",
        right: "Write the values out; infrac's `defaults` replace anchors.\n"
    }
    WrongKind = "wrong-kind" {
        "A file's `apiVersion`/`kind` does not match its place: registry.yaml is `kind: Registry`, environments/*.yaml are `kind: Environment`, versions.yaml is `kind: Versions`.",
        wrong: "# environments/dev.yaml\napiVersion: infrac.dev/v1\nkind: Registry\n",
        right: "# environments/dev.yaml\napiVersion: infrac.dev/v1\nkind: Environment\n"
    }
    Schema = "schema" {
        "A value does not match the file's JSON Schema: the wrong type, a value outside its range or pattern, or a missing required field.",
        wrong: "replicas: {min: \"three\"}\n",
        right: "replicas: {min: 3}\n"
    }
    UnknownField = "unknown-field" {
        "A key that the schema does not define; usually a typo.",
        wrong: "replica: {min: 3}\n",
        right: "replicas: {min: 3}\n"
    }
    MissingField = "missing-field" {
        "A field every service needs is set nowhere: not in the service, not in the registry defaults, not in the environment.",
        wrong: "services:\n  cart: {team: shop, namespace: shop, build: {language: go, context: cart}}\n",
        right: "services:\n  cart: {team: shop, namespace: shop, image: shop/cart, build: {language: go, context: cart}}\n"
    }
    EnvironmentFile = "environment-file" {
        "The environments directory holds something that is not an environment overlay: every entry must be a `<name>.yaml` file.",
        wrong: "environments/prod.yml\n",
        right: "environments/prod.yaml\n"
    }
    NoEnvironments = "no-environments" {
        "The environments directory holds no overlay; infrac needs at least one environment to compile.",
        wrong: "environments/   # empty\n",
        right: "environments/dev.yaml\n"
    }
    InvalidName = "invalid-name" {
        "A name that becomes a Kubernetes object or a directory is not a DNS-1123 label (lowercase letters, digits and `-`, starting and ending alphanumeric, at most 63 characters).",
        wrong: "services:\n  Payment_Service: {}\n",
        right: "services:\n  payment-service: {}\n"
    }
    UnknownDependency = "unknown-dependency" {
        "A service depends on a service the registry does not declare.",
        wrong: "dependencies: [acount-service]\n",
        right: "dependencies: [account-service]\n"
    }
    DependencyCycle = "dependency-cycle" {
        "Services depend on each other in a cycle; dependencies must form a directed acyclic graph.",
        wrong: "a: {dependencies: [b]}\nb: {dependencies: [a]}\n",
        right: "a: {dependencies: [b]}\nb: {dependencies: []}\n"
    }
    DisabledDependency = "disabled-dependency" {
        "In some environment a service depends on a service that is disabled there.",
        wrong: "# environments/prod.yaml\nservices:\n  account-service: {enabled: false}   # payment-service depends on it\n",
        right: "# environments/prod.yaml\nservices:\n  account-service: {enabled: true}\n"
    }
    UnknownService = "unknown-service" {
        "An environment overlay or versions.yaml names a service the registry does not declare.",
        wrong: "services:\n  paymnet-service: {replicas: {min: 3}}\n",
        right: "services:\n  payment-service: {replicas: {min: 3}}\n"
    }
    UnknownEnvironment = "unknown-environment" {
        "versions.yaml or a `promotion.from` names an environment that has no file under environments/.",
        wrong: "promotion: {from: stagin}\n",
        right: "promotion: {from: staging}\n"
    }
    PromotionCycle = "promotion-cycle" {
        "Environments promote from each other in a cycle (or from themselves).",
        wrong: "# staging.yaml\npromotion: {from: prod}\n# prod.yaml\npromotion: {from: staging}\n",
        right: "# staging.yaml\npromotion: {from: dev}\n# prod.yaml\npromotion: {from: staging}\n"
    }
    RequestsExceedLimits = "requests-exceed-limits" {
        "A container requests more CPU or memory than its limit allows; Kubernetes rejects such a pod.",
        wrong: "resources: {requests: {cpu: \"2\", memory: 1Gi}, limits: {cpu: \"1\", memory: 1Gi}}\n",
        right: "resources: {requests: {cpu: 500m, memory: 1Gi}, limits: {cpu: \"1\", memory: 1Gi}}\n"
    }
    InvalidQuantity = "invalid-quantity" {
        "A CPU or memory value is not a Kubernetes quantity.",
        wrong: "requests: {cpu: 1 core, memory: 1GB}\n",
        right: "requests: {cpu: \"1\", memory: 1Gi}\n"
    }
    MinExceedsMax = "min-exceeds-max" {
        "A minimum is larger than its maximum (replicas or a node pool), after merging.",
        wrong: "replicas: {min: 10, max: 6}\n",
        right: "replicas: {min: 10, max: 30}\n"
    }
    DuplicatePort = "duplicate-port" {
        "Two ports of a service share a name or a number.",
        wrong: "ports: [{name: http, port: 8080}, {name: admin, port: 8080}]\n",
        right: "ports: [{name: http, port: 8080}, {name: admin, port: 8081}]\n"
    }
    UnknownPort = "unknown-port" {
        "A health check names a port the service does not declare.",
        wrong: "healthCheck: {readiness: {path: /ready, port: htp}}\n",
        right: "healthCheck: {readiness: {path: /ready, port: http}}\n"
    }
    CanarySteps = "canary-steps" {
        "Canary steps must be strictly increasing percentages that end at 100.",
        wrong: "canary: {steps: [10, 50, 25]}\n",
        right: "canary: {steps: [10, 25, 50, 100]}\n"
    }
    CanaryInterval = "canary-interval" {
        "A canary step interval is out of range: it must be between 1s and 24h (a number without leading zeros and a unit `s`, `m` or `h`).",
        wrong: "canary: {steps: [10, 50, 100], interval: 1152921504606846976h}\n",
        right: "canary: {steps: [10, 50, 100], interval: 30m}\n"
    }
    CellWaves = "cell-waves" {
        "An environment's `waves` must name every one of its `cells` exactly once: a wave names an unknown cell, a cell sits in two waves or in none, or `cells` and `waves` are not given together.",
        wrong: "cells: {za-north-1: {}, za-west-1: {}}\nwaves: [[za-north-1]]   # za-west-1 in no wave\n",
        right: "cells: {za-north-1: {}, za-west-1: {}}\nwaves: [[za-north-1], [za-west-1]]\n"
    }
    CellProvider = "cell-provider" {
        "A cell changes `cloud.provider`: a cell is a copy of its environment on another cluster of the same cloud (its region and cluster may change, its provider may not).",
        wrong: "cloud: {provider: azure, region: southafricanorth}\ncells:\n  eu-1: {cloud: {provider: aws, region: eu-west-1}}\n",
        right: "cloud: {provider: azure, region: southafricanorth}\ncells:\n  eu-1: {cloud: {region: westeurope}}\n"
    }
    BakeDuration = "bake-duration" {
        "`bake`, the time a wave must stay healthy before the next, is out of range: between 1s and 168h (7 days), or given without `cells`.",
        wrong: "bake: 9000h\n",
        right: "bake: 30m\n"
    }
    UnknownCell = "unknown-cell" {
        "versions.yaml pins a tag for a cell its environment does not declare under `cells`.",
        wrong: "prod:\n  api: {stable: v1.4.0, cells: {za-nort-1: v1.5.0}}\n",
        right: "prod:\n  api: {stable: v1.4.0, cells: {za-north-1: v1.5.0}}\n"
    }
    MissingCanary = "missing-canary" {
        "A service with `strategy: canary` needs a `rollout.canary` block with its steps.",
        wrong: "rollout: {strategy: canary}\n",
        right: "rollout: {strategy: canary, canary: {steps: [10, 50, 100], interval: 10m}}\n"
    }
    CanaryWithoutStrategy = "canary-without-strategy" {
        "versions.yaml holds a canary (or preview) entry for a service whose rollout strategy in that environment is not canary (or blue-green).",
        wrong: "prod:\n  ledger: {stable: v1.0.0, canary: {tag: v1.1.0, weight: 10}}   # ledger is rolling\n",
        right: "prod:\n  ledger: v1.1.0\n"
    }
    TagPolicy = "tag-policy" {
        "An image tag does not satisfy its environment's `imageTags` policy (branch-sha-timestamp, staging-version or semver).",
        wrong: "# prod uses imageTags: semver\nprod: {payment-service: staging-1.4.0}\n",
        right: "prod: {payment-service: v1.4.0}\n"
    }
    LatestTag = "latest-tag" {
        "`latest` is refused everywhere: tags are immutable, and `latest` is not a version.",
        wrong: "dev: {payment-service: latest}\n",
        right: "dev: {payment-service: main-a1b2c3d-20250823143022}\n"
    }
    MissingTag = "missing-tag" {
        "A service enabled in an environment has no image tag there in versions.yaml.",
        wrong: "environments:\n  dev: {}   # payment-service is enabled in dev\n",
        right: "environments:\n  dev: {payment-service: main-a1b2c3d-20250823143022}\n"
    }
    DisabledTag = "disabled-tag" {
        "versions.yaml holds a tag for a service that is disabled in that environment; the tag is ignored.",
        wrong: "prod: {legacy-report-service: v1.0.0}   # disabled in prod\n",
        right: "prod: {}\n"
    }
    PromotionSource = "promotion-source" {
        "`infrac promote --from A --to B` names a source other than B's `promotion.from` (or B has none): tags move along the promotion path only.",
        wrong: "# prod.yaml: promotion: {from: staging}\ninfrac promote payment-service --from dev --to prod\n",
        right: "infrac promote payment-service --from staging --to prod\n"
    }
    TagTranslation = "tag-translation" {
        "`infrac promote` cannot spell the source tag under the target's `imageTags` policy: a `<branch>-<sha>-<time>` tag carries no X.Y.Z version, a release tag no branch, commit or build time. Pass the target's tag with `--tag`.",
        wrong: "# dev: main-a1b2c3d-20251101143022, staging uses imageTags: staging-version\ninfrac promote payment-service --from dev --to staging\n",
        right: "infrac promote payment-service --from dev --to staging --tag staging-1.6.0\n"
    }
    CanaryInProgress = "canary-in-progress" {
        "A new stable tag was asked for while a canary (or blue-green preview) is in progress: finish it with `infrac canary promote` or `abort` first, or pass `--finish-canary` to replace it.",
        wrong: "# prod: payment-service: {stable: v1.4.0, canary: {tag: v1.5.0, weight: 10}}\ninfrac promote payment-service --from staging --to prod\n",
        right: "infrac canary promote payment-service --env prod\ninfrac promote payment-service --from staging --to prod\n"
    }
    LiteralSecret = "literal-secret" {
        "A secret value is written in the repository. `secrets` hold references into the environment's secret store, and `config` must not carry passwords, tokens or keys.",
        wrong: "config: {DB_PASSWORD: hunter2}\n",
        right: "secrets:\n  DB_PASSWORD: {store: azure-key-vault, path: payments-db, key: password}\n"
    }
    SecretStoreAddress = "secret-store-address" {
        "`secretStore.address` is the server URL of a self-run store: required for `vault` and `infisical`, refused for the cloud stores (they are reached through the cloud's own endpoint).",
        wrong: "secretStore: {type: vault, name: shop-vault}\n",
        right: "secretStore: {type: vault, name: shop-vault, address: \"https://vault.example.com:8200\"}\n"
    }
    UnpinnedClusterVersion = "unpinned-cluster-version" {
        "A warning: an environment that needs approval (or is called `prod`) has no `cluster.version`, so the cloud's default applies (the AKS or EKS default version, GKE's `REGULAR` channel) and can change under it.",
        wrong: "# environments/prod.yaml\ncluster: {name: shop-prod, nodePools: {default: {vmSize: Standard_D8s_v5, min: 3, max: 9}}}\n",
        right: "# environments/prod.yaml\ncluster: {name: shop-prod, version: \"1.31\", nodePools: {default: {vmSize: Standard_D8s_v5, min: 3, max: 9}}}\n"
    }
    SecretStoreMismatch = "secret-store-mismatch" {
        "A secret reference names a store other than its environment's `secretStore.type`.",
        wrong: "# the environment uses secretStore: {type: azure-key-vault}\nsecrets: {API_KEY: {store: vault, path: fx, key: api-key}}\n",
        right: "secrets: {API_KEY: {store: azure-key-vault, path: fx, key: api-key}}\n"
    }
    InfraField = "infra-field" {
        "A backing resource has a field that does not apply to its type (topics are for kafka, exchanges for rabbitmq, brokers for kafka, nodes for elasticsearch).",
        wrong: "db: {type: postgres, topics: [orders]}\n",
        right: "events: {type: kafka, topics: [orders]}\n"
    }
    ReplicaMinimumDrop = "replica-minimum-drop" {
        "Change policy (`plan --base`): a service's replica minimum drops by more than half in an environment whose promotion needs approval. Allow it with `Infrac-Allow: replica-minimum-drop` in the head commit's message when intended.",
        wrong: "# environments/prod.yaml (promotion: {approval: required})\npayment-service:\n  replicas: {min: 4, max: 30}   # was min: 10\n",
        right: "payment-service:\n  replicas: {min: 8, max: 30}   # step down gradually, or allow it in the commit\n"
    }
    StatefulResourceRemoved = "stateful-resource-removed" {
        "Change policy (`plan --base`): a stateful backing resource (a database, a broker, a bucket, a search cluster) is removed or renamed; Terraform destroys it and its data. Allow it with `Infrac-Allow: stateful-resource-removed` when intended.",
        wrong: "infra:\n  orders-db: {type: postgres, version: \"16\"}   # was `db:`: a rename is a new database\n",
        right: "infra:\n  db: {type: postgres, version: \"16\"}\n"
    }
    ServiceDisabled = "service-disabled" {
        "Change policy (`plan --base`): a service is disabled or removed in an environment whose promotion needs approval. Allow it with `Infrac-Allow: service-disabled` when intended.",
        wrong: "# environments/prod.yaml\nservices:\n  payment-service: {enabled: false}\n",
        right: "# disable it in dev and staging first, then in prod with the trailer in the commit message\nservices:\n  payment-service: {}\n"
    }
    CanaryWeightJump = "canary-weight-jump" {
        "Change policy (`plan --base`): a canary's traffic weight jumps past the next step of its `rollout.canary.steps`. Move one step at a time (`infrac canary advance`), or allow it with `Infrac-Allow: canary-weight-jump`.",
        wrong: "# steps: [10, 25, 50]\npayment-service: {stable: v1.4.0, canary: {tag: v1.5.0, weight: 50}}   # was 10\n",
        right: "payment-service: {stable: v1.4.0, canary: {tag: v1.5.0, weight: 25}}\n"
    }
    ImageTagBackwards = "image-tag-backwards" {
        "Change policy (`plan --base`): a stable image tag moves to an older version (by its version numbers, or the timestamp of a branch-sha-timestamp tag). A rollback is sometimes right: allow it with `Infrac-Allow: image-tag-backwards`.",
        wrong: "payment-service: v1.3.0   # was v1.4.0\n",
        right: "payment-service: v1.4.1   # a fix forward\n"
    }
    NameTooLong = "name-too-long" {
        "A generated name (namespace plus the environment's suffix) is longer than Kubernetes allows (63 characters).",
        wrong: "namespace: a-very-long-team-namespace-name-that-goes-on-and-on-and-on\n",
        right: "namespace: payments\n"
    }
    GrpcHttpProbe = "grpc-http-probe" {
        "A warning: a probe with an HTTP `path` names a gRPC port; a pure gRPC server does not answer the HTTP GET, so the probe fails. Without `path` the port gets the native gRPC probe.",
        wrong: "ports: [{name: grpc, port: 9090, protocol: grpc}]\nhealthCheck: {readiness: {path: /healthz, port: grpc}}\n",
        right: "ports: [{name: grpc, port: 9090, protocol: grpc}]\nhealthCheck: {readiness: {port: grpc}}\n"
    }
    OpenSearchZoneNodes = "opensearch-zone-nodes" {
        "An AWS OpenSearch domain with high availability spreads its data nodes over two Availability Zones, which needs an even number of nodes; an odd count fails at apply.",
        wrong: "search: {type: elasticsearch, highAvailability: true, nodes: 3}\n",
        right: "search: {type: elasticsearch, highAvailability: true, nodes: 4}\n"
    }
    KeyVaultName = "key-vault-name" {
        "An Azure Key Vault name is 3 to 24 letters, digits and single dashes, starting with a letter and ending with a letter or digit; another name fails at apply.",
        wrong: "secretStore: {type: azure-key-vault, name: payments-platform-production-kv}\n",
        right: "secretStore: {type: azure-key-vault, name: payments-prod-kv}\n"
    }
    PrivateServicesRange = "private-services-range" {
        "On GCP the private-services range (Cloud SQL, Memorystore) is a sixteenth of the environment's network, and Google needs it to be at least a /24: the network must be a /20 or larger.",
        wrong: "network: {cidr: 10.10.0.0/22}\n",
        right: "network: {cidr: 10.10.0.0/16}\n"
    }
}

impl Code {
    /// Codes only `build`, `plan` and `check` raise, about the output tree rather than the
    /// input files (`validate` never reads the output): covered by `tests/trust.rs` instead
    /// of the invalid-input corpus.
    pub const OUTPUT: &'static [Code] = &[Code::SymlinkInOutput, Code::Manifest];

    /// The change policies: found by `plan --base` on a change, not by `validate` on input.
    pub const CHANGE_POLICIES: [Code; 5] = [
        Code::ReplicaMinimumDrop,
        Code::StatefulResourceRemoved,
        Code::ServiceDisabled,
        Code::CanaryWeightJump,
        Code::ImageTagBackwards,
    ];

    /// Whether this is one of [`Code::CHANGE_POLICIES`].
    pub fn is_change_policy(self) -> bool {
        Self::CHANGE_POLICIES.contains(&self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_documented_and_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            assert!(code.as_str().starts_with("infrac::"));
            assert!(seen.insert(code.as_str()), "{} twice", code.as_str());
            assert!(
                code.summary().len() > 20,
                "{} has no summary",
                code.as_str()
            );
            assert!(!code.wrong().is_empty() && !code.right().is_empty());
            assert_ne!(code.wrong(), code.right());
        }
    }
}
