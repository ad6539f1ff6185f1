//! The YAML fast path against the reference path, document by document.
//!
//! `infrac::load::yaml::parse` builds the [`Node`] tree straight from the parser's events when
//! it can (`parse_fast`) and otherwise falls back to serde-saphyr (`parse_reference`). Both
//! must give the same tree: the same values and scalar types, the same `Pos` (offset, len,
//! line, column) for every node and every key, the same map order. Wherever the fast path
//! answers, this test compares it with the reference; wherever it declines, it checks that
//! `parse` gives exactly the reference's result, error included. It also checks that the
//! fast path is really taken on the documents infrac reads: every YAML file in the repo that
//! parses, a synthetic 200-service platform, and the common shapes listed below.

#[path = "../benches/support/synth.rs"]
mod synth;
#[path = "../fuzz/support/yaml_diff.rs"]
mod yaml_diff;

use infrac::load::yaml::parse_reference;
use std::path::{Path, PathBuf};
use yaml_diff::FILE;

/// Checks one document (see [`yaml_diff::compare`]); returns whether the fast path answered.
fn check(name: &str, text: &str) -> bool {
    yaml_diff::compare(text).unwrap_or_else(|diff| panic!("{name}: {diff}\n{text:?}"))
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if name != "target" && name != ".git" {
                yaml_files(&path, out);
            }
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            out.push(path);
        }
    }
}

/// Fixtures that hold a scalar the fast path declines by its documented rules (and the
/// reference reads), on purpose: `99999999999999999999`, beyond `i64`, in the number-range
/// case of the invalid corpus. Still compared by [`check`] (`parse` must give the
/// reference's tree).
const DECLINED_BY_DESIGN: [&str; 1] =
    ["tests/fixtures/invalid/numbers-out-of-range-overlay/environments/prod.yaml"];

/// Every `.yaml`/`.yml` file in the repo: the example platform at the root, its golden
/// output, and every fixture, valid and invalid.
#[test]
fn repo_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    yaml_files(root, &mut files);
    files.sort();
    let (mut fast, mut refused, mut not_utf8) = (0, 0, 0);
    for path in &files {
        let rel = path
            .strip_prefix(root)
            .unwrap_or(path)
            .display()
            .to_string();
        let Ok(text) = std::fs::read_to_string(path) else {
            // The loader refuses these before parsing.
            not_utf8 += 1;
            continue;
        };
        let took = check(&rel, &text);
        match parse_reference(&text, FILE) {
            // Every file that parses is one the fast path must handle.
            Ok(_) => assert!(
                took || DECLINED_BY_DESIGN.contains(&rel.as_str()),
                "{rel}: the fast path declined a file that parses"
            ),
            Err(e) => {
                assert!(!took);
                eprintln!("{rel}: refused by both ({})", e.message);
                refused += 1;
            }
        }
        if took {
            fast += 1;
        }
    }
    eprintln!(
        "{} files: {fast} by the fast path, {refused} refused, {not_utf8} not UTF-8",
        files.len()
    );
    for must in [
        "registry.yaml",
        "versions.yaml",
        "environments/dev.yaml",
        "environments/staging.yaml",
        "environments/prod.yaml",
    ] {
        assert!(files.iter().any(|p| p.ends_with(must)), "{must} not found");
    }
    assert!(fast >= 100, "only {fast} files took the fast path");
    assert!(refused > 0, "the invalid fixtures hold YAML errors");
}

/// The synthetic platform of `cargo run --example synth -- --services 200` (the same
/// generator), every file on the fast path.
#[test]
fn synthetic_platform() {
    let platform = synth::generate(200);
    assert!(platform.files.len() >= 5);
    for (rel, text) in &platform.files {
        if rel.ends_with(".yaml") {
            assert!(check(rel, text), "{rel}: the fast path declined");
        }
    }
}

