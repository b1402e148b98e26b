//! `GET /metrics` of a real `petrel serve` after real traffic from the official Python SDK:
//! the exposition parses, send and receive counts and bytes move by exactly what was sent and
//! received, lag drains, a refused send is counted as a denial and as an error code, the fsync
//! histogram grows; and the request id a caller sends comes back and lands in the slow-request
//! log line.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "integration tests: a failed unwrap is a failed test"
)]

mod common;
mod sdk;

use std::collections::{BTreeMap, BTreeSet};

use common::Server;
use sdk::{Code, Petrel, Sdk};

/// One parsed exposition: sample values by `name{labels}` exactly as written, and each
/// family's declared type.
#[derive(Debug)]
struct Scrape {
    samples: BTreeMap<String, f64>,
    types: BTreeMap<String, String>,
}

impl Scrape {
    fn get(&self, series: &str) -> f64 {
        self.samples.get(series).copied().unwrap_or(0.0)
    }

    fn has(&self, series: &str) -> bool {
        self.samples.contains_key(series)
    }
}

/// Parses the text format strictly: every family is announced by `# HELP` then `# TYPE` once,
/// before its samples; every other line is `name{label="value",...} number` with the family
/// of `name` (histograms: `_bucket`, `_sum`, `_count`) already announced; histograms have a
/// `+Inf` bucket equal to their `_count`.
fn parse(text: &str) -> Scrape {
    let mut samples = BTreeMap::new();
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    let mut helped = BTreeSet::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap().to_owned();
            assert!(helped.insert(name.clone()), "second HELP for {name}");
            current = Some(name);
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert_eq!(
                Some(name),
                current.as_deref(),
                "TYPE without its HELP: {line}"
            );
            assert!(
                ["counter", "gauge", "histogram"].contains(&kind),
                "bad type: {line}"
            );
            assert!(
                types.insert(name.to_owned(), kind.to_owned()).is_none(),
                "second TYPE for {name}"
            );
            continue;
        }
        assert!(!line.starts_with('#'), "unexpected comment: {line}");
        let (series, value) = line.rsplit_once(' ').expect("sample line has a value");
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("bad value in {line}")),
        };
        let name = series.split('{').next().unwrap();
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad metric name: {line}"
        );
        if let Some(labels) = series.strip_prefix(name)
            && !labels.is_empty()
        {
            check_labels(labels, line);
        }
        let family = current.as_deref().expect("sample before any family");
        let kind = types.get(family).expect("sample before its TYPE");
        let belongs = if kind == "histogram" {
            ["_bucket", "_sum", "_count"]
                .iter()
                .any(|s| name == format!("{family}{s}"))
        } else {
            name == family
        };
        assert!(belongs, "sample {name} outside its family {family}");
        assert!(
            samples.insert(series.to_owned(), value).is_none(),
            "duplicate series {series}"
        );
    }
    // Every histogram's +Inf bucket equals its count.
    for (name, kind) in &types {
        if kind != "histogram" {
            continue;
        }
        for (series, count) in samples.range(format!("{name}_count")..) {
            if !series.starts_with(&format!("{name}_count")) {
                break;
            }
            let labels = series.trim_start_matches(&format!("{name}_count"));
            let inf = if labels.is_empty() {
                format!("{name}_bucket{{le=\"+Inf\"}}")
            } else {
                format!(
                    "{name}_bucket{},le=\"+Inf\"}}",
                    labels.trim_end_matches('}')
                )
            };
            assert_eq!(samples.get(&inf), Some(count), "{inf} vs {series}");
        }
    }
    Scrape { samples, types }
}

/// `{k="v",...}`: names are identifiers, values are quoted with `\\`, `\"`, `\n` escapes.
fn check_labels(labels: &str, line: &str) {
    let inner = labels
        .strip_prefix('{')
        .and_then(|l| l.strip_suffix('}'))
        .unwrap_or_else(|| panic!("bad label set: {line}"));
    let mut rest = inner;
    while !rest.is_empty() {
        let (key, after) = rest
            .split_once("=\"")
            .unwrap_or_else(|| panic!("bad label: {line}"));
        assert!(
            key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "bad label name {key}: {line}"
        );
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => {
                    let (_, escaped) = chars.next().expect("escape at end");
                    assert!(['\\', '"', 'n'].contains(&escaped), "bad escape: {line}");
                }
                Some((i, '"')) => break i,
                Some((_, '\n')) => panic!("raw newline in label: {line}"),
                Some(_) => {}
                None => panic!("unterminated label value: {line}"),
            }
        };
        rest = &after[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
}

fn scrape(server: &Server) -> Scrape {
    let resp = fetch::metrics_text(&server.url("/metrics"));
    parse(&resp)
}

mod fetch {
    /// The body of a GET of `/metrics` (checked: 200, text format 0.0.4), on a current-thread
    /// runtime (the tests are synchronous).
    pub fn metrics_text(url: &str) -> String {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let resp = ::reqwest::get(url).await.unwrap();
            assert_eq!(resp.status(), 200, "GET {url}");
            let ct = resp.headers()["content-type"].to_str().unwrap().to_owned();
            assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
            resp.text().await.unwrap()
        })
    }
}

