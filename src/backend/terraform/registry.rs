//! The cluster's pull right on the platform's image registry (`platform.imageRegistry`),
//! where that registry is the environment's cloud's own: on ACR the kubelet identity gets
//! `AcrPull`, on Artifact Registry the node service account `artifactregistry.reader` on the
//! repository. On ECR the node role already carries `AmazonEC2ContainerRegistryReadOnly`
//! (the cluster module), which covers every repository of the account.
//! Creating the registries and CI's push right are not generated here.

use hcl::Block;

use super::hclx::{call, r, s};
use super::modules::Var;
use crate::model::{CloudProvider, Environment, Model};

/// Where the image registry lives, parsed from `platform.imageRegistry`.
#[derive(Debug, PartialEq, Eq)]
enum Registry<'a> {
    /// `<name>.azurecr.io`.
    Acr(&'a str),
    /// `<location>-docker.pkg.dev/<project>/<repository>`.
    Artifact {
        location: &'a str,
        project: &'a str,
        repository: &'a str,
    },
    Other,
}

fn parse(image_registry: &str) -> Registry<'_> {
    let mut parts = image_registry.split('/');
    let host = parts.next().unwrap_or_default();
    if let Some(name) = host.strip_suffix(".azurecr.io") {
        return Registry::Acr(name);
    }
    if let Some(location) = host.strip_suffix("-docker.pkg.dev")
        && let (Some(project), Some(repository)) = (parts.next(), parts.next())
    {
        return Registry::Artifact {
            location,
            project,
            repository,
        };
    }
    Registry::Other
}

/// The pull-right blocks of `env`'s cluster.
pub fn pull_rights(model: &Model, env: &Environment) -> Vec<Block> {
    match (env.cloud.provider, parse(&model.platform.image_registry)) {
        // <https://learn.microsoft.com/en-us/azure/aks/cluster-container-registry-integration>
        (CloudProvider::Azure, Registry::Acr(name)) => vec![
            Block::builder("data")
                .add_label("azurerm_container_registry")
                .add_label("images")
                .add_attribute(("name", name))
                .add_attribute((
                    "resource_group_name",
                    r("var.container_registry_resource_group_name"),
                ))
                .build(),
            Block::builder("resource")
                .add_label("azurerm_role_assignment")
                .add_label("image_pull")
                .add_attribute(("scope", r("data.azurerm_container_registry.images.id")))
                .add_attribute(("role_definition_name", "AcrPull"))
                .add_attribute(("principal_id", r("module.cluster.kubelet_object_id")))
                .add_attribute(("skip_service_principal_aad_check", true))
                .build(),
        ],
        // <https://cloud.google.com/artifact-registry/docs/access-control#gke>
        (
            CloudProvider::Gcp,
            Registry::Artifact {
                location,
                project,
                repository,
            },
        ) => vec![
            Block::builder("resource")
                .add_label("google_artifact_registry_repository_iam_member")
                .add_label("image_pull")
                .add_attribute(("project", project))
                .add_attribute(("location", location))
                .add_attribute(("repository", repository))
                .add_attribute(("role", "roles/artifactregistry.reader"))
                .add_attribute((
                    "member",
                    call(
                        "format",
                        [
                            s("serviceAccount:%s"),
                            r("module.cluster.node_service_account_email"),
                        ],
                    ),
                ))
                .build(),
        ],
        _ => vec![],
    }
}

/// The variables the pull right needs: the ACR's resource group.
pub fn variables(model: &Model, env: &Environment) -> Vec<Var> {
    match (env.cloud.provider, parse(&model.platform.image_registry)) {
        (CloudProvider::Azure, Registry::Acr(_)) => vec![Var::new(
            "container_registry_resource_group_name",
            "string",
            "Resource group of the platform's container registry (platform.imageRegistry).",
        )],
        _ => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registries() {
        assert_eq!(
            parse("paymentsacr.azurecr.io"),
            Registry::Acr("paymentsacr")
        );
        assert_eq!(
            parse("europe-west1-docker.pkg.dev/acme/images"),
            Registry::Artifact {
                location: "europe-west1",
                project: "acme",
                repository: "images"
            }
        );
        assert_eq!(
            parse("123456789012.dkr.ecr.eu-west-1.amazonaws.com"),
            Registry::Other
        );
    }
}
