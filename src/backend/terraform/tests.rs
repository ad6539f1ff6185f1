//! Target-level tests over the example platform and the valid fixtures.

use std::path::{Path, PathBuf};

/// The back end with the default project.
fn emit(model: &Model) -> Result<Vec<OutputFile>, crate::error::Error> {
    let templates = crate::templates::Templates::builtin().expect("built-in templates");
    let project = crate::project::Project::default();
    super::emit(model, &crate::backend::EmitCtx::new(&project, &templates))
}
use crate::artifact::OutputFile;
use crate::backend::contract::{Placement, connection_secret_name, entry_scope, placement};
use crate::model::Model;

fn platforms() -> Vec<(&'static str, PathBuf)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut out = vec![("example", root.clone())];
    for name in ["aws-shop", "azure-minimal", "gcp-analytics"] {
        out.push((name, root.join("tests/fixtures/valid").join(name)));
    }
    out
}

fn load(path: &Path) -> Model {
    crate::pipeline::load_model(path).unwrap_or_else(|_| panic!("{} does not load", path.display()))
}

#[test]
fn every_platform_compiles_to_parseable_deterministic_terraform() {
    for (name, path) in platforms() {
        let model = load(&path);
        let first = emit(&model).unwrap();
        assert_eq!(
            first,
            emit(&model).unwrap(),
            "{name}: byte-identical on every run"
        );
        for file in &first {
            assert!(
                file.path.starts_with("terraform/") && file.path.ends_with(".tf"),
                "{}",
                file.path
            );
            hcl::parse(&file.contents).unwrap_or_else(|e| panic!("{name} {}: {e}", file.path));
        }
        for env in &model.environments {
            // A celled environment's resources are in its cells' roots or its own.
            let mut main = find(
                &first,
                &format!("terraform/environments/{}/main.tf", env.name),
            )
            .to_owned();
            for cell in &env.cells {
                main.push_str(find(
                    &first,
                    &format!(
                        "terraform/environments/{}/cells/{}/main.tf",
                        env.name, cell.name
                    ),
                ));
            }
            for service in env.services.values() {
                for (entry, infra) in &service.infra {
                    let key = format!("{}-{entry}", service.name);
                    let line = match placement(env.cloud.provider, infra.kind) {
                        Placement::Managed => format!("# {} {key}: managed", infra.kind.as_str()),
                        Placement::InCluster => {
                            format!("# {} {key}: in-cluster", infra.kind.as_str())
                        }
                    };
                    assert!(main.contains(&line), "{name}/{}: no `{line}`", env.name);
                    if placement(env.cloud.provider, infra.kind) != Placement::Managed {
                        continue;
                    }
                    // Each cell writes its own entry; without cells the environment does.
                    let cells: Vec<Option<&str>> = if env.cells.is_empty() {
                        vec![None]
                    } else {
                        env.cells.iter().map(|c| Some(c.name.as_str())).collect()
                    };
                    for cell in cells {
                        let secret = connection_secret_name(
                            &model.platform.name,
                            &entry_scope(&env.name, cell, infra.scope, false),
                            &service.name,
                            entry,
                        );
                        assert!(
                            main.contains(&format!("\"{secret}\"")),
                            "{name}/{}: no secret {secret}",
                            env.name
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn roots_pass_terraform_fmt() {
    let model = load(&platforms()[1].1);
    for file in emit(&model).unwrap() {
        if let Some(formatted) = super::format::terraform_fmt(&file.contents) {
            if formatted != file.contents {
                std::fs::write("/tmp/tf-fmt-want.tf", &formatted).unwrap();
                std::fs::write("/tmp/tf-fmt-got.tf", &file.contents).unwrap();
            }
            assert!(
                formatted == file.contents,
                "{} is not terraform fmt canonical",
                file.path
            );
        }
    }
}

fn find<'a>(files: &'a [OutputFile], path: &str) -> &'a str {
    &files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("no {path}"))
        .contents
}

/// `cargo test --lib dump_terraform -- --ignored` writes every platform's Terraform to
/// `/tmp/tf-out/<platform>/` for conformance runs.
#[test]
#[ignore]
fn dump_terraform() {
    for (name, path) in platforms() {
        let out = Path::new("/tmp/tf-out").join(name);
        let _ = std::fs::remove_dir_all(&out);
        for file in emit(&load(&path)).unwrap() {
            let target = out.join(&file.path);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::write(target, &file.contents).unwrap();
        }
    }
    // Every module, so the checks also see the ones no fixture uses.
    let out = Path::new("/tmp/tf-out/all-modules/terraform/modules");
    let _ = std::fs::remove_dir_all(out);
    for (path, text) in super::modules::all_module_files() {
        let target = out.join(path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, text).unwrap();
    }
}

/// A synthetic platform: every service of the aws-shop fixture copied until there are
/// `n` services per environment.
fn synthetic(n: usize) -> Model {
    let mut model = load(&platforms()[1].1);
    for env in &mut model.environments {
        let originals: Vec<_> = env.services.values().cloned().collect();
        env.services.clear();
        for i in 0..n {
            let mut service = originals[i % originals.len()].clone();
            service.name = format!("{}-{i}", service.name);
            env.services.insert(service.name.clone(), service);
        }
    }
    model
}

/// Timing sanity check for the 1,000-service × 3-environment target (run by hand:
/// `cargo test --release --lib synthetic_platform_timing -- --ignored --nocapture`).
#[test]
#[ignore]
fn synthetic_platform_timing() {
    let model = synthetic(1000);
    let start = std::time::Instant::now();
    let files = emit(&model).unwrap();
    let elapsed = start.elapsed();
    let bytes: usize = files.iter().map(|f| f.contents.len()).sum();
    println!("{} files, {bytes} bytes in {elapsed:?}", files.len());
}

#[test]
#[ignore]
fn phase_timing() {
    let model = synthetic(1000);
    let env = &model.environments[0];
    let plan = super::plan::plan(&model, env);
    let t = std::time::Instant::now();
    let files = super::root::files(&model, env, &plan).unwrap();
    println!("root files {:?}", t.elapsed());
    let main = &files.iter().find(|f| f.0 == "main.tf").unwrap().1;
    let t = std::time::Instant::now();
    let body: hcl_edit::structure::Body = main.parse().unwrap();
    println!("hcl-edit parse {:?} ({} bytes)", t.elapsed(), main.len());
    let t = std::time::Instant::now();
    let _ = body.to_string();
    println!("hcl-edit print {:?}", t.elapsed());
}