#[test]
fn metrics_count_real_sdk_traffic_denials_and_fsyncs() {
    let mut p = Petrel::init();
    p.cli(&["activate"]);
    p.cli(&["instance", "create", "inst"]);
    p.cli(&["topic", "create", "--instance", "inst", "t-metrics"]);
    p.cli(&["group", "create", "--instance", "inst", "GID_metrics"]);
    let nobody = p.user_with_key("nobody");
    p.start();
    let server = p.server.as_ref().unwrap();
    let topic = format!(
        "{{account=\"{}\",instance=\"inst\",topic=\"t-metrics\",message_type=\"normal\"}}",
        p.account
    );
    let group = format!(
        "{{account=\"{}\",instance=\"inst\",topic=\"t-metrics\",consumer_group=\"GID_metrics\"}}",
        p.account
    );
    let denied_pub = "{action=\"mq:PUB\",front_end=\"grpc\",reason=\"denied\"}".to_owned();

    let before = scrape(server);
    assert_eq!(
        before.get(&format!(
            "petrel_build_info{{version=\"{}\"}}",
            env!("CARGO_PKG_VERSION")
        )),
        1.0
    );
    assert!(before.get("petrel_start_time_seconds") > 1.7e9);
    assert_eq!(before.types["rocketmq_messages_in_total"], "counter");
    assert_eq!(before.types["rocketmq_consumer_lag_messages"], "gauge");
    assert_eq!(
        before.types["petrel_store_fsync_duration_seconds"],
        "histogram"
    );

    // Five messages, bodies `msg-0` .. `msg-4` (5 bytes each).
    let sent = p.produce(Sdk::Python, "inst", "t-metrics", 5).run();
    sent.assert_ok();
    assert_eq!(sent.sent().len(), 5, "{}", sent.describe());
    let mid = scrape(server);
    assert_eq!(
        mid.get(&format!("rocketmq_messages_in_total{topic}"))
            - before.get(&format!("rocketmq_messages_in_total{topic}")),
        5.0
    );
    assert_eq!(
        mid.get(&format!("rocketmq_throughput_in_total{topic}"))
            - before.get(&format!("rocketmq_throughput_in_total{topic}")),
        25.0
    );

    let got = p
        .consume(Sdk::Python, "inst", "t-metrics", "GID_metrics", 5)
        .run();
    got.assert_ok();
    let received = got.received();
    assert_eq!(received.len(), 5, "{}", got.describe());
    let received_bytes: usize = received
        .iter()
        .map(|m| m["body"].as_str().unwrap().len())
        .sum();

    p.produce(Sdk::Python, "inst", "t-metrics", 1)
        .key(&nobody)
        .run()
        .assert_refused(Code::Forbidden, &["mq:PUB"]);

    let after = scrape(server);
    let moved = |name: &str, labels: &str| {
        let series = format!("{name}{labels}");
        after.get(&series) - before.get(&series)
    };
    assert_eq!(moved("rocketmq_messages_in_total", &topic), 5.0);
    assert_eq!(moved("rocketmq_messages_out_total", &group), 5.0);
    assert_eq!(
        moved("rocketmq_throughput_out_total", &group),
        received_bytes as f64
    );
    assert_eq!(moved("petrel_broker_acks_total", &group), 5.0);
    // Everything was acked: nothing ready, nothing in flight, computed (not left out).
    assert!(after.has(&format!("rocketmq_consumer_lag_messages{group}")));
    assert_eq!(
        after.get(&format!("rocketmq_consumer_lag_messages{group}")),
        0.0
    );
    assert_eq!(
        after.get(&format!("rocketmq_consumer_inflight_messages{group}")),
        0.0
    );
    // The refused send: one denial (the SDK may retry, so at least one), as FORBIDDEN.
    assert!(
        moved("petrel_authorization_denials_total", &denied_pub) >= 1.0,
        "{:?}",
        after
            .samples
            .keys()
            .filter(|k| k.contains("denial"))
            .collect::<Vec<_>>()
    );
    assert!(
        moved(
            "petrel_request_errors_total",
            "{front_end=\"grpc\",code=\"FORBIDDEN\"}"
        ) >= 1.0
    );
    assert!(
        moved(
            "petrel_requests_total",
            "{front_end=\"grpc\",operation=\"SendMessage\",code=\"OK\"}"
        ) >= 5.0
    );
    assert!(
        moved(
            "petrel_request_duration_seconds_count",
            "{front_end=\"grpc\",operation=\"AckMessage\"}"
        ) >= 1.0
    );
    // Sends and acks are durable before they are answered: fsyncs were timed.
    assert!(moved("petrel_store_fsync_duration_seconds_count", "") >= 2.0);
    assert!(moved("petrel_store_fsync_duration_seconds_sum", "") > 0.0);
    assert!(moved("petrel_store_group_commit_batch_records_sum", "") >= 10.0);
    assert!(after.get("petrel_store_segments") >= 1.0);
    assert!(after.get("rocketmq_storage_size") >= after.get("petrel_store_segment_bytes"));
}

