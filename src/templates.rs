//! The minijinja environment over the built-in templates in `templates/` (embedded with
//! `include_str!`, no build script) and a user's override directory.
//!
//! Syntax is `[[ expr ]]`, `[% stmt %]`, `[# comment #]` so that GitHub's `${{ }}`, GitLab's
//! and Azure's `$(var)` and shell `${var}` pass through untouched. Rendering is strict: an
//! undefined variable is an error naming the template file and line, never an empty string.
//! Nothing is escaped automatically (the output is YAML, shell and Groovy, not HTML): a
//! template quotes each value for where it lands with one of the filters below (`yaml`,
//! `gha`, `gitlab`, `groovy_literal`, `groovy`), so no value can change the structure of what
//! it is written into.
//!
//! This module renders text; it never reads files (overrides arrive as a map from
//! `load::templates::read_overrides`) and knows nothing about any CI system.

use crate::error::Error;
use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;
use std::collections::BTreeMap;

/// Declares each built-in template once: a name constant (its path under `templates/`) and
/// its embedded source in [`BUILTIN`].
macro_rules! templates {
    ($($(#[$doc:meta])* $name:ident = $path:literal;)*) => {
        $($(#[$doc])* pub const $name: &str = $path;)*
        /// Every built-in template: name and source.
        const BUILTIN: &[(&str, &str)] = &[
            $(($path, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/", $path))),)*
        ];
    };
}

templates! {
    /// GitHub: the reusable build workflow every per-service workflow calls.
    GITHUB_REUSABLE_BUILD = "ci/github/reusable-build.yml.j2";
    /// GitHub: the small per-service workflow (`build-<service>.yml`).
    GITHUB_BUILD_SERVICE = "ci/github/build-service.yml.j2";
    /// GitHub: promotion between environments behind approval gates.
    GITHUB_PROMOTE = "ci/github/promote.yml.j2";
    /// GitHub: the canary driver.
    GITHUB_CANARY = "ci/github/canary.yml.j2";
    /// GitHub: `infrac check` and the sticky plan comment on pull requests.
    GITHUB_CHECK = "ci/github/infrac-check.yml.j2";
    /// GitHub: Terraform plan on pull requests, apply on the default branch.
    GITHUB_TERRAFORM = "ci/github/terraform.yml.j2";
    /// GitHub: macros shared by the GitHub templates (cloud logins, infrac install).
    GITHUB_MACROS = "ci/github/macros.j2";
    /// GitLab: the whole `.gitlab-ci.yml`.
    GITLAB_CI = "ci/gitlab/gitlab-ci.yml.j2";
    /// Azure Pipelines: the build template the per-service pipelines extend.
    AZURE_BUILD_TEMPLATE = "ci/azure-pipelines/build-template.yml.j2";
    /// Azure Pipelines: the per-service pipeline.
    AZURE_BUILD_SERVICE = "ci/azure-pipelines/build-service.yml.j2";
    /// Azure Pipelines: promotion through deployment jobs on environments.
    AZURE_PROMOTE = "ci/azure-pipelines/promote.yml.j2";
    /// Azure Pipelines: the canary driver.
    AZURE_CANARY = "ci/azure-pipelines/canary.yml.j2";
    /// Azure Pipelines: `infrac check` on pull requests.
    AZURE_CHECK = "ci/azure-pipelines/infrac-check.yml.j2";
    /// Azure Pipelines: Terraform plan and apply.
    AZURE_TERRAFORM = "ci/azure-pipelines/terraform.yml.j2";
    /// Azure Pipelines: macros shared by the Azure templates.
    AZURE_MACROS = "ci/azure-pipelines/macros.j2";
    /// Jenkins: macros shared by the Jenkinsfiles (registry login with the agent's identity).
    JENKINS_MACROS = "ci/jenkins/macros.j2";
    /// Jenkins: the per-service build pipeline.
    JENKINS_BUILD_SERVICE = "ci/jenkins/build-service.groovy.j2";
    /// Jenkins: promotion with `input` gates.
    JENKINS_PROMOTE = "ci/jenkins/promote.groovy.j2";
    /// Jenkins: the canary driver.
    JENKINS_CANARY = "ci/jenkins/canary.groovy.j2";
    /// Jenkins: `infrac check` on change requests.
    JENKINS_CHECK = "ci/jenkins/check.groovy.j2";
    /// Jenkins: Terraform plan and apply.
    JENKINS_TERRAFORM = "ci/jenkins/terraform.groovy.j2";
    /// Shell: compute the immutable image tag for the first environment's policy.
    SCRIPT_IMAGE_TAG = "ci/scripts/image-tag.sh.j2";
    /// Shell: `image_exists`, the registry check before a tag enters versions.yaml.
    SCRIPT_IMAGE_EXISTS = "ci/scripts/image-exists.sh.j2";
    /// Shell: `gitops_publish` (commit-and-push with retries) and `gitops_bump` (a pull
    /// request or a push, as `platform.gitops.bump` says).
    SCRIPT_GITOPS = "ci/scripts/gitops.sh.j2";
    /// Shell: promotion (retag in the registry, then `infrac promote`).
    SCRIPT_PROMOTE = "ci/scripts/promote.sh.j2";
    /// Shell: the canary driver loop with the Prometheus analysis gate.
    SCRIPT_CANARY = "ci/scripts/canary.sh.j2";
    /// Shell: macros shared by the scripts (the Prometheus query helpers).
    SCRIPT_MACROS = "ci/scripts/macros.j2";
    /// Shell: a celled environment's wave gate (bake, the previous wave's health) and
    /// `infrac rollout advance`.
    SCRIPT_WAVE = "ci/scripts/wave.sh.j2";
    /// Shell: `infrac canary abort` after a failed canary.
    SCRIPT_CANARY_ABORT = "ci/scripts/canary-abort.sh.j2";
}

/// The template environment: built-ins, with a user's files of the same relative path in
/// their place.
pub struct Templates {
    env: Environment<'static>,
    #[cfg(test)]
    rendered: std::sync::Mutex<std::collections::BTreeSet<String>>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates").finish_non_exhaustive()
    }
}

impl Templates {
    /// The built-in templates only.
    pub fn builtin() -> Result<Self, Error> {
        Self::with_overrides(&BTreeMap::new())
    }

    /// The built-in templates, each replaced by the override of the same relative path
    /// (`ci/github/build-service.yml.j2`). Overrides with new names are added too, so an
    /// override may `include` or `import` its own helpers.
    pub fn with_overrides(overrides: &BTreeMap<String, String>) -> Result<Self, Error> {
        let mut env = Environment::new();
        // Syntax and escaping are fixed when a template is added: configure first.
        env.set_syntax(syntax()?);
        env.set_auto_escape_callback(|_| AutoEscape::None);
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.add_filter("groovy", groovy_single_quoted);
        env.add_filter("groovy_literal", groovy_literal);
        env.add_filter("yaml", yaml_scalar);
        env.add_filter("comment", comment_text);
        env.add_filter("gha", github_scalar);
        env.add_filter("gitlab", gitlab_scalar);
        for (name, source) in BUILTIN {
            if !overrides.contains_key(*name) {
                env.add_template(name, source).map_err(template_error)?;
            }
        }
        for (name, source) in overrides {
            env.add_template_owned(name.clone(), source.clone())
                .map_err(template_error)?;
        }
        Ok(Self {
            env,
            #[cfg(test)]
            rendered: Default::default(),
        })
    }

    /// Renders the template `name` with `ctx`.
    pub fn render<C: Serialize>(&self, name: &str, ctx: &C) -> Result<String, Error> {
        #[cfg(test)]
        self.rendered.lock().unwrap().insert(name.to_owned());
        let template = self.env.get_template(name).map_err(template_error)?;
        template
            .render(minijinja::value::Serde(ctx))
            .map_err(template_error)
    }

    /// The names of the templates rendered so far (for the "every template is used" test).
    #[cfg(test)]
    pub(crate) fn rendered(&self) -> std::collections::BTreeSet<String> {
        self.rendered.lock().unwrap().clone()
    }
}

/// The names of every built-in template.
pub fn builtin_names() -> impl Iterator<Item = &'static str> {
    BUILTIN.iter().map(|(name, _)| *name)
}

/// Text for the inside of a Groovy `'''…'''` string: Groovy processes backslash escapes
/// there (but not `$`), so a shell script passes through with its backslashes doubled.
fn groovy_single_quoted(text: &str) -> String {
    text.replace('\\', "\\\\").replace("'''", "\\'\\'\\'")
}

/// A Groovy single-quoted string literal, quotes included: `'` and `\\` escaped, control
/// characters as `\\u` and four hex digits, so the value is one string whatever it holds
/// (Groovy does not interpolate `$` in single-quoted strings).
fn groovy_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Text for a `#` or `//` comment: every control character (a newline would end the
/// comment) becomes a space.
fn comment_text(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}') {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// A YAML scalar for a string value: plain when it is made only of characters that cannot
/// start or end a YAML construct and reads back as the same string (not a number, boolean,
/// null or date), otherwise JSON-encoded, which YAML reads as a double-quoted flow scalar
/// (every control character, quote and backslash escaped; a newline cannot start a key).
fn yaml_scalar(text: &str) -> String {
    if is_plain_safe(text) {
        return text.to_owned();
    }
    // serde_json escapes C0 controls, `"` and `\\`; YAML also refuses DEL and C1 controls
    // unescaped, and a YAML 1.1 reader takes U+2028/U+2029 for line breaks.
    let json = serde_json::Value::String(text.to_owned()).to_string();
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

fn is_plain_safe(text: &str) -> bool {
    static RESOLVES: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    // What a YAML 1.1 or 1.2 reader may resolve to something other than a string.
    let resolves = RESOLVES.get_or_init(|| {
        regex::Regex::new(
            r"(?x)^(
                [-+]?([0-9][0-9_]*)?\.?[0-9_]*([eE][-+]?[0-9]+)?
              | 0[xXoObB][0-9a-fA-F_]+
              | [-+]?\.(inf|Inf|INF|nan|NaN|NAN)
              | y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE
              | on|On|ON|off|Off|OFF|null|Null|NULL
              | [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*
            )$",
        )
        .expect("valid regex")
    });
    let mut chars = text.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric() || c == '_' || c == '/' || c == '.')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '/' | '.' | '-'))
        && !resolves.is_match(text)
}

/// [`yaml_scalar`] for a GitHub Actions workflow: GitHub evaluates `${{ … }}` in every
/// value, quoted or not, so an opening `${{` is written as the expression `${{ '${{' }}`,
/// which evaluates to the literal text.
fn github_scalar(text: &str) -> String {
    yaml_scalar(&text.replace("${{", "${{ '${{' }}"))
}

/// [`yaml_scalar`] for a GitLab CI variable value: GitLab expands `$NAME` in variable
/// values, `$$` is a literal `$` (https://gitlab.com/gitlab-org/gitlab/-/issues/17069).
fn gitlab_scalar(text: &str) -> String {
    yaml_scalar(&text.replace('$', "$$"))
}

fn syntax() -> Result<SyntaxConfig, Error> {
    SyntaxConfig::builder()
        .block_delimiters("[%", "%]")
        .variable_delimiters("[[", "]]")
        .comment_delimiters("[#", "#]")
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .map_err(|e| Error::Internal(format!("template syntax: {e}")))
}

/// A minijinja error as the tool's error: the template file, the line, what went wrong
/// (following the chain of includes and macro calls to the innermost cause).
fn template_error(error: minijinja::Error) -> Error {
    let mut innermost: &dyn std::error::Error = &error;
    let mut located = &error;
    while let Some(source) = innermost.source() {
        if let Some(e) = source.downcast_ref::<minijinja::Error>()
            && e.name().is_some()
        {
            located = e;
        }
        innermost = source;
    }
    let name = located.name().unwrap_or("<unknown>").to_owned();
    let detail = located.detail().unwrap_or_default();
    let kind = located.kind();
    let message = match located.line() {
        Some(line) if detail.is_empty() => format!("line {line}: {kind}"),
        Some(line) => format!("line {line}: {kind}: {detail}"),
        None => format!("{kind}: {detail}"),
    };
    Error::Template {
        name,
        message,
        line: located.line(),
        range: located.range(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_match_paths_and_files_exist() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let on_disk: Vec<String> = walkdir::WalkDir::new(&root)
            .sort_by_file_name()
            .into_iter()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let rel = e.path().strip_prefix(&root).unwrap();
                rel.to_string_lossy().replace('\\', "/")
            })
            .collect();
        let mut embedded: Vec<String> = builtin_names().map(str::to_owned).collect();
        embedded.sort();
        assert_eq!(
            on_disk, embedded,
            "every file in templates/ is embedded, once"
        );
        for (name, source) in BUILTIN {
            let path = root.join(name);
            assert_eq!(std::fs::read_to_string(path).unwrap(), *source, "{name}");
        }
    }

    #[test]
    fn dollar_braces_pass_through_and_undefined_fails() {
        let overrides = BTreeMap::from([(
            "t.j2".to_owned(),
            "a: ${{ github.sha }} [[ x ]]\n[# c #]b: ${HOME}\n".to_owned(),
        )]);
        let t = Templates::with_overrides(&overrides).unwrap();
        let out = t.render("t.j2", &serde_json::json!({"x": 1})).unwrap();
        assert_eq!(out, "a: ${{ github.sha }} 1\nb: ${HOME}\n");
        let err = t.render("t.j2", &serde_json::json!({})).unwrap_err();
        assert!(err.to_string().contains("t.j2"), "{err}");
    }

    #[test]
    fn scalar_filters_quote_what_could_change_structure() {
        assert_eq!(yaml_scalar("services/api"), "services/api");
        assert_eq!(yaml_scalar("a/**"), r#""a/**""#);
        assert_eq!(yaml_scalar("a\nb: c"), r#""a\nb: c""#);
        assert_eq!(yaml_scalar("1.10"), r#""1.10""#);
        assert_eq!(yaml_scalar("on"), r#""on""#);
        assert_eq!(yaml_scalar(""), r#""""#);
        assert_eq!(
            yaml_scalar("123456789012.dkr.ecr.eu-west-1.amazonaws.com"),
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
        );
        assert_eq!(github_scalar("${{ x }}"), r#""${{ '${{' }} x }}""#);
        assert_eq!(gitlab_scalar("a$B"), r#""a$$B""#);
        assert_eq!(groovy_literal("a'b\\c\nd"), r"'a\'b\\c\nd'");
    }

    #[test]
    fn groovy_filter_doubles_backslashes() {
        assert_eq!(groovy_single_quoted(r"a\.b '''"), r"a\\.b \'\'\'");
    }

    #[test]
    fn broken_template_names_file_and_line() {
        let overrides = BTreeMap::from([(
            GITHUB_CHECK.to_owned(),
            "name: check\non:\n  push:\n[% if %]\n".to_owned(),
        )]);
        let err = Templates::with_overrides(&overrides).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(GITHUB_CHECK), "{text}");
        assert!(text.contains("line 4"), "{text}");
    }

    #[test]
    fn render_error_names_the_innermost_template() {
        let overrides = BTreeMap::from([
            (
                "outer.j2".to_owned(),
                "a\n[% include \"inner.j2\" %]".to_owned(),
            ),
            (
                "inner.j2".to_owned(),
                "x\ny\n[[ missing.field ]]\n".to_owned(),
            ),
        ]);
        let t = Templates::with_overrides(&overrides).unwrap();
        let text = t
            .render("outer.j2", &serde_json::json!({}))
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("inner.j2") && text.contains("line 3"),
            "{text}"
        );
    }
}
