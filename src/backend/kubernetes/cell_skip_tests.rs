//! The cell overlays skipped by [`super::cells::overlay_inputs_equal`] are exactly those that
//! render as the environment's: every celled platform, and every field a cell can change
//! mutated in turn, compiles to the same files with the skip as with every cell's overlay
//! rendered and compared. A renderer that starts reading an environment field the audit
//! leaves out fails here, on the mutation of that field.

use super::emit_with;
use crate::model::{
    CloudProvider, Environment, InfraType, Model, NodePool, Promotion, SecretStoreKind, Sizing,
    TagPolicy,
};
use std::path::Path;

type Rendered = Result<Vec<(String, String)>, String>;

fn render(model: &Model, skip: bool) -> Rendered {
    emit_with(model, skip)
        .map(|files| files.into_iter().map(|f| (f.path, f.contents)).collect())
        .map_err(|e| e.to_string())
}

/// The same files with and without the skip; `what` names the case on failure.
fn assert_skip_exact(model: &Model, what: &str) {
    let full = render(model, false);
    let skipped = render(model, true);
    if full == skipped {
        return;
    }
    let (Ok(full), Ok(skipped)) = (&full, &skipped) else {
        panic!("{what}: with the skip {skipped:?}, without {full:?}");
    };
    let first = full
        .iter()
        .zip(skipped)
        .find(|(a, b)| a != b)
        .map(|(a, b)| format!("{}\n{}\n--- with the skip: {}\n{}", a.0, a.1, b.0, b.1));
    panic!(
        "{what}: the skip changes the output ({} files without, {} with); first difference:\n{}",
        full.len(),
        skipped.len(),
        first.unwrap_or_default()
    );
}

/// [`assert_skip_exact`] for cell `c` of environment `e` alone, quicker: the overlays of
/// every service in that cell, as [`super::cells::cell_overlays`] returns them with the skip
/// and without (the only place the skip acts).
fn assert_cell_skip_exact(model: &Model, e: usize, c: usize, what: &str) {
    let mut env = model.environments[e].clone();
    env.cells = vec![env.cells[c].clone()];
    for (name, registry) in &model.registry_services {
        let (_, base) = super::base::emit_base(model, registry);
        let own = env
            .services
            .get(name)
            .map(|s| super::overlay::emit_overlay(model, &env, s, &base))
            .transpose()
            .unwrap();
        let cell = |skip| {
            super::cells::cell_overlays(model, &env, name, own.as_deref(), &base, skip)
                .map(|o| format!("{o:?}"))
                .map_err(|e| e.to_string())
        };
        let (full, skipped) = (cell(false), cell(true));
        assert!(
            full == skipped,
            "{what}: the skip changes the overlay of {name}:\nwithout {full:?}\nwith {skipped:?}"
        );
    }
}

fn model_of(root: &Path) -> Model {
    let frontend = crate::pipeline::run_frontend(root);
    frontend.model.unwrap_or_else(|| {
        panic!(
            "{}: {}",
            root.display(),
            crate::diagnostic::render::text(&frontend.diagnostics, &frontend.sources, false)
        )
    })
}

fn celled_platforms() -> Vec<(String, Model)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = vec![("the example".to_owned(), model_of(root))];
    let fixtures = root.join("tests/fixtures/valid");
    let mut dirs: Vec<_> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    for dir in dirs {
        let model = model_of(&dir);
        if model.environments.iter().any(|e| !e.cells.is_empty()) {
            out.push((dir.display().to_string(), model));
        }
    }
    assert!(out.len() >= 2, "the example and a celled fixture");
    out
}

