//! SQL92 filters evaluated by the broker on user properties (and `TAGS`): matching messages
//! are delivered, the rest count as consumed by the group, and malformed expressions are
//! refused with a reason.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions are test code too"
)]

mod common;

use common::{Env, group, msg, req, topic};
use petrel_broker::{Filter, ReceiveRequest, code};

#[tokio::test]
async fn sql_filters_select_by_user_properties() {
    let env = Env::new();
    let t = topic("sql");
    let specs = [
        ("eu-5", "eu", "5", Some("A")),
        ("eu-50", "eu", "50", Some("B")),
        ("us-7", "us", "7", None),
        ("none", "", "", None),
    ];
    for (id, region, n, tag) in specs {
        let mut m = msg(id, "x");
        if !region.is_empty() {
            m.user_properties = vec![("region".into(), region.into()), ("n".into(), n.into())];
        }
        m.tag = tag.map(str::to_string);
        env.broker.send(&t, vec![m]).await.unwrap();
    }
    let receive = |expr: &str, g: &str| {
        let (broker, t, g) = (env.broker.clone(), t.clone(), group(g));
        let filter = Filter::sql(expr).unwrap();
        async move {
            let r = ReceiveRequest {
                filter,
                ..req(32, 60_000, 0)
            };
            let mut ids: Vec<String> = broker
                .receive(&g, &t, &r)
                .await
                .unwrap()
                .into_iter()
                .map(|d| d.message.message_id)
                .collect();
            ids.sort();
            ids
        }
    };
    assert_eq!(
        receive("region = 'eu' AND n BETWEEN 1 AND 10", "g1").await,
        vec!["eu-5"]
    );
    assert_eq!(receive("n > 6", "g2").await, vec!["eu-50", "us-7"]);
    assert_eq!(receive("region IS NULL", "g3").await, vec!["none"]);
    assert_eq!(
        receive("TAGS IN ('A', 'B') OR region LIKE 'u%'", "g4").await,
        vec!["eu-5", "eu-50", "us-7"]
    );
    assert_eq!(receive("NOT (region = 'eu')", "g5").await, vec!["us-7"]);
    // What a group's filter rejected is consumed for it.
    let s = env.broker.group_topic_stats(&group("g1"), &t).unwrap();
    assert_eq!((s.ready, s.inflight), (0, 1));
}

#[test]
fn malformed_sql_is_refused_naming_the_problem() {
    for (expr, want) in [
        ("region = ", "expected a property name or a value"),
        ("region == 'x'", "expected a property name or a value"),
        ("a IN 1", "expected `(` after IN"),
        ("a > 'x'", "compare numbers only"),
        ("(a = 1", "expected `)`"),
    ] {
        let e = Filter::sql(expr).unwrap_err();
        assert_eq!(e.rocketmq_code(), code::ILLEGAL_FILTER_EXPRESSION);
        let text = e.to_string();
        assert!(text.contains(want), "{expr}: {text}");
        assert!(text.contains("at character"), "{expr}: {text}");
    }
}
