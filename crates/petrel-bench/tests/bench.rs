//! `petrel bench` against a real in-process server: every message sent is stored, received and
//! acknowledged and the report agrees with the broker; refusals are counted by code, never
//! hidden, and a wrong secret ends the run promptly. FIFO runs receive every message in order
//! per message group; DELAY runs are never early and report lateness.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod common;

use std::time::Duration;

use common::Server;
use petrel_bench::{BenchError, Credentials, Limit, Report};
use petrel_meta::DeliveryOrder;
use petrel_model::MessageType;

/// No run here may take longer than this (a hang is a failure, not a slow pass).
const TIMEOUT: Duration = Duration::from_secs(60);

async fn bench(config: petrel_bench::BenchConfig) -> Report {
    tokio::time::timeout(TIMEOUT, petrel_bench::run(config))
        .await
        .expect("the bench finishes in time")
        .expect("the bench runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sent_message_is_received_and_acked_and_the_report_agrees() {
    let server = Server::start().await;
    let mut config = server.config(Limit::Count(2000));
    config.producers = 2;
    config.consumers = 1;
    config.batch_size = 8;
    config.inflight = 4;
    config.message_size = 512;
    let report = bench(config).await;

    assert!(report.is_clean(), "{report}");
    assert!(report.errors.is_empty(), "{report}");
    assert_eq!(report.send.sent, 2000, "{report}");
    assert_eq!(report.send.failed, 0);
    // 2000 messages in batches of 8: 250 calls, each timed.
    assert_eq!(report.send.calls, 250);
    let latency = report.send.latency.clone().expect("send latencies");
    assert_eq!(latency.count, 250);
    assert!(latency.p50_ms > 0.0 && latency.p50_ms <= latency.p99_ms);
    assert!(latency.p99_ms <= latency.max_ms);
    assert!(report.send.msgs_per_sec > 0.0 && report.send.mb_per_sec > 0.0);

    let received = report.receive.clone().expect("a consumer ran");
    assert_eq!(received.received, 2000, "{report}");
    assert_eq!(received.acked, 2000, "{report}");
    assert_eq!(received.missing, 0);
    assert!(received.complete);
    assert_eq!(received.duplicates + received.warmup + received.foreign, 0);
    assert_eq!(received.e2e_latency.clone().expect("e2e").count, 2000);

    // The broker agrees: 2000 stored, all consumed by the group, nothing pending.
    let (stored, consumed, ready, inflight) = server.group_stats();
    assert_eq!((stored, consumed, ready, inflight), (2000, 2000, 0, 0));

    // The JSON form is one object with the same counts.
    let json: serde_json::Value = serde_json::to_value(&report).unwrap();
    assert_eq!(json["send"]["sent"], 2000);
    assert_eq!(json["receive"]["received"], 2000);
    assert!(json["send"]["latency"]["p999_ms"].is_number());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_reports_unauthorized_instead_of_hanging() {
    let server = Server::start().await;
    let mut config = server.config(Limit::Duration(Duration::from_secs(30)));
    config.credentials = Credentials {
        access_key_id: server.key.access_key_id.clone(),
        access_key_secret: "not-the-secret".to_owned(),
    };
    config.consumers = 1;
    let started = std::time::Instant::now();
    let report = bench(config).await;

    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the run ends at setup, not after its 30 s"
    );
    let reason = report.aborted.clone().expect("the run is aborted");
    assert!(reason.contains("UNAUTHORIZED"), "{reason}");
    assert!(!report.is_clean());
    let unauthorized = report
        .errors
        .iter()
        .find(|e| e.call == "QueryRoute")
        .expect("QueryRoute's refusal is counted");
    assert_eq!(
        (unauthorized.code.as_str(), unauthorized.number),
        ("UNAUTHORIZED", 40100)
    );
    assert_eq!(report.send.sent, 0);
    assert!(report.to_string().contains("UNAUTHORIZED"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_the_server_refuses_are_counted_per_message_by_code() {
    let server = Server::start().await;
    // May route and consume, not publish.
    let key = server.user_key("reader", &["AliyunMQSubOnlyAccess"]);
    let mut config = server.config(Limit::Count(40));
    config.credentials = key;
    config.batch_size = 4;
    let report = bench(config).await;

    assert!(report.aborted.is_none(), "{report}");
    assert_eq!(report.send.sent, 0);
    assert_eq!(report.send.failed, 40);
    assert_eq!(report.send.calls, 10);
    let refused: u64 = report
        .errors
        .iter()
        .filter(|e| e.call == "SendMessage")
        .map(|e| e.count)
        .sum();
    assert_eq!(refused, 40, "{report}");
    assert!(
        report
            .errors
            .iter()
            .all(|e| e.call != "SendMessage" || e.code == "FORBIDDEN"),
        "{report}"
    );
    assert_eq!(report.error_total, 40);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_run_with_warmup_measures_only_after_the_warmup() {
    let server = Server::start().await;
    let mut config = server.config(Limit::Duration(Duration::from_millis(1500)));
    config.warmup = Duration::from_millis(500);
    config.consumers = 1;
    config.inflight = 2;
    let report = bench(config).await;

    assert!(report.is_clean(), "{report}");
    assert!(
        (1.4..3.0).contains(&report.elapsed_secs),
        "measured {} s",
        report.elapsed_secs
    );
    let received = report.receive.clone().unwrap();
    assert!(report.send.sent > 0);
    assert_eq!(received.received, report.send.sent, "{report}");
    // Warm-up messages were consumed and acked but not counted as measured.
    assert!(received.warmup > 0, "{report}");
    assert_eq!(received.acked, received.received + received.warmup);
    let (stored, consumed, ..) = server.group_stats();
    assert_eq!(stored, report.send.sent + received.warmup);
    assert_eq!(consumed, stored);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_of_the_group_is_acked_but_not_counted_as_this_run() {
    let server = Server::start().await;
    // An earlier run leaves 100 messages nobody consumed.
    let first = bench(server.config(Limit::Count(100))).await;
    assert_eq!(first.send.sent, 100);
    let mut config = server.config(Limit::Count(50));
    config.consumers = 2;
    let report = bench(config).await;
    let received = report.receive.clone().unwrap();
    assert!(report.is_clean(), "{report}");
    assert_eq!(received.received, 50);
    // The consumers stop once this run's 50 arrived; the backlog they met on the way was
    // acked and reported apart.
    assert!((1..=100).contains(&received.foreign), "{report}");
    assert_eq!(received.acked, received.received + received.foreign);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_that_takes_no_normal_messages_aborts_with_a_reason() {
    let server = Server::start().await;
    server.create_topic("t-fifo", MessageType::Fifo);
    let mut config = server.config(Limit::Count(10));
    config.topic = "t-fifo".to_owned();
    let report = bench(config).await;
    let reason = report.aborted.expect("aborted");
    assert!(reason.contains("NORMAL"), "{reason}");

    let mut config = server.config(Limit::Count(10));
    config.topic = "t-missing".to_owned();
    let report = bench(config).await;
    let reason = report.aborted.expect("aborted");
    assert!(reason.contains("QueryRoute"), "{reason}");
    assert!(report.errors.iter().any(|e| e.call == "QueryRoute"));
    server.stop().await;
}

#[tokio::test]
async fn bad_options_and_a_dead_endpoint_are_errors_naming_the_input() {
    let server = Server::start().await;
    let mut config = server.config(Limit::Count(10));
    config.consumers = 1;
    config.group = None;
    let err = petrel_bench::run(config).await.unwrap_err();
    assert!(
        matches!(
            err,
            BenchError::InvalidOption {
                option: "group",
                ..
            }
        ),
        "{err}"
    );

    let mut config = server.config(Limit::Count(10));
    config.message_size = 8;
    let err = petrel_bench::run(config).await.unwrap_err();
    assert!(err.to_string().contains("--message-size"), "{err}");
    server.stop().await;

    // Nothing listens on a port just released.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let config = petrel_bench::BenchConfig::new(
        format!("127.0.0.1:{port}"),
        Credentials {
            access_key_id: "LTAIx".into(),
            access_key_secret: "y".into(),
        },
        "t",
        Limit::Count(1),
    );
    let err = tokio::time::timeout(TIMEOUT, petrel_bench::run(config))
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, BenchError::Connect { .. }), "{err}");
    assert!(err.to_string().contains(&port.to_string()), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paced_run_sends_at_the_target_rate() {
    let server = Server::start().await;
    let mut config = server.config(Limit::Duration(Duration::from_secs(2)));
    config.producers = 2;
    config.inflight = 2;
    config.batch_size = 4;
    config.rate = Some(400.0);
    let report = bench(config).await;
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.rate, Some(400.0));
    // 400 msgs/s for 2 s, in calls of 4 spread over 4 tasks.
    assert!(
        (700..=900).contains(&report.send.sent),
        "sent {} at 400 msgs/s for 2 s",
        report.send.sent
    );
    assert!(
        (350.0..450.0).contains(&report.send.msgs_per_sec),
        "{report}"
    );

    let mut config = server.config(Limit::Count(10));
    config.rate = Some(0.0);
    let err = petrel_bench::run(config).await.unwrap_err();
    assert!(err.to_string().contains("--rate"), "{err}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifo_run_over_16_groups_receives_every_message_in_group_order() {
    let server = Server::start().await;
    server.create_topic("t-fifo", MessageType::Fifo);
    server.create_group("GID_fifo", DeliveryOrder::Orderly);
    let mut config = server.config(Limit::Count(1600));
    config.topic = "t-fifo".to_owned();
    config.group = Some("GID_fifo".to_owned());
    config.message_groups = Some(16);
    config.producers = 2;
    config.inflight = 2;
    config.batch_size = 4;
    config.consumers = 2;
    config.message_size = 256;
    let report = bench(config).await;

    assert!(report.is_clean(), "{report}");
    assert_eq!(report.message_type, "FIFO");
    assert_eq!(report.message_groups, Some(16));
    assert_eq!(report.send.sent, 1600, "{report}");
    let received = report.receive.clone().expect("consumers ran");
    assert_eq!(received.received, 1600, "{report}");
    assert_eq!(received.missing, 0);
    assert_eq!(received.duplicates, 0, "{report}");
    let fifo = received.fifo.clone().expect("a FIFO report");
    assert_eq!(fifo.order_violations, 0, "{report}");
    assert_eq!(fifo.message_groups, 16);
    assert_eq!(fifo.groups_received, 16, "{report}");
    assert!(
        report.to_string().contains("0 violations in 16 of 16"),
        "{report}"
    );

    let json: serde_json::Value = serde_json::to_value(&report).unwrap();
    assert_eq!(json["message_type"], "FIFO");
    assert_eq!(json["receive"]["fifo"]["order_violations"], 0);
    assert_eq!(json["receive"]["fifo"]["groups_received"], 16);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delay_run_is_never_early_and_reports_lateness() {
    let server = Server::start().await;
    server.create_topic("t-delay", MessageType::Delay);
    let mut config = server.config(Limit::Count(300));
    config.topic = "t-delay".to_owned();
    config.delay = Some(Duration::from_millis(1000));
    config.inflight = 2;
    config.batch_size = 2;
    config.consumers = 1;
    config.message_size = 256;
    let report = bench(config).await;

    assert!(report.is_clean(), "{report}");
    assert_eq!(report.message_type, "DELAY");
    assert_eq!(report.delay_ms, Some(1000.0));
    assert_eq!(report.send.sent, 300, "{report}");
    let received = report.receive.clone().expect("a consumer ran");
    assert_eq!(received.received, 300, "{report}");
    let delay = received.delay.clone().expect("a DELAY report");
    assert_eq!(delay.early, 0, "{report}");
    let lateness = delay.lateness.clone().expect("lateness figures");
    assert_eq!(lateness.count, 300);
    assert!(lateness.p50_ms <= lateness.p99_ms && lateness.p99_ms <= lateness.max_ms);
    // Sent to received spans the whole delay.
    let e2e = received.e2e_latency.clone().unwrap();
    assert!(e2e.p50_ms >= 1000.0 - 1.0, "{report}");
    assert!(report.to_string().contains("lateness"), "{report}");

    let json: serde_json::Value = serde_json::to_value(&report).unwrap();
    assert_eq!(json["receive"]["delay"]["early"], 0);
    assert!(json["receive"]["delay"]["lateness"]["p99_ms"].is_number());
    server.stop().await;
}

#[tokio::test]
async fn fifo_and_delay_options_that_cannot_work_are_refused_naming_the_flag() {
    let server = Server::start().await;
    // More sending tasks than groups: a group would be sent from two tasks, with no order.
    let mut config = server.config(Limit::Count(10));
    config.producers = 2;
    config.inflight = 4;
    config.message_groups = Some(4);
    let err = petrel_bench::run(config).await.unwrap_err();
    assert!(
        matches!(
            err,
            BenchError::InvalidOption {
                option: "message-groups",
                ..
            }
        ),
        "{err}"
    );

    let mut config = server.config(Limit::Count(10));
    config.message_groups = Some(8);
    config.delay = Some(Duration::from_secs(1));
    let err = petrel_bench::run(config).await.unwrap_err();
    assert!(err.to_string().contains("--delay-ms"), "{err}");

    // FIFO messages to the NORMAL topic: the run stops at setup and says why.
    let mut config = server.config(Limit::Count(10));
    config.message_groups = Some(8);
    let report = bench(config).await;
    let reason = report.aborted.expect("aborted");
    assert!(reason.contains("FIFO"), "{reason}");
    server.stop().await;
}