/// Scalars whose typing is easy to get wrong, in value and key position, plain, quoted and
/// in flow collections.
const SCALARS: &[&str] = &[
    "0755",
    "1_000",
    "0x1F",
    "0o17",
    "0b101",
    "+1",
    "-0",
    "+0",
    "0",
    "00",
    "-012",
    "1e3",
    "1E-3",
    "-1.5e+2",
    ".5",
    "-.5",
    "1.",
    "01.5",
    "0e5",
    "True",
    "TRUE",
    "true",
    "False",
    "FALSE",
    "false",
    "tRUE",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "Yes",
    "Null",
    "NULL",
    "null",
    "nULL",
    "~",
    "12:30",
    "1.2.3",
    "v1",
    "1_0.5",
    "_1",
    "1__0",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999",
    "1e308",
    "1e309",
    "-1e999",
    ".inf",
    "-.inf",
    "+.INF",
    ".Inf",
    ".nan",
    ".NaN",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "infinity",
    "Infinity",
    ".info",
    ".",
    "-",
    "+",
    "++1",
    "+-1",
    "--1",
    "e3",
    "1e",
    "0x",
    "0xZZ",
    "-0x1F",
    "+0x1F",
    "0X1f",
    "0O17",
    "0B1",
    "0.0",
    "-0.0",
    "3.14",
    "1,000",
    "1 000",
    "12e",
    "0755.5",
    "latest",
    "v1.2.3-rc.1",
    "ghcr.io/acme/app:1.0",
    "a: b",
    "#hash",
    "é",
    "日本",
    "\u{1F600}",
    "<<",
    "=",
    "?",
    "-a",
    "1-2",
    ".base",
    ".5e3",
    "-.5e-3",
    ".e3",
    "+.",
    "..5",
    "Inf",
    "+inf",
    "-NaN",
    "1.5.",
    "١٢",
];

#[test]
fn tricky_scalars() {
    let mut fast = 0;
    let mut declined = Vec::new();
    for s in SCALARS {
        let plain = |t: &str| t.to_owned();
        let forms = [
            format!("v: {s}\n"),
            format!("{s}: v\n"),
            format!("- {s}\n"),
            format!("[{s}]\n"),
            format!("{{{s}: {s}}}\n"),
            format!("v: '{}'\n", s.replace('\'', "''")),
            format!("'{}': v\n", s.replace('\'', "''")),
            format!("v: \"{s}\"\n"),
            format!("v: |\n  {s}\n"),
            format!("v: >-\n  {s}\n"),
            plain(s),
        ];
        for doc in forms {
            if check(&format!("scalar {s:?}"), &doc) {
                fast += 1;
            } else {
                declined.push(doc);
            }
        }
    }
    eprintln!(
        "tricky scalars: {fast} documents on the fast path, {} declined",
        declined.len()
    );
    // The common spellings must not decline.
    for common in [
        "v: 0755\n",
        "v: 1_000\n",
        "v: +1\n",
        "v: -0\n",
        "v: 1e3\n",
        "v: .5\n",
        "v: 1.\n",
        "v: True\n",
        "v: TRUE\n",
        "v: yes\n",
        "v: on\n",
        "v: Null\n",
        "v: ~\n",
        "v: 12:30\n",
        "v: 1.2.3\n",
        "v: v1\n",
        "8080: v\n",
        "true: v\n",
        "~: v\n",
        "1.5: v\n",
    ] {
        assert!(
            !declined.iter().any(|d| d == common),
            "the fast path declined {common:?}"
        );
    }
}

