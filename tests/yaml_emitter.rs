//! Differential test of the hand-rolled YAML emitter (`artifact::yaml`) against serde-saphyr,
//! which defines infrac's YAML: for every value here the emitter's text must equal
//! serde-saphyr's byte for byte, with no fallback taken.
//!
//! Coverage: a corpus of tricky strings (YAML 1.1 lookalikes, indicators, every ASCII
//! punctuation at the start, middle and end, white space, control and non-ASCII characters,
//! multi-line text) in every position (root, map value, map key, sequence item, nested);
//! pseudo-random strings and nested values; typed Rust values; multi-document streams; and
//! every committed Kubernetes golden file, parsed and re-emitted. Set
//! `INFRAC_YAML_GOLDEN_DIRS=/tmp/s1000/golden:...` to add more golden trees.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a test: it reports what it measured

use infrac::artifact::yaml::{emit_block_yaml, serde_saphyr_yaml, to_yaml, to_yaml_documents};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::path::{Path, PathBuf};

/// Collects mismatches so that one run reports all of them, not just the first.
#[derive(Default)]
struct Differences {
    checked: usize,
    failures: Vec<String>,
}

impl Differences {
    fn check<T: Serialize + Debug + ?Sized>(&mut self, value: &T) {
        self.checked += 1;
        let reference = serde_saphyr_yaml(value);
        match emit_block_yaml(value) {
            Ok(ours) if ours == reference => {}
            Ok(ours) => self.failures.push(format!(
                "value {}\n  serde-saphyr: {}\n  emitter:      {}",
                clipped(value),
                clipped(&reference),
                clipped(&ours)
            )),
            Err(e) => self
                .failures
                .push(format!("value {}\n  emitter refused: {e}", clipped(value))),
        }
    }

