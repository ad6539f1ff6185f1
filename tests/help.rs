//! What `--help` and the man page tell a user: full snapshots of `infrac --help` and
//! `infrac plan --help`, the man page's sections, and that `--root` is offered exactly where
//! a platform repo is read.

use std::process::Command;

/// Runs the binary with a fixed terminal width; exit code and stdout.
fn infrac(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_infrac"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .env_remove("INFRAC_ROOT")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({
        snapshot_path => "snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn top_level_help() {
    let (code, out) = infrac(&["--help"]);
    assert_eq!(code, 0);
    snapshot("help-infrac", &out);
}

#[test]
fn plan_help() {
    let (code, out) = infrac(&["plan", "--help"]);
    assert_eq!(code, 0);
    snapshot("help-plan", &out);
}

/// Every argument of every command has a description, and every command but `help` shows
/// examples.
#[test]
fn every_argument_is_described_and_every_command_has_examples() {
    use clap::CommandFactory;
    let mut cmd = infrac::cli::Cli::command();
    cmd.build();
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        for arg in sub.get_arguments() {
            assert!(
                arg.get_help().is_some() || arg.get_long_help().is_some(),
                "infrac {} {} has no description",
                sub.get_name(),
                arg.get_id()
            );
        }
        let after = sub
            .get_after_help()
            .map(|a| a.to_string())
            .unwrap_or_default();
        assert!(
            after.starts_with("Examples:\n  infrac "),
            "infrac {} has no examples",
            sub.get_name()
        );
    }
}

/// `--root` is offered by the commands that read a platform repo and refused by those where it
/// means nothing; before the command it is accepted as before.
#[test]
fn root_only_where_a_platform_repo_is_read() {
    for command in ["explain-code", "completions", "man", "schema"] {
        let (_, help) = infrac(&[command, "--help"]);
        assert!(!help.contains("--root"), "{command} offers --root:\n{help}");
    }
    assert_eq!(infrac(&["schema", "--root", "."]).0, 64);
    assert_eq!(infrac(&["man", "--root", "."]).0, 64);
    for command in [
        "validate",
        "build",
        "plan",
        "check",
        "explain",
        "set-image",
        "promote",
        "canary",
        "graph",
        "init",
    ] {
        let (_, help) = infrac(&[command, "--help"]);
        assert!(
            help.contains("--root <DIR>"),
            "{command} lacks --root:\n{help}"
        );
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let elsewhere = std::env::temp_dir();
    let validate = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_infrac"))
            .args(args)
            .current_dir(&elsewhere)
            .env("NO_COLOR", "1")
            .env_remove("INFRAC_ROOT")
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(validate(&["--root", root, "validate"]), Some(0));
    assert_eq!(validate(&["validate", "--root", root]), Some(0));
    // The command's own --root wins over the one before it.
    assert_eq!(
        validate(&["--root", "/nonexistent", "validate", "--root", root]),
        Some(0)
    );
}

/// The man page's sections, in order; no reference to a page that is not installed.
#[test]
fn man_page_sections() {
    let (code, man) = infrac(&["man"]);
    assert_eq!(code, 0);
    let headers: Vec<&str> = man
        .lines()
        .filter(|l| l.starts_with(".SH ") || l.starts_with(".SS "))
        .collect();
    snapshot("man-sections", &headers.join("\n"));
    assert!(
        !man.contains("infrac\\-validate(1)") && !man.contains("(1)\n"),
        "{man}"
    );
    for variable in ["INFRAC_ROOT", "NO_COLOR", "GITHUB_ACTIONS", ".B CI"] {
        assert!(man.contains(variable), "{variable}");
    }
}
