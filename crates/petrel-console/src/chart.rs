//! Line charts drawn on the server as inline SVG: time on the x axis, one polyline per series,
//! broken where a value is unknown (a gap, never a drop to zero). No script is needed to see
//! them, and they follow the theme through CSS custom properties.

use std::fmt::Write;

/// One line.
#[derive(Debug, Clone)]
pub struct Series {
    pub label: String,
    /// `(ms since the epoch, value)`; `None` is unknown.
    pub points: Vec<(i64, Option<f64>)>,
}

const W: f64 = 560.0;
const H: f64 = 170.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 22.0;
/// Series colours, distinguishable on light and dark backgrounds.
pub const PALETTE: &[&str] = &[
    "#ff6a00", "#1f77b4", "#2ca02c", "#9467bd", "#d62728", "#17becf",
];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A round upper bound for the y axis.
fn nice_max(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(v.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if step * magnitude >= v {
            return step * magnitude;
        }
    }
    10.0 * magnitude
}

fn number(v: f64) -> String {
    if v >= 100.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn clock(ms: i64) -> String {
    let format = time::macros::format_description!("[hour]:[minute]:[second]");
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_default()
}

/// The SVG of a chart named `id` (used in `data-chart`), with `unit` after the y-axis maximum.
/// `empty` is shown when no series has two known points.
pub fn svg(id: &str, title: &str, unit: &str, series: &[Series], empty: &str) -> String {
    let times = series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let (t0, t1) = times.fold((i64::MAX, i64::MIN), |(a, b), t| (a.min(t), b.max(t)));
    let max = series
        .iter()
        .flat_map(|s| s.points.iter().filter_map(|p| p.1))
        .fold(0.0f64, f64::max);
    let top = nice_max(max);
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="chart" data-chart="{id}" data-max="{max}" viewBox="0 0 {W} {H}" role="img" aria-label="{title}">"#,
        id = esc(id),
        title = esc(title),
    );
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let _ = write!(
        out,
        r#"<line class="axis" x1="{LEFT}" y1="{y}" x2="{x2}" y2="{y}"/><line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{y}"/>"#,
        y = TOP + plot_h,
        x2 = W - RIGHT,
    );
    let _ = write!(
        out,
        r#"<line class="grid" x1="{LEFT}" y1="{TOP}" x2="{x2}" y2="{TOP}"/><text class="tick" x="{x}" y="{ty}" text-anchor="end">{top} {unit}</text><text class="tick" x="{x}" y="{by}" text-anchor="end">0</text>"#,
        x2 = W - RIGHT,
        x = LEFT - 4.0,
        ty = TOP + 8.0,
        by = TOP + plot_h,
        top = number(top),
        unit = esc(unit),
    );
    let known = series
        .iter()
        .any(|s| s.points.iter().filter(|p| p.1.is_some()).count() >= 2);
    if t0 >= t1 || !known {
        let _ = write!(
            out,
            r#"<text class="empty" x="{x}" y="{y}" text-anchor="middle">{}</text></svg>"#,
            esc(empty),
            x = LEFT + plot_w / 2.0,
            y = TOP + plot_h / 2.0,
        );
        return out;
    }
    let _ = write!(
        out,
        r#"<text class="tick" x="{LEFT}" y="{y}">{}</text><text class="tick" x="{x}" y="{y}" text-anchor="end">{}</text>"#,
        clock(t0),
        clock(t1),
        y = H - 6.0,
        x = W - RIGHT,
    );
    let span = (t1 - t0) as f64;
    for (i, s) in series.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let last = s.points.iter().rev().find_map(|p| p.1);
        let _ = write!(
            out,
            r#"<g data-series="{}" data-last="{}" stroke="{colour}" fill="none">"#,
            esc(&s.label),
            last.map(number).unwrap_or_default(),
        );
        let mut run: Vec<String> = Vec::new();
        let flush = |run: &mut Vec<String>, out: &mut String| {
            match run.len() {
                0 => {}
                1 => {
                    let (x, y) = run[0].split_once(',').unwrap_or(("0", "0"));
                    let _ = write!(out, r#"<circle cx="{x}" cy="{y}" r="2" fill="{colour}"/>"#);
                }
                _ => {
                    let _ = write!(out, r#"<polyline points="{}"/>"#, run.join(" "));
                }
            }
            run.clear();
        };
        for (t, v) in &s.points {
            match v {
                Some(v) => {
                    let x = LEFT + plot_w * ((t - t0) as f64 / span);
                    let y = TOP + plot_h * (1.0 - v / top);
                    run.push(format!("{x:.1},{y:.1}"));
                }
                None => flush(&mut run, &mut out),
            }
        }
        flush(&mut run, &mut out);
        out.push_str("</g>");
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_break_the_line_instead_of_dropping_to_zero() {
        let s = Series {
            label: "GID<a>".to_owned(),
            points: vec![
                (0, Some(1.0)),
                (1000, Some(3.0)),
                (2000, None),
                (3000, Some(2.0)),
                (4000, Some(2.0)),
            ],
        };
        let out = svg("lag", "Lag", "msgs", &[s], "collecting");
        assert_eq!(out.matches("<polyline").count(), 2, "{out}");
        assert!(out.contains(r#"data-series="GID&lt;a&gt;""#), "{out}");
        assert!(out.contains(r#"data-max="3""#), "{out}");
        assert!(
            out.contains(">5 msgs<") || out.contains(">3 msgs<"),
            "{out}"
        );
        assert!(!out.contains("collecting"));
    }

    #[test]
    fn a_chart_without_two_known_points_says_it_is_collecting() {
        let s = Series {
            label: "t".to_owned(),
            points: vec![(0, Some(1.0)), (1000, None)],
        };
        assert!(svg("x", "X", "/s", &[s], "collecting").contains("collecting"));
        assert!(svg("x", "X", "/s", &[], "collecting").contains("collecting"));
    }

    #[test]
    fn axis_maxima_are_round() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(3.0), 5.0);
        assert_eq!(nice_max(0.7), 1.0);
        assert_eq!(nice_max(180.0), 200.0);
    }
}
