//! The Prometheus text exposition format (0.0.4): one `# HELP` and one `# TYPE` line per
//! family, then its samples as `name{label="value",...} number`, each family's samples
//! together. Label values escape `\`, `"` and newlines; help text escapes `\` and newlines.

use std::fmt::Write as _;

use crate::primitives::HistogramSnapshot;

/// The `Content-Type` of the exposition.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The type of a metric family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Only goes up (resets on restart); names end in `_total`.
    Counter,
    /// Goes up and down.
    Gauge,
    /// Buckets, sum and count.
    Histogram,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// A text exposition being written. Start each family with [`Exposition::family`], then add
/// its samples; a family must not be started twice.
#[derive(Debug, Default)]
pub struct Exposition {
    out: String,
    family: String,
    kind: Option<Kind>,
}

impl Exposition {
    /// An empty exposition.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts the family `name` (its `# HELP` and `# TYPE` lines).
    pub fn family(&mut self, name: &str, help: &str, kind: Kind) {
        debug_assert!(valid_name(name), "bad metric name {name}");
        let _ = writeln!(self.out, "# HELP {name} {}", escape_help(help));
        let _ = writeln!(self.out, "# TYPE {name} {}", kind.as_str());
        self.family.clear();
        self.family.push_str(name);
        self.kind = Some(kind);
    }

    /// A counter or gauge sample of the current family.
    pub fn sample(&mut self, labels: &[(&str, &str)], value: u64) {
        let name = std::mem::take(&mut self.family);
        self.line(&name, "", labels, None, &value.to_string());
        self.family = name;
    }

    /// A sample with a fractional value (NaN and infinities spelled as Prometheus reads them).
    pub fn sample_f64(&mut self, labels: &[(&str, &str)], value: f64) {
        let name = std::mem::take(&mut self.family);
        self.line(&name, "", labels, None, &format_f64(value));
        self.family = name;
    }

    /// The series of one histogram of the current family: `_bucket` per bound (divided by
    /// `per_unit`, e.g. 1,000,000 to show microseconds as seconds; a division keeps bounds
    /// like 0.0001 exact where a multiplication by 1e-6 would not) and `+Inf`, then `_sum` and
    /// `_count`.
    pub fn histogram(&mut self, labels: &[(&str, &str)], h: &HistogramSnapshot, per_unit: u64) {
        let name = std::mem::take(&mut self.family);
        for (bound, n) in &h.buckets {
            let le = scaled(*bound, per_unit);
            self.line(&name, "_bucket", labels, Some(&le), &n.to_string());
        }
        self.line(&name, "_bucket", labels, Some("+Inf"), &h.count.to_string());
        self.line(&name, "_sum", labels, None, &scaled(h.sum, per_unit));
        self.line(&name, "_count", labels, None, &h.count.to_string());
        self.family = name;
    }

    fn line(
        &mut self,
        name: &str,
        suffix: &str,
        labels: &[(&str, &str)],
        le: Option<&str>,
        value: &str,
    ) {
        self.out.push_str(name);
        self.out.push_str(suffix);
        if !labels.is_empty() || le.is_some() {
            self.out.push('{');
            let mut first = true;
            let le_pair = le.map(|v| ("le", v));
            for (k, v) in labels.iter().copied().chain(le_pair) {
                debug_assert!(valid_name(k), "bad label name {k}");
                if !first {
                    self.out.push(',');
                }
                first = false;
                self.out.push_str(k);
                self.out.push_str("=\"");
                escape_label_into(&mut self.out, v);
                self.out.push('"');
            }
            self.out.push('}');
        }
        self.out.push(' ');
        self.out.push_str(value);
        self.out.push('\n');
    }

    /// The text written so far.
    pub fn finish(self) -> String {
        self.out
    }
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn escape_label_into(out: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

fn scaled(v: u64, per_unit: u64) -> String {
    if per_unit <= 1 {
        v.to_string()
    } else {
        format_f64(v as f64 / per_unit as f64)
    }
}

fn format_f64(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_owned()
    } else if v == f64::INFINITY {
        "+Inf".to_owned()
    } else if v == f64::NEG_INFINITY {
        "-Inf".to_owned()
    } else {
        // Rust prints the shortest representation that round-trips, e.g. 0.001 or 5.
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::Histogram;

    #[test]
    fn family_writes_help_and_type_before_its_samples() {
        let mut e = Exposition::new();
        e.family("petrel_x_total", "Things.", Kind::Counter);
        e.sample(&[("topic", "a")], 3);
        e.sample(&[], 4);
        assert_eq!(
            e.finish(),
            "# HELP petrel_x_total Things.\n# TYPE petrel_x_total counter\n\
             petrel_x_total{topic=\"a\"} 3\npetrel_x_total 4\n"
        );
    }

    #[test]
    fn label_values_escape_backslash_quote_and_newline() {
        let mut e = Exposition::new();
        e.family("m", "h", Kind::Gauge);
        e.sample(&[("l", "a\\b\"c\nd"), ("k", "plain")], 1);
        let text = e.finish();
        assert!(
            text.contains("m{l=\"a\\\\b\\\"c\\nd\",k=\"plain\"} 1\n"),
            "{text}"
        );
    }

    #[test]
    fn help_escapes_backslash_and_newline_but_not_quotes() {
        let mut e = Exposition::new();
        e.family("m", "a \"b\" \\ c\nd", Kind::Gauge);
        assert!(
            e.finish()
                .starts_with("# HELP m a \"b\" \\\\ c\\nd\n# TYPE m gauge\n")
        );
    }

    #[test]
    fn histogram_writes_cumulative_buckets_inf_sum_and_count_scaled() {
        static B: &[u64] = &[100, 1000];
        let h = Histogram::new(B);
        h.observe(50);
        h.observe(500);
        h.observe(5000);
        let mut e = Exposition::new();
        e.family("lat_seconds", "Latency.", Kind::Histogram);
        e.histogram(&[("op", "x")], &h.snapshot(), 1_000_000);
        let text = e.finish();
        let samples: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(
            samples,
            vec![
                "lat_seconds_bucket{op=\"x\",le=\"0.0001\"} 1",
                "lat_seconds_bucket{op=\"x\",le=\"0.001\"} 2",
                "lat_seconds_bucket{op=\"x\",le=\"+Inf\"} 3",
                "lat_seconds_sum{op=\"x\"} 0.00555",
                "lat_seconds_count{op=\"x\"} 3",
            ]
        );
    }

    #[test]
    fn unscaled_histogram_keeps_integer_bounds_and_sum() {
        static B: &[u64] = &[1, 8];
        let h = Histogram::new(B);
        h.observe(3);
        let mut e = Exposition::new();
        e.family("batch_records", "Records per batch.", Kind::Histogram);
        e.histogram(&[], &h.snapshot(), 1);
        let text = e.finish();
        assert!(
            text.contains("batch_records_bucket{le=\"1\"} 0\n"),
            "{text}"
        );
        assert!(
            text.contains("batch_records_bucket{le=\"8\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("batch_records_sum 3\n"), "{text}");
    }

    #[test]
    fn special_floats_are_spelled_the_prometheus_way() {
        assert_eq!(format_f64(f64::NAN), "NaN");
        assert_eq!(format_f64(f64::INFINITY), "+Inf");
        assert_eq!(format_f64(f64::NEG_INFINITY), "-Inf");
        assert_eq!(format_f64(0.25), "0.25");
    }
}
