//! Blue-green for one service in one environment: two Deployments, `<service>-blue` and
//! `<service>-green`, each with its own HPA; the active Service (`<service>`) selects the `active` colour's pods, and `<service>-preview` the other colour's while it
//! runs (a preview, or after a promote the previous version kept for a switch back).
//!
//! A Deployment's selector cannot change after creation, so a colour is a Deployment for
//! good and promotion changes only which one the Service selects: the EndpointSlices follow
//! the Service's selector, so traffic moves at once, and moving it back is the same edit.
//! <https://github.com/kubernetes/kubernetes/issues/50808>,
//! <https://kubernetes.io/docs/concepts/services-networking/service/#services-in-kubernetes>
//!
//! A colour's objects depend on its colour and tag only, never on whether it is active:
//! `infrac canary promote` then changes the two Services' selectors and nothing else. No
//! colour Deployment sets `replicas` (its HPA owns the count), so no apply ever resets a
//! colour's scale: removing `spec.replicas` from a manifest scales to one pod on the next
//! apply. <https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#migrating-deployments-and-statefulsets-to-horizontal-autoscaling>
//! A colour that takes no traffic scales down to the HPA's `minReplicas` (`replicas.min`)
//! after the HPA's scale-down stabilisation window (five minutes by default), so the
//! previous version waits at the service's minimum scale, ready to take the traffic back.
//! <https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#stabilization-window>

use super::base::{hpa, k8s_service};
use super::overlay::image_repository;
use super::workload::{Workload, deployment};
use super::{Ctx, secrets, track_selector};
use crate::model::Colour;
use serde_json::Value;

/// The name of a colour's Deployment and HPA.
pub(crate) fn colour_name(service: &str, colour: Colour) -> String {
    format!("{service}-{}", colour.as_str())
}

/// The colours that run in this environment, each with its tag, blue first (so that a
/// switch does not reorder the file): the active one, and the other while it holds a
/// preview or the previous version.
pub(crate) fn live_colours(ctx: &Ctx) -> Vec<(Colour, String)> {
    let Some(v) = ctx.service.version.as_ref() else {
        return Vec::new();
    };
    let mut live = vec![(v.active, v.stable.clone())];
    if let Some(tag) = v.preview.as_ref().or(v.previous.as_ref()) {
        live.push((v.active.other(), tag.clone()));
    }
    live.sort_by_key(|(colour, _)| *colour != Colour::Blue);
    live
}

/// The active Service, the colour Deployments and HPAs, and the preview Service when the
/// other colour runs.
pub(crate) fn objects(ctx: &Ctx) -> Vec<Value> {
    let service = ctx.service;
    let platform = &ctx.model.platform.name;
    let live = live_colours(ctx);
    let active = service
        .version
        .as_ref()
        .map(|v| v.active)
        .unwrap_or_default();
    let mut docs = vec![k8s_service(
        platform,
        service,
        &service.name,
        Some(&ctx.namespace),
        track_selector(&service.name, active.as_str()),
    )];
    for (colour, tag) in &live {
        let name = colour_name(&service.name, *colour);
        docs.push(deployment(&Workload {
            platform,
            service,
            name: name.clone(),
            namespace: &ctx.namespace,
            track: colour.as_str(),
            image: format!("{}:{tag}", image_repository(ctx)),
            replicas: None,
            env: secrets::env_vars(service, Some(ctx.env.cloud.provider)),
            version: Some(tag),
        }));
        docs.push(hpa(platform, service, Some(&ctx.namespace), &name));
    }
    if let Some((other, _)) = live.iter().find(|(c, _)| *c != active) {
        docs.push(k8s_service(
            platform,
            service,
            &format!("{}-preview", service.name),
            Some(&ctx.namespace),
            track_selector(&service.name, other.as_str()),
        ));
    }
    docs
}
