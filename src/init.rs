//! `infrac init`: the files of a small working platform repo — two services with a
//! dependency, one backing resource, dev/staging/prod, versions, infrac.toml, pre-commit
//! config, .gitignore and the JSON Schemas the inputs' `yaml-language-server` modelines
//! name — for a chosen cloud and CI system. Pure: returns the files; the command writes
//! them (never over an existing file).

use crate::model::{CiSystem, CloudProvider};
use crate::validate::schema::SchemaKind;

/// The repository pre-commit installs infrac's hooks from: a small hook repository that
/// depends on the published wheel (as ruff-pre-commit does for ruff), so no hook compiles.
pub const PRE_COMMIT_REPOSITORY: &str = "https://github.com/infrac-dev/infrac-pre-commit";

/// What `init` scaffolds.
pub struct InitChoice {
    pub name: String,
    pub cloud: CloudProvider,
    pub ci: CiSystem,
    /// How many cells prod runs as (SPEC "Cells"); 0: prod is one cluster.
    pub cells: u8,
}

/// The default CI system for a cloud: the one its teams most often run.
pub fn default_ci(cloud: CloudProvider) -> CiSystem {
    match cloud {
        CloudProvider::Aws => CiSystem::Github,
        CloudProvider::Azure => CiSystem::AzurePipelines,
        CloudProvider::Gcp => CiSystem::Gitlab,
    }
}

/// The cloud-specific parts of the scaffold.
struct CloudBits {
    provider: &'static str,
    region: &'static str,
    vm: &'static str,
    store: &'static str,
    backend: String,
    /// `platform.imageRegistry`: the host and any path before the image name.
    registry: String,
    /// What a service's `image` starts with, below `registry` (`<name>/` where the registry
    /// is a bare host, nothing where the registry already names the repository).
    image_prefix: String,
    sku_small: &'static str,
    sku_prod: &'static str,
}

fn cloud_bits(name: &str, cloud: CloudProvider) -> CloudBits {
    let compact = name.replace('-', "");
    match cloud {
        CloudProvider::Aws => CloudBits {
            provider: "aws",
            region: "eu-west-1",
            vm: "m6i.large",
            store: "aws-secrets-manager",
            backend: format!(
                "{{type: s3, config: {{bucket: {name}-tfstate, key: ENV.tfstate, region: eu-west-1, dynamodb_table: {name}-tflock, encrypt: true}}}}"
            ),
            // ECR: one repository per image (`<name>/api`) under the account's registry host.
            registry: "123456789012.dkr.ecr.eu-west-1.amazonaws.com".to_owned(),
            image_prefix: format!("{name}/"),
            sku_small: "db.t4g.micro",
            sku_prod: "db.r6g.large",
        },
        CloudProvider::Azure => CloudBits {
            provider: "azure",
            region: "westeurope",
            vm: "Standard_D4s_v5",
            store: "azure-key-vault",
            backend: format!(
                "{{type: azurerm, config: {{resource_group_name: {name}-tfstate, storage_account_name: {compact}tfstate, container_name: tfstate, key: ENV.tfstate}}}}"
            ),
            registry: format!("{compact}.azurecr.io"),
            image_prefix: format!("{name}/"),
            sku_small: "B_Standard_B1ms",
            sku_prod: "GP_Standard_D2s_v3",
        },
        CloudProvider::Gcp => CloudBits {
            provider: "gcp",
            region: "europe-west1",
            vm: "e2-standard-4",
            store: "gcp-secret-manager",
            backend: format!("{{type: gcs, config: {{bucket: {name}-tfstate, prefix: ENV}}}}"),
            // Artifact Registry: `<location>-docker.pkg.dev/<project>/<repository>/<image>`.
            registry: format!("europe-west1-docker.pkg.dev/{name}/images"),
            image_prefix: String::new(),
            sku_small: "db-custom-1-3840",
            sku_prod: "db-custom-4-15360",
        },
    }
}

fn ci_name(ci: CiSystem) -> &'static str {
    match ci {
        CiSystem::Github => "github",
        CiSystem::Gitlab => "gitlab",
        CiSystem::AzurePipelines => "azure-pipelines",
        CiSystem::Jenkins => "jenkins",
    }
}

