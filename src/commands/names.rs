//! The one check of the environment names a command line gives (`--env`, `--from`, `--to`,
//! `diff-env A B`): an unknown name is a usage error (exit 64) naming the nearest one, on
//! every command, before any work. `--target` is a closed set: clap refuses an unknown one
//! (exit 64, with its own "a similar value exists").
//!
//! The names are the `<name>.yaml` files of the environments directory (infrac.toml's
//! `environments`), listed in promotion order: roots first, then each environment after the
//! one its `promotion.from` names, ties by name (as the model orders them). When the
//! directory cannot be read the check is left to the command, which reports that itself.

use crate::cli::Command;
use crate::load::yaml::Node;
use crate::printer::Printer;
use std::path::Path;

impl Command {
    /// The environment names this command line gives, each with how it was given
    /// (`--env prod`, `prod`).
    pub fn environment_args(&self) -> Vec<(String, &str)> {
        let flag = |f: &str, v: &str| format!("{f} {v}");
        match self {
            Command::Plan { envs, .. } => envs
                .iter()
                .map(|e| (flag("--env", e), e.as_str()))
                .collect(),
            Command::Explain { env, .. } | Command::Graph { env, .. } => {
                env.iter().map(|e| (flag("--env", e), e.as_str())).collect()
            }
            Command::SetImage { env, .. }
            | Command::Canary { env, .. }
            | Command::Rollout { env, .. } => {
                vec![(flag("--env", env), env.as_str())]
            }
            Command::Promote { from, to, .. } => vec![
                (flag("--from", from), from.as_str()),
                (flag("--to", to), to.as_str()),
            ],
            Command::DiffEnv { a, b, .. } => {
                vec![
                    (format!("`{a}`"), a.as_str()),
                    (format!("`{b}`"), b.as_str()),
                ]
            }
            _ => Vec::new(),
        }
    }
}

/// Exit 64 after naming the first environment argument that names no environment; `None`
/// when every one does (or there is none, or the directory cannot be read).
pub fn check_environments(printer: &Printer, root: &Path, command: &Command) -> Option<u8> {
    let given = command.environment_args();
    if given.is_empty() {
        return None;
    }
    let known = environment_names(root)?;
    let (label, name) = given.iter().find(|(_, n)| !known.iter().any(|k| k == n))?;
    let hint = crate::diagnostic::did_you_mean(name, known.iter().map(String::as_str))
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
    printer.error(&format!(
        "{label}: not an environment{hint}; the environments are {}",
        known.join(", ")
    ));
    Some(64)
}

/// The environments of the repository at `root`, in promotion order.
fn environment_names(root: &Path) -> Option<Vec<String>> {
    let project = match std::fs::read_to_string(root.join("infrac.toml")) {
        Ok(text) => crate::project::parse_project(&text).ok()?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Default::default(),
        Err(_) => return None,
    };
    let dir = root.join(&project.environments);
    let mut envs: Vec<(String, Option<String>)> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let stem = name
                .strip_suffix(".yaml")
                .filter(|_| !name.starts_with('.'))?;
            // Only for the order: an unreadable file is a root here, and the command reports it.
            let from = std::fs::read_to_string(e.path())
                .ok()
                .and_then(|text| crate::load::yaml::parse(&text, 0).ok())
                .and_then(|node| promotion_from(&node));
            Some((stem.to_owned(), from))
        })
        .collect();
    envs.sort();
    let mut ordered: Vec<String> = Vec::with_capacity(envs.len());
    while !envs.is_empty() {
        let ready = envs
            .iter()
            .position(|(_, from)| {
                from.as_ref()
                    .is_none_or(|f| ordered.contains(f) || !envs.iter().any(|(n, _)| n == f))
            })
            // A promotion cycle (the rules report it): the rest by name.
            .unwrap_or(0);
        ordered.push(envs.remove(ready).0);
    }
    Some(ordered)
}

fn promotion_from(env: &Node) -> Option<String> {
    Some(env.get("promotion")?.get("from")?.as_str()?.to_owned())
}