/// A change of one environment field of a cell.
type Mutation = (&'static str, fn(&mut Environment));

/// One mutation per field of [`Environment`] a cell can change (the cell's `name` is its
/// environment's by construction; `cells`, `waves`, `bake` are the environment's only).
/// The destructuring lists every field, so a new one does not compile until it is here.
fn field_mutations() -> Vec<Mutation> {
    fn _every_field_is_listed(env: Environment) {
        let Environment {
            name: _,
            cloud: _,
            cluster: _,
            terraform: _,
            secret_store: _,
            network: _,
            monitoring: _,
            namespace_suffix: _,
            promotion: _,
            image_tags: _,
            infra_defaults: _,
            services: _,
            disabled: _,
            cells: _,
            waves: _,
            bake: _,
            cell: _,
            dependents: _,
        } = env;
    }
    vec![
        ("cloud.provider", |e| {
            e.cloud.provider = match e.cloud.provider {
                CloudProvider::Aws => CloudProvider::Gcp,
                CloudProvider::Azure | CloudProvider::Gcp => CloudProvider::Aws,
            }
        }),
        ("cloud.region", |e| e.cloud.region.push('x')),
        ("cluster.name", |e| e.cluster.name.push_str("-other")),
        ("cluster.version", |e| {
            e.cluster.version = Some("1.99".to_owned())
        }),
        ("cluster.nodePools", |e| {
            e.cluster.node_pools.insert(
                "extra".to_owned(),
                NodePool {
                    vm_size: "big".to_owned(),
                    min: 1,
                    max: 2,
                    labels: Default::default(),
                    taints: Vec::new(),
                },
            );
        }),
        ("terraform.backend.type", |e| {
            e.terraform.backend.kind.push('x')
        }),
        ("terraform.backend.config", |e| {
            e.terraform
                .backend
                .config
                .insert("key".to_owned(), serde_json::json!("other.tfstate"));
        }),
        ("secretStore.type", |e| {
            e.secret_store.kind = match e.secret_store.kind {
                SecretStoreKind::Vault => SecretStoreKind::AwsSecretsManager,
                _ => SecretStoreKind::Vault,
            }
        }),
        ("secretStore.name", |e| {
            e.secret_store.name.push_str("-other")
        }),
        ("secretStore.address", |e| {
            e.secret_store.address = Some("https://other.example".to_owned())
        }),
        ("secretStore.project", |e| {
            e.secret_store.project = Some("other".to_owned())
        }),
        ("secretStore.projectSlug", |e| {
            e.secret_store.project_slug = Some("other".to_owned())
        }),
        ("secretStore.environmentSlug", |e| {
            e.secret_store.environment_slug = Some("other".to_owned())
        }),
        ("secretStore.mount", |e| e.secret_store.mount.push('x')),
        ("network.cidr", |e| {
            e.network.cidr = "10.99.0.0/16".to_owned()
        }),
        ("monitoring.prometheusUrl", |e| {
            e.monitoring.prometheus_url = "http://prometheus.other-monitoring.svc:9090".to_owned()
        }),
        ("namespaceSuffix", |e| e.namespace_suffix.push_str("-cell")),
        ("promotion", |e| {
            e.promotion = match e.promotion {
                Some(_) => None,
                None => Some(Promotion {
                    from: "dev".to_owned(),
                    approval: crate::model::Approval::Required,
                    approvers: String::new(),
                }),
            }
        }),
        ("imageTags", |e| {
            e.image_tags = match e.image_tags {
                TagPolicy::Any => TagPolicy::Semver,
                _ => TagPolicy::Any,
            }
        }),
        ("infraDefaults", |e| {
            e.infra_defaults.insert(
                InfraType::Postgres,
                Sizing {
                    sku: Some("other".to_owned()),
                    ..Sizing::default()
                },
            );
        }),
        ("disabled", |e| e.disabled.push("other".to_owned())),
    ]
}

/// Changes of one service `name` of a cell: what its own overlay and its dependents' and
/// dependencies' overlays read of it. Its namespace, ports and tag change together (each
/// makes the service differ; another service's overlay that read any of them would differ).
fn service_mutations(env: &mut Environment, name: &str, which: usize) -> &'static str {
    let what = if which == 0 {
        env.services.remove(name);
        env.disabled.push(name.to_owned());
        "disabled"
    } else {
        let s = env.services.get_mut(name).unwrap();
        s.namespace.push_str("-other");
        for p in &mut s.ports {
            p.port += 1;
        }
        if let Some(v) = s.version.as_mut() {
            v.stable.push_str("-cell");
        }
        "namespace, ports and tag"
    };
    env.dependents = Default::default();
    what
}

#[test]
fn cell_skip_renders_the_celled_platforms_unchanged() {
    for (what, model) in celled_platforms() {
        assert_skip_exact(&model, &what);
    }
}

/// The first cell of each celled environment: in every platform here the one that changes
/// least (its cluster only), so each mutation is the one difference that decides its skips.
fn first_cells(model: &Model) -> Vec<usize> {
    (0..model.environments.len())
        .filter(|e| !model.environments[*e].cells.is_empty())
        .collect()
}

#[test]
fn cell_skip_holds_whatever_cell_field_changes() {
    use rayon::prelude::*;
    for (what, model) in celled_platforms() {
        for e in first_cells(&model) {
            field_mutations().par_iter().for_each(|(field, mutate)| {
                let mut changed = model.clone();
                mutate(&mut changed.environments[e].cells[0].environment);
                let cell = &model.environments[e].cells[0].name;
                assert_cell_skip_exact(&changed, e, 0, &format!("{what}, cell {cell}: {field}"));
            });
        }
    }
}

#[test]
fn cell_skip_holds_whatever_cell_service_changes() {
    use rayon::prelude::*;
    for (what, model) in celled_platforms() {
        for e in first_cells(&model) {
            let cell = &model.environments[e].cells[0];
            let cases: Vec<(&String, usize)> = cell
                .environment
                .services
                .keys()
                .flat_map(|name| (0..2).map(move |which| (name, which)))
                .collect();
            cases.par_iter().for_each(|(name, which)| {
                let mut changed = model.clone();
                let field = service_mutations(
                    &mut changed.environments[e].cells[0].environment,
                    name,
                    *which,
                );
                assert_cell_skip_exact(
                    &changed,
                    e,
                    0,
                    &format!("{what}, cell {}: service {name} {field}", cell.name),
                );
            });
        }
    }
}