/// Whole documents: empty values, nested empty collections, flow style, multi-line and
/// block scalars, comments, unicode, CRLF, keys that are numbers or booleans, and the
/// constructs the fast path leaves to the reference.
const DOCUMENTS: &[(&str, &str, Expect)] = &[
    ("empty file", "", Expect::Fast),
    ("only a comment", "# nothing here\n", Expect::Fast),
    ("only whitespace", "\n\n   \n", Expect::Fast),
    ("bare document start", "---\n", Expect::Fast),
    ("document start and end", "---\n...\n", Expect::Fast),
    ("explicit document", "---\na: 1\n...\n", Expect::Fast),
    ("scalar root", "hello\n", Expect::Fast),
    ("null root", "~\n", Expect::Fast),
    ("seq root", "- a\n- b\n", Expect::Fast),
    (
        "empty values",
        "a:\nb: \nc: ~\nd: null\ne: ''\nf: \"\"\ng:\n  h:\n",
        Expect::Fast,
    ),
    (
        "nested empty collections",
        "a: {}\nb: []\nc: {d: {}, e: []}\nf:\n  - []\n  - {}\n  - [[], [{}]]\n",
        Expect::Fast,
    ),
    (
        "flow collections",
        "a: {x: 1, y: [2, 3.5, 'q', \"dq\"], z: {w: ~}}\nb: [a, {k: v}, [1, [2]]]\n",
        Expect::Fast,
    ),
    (
        "multi-line flow",
        "a: [one,\n    two,\n  three]\nb: {x: 1,\n  y: 2}\n",
        Expect::Fast,
    ),
    (
        "flow with empty values",
        "a: {x: , y}\nb: [a, , c]\n",
        Expect::Either,
    ),
    (
        "multi-line plain",
        "a: this is\n  a long\n  plain scalar\nb: x\n",
        Expect::Fast,
    ),
    (
        "multi-line plain with blank line",
        "a: first\n\n  second\nb: x\n",
        Expect::Fast,
    ),
    (
        "block scalars",
        "lit: |\n  line one\n  line two\n\nfold: >\n  folded\n  text\n\n  para\nkeep: |+\n  kept\n\nstrip: >-\n  stripped\nind: |2\n    indented\nlast: x\n",
        Expect::Fast,
    ),
    (
        "block scalar at eof",
        "a: |\n  no newline at end",
        Expect::Fast,
    ),
    ("empty block scalar", "a: |\nb: >\n", Expect::Fast),
    (
        "quoted scalars",
        "a: 'it''s'\nb: \"tab\\tnew\\nline \\u00e9 \\x41\"\nc: 'multi\n  line'\nd: \"multi\n  line\"\ne: \"\\\n  escaped break\"\n",
        Expect::Fast,
    ),
    (
        "comments",
        "# head\na: 1 # trailing\n# between\nb: # on the key line\n  c: 2\n  # indented\nd: [1, # in flow\n  2]\n# tail\n",
        Expect::Fast,
    ),
    (
        "unicode keys and values",
        "é: ü\n日本: 語\n\u{1F600}: smile\nkey: \"\u{1F600}\u{1F600}\"\nnested:\n  ключ: значение\n",
        Expect::Fast,
    ),
    (
        "crlf",
        "a: 1\r\nb:\r\n  c: héllo\r\n  d: [x, y]\r\ne: |\r\n  block\r\n  text\r\nf: 'q\r\n  r'\r\n",
        Expect::Fast,
    ),
    ("bom", "\u{feff}a: 1\nb: 2\n", Expect::Fast),
    ("only a bom", "\u{feff}", Expect::Either),
    ("bom and comment", "\u{feff}# c\n", Expect::Either),
    ("bom inside", "a: 1\n\u{feff}b: 2\n", Expect::Either),
    (
        "keys that are numbers or booleans",
        "1: one\n-2: minus\n1.5: float\n1e3: exp\ntrue: t\nFalse: f\n~: n\nnull_: s\n0755: z\n1_0: u\n",
        Expect::Fast,
    ),
    (
        "quoted number keys",
        "'1': one\n\"true\": t\n",
        Expect::Fast,
    ),
    (
        "int and string key collide",
        "1: a\n'1': b\n",
        Expect::Declines,
    ),
    ("int keys collide", "1: a\n+1: b\n", Expect::Declines),
    ("null keys collide", "~: a\nnull: b\n", Expect::Declines),
    (
        "float and int keys collide",
        "1.0: a\n1: b\n",
        Expect::Declines,
    ),
    ("bool keys collide", "true: a\nTrue: b\n", Expect::Declines),
    ("duplicate key", "a: 1\na: 2\n", Expect::Declines),
    (
        "nested duplicate key",
        "a:\n  b: 1\n  b: 2\n",
        Expect::Declines,
    ),
    ("empty key", ": v\n", Expect::Either),
    ("explicit key", "? a\n: b\n", Expect::Fast),
    ("explicit key without value", "? a\nb: 1\n", Expect::Fast),
    (
        "single pair in a flow sequence",
        "a: [x: 1, y, z: ]\n",
        Expect::Fast,
    ),
    ("explicit key in flow", "a: {? x : 1, ? y}\n", Expect::Fast),
    ("anchor on a key", "&k a: 1\n", Expect::Declines),
    (
        "tag directive, no tags",
        "%TAG !e! tag:example.com,2000:\n---\na: 1\n",
        Expect::Fast,
    ),
    ("explicit empty key", "?\n: b\n", Expect::Either),
    ("complex key", "? [a, b]\n: c\n", Expect::Declines),
    ("map key", "{a: 1}: c\n", Expect::Declines),
    ("anchor and alias", "a: &x 1\nb: *x\n", Expect::Declines),
    ("anchored map", "a: &x {k: v}\nb: *x\n", Expect::Declines),
    (
        "merge key",
        "base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n",
        Expect::Declines,
    ),
    (
        "merge key without alias",
        "c:\n  <<: {x: 1}\n  y: 2\n",
        Expect::Declines,
    ),
    ("quoted merge key", "c:\n  '<<': {x: 1}\n", Expect::Declines),
    ("unknown alias", "a: *nope\n", Expect::Declines),
    ("tag", "a: !!str 1\n", Expect::Declines),
    ("custom tag", "a: !custom x\n", Expect::Declines),
    ("binary tag", "a: !!binary aGVsbG8=\n", Expect::Declines),
    ("tagged map", "a: !!map {x: 1}\n", Expect::Declines),
    ("two documents", "a: 1\n---\nb: 2\n", Expect::Declines),
    (
        "two explicit documents",
        "---\na: 1\n---\nb: 2\n",
        Expect::Declines,
    ),
    (
        "document end then content",
        "a: 1\n...\nb: 2\n",
        Expect::Declines,
    ),
    ("yaml directive", "%YAML 1.2\n---\na: 1\n", Expect::Either),
    ("tab indentation", "a:\n\tb: 1\n", Expect::Declines),
    ("unterminated quote", "a: 'open\n", Expect::Declines),
    ("unterminated flow", "a: [1, 2\n", Expect::Declines),
    ("bad indentation", "a:\n  b: 1\n c: 2\n", Expect::Declines),
    ("nan", "a: .nan\n", Expect::Declines),
    ("inf", "a: -.inf\n", Expect::Declines),
    ("overflowing float", "a: 1e400\n", Expect::Declines),
    (
        "u64 beyond i64",
        "a: 9223372036854775808\n",
        Expect::Declines,
    ),
    ("beyond u64", "a: 99999999999999999999\n", Expect::Declines),
    ("hex", "a: 0x1F\n", Expect::Declines),
    (
        "lone surrogate escape",
        "a: \"\\uD800\"\n",
        Expect::Declines,
    ),
    ("nul byte", "a: b\0c\n", Expect::Either),
    (
        "colon in plain",
        "url: http://example.com:8080/x\ntime: 12:30:00\n",
        Expect::Fast,
    ),
    ("trailing spaces", "a: b   \nc: d\t\n", Expect::Fast),
    (
        "indented sequence",
        "a:\n- x\n- y\nb:\n  - z\n",
        Expect::Fast,
    ),
    (
        "sequence of maps",
        "- name: a\n  port: 1\n- name: b\n  port: 2\n-\n  name: c\n",
        Expect::Fast,
    ),
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Fast,
    Declines,
    Either,
}

