//! `infrac init [DIR] [--cloud C] [--ci S] [--cells N]`: writes the scaffold into DIR (`--root` when left
//! out), refusing to overwrite.

use crate::error::Error;
use crate::init::{InitChoice, default_ci, scaffold};
use crate::model::{CiSystem, CloudProvider};
use crate::printer::Printer;
use std::path::Path;

pub fn run(
    printer: &Printer,
    dir: &Path,
    cloud: CloudProvider,
    ci: Option<CiSystem>,
    cells: u8,
) -> Result<u8, Error> {
    let ci = ci.unwrap_or_else(|| default_ci(cloud));
    let files = scaffold(&InitChoice {
        name: platform_name(dir),
        cloud,
        ci,
        cells,
    });
    let existing: Vec<&str> = files
        .iter()
        .map(|(p, _)| p.as_str())
        .filter(|p| dir.join(p).exists())
        .collect();
    if !existing.is_empty() {
        printer.error(&format!(
            "refusing to overwrite existing files in {}: {}",
            dir.display(),
            existing.join(", ")
        ));
        return Ok(1);
    }
    for (path, contents) in &files {
        let full = dir.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io("create", parent, e))?;
        }
        crate::output::atomic::write_atomic(&full, contents.as_bytes())?;
        printer.line(&format!("created {path}"))?;
    }
    let cd = if dir == Path::new(".") || dir == Path::new("") {
        String::new()
    } else {
        format!("cd {} && ", shell_word(&dir.display().to_string()))
    };
    printer.line(&format!(
        "\nnext: {cd}infrac validate && infrac build && infrac plan"
    ))?;
    Ok(0)
}

/// `word` as one POSIX shell word: as is when it holds only safe characters, else
/// single-quoted.
fn shell_word(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "/._-+:@%=,".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
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
