//! YAML out: every Kubernetes, Istio, Argo and Kustomize document is serialised here, from
//! typed structs or `serde_json::Value` (with `preserve_order`), never from text templates.
//!
//! serde-saphyr quotes every string a YAML 1.1 reader would misread (`on`, `yes`, `12:30`).

use serde::Serialize;

fn options() -> serde_saphyr::SerializerOptions {
    serde_saphyr::ser_options! {
        indent_step: 2,
        folded_wrap_chars: 100_000,
        prefer_block_scalars: true,
    }
}

/// One YAML document.
pub fn to_yaml<T: Serialize>(value: &T) -> String {
    serde_saphyr::to_string_with_options(value, options())
        .expect("serialising an in-memory value to YAML cannot fail")
}

/// Several documents in one stream, separated by `---`.
pub fn to_yaml_documents<T: Serialize>(values: &[T]) -> String {
    serde_saphyr::to_string_multiple_with_options(values, options())
        .expect("serialising in-memory values to YAML cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_1_1_lookalikes_are_quoted() {
        let v =
            serde_json::json!({"a": "on", "b": "yes", "c": "12:30", "d": "1", "e": [], "f": {}});
        let out = to_yaml(&v);
        assert_eq!(
            out, "a: \"on\"\nb: \"yes\"\nc: \"12:30\"\nd: \"1\"\ne: []\nf: {}\n",
            "{out}"
        );
    }

    #[test]
    fn documents_are_separated() {
        let out = to_yaml_documents(&[serde_json::json!({"a": 1}), serde_json::json!({"b": 2})]);
        assert_eq!(out, "a: 1\n---\nb: 2\n");
    }
}