fn check_expect(name: &str, text: &str, expect: Expect) {
    let took = check(name, text);
    match expect {
        Expect::Fast => assert!(took, "{name}: the fast path declined\n{text:?}"),
        Expect::Declines => assert!(!took, "{name}: the fast path should decline\n{text:?}"),
        Expect::Either => {}
    }
}

#[test]
fn tricky_documents() {
    for (name, text, expect) in DOCUMENTS {
        check_expect(name, text, *expect);
        // The same document with CRLF line endings, and without its final newline.
        if text.contains('\n') && !text.contains('\r') {
            check(&format!("{name} (crlf)"), &text.replace('\n', "\r\n"));
        }
        if let Some(stripped) = text.strip_suffix('\n') {
            check(&format!("{name} (no final newline)"), stripped);
        }
    }
}

/// Long keys (the parser's simple-key lookahead is 1,024 characters) and long values.
#[test]
fn long_scalars() {
    for len in [1_000, 1_024, 1_025, 5_000] {
        let key = "k".repeat(len);
        check(&format!("key of {len}"), &format!("{key}: v\n"));
        check(&format!("value of {len}"), &format!("v: {key}\n"));
    }
    assert!(check(
        "200 KB value",
        &format!("k: {}\n", "x".repeat(200_000))
    ));
}

