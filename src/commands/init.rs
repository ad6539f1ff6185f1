//! `infrac init [DIR] [--cloud C] [--ci S]`: writes the scaffold, refusing to overwrite.

use crate::cli::{CiArg, CloudArg};
use crate::error::Error;
use crate::init::{InitChoice, default_ci, scaffold};
use crate::model::{CiSystem, CloudProvider};
use std::path::Path;

pub fn run(dir: &Path, cloud: CloudArg, ci: Option<CiArg>) -> Result<u8, Error> {
    let cloud = match cloud {
        CloudArg::Aws => CloudProvider::Aws,
        CloudArg::Azure => CloudProvider::Azure,
        CloudArg::Gcp => CloudProvider::Gcp,
    };
    let ci = match ci {
        Some(CiArg::Github) => CiSystem::Github,
        Some(CiArg::Gitlab) => CiSystem::Gitlab,
        Some(CiArg::AzurePipelines) => CiSystem::AzurePipelines,
        Some(CiArg::Jenkins) => CiSystem::Jenkins,
        None => default_ci(cloud),
    };
    let files = scaffold(&InitChoice {
        name: platform_name(dir),
        cloud,
        ci,
    });
    let existing: Vec<&str> = files
        .iter()
        .map(|(p, _)| p.as_str())
        .filter(|p| dir.join(p).exists())
        .collect();
    if !existing.is_empty() {
        eprintln!(
            "error: refusing to overwrite existing files in {}: {}",
            dir.display(),
            existing.join(", ")
        );
        return Ok(1);
    }
    for (path, contents) in &files {
        let full = dir.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io("create", parent, e))?;
        }
        crate::output::atomic::write_atomic(&full, contents.as_bytes())?;
        println!("created {path}");
    }
    println!(
        "\nnext: cd {} && infrac validate && infrac build && infrac plan",
        dir.display()
    );
    Ok(0)
}

/// The platform name: the directory's name as a short DNS label, or `platform`.
fn platform_name(dir: &Path) -> String {
    let base = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let raw = base
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let name: String = raw
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let name = name.trim_matches('-').to_owned();
    if crate::validate::rules::is_dns_label(&name)
        && name.len() <= 20
        && name.starts_with(|c: char| c.is_ascii_lowercase())
    {
        name
    } else {
        "platform".to_owned()
    }
}
