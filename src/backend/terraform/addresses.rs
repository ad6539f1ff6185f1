//! How the plan reads a Terraform file back: which environment a path under `terraform/`
//! belongs to, and each top-level block's address (`azurerm_key_vault.this`,
//! `module.postgres`, `data.x.y`, `output.x`, `variable.x`, `local.x`, `provider.azurerm`,
//! `terraform`).
//!
//! The paths are the ones [`super::emit`] builds: `terraform/environments/<env>/` for an
//! environment's root, `terraform/environments/<env>-messaging/` for its topics and
//! exchanges, and `terraform/modules/<cloud>-<kind>/`, shared by every environment.

use serde_json::Value;

use crate::backend::{Resources, push_resource};

/// What the messaging root's directory adds to its environment's name.
pub(super) const MESSAGING_SUFFIX: &str = "-messaging";

/// `Some(environment)` for a path of this back end (`None` inside: a module, shared by every
/// environment); `None` for a path outside `terraform/`.
///
/// `<env>-messaging` is the messaging root of `<env>`. An environment itself named
/// `x-messaging` would share its directory with the messaging root of `x`; its stale files
/// are attributed to `x`.
pub fn claim(logical_path: &str) -> Option<Option<String>> {
    let rest = logical_path.strip_prefix("terraform/")?;
    let parts: Vec<&str> = rest.split('/').collect();
    let environment = match parts.as_slice() {
        ["environments", dir, _, ..] => {
            let env = dir.strip_suffix(MESSAGING_SUFFIX).unwrap_or(dir);
            Some(env.to_owned())
        }
        _ => None,
    };
    Some(environment)
}

/// Every top-level block and attribute of a `.tf` file by address; other files have none.
pub fn resources(logical_path: &str, text: &str) -> Result<Resources, String> {
    let mut out = Resources::new();
    if !logical_path.ends_with(".tf") {
        return Ok(out);
    }
    let body = hcl::parse(text).map_err(|e| e.to_string())?;
    for structure in body.into_inner() {
        match structure {
            hcl::Structure::Attribute(attr) => {
                let value = serde_json::to_value(&attr.expr).unwrap_or(Value::Null);
                push_resource(&mut out, attr.key.to_string(), value);
            }
            hcl::Structure::Block(block) => block_resources(block, &mut out),
        }
    }
    Ok(out)
}

fn block_resources(block: hcl::Block, out: &mut Resources) {
    let ident = block.identifier.to_string();
    let labels: Vec<&str> = block.labels.iter().map(hcl::BlockLabel::as_str).collect();
    let id = match (ident.as_str(), labels.as_slice()) {
        ("resource", [kind, name]) => format!("{kind}.{name}"),
        ("locals", []) => {
            for attr in block.body.attributes() {
                let value = serde_json::to_value(&attr.expr).unwrap_or(Value::Null);
                push_resource(out, format!("local.{}", attr.key), value);
            }
            return;
        }
        (_, []) => ident,
        _ => format!("{ident}.{}", labels.join(".")),
    };
    let value = hcl::from_body::<Value>(block.body).unwrap_or(Value::Null);
    push_resource(out, id, value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        let text = r#"
module "postgres" {
  source = "../../modules/postgres"
  sku    = var.sku
}
resource "azurerm_resource_group" "this" { name = "rg" }
data "azurerm_client_config" "current" {}
variable "sku" { type = string }
output "id" { value = module.postgres.id }
locals { a = 1 }
terraform { required_version = ">= 1.6" }
"#;
        let found = resources("terraform/environments/prod/main.tf", text).unwrap();
        let got: Vec<&String> = found.keys().collect();
        assert_eq!(
            got,
            [
                "module.postgres",
                "azurerm_resource_group.this",
                "data.azurerm_client_config.current",
                "variable.sku",
                "output.id",
                "local.a",
                "terraform"
            ]
        );
        assert_eq!(found["module.postgres"]["source"], "../../modules/postgres");
    }

    #[test]
    fn broken_files_are_errors() {
        assert!(resources("terraform/x.tf", "resource {").is_err());
    }

    #[test]
    fn claims_by_layout() {
        let cases = [
            (
                "terraform/environments/staging/main.tf",
                Some(Some("staging")),
            ),
            (
                "terraform/environments/staging-messaging/main.tf",
                Some(Some("staging")),
            ),
            ("terraform/modules/aws-postgres/main.tf", Some(None)),
            ("ci/github/terraform.yml", None),
        ];
        for (path, want) in cases {
            let want = want.map(|env| env.map(str::to_owned));
            assert_eq!(claim(path), want, "{path}");
        }
    }
}
