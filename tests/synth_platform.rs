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

/// `--cells N` (the cells benchmark, `scripts/bench-cells.sh`): prod in N cells validates,
/// `infrac build` writes a Kustomize aggregate and a Terraform root per cell, and `plan`
/// right after finds nothing changed.
#[test]
fn celled_synthetic_platform_validates_and_builds() {
    let dir = tempfile::tempdir().unwrap();
    let platform = synth::generate_with(60, synth::DEFAULT_SEED, 5);
    platform.write_to(dir.path()).unwrap();
    let prod = platform.file("environments/prod.yaml").unwrap();
    let tail = &prod[prod.find("\ncells:\n").expect("prod has cells")..];
    assert_eq!(
        tail,
        "\ncells:
  za-north-1:
    cloud: {region: southafricanorth}
    cluster:
      name: synth-60-prod-zan1-aks
  za-west-1:
    cloud: {region: southafricawest}
    cluster:
      name: synth-60-prod-zaw1-aks
      nodePools:
        default: {vmSize: Standard_D8s_v3, min: 3, max: 20, labels: {workload: general}}
    services:
      audit-0037:
        replicas: {min: 2, max: 10}
  eu-west-1:
    cloud: {region: westeurope}
    cluster:
      name: synth-60-prod-euw1-aks
  eu-north-1:
    cloud: {region: northeurope}
    cluster:
      name: synth-60-prod-eun1-aks
      nodePools:
        default: {vmSize: Standard_D8s_v3, min: 3, max: 20, labels: {workload: general}}
    services:
      billing-0052:
        replicas: {min: 2, max: 7}
  uk-south-1:
    cloud: {region: uksouth}
    cluster:
      name: synth-60-prod-uks1-aks
waves: [[za-north-1], [za-west-1, eu-west-1], [eu-north-1, uk-south-1]]
bake: 30m
"
    );
    assert!(
        platform
            .file("versions.yaml")
            .unwrap()
            .contains(", cells: {za-north-1: v"),
        "a per-cell pin"
    );

    let frontend = infrac::pipeline::run_frontend(dir.path());
    let text = infrac::diagnostic::render::text(&frontend.diagnostics, &frontend.sources, false);
    let model = frontend.model.as_ref().unwrap_or_else(|| panic!("{text}"));
    let prod = model
        .environments
        .iter()
        .find(|e| e.name == "prod")
        .unwrap();
    assert_eq!(prod.cells.len(), 5);

    let infrac = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_infrac"))
            .arg("--root")
            .arg(dir.path())
            .args(args)
            .output()
            .unwrap()
    };
    let build = infrac(&["build"]);
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    for cell in [
        "za-north-1",
        "za-west-1",
        "eu-west-1",
        "eu-north-1",
        "uk-south-1",
    ] {
        for dir_of_cell in [
            format!("golden/kubernetes/environments/prod/cells/{cell}/kustomization.yaml"),
            format!("golden/terraform/environments/prod/cells/{cell}/main.tf"),
        ] {
            assert!(dir.path().join(&dir_of_cell).is_file(), "{dir_of_cell}");
        }
    }
    let plan = infrac(&["plan"]);
    assert_eq!(
        plan.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&plan.stdout)
    );
}
