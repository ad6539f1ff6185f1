//! Lowering of `migrations`, `metrics` and `alerts` (defaults from `spec::defaults`).

use super::{Gap, opt, opt_string, req, string};
use crate::model::{
    Alerts, LatencyThreshold, Metrics, Migrations, RateThreshold, RestartsThreshold,
};
use crate::spec::{AlertsLayer, Field, MetricsLayer, MigrationsLayer, defaults};

pub(super) fn migrations_of(field: &Field<MigrationsLayer>) -> Result<Option<Migrations>, Gap> {
    let Some(m) = opt(field, "migrations")? else {
        return Ok(None);
    };
    let mut command = Vec::new();
    for arg in req(&m.command, "command")? {
        command.push(string(arg, "command")?);
    }
    Ok(Some(Migrations {
        tool: *req(&m.tool, "tool")?,
        command,
        image: opt_string(&m.image, "image")?,
    }))
}

pub(super) fn metrics_of(field: &Field<MetricsLayer>) -> Result<Option<Metrics>, Gap> {
    let Some(m) = opt(field, "metrics")? else {
        return Ok(None);
    };
    Ok(Some(Metrics {
        port: string(&m.port, "port")?,
        path: opt_string(&m.path, "path")?.unwrap_or_else(|| defaults::METRICS_PATH.to_owned()),
    }))
}

pub(super) fn alerts_of(field: &Field<AlertsLayer>) -> Result<Alerts, Gap> {
    let Some(a) = opt(field, "alerts")? else {
        return Ok(Alerts::default());
    };
    let duration = |f: &Field<String>, name: &str, default: &str| -> Result<String, Gap> {
        Ok(opt_string(f, name)?.unwrap_or_else(|| default.to_owned()))
    };
    let error_rate = match opt(&a.error_rate, "errorRate")? {
        Some(t) => Some(RateThreshold {
            above: *req(&t.above, "errorRate.above")?,
            for_: duration(&t.for_, "for", defaults::ERROR_RATE_FOR)?,
        }),
        None => None,
    };
    let latency_p95_ms = match opt(&a.latency_p95_ms, "latencyP95Ms")? {
        Some(t) => Some(LatencyThreshold {
            above: *req(&t.above, "latencyP95Ms.above")?,
            for_: duration(&t.for_, "for", defaults::LATENCY_FOR)?,
        }),
        None => None,
    };
    let restarts = match opt(&a.restarts, "restarts")? {
        Some(t) => Some(RestartsThreshold {
            above: *req(&t.above, "restarts.above")?,
            within: duration(&t.within, "within", defaults::RESTARTS_WITHIN)?,
        }),
        None => None,
    };
    Ok(Alerts {
        error_rate,
        latency_p95_ms,
        restarts,
    })
}
