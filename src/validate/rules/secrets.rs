//! Secrets stay out of the repository: `config` carries no passwords or keys, neither does
//! `terraform.backend.config`, and a secret reference names its environment's store.
//!
//! A value is a secret by its key name (`DB_PASSWORD`, backend `access_key`) or by its
//! shape ([`secret_shape`]): known token formats, private-key headers, credentials in a URL,
//! and long high-entropy strings. Numbers and booleans are never secrets (so
//! `PASSWORD_MIN_LENGTH: 12` or `TOKEN_TTL_SECONDS: 3600` pass), nor are URLs without
//! credentials (`PASSWORD_RESET_URL: https://…`).

use super::RuleCtx;
use crate::diagnostic::{Code, Diagnostic};
use crate::load::yaml::Pos;
use crate::spec::{Field, SpecService};

/// Config keys that name a secret; their values belong in the secret store.
const SECRET_WORDS: [&str; 8] = [
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "CREDENTIAL",
];

/// Terraform backend arguments that carry a credential (the azurerm backend's
/// `access_key`, `sas_token`, `client_secret`, `client_certificate_password`; the s3
/// backend's `access_key`, `secret_key`, `token`; the http/pg/consul backends' `password`,
/// `access_token`): <https://developer.hashicorp.com/terraform/language/backend/azurerm>,
/// <https://developer.hashicorp.com/terraform/language/backend/s3>. They belong in the CI
/// system's secret environment (`ARM_ACCESS_KEY`, `AWS_SECRET_ACCESS_KEY`, …).
const BACKEND_CREDENTIALS: [&str; 12] = [
    "access_key",
    "secret_key",
    "secret_access_key",
    "sas_token",
    "client_secret",
    "client_certificate_password",
    "password",
    "token",
    "access_token",
    "session_token",
    "oidc_token",
    "oidc_request_token",
];

pub fn check(ctx: &RuleCtx) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for service in ctx.spec.registry_services.values() {
        out.extend(literal_config(service));
    }
    for env in &ctx.spec.environments {
        out.extend(backend_config(env));
        out.extend(store_fields(env));
        let store = env.spec.secret_store.get().and_then(|s| s.kind.get());
        for service in env.services.values() {
            out.extend(literal_config(service));
            let Some(store) = store else { continue };
            let store = store.as_str();
            for (key, entry) in service.layer.secrets.get().into_iter().flatten() {
                let Some(used) = entry.get().and_then(|e| e.store.spanned()) else {
                    continue;
                };
                let name = used.value.as_str();
                if name != store {
                    out.push(
                            Diagnostic::error(Code::SecretStoreMismatch, used.pos, format!("secret `{key}` of `{}` reads from `{name}`, but environment `{}` uses `{store}`", service.name, env.name))
                                .with_help(format!("use `store: {store}` (override the secret in environments/{}.yaml if stores differ per environment)", env.name)),
                        );
                }
            }
        }
    }
    out
}

