//! Which cell of its environment a generated file belongs to (SPEC "Cells"), read from its
//! file-set path as the back ends lay cells out:
//!
//! - `kubernetes/environments/<env>/cells/<cell>/…`: the cell's aggregate and its Argo CD
//!   Application;
//! - `kubernetes/<service>/overlays/<env>/cells/<cell>/…`: a service overlay made for the cell;
//! - `terraform/environments/<env>/cells/<cell>/…` and `…/cells/<cell>-messaging/…`: the
//!   cell's Terraform root and its messaging root.
//!
//! Every other file has no cell: an environment's own files reach each of its cells that
//! shares them, and the shared files (bases, modules, pipelines) every environment.
//!
//! A cell itself named `x-messaging` would share its directory with the messaging root of
//! cell `x`; its Terraform files are attributed to `x`, as the environment roots are.

use crate::artifact::Target;

/// What the messaging root's directory adds to its cell's name (as to an environment's).
const MESSAGING_SUFFIX: &str = "-messaging";

/// The cell of the file at `logical` (a file-set path) of back end `target`; `None` for a
/// file of a whole environment or of none.
pub fn cell_of(target: Option<Target>, logical: &str) -> Option<String> {
    match target? {
        Target::Kubernetes => {
            crate::backend::kubernetes::cells::cell_of(logical).map(|(_, c)| c.to_owned())
        }
        Target::Terraform => {
            let parts: Vec<&str> = logical.strip_prefix("terraform/")?.split('/').collect();
            match parts.as_slice() {
                ["environments", _, "cells", dir, _, ..] => {
                    Some(dir.strip_suffix(MESSAGING_SUFFIX).unwrap_or(dir).to_owned())
                }
                _ => None,
            }
        }
        Target::Ci => None,
    }
}

/// `prod/za-north-1` for a cell's file, `prod` for an environment's, `None` for a shared one.
pub fn place(environment: Option<&str>, cell: Option<&str>) -> Option<String> {
    match (environment, cell) {
        (Some(e), Some(c)) => Some(format!("{e}/{c}")),
        (Some(e), None) => Some(e.to_owned()),
        (None, _) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_by_layout() {
        let k = Some(Target::Kubernetes);
        let t = Some(Target::Terraform);
        let cases = [
            (
                k,
                "kubernetes/environments/prod/cells/za-1/application.yaml",
                Some("za-1"),
            ),
            (
                k,
                "kubernetes/api/overlays/prod/cells/za-1/kustomization.yaml",
                Some("za-1"),
            ),
            (k, "kubernetes/api/overlays/prod/kustomization.yaml", None),
            (k, "kubernetes/environments/prod/kustomization.yaml", None),
            (
                t,
                "terraform/environments/prod/cells/za-1/main.tf",
                Some("za-1"),
            ),
            (
                t,
                "terraform/environments/prod/cells/za-1-messaging/main.tf",
                Some("za-1"),
            ),
            (t, "terraform/environments/prod/main.tf", None),
            (t, "terraform/environments/prod-messaging/main.tf", None),
            (t, "terraform/modules/azure-cluster/main.tf", None),
            (Some(Target::Ci), "ci/github/promote-prod.yml", None),
            (None, ".infrac-lock", None),
        ];
        for (target, path, want) in cases {
            assert_eq!(cell_of(target, path).as_deref(), want, "{path}");
        }
    }
}
