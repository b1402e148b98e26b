//! The consumer group page's figures against a real in-process service and broker: ready and
//! in-flight counts as deliveries happen, a reset to a time that re-delivers what was stored
//! from then on, and "unavailable" (never zero) when the process runs no broker.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::{Env, env};
use petrel_broker::{OutgoingMessage, ReceiveRequest};

const PAGE: &str = "/console/instances/shop/groups/GID_billing";

fn cell(page: &str, testid: &str) -> String {
    let row = page
        .split(r#"data-lag="GID_billing/orders""#)
        .nth(1)
        .expect("the lag row");
    let marker = format!(r#"data-testid="{testid}">"#);
    let at = row.find(&marker).expect(testid) + marker.len();
    row[at..].split('<').next().unwrap().trim().to_owned()
}

async fn send(env: &Env, i: u32) {
    env.broker
        .send(
            &env.topic(),
            vec![OutgoingMessage::new(format!("01{i:032X}"), format!("m{i}"))],
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lag_counts_follow_deliveries_and_a_reset_to_a_time_redelivers_from_then() {
    let env = env().await;
    for i in 0..2 {
        send(&env, i).await;
    }
    // Store times are whole milliseconds: leave a clear gap before the later messages.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let cut = time::OffsetDateTime::now_utc();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for i in 2..5 {
        send(&env, i).await;
    }
    let root = env.sign_in(&env.root_login, &env.root_password).await;
    let (status, page) = env.get(&root, PAGE).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(cell(&page, "ready"), "5");
    assert_eq!(cell(&page, "inflight"), "0");
    assert!(
        cell(&page, "lag-time").ends_with(" s"),
        "{}",
        cell(&page, "lag-time")
    );

    let request = ReceiveRequest::new(2, Duration::from_secs(60), Duration::from_secs(1));
    let got = env
        .broker
        .receive(&env.group(), &env.topic(), &request)
        .await
        .unwrap();
    assert_eq!(got.len(), 2);
    env.broker
        .ack(&env.group(), &env.topic(), &got[0].receipt_handle)
        .await
        .unwrap();
    let (_, page) = env.get(&root, PAGE).await;
    assert_eq!(cell(&page, "ready"), "3");
    assert_eq!(cell(&page, "inflight"), "1");

    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let at = cut.format(format).unwrap();
    let (status, page) = env
        .post(
            &root,
            &format!("{PAGE}/reset"),
            &[
                ("csrf", &root.csrf),
                ("topic", "orders"),
                ("target", "time"),
                ("time", &at),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("reset to the first message stored at or after"),
        "{page}"
    );
    assert!(page.contains("queue 0 → 2"), "{page}");
    assert_eq!(
        cell(&page, "ready"),
        "3",
        "the three later messages wait again"
    );
    assert_eq!(
        cell(&page, "inflight"),
        "0",
        "deliveries before the reset are stale"
    );

    // A malformed time is refused with the field named, and nothing moves.
    let (status, page) = env
        .post(
            &root,
            &format!("{PAGE}/reset"),
            &[
                ("csrf", &root.csrf),
                ("topic", "orders"),
                ("target", "time"),
                ("time", "soon"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("InvalidParameter.time"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_broker_lag_is_unavailable_with_the_reason_never_zero() {
    let mut env = env().await;
    env.router = petrel_console::router(env.service.clone(), None);
    let root = env.sign_in(&env.root_login, &env.root_password).await;
    let (status, page) = env.get(&root, PAGE).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(cell(&page, "ready"), "unavailable");
    assert_eq!(cell(&page, "inflight"), "unavailable");
    assert!(
        page.contains("the broker is not running in this process"),
        "{page}"
    );
    assert!(!page.contains(r#"data-testid="ready">0<"#), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_created_with_a_fixed_retry_interval_shows_its_policy() {
    let env = env().await;
    let root = env.sign_in(&env.root_login, &env.root_password).await;
    let (status, page) = env
        .post(
            &root,
            "/console/instances/shop/groups",
            &[
                ("csrf", &root.csrf),
                ("group_id", "GID_fixed"),
                ("delivery_order", "Orderly"),
                ("max_retry_times", "3"),
                ("retry_interval", "5"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let (status, page) = env
        .get(&root, "/console/instances/shop/groups/GID_fixed")
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("up to 3 retries, every 5 s; then to the dead-letter queue"),
        "{page}"
    );
    assert!(
        page.contains(r#"data-testid="delivery-order">Orderly<"#),
        "{page}"
    );

    let (status, page) = env
        .post(
            &root,
            "/console/instances/shop/groups",
            &[
                ("csrf", &root.csrf),
                ("group_id", "GID_bad"),
                ("retry_interval", "often"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("InvalidParameter.retry_interval"), "{page}");
}