    fn assert_none(self, what: &str) {
        assert!(
            self.failures.is_empty(),
            "{what}: {} of {} values differ; first ones:\n{}",
            self.failures.len(),
            self.checked,
            self.failures
                .iter()
                .take(15)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
        eprintln!("{what}: {} values identical", self.checked);
    }
}

/// `{:?}`, cut to a readable length.
fn clipped<T: Debug + ?Sized>(value: &T) -> String {
    let text = format!("{value:?}");
    match text.char_indices().nth(300) {
        Some((end, _)) => format!("{}… ({} bytes)", &text[..end], text.len()),
        None => text,
    }
}

/// Every shape a string can take in a Kubernetes document.
fn check_in_every_position(d: &mut Differences, s: &str) {
    d.check(&Value::from(s));
    d.check(&json!({ "k": s }));
    d.check(&json!({ s: 1 }));
    d.check(&json!({ s: s }));
    d.check(&json!([s]));
    d.check(&json!([s, [s], [[s]], {"a": s}]));
    d.check(&json!({"a": [{"b": s, "c": [s], "d": {"e": s}}], "f": {"g": {"h": [s]}}}));
    d.check(&json!({"a": {"b": [{ s: s, "c": [[s, {"d": s}]] }]}}));
    d.check(&json!([{ s: [] }, { s: {} }, {"x": s}]));
}

fn tricky_strings() -> Vec<String> {
    let mut v: Vec<String> = [
        // YAML 1.1 and 1.2 lookalikes
        "on",
        "On",
        "ON",
        "off",
        "Off",
        "yes",
        "Yes",
        "YES",
        "no",
        "No",
        "NO",
        "y",
        "Y",
        "n",
        "N",
        "true",
        "True",
        "TRUE",
        "false",
        "False",
        "tRuE",
        "null",
        "Null",
        "NULL",
        "~",
        "nan",
        "NaN",
        ".nan",
        ".NaN",
        "inf",
        "+inf",
        "-inf",
        ".inf",
        "-.inf",
        "+.inf",
        ".Inf",
        "<<",
        "=",
        "12:30",
        "1:20:30.5",
        "0:30",
        "00:30",
        "1:60",
        "190:20:30",
        "-1:30",
        "1",
        "0",
        "-1",
        "+1",
        "0755",
        "0o755",
        "0O7",
        "0x1F",
        "0X1f",
        "0xG",
        "0b101",
        "0b2",
        "+0b1",
        "0b+1",
        "0o+7",
        "1e3",
        "1E3",
        "1e+3",
        "1e-3",
        "1.5e3",
        ".5",
        "5.",
        ".",
        "..",
        "1.2.3",
        "1..2",
        "1_000",
        "1__0",
        "_1",
        "1_",
        "0x_1",
        "1_0.5",
        "1e_3",
        "_",
        "+",
        "-.5",
        "+.5",
        "1.0.0-rc.1",
        "v1.2.3",
        "2024-01-02",
        "2024-1-2",
        "2024-01-02T03:04:05Z",
        "2024-01-02 03:04:05",
        "2024-01-02t3:4:5.123+02:00",
        "2024-01-02 03:04:05 -5",
        "2024-01-02T03:04:05,5Z",
        "2024-01-02x",
        "20240-01-02",
        "1e",
        "e3",
        "0.",
        "-0",
        "00",
        "007",
        "123456789012345678901234567890",
        "3.14159",
        "1,000",
        "1 000",
        "10m",
        "256Mi",
        "0.5",
        "100%",
        // identifier-shaped (the emitter's fast path)
        "nulls",
        "trues",
        "Nan",
        "NAN",
        "INF",
        "Inf",
        "infinity",
        "yess",
        "oN",
        "oFf",
        "nO",
        "x",
        "a-",
        "a_",
        "a/",
        "a.",
        "a-b.c_d/e",
        "app.kubernetes.io/name",
        "apps/v1",
        "v1",
        "Deployment",
        "e1",
        "E5",
        "x1e3",
        "a--",
        "a..b",
        "a//b",
        "Y1",
        "N/A",
        "n-a",
        // indicators and structure
        "key: value",
        "key:value",
        "key:",
        "key: ",
        ":key",
        ": key",
        "a #b",
        "a#b",
        "#a",
        "#",
        "-",
        "-a",
        "- a",
        "--",
        "---",
        "--- a",
        "---a",
        "...",
        "... a",
        "...a",
        "?",
        "?a",
        "? a",
        "*a",
        "&a",
        "!a",
        "!!str",
        "|a",
        "|",
        ">a",
        ">",
        "'a",
        "a'b",
        "'",
        "\"a",
        "a\"b",
        "\"",
        "%a",
        "@a",
        "`a",
        "{a",
        "a{b",
        "}",
        "[a",
        "a[b]",
        "]",
        ",a",
        "a,b",
        "a, b",
        "a,",
        "http://example.com:8080/path?q=1#frag",
        "a b",
        "a  b",
        "a:b:c",
        "a:\tb",
        "a\t#b",
        "*",
        "&",
        "!",
        "%",
        "@",
        "`",
        "{}",
        "[]",
        "{a: b}",
        "[a, b]",
        "a: b: c",
        "a ? b",
        "a - b",
        "a -b",
        "- ",
        "? ",
        "-\t",
        "a:#",
        "#!/bin/sh",
        "./x",
        "../x",
        "/",
        "\\",
        "a\\b",
        "\\n",
        "$HOME",
        "${VAR}",
        "{{ .Values }}",
        "a=b",
        "a==b",
        // white space
        "",
        " ",
        "  ",
        "\t",
        " \t ",
        " a",
        "a ",
        " a ",
        "\ta",
        "a\t",
        "a\tb",
        "a  ",
        "\u{a0}",
        "a\u{a0}",
        "\u{a0}a",
        "a:\u{a0}",
        "a\u{3000}#b",
        "a\u{2003}",
        "\u{3000}",
        // control characters
        "\0",
        "a\0b",
        "\u{1}",
        "\u{7}",
        "\u{8}",
        "\u{b}",
        "\u{c}",
        "\u{1b}",
        "\u{1f}",
        "\u{7f}",
        "\u{80}",
        "\u{85}",
        "a\u{85}b",
        "\u{9f}",
        "\r",
        "a\rb",
        "a\r\nb",
        "\u{feff}",
        "\u{feff}a",
        "a\u{2028}b",
        "a\u{2029}b",
        "\u{fffe}",
        "\u{ffff}",
        "\u{fffd}",
        "\u{d7ff}",
        "\u{e000}",
        // unicode
        "é",
        "naïve",
        "日本語",
        "emoji 😀",
        "😀",
        "a😀:",
        "Ω: x",
        "ß#",
        "é #x",
        "\u{10ffff}",
        // multi-line
        "a\nb",
        "a\nb\n",
        "a\nb\n\n",
        "a\nb\n\n\n",
        "\n",
        "\n\n",
        "\n\n\n",
        "\na",
        "\na\n",
        " a\nb",
        "  a\n b\n",
        "\n a",
        "\n\n  a\n",
        "a\n\n\nb",
        "a\n\tb",
        "\ta\nb",
        "a \nb ",
        "a\n ",
        "a\n\u{85}",
        "a\r\nb\n",
        "a\u{7}\nb",
        "a\n#b",
        "key: value\nother: x\n",
        "- a\n- b\n",
        "---\n...\n",
        "'\"\n",
        "a\n\u{feff}",
        "a\n😀\n",
        "line1\n  line2\n",
        "#!/bin/sh\nset -e\necho \"$1\"\n",
        " \n",
        "\t\n",
        "a\n\n",
        "\n\na\n\n",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    // Every ASCII punctuation at the start, middle and end, alone, doubled, and next to spaces.
    for p in (0x21u8..0x7F)
        .map(char::from)
        .filter(char::is_ascii_punctuation)
    {
        for s in [
            format!("{p}"),
            format!("{p}{p}"),
            format!("{p}a"),
            format!("a{p}"),
            format!("a{p}b"),
            format!("{p} a"),
            format!("a {p}"),
            format!("a {p}b"),
            format!("a{p} b"),
            format!("1{p}2"),
            format!("{p}1"),
            format!("1{p}"),
            format!("{p}\n"),
            format!("a\n{p}"),
        ] {
            v.push(s);
        }
    }
    // Every ASCII character, and a sample of Latin-1 and other code points, alone and inside.
    for c in (0u8..0x80)
        .map(char::from)
        .chain((0x80u32..0x100).filter_map(char::from_u32))
        .chain(
            [
                0x2000, 0x200b, 0x2028, 0x2029, 0x202f, 0x3000, 0xfeff, 0xfffe, 0xffff, 0x1f600,
            ]
            .into_iter()
            .filter_map(char::from_u32),
        )
    {
        v.push(c.to_string());
        v.push(format!("a{c}b"));
        v.push(format!("{c}a"));
        v.push(format!("a{c}"));
    }
    // Digits only, white space only.
    for n in 1..=12 {
        v.push("7".repeat(n));
        v.push("0".repeat(n));
        v.push(" ".repeat(n));
        v.push("\n".repeat(n));
    }
    v
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn string(&mut self) -> String {
        const ALPHABET: &[&str] = &[
            "a",
            "b",
            "y",
            "n",
            "o",
            "e",
            "E",
            "x",
            "0",
            "1",
            "5",
            "9",
            " ",
            " ",
            ":",
            ":",
            "#",
            "-",
            "?",
            ".",
            "_",
            "+",
            "'",
            "\"",
            "\\",
            ",",
            "[",
            "{",
            "}",
            "!",
            "&",
            "*",
            "|",
            ">",
            "%",
            "@",
            "`",
            "~",
            "=",
            "<",
            "\n",
            "\n",
            "\t",
            "\r",
            "\0",
            "\u{85}",
            "\u{a0}",
            "é",
            "😀",
            "\u{feff}",
            "\u{2028}",
            "true",
            "null",
            "yes",
            "on",
            "---",
            "...",
            ": ",
            " #",
            "0x",
            "0o",
            "2024-01-02",
            "12:30",
            ".inf",
        ];
        let len = self.below(9);
        (0..len)
            .map(|_| ALPHABET[self.below(ALPHABET.len())])
            .collect()
    }
    fn scalar(&mut self) -> Value {
        match self.below(10) {
            0 => Value::Null,
            1 => Value::Bool(self.below(2) == 0),
            2 => json!(self.next() as i64),
            3 => json!(self.below(70_000)),
            4 => {
                json!([0.0, -0.0, 1.5, 0.1, 1e20, 1e-7, 100.0, -2.5e300, 123456.789][self.below(9)])
            }
            5 => json!([u64::MAX, i64::MIN as u64, 0][self.below(3)]),
            6 => json!(i64::MIN),
            _ => Value::String(self.string()),
        }
    }
    fn value(&mut self, depth: usize) -> Value {
        if depth == 0 {
            return self.scalar();
        }
        match self.below(5) {
            0 => self.scalar(),
            1 | 2 => {
                let mut map = Map::new();
                for _ in 0..self.below(4) {
                    let key = if self.below(3) == 0 {
                        self.string()
                    } else {
                        format!("k{}", self.below(100))
                    };
                    map.insert(key, self.value(depth - 1));
                }
                Value::Object(map)
            }
            _ => Value::Array((0..self.below(4)).map(|_| self.value(depth - 1)).collect()),
        }
    }
}

#[test]
fn tricky_strings_match_in_every_position() {
    let mut d = Differences::default();
    for s in tricky_strings() {
        check_in_every_position(&mut d, &s);
    }
    d.assert_none("tricky strings");
}

#[test]
fn random_strings_match_in_every_position() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut d = Differences::default();
    for _ in 0..20_000 {
        let s = rng.string();
        check_in_every_position(&mut d, &s);
    }
    d.assert_none("random strings");
}

#[test]
fn random_nested_values_match() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let mut d = Differences::default();
    for _ in 0..20_000 {
        let v = rng.value(5);
        d.check(&v);
    }
    d.assert_none("random nested values");
}