/// The store settings each store kind needs, and only those: `project` for GCP Secret
/// Manager (the ClusterSecretStore's `gcpsm.projectID`,
/// <https://external-secrets.io/latest/provider/google-secrets-manager/>), `projectSlug` and
/// `environmentSlug` for Infisical (its required `secretsScope`,
/// <https://external-secrets.io/latest/provider/infisical/>), `mount` for Vault.
fn store_fields(env: &crate::spec::SpecEnv) -> Vec<Diagnostic> {
    use crate::model::SecretStoreKind as K;
    let mut out = Vec::new();
    let Some(store) = env.spec.secret_store.spanned() else {
        return out;
    };
    let Some(kind) = store.value.kind.get().copied() else {
        return out;
    };
    let s = &store.value;
    let fields: [(&str, &Field<String>, &[K], &str); 4] = [
        (
            "project",
            &s.project,
            &[K::GcpSecretManager],
            "acme-analytics",
        ),
        ("projectSlug", &s.project_slug, &[K::Infisical], "shop-a1b2"),
        (
            "environmentSlug",
            &s.environment_slug,
            &[K::Infisical],
            "dev",
        ),
        ("mount", &s.mount, &[K::Vault], "secret"),
    ];
    let file = format!("environments/{}.yaml", env.name);
    for (name, field, kinds, example) in fields {
        let applies = kinds.contains(&kind);
        let required = applies && name != "mount";
        if required && !field.is_present() {
            out.push(
                Diagnostic::error(
                    Code::SecretStoreField,
                    store.key_pos,
                    format!(
                        "the `{}` secret store of environment `{}` has no `{name}`",
                        kind.as_str(),
                        env.name
                    ),
                )
                .with_label(format!("no `{name}`"))
                .with_help(format!(
                    "add `{name}: {example}` under `secretStore` in {file}"
                )),
            );
        } else if !applies && let Some(pos) = field.pos() {
            out.push(
                Diagnostic::error(
                    Code::SecretStoreField,
                    pos,
                    format!(
                        "`secretStore.{name}` does not apply to `{}` (environment `{}`)",
                        kind.as_str(),
                        env.name
                    ),
                )
                .with_label(format!("not used by `{}`", kind.as_str()))
                .with_help(format!("remove `{name}` from `secretStore` in {file}")),
            );
        }
    }
    out
}

fn move_to_store(key: &str) -> String {
    format!(
        "move it to the secret store: `secrets: {{{key}: {{store: <type>, path: <secret>, key: <property>}}}}`"
    )
}

fn literal_config(service: &SpecService) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (key, value) in service.layer.config.get().into_iter().flatten() {
        let (text, pos) = match value {
            Field::Absent => continue,
            Field::Set(s) => (Some(s.value.as_str()), s.pos),
            Field::Invalid(s) => (None, s.pos),
        };
        let what = format!("`config.{key}` of `{}`", service.name);
        if let Some(text) = text {
            if let Some(shape) = secret_shape(text) {
                out.push(shape_finding(&what, shape, pos).with_help(move_to_store(key)));
                continue;
            }
            if text.is_empty() || is_plain_setting(text) {
                continue;
            }
        }
        let upper = key.to_ascii_uppercase();
        if SECRET_WORDS.iter().any(|w| upper.contains(w)) {
            out.push(
                Diagnostic::error(
                    Code::LiteralSecret,
                    pos,
                    format!("{what} looks like a secret written in the repository"),
                )
                .with_label("a literal value")
                .with_help(format!("move it under `secrets:` as a reference: `{key}: {{store: <type>, path: <secret>, key: <property>}}`")),
            );
        }
    }
    out
}

fn backend_config(env: &crate::spec::SpecEnv) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let Some(config) = env
        .spec
        .terraform
        .get()
        .and_then(|t| t.backend.get())
        .and_then(|b| b.config.get())
    else {
        return out;
    };
    let help = "remove it from `terraform.backend.config` and give it to `terraform init` from the CI system's secret store (e.g. the `ARM_ACCESS_KEY`, `ARM_CLIENT_SECRET` or `AWS_SECRET_ACCESS_KEY` environment variable)";
    for (key, value) in config {
        let Some(value) = value.spanned() else {
            continue;
        };
        let what = format!(
            "`terraform.backend.config.{key}` of environment `{}`",
            env.name
        );
        let text = match &value.value {
            serde_json::Value::String(s) => s.as_str(),
            _ => continue,
        };
        if let Some(shape) = secret_shape(text) {
            out.push(shape_finding(&what, shape, value.pos).with_help(help));
        } else if !text.is_empty()
            && !is_plain_setting(text)
            && BACKEND_CREDENTIALS.contains(&key.to_ascii_lowercase().as_str())
        {
            out.push(
                Diagnostic::error(
                    Code::LiteralSecret,
                    value.pos,
                    format!("{what} is a credential written in the repository"),
                )
                .with_label("a literal credential")
                .with_help(help),
            );
        }
    }
    out
}

