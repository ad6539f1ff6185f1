//! Synthetic platform generator for the benchmarks, `examples/synth.rs` and the stable
//! fuzzer's seed corpus: N services on Azure with three environments, written as the YAML
//! a platform team would keep (registry.yaml, environments/{dev,staging,prod}.yaml,
//! versions.yaml). With `cells > 0` prod runs as that many cells (SPEC "Cells"): each on
//! its own cluster and region, reached in waves of 1, 2, 4, 8… cells, every other cell with a
//! smaller node pool and a replica override, kafka shared by the cells (`scope: environment`)
//! and a few per-cell pins in `versions.yaml`.
//!
//! Deterministic: a fixed-seed xorshift and no clock, so the same N gives the same bytes.
//! Every platform it generates must validate; it must not depend on anything in `src/`
//! (it is included with `#[path]`, never part of the library).

#![allow(dead_code)]

use std::fmt::Write as _;
use std::io;
use std::path::Path;

/// The seed every caller uses unless it asks for another.
pub const DEFAULT_SEED: u64 = 0x5EED_1AF0_2025_0001;

/// A generated platform repo: relative path → file contents, in writing order.
pub struct Platform {
    pub files: Vec<(String, String)>,
}

impl Platform {
    /// Writes every file under `dir` (creating `dir` and `environments/`).
    pub fn write_to(&self, dir: &Path) -> io::Result<()> {
        for (rel, text) in &self.files {
            let path = dir.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(path, text)?;
        }
        Ok(())
    }

    /// The contents of one file by relative path.
    pub fn file(&self, rel: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|(p, _)| p == rel)
            .map(|(_, t)| t.as_str())
    }
}