#[test]
fn scalars_and_empty_collections_match() {
    let mut d = Differences::default();
    for v in [
        json!(null),
        json!(true),
        json!(false),
        json!(0),
        json!(-1),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(1.5),
        json!(-0.0),
        json!(1e20),
        json!(1e-7),
        json!(3.0),
        json!({}),
        json!([]),
        json!([[]]),
        json!([{}]),
        json!([[[]]]),
        json!({"a": {}}),
        json!({"a": []}),
        json!({"a": [[]]}),
        json!({"a": [{}]}),
        json!({"a": {"b": {}}}),
        json!([{"a": {}}, {"a": []}, {"a": [{}]}]),
        json!({"apiVersion": "v1", "kind": "List", "items": [
            {"metadata": {"name": "x", "labels": {"app.kubernetes.io/name": "x"}},
             "spec": {"containers": [{"name": "c", "args": ["--port", "8080", "-v"],
                       "env": [{"name": "A", "value": "1"}],
                       "ports": [{"containerPort": 8080}]}]}}]}),
    ] {
        d.check(&v);
    }
    d.assert_none("scalars and empty collections");
}

#[derive(Serialize, Debug)]
enum Mode {
    Fast,
    #[serde(rename = "on")]
    On,
}

#[derive(Serialize, Debug)]
struct Port(u16);

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
struct Typed {
    name: String,
    replicas: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    empty_skipped: Vec<String>,
    empty: Vec<String>,
    args: Vec<String>,
    mode: Mode,
    other_mode: Mode,
    port: Port,
    by_port: BTreeMap<u16, String>,
    by_flag: BTreeMap<bool, i8>,
    by_char: BTreeMap<char, i128>,
    pair: (u8, String),
    unit: (),
    letter: char,
    ratio: f32,
    big: u128,
    nested: Vec<Vec<Option<String>>>,
    script: String,
}

