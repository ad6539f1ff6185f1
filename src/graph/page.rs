//! The dependency graph as a picture a person opens: a self-contained SVG (no scripts, no
//! fonts or styles from the network), and an HTML page around it with a table of each
//! service's alerts and rollout state. A pure function of the model, laid out here: each
//! service in a column by its depth in the dependency graph (callers left of the services
//! they call; validation refuses cycles), ordered by namespace and name within a column.

use crate::model::{Alerts, Service, Strategy};
use std::collections::BTreeMap;
use std::fmt::Write;

const FONT: f64 = 12.0;
/// The advance of one character of the monospace font at [`FONT`] (0.6 em).
const CHAR: f64 = 7.2;
const LINE: f64 = 16.0;
const PAD: f64 = 10.0;
const GAP_X: f64 = 80.0;
const GAP_Y: f64 = 24.0;
const MARGIN: f64 = 20.0;

/// One box: a service and the lines it shows.
struct Node<'a> {
    service: &'a Service,
    lines: Vec<String>,
    canary_running: bool,
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

/// `&`, `<`, `>` and `"` escaped for XML text and attributes.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// The rollout state of a service in an environment, in words.
pub fn rollout_state(service: &Service) -> String {
    let version = service.version.as_ref();
    match service.rollout.strategy {
        Strategy::Canary => match version.and_then(|v| v.canary.as_ref()) {
            Some(c) => format!("canary {} at {}%", c.tag, c.weight),
            None => "canary: none running".to_owned(),
        },
        Strategy::BlueGreen => match version.and_then(|v| v.preview.as_ref()) {
            Some(p) => format!("blue-green: preview {p}"),
            None => "blue-green: no preview".to_owned(),
        },
        Strategy::Rolling => "rolling".to_owned(),
    }
}

/// The generated alerts of a service, in words (`active_alerts` decides which).
pub fn alert_summary(service: &Service) -> Vec<String> {
    let Alerts {
        error_rate,
        latency_p95_ms,
        restarts,
    } = &service.alerts;
    let active = service.active_alerts();
    let mut out = Vec::new();
    if let (true, Some(t)) = (active.contains(&"errorRate"), error_rate) {
        out.push(format!(
            "errors > {}% for {}",
            (t.above * 10_000.0).round() / 100.0,
            t.for_
        ));
    }
    if let (true, Some(t)) = (active.contains(&"latencyP95Ms"), latency_p95_ms) {
        out.push(format!("p95 > {} ms for {}", t.above, t.for_));
    }
    if let (true, Some(t)) = (active.contains(&"restarts"), restarts) {
        out.push(format!("restarts > {} in {}", t.above, t.within));
    }
    out
}

/// Column of each service: 0 for one that calls nothing here, else one more than the
/// deepest service it calls.
fn depths(services: &[&Service]) -> BTreeMap<String, usize> {
    let by_name: BTreeMap<&str, &Service> =
        services.iter().map(|s| (s.name.as_str(), *s)).collect();
    fn depth<'a>(
        name: &'a str,
        by_name: &BTreeMap<&'a str, &'a Service>,
        memo: &mut BTreeMap<String, usize>,
        seen: &mut Vec<&'a str>,
    ) -> usize {
        if let Some(d) = memo.get(name) {
            return *d;
        }
        if seen.contains(&name) {
            return 0; // a cycle (validation refuses them): cut it here
        }
        seen.push(name);
        let d = by_name.get(name).map_or(0, |s| {
            s.dependencies
                .iter()
                .filter(|d| by_name.contains_key(d.as_str()))
                .map(|d| depth(d, by_name, memo, seen) + 1)
                .max()
                .unwrap_or(0)
        });
        seen.pop();
        memo.insert(name.to_owned(), d);
        d
    }
    let mut memo = BTreeMap::new();
    for s in services {
        depth(&s.name, &by_name, &mut memo, &mut Vec::new());
    }
    memo
}

fn layout<'a>(services: &[&'a Service], suffix: &str) -> (Vec<Node<'a>>, f64, f64) {
    let depths = depths(services);
    let max_depth = depths.values().copied().max().unwrap_or(0);
    let mut columns: Vec<Vec<&Service>> = vec![Vec::new(); max_depth + 1];
    for s in services {
        // Callers on the left: the deepest column first.
        columns[max_depth - depths[&s.name]].push(s);
    }
    let mut nodes = Vec::new();
    let (mut x, mut height) = (MARGIN, 0.0f64);
    for column in &mut columns {
        column.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        let mut lines: Vec<(&Service, Vec<String>)> = Vec::new();
        for s in column.iter() {
            let mut l = vec![
                s.name.clone(),
                format!("ns {}{suffix}", s.namespace),
                rollout_state(s),
            ];
            let alerts = alert_summary(s);
            if alerts.is_empty() {
                l.push("no alerts".to_owned());
            }
            l.extend(alerts.into_iter().map(|a| format!("alert: {a}")));
            l.extend(
                s.infra
                    .iter()
                    .map(|(name, i)| format!("{name} ({})", i.kind.as_str())),
            );
            lines.push((s, l));
        }
        let chars = lines
            .iter()
            .flat_map(|(_, l)| l.iter().map(|t| t.chars().count()))
            .max()
            .unwrap_or(10);
        let w = (chars as f64) * CHAR + 2.0 * PAD;
        let mut y = MARGIN;
        for (s, l) in lines {
            let h = (l.len() as f64) * LINE + 2.0 * PAD;
            let canary_running = s.version.as_ref().is_some_and(|v| v.canary.is_some());
            nodes.push(Node {
                service: s,
                lines: l,
                canary_running,
                x,
                y,
                w,
                h,
            });
            y += h + GAP_Y;
        }
        height = height.max(y);
        x += w + GAP_X;
    }
    (nodes, x - GAP_X + MARGIN, height - GAP_Y + MARGIN)
}