/// xorshift64*: small, fast, good enough for choosing shapes.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub fn pick_copy<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const NOUNS: [&str; 24] = [
    "ledger",
    "payment",
    "account",
    "invoice",
    "billing",
    "routing",
    "clearing",
    "fraud",
    "limit",
    "tenant",
    "notify",
    "fx-rate",
    "report",
    "audit",
    "search",
    "catalog",
    "pricing",
    "order",
    "shipping",
    "identity",
    "session",
    "profile",
    "settlement",
    "risk",
];
const TEAMS: [&str; 12] = [
    "payments",
    "accounts",
    "clearing",
    "risk",
    "platform",
    "treasury",
    "reporting",
    "edge",
    "growth",
    "identity",
    "commerce",
    "data",
];
const LANGUAGES: [&str; 6] = ["java", "node", "python", "go", "rust", "dotnet"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Rollout {
    Rolling,
    Canary,
    BlueGreen,
}

/// The shape chosen for one service.
struct Svc {
    name: String,
    team: String,
    language: &'static str,
    deps: Vec<usize>,
    grpc: bool,
    postgres: bool,
    redis: bool,
    kafka: bool,
    exposed: bool,
    rollout: Rollout,
    cpu_request: &'static str,
    memory_request: &'static str,
    cpu_limit: &'static str,
    memory_limit: &'static str,
    min: u64,
    max: u64,
}

/// Generates an N-service platform with the default seed.
pub fn generate(services: usize) -> Platform {
    generate_seeded(services, DEFAULT_SEED)
}

/// Generates an N-service platform (N ≥ 1) from `seed`.
pub fn generate_seeded(services: usize, seed: u64) -> Platform {
    generate_with(services, seed, 0)
}

/// Generates an N-service platform (N ≥ 1) from `seed` whose prod runs as `cells` cells
/// (0: no `cells:` at all, the platform [`generate_seeded`] writes, byte for byte).
pub fn generate_with(services: usize, seed: u64, cells: usize) -> Platform {
    let n = services.max(1);
    let cells = cell_shapes(&format!("synth-{n}"), cells);
    let mut rng = Rng::new(seed);
    let svcs: Vec<Svc> = (0..n).map(|i| choose_service(i, n, &mut rng)).collect();
    let name = format!("synth-{n}");
    let disabled_in_prod = (n >= 2).then_some(n - 1);
    let mut files = vec![(
        "registry.yaml".to_owned(),
        registry_yaml(&name, &svcs, !cells.is_empty()),
    )];
    for env in ENVS {
        let disabled = if env.name == "prod" {
            disabled_in_prod
        } else {
            None
        };
        let mut text = environment_yaml(&name, &env, &svcs, disabled, &mut rng);
        if env.name == "prod" {
            cells_yaml(&mut text, &cells, &svcs, disabled);
        }
        files.push((format!("environments/{}.yaml", env.name), text));
    }
    files.push((
        "versions.yaml".to_owned(),
        versions_yaml(&svcs, disabled_in_prod, &cells, &mut rng),
    ));
    Platform { files }
}

fn choose_service(i: usize, n: usize, rng: &mut Rng) -> Svc {
    let teams = (n / 20).max(1);
    let t = i * teams / n;
    let team = match t / TEAMS.len() {
        0 => TEAMS[t].to_owned(),
        k => format!("{}-{}", TEAMS[t % TEAMS.len()], k + 1),
    };
    // Each service calls 0–4 distinct lower-numbered ones: a DAG by construction.
    let want = rng.below(5).min(i as u64) as usize;
    let mut deps: Vec<usize> = Vec::with_capacity(want);
    while deps.len() < want {
        let d = rng.below(i as u64) as usize;
        if !deps.contains(&d) {
            deps.push(d);
        }
    }
    deps.sort_unstable();
    // The last service is disabled in prod: keep it plain so nothing else refers to it.
    let last = i + 1 == n && n >= 2;
    let roll = rng.below(100);
    let rollout = match roll {
        _ if last => Rollout::Rolling,
        0..=4 => Rollout::Canary,
        5..=7 => Rollout::BlueGreen,
        _ => Rollout::Rolling,
    };
    let big = rng.chance(30);
    Svc {
        name: format!("{}-{i:04}", NOUNS[i % NOUNS.len()]),
        team,
        language: rng.pick_copy(&LANGUAGES),
        deps,
        grpc: rng.chance(15),
        postgres: rng.chance(70),
        redis: rng.chance(20),
        kafka: rng.chance(20),
        exposed: !last && rng.chance(3),
        rollout,
        cpu_request: if big {
            "500m"
        } else {
            rng.pick_copy(&["100m", "250m"])
        },
        memory_request: if big {
            "768Mi"
        } else {
            rng.pick_copy(&["256Mi", "512Mi"])
        },
        cpu_limit: if big { "2" } else { "1" },
        memory_limit: if big { "2Gi" } else { "1Gi" },
        min: 2 + rng.below(2),
        max: 4 + rng.below(7),
    }
}

fn registry_yaml(platform: &str, svcs: &[Svc], celled: bool) -> String {
    let mut s = String::with_capacity(svcs.len() * 1200);
    let _ = write!(
        s,
        "# yaml-language-server: $schema=./schemas/registry.schema.json\n\
         #\n# Synthetic platform: {n} services, generated by `cargo run --example synth`.\n\
         apiVersion: infrac.dev/v1\nkind: Registry\n\n\
         platform:\n  name: {platform}\n  imageRegistry: {acr}acr.azurecr.io\n  \
         gitops: {{repository: github.com/{platform}/gitops, branch: main}}\n  ci: [github, azure-pipelines]\n\n\
         defaults:\n  replicas: {{min: 2, max: 6, targetCPU: 70}}\n  \
         resources: {{requests: {{cpu: 250m, memory: 256Mi}}, limits: {{cpu: \"1\", memory: 1Gi}}}}\n  \
         rollout: {{strategy: rolling, maxSurge: 25%, maxUnavailable: 0}}\n\nservices:\n",
        n = svcs.len(),
        acr = platform.replace('-', ""),
    );
    for svc in svcs {
        service_yaml(&mut s, platform, svc, svcs, celled);
    }
    s
}

fn service_yaml(s: &mut String, platform: &str, svc: &Svc, all: &[Svc], celled: bool) {
    let name = &svc.name;
    let _ = writeln!(
        s,
        "  {name}:\n    team: {t}\n    namespace: {t}",
        t = svc.team
    );
    let _ = writeln!(
        s,
        "    image: {platform}/{name}\n    build: {{language: {}, context: services/{name}}}",
        svc.language
    );
    s.push_str("    ports:\n      - {name: http, port: 8080, protocol: http}\n");
    if svc.grpc {
        s.push_str("      - {name: grpc, port: 9090, protocol: grpc}\n");
    }
    let _ = writeln!(
        s,
        "    replicas: {{min: {}, max: {}, targetCPU: 70}}",
        svc.min, svc.max
    );
    let _ = writeln!(
        s,
        "    resources: {{requests: {{cpu: {}, memory: {}}}, limits: {{cpu: \"{}\", memory: {}}}}}",
        svc.cpu_request, svc.memory_request, svc.cpu_limit, svc.memory_limit
    );
    let (ready, live) = match svc.language {
        "java" => ("/actuator/health/readiness", "/actuator/health/liveness"),
        _ => ("/healthz/ready", "/healthz/live"),
    };
    s.push_str("    healthCheck:\n");
    if svc.grpc {
        s.push_str("      readiness: {port: grpc, initialDelaySeconds: 10}\n");
    } else {
        let _ = writeln!(
            s,
            "      readiness: {{path: {ready}, port: http, initialDelaySeconds: 10}}"
        );
    }
    let _ = writeln!(
        s,
        "      liveness:  {{path: {live}, port: http, initialDelaySeconds: 30}}"
    );
    let prefix = name.to_ascii_uppercase().replace('-', "_");
    let _ = writeln!(
        s,
        "    config:\n      LOG_LEVEL: INFO\n      {prefix}_TIMEOUT_MS: {}\n      FEATURE_BATCHING: {}",
        1000 + name.len() * 100,
        svc.deps.len().is_multiple_of(2)
    );
    let _ = writeln!(
        s,
        "    secrets:\n      UPSTREAM_API_KEY: {{store: azure-key-vault, path: {name}, key: api-key}}"
    );
    if !svc.deps.is_empty() {
        let names: Vec<&str> = svc.deps.iter().map(|&d| all[d].name.as_str()).collect();
        let _ = writeln!(s, "    dependencies: [{}]", names.join(", "));
    }
    if svc.postgres || svc.redis || svc.kafka {
        s.push_str("    infra:\n");
        if svc.postgres {
            s.push_str("      db:     {type: postgres, version: \"16\"}\n");
        }
        if svc.redis {
            s.push_str("      cache:  {type: redis, version: \"7.2\"}\n");
        }
        if svc.kafka {
            let _ = writeln!(
                s,
                "      events: {{type: kafka, topics: [{name}-created, {name}-updated]{}}}",
                // The cells of prod share one event bus, in the environment's root.
                if celled { ", scope: environment" } else { "" }
            );
        }
    }
    if svc.exposed {
        let _ = writeln!(
            s,
            "    expose: {{host: api.{platform}.example.com, path: /{name}, gateway: istio-ingress/public}}"
        );
    }
    match svc.rollout {
        Rollout::Rolling => {}
        Rollout::Canary => s.push_str(
            "    rollout:\n      strategy: canary\n      canary:\n        steps: [10, 25, 50, 100]\n        interval: 10m\n        \
             header: {name: x-canary, value: \"true\"}\n        analysis: {maxErrorRate: 0.01, maxLatencyP95Ms: 250}\n",
        ),
        Rollout::BlueGreen => s.push_str("    rollout: {strategy: blue-green}\n"),
    }
    s.push('\n');
}

/// What differs between the three environments.
struct EnvShape {
    name: &'static str,
    cidr: &'static str,
    suffix: &'static str,
    promotion: &'static str,
    tags: &'static str,
    defaults: &'static str,
    infra: &'static str,
    pool: &'static str,
}

const ENVS: [EnvShape; 3] = [
    EnvShape {
        name: "dev",
        cidr: "10.10.0.0/16",
        suffix: "-dev",
        promotion: "",
        tags: "branch-sha-timestamp",
        defaults: "  replicas: {min: 1, max: 1}\n  resources: {requests: {cpu: 100m, memory: 256Mi}, limits: {cpu: 500m, memory: 768Mi}}\n  config: {LOG_LEVEL: DEBUG}\n",
        infra: "  postgres: {sku: B_Standard_B1ms, storageGb: 32, backupRetentionDays: 7, highAvailability: false}\n  redis:    {sku: Basic_C0, highAvailability: false}\n  kafka:    {sku: Standard, brokers: 1}\n",
        pool: "{vmSize: Standard_D4s_v3, min: 2, max: 10}",
    },
    EnvShape {
        name: "staging",
        cidr: "10.15.0.0/16",
        suffix: "-staging",
        promotion: "promotion: {from: dev, approval: none}\n",
        tags: "staging-version",
        defaults: "  replicas: {min: 2}\n",
        infra: "  postgres: {sku: GP_Standard_D2s_v3, storageGb: 128, backupRetentionDays: 14, highAvailability: false}\n  redis:    {sku: Standard_C1, highAvailability: true}\n  kafka:    {sku: Standard, brokers: 2}\n",
        pool: "{vmSize: Standard_D8s_v3, min: 3, max: 30, labels: {workload: general}}",
    },
    EnvShape {
        name: "prod",
        cidr: "10.20.0.0/16",
        suffix: "",
        promotion: "promotion: {from: staging, approval: required}\n",
        tags: "semver",
        defaults: "  replicas: {min: 3}\n",
        infra: "  postgres: {sku: GP_Standard_D4s_v3, storageGb: 512, backupRetentionDays: 35, highAvailability: true}\n  redis:    {sku: Premium_P1, highAvailability: true}\n  kafka:    {sku: Premium, brokers: 3, highAvailability: true}\n",
        pool: "{vmSize: Standard_D8s_v3, min: 6, max: 60, labels: {workload: general}}",
    },
];

fn environment_yaml(
    platform: &str,
    env: &EnvShape,
    svcs: &[Svc],
    disabled: Option<usize>,
    rng: &mut Rng,
) -> String {
    let e = env.name;
    let mut s = String::with_capacity(4096 + svcs.len() * 20);
    let _ = write!(
        s,
        "# yaml-language-server: $schema=../schemas/environment.schema.json\n\
         apiVersion: infrac.dev/v1\nkind: Environment\n\n\
         cloud: {{provider: azure, region: southafricanorth}}\n\
         cluster:\n  name: {platform}-{e}-aks\n  version: \"1.31\"\n  nodePools:\n    default: {pool}\n\
         terraform:\n  backend:\n    type: azurerm\n    config:\n      resource_group_name: terraform-state-rg\n      \
         storage_account_name: {acr}state\n      container_name: tfstate\n      key: {e}.tfstate\n\
         secretStore: {{type: azure-key-vault, name: {platform}-{e}-kv}}\n\
         network: {{cidr: {cidr}}}\nmonitoring: {{prometheusUrl: http://prometheus.monitoring:9090}}\n\n\
         namespaceSuffix: \"{suffix}\"\n{promotion}imageTags: {tags}\n\ndefaults:\n{defaults}\ninfraDefaults:\n{infra}\nservices:\n",
        pool = env.pool,
        acr = platform.replace('-', ""),
        cidr = env.cidr,
        suffix = env.suffix,
        promotion = env.promotion,
        tags = env.tags,
        defaults = env.defaults,
        infra = env.infra,
    );
    let mut any = false;
    for (i, svc) in svcs.iter().enumerate() {
        if Some(i) == disabled {
            let _ = writeln!(s, "  {}: {{enabled: false}}", svc.name);
            any = true;
        } else if rng.chance(10) {
            let _ = writeln!(s, "  {}:\n    {}", svc.name, override_for(e, svc, rng));
            any = true;
        }
    }
    if !any {
        s.truncate(s.len() - "services:\n".len());
    }
    s
}

/// One environment override, shaped like the ones teams write by hand.
fn override_for(env: &str, svc: &Svc, rng: &mut Rng) -> String {
    match (env, rng.below(3)) {
        ("dev", _) => "config: {LOG_LEVEL: TRACE, FEATURE_BATCHING: false}".to_owned(),
        ("staging", 0) => format!("replicas: {{min: {}, max: {}}}", svc.max, svc.max + 4),
        ("prod", 0) => format!("replicas: {{min: {}, max: {}}}", svc.max, svc.max * 3),
        (_, 1) => "resources: {limits: {memory: 4Gi}}".to_owned(),
        _ => format!(
            "config: {{LOG_LEVEL: WARN, {}_POOL_SIZE: 32}}",
            svc.name.to_ascii_uppercase().replace('-', "_")
        ),
    }
}

fn versions_yaml(
    svcs: &[Svc],
    disabled_in_prod: Option<usize>,
    cells: &[CellShape],
    rng: &mut Rng,
) -> String {
    let mut s = String::with_capacity(svcs.len() * 120);
    s.push_str("# yaml-language-server: $schema=./schemas/versions.schema.json\napiVersion: infrac.dev/v1\nkind: Versions\nenvironments:\n  dev:\n");
    for svc in svcs {
        let branch = if rng.chance(20) { "develop" } else { "main" };
        let sha = rng.next_u64() & 0x0FFF_FFFF;
        let (day, hour, minute) = (1 + rng.below(28), rng.below(24), rng.below(60));
        let _ = writeln!(
            s,
            "    {}: {branch}-{sha:07x}-202511{day:02}{hour:02}{minute:02}{:02}",
            svc.name,
            rng.below(60)
        );
    }
    s.push_str("  staging:\n");
    let versions: Vec<(u64, u64, u64)> = svcs
        .iter()
        .map(|_| (rng.below(3), rng.below(20), rng.below(10)))
        .collect();
    for (svc, (x, y, z)) in svcs.iter().zip(&versions) {
        let _ = match svc.rollout {
            Rollout::BlueGreen => writeln!(
                s,
                "    {}: {{stable: staging-{x}.{y}.{z}, preview: staging-{x}.{}.0}}",
                svc.name,
                y + 1
            ),
            _ => writeln!(s, "    {}: staging-{x}.{y}.{z}", svc.name),
        };
    }
    s.push_str("  prod:\n");
    for (i, (svc, (x, y, z))) in svcs.iter().zip(&versions).enumerate() {
        if Some(i) == disabled_in_prod {
            continue;
        }
        let _ = match svc.rollout {
            Rollout::Canary => {
                let weight = rng.pick(&[10, 25, 50]);
                writeln!(
                    s,
                    "    {}: {{stable: v{x}.{y}.{z}, canary: {{tag: v{x}.{}.0, weight: {weight}}}}}",
                    svc.name,
                    y + 1
                )
            }
            // Every 50th rolling service has a newer tag pinned in the first cell, as when a
            // rollout is on its first wave.
            Rollout::Rolling if !cells.is_empty() && i % 50 == 7 => writeln!(
                s,
                "    {}: {{stable: v{x}.{y}.{z}, cells: {{{}: v{x}.{}.0}}}}",
                svc.name,
                cells[0].name,
                y + 1
            ),
            _ => writeln!(s, "    {}: v{x}.{y}.{z}", svc.name),
        };
    }
    s
}

/// One cell of prod.
struct CellShape {
    name: String,
    region: &'static str,
    cluster: String,
    /// Every other cell is a smaller one: its own node pool and fewer replicas of one service.
    small: bool,
}

/// The regions the cells spread over: (cell name prefix, cluster abbreviation, Azure region).
const CELL_REGIONS: [(&str, &str, &str); 5] = [
    ("za-north", "zan", "southafricanorth"),
    ("za-west", "zaw", "southafricawest"),
    ("eu-west", "euw", "westeurope"),
    ("eu-north", "eun", "northeurope"),
    ("uk-south", "uks", "uksouth"),
];

fn cell_shapes(platform: &str, cells: usize) -> Vec<CellShape> {
    (0..cells)
        .map(|i| {
            let (prefix, abbr, region) = CELL_REGIONS[i % CELL_REGIONS.len()];
            let k = i / CELL_REGIONS.len() + 1;
            CellShape {
                name: format!("{prefix}-{k}"),
                region,
                cluster: format!("{platform}-prod-{abbr}{k}-aks"),
                small: i % 2 == 1,
            }
        })
        .collect()
}

/// Appends `cells:`, `waves:` and `bake:` to prod's file (nothing without cells).
fn cells_yaml(s: &mut String, cells: &[CellShape], svcs: &[Svc], disabled: Option<usize>) {
    if cells.is_empty() {
        return;
    }
    s.push_str("\ncells:\n");
    // The services a small cell runs with fewer replicas: never the one disabled in prod.
    let enabled = svcs.len() - usize::from(disabled.is_some());
    for (i, cell) in cells.iter().enumerate() {
        let _ = writeln!(
            s,
            "  {}:\n    cloud: {{region: {}}}\n    cluster:\n      name: {}",
            cell.name, cell.region, cell.cluster
        );
        if cell.small {
            let svc = &svcs[(i * 37) % enabled];
            let _ = writeln!(
                s,
                "      nodePools:\n        default: {{vmSize: Standard_D8s_v3, min: 3, max: 20, labels: {{workload: general}}}}\n    \
                 services:\n      {}:\n        replicas: {{min: 2, max: {}}}",
                svc.name, svc.max
            );
        }
    }
    // Waves of 1, 2, 4, 8… cells: the first cell alone, then ever wider.
    let mut waves = Vec::new();
    let (mut start, mut width) = (0, 1);
    while start < cells.len() {
        let end = (start + width).min(cells.len());
        let names: Vec<&str> = cells[start..end].iter().map(|c| c.name.as_str()).collect();
        waves.push(format!("[{}]", names.join(", ")));
        start = end;
        width *= 2;
    }
    let _ = writeln!(s, "waves: [{}]\nbake: 30m", waves.join(", "));
}
