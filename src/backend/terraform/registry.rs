//! The platform's image registry (`platform.imageRegistry`) where it is a cloud's own: created
//! once, by the first environment in promotion order on that cloud (its *owner*), with CI's
//! push right for the principal CI passes as the root variable `ci_principal`; and every
//! cluster's pull right on it.
//!
//! - ECR (`<account>.dkr.ecr.<region>.amazonaws.com`): one repository per registry image,
//!   created by the first AWS environment in the registry's region; CI's role gets the push
//!   actions on them and `ecr:GetAuthorizationToken` (account-wide by design). The node role
//!   already carries `AmazonEC2ContainerRegistryReadOnly` (the cluster module), which covers
//!   every repository of the account.
//!   <https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html>
//! - ACR (`<name>.azurecr.io`): the registry in the owner's resource group; `AcrPush` for CI,
//!   `AcrPull` for each cluster's kubelet identity.
//!   <https://learn.microsoft.com/en-us/azure/container-registry/container-registry-roles>,
//!   <https://learn.microsoft.com/en-us/azure/aks/cluster-container-registry-integration>
//! - Artifact Registry (`<location>-docker.pkg.dev/<project>/<repository>`): the Docker
//!   repository; `artifactregistry.writer` for CI, `artifactregistry.reader` for each
//!   cluster's node service account.
//!   <https://cloud.google.com/artifact-registry/docs/access-control#gke>
//!
//! Any other registry is neither created nor granted: the header of each root says so.

use hcl::{Block, Expression};

use super::hclx::{arr, call, obj, r, ri, s};
use super::modules::Var;
use crate::model::{CloudProvider, Environment, Model};

/// Where the image registry lives, parsed from `platform.imageRegistry`.
#[derive(Debug, PartialEq, Eq)]
enum Registry<'a> {
    /// `<account>.dkr.ecr.<region>.amazonaws.com`.
    Ecr {
        region: &'a str,
    },
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

impl Registry<'_> {
    fn cloud(&self) -> Option<CloudProvider> {
        match self {
            Registry::Ecr { .. } => Some(CloudProvider::Aws),
            Registry::Acr(_) => Some(CloudProvider::Azure),
            Registry::Artifact { .. } => Some(CloudProvider::Gcp),
            Registry::Other => None,
        }
    }
}

fn parse(image_registry: &str) -> Registry<'_> {
    let mut parts = image_registry.split('/');
    let host = parts.next().unwrap_or_default();
    if let Some(name) = host.strip_suffix(".azurecr.io") {
        return Registry::Acr(name);
    }
    if let Some(rest) = host.strip_suffix(".amazonaws.com")
        && let Some((_account, region)) = rest.split_once(".dkr.ecr.")
    {
        return Registry::Ecr { region };
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

/// The environment that creates the registry: the first in promotion order on its cloud
/// (on ECR, in its region).
fn owner<'m>(model: &'m Model, registry: &Registry) -> Option<&'m Environment> {
    let cloud = registry.cloud()?;
    model.environments.iter().find(|e| {
        e.cloud.provider == cloud
            && match registry {
                Registry::Ecr { region } => e.cloud.region == *region,
                _ => true,
            }
    })
}

/// Whether `env`'s root creates the registry: the owner environment's own root, never one
/// of its cells' (they pull from it like any other environment).
fn is_owner(model: &Model, registry: &Registry, env: &Environment) -> bool {
    env.cell.is_none() && owner(model, registry).is_some_and(|o| o.name == env.name)
}

fn resource(ty: &str, label: &str) -> hcl::BlockBuilder {
    Block::builder("resource").add_label(ty).add_label(label)
}