fn shape_finding(what: &str, shape: &str, pos: Pos) -> Diagnostic {
    Diagnostic::error(
        Code::LiteralSecret,
        pos,
        format!("{what} holds {shape}, written in the repository"),
    )
    .with_label(shape.to_owned())
}

/// A number or a boolean: a setting (`PASSWORD_MIN_LENGTH: 12`), never a secret.
fn is_plain_setting(text: &str) -> bool {
    let t = text.trim();
    t.parse::<f64>().is_ok()
        || matches!(t, "true" | "false" | "True" | "False" | "TRUE" | "FALSE")
        || (t.contains("://") && url_credentials(t).is_none())
}

/// What kind of secret a value looks like, if any.
pub fn secret_shape(text: &str) -> Option<&'static str> {
    if text.contains("-----BEGIN ") && text.contains("PRIVATE KEY") {
        return Some("a private key");
    }
    if url_credentials(text).is_some() {
        return Some("credentials in a URL");
    }
    if text.contains("hooks.slack.com/services/") {
        return Some("a Slack webhook URL");
    }
    let words = text.split(|c: char| {
        !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.' || c == '/' || c == '+')
    });
    for word in words {
        if is_aws_key_id(word) {
            return Some("an AWS access key id");
        }
        if is_github_token(word) {
            return Some("a GitHub token");
        }
        if is_slack_token(word) {
            return Some("a Slack token");
        }
        if is_jwt(word) {
            return Some("a JSON Web Token");
        }
        if is_gitlab_token(word) {
            return Some("a GitLab token");
        }
        if is_stripe_secret_key(word) {
            return Some("a Stripe secret key");
        }
    }
    if let Some(shape) = authorization_value(text) {
        return Some(shape);
    }
    if credential_parameter(text) {
        return Some("a credential in a parameter");
    }
    if is_high_entropy(text) || embedded_high_entropy(text) {
        return Some("a high-entropy string (a key or token)");
    }
    None
}

/// Where a piece of a longer value ends: the separators of URLs' queries, connection
/// strings, command lines and headers.
fn is_piece_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '=' | '&'
                | '?'
                | ';'
                | ','
                | '"'
                | '\''
                | ':'
                | '@'
                | '('
                | ')'
                | '<'
                | '>'
                | '['
                | ']'
                | '{'
                | '}'
                | '|'
                | '#'
                | '`'
        )
}

/// A value is a placeholder for a secret kept elsewhere, not the secret: `${DB_PASSWORD}`,
/// `$(cat …)`, `{{ .password }}`, `<set in the store>`, `%PASSWORD%`, `****`.
fn is_placeholder(value: &str) -> bool {
    value.starts_with(['$', '{', '<', '%'])
        || value.chars().all(|c| c == '*' || c == 'x' || c == 'X')
}

/// `Bearer <token>` or `Basic <base64>` (an `Authorization` header value) with the
/// credential itself: <https://www.rfc-editor.org/rfc/rfc6750#section-2.1>,
/// <https://www.rfc-editor.org/rfc/rfc7617#section-2>.
fn authorization_value(text: &str) -> Option<&'static str> {
    let words: Vec<&str> = text.split_whitespace().collect();
    for pair in words.windows(2) {
        let credential = pair[1];
        let token68 = |min: usize| {
            credential.len() >= min
                && !is_placeholder(credential)
                && credential.bytes().all(|b| {
                    b.is_ascii_alphanumeric()
                        || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
                })
                && credential.bytes().any(|b| b.is_ascii_digit())
        };
        if pair[0].eq_ignore_ascii_case("bearer") && token68(16) {
            return Some("a bearer token");
        }
        if pair[0].eq_ignore_ascii_case("basic") && token68(12) {
            return Some("HTTP basic credentials");
        }
    }
    None
}

