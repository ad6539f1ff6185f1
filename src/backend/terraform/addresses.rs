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
///
/// A block with `for_each = local.<name>` over a literal map in the same file is listed per
/// instance, as Terraform addresses it (`module.postgres["orders-db"]`), each with its
/// `each.value`; such a local is not listed itself, so a new map entry reads as one new
/// instance. Addresses: <https://developer.hashicorp.com/terraform/cli/state/resource-addressing>.
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
    Ok(per_instance(out))
}

/// The local a block's `for_each` names, when it is a bare `local.<name>`.
fn for_each_local(body: &Value) -> Option<String> {
    let text = body.get("for_each")?.as_str()?;
    let inner = text.strip_prefix("${").and_then(|t| t.strip_suffix('}'))?;
    let name = inner.strip_prefix("local.")?;
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        .then(|| name.to_owned())
}

fn per_instance(found: Resources) -> Resources {
    let instances_of = |body: &Value| {
        let name = for_each_local(body)?;
        let map = found.get(&format!("local.{name}"))?.as_object()?;
        Some((name, map))
    };
    let consumed: Vec<String> = found
        .values()
        .filter_map(|b| instances_of(b).map(|(name, _)| format!("local.{name}")))
        .collect();
    let mut out = Resources::new();
    for (id, body) in &found {
        if consumed.contains(id) {
            continue;
        }
        let Some((_, map)) = instances_of(body) else {
            push_resource(&mut out, id.clone(), body.clone());
            continue;
        };
        for (key, value) in map {
            let mut instance = body.clone();
            if let Some(fields) = instance.as_object_mut() {
                fields.remove("for_each");
                fields.insert("each".into(), serde_json::json!({ "value": value }));
            }
            let address = format!("{id}[{}]", Value::String(key.clone()));
            push_resource(&mut out, address, instance);
        }
    }
    out
}

fn block_resources(block: hcl::Block, out: &mut Resources) {
    let ident = block.identifier.to_string();
    let labels: Vec<&str> = block.labels.iter().map(hcl::BlockLabel::as_str).collect();
    let id = match (ident.as_str(), labels.as_slice()) {
        ("resource", [kind, name]) => format!("{kind}.{name}"),
        ("locals", []) => {
            // Read as a body, as other blocks are: an expression's own serialisation has
            // object keys that are expressions and would come out as null.
            let values = hcl::from_body::<Value>(block.body).unwrap_or(Value::Null);
            if let Value::Object(values) = values {
                for (key, value) in values {
                    push_resource(out, format!("local.{key}"), value);
                }
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
    fn for_each_over_a_local_map_is_listed_per_instance() {
        let text = r#"
locals {
  postgres = {
    orders-db = { sku = "B1" }
    users-db  = { sku = "B2" }
  }
  tags = { a = "b" }
}
module "postgres" {
  for_each = local.postgres
  source   = "../../modules/postgres"
}
"#;
        let found = resources("terraform/environments/prod/main.tf", text).unwrap();
        let got: Vec<&String> = found.keys().collect();
        assert_eq!(
            got,
            [
                "local.tags",
                "module.postgres[\"orders-db\"]",
                "module.postgres[\"users-db\"]"
            ]
        );
        assert_eq!(
            found["module.postgres[\"users-db\"]"]["each"]["value"]["sku"],
            "B2"
        );
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
