//! The loader's resource limits bound what an attacker can multiply (anchors and aliases), not
//! the size of a real platform: a 10,000-service registry without a single alias loads on both
//! YAML paths, while an alias expansion far smaller than it is still refused.

use infrac::load::yaml::{ParseErrorKind, parse, parse_fast, parse_reference};

/// A registry of `n` services in the example's shape (about 30 nodes each).
fn registry(n: usize) -> String {
    let mut text = String::from(
        "apiVersion: infrac.dev/v1\nkind: Registry\nplatform:\n  name: big\n  imageRegistry: r.example.com\n  gitops: {repository: github.com/big/gitops, branch: main}\nservices:\n",
    );
    for i in 0..n {
        text.push_str(&format!(
            "  svc-{i}:\n    team: team-{t}\n    namespace: ns-{t}\n    image: big/svc-{i}\n    build: {{language: go, context: services/svc-{i}}}\n    ports: [{{name: http, port: 8080, protocol: http}}]\n    replicas: {{min: 2, max: 6, targetCPU: 70}}\n    resources: {{requests: {{cpu: 250m, memory: 256Mi}}, limits: {{cpu: \"1\", memory: 1Gi}}}}\n    config: {{LOG_LEVEL: INFO, FEATURE_X: \"on\"}}\n    dependencies: [svc-{d}]\n",
            t = i % 500,
            d = (i + 1) % n,
        ));
    }
    text
}

#[test]
fn ten_thousand_services_without_aliases_load() {
    let text = registry(10_000);
    let reference = parse_reference(&text, 0).expect("the reference path loads it");
    let fast = parse_fast(&text, 0).expect("the fast path loads it");
    assert_eq!(fast, reference);
    let services = parse(&text, 0).unwrap();
    let services = services.get("services").and_then(|s| s.as_map()).unwrap();
    assert_eq!(services.len(), 10_000);
}

#[test]
fn alias_expansion_is_still_bounded() {
    // 1,000 aliases of a 2,000-event anchor: 2 million events from 10 KB of text.
    let mut text = String::from("a: &a [");
    text.push_str(&vec!["x"; 2_000].join(", "));
    text.push_str("]\nb: [");
    text.push_str(&vec!["*a"; 1_000].join(", "));
    text.push_str("]\n");
    let error = parse_reference(&text, 0).expect_err("refused");
    assert_eq!(error.kind, ParseErrorKind::Limits, "{}", error.message);
    assert_eq!(
        parse(&text, 0).expect_err("refused").message,
        "anchors and aliases expand beyond infrac's budget (an alias bomb?)"
    );
}