/// Nesting right at the budget (48 levels) and one past it, block and flow.
#[test]
fn nesting_depth() {
    for depth in [47, 48, 49, 60] {
        let flow = format!("{}x{}", "[".repeat(depth), "]".repeat(depth));
        let took = check(&format!("flow depth {depth}"), &flow);
        assert_eq!(took, depth <= 48, "flow depth {depth}");
        let mut block = String::new();
        for level in 0..depth {
            block.push_str(&"  ".repeat(level));
            block.push_str("k:\n");
        }
        block.push_str(&"  ".repeat(depth));
        block.push_str("v: 1\n");
        // `depth` key lines plus the innermost mapping.
        let took = check(&format!("block depth {depth}"), &block);
        assert_eq!(took, depth < 48, "block depth {depth}");
    }
}

/// Random documents from a small grammar over the tricky scalars: flow and block, with
/// comments and odd spacing. Deterministic.
#[test]
fn random_documents() {
    let mut rng = synth::Rng::new(0x5EED);
    let mut fast = 0;
    let total = 3_000;
    for i in 0..total {
        let mut doc = String::new();
        block_map(&mut rng, &mut doc, 0, 3);
        if rng.chance(20) {
            doc = doc.replace('\n', "\r\n");
        }
        if check(&format!("random #{i}"), &doc) {
            fast += 1;
        }
    }
    eprintln!("random documents: {fast} of {total} on the fast path");
    assert!(
        fast > total / 3,
        "the fast path declined most random documents"
    );
}

fn scalar(rng: &mut synth::Rng) -> String {
    let s = *rng.pick(SCALARS);
    match rng.below(6) {
        0 => format!("'{}'", s.replace('\'', "''")),
        1 => format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
        _ if s.contains(": ") || s.starts_with(['#', '?', '-', '<']) => format!("'{s}'"),
        _ => s.to_owned(),
    }
}

fn flow(rng: &mut synth::Rng, out: &mut String, depth: usize) {
    match rng.below(if depth > 2 { 1 } else { 3 }) {
        0 => out.push_str(&scalar(rng)),
        1 => {
            out.push('[');
            for i in 0..rng.below(4) {
                if i > 0 {
                    out.push_str(if rng.chance(30) { " ,  " } else { ", " });
                }
                flow(rng, out, depth + 1);
            }
            out.push(']');
        }
        _ => {
            out.push('{');
            for i in 0..rng.below(4) {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&format!("k{i}: "));
                flow(rng, out, depth + 1);
            }
            out.push('}');
        }
    }
}

fn block_map(rng: &mut synth::Rng, out: &mut String, indent: usize, depth: usize) {
    let pad = " ".repeat(indent);
    let n = 1 + rng.below(4);
    for i in 0..n {
        if rng.chance(10) {
            out.push_str(&format!("{pad}# comment {i}\n"));
        }
        let key = if rng.chance(15) {
            scalar(rng)
        } else {
            format!("key{i}")
        };
        out.push_str(&format!("{pad}{key}:"));
        match rng.below(if depth == 0 { 3 } else { 6 }) {
            0 => out.push('\n'),
            1 | 2 => {
                out.push(' ');
                flow(rng, out, 0);
                if rng.chance(10) {
                    out.push_str("  # trailing");
                }
                out.push('\n');
            }
            3 => {
                out.push_str(" |\n");
                out.push_str(&format!("{pad}  {}\n{pad}  more\n", scalar(rng)));
            }
            4 => {
                out.push('\n');
                block_map(rng, out, indent + 2, depth - 1);
            }
            _ => {
                out.push('\n');
                for _ in 0..1 + rng.below(3) {
                    out.push_str(&format!("{pad}  - "));
                    flow(rng, out, 1);
                    out.push('\n');
                }
            }
        }
    }
}
