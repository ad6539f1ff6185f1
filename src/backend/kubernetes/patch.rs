//! JSON Patch (RFC 6902) between two renderings of one object: how an overlay says what an
//! environment changes in a base resource.
//!
//! Objects are compared key by key and arrays of equal length index by index, so a patch
//! touches only the leaves that differ. It must not know any Kubernetes kind.

use serde_json::{Value, json};

/// The operations that turn `base` into `want`, in `want`'s key order, removals last.
pub(crate) fn diff(base: &Value, want: &Value) -> Vec<Value> {
    let mut ops = Vec::new();
    diff_at(base, want, &mut String::new(), &mut ops);
    ops
}

/// `path` is the pointer to `base`/`want`; it is extended for children and restored after,
/// so equal subtrees cost no allocation.
fn diff_at(base: &Value, want: &Value, path: &mut String, ops: &mut Vec<Value>) {
    let len = path.len();
    match (base, want) {
        (Value::Object(b), Value::Object(w)) => {
            for (key, wv) in w {
                push_token(path, key);
                match b.get(key) {
                    Some(bv) => diff_at(bv, wv, path, ops),
                    None => ops
                        .push(obj! {"op" => "add", "path" => path.as_str(), "value" => wv.clone()}),
                }
                path.truncate(len);
            }
            for key in b.keys().filter(|k| !w.contains_key(*k)) {
                push_token(path, key);
                ops.push(json!({"op": "remove", "path": path.as_str()}));
                path.truncate(len);
            }
        }
        (Value::Array(b), Value::Array(w)) if b.len() == w.len() => {
            for (i, (bv, wv)) in b.iter().zip(w).enumerate() {
                use std::fmt::Write;
                let _ = write!(path, "/{i}");
                diff_at(bv, wv, path, ops);
                path.truncate(len);
            }
        }
        _ if base != want => {
            ops.push(obj! {"op" => "replace", "path" => path.as_str(), "value" => want.clone()})
        }
        _ => {}
    }
}

/// Appends `/` and the RFC 6901 escaping of one reference token.
fn push_token(path: &mut String, key: &str) {
    path.push('/');
    for c in key.chars() {
        match c {
            '~' => path.push_str("~0"),
            '/' => path.push_str("~1"),
            c => path.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_touches_only_differences() {
        let base = json!({"a": {"b": 1, "c": [1, 2]}, "gone": true, "l": [1]});
        let want = json!({"a": {"b": 2, "c": [1, 3], "x/y": "n"}, "l": [1, 2]});
        let ops = diff(&base, &want);
        assert_eq!(
            ops,
            vec![
                json!({"op": "replace", "path": "/a/b", "value": 2}),
                json!({"op": "replace", "path": "/a/c/1", "value": 3}),
                json!({"op": "add", "path": "/a/x~1y", "value": "n"}),
                json!({"op": "replace", "path": "/l", "value": [1, 2]}),
                json!({"op": "remove", "path": "/gone"}),
            ]
        );
        assert!(diff(&want, &want).is_empty());
    }
}