#[test]
fn typed_values_match() {
    let typed = Typed {
        name: "x".into(),
        replicas: None,
        skipped: None,
        empty_skipped: vec![],
        empty: vec![],
        args: vec!["--a=1".into(), "on".into(), "- x".into()],
        mode: Mode::Fast,
        other_mode: Mode::On,
        port: Port(8080),
        by_port: [(80, "http".into()), (443, "https".into())].into(),
        by_flag: [(true, 1), (false, -1)].into(),
        by_char: [('y', 1), ('a', i128::MIN)].into(),
        pair: (1, "12:30".into()),
        unit: (),
        letter: '#',
        ratio: 0.1,
        big: u128::MAX,
        nested: vec![vec![None, Some("a\nb".into())], vec![]],
        script: " indented\n".into(),
    };
    let mut d = Differences::default();
    d.check(&typed);
    d.check(&vec![&typed, &typed]);
    d.check(&json!({"k": [1]}).as_object().unwrap());
    d.check(&["a".to_owned(), "yes".to_owned()][..]);
    d.check(&Vec::<String>::new());
    d.check(&Some("x"));
    d.check(&'\n');
    d.check(&Mode::On);
    d.assert_none("typed values");
}

#[test]
fn documents_match() {
    let docs = [
        json!({"a": 1}),
        json!([]),
        json!("x\n"),
        json!({}),
        json!({"b": [{}]}),
    ];
    assert_eq!(
        to_yaml_documents(&docs),
        serde_saphyr::to_string_multiple_with_options(
            &docs,
            infrac::artifact::yaml::serde_saphyr_options()
        )
        .unwrap()
    );
    assert_eq!(to_yaml_documents::<Value>(&[]), "");
}

