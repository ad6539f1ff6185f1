//! Unit tests of the Kubernetes target over the small fixture model.

use super::fixture::model;
use super::*;

fn files() -> Vec<OutputFile> {
    emit(&model()).expect("emit")
}

/// Writes the tree to `$INFRAC_KUBE_OUT` (default `/tmp/kube-out`) for the real tools.
#[test]
#[ignore]
fn dump_for_conformance() {
    let root = std::env::var("INFRAC_KUBE_OUT").unwrap_or_else(|_| "/tmp/kube-out".into());
    let _ = std::fs::remove_dir_all(&root);
    for f in files() {
        let path = std::path::Path::new(&root).join(&f.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, f.contents).unwrap();
    }
}

#[test]
fn deterministic() {
    assert_eq!(files(), files());
}
