use super::*;
use crate::backend::contract::{Placement, placement};

const CLOUDS: [CloudProvider; 3] = [CloudProvider::Aws, CloudProvider::Azure, CloudProvider::Gcp];

fn all_modules() -> Vec<(CloudProvider, ModuleKind)> {
    let mut out = Vec::new();
    for cloud in CLOUDS {
        out.push((cloud, ModuleKind::Network));
        out.push((cloud, ModuleKind::Cluster));
        for kind in InfraType::ALL {
            if exists(cloud, ModuleKind::Data(kind)) {
                out.push((cloud, ModuleKind::Data(kind)));
            }
        }
    }
    out
}

#[test]
fn every_pair_is_a_managed_module_or_in_cluster() {
    for cloud in CLOUDS {
        for kind in InfraType::ALL {
            let managed = placement(cloud, kind) == Placement::Managed;
            assert_eq!(
                exists(cloud, ModuleKind::Data(kind)),
                managed,
                "{cloud:?} {kind:?}: a managed placement needs a module, an in-cluster one none"
            );
        }
    }
}

#[test]
fn every_module_renders_and_round_trips() {
    for (cloud, kind) in all_modules() {
        let files = emit_module(cloud, kind).unwrap();
        assert_eq!(files.len(), 4);
        for (path, text) in &files {
            let body = hcl::parse(text).unwrap_or_else(|e| panic!("{path}: {e}"));
            assert!(body.iter().next().is_some(), "{path}");
        }
    }
}

#[test]
fn connection_locals_have_exactly_the_contract_keys() {
    for (cloud, kind) in all_modules() {
        let ModuleKind::Data(infra) = kind else {
            continue;
        };
        let main = cloud_module(cloud, kind).unwrap().main;
        let body = hcl::parse(main).unwrap();
        let locals = body.blocks().filter(|b| b.identifier() == "locals");
        let connection = locals
            .flat_map(|b| b.body().attributes())
            .find(|a| a.key() == "connection")
            .unwrap_or_else(|| panic!("{cloud:?} {kind:?}: no local.connection"));
        let hcl::Expression::Object(object) = connection.expr() else {
            panic!("local.connection is not an object")
        };
        let keys: Vec<String> = object.keys().map(|k| k.to_string()).collect();
        assert_eq!(keys, connection_keys(infra), "{cloud:?} {kind:?}");
    }
}

#[test]
fn modules_use_only_declared_variables_and_providers() {
    let var_ref = regex::Regex::new(r"var\.([a-z_]+)").unwrap();
    for (cloud, kind) in all_modules() {
        let module = cloud_module(cloud, kind).unwrap();
        let declared: Vec<&str> = interface(cloud, kind).iter().map(|v| v.name).collect();
        let text = format!("{}{}", module.main, module.outputs.unwrap_or_default());
        for cap in var_ref.captures_iter(&text) {
            assert!(
                declared.contains(&&cap[1]),
                "{cloud:?} {kind:?} uses undeclared var.{}",
                &cap[1]
            );
        }
        let uses_random = module.main.contains("resource \"random_password\"");
        assert_eq!(
            uses_random,
            module.providers.contains(&Provider::Random),
            "{cloud:?} {kind:?}"
        );
    }
}

#[test]
fn modules_pass_terraform_fmt() {
    for (cloud, kind) in all_modules() {
        for (path, text) in emit_module(cloud, kind).unwrap() {
            if let Some(formatted) = crate::backend::terraform::format::terraform_fmt(&text) {
                assert_eq!(formatted, text, "{path}");
            }
        }
    }
}