/// Shapes the emitter leaves to serde-saphyr: it must refuse them, and `to_yaml` must still
/// produce serde-saphyr's text.
#[test]
fn unsupported_shapes_fall_back_whole() {
    #[derive(Serialize, Debug)]
    enum Variant {
        Newtype(u8),
        Tuple(u8, u8),
        Struct { a: u8 },
    }
    #[derive(Serialize, Debug)]
    struct Bytes<'a>(#[serde(with = "serde_bytes_like")] &'a [u8]);
    mod serde_bytes_like {
        pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(v)
        }
    }
    let long_plain = "a".repeat(100_001);
    let long_words = "word ".repeat(20_001);
    let long_key = "k".repeat(1025);
    let long_quoted_key = "y".repeat(1023);
    let mut key_map = BTreeMap::new();
    key_map.insert(vec![1, 2], "complex key");
    let cases: Vec<(&str, String, String)> = vec![
        (
            "newtype variant",
            to_yaml(&Variant::Newtype(1)),
            serde_saphyr_yaml(&Variant::Newtype(1)),
        ),
        (
            "tuple variant",
            to_yaml(&vec![Variant::Tuple(1, 2)]),
            serde_saphyr_yaml(&vec![Variant::Tuple(1, 2)]),
        ),
        (
            "struct variant",
            to_yaml(&json_map_of(Variant::Struct { a: 1 })),
            serde_saphyr_yaml(&json_map_of(Variant::Struct { a: 1 })),
        ),
        (
            "bytes",
            to_yaml(&vec![Bytes(b"hi")]),
            serde_saphyr_yaml(&vec![Bytes(b"hi")]),
        ),
        (
            "folded long string",
            to_yaml(&json!({"k": long_plain})),
            serde_saphyr_yaml(&json!({"k": long_plain})),
        ),
        (
            "folded long words",
            to_yaml(&json!([long_words])),
            serde_saphyr_yaml(&json!([long_words])),
        ),
        (
            "long key",
            to_yaml(&json!({ long_key.clone(): 1 })),
            serde_saphyr_yaml(&json!({ long_key: 1 })),
        ),
        (
            "long quoted key",
            to_yaml(&json!({ format!("{long_quoted_key}: x"): 1 })),
            serde_saphyr_yaml(&json!({ format!("{long_quoted_key}: x"): 1 })),
        ),
        (
            "complex key",
            to_yaml(&key_map),
            serde_saphyr_yaml(&key_map),
        ),
        (
            "LitStr",
            to_yaml(&vec![serde_saphyr::LitStr("a")]),
            serde_saphyr_yaml(&vec![serde_saphyr::LitStr("a")]),
        ),
    ];
    for (what, ours, reference) in cases {
        assert_eq!(ours, reference, "{what}");
    }
    assert!(emit_block_yaml(&Variant::Newtype(1)).is_err());
    assert!(emit_block_yaml(&json!({"k": "a".repeat(100_001)})).is_err());
    // Trailing spaces do not count against folding: a folded block keeps them.
    let spaced = format!("{} ", "a".repeat(100_000));
    assert!(emit_block_yaml(&json!([spaced])).is_err());
    assert_eq!(
        to_yaml(&json!([spaced])),
        serde_saphyr_yaml(&json!([spaced]))
    );
    assert!(serde_saphyr_yaml(&json!([spaced])).starts_with("- >-\n"));
    assert!(emit_block_yaml(&json!({ "k".repeat(1025): 1 })).is_err());
    assert!(emit_block_yaml(&vec![serde_saphyr::LitStr("a")]).is_err());
    // Long strings that do not fold stay on the fast path.
    let mut d = Differences::default();
    for s in [
        "a".repeat(100_000),
        format!("- {}", "a".repeat(100_001)),
        format!("{}: b", "a".repeat(100_001)),
        format!("{}\n", "a ".repeat(60_000)),
        " ".repeat(100_001),
        "é".repeat(60_000),
    ] {
        d.check(&json!({"k": s}));
        d.check(&json!([s]));
    }
    d.check(&json!({ "k".repeat(1024): 1 }));
    d.check(&json!({ "é".repeat(1024): 1 }));
    d.assert_none("long strings that do not fold");
}