/// The graph as a standalone SVG document.
pub fn svg(services: &[&Service], suffix: &str, title: &str) -> String {
    let (nodes, width, height) = layout(services, suffix);
    let (width, height) = (width.max(200.0), height.max(100.0));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"monospace\" font-size=\"{FONT}\">"
    );
    let _ = writeln!(out, "<title>{}</title>", esc(title));
    out.push_str("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#555\"/></marker></defs>\n");
    let _ = writeln!(
        out,
        "<rect width=\"{width:.0}\" height=\"{height:.0}\" fill=\"#ffffff\"/>"
    );
    let at: BTreeMap<&str, &Node> = nodes.iter().map(|n| (n.service.name.as_str(), n)).collect();
    for n in &nodes {
        for dep in &n.service.dependencies {
            let Some(to) = at.get(dep.as_str()) else {
                continue;
            };
            let (x1, y1) = (n.x + n.w, n.y + n.h / 2.0);
            let (x2, y2) = (to.x, to.y + to.h / 2.0);
            let mid = (x1 + x2) / 2.0;
            let _ = writeln!(
                out,
                "<path class=\"edge\" d=\"M {x1:.1} {y1:.1} C {mid:.1} {y1:.1}, {mid:.1} {y2:.1}, {x2:.1} {y2:.1}\" fill=\"none\" stroke=\"#555\" stroke-width=\"1.5\" marker-end=\"url(#arrow)\"><title>{} → {}</title></path>",
                esc(&n.service.name),
                esc(dep)
            );
        }
    }
    for n in &nodes {
        let (fill, stroke) = if n.canary_running {
            ("#fff3e0", "#e65100")
        } else if !alert_summary(n.service).is_empty() {
            ("#e8f5e9", "#2e7d32")
        } else {
            ("#e3f2fd", "#1565c0")
        };
        let _ = writeln!(
            out,
            "<g class=\"service\" id=\"svc-{}\"><rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"6\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"2\"/>",
            esc(&n.service.name),
            n.x,
            n.y,
            n.w,
            n.h
        );
        for (i, line) in n.lines.iter().enumerate() {
            let weight = if i == 0 { " font-weight=\"bold\"" } else { "" };
            let _ = writeln!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\"{weight} fill=\"#212121\">{}</text>",
                n.x + PAD,
                n.y + PAD + (i as f64 + 1.0) * LINE - 4.0,
                esc(line)
            );
        }
        out.push_str("</g>\n");
    }
    out.push_str("</svg>\n");
    out
}

/// The graph in an HTML page that needs nothing from the network (its Content Security
/// Policy forbids every fetch), with a table of the services' alerts and rollout state.
pub fn html(services: &[&Service], suffix: &str, title: &str) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n");
    let _ = writeln!(out, "<title>{}</title>", esc(title));
    out.push_str("<style>\nbody{font-family:sans-serif;margin:24px;color:#212121;background:#fafafa}\ntable{border-collapse:collapse;margin-top:24px}\nth,td{border:1px solid #bdbdbd;padding:4px 8px;text-align:left;vertical-align:top}\nth{background:#eeeeee}\n.graph{overflow:auto;background:#fff;border:1px solid #e0e0e0}\n</style>\n</head>\n<body>\n");
    let _ = writeln!(out, "<h1>{}</h1>", esc(title));
    out.push_str("<div class=\"graph\">\n");
    out.push_str(&svg(services, suffix, title));
    out.push_str("</div>\n<table>\n<thead><tr><th>Service</th><th>Namespace</th><th>Depends on</th><th>Rollout</th><th>Alerts</th></tr></thead>\n<tbody>\n");
    for s in services {
        let alerts = alert_summary(s);
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&s.name),
            esc(&s.namespace),
            esc(suffix),
            esc(&s.dependencies.join(", ")),
            esc(&rollout_state(s)),
            if alerts.is_empty() {
                "none".to_owned()
            } else {
                esc(&alerts.join("; "))
            }
        );
    }
    out.push_str("</tbody>\n</table>\n</body>\n</html>\n");
    out
}
