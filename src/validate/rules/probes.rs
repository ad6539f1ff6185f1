//! Probes: an HTTP `path` on a gRPC port.
//!
//! A probe with `path` is an HTTP GET; against a pure gRPC server (HTTP/2 only, no HTTP/1.1
//! handler) it fails and the pod never becomes ready or is restarted. Without `path` a gRPC
//! port gets Kubernetes' native gRPC probe (the gRPC Health Checking Protocol).
//! <https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/#define-a-grpc-liveness-probe>

use super::{RuleCtx, items};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::Protocol;
use crate::spec::SpecService;

pub fn check(ctx: &RuleCtx) -> Vec<Diagnostic> {
    ctx.every_service().flat_map(check_service).collect()
}

fn check_service(service: &SpecService) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let Some(health) = service.layer.health_check.get() else {
        return out;
    };
    let grpc: Vec<&str> = items(&service.layer.ports)
        .filter(|(p, _)| p.protocol.get() == Some(&Protocol::Grpc))
        .filter_map(|(p, _)| p.name.get().map(String::as_str))
        .collect();
    for (probe, field) in health.probes() {
        let Some(p) = field.get() else { continue };
        let (Some(path), Some(port)) = (p.path.spanned(), p.port.get()) else {
            continue;
        };
        if grpc.contains(&port.as_str()) {
            out.push(
                Diagnostic::warning(
                    Code::GrpcHttpProbe,
                    path.pos,
                    format!(
                        "the {probe} probe of `{}` sends an HTTP GET to `{}` on port `{port}`, which speaks gRPC",
                        service.name,
                        path.as_str()
                    ),
                )
                .with_help(format!(
                    "drop `path` to get the native gRPC probe: {probe}: {{port: {port}}}"
                )),
            );
        }
    }
    out
}
