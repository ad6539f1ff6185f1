//! `rollout advance --alerts CELL=FILE`: the alerts a cell's Prometheus answers to
//! `GET /api/v1/alerts`, a JSON envelope `{"status": "success", "data": {"alerts": [...]}}`
//! whose alerts each carry `labels`, `annotations`, `state` (`pending` or `firing`),
//! `activeAt` and `value`
//! (<https://prometheus.io/docs/prometheus/latest/querying/api/#alerts>). The alerts of a
//! service are the ones its PrometheusRule raises, labelled `service` and `environment`
//! (`backend::kubernetes::monitoring`); only a firing one holds the rollout back, a pending
//! one has not lasted its `for` yet.

use super::super::versions::Refusal;
use serde_json::Value;
use std::io::Read;

/// The most a body is read (an answer of Prometheus is far smaller).
const MAX_BYTES: u64 = 16 * 1024 * 1024;

/// The firing alerts of the service in one cell's answer.
pub(in crate::commands) struct Alerts {
    firing: Vec<Firing>,
}

struct Firing {
    name: String,
    since: Option<String>,
    summary: Option<String>,
}

/// Each `CELL=FILE` read and judged for `service` in `env`.
pub(in crate::commands) fn read(
    args: &[String],
    service: &str,
    env: &str,
) -> Result<Vec<(String, Alerts)>, Refusal> {
    // Every argument's shape first, so that nothing is read for a call that is refused.
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    for arg in args {
        let Some((cell, file)) = arg
            .split_once('=')
            .filter(|(c, f)| !c.is_empty() && !f.is_empty())
        else {
            return Err(format!(
                "`--alerts {arg}` is not `CELL=FILE` (FILE `-` for standard input)"
            )
            .into());
        };
        if pairs.iter().any(|(c, _)| *c == cell) {
            return Err(format!("`--alerts` names cell `{cell}` twice").into());
        }
        if file == "-" && pairs.iter().any(|(_, f)| *f == "-") {
            return Err(
                "`--alerts CELL=-` reads standard input once: give the other cells a file".into(),
            );
        }
        pairs.push((cell, file));
    }
    let mut out = Vec::new();
    for (cell, file) in pairs {
        let text = if file == "-" {
            read_capped(std::io::stdin().lock())
        } else {
            std::fs::File::open(file).and_then(read_capped)
        }
        .map_err(|e| format!("the alerts of cell `{cell}` could not be read from `{file}`: {e}"))?;
        let alerts = parse(&text, service, env).map_err(|why| {
            format!(
                "the alerts of cell `{cell}` (`{file}`) are not an answer of Prometheus' `GET /api/v1/alerts`: {why}"
            )
        })?;
        out.push((cell.to_owned(), alerts));
    }
    Ok(out)
}

fn read_capped(r: impl Read) -> std::io::Result<String> {
    let mut text = String::new();
    r.take(MAX_BYTES + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_BYTES {
        return Err(std::io::Error::other("larger than 16 MiB"));
    }
    Ok(text)
}

fn parse(text: &str, service: &str, env: &str) -> Result<Alerts, String> {
    let body: Value = serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
    match body.get("status").and_then(Value::as_str) {
        Some("success") => {}
        Some(status) => {
            let error = body
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("no error given");
            return Err(format!("its status is `{status}` ({error})"));
        }
        None => return Err("it has no `status`".into()),
    }
    let alerts = body
        .get("data")
        .and_then(|d| d.get("alerts"))
        .and_then(Value::as_array)
        .ok_or("it has no `data.alerts` list")?;
    let mut firing = Vec::new();
    for alert in alerts {
        let label = |key: &str| {
            alert
                .get("labels")
                .and_then(|l| l.get(key))
                .and_then(Value::as_str)
        };
        let state = alert
            .get("state")
            .and_then(Value::as_str)
            .ok_or("an alert has no `state`")?;
        if label("service") != Some(service)
            || label("environment") != Some(env)
            || state != "firing"
        {
            continue;
        }
        firing.push(Firing {
            name: label("alertname").unwrap_or("an unnamed alert").to_owned(),
            since: alert
                .get("activeAt")
                .and_then(Value::as_str)
                .map(str::to_owned),
            summary: alert
                .get("annotations")
                .and_then(|a| a.get("summary"))
                .and_then(Value::as_str)
                .map(str::to_owned),
        });
    }
    Ok(Alerts { firing })
}

/// Refuses while an alert of the service fires in a cell of `reached` (`(wave, cell)`, the
/// cells that run `tag`); the reached cells whose alerts were not given go to `unchecked`.
pub(in crate::commands) fn gate(
    reached: &[(usize, &str)],
    given: &[(String, Alerts)],
    service: &str,
    env: &str,
    tag: &str,
    unchecked: &mut Vec<String>,
) -> Result<(), Refusal> {
    let mut fired = Vec::new();
    for (wave, cell) in reached {
        let Some((_, alerts)) = given.iter().find(|(c, _)| c == cell) else {
            unchecked.push((*cell).to_owned());
            continue;
        };
        for f in &alerts.firing {
            let mut line = format!("{} in cell `{cell}` (wave {wave})", f.name);
            if let Some(since) = &f.since {
                line.push_str(&format!(" since {since}"));
            }
            if let Some(summary) = &f.summary {
                line.push_str(&format!(" (\"{summary}\")"));
            }
            fired.push(line);
        }
    }
    if fired.is_empty() {
        return Ok(());
    }
    Err(format!(
        "alerts of `{service}` fire in the cells of `{env}` that run `{tag}`: {}; advance once they resolve",
        fired.join("; ")
    )
    .into())
}
