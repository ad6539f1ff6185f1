//! Unit tests for plan classification and attribution.

use super::*;

#[test]
fn classify_every_case() {
    let h = |b: &[u8]| hash_hex(b);
    let (a, b) = (b"a".as_slice(), b"b".as_slice());
    assert_eq!(classify(Some(a), Some(&h(a)), Some(a)), None);
    assert_eq!(
        classify(Some(a), None, Some(a)),
        Some((FileAction::None, Some(Drift::Unrecorded)))
    );
    assert_eq!(
        classify(Some(a), Some(&h(a)), Some(b)),
        Some((FileAction::Change, None))
    );
    assert_eq!(
        classify(Some(b), Some(&h(a)), Some(a)),
        Some((FileAction::Change, Some(Drift::HandEdited)))
    );
    assert_eq!(
        classify(Some(a), None, Some(b)),
        Some((FileAction::Change, Some(Drift::Unowned)))
    );
    assert_eq!(
        classify(None, Some(&h(a)), Some(a)),
        Some((FileAction::Add, Some(Drift::HandDeleted)))
    );
    assert_eq!(classify(None, None, Some(a)), Some((FileAction::Add, None)));
    assert_eq!(
        classify(Some(a), Some(&h(a)), None),
        Some((FileAction::Remove, None))
    );
    assert_eq!(
        classify(Some(b), Some(&h(a)), None),
        Some((FileAction::None, Some(Drift::Kept)))
    );
    assert_eq!(
        classify(None, Some(&h(a)), None),
        Some((FileAction::Remove, Some(Drift::HandDeleted)))
    );
}

#[test]
fn stale_files_are_attributed_by_their_back_end() {
    let cases = [
        (
            Some("kubernetes/pay/overlays/prod/kustomization.yaml"),
            Target::Kubernetes,
            Some("prod"),
        ),
        (
            Some("kubernetes/environments/dev/kustomization.yaml"),
            Target::Kubernetes,
            Some("dev"),
        ),
        (
            Some("kubernetes/pay/base/deployment.yaml"),
            Target::Kubernetes,
            None,
        ),
        (
            Some("terraform/environments/staging/main.tf"),
            Target::Terraform,
            Some("staging"),
        ),
        // The messaging root of staging belongs to staging (it was `staging-messaging`).
        (
            Some("terraform/environments/staging-messaging/main.tf"),
            Target::Terraform,
            Some("staging"),
        ),
        (
            Some("terraform/modules/postgres/main.tf"),
            Target::Terraform,
            None,
        ),
        (Some("ci/github/build.yml"), Target::Ci, None),
        // Outside every back end's directory: a CI file an earlier `[output]` move put there.
        (None, Target::Ci, None),
    ];
    for (path, target, env) in cases {
        let want = Owner {
            target,
            environment: env.map(str::to_owned),
        };
        assert_eq!(stale_owner(path), want, "{path:?}");
    }
}

#[test]
fn filter_keeps_shared_files_under_an_env_filter() {
    let f = PlanFilter {
        environments: vec!["prod".into()],
        targets: vec![Target::Kubernetes],
    };
    assert!(f.keeps(Target::Kubernetes, Some("prod")));
    assert!(f.keeps(Target::Kubernetes, None));
    assert!(!f.keeps(Target::Kubernetes, Some("dev")));
    assert!(!f.keeps(Target::Terraform, Some("prod")));
    assert!(PlanFilter::default().keeps(Target::Ci, None));
}

#[test]
fn unified_diff_has_git_headers() {
    let d = unified_diff("golden/a.yaml", Some("a: 1\n"), Some("a: 2\n"));
    assert!(
        d.starts_with("--- a/golden/a.yaml\n+++ b/golden/a.yaml\n@@ -1 +1 @@\n"),
        "{d}"
    );
    let added = unified_diff("golden/a.yaml", None, Some("a: 2\n"));
    assert!(
        added.starts_with("--- /dev/null\n+++ b/golden/a.yaml\n"),
        "{added}"
    );
}

/// The build lock is no back end's file: it counts on a row of its own, after the others,
/// and a cell's file on its cell's row, after its environment's.
#[test]
fn the_build_lock_and_cells_count_on_their_own_rows() {
    let file = |path: &str, target, env: Option<&str>, cell: Option<&str>| FileChange {
        path: path.into(),
        logical_path: path.into(),
        target,
        environment: env.map(str::to_owned),
        cell: cell.map(str::to_owned),
        action: FileAction::Remove,
        drift: Some(Drift::Interrupted),
        resources: Vec::new(),
        parse_error: None,
        diff: String::new(),
        old: None,
        new: None,
    };
    let k = Some(Target::Kubernetes);
    let plan = counts::tally(vec![
        file("golden/.infrac-lock", None, None, None),
        file("a", k, Some("prod"), Some("za-1")),
        file("b", k, Some("prod"), None),
        file("c", Some(Target::Ci), None, None),
    ]);
    let rows: Vec<_> = plan
        .groups
        .iter()
        .map(|g| (g.target, g.environment.as_deref(), g.cell.as_deref()))
        .collect();
    assert_eq!(
        rows,
        [
            (k, Some("prod"), None),
            (k, Some("prod"), Some("za-1")),
            (Some(Target::Ci), None, None),
            (None, None, None),
        ]
    );
    let text = render_text::render_text(&plan, false);
    assert!(
        text.contains("\n  (shared)         infrac          0       0       1      1\n"),
        "{text}"
    );
    assert!(
        text.contains("\n  prod/za-1        kubernetes      0       0       1      1\n"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(&render_json::render_json(&plan)).unwrap();
    assert_eq!(json["files"][0]["target"], serde_json::Value::Null);
    assert_eq!(json["files"][1]["cell"], "za-1");
}
