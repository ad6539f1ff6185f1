//! The YAML fast path held to the reference path, shared by the differential test
//! (`tests/yaml_fastpath.rs`) and the stable-toolchain fuzzer (`examples/fuzz_stable.rs`),
//! both of which include it with `#[path]`.
//!
//! Where `parse_fast` answers, its tree must equal `parse_reference`'s: the same values,
//! every `Pos` of every node and key, the same map order, floats to the bit. Where it
//! declines, `parse` must give exactly the reference's result, error included.

#![allow(dead_code)]

use infrac::load::yaml::{Node, ParseError, Value, parse, parse_fast, parse_reference};

/// The file id the comparisons parse under.
pub const FILE: u32 = 7;

/// Deep equality, map order and float bits included; the first difference as a message.
pub fn same(a: &Node, b: &Node, path: &str) -> Result<(), String> {
    if a.pos != b.pos {
        return Err(format!("{path}: pos {:?} vs {:?}", a.pos, b.pos));
    }
    if a.overrode != b.overrode {
        return Err(format!("{path}: overrode differs"));
    }
    match (&a.value, &b.value) {
        (Value::Null, Value::Null) => Ok(()),
        (Value::Bool(x), Value::Bool(y)) if x == y => Ok(()),
        (Value::Int(x), Value::Int(y)) if x == y => Ok(()),
        (Value::Float(x), Value::Float(y)) if x.to_bits() == y.to_bits() => Ok(()),
        (Value::Str(x), Value::Str(y)) if x == y => Ok(()),
        (Value::Seq(x), Value::Seq(y)) => {
            if x.len() != y.len() {
                return Err(format!("{path}: {} vs {} items", x.len(), y.len()));
            }
            for (i, (p, q)) in x.iter().zip(y.iter()).enumerate() {
                same(p, q, &format!("{path}/{i}"))?;
            }
            Ok(())
        }
        (Value::Map(x), Value::Map(y)) => {
            if x.len() != y.len() {
                return Err(format!("{path}: {} vs {} entries", x.len(), y.len()));
            }
            for ((k1, e1), (k2, e2)) in x.iter().zip(y.iter()) {
                if k1 != k2 {
                    return Err(format!("{path}: key {k1:?} vs {k2:?} (text or order)"));
                }
                if e1.key_pos != e2.key_pos {
                    return Err(format!(
                        "{path}/{k1}: key pos {:?} vs {:?}",
                        e1.key_pos, e2.key_pos
                    ));
                }
                same(&e1.value, &e2.value, &format!("{path}/{k1}"))?;
            }
            Ok(())
        }
        (x, y) => Err(format!("{path}: {x:?} vs {y:?}")),
    }
}

/// Every field of a parse error.
pub fn same_error(a: &ParseError, b: &ParseError) -> bool {
    (a.message.as_str(), a.offset, a.line, a.column, a.kind)
        == (b.message.as_str(), b.offset, b.line, b.column, b.kind)
}

/// Parses `text` all three ways: `Ok(true)` when the fast path answered (and agreed),
/// `Ok(false)` when it declined (and `parse` agreed with the reference), else the difference.
pub fn compare(text: &str) -> Result<bool, String> {
    let reference = parse_reference(text, FILE);
    let fast = parse_fast(text, FILE);
    if let Some(fast) = &fast {
        match &reference {
            Ok(node) => same(fast, node, "")
                .map_err(|diff| format!("fast path differs from the reference: {diff}"))?,
            Err(e) => {
                return Err(format!(
                    "fast path answered where the reference refuses ({})",
                    e.message
                ));
            }
        }
    }
    match (parse(text, FILE), &reference) {
        (Ok(a), Ok(b)) => {
            same(&a, b, "").map_err(|diff| format!("parse differs from the reference: {diff}"))?
        }
        (Err(a), Err(b)) if same_error(&a, b) => {}
        (a, b) => return Err(format!("parse gives {a:?}, the reference {b:?}")),
    }
    Ok(fast.is_some())
}