/// Every file of the scaffold, as `(path, contents)`, sorted by path.
pub fn scaffold(choice: &InitChoice) -> Vec<(String, String)> {
    let name = &choice.name;
    let bits = cloud_bits(name, choice.cloud);
    let mut files = vec![
        ("infrac.toml".to_owned(), infrac_toml(choice.ci)),
        (
            ".gitignore".to_owned(),
            "*.tfplan\n.terraform/\n".to_owned(),
        ),
        (".pre-commit-config.yaml".to_owned(), pre_commit()),
        (
            "registry.yaml".to_owned(),
            registry(name, &bits, ci_name(choice.ci)),
        ),
        ("versions.yaml".to_owned(), VERSIONS.to_owned()),
    ];
    for kind in SchemaKind::ALL {
        files.push((schema_path(kind), kind.text().to_owned()));
    }
    for (index, env) in ["dev", "staging", "prod"].into_iter().enumerate() {
        let mut text = environment(name, &bits, env, index);
        if env == "prod" {
            text.push_str(&cells(name, choice.cells));
        }
        files.push((format!("environments/{env}.yaml"), text));
    }
    files.sort();
    files
}

fn infrac_toml(ci: CiSystem) -> String {
    let output = match ci {
        CiSystem::Github => "github = \".github/workflows\"\n",
        CiSystem::Gitlab => "gitlab = \".gitlab-ci.yml\"\n",
        // Azure Pipelines and Jenkins read a pipeline from any path you register: they stay
        // under golden/ci/.
        CiSystem::AzurePipelines => {
            "# azure-pipelines: register golden/ci/azure-pipelines/*.yml as pipelines\n"
        }
        CiSystem::Jenkins => "# jenkins: point each job at golden/ci/jenkins/Jenkinsfile.<name>\n",
    };
    format!(
        "# infrac settings; every path is relative to this file.\nregistry = \"registry.yaml\"\nenvironments = \"environments\"\nversions = \"versions.yaml\"\nout = \"golden\"\n\n# CI systems run pipelines only from their own places.\n[output]\n{output}"
    )
}

/// Where the schema of `kind` is written, relative to the repo root.
fn schema_path(kind: SchemaKind) -> String {
    format!("schemas/{}.schema.json", kind.name())
}

/// The `yaml-language-server` modeline of a file `depth` directories below the root: editors
/// with the YAML language server then complete and check it against the written schema.
fn modeline(kind: SchemaKind, depth: usize) -> String {
    let up = if depth == 0 {
        "./".to_owned()
    } else {
        "../".repeat(depth)
    };
    format!(
        "# yaml-language-server: $schema={up}{}\n",
        schema_path(kind)
    )
}

/// The hooks of the hook repository at this release (installed from the wheel: no Rust).
fn pre_commit() -> String {
    format!(
        "# Runs infrac before each commit (https://pre-commit.com): validate the inputs, rebuild
# the golden tree, and fail when it was stale.
repos:
  - repo: {PRE_COMMIT_REPOSITORY}
    rev: v{version}
    hooks:
      - id: infrac-validate
      - id: infrac-build
      - id: infrac-check
",
        version = env!("CARGO_PKG_VERSION")
    )
}

const VERSIONS: &str = "# yaml-language-server: $schema=./schemas/versions.schema.json
# Image tags per environment; CI writes this file with `infrac set-image` and `infrac promote`.
apiVersion: infrac.dev/v1
kind: Versions
environments:
  dev:
    web: main-0000000-20250101000000
    api: main-0000000-20250101000000
  staging:
    web: staging-0.1.0
    api: staging-0.1.0
  prod:
    web: v0.1.0
    api: v0.1.0
";

