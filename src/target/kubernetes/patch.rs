//! JSON Patch (RFC 6902) between two renderings of one object: how an overlay says what an
//! environment changes in a base resource.
//!
//! Objects are compared key by key and arrays of equal length index by index, so a patch
//! touches only the leaves that differ. It must not know any Kubernetes kind.

use serde_json::{Value, json};

/// The operations that turn `base` into `want`, in `want`'s key order, removals last.
pub(crate) fn diff(base: &Value, want: &Value) -> Vec<Value> {
    let mut ops = Vec::new();
    diff_at(base, want, String::new(), &mut ops);
    ops
}

fn diff_at(base: &Value, want: &Value, path: String, ops: &mut Vec<Value>) {
    match (base, want) {
        (Value::Object(b), Value::Object(w)) => {
            for (key, wv) in w {
                let child = format!("{path}/{}", escape(key));
                match b.get(key) {
                    Some(bv) => diff_at(bv, wv, child, ops),
                    None => ops.push(json!({"op": "add", "path": child, "value": wv})),
                }
            }
            for key in b.keys().filter(|k| !w.contains_key(*k)) {
                ops.push(json!({"op": "remove", "path": format!("{path}/{}", escape(key))}));
            }
        }
        (Value::Array(b), Value::Array(w)) if b.len() == w.len() => {
            for (i, (bv, wv)) in b.iter().zip(w).enumerate() {
                diff_at(bv, wv, format!("{path}/{i}"), ops);
            }
        }
        _ if base != want => ops.push(json!({"op": "replace", "path": path, "value": want})),
        _ => {}
    }
}

/// RFC 6901 escaping of one reference token.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
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