/// Parameter names (the last `_`/`-`/`.`-separated part of a `name=value` inside a URL
/// query, a connection string or a command line) whose value is a credential. Azure
/// storage connection strings carry `AccountKey=` and `SharedAccessSignature=`, SAS URLs
/// `sig=`: <https://learn.microsoft.com/en-us/azure/storage/common/storage-configure-connection-string>.
const CREDENTIAL_PARAMETERS: [&str; 14] = [
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "apikey",
    "api_key",
    "api-key",
    "accountkey",
    "sharedaccesskey",
    "sharedaccesssignature",
    "sig",
    "signature",
    "private_key",
];

/// A `name=value` inside the value whose name is a credential parameter and whose value is
/// written out: not empty, not a placeholder, not a number or boolean; a token-like name
/// (`token`, `sig`, `signature`) also needs a token-like value (16 characters or more,
/// with digits), so `signature=required` passes.
fn credential_parameter(text: &str) -> bool {
    let mut rest = text;
    while let Some(eq) = rest.find('=') {
        let before = &rest[..eq];
        let name_start = before
            .rfind(|c: char| is_piece_separator(c) || c == '/')
            .map_or(0, |i| {
                i + before[i..].chars().next().map_or(1, char::len_utf8)
            });
        let name = before[name_start..].to_ascii_lowercase();
        let after = &rest[eq + 1..];
        let end = after
            .find(|c: char| {
                c.is_whitespace() || matches!(c, '&' | ';' | ',' | '"' | '\'' | '#' | ')' | '}')
            })
            .unwrap_or(after.len());
        let value = &after[..end];
        rest = after;
        let last = name.rsplit(['_', '-', '.']).next().unwrap_or(&name);
        let named = CREDENTIAL_PARAMETERS.iter().any(|p| {
            name == *p
                || last == *p
                || [b'_', b'-', b'.'].iter().any(|sep| {
                    name.len() > p.len()
                        && name.ends_with(p)
                        && name.as_bytes()[name.len() - p.len() - 1] == *sep
                })
        });
        if !named || value.is_empty() || is_placeholder(value) || is_plain_setting(value) {
            continue;
        }
        let token_like = matches!(last, "token" | "sig" | "signature");
        if token_like && (value.len() < 16 || !value.bytes().any(|b| b.is_ascii_digit())) {
            continue;
        }
        if value.len() >= 3 {
            return true;
        }
    }
    false
}

/// A high-entropy piece of a longer value (`--key <40 random characters>`). Pieces holding
/// a `/` are left alone (they are paths or URLs); the whole value is checked by
/// [`is_high_entropy`].
fn embedded_high_entropy(text: &str) -> bool {
    text.split(is_piece_separator)
        .any(|piece| piece.len() != text.len() && !piece.contains('/') && is_high_entropy(piece))
}

/// `glpat-` and 20 or more of `[A-Za-z0-9_-]`, GitLab's personal access token prefix:
/// <https://docs.gitlab.com/ee/user/admin_area/settings/account_and_limit_settings.html#personal-access-token-prefix>.
fn is_gitlab_token(word: &str) -> bool {
    word.strip_prefix("glpat-").is_some_and(|rest| {
        rest.len() >= 20
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    })
}