fn registry(name: &str, bits: &CloudBits, ci: &str) -> String {
    format!(
        "{modeline}# The service registry: every service once; environments/ override per environment.
apiVersion: infrac.dev/v1
kind: Registry
platform:
  name: {name}
  imageRegistry: {registry}
  gitops: {{repository: github.com/example/{name}, branch: main}}
  ci: [{ci}]
defaults:
  replicas: {{min: 2, max: 4, targetCPU: 70}}
  resources: {{requests: {{cpu: 100m, memory: 128Mi}}, limits: {{cpu: 500m, memory: 512Mi}}}}
  rollout: {{strategy: rolling, maxSurge: 25%, maxUnavailable: 0}}
services:
  web:
    team: frontend
    namespace: web
    image: {prefix}web
    build: {{language: node, context: services/web}}
    ports: [{{name: http, port: 3000, protocol: http}}]
    healthCheck:
      readiness: {{path: /healthz, port: http}}
      liveness: {{path: /healthz, port: http, initialDelaySeconds: 10}}
    dependencies: [api]
    expose: {{host: www.example.com, path: /, gateway: istio-ingress/public}}
  api:
    team: backend
    namespace: backend
    image: {prefix}api
    build: {{language: go, context: services/api}}
    ports: [{{name: http, port: 8080, protocol: http}}]
    healthCheck:
      readiness: {{path: /ready, port: http}}
      liveness: {{path: /live, port: http, initialDelaySeconds: 10}}
    config: {{LOG_LEVEL: info}}
    infra:
      db: {{type: postgres, version: \"16\"}}
",
        modeline = modeline(SchemaKind::Registry, 0),
        registry = bits.registry,
        prefix = bits.image_prefix,
    )
}

/// Per-environment sizes: dev small, staging in between, prod highly available.
struct Size {
    suffix: &'static str,
    policy: &'static str,
    replicas: &'static str,
    pool: (u32, u32),
    prod_like: bool,
    storage: u32,
    backups: u32,
}

const SIZES: [Size; 3] = [
    Size {
        suffix: "-dev",
        policy: "branch-sha-timestamp",
        replicas: "{min: 1, max: 1}",
        pool: (1, 3),
        prod_like: false,
        storage: 32,
        backups: 7,
    },
    Size {
        suffix: "-staging",
        policy: "staging-version",
        replicas: "{min: 2, max: 3}",
        pool: (2, 4),
        prod_like: false,
        storage: 64,
        backups: 7,
    },
    Size {
        suffix: "",
        policy: "semver",
        replicas: "{min: 3, max: 6}",
        pool: (3, 9),
        prod_like: true,
        storage: 128,
        backups: 30,
    },
];

fn environment(name: &str, bits: &CloudBits, env: &str, index: usize) -> String {
    let size = &SIZES[index.min(2)];
    let promotion = match index {
        0 => String::new(),
        1 => "promotion: {from: dev, approval: none}\n".to_owned(),
        _ => "promotion: {from: staging, approval: required}\n".to_owned(),
    };
    let sku = if size.prod_like {
        bits.sku_prod
    } else {
        bits.sku_small
    };
    format!(
        "{modeline}apiVersion: infrac.dev/v1
kind: Environment
cloud: {{provider: {provider}, region: {region}}}
cluster: {{name: {name}-{env}, version: \"1.31\", nodePools: {{default: {{vmSize: {vm}, min: {pmin}, max: {pmax}}}}}}}
terraform:
  backend: {backend}
secretStore: {{type: {store}, name: {name}-{env}{store_extra}}}
network: {{cidr: 10.{net}.0.0/16}}
namespaceSuffix: \"{suffix}\"
{promotion}imageTags: {policy}
defaults:
  replicas: {replicas}
infraDefaults:
  postgres: {{sku: {sku}, storageGb: {storage}, backupRetentionDays: {backups}, highAvailability: {ha}}}
services:
  # web reaches api in this environment's namespace (backend{suffix}).
  web: {{config: {{API_URL: http://api.backend{suffix}.svc.cluster.local:8080}}}}
",
        modeline = modeline(SchemaKind::Environment, 1),
        provider = bits.provider,
        region = bits.region,
        vm = bits.vm,
        pmin = size.pool.0,
        pmax = size.pool.1,
        backend = bits.backend.replace("ENV", env),
        store = bits.store,
        // GCP Secret Manager names its project (the one the registry path names).
        store_extra = if bits.store == "gcp-secret-manager" {
            format!(", project: {name}")
        } else {
            String::new()
        },
        net = 10 + index * 10,
        suffix = size.suffix,
        policy = size.policy,
        replicas = size.replicas,
        storage = size.storage,
        backups = size.backups,
        ha = size.prod_like,
    )
}

/// prod's `cells`, `waves` and `bake` for `count` cells (nothing for 0): each cell its own
/// cluster (and its own state key, derived); the first cell alone in the first wave, the
/// others in the second.
fn cells(name: &str, count: u8) -> String {
    if count == 0 {
        return String::new();
    }
    let mut out = String::from(
        "# prod runs as cells, each a copy of prod on its own cluster (its fields override the\n\
         # ones above); a new version reaches them wave by wave (`infrac rollout advance`).\n\
         cells:\n",
    );
    let names: Vec<String> = (1..=count).map(|i| format!("cell-{i}")).collect();
    for (i, cell) in names.iter().enumerate() {
        out.push_str(&format!(
            "  {cell}: {{cluster: {{name: {name}-prod-{}}}}}\n",
            i + 1
        ));
    }
    let mut waves = vec![format!("[{}]", names[0])];
    if names.len() > 1 {
        waves.push(format!("[{}]", names[1..].join(", ")));
    }
    out.push_str(&format!("waves: [{}]\nbake: 30m\n", waves.join(", ")));
    out
}
