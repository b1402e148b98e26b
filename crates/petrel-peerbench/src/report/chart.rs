//! `chart.svg`: one panel per durability comparison and workload, each system a dot at its
//! median throughput (x) and median send p99 latency (y, logarithmic) — down and to the right
//! is better.

use std::fmt::Write as _;

use super::{comparison, summarize};
use crate::suite::Runs;
use crate::system::{Durability, Kind};
use crate::workload::Workload;

const PANEL_W: f64 = 260.0;
const PANEL_H: f64 = 200.0;
const MARGIN_L: f64 = 56.0;
const MARGIN_B: f64 = 36.0;
const GAP: f64 = 24.0;
const TOP: f64 = 64.0;

fn color(kind: Kind) -> &'static str {
    match kind {
        Kind::Petrel => "#d62728",
        Kind::Nats => "#1f77b4",
        Kind::Redis => "#2ca02c",
        Kind::RabbitmqQuorum => "#ff7f0e",
        Kind::RabbitmqStream => "#9467bd",
    }
}

fn short(kind: Kind) -> &'static str {
    match kind {
        Kind::Petrel => "Petrel",
        Kind::Nats => "NATS JetStream",
        Kind::Redis => "Redis streams",
        Kind::RabbitmqQuorum => "RabbitMQ quorum",
        Kind::RabbitmqStream => "RabbitMQ streams",
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn compact(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.0}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

/// The chart as SVG text.
pub fn svg(runs: &Runs) -> String {
    let workloads: Vec<Workload> = Workload::ALL
        .into_iter()
        .filter(|w| runs.runs.iter().any(|r| r.workload == *w))
        .collect();
    let modes: Vec<Durability> = [Durability::Fsync, Durability::Defaults]
        .into_iter()
        .filter(|m| !comparison(runs, *m).is_empty())
        .collect();
    let cols = workloads.len().max(1) as f64;
    let rows = modes.len().max(1) as f64;
    let width = cols * (MARGIN_L + PANEL_W + GAP) + GAP;
    let height = TOP + rows * (PANEL_H + MARGIN_B + GAP + 16.0) + GAP;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        out,
        r#"<text x="{GAP}" y="22" font-size="15" font-weight="bold">Throughput (msgs/s, x) against send p99 latency (ms, y, log) — down and right is better</text>"#
    );
    let mut lx = GAP;
    for kind in Kind::ALL {
        let _ = writeln!(
            out,
            r#"<circle cx="{:.1}" cy="42" r="5" fill="{}"/><text x="{:.1}" y="46">{}</text>"#,
            lx + 5.0,
            color(kind),
            lx + 14.0,
            short(kind)
        );
        lx += 140.0;
    }
    for (ri, mode) in modes.iter().enumerate() {
        let targets = comparison(runs, *mode);
        for (ci, w) in workloads.iter().enumerate() {
            let x0 = GAP + ci as f64 * (MARGIN_L + PANEL_W + GAP) + MARGIN_L;
            let y0 = TOP + ri as f64 * (PANEL_H + MARGIN_B + GAP + 16.0) + 16.0;
            let title = format!(
                "{} — {}",
                w.id(),
                match mode {
                    Durability::Fsync => "fsync",
                    Durability::Defaults => "defaults",
                }
            );
            let _ = writeln!(
                out,
                r#"<text x="{x0:.1}" y="{:.1}" font-weight="bold">{}</text>"#,
                y0 - 4.0,
                escape(&title)
            );
            let _ = writeln!(
                out,
                r##"<rect x="{x0:.1}" y="{y0:.1}" width="{PANEL_W}" height="{PANEL_H}" fill="none" stroke="#999"/>"##
            );
            let points: Vec<(Kind, f64, f64)> = targets
                .iter()
                .filter_map(|t| {
                    let s = summarize(&runs.runs, *t, *w);
                    Some((t.kind, s.msgs_per_sec?, s.send_p99?.max(0.001)))
                })
                .collect();
            if points.is_empty() {
                let _ = writeln!(
                    out,
                    r##"<text x="{:.1}" y="{:.1}" fill="#999">no figures</text>"##,
                    x0 + 90.0,
                    y0 + PANEL_H / 2.0
                );
                continue;
            }
            let xmax = points.iter().map(|p| p.1).fold(1.0, f64::max) * 1.1;
            let lo = points.iter().map(|p| p.2).fold(f64::INFINITY, f64::min);
            let hi = points.iter().map(|p| p.2).fold(0.0, f64::max);
            let (dlo, dhi) = (
                lo.log10().floor(),
                hi.log10().ceil().max(lo.log10().floor() + 1.0),
            );
            let sx = |v: f64| x0 + v / xmax * PANEL_W;
            let sy = |v: f64| y0 + PANEL_H - (v.log10() - dlo) / (dhi - dlo) * PANEL_H;
            let mut d = dlo;
            while d <= dhi + 1e-9 {
                let y = sy(10f64.powf(d));
                let label = 10f64.powf(d);
                let _ = writeln!(
                    out,
                    r##"<line x1="{x0:.1}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="#eee"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
                    x0 + PANEL_W,
                    x0 - 4.0,
                    y + 4.0,
                    if label < 1.0 {
                        format!("{label}")
                    } else {
                        format!("{label:.0}")
                    }
                );
                d += 1.0;
            }
            for i in 0..=4 {
                let v = xmax * f64::from(i) / 4.0;
                let x = sx(v);
                let _ = writeln!(
                    out,
                    r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                    y0 + PANEL_H + 14.0,
                    compact(v)
                );
            }
            for (kind, x, y) in points {
                let _ = writeln!(
                    out,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="5" fill="{}" fill-opacity="0.85"><title>{}: {:.0} msgs/s, p99 {:.2} ms</title></circle>"#,
                    sx(x),
                    sy(y),
                    color(kind),
                    short(kind),
                    x,
                    y
                );
            }
        }
    }
    out.push_str("</svg>\n");
    out
}
