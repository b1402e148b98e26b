//! Message query pages against a real in-process service and broker: a time-range query pages
//! twenty at a time, oldest first, saying whether more follow; a key query shows only the
//! newest 64 and says that more exist; and a user without `rocketmq:ListMessages` is refused
//! with the reason.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod common;

use axum::http::StatusCode;
use common::{Env, env, root};
use petrel_broker::OutgoingMessage;
use petrel_meta::NewUser;

async fn send(env: &Env, n: usize, key: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let mut m = OutgoingMessage::new(format!("01{key:0>8}{i:024X}"), format!("body {i}"));
        m.keys = vec![key.to_owned()];
        let r = env.broker.send(&env.topic(), vec![m]).await.unwrap();
        ids.push(r[0].message_id.clone());
    }
    ids
}

fn rows(page: &str) -> Vec<String> {
    page.split(r#"<tr data-message=""#)
        .skip(1)
        .map(|p| p.split('"').next().unwrap().to_owned())
        .collect()
}

fn next_link(page: &str) -> Option<String> {
    let at = page.find(r#"data-testid="next-page""#)?;
    let before = &page[..at];
    let href = before.rsplit("href=\"").next()?;
    // Undo the HTML escaping of `&` as a browser would.
    Some(
        href.split('"')
            .next()?
            .replace("&amp;", "&")
            .replace("&#38;", "&"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_time_range_query_pages_oldest_first_and_says_when_it_is_the_last_page() {
    let env = env().await;
    let ids = send(&env, 25, "batch").await;
    let root = env.sign_in(&env.root_login, &env.root_password).await;

    let (status, first) = env
        .get(
            &root,
            "/console/instances/shop/messages?by=time&run=1&topic=orders",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(rows(&first), ids[..20].to_vec(), "the oldest twenty first");
    assert!(first.contains("more follow on the next page"), "{first}");
    let next = next_link(&first).expect("a next-page link");

    let (status, second) = env.get(&root, &next).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(rows(&second), ids[20..].to_vec(), "{next}\n{second}");
    assert!(second.contains("this is the last page"), "{second}");
    assert!(next_link(&second).is_none());

    // A range that ends before the messages were stored finds none.
    let (_, empty) = env
        .get(
            &root,
            "/console/instances/shop/messages?by=time&run=1&topic=orders&start=2020-01-01T00:00&end=2020-01-02T00:00",
        )
        .await;
    assert!(rows(&empty).is_empty());
    assert!(
        empty.contains("0 message(s) stored from 2020-01-01 00:00:00.000 UTC"),
        "{empty}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_query_shows_the_newest_64_and_says_that_more_exist() {
    let env = env().await;
    let ids = send(&env, 70, "busykey").await;
    let root = env.sign_in(&env.root_login, &env.root_password).await;
    let (status, page) = env
        .get(
            &root,
            "/console/instances/shop/messages?by=key&topic=orders&key=busykey",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let shown = rows(&page);
    assert_eq!(shown.len(), 64);
    let newest: Vec<String> = ids.iter().rev().take(64).cloned().collect();
    assert_eq!(shown, newest, "newest first");
    assert!(
        page.contains("Showing the newest 64 messages with key busykey"),
        "{page}"
    );
    assert!(page.contains("More exist"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_without_list_messages_is_refused_with_the_reason() {
    let env = env().await;
    send(&env, 1, "k").await;
    let r = root(&env.account);
    env.service
        .create_user(
            &r,
            NewUser {
                name: "nosy".to_owned(),
                ..NewUser::default()
            },
        )
        .unwrap();
    env.service
        .create_login_profile(&r, "nosy", "Nosy-Passw0rd!", false)
        .unwrap();
    env.service
        .create_policy(
            &r,
            "instance-reader",
            "",
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["rocketmq:GetInstance","rocketmq:ListTopics"],"Resource":"*"}]}"#,
        )
        .unwrap();
    env.service
        .attach(
            &r,
            &petrel_service::AttachRequest {
                principals: vec![petrel_meta::Principal::User("nosy".to_owned())],
                policies: vec![petrel_meta::PolicyRef::custom("instance-reader")],
                scope: petrel_meta::Scope::Account,
                confirm_high_risk: false,
            },
        )
        .unwrap();
    let nosy = env
        .sign_in(&format!("nosy@{}", env.alias), "Nosy-Passw0rd!")
        .await;
    // The form itself is allowed (instance and topics may be listed)…
    let (status, form) = env
        .get(&nosy, "/console/instances/shop/messages?by=key")
        .await;
    assert_eq!(status, StatusCode::OK, "{form}");
    // …the query is not.
    let (status, page) = env
        .get(
            &nosy,
            "/console/instances/shop/messages?by=key&topic=orders&key=k",
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    assert!(page.contains("NoPermission"), "{page}");
    assert!(page.contains("rocketmq:ListMessages"), "{page}");
    assert!(page.contains("<h1>Access denied</h1>"), "{page}");

    // The same refusal in Chinese, with the code and the reason unchanged.
    let zh = common::Browser {
        cookie: format!("{}; petrel_lang=zh", nosy.cookie),
        csrf: nosy.csrf.clone(),
    };
    let (status, page) = env
        .get(
            &zh,
            "/console/instances/shop/messages?by=key&topic=orders&key=k",
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    assert!(page.contains("<h1>无权访问</h1>"), "{page}");
    assert!(page.contains(r#"<html lang="zh">"#), "{page}");
    assert!(page.contains("rocketmq:ListMessages"), "{page}");
}