fn json_map_of<T: Serialize>(v: T) -> BTreeMap<&'static str, T> {
    [("k", v)].into()
}

/// Every YAML file under each `golden/kubernetes` tree, parsed and re-emitted. serde-saphyr
/// wrote them, so re-emitting must reproduce them exactly, except where parsing itself loses
/// something (an unquoted integer-looking key comes back as a string and is then quoted);
/// there the reference is serde-saphyr's own re-emission, and the file count is reported.
#[test]
fn golden_kubernetes_files_round_trip() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut trees = vec![root.join("golden/kubernetes")];
    for entry in std::fs::read_dir(root.join("tests/fixtures/valid")).expect("fixtures") {
        let dir = entry
            .expect("fixture entry")
            .path()
            .join("golden/kubernetes");
        if dir.is_dir() {
            trees.push(dir);
        }
    }
    if let Ok(extra) = std::env::var("INFRAC_YAML_GOLDEN_DIRS") {
        trees.extend(
            extra
                .split(':')
                .filter(|s| !s.is_empty())
                .map(|s| Path::new(s).join("kubernetes")),
        );
    }
    let mut files = Vec::new();
    for tree in &trees {
        collect_yaml(tree, &mut files);
    }
    assert!(files.len() > 200, "only {} golden files found", files.len());
    let (mut identical, mut parse_changes, mut failures) = (0, Vec::new(), Vec::new());
    for file in &files {
        let text = std::fs::read_to_string(file).expect("golden file");
        let docs: Vec<Value> = serde_saphyr::from_multiple(&text)
            .unwrap_or_else(|e| panic!("{} does not parse: {e}", file.display()));
        let mut ours = String::new();
        for (i, doc) in docs.iter().enumerate() {
            if i > 0 {
                ours.push_str("---\n");
            }
            match emit_block_yaml(doc) {
                Ok(s) => ours.push_str(&s),
                Err(e) => failures.push(format!("{}: emitter refused: {e}", file.display())),
            }
        }
        if ours == text {
            identical += 1;
            continue;
        }
        let reference = serde_saphyr::to_string_multiple_with_options(
            &docs,
            infrac::artifact::yaml::serde_saphyr_options(),
        )
        .expect("serde-saphyr re-emits");
        if ours == reference {
            parse_changes.push(file.display().to_string());
        } else {
            failures.push(format!(
                "{}: differs from serde-saphyr\n{}",
                file.display(),
                first_difference(&reference, &ours)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} golden files differ:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
    eprintln!(
        "golden files: {} re-emitted identically, {} changed by parse-and-re-emit alone \
         (matching serde-saphyr's own re-emission): {:?}",
        identical,
        parse_changes.len(),
        parse_changes.iter().take(5).collect::<Vec<_>>()
    );
}

fn collect_yaml(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            collect_yaml(&path, files);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            files.push(path);
        }
    }
}

fn first_difference(expected: &str, actual: &str) -> String {
    for (i, (e, a)) in expected.lines().zip(actual.lines()).enumerate() {
        if e != a {
            return format!(
                "  line {}:\n  serde-saphyr: {e:?}\n  emitter:      {a:?}",
                i + 1
            );
        }
    }
    format!(
        "  lengths {} vs {} lines",
        expected.lines().count(),
        actual.lines().count()
    )
}
