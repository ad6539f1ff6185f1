//! Unit tests of the Kubernetes target over the small fixture model.

use super::fixture::model;
use super::*;

fn files() -> Vec<OutputFile> {
    emit(&model()).expect("emit")
}

/// The example platform and every valid fixture platform of the repository.
fn real_platforms() -> Vec<(String, crate::model::Model)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![("example".to_owned(), root.to_path_buf())];
    let fixtures = root.join("tests/fixtures/valid");
    let mut entries: Vec<_> = std::fs::read_dir(&fixtures)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    entries.sort();
    for dir in entries {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        dirs.push((name, dir));
    }
    dirs.into_iter()
        .map(|(name, dir)| {
            let model = crate::pipeline::load_model(&dir)
                .unwrap_or_else(|_| panic!("{name} does not load"));
            (name, model)
        })
        .collect()
}

/// Writes the fixture tree and every real platform's tree under `$INFRAC_KUBE_OUT`
/// (default `/tmp/kube-out`), one directory each, for the real tools.
#[test]
#[ignore]
fn dump_for_conformance() {
    let root = std::env::var("INFRAC_KUBE_OUT").unwrap_or_else(|_| "/tmp/kube-out".into());
    let _ = std::fs::remove_dir_all(&root);
    let mut trees = vec![("fixture".to_owned(), files())];
    for (name, model) in real_platforms() {
        trees.push((name, emit(&model).expect("emit")));
    }
    for (name, tree) in trees {
        for f in tree {
            let path = std::path::Path::new(&root).join(&name).join(&f.path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, f.contents).unwrap();
        }
    }
}

#[test]
fn real_platforms_compile_with_an_overlay_per_enabled_service() {
    for (name, model) in real_platforms() {
        let out = emit(&model).expect("emit");
        for env in &model.environments {
            for service in model.registry_services.keys() {
                let path = format!("kubernetes/{service}/overlays/{}/kustomization.yaml", env.name);
                let present = out.iter().any(|f| f.path == path);
                assert_eq!(present, env.services.contains_key(service), "{name}: {path}");
            }
        }
    }
}

#[test]
fn deterministic() {
    assert_eq!(files(), files());
}
