//! Cloud resource names within each cloud's limits, shortened deterministically.
//!
//! A name that fits is kept readable; one that does not is cut and given a 6-hex suffix from
//! the SHA-256 of the full name, so two long names never collide by truncation and the same
//! input always gives the same name. String functions, no HCL; only [`base`] reads the model.

use sha2::{Digest, Sha256};

/// The environment part of the cloud names `env`'s root creates: its name, or
/// `<env>-<cell>` in a cell ([`crate::backend::contract::cell_scoped`]).
pub fn base(env: &crate::model::Environment) -> String {
    crate::backend::contract::cell_scoped(&env.name, env.cell.as_deref())
}

/// The first 6 hex digits of SHA-256 of `text`.
pub fn short_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().take(3).map(|b| format!("{b:02x}")).collect()
}

/// Lowercase letters, digits and single dashes, starting with a letter, at most `max` chars.
/// Fits RDS / DocumentDB identifiers (63), ElastiCache ids (40), Amazon MQ brokers (50),
/// OpenSearch domains (28), S3 and GCS buckets (63), Cloud SQL and Memorystore ids, Azure
/// server names and IAM role names.
pub fn dns_label(parts: &[&str], max: usize) -> String {
    let full = parts.join("-");
    let mut out = String::with_capacity(full.len());
    for c in full.chars().map(|c| c.to_ascii_lowercase()) {
        let c = if c.is_ascii_alphanumeric() { c } else { '-' };
        if !(c == '-' && (out.is_empty() || out.ends_with('-'))) {
            out.push(c);
        }
    }
    let mut out = out.trim_end_matches('-').to_owned();
    if !out.starts_with(|c: char| c.is_ascii_lowercase()) {
        out.insert(0, 'x');
    }
    if out.len() <= max {
        return out;
    }
    let hash = short_hash(&full);
    let mut head: String = out.chars().take(max - hash.len() - 1).collect();
    while head.ends_with('-') {
        head.pop();
    }
    format!("{head}-{hash}")
}

/// An Azure storage account name: 3–24 lowercase letters and digits, globally unique.
pub fn azure_storage_account(parts: &[&str]) -> String {
    alnum(parts, 24)
}

/// Lowercase letters and digits only, at most `max`, shortened with a hash.
pub fn alnum(parts: &[&str], max: usize) -> String {
    let full = parts.join("-");
    let out: String = full
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if out.len() <= max && out.len() >= 3 {
        return out;
    }
    let hash = short_hash(&full);
    let head: String = out.chars().take(max - hash.len()).collect();
    format!("{head}{hash}")
}

/// A GCP service account id: 6–30 chars, lowercase letters, digits and dashes, starting
/// with a letter.
pub fn gcp_service_account(parts: &[&str]) -> String {
    let name = dns_label(parts, 30);
    if name.len() < 6 {
        format!("{name}-{}", short_hash(&name))
    } else {
        name
    }
}

/// A GCP label value: at most 63 of lowercase letters, digits, `_` and `-`.
pub fn gcp_label(value: &str) -> String {
    let out: String = value
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(63)
        .collect();
    out
}

/// A Terraform identifier from a DNS label (`payment-service` → `payment_service`).
pub fn tf_ident(name: &str) -> String {
    name.replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_kept() {
        assert_eq!(
            dns_label(&["shop", "prod", "cart", "db"], 63),
            "shop-prod-cart-db"
        );
        assert_eq!(
            azure_storage_account(&["shop", "dev", "cart", "files"]),
            "shopdevcartfiles"
        );
    }

    #[test]
    fn long_names_are_shortened_with_a_hash() {
        let parts = ["payments-engine", "staging", "payment-service", "documents"];
        let account = azure_storage_account(&parts);
        assert_eq!(account.len(), 24);
        assert!(
            account
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
        assert_eq!(account, azure_storage_account(&parts), "deterministic");
        let other = azure_storage_account(&[
            "payments-engine",
            "staging",
            "payment-service",
            "documents2",
        ]);
        assert_ne!(account, other, "distinct inputs stay distinct");
        let label = dns_label(&parts, 28);
        assert_eq!(label.len(), 28);
        assert!(!label.contains("--") && !label.ends_with('-'));
    }

    #[test]
    fn names_start_with_a_letter_and_have_no_bad_characters() {
        assert_eq!(dns_label(&["1shop", "A_b"], 63), "x1shop-a-b");
        assert_eq!(gcp_label("Payments Team"), "payments_team");
        let sa = gcp_service_account(&["payments-engine", "prod", "notification-dispatcher"]);
        assert!(sa.len() <= 30 && sa.len() >= 6, "{sa}");
        assert_eq!(gcp_service_account(&["a"]).len(), 8);
        assert_eq!(tf_ident("payment-service"), "payment_service");
    }
}
