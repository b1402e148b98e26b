//! The instance dashboard against a real in-process service and broker: each view samples, the
//! send rate and the waiting messages follow what was sent, and a user who may see the instance
//! but not a group's lag gets the charts without that group, and is told why.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::{Env, env, root};
use petrel_broker::OutgoingMessage;
use petrel_meta::NewUser;

const PAGE: &str = "/console/instances/shop/dashboard";

async fn send(env: &Env, from: u32, n: u32) {
    for i in from..from + n {
        env.broker
            .send(
                &env.topic(),
                vec![OutgoingMessage::new(format!("01{i:032X}"), "x")],
            )
            .await
            .unwrap();
    }
}

/// The `data-…` attribute `name` of the element starting at `marker`.
fn attr(page: &str, marker: &str, name: &str) -> String {
    let at = page
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {page}"));
    let rest = &page[at..];
    let key = format!(r#"{name}=""#);
    let v = rest.find(&key).unwrap() + key.len();
    rest[v..].split('"').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn views_sample_and_the_charts_follow_what_was_sent() {
    let env = env().await;
    let root = env.sign_in(&env.root_login, &env.root_password).await;
    let (status, first) = env.get(&root, PAGE).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first.matches("<svg class=\"chart\"").count(), 4);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    send(&env, 0, 6).await;
    // Views sample at most once a second and the background task samples on its own schedule,
    // so on a loaded machine the rise can land in a later pair of samples: look again, a
    // second apart, until it shows (or give up after 15 s).
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let page = loop {
        env.get(&root, PAGE).await;
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let (_, page) = env.get(&root, PAGE).await;
        let samples: usize = page
            .split(r#"data-testid="samples">"#)
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let sent_max: f64 = attr(&page, r#"data-chart="sent""#, "data-max")
            .parse()
            .unwrap();
        if samples >= 3 && sent_max > 0.0 {
            break page;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "six messages sent, yet after 15 s the chart shows {samples} samples and a peak of {sent_max}/s: {page}"
        );
    };
    assert_eq!(
        attr(&page, r#"data-series="GID_billing / orders""#, "data-last"),
        "6",
        "six messages wait for the group"
    );
    assert!(page.contains("<polyline"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_without_lag_permission_sees_the_charts_without_the_group_and_why() {
    let env = env().await;
    let r = root(&env.account);
    env.service
        .create_user(
            &r,
            NewUser {
                name: "watcher".to_owned(),
                ..NewUser::default()
            },
        )
        .unwrap();
    env.service
        .create_login_profile(&r, "watcher", "Watcher-Passw0rd!", false)
        .unwrap();
    env.service
        .create_policy(
            &r,
            "instance-watcher",
            "",
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["rocketmq:GetInstance","rocketmq:ListTopics","rocketmq:ListConsumerGroups"],"Resource":"*"}]}"#,
        )
        .unwrap();
    env.service
        .attach(
            &r,
            &petrel_service::AttachRequest {
                principals: vec![petrel_meta::Principal::User("watcher".to_owned())],
                policies: vec![petrel_meta::PolicyRef::custom("instance-watcher")],
                scope: petrel_meta::Scope::Account,
                confirm_high_risk: false,
            },
        )
        .unwrap();
    let watcher = env
        .sign_in(&format!("watcher@{}", env.alias), "Watcher-Passw0rd!")
        .await;
    let (status, page) = env.get(&watcher, PAGE).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("GID_billing: "), "{page}");
    assert!(page.contains("rocketmq:GetConsumerGroupLag"), "{page}");
    assert!(!page.contains("data-series=\"GID_billing"), "{page}");
    assert!(page.contains(r#"data-chart="sent""#), "{page}");
}
