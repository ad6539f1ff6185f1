//! The synthetic platform generator (benches/support/synth.rs) keeps producing platforms
//! that validate, byte for byte the same on every run: the benchmarks and the fuzzer's seed
//! corpus depend on both. Small sizes only, so it stays fast in debug builds.

#[path = "../benches/support/synth.rs"]
mod synth;

#[test]
fn synthetic_platforms_validate() {
    for services in [1, 2, 45] {
        let dir = tempfile::tempdir().unwrap();
        synth::generate(services).write_to(dir.path()).unwrap();
        let frontend = infrac::pipeline::run_frontend(dir.path());
        let text =
            infrac::diagnostic::render::text(&frontend.diagnostics, &frontend.sources, false);
        let model = frontend
            .model
            .as_ref()
            .unwrap_or_else(|| panic!("{services} services:\n{text}"));
        assert_eq!(model.registry_services.len(), services);
        assert_eq!(model.environments.len(), 3);
    }
}

#[test]
fn generation_is_deterministic_and_seeded() {
    let a = synth::generate(60);
    let b = synth::generate(60);
    assert_eq!(a.files, b.files);
    assert_ne!(synth::generate_seeded(60, 7).files, a.files);
    let registry = a.file("registry.yaml").unwrap();
    assert!(
        registry.contains("strategy: canary"),
        "a 60-service platform has a canary"
    );
    assert!(
        a.file("environments/prod.yaml")
            .unwrap()
            .contains("{enabled: false}")
    );
}