/// A live secret or restricted Stripe key, `sk_live_`/`rk_live_` and 10 or more
/// alphanumerics (test keys move no money): <https://docs.stripe.com/keys>.
fn is_stripe_secret_key(word: &str) -> bool {
    ["sk_live_", "rk_live_"].iter().any(|p| {
        word.strip_prefix(p)
            .is_some_and(|rest| rest.len() >= 10 && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
    })
}

/// `scheme://user:password@host`: the password part, when non-empty.
fn url_credentials(text: &str) -> Option<&str> {
    let (_, rest) = text.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let (userinfo, _) = authority.rsplit_once('@')?;
    let (_, password) = userinfo.split_once(':')?;
    (!password.is_empty()).then_some(password)
}

/// `AKIA…`/`ASIA…` and the other AWS key id prefixes, then 16 upper-case letters or digits:
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids>.
fn is_aws_key_id(word: &str) -> bool {
    const PREFIXES: [&str; 4] = ["AKIA", "ASIA", "ABIA", "ACCA"];
    word.len() == 20
        && PREFIXES.iter().any(|p| word.starts_with(p))
        && word
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_` + 36 alphanumerics, or `github_pat_` + 22 or more:
/// <https://github.blog/engineering/platform-security/behind-githubs-new-authentication-token-formats/>.
fn is_github_token(word: &str) -> bool {
    if let Some(rest) = word.strip_prefix("github_pat_") {
        return rest.len() >= 22 && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    }
    ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"].iter().any(|p| {
        word.strip_prefix(p)
            .is_some_and(|rest| rest.len() >= 36 && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
    })
}

/// `xoxb-…`, `xoxp-…` and the other Slack token prefixes.
fn is_slack_token(word: &str) -> bool {
    ["xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-"]
        .iter()
        .any(|p| word.strip_prefix(p).is_some_and(|rest| rest.len() >= 10))
}

/// Three base64url segments, the first two JSON objects (`eyJ` is base64 of `{"`).
fn is_jwt(word: &str) -> bool {
    let parts: Vec<&str> = word.split('.').collect();
    parts.len() == 3
        && parts[0].starts_with("eyJ")
        && parts[1].starts_with("eyJ")
        && parts.iter().all(|p| {
            p.len() >= 4
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// At least 32 characters of the base64 alphabet only, with upper case, lower case and
/// digits all present and a Shannon entropy above 4.5 bits per character. Paths, URLs,
/// versions, image digests (`sha256:…`, hex only) and UUIDs never qualify: they carry `.`,
/// `:` or leading `/`, or use the 16 hex characters only (at most 4 bits per character).
fn is_high_entropy(text: &str) -> bool {
    let t = text.trim();
    if t.len() < 32 || t.starts_with('/') || t.contains("//") {
        return false;
    }
    if !t
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'-'))
    {
        return false;
    }
    let upper = t.bytes().any(|b| b.is_ascii_uppercase());
    let lower = t.bytes().any(|b| b.is_ascii_lowercase());
    let digit = t.bytes().any(|b| b.is_ascii_digit());
    upper && lower && digit && shannon_entropy(t) > 4.5
}

fn shannon_entropy(text: &str) -> f64 {
    let mut counts = [0usize; 256];
    for b in text.bytes() {
        counts[usize::from(b)] += 1;
    }
    let len = text.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / len;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::{is_plain_setting, secret_shape};

    #[test]
    fn known_formats_are_secrets() {
        let cases = [
            ("AKIAIOSFODNN7EXAMPLE", "an AWS access key id"),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n",
                "a private key",
            ),
            (
                "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n",
                "a private key",
            ),
            ("ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "a GitHub token"),
            (
                "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
                "a GitHub token",
            ),
            (
                "postgres://app:s3cr3t@db.internal:5432/orders",
                "credentials in a URL",
            ),
            (
                "https://hooks.slack.com/services/T000/B000/abcd1234efgh5678",
                "a Slack webhook URL",
            ),
            (
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk",
                "a JSON Web Token",
            ),
            (
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "a high-entropy string (a key or token)",
            ),
        ];
        for (value, shape) in cases {
            assert_eq!(secret_shape(value), Some(shape), "{value}");
        }
    }

    #[test]
    fn secrets_inside_a_longer_value_are_found() {
        let jwt =
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let cases = [
            (format!("Bearer {jwt}"), "a JSON Web Token"),
            (
                "https://api.example.com/v1?token=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789".to_owned(),
                "a GitHub token",
            ),
            ("region=eu-west-1,key=AKIAIOSFODNN7EXAMPLE".to_owned(), "an AWS access key id"),
            (
                "--header x-api-key=live-3kR9vQ2mZ7xT4bN8 --verbose".to_owned(),
                "a credential in a parameter",
            ),
            (
                "Authorization: Bearer 9fQ2xL7vKp3TzR8wNb4YhC6mJd1sGe5A".to_owned(),
                "a bearer token",
            ),
            (
                "Basic YWxhZGRpbjpvcGVuc2VzYW1lMTIz".to_owned(),
                "HTTP basic credentials",
            ),
            (
                "jdbc:postgresql://db.internal:5432/orders?user=app&password=s3cr3t-Pa55".to_owned(),
                "a credential in a parameter",
            ),
            (
                "Server=tcp:orders.database.windows.net,1433;Database=orders;User ID=app;Password=Hunter2hunter2;".to_owned(),
                "a credential in a parameter",
            ),
            (
                "DefaultEndpointsProtocol=https;AccountName=shop;AccountKey=Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG8=;EndpointSuffix=core.windows.net".to_owned(),
                "a credential in a parameter",
            ),
            (
                "https://shop.blob.core.windows.net/c?sv=2022-11-02&ss=b&sig=Q0FGRUJBQkUxMjM0NTY3ODkwYWJjZGVmZ2hpamts%3D".to_owned(),
                "a credential in a parameter",
            ),
            (
                "--api-url https://x.example.com --key 3kR9vQ2mZ7xT4bN8cW1yH6jL5pF0sD2gA".to_owned(),
                "a high-entropy string (a key or token)",
            ),
            (
                "glpat-z_sxgtrfAxKr8q1TPY8Y and more".to_owned(),
                "a GitLab token",
            ),
            (
                "STRIPE=sk_live_51H8aBcDeFgHiJkLmNoPqRsTu".to_owned(),
                "a Stripe secret key",
            ),
        ];
        for (value, shape) in cases {
            assert_eq!(secret_shape(&value), Some(shape), "{value}");
        }
    }

    #[test]
    fn longer_values_without_secrets_are_not_secrets() {
        for value in [
            "https://auth.example.com/oauth/token?response_type=code&client_id=orders-web",
            "https://api.example.com/v1/orders?page=2&per_page=50&sort=created_at",
            "postgres://app@db.internal:5432/orders?sslmode=require",
            "jdbc:postgresql://db.internal:5432/orders?user=app&password=${DB_PASSWORD}",
            "Password=<set in the secret store>;User ID=app",
            "password=;user=app",
            "Bearer",
            "AUTH_SCHEME=Bearer realm=orders",
            "token_ttl=3600&password_min_length=12",
            "image=shopacr.azurecr.io/orders@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "id=123e4567-e89b-12d3-a456-426614174000 trace=4bf92f3577b34da6a3ce929d0e0e4736",
            "com.example.orders.PaymentAuthorizationHandlerFactoryImpl2",
            "-Xmx512m -XX:+UseG1GC -Dspring.profiles.active=prod",
            "cdn/assets/v2/app.3f9a1c2b4d5e6f708192a3b4c5d6e7f8.js",
            "signature=required;token=none",
        ] {
            assert_eq!(secret_shape(value), None, "{value}");
        }
    }

    #[test]
    fn settings_and_identifiers_are_not_secrets() {
        for value in [
            "12",
            "3600",
            "0.25",
            "true",
            "https://auth.example.com/oauth/token",
            "postgres://db.internal:5432/orders",
            "https://user@example.com/path",
            "shopacr.azurecr.io/orders@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "123e4567-e89b-12d3-a456-426614174000",
            "/var/lib/orders/data/cache/segments/current",
            "v1.42.0-rc.1+build.20250823143022",
            "com.example.orders.PaymentAuthorizationHandler",
            "ORDERS_SERVICE_DEFAULT_CURRENCY_CODE_EUR",
            "info",
        ] {
            assert_eq!(secret_shape(value), None, "{value}");
        }
        assert!(is_plain_setting("12"));
        assert!(is_plain_setting("3600"));
        assert!(is_plain_setting("https://auth.example.com/token"));
        assert!(!is_plain_setting("hunter2"));
    }
}
