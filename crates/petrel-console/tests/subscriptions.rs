//! The consumer group page lists the group's subscriptions as its clients reported them to the
//! broker: topic, online or offline, filter, consistency and each client.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod common;

use axum::http::StatusCode;
use common::env;
use petrel_broker::{ClientInfo, FilterSpec};

const GROUP_PAGE: &str = "/console/instances/shop/groups/GID_billing";

fn client(id: &str) -> ClientInfo {
    ClientInfo {
        client_id: id.to_owned(),
        host: "10.0.0.7".to_owned(),
        language: "PYTHON".to_owned(),
        version: "5.1.2".to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_group_page_lists_subscriptions_and_their_clients() {
    let env = env().await;
    let root = env.sign_in(&env.root_login, &env.root_password).await;
    let (status, page) = env.get(&root, GROUP_PAGE).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("No client of this group has subscribed"),
        "{page}"
    );

    let filter = FilterSpec {
        kind: "TAG".to_owned(),
        expression: "paid || refunded".to_owned(),
    };
    env.broker.subscriptions().report(
        &env.account,
        "shop",
        "GID_billing",
        client("c-1"),
        vec![("orders".to_owned(), filter)],
    );
    let (_, page) = env.get(&root, GROUP_PAGE).await;
    assert!(page.contains(r#"data-topic="orders""#), "{page}");
    assert!(page.contains("TAG paid || refunded"), "{page}");
    assert!(page.contains("c-1 (10.0.0.7, PYTHON 5.1.2)"), "{page}");
    assert!(
        page.contains(r#"data-testid="sub-status">Online<"#),
        "{page}"
    );

    env.broker.subscriptions().client_gone(&env.account, "c-1");
    let (_, page) = env.get(&root, GROUP_PAGE).await;
    assert!(
        page.contains(r#"data-testid="sub-status">Offline<"#),
        "{page}"
    );
}