#[test]
fn a_callers_request_id_is_echoed_and_logged_with_slow_requests() {
    let tmp = tempfile::tempdir().unwrap();
    // Every request counts as slow, so each one logs its line; JSON lines, to read its fields.
    let server = Server::start_in(
        &tmp.path().join("data"),
        &["--slow-request-ms", "0", "--log-format", "json"],
    );
    // The harness cut the address out of a JSON line: keep the HOST:PORT part.
    let addr: String = server
        .http_addr
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
        .collect();
    let url = format!("http://{addr}/");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let call = |id: &'static str| {
        rt.block_on(async {
            let resp = ::reqwest::Client::new()
                .get(&url)
                .header("x-request-id", id)
                .header("x-acs-action", "ListUsers")
                .header("x-acs-version", "2015-05-01")
                .send()
                .await
                .unwrap();
            let header = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
            let body: serde_json::Value = resp.json().await.unwrap();
            (header, body)
        })
    };
    let (header, body) = call("trace-me-123");
    assert_eq!(header, "trace-me-123");
    assert_eq!(body["RequestId"], "trace-me-123");
    assert_eq!(body["Code"], "MissingParameter.Authorization");

    // One warn line with the operation, the id and the timings, inside the request's span.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let line = loop {
        assert!(std::time::Instant::now() < deadline, "no slow-request line");
        let Ok(line) = server
            .log
            .recv_timeout(std::time::Duration::from_millis(200))
        else {
            continue;
        };
        if line.contains("slow request") {
            break line;
        }
    };
    let json: serde_json::Value = serde_json::from_str(line.trim_start_matches("[err] ")).unwrap();
    assert_eq!(json["level"], "WARN", "{json}");
    let fields = &json["fields"];
    assert_eq!(fields["message"], "slow request", "{json}");
    assert_eq!(fields["operation"], "ListUsers", "{json}");
    assert_eq!(fields["request_id"], "trace-me-123", "{json}");
    assert_eq!(fields["code"], "MissingParameter.Authorization", "{json}");
    for timing in ["total_ms", "authn_ms", "authz_and_act_ms"] {
        assert!(fields[timing].is_u64(), "{timing} in {json}");
    }
    assert_eq!(json["span"]["request_id"], "trace-me-123", "{json}");

    // A malformed id is replaced by a fresh one, the same in the header and the body.
    let (fresh, body) = call("bad id with spaces");
    assert_ne!(fresh, "bad id with spaces");
    assert_eq!(fresh.len(), 36, "{fresh}");
    assert_eq!(body["RequestId"], fresh.as_str());
}

/// This host's address on its outward interface (not loopback): the UDP "connect" only picks
/// a route, nothing is sent.
fn outward_ip() -> std::net::IpAddr {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
    socket.connect("203.0.113.1:9").unwrap();
    let ip = socket.local_addr().unwrap().ip();
    assert!(
        !ip.is_loopback(),
        "this host has no non-loopback address: {ip}"
    );
    ip
}

fn status_of(url: &str) -> u16 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async { ::reqwest::get(url).await.unwrap().status().as_u16() })
}

fn serve_on_all_interfaces(data: &std::path::Path, extra: &[&str]) -> Server {
    let mut cmd = std::process::Command::new(common::petrel_bin());
    cmd.arg("serve")
        .arg("--data-dir")
        .arg(data)
        .args(["--http-addr", "0.0.0.0:0", "--grpc-addr", "127.0.0.1:0"])
        .args(["--segment-bytes", "8388608"])
        .args(extra)
        .env_remove("PETREL_CONFIG")
        .env_remove("PETREL_METRICS_ACCESS")
        .env("PETREL_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    Server::spawn(cmd, data)
}

#[test]
fn metrics_are_served_to_local_clients_only_by_default_and_can_be_opened_or_turned_off() {
    let tmp = tempfile::tempdir().unwrap();
    let ip = outward_ip();
    let port_of = |s: &Server| s.http_addr.rsplit(':').next().unwrap().to_owned();

    let server = serve_on_all_interfaces(&tmp.path().join("a"), &[]);
    let port = port_of(&server);
    assert_eq!(status_of(&format!("http://127.0.0.1:{port}/metrics")), 200);
    assert_eq!(status_of(&format!("http://{ip}:{port}/metrics")), 403);
    // The rest of the HTTP port is unaffected.
    assert_eq!(status_of(&format!("http://{ip}:{port}/healthz")), 200);
    drop(server);

    let server = serve_on_all_interfaces(&tmp.path().join("b"), &["--metrics-access", "open"]);
    let port = port_of(&server);
    assert_eq!(status_of(&format!("http://{ip}:{port}/metrics")), 200);
    drop(server);

    let server = serve_on_all_interfaces(&tmp.path().join("c"), &["--metrics-access", "off"]);
    let port = port_of(&server);
    assert_eq!(status_of(&format!("http://127.0.0.1:{port}/metrics")), 404);
}