/// The ECR repositories: the image of every registry service, sorted and unique.
fn images(model: &Model) -> Vec<String> {
    let mut out: Vec<String> = model
        .registry_services
        .values()
        .map(|svc| svc.image.clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The registry, push and pull blocks of `env`'s root.
pub fn blocks(model: &Model, env: &Environment) -> Vec<Block> {
    let registry = parse(&model.platform.image_registry);
    if registry.cloud() != Some(env.cloud.provider) {
        return vec![];
    }
    let owns = is_owner(model, &registry, env);
    match registry {
        Registry::Ecr { .. } if owns => aws(model),
        Registry::Ecr { .. } => vec![],
        Registry::Acr(name) => azure(name, owns),
        Registry::Artifact {
            location,
            project,
            repository,
        } => gcp(location, project, repository, owns),
        Registry::Other => vec![],
    }
}

fn aws(model: &Model) -> Vec<Block> {
    let names = images(model);
    if names.is_empty() {
        return vec![];
    }
    let push = [
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:CompleteLayerUpload",
        "ecr:DescribeImages",
        "ecr:GetDownloadUrlForLayer",
        "ecr:InitiateLayerUpload",
        "ecr:PutImage",
        "ecr:UploadLayerPart",
    ];
    let arns = arr(names
        .iter()
        .map(|n| ri("aws_ecr_repository.images", s(n), "arn")));
    let policy = obj([
        ("Version", s("2012-10-17")),
        (
            "Statement",
            arr([
                obj([
                    ("Effect", s("Allow")),
                    ("Action", arr([s("ecr:GetAuthorizationToken")])),
                    ("Resource", s("*")),
                ]),
                obj([
                    ("Effect", s("Allow")),
                    ("Action", arr(push.map(s))),
                    ("Resource", arns),
                ]),
            ]),
        ),
    ]);
    vec![
        resource("aws_ecr_repository", "images")
            .add_attribute(("for_each", call("toset", [arr(names.iter().map(s))])))
            .add_attribute(("name", r("each.key")))
            // A tag names one image for good: versions.yaml and promotions rely on it.
            .add_attribute(("image_tag_mutability", "IMMUTABLE"))
            .add_block(
                Block::builder("image_scanning_configuration")
                    .add_attribute(("scan_on_push", true))
                    .build(),
            )
            .add_block(
                Block::builder("encryption_configuration")
                    .add_attribute(("encryption_type", "KMS"))
                    .build(),
            )
            .add_attribute(("tags", r("local.tags")))
            .build(),
        resource("aws_iam_role_policy", "ci_push")
            .add_attribute(("name", "push-images"))
            .add_attribute(("role", r("var.ci_principal")))
            .add_attribute(("policy", call("jsonencode", [policy])))
            .build(),
    ]
}

fn azure(name: &str, owns: bool) -> Vec<Block> {
    let mut blocks = Vec::new();
    let id = if owns {
        blocks.push(
            resource("azurerm_container_registry", "images")
                .add_attribute(("name", name))
                .add_attribute(("resource_group_name", r("azurerm_resource_group.this.name")))
                .add_attribute(("location", r("azurerm_resource_group.this.location")))
                .add_attribute(("sku", "Standard"))
                .add_attribute(("admin_enabled", false))
                .add_attribute(("tags", r("local.tags")))
                .build(),
        );
        blocks.push(
            resource("azurerm_role_assignment", "image_push")
                .add_attribute(("scope", r("azurerm_container_registry.images.id")))
                .add_attribute(("role_definition_name", "AcrPush"))
                .add_attribute(("principal_id", r("var.ci_principal")))
                .build(),
        );
        r("azurerm_container_registry.images.id")
    } else {
        blocks.push(
            Block::builder("data")
                .add_label("azurerm_container_registry")
                .add_label("images")
                .add_attribute(("name", name))
                .add_attribute((
                    "resource_group_name",
                    r("var.container_registry_resource_group_name"),
                ))
                .build(),
        );
        r("data.azurerm_container_registry.images.id")
    };
    blocks.push(
        resource("azurerm_role_assignment", "image_pull")
            .add_attribute(("scope", id))
            .add_attribute(("role_definition_name", "AcrPull"))
            .add_attribute(("principal_id", r("module.cluster.kubelet_object_id")))
            .add_attribute(("skip_service_principal_aad_check", true))
            .build(),
    );
    blocks
}

fn gcp(location: &str, project: &str, repository: &str, owns: bool) -> Vec<Block> {
    let mut blocks = Vec::new();
    // The pull and push grants name the repository through the resource where this root
    // creates it, so they wait for it.
    let (project, location, repository): (Expression, Expression, Expression) = if owns {
        blocks.push(
            resource("google_artifact_registry_repository", "images")
                .add_attribute(("project", project))
                .add_attribute(("location", location))
                .add_attribute(("repository_id", repository))
                .add_attribute(("format", "DOCKER"))
                .add_attribute((
                    "description",
                    "Container images of the platform (platform.imageRegistry).",
                ))
                .add_block(
                    Block::builder("docker_config")
                        .add_attribute(("immutable_tags", true))
                        .build(),
                )
                .add_attribute(("labels", r("local.tags")))
                .build(),
        );
        let attr = |a: &str| r(&format!("google_artifact_registry_repository.images.{a}"));
        (attr("project"), attr("location"), attr("repository_id"))
    } else {
        (s(project), s(location), s(repository))
    };
    let grant = |label: &str, role: &str, member: Expression| {
        resource("google_artifact_registry_repository_iam_member", label)
            .add_attribute(("project", project.clone()))
            .add_attribute(("location", location.clone()))
            .add_attribute(("repository", repository.clone()))
            .add_attribute(("role", role))
            .add_attribute(("member", member))
            .build()
    };
    blocks.push(grant(
        "image_pull",
        "roles/artifactregistry.reader",
        call(
            "format",
            [
                s("serviceAccount:%s"),
                r("module.cluster.node_service_account_email"),
            ],
        ),
    ));
    if owns {
        blocks.push(grant(
            "image_push",
            "roles/artifactregistry.writer",
            r("var.ci_principal"),
        ));
    }
    blocks
}

/// The variables the registry needs: CI's principal where it is created, the ACR's
/// resource group where it is only read (by default the owner's).
pub fn variables(model: &Model, env: &Environment) -> Vec<Var> {
    let registry = parse(&model.platform.image_registry);
    if registry.cloud() != Some(env.cloud.provider) {
        return vec![];
    }
    if is_owner(model, &registry, env) {
        let description = match registry {
            Registry::Ecr { .. } => {
                "Name of the IAM role CI pushes images as (its OIDC role); it gets the push right on the ECR repositories."
            }
            Registry::Acr(_) => {
                "Object id of the principal CI pushes images as; it gets AcrPush on the registry."
            }
            _ => {
                "IAM member CI pushes images as (e.g. serviceAccount:ci@PROJECT.iam.gserviceaccount.com or a principal:// of its workload identity pool); it gets artifactregistry.writer on the repository."
            }
        };
        return vec![Var::new("ci_principal", "string", description)];
    }
    match (&registry, owner(model, &registry)) {
        (Registry::Acr(_), Some(owner)) => {
            let group = super::names::dns_label(&[&model.platform.name, &owner.name], 90);
            vec![
                Var::new(
                    "container_registry_resource_group_name",
                    "string",
                    "Resource group of the platform's container registry (platform.imageRegistry), created by the first Azure environment.",
                )
                .or(group),
            ]
        }
        _ => vec![],
    }
}

/// The header lines that say where the registry comes from.
pub fn header_lines(model: &Model, env: &Environment) -> Vec<String> {
    let host = &model.platform.image_registry;
    let registry = parse(host);
    let line = match (registry.cloud(), owner(model, &registry)) {
        (None, _) => format!(
            "# Image registry {host}: not a cloud registry infrac provisions; pull rights are not generated."
        ),
        (Some(cloud), _) if cloud != env.cloud.provider => format!(
            "# Image registry {host}: on another cloud than this cluster; no pull right is generated."
        ),
        (Some(_), Some(owner)) if owner.name == env.name && env.cell.is_none() => format!(
            "# Image registry {host}: created here, with CI's push right for var.ci_principal and this cluster's pull right."
        ),
        (Some(_), Some(owner)) => format!(
            "# Image registry {host}: created by environment {}; this cluster gets its pull right.",
            owner.name
        ),
        (Some(_), None) => format!(
            "# Image registry {host}: no environment in its region creates it; this cluster's node role reads it."
        ),
    };
    vec![line]
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
            Registry::Ecr {
                region: "eu-west-1"
            }
        );
        assert_eq!(parse("registry.example.com/shop"), Registry::Other);
    }
}
