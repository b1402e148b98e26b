//! The RocketMQ operations that reach the broker: ListMessages (by key, by id, by time with
//! `scrollId` paging), GetMessageDetail with each group's delivery state, GetConsumerGroupLag
//! with real figures, and ResetConsumeOffset; and their denial for a RAM user without
//! permission.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Answer, Call, Fixture};
use petrel_broker::{
    Broker, BrokerConfig, GroupRef, ReceiveRequest, Store, StoreConfig, TopicRef, TopicSpec,
};
use petrel_openapi::OpenApiConfig;
use serde_json::Value;

struct Env {
    f: Fixture,
    broker: Arc<Broker>,
    iid: String,
    _dir: tempfile::TempDir,
}

async fn roa(f: &Fixture, call: Call) -> Answer {
    f.send(call.signed()).await
}

fn call(
    f: &Fixture,
    action: &str,
    method: &str,
    path: &str,
    query: &str,
    body: Option<&str>,
) -> Call {
    let mut c = f.call().roa(action, method, path, body);
    c.query = query.to_owned();
    c
}

async fn ok(f: &Fixture, c: Call) -> Value {
    let a = roa(f, c).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    a.body["data"].clone()
}

/// A management router with a broker, an activated account, instance `orders`, topic
/// `events` and consumer groups `g1` and `g2`.
async fn env() -> Env {
    let mut f = Fixture::new();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path(), StoreConfig::for_tests()).unwrap());
    let broker = Arc::new(Broker::open(store, BrokerConfig::for_tests()).unwrap());
    f.router = petrel_openapi::router_with(
        f.service.clone(),
        Some(broker.clone()),
        OpenApiConfig::default(),
    );
    f.send(f.call().rpc("2019-02-14", "OpenOnsService", "").signed())
        .await;
    let iid = ok(
        &f,
        call(
            &f,
            "CreateInstance",
            "POST",
            "/instances",
            "",
            Some(r#"{"instanceName":"orders"}"#),
        ),
    )
    .await
    .as_str()
    .unwrap()
    .to_owned();
    ok(
        &f,
        call(
            &f,
            "CreateTopic",
            "POST",
            &format!("/instances/{iid}/topics/events"),
            "",
            Some(r#"{"messageType":"NORMAL"}"#),
        ),
    )
    .await;
    for g in ["g1", "g2"] {
        ok(
            &f,
            call(
                &f,
                "CreateConsumerGroup",
                "POST",
                &format!("/instances/{iid}/consumerGroups/{g}"),
                "",
                Some(r#"{"deliveryOrderType":"Concurrently"}"#),
            ),
        )
        .await;
    }
    Env {
        f,
        broker,
        iid,
        _dir: dir,
    }
}

impl Env {
    fn topic(&self) -> TopicRef {
        let t = self
            .f
            .service
            .catalog()
            .read(|tx| tx.get_topic(&self.f.account, &self.iid, "events"))
            .unwrap();
        TopicRef::new(
            &self.f.account,
            &self.iid,
            "events",
            TopicSpec {
                message_type: t.message_type,
                queue_count: t.queue_count,
            },
        )
        .unwrap()
    }

    fn group(&self, name: &str) -> GroupRef {
        GroupRef::new(&self.f.account, &self.iid, name).unwrap()
    }

    /// Sends through VerifySendMessage; returns the message id.
    async fn send(&self, body: &str, key: &str, tag: &str) -> String {
        let json = format!(r#"{{"message":"{body}","messageKey":"{key}","messageTag":"{tag}"}}"#);
        let data = ok(
            &self.f,
            call(
                &self.f,
                "VerifySendMessage",
                "POST",
                &format!("/instances/{}/topics/events/messages", self.iid),
                "",
                Some(&json),
            ),
        )
        .await;
        data.as_str().unwrap().to_owned()
    }

    async fn list(&self, query: &str) -> Value {
        ok(
            &self.f,
            call(
                &self.f,
                "ListMessages",
                "GET",
                &format!("/instances/{}/topics/events/messages", self.iid),
                query,
                None,
            ),
        )
        .await
    }

    async fn detail(&self, id: &str) -> Answer {
        roa(
            &self.f,
            call(
                &self.f,
                "GetMessageDetail",
                "GET",
                &format!("/instances/{}/topics/events/messages/{id}", self.iid),
                "",
                None,
            ),
        )
        .await
    }

    async fn lag(&self, group: &str) -> Value {
        ok(
            &self.f,
            call(
                &self.f,
                "GetConsumerGroupLag",
                "GET",
                &format!("/instances/{}/consumerGroups/{group}/lag", self.iid),
                "topicName=events",
                None,
            ),
        )
        .await
    }

    fn reset_call(&self, signer: Call, group: &str, body: &str) -> Call {
        signer.roa(
            "ResetConsumeOffset",
            "PATCH",
            &format!(
                "/instances/{}/consumerGroups/{group}/consumeOffsets/events",
                self.iid
            ),
            Some(body),
        )
    }
}

fn states(message: &Value) -> Vec<(String, String)> {
    message["deliveryStates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["consumerGroupId"].as_str().unwrap().to_owned(),
                s["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pair(g: &str, s: &str) -> (String, String) {
    (g.to_owned(), s.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_are_listed_by_key_and_detailed_with_each_groups_delivery_state() {
    let e = env().await;
    let id = e.send("hello", "order-1", "paid").await;
    e.send("other", "order-2", "paid").await;

    let data = e.list("messageKey=order-1").await;
    assert_eq!(data["totalCount"], 1, "{data}");
    let m = &data["list"][0];
    assert_eq!(m["messageId"], id.as_str());
    assert_eq!(m["messageKeys"], serde_json::json!(["order-1"]));
    assert_eq!(m["messageTag"], "paid");
    assert_eq!(m["body"], "hello");
    assert_eq!(m["messageType"], "NORMAL");
    assert!(m["storeTime"].as_str().unwrap().len() == 19, "{m}");
    assert_eq!(
        states(m),
        [pair("g1", "NOT_DELIVERED"), pair("g2", "NOT_DELIVERED")]
    );

    let by_id = e.list(&format!("messageId={id}")).await;
    assert_eq!(by_id["list"][0]["messageId"], id.as_str());

    // g1 receives and acks the first message; g2 holds one delivery.
    let t = e.topic();
    let req = ReceiveRequest::new(32, Duration::from_secs(60), Duration::ZERO);
    let got = e.broker.receive(&e.group("g1"), &t, &req).await.unwrap();
    for d in &got {
        if d.message.message_id == id {
            e.broker
                .ack(&e.group("g1"), &t, &d.receipt_handle)
                .await
                .unwrap();
        }
    }
    let one = ReceiveRequest::new(32, Duration::from_secs(60), Duration::ZERO);
    let held = e.broker.receive(&e.group("g2"), &t, &one).await.unwrap();
    assert_eq!(held.len(), 2);

    let a = e.detail(&id).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    let d = &a.body["data"];
    assert_eq!(d["messageId"], id.as_str());
    assert_eq!(states(d), [pair("g1", "CONSUMED"), pair("g2", "IN_FLIGHT")]);
    assert_eq!(d["deliveryStates"][1]["deliveryAttempt"], 1);

    let missing = e.detail("01NOSUCHMESSAGE").await;
    assert_eq!(
        (missing.status, missing.code()),
        (404, "ResourceNotFound.Message")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_are_listed_by_time_page_by_page_with_a_scroll_id() {
    let e = env().await;
    let mut sent = Vec::new();
    for i in 0..5 {
        sent.push(e.send(&format!("m{i}"), "k", "t").await);
    }
    let mut seen = Vec::new();
    let mut scroll = String::new();
    for round in 0.. {
        let q = if scroll.is_empty() {
            "pageSize=2".to_owned()
        } else {
            format!("pageSize=2&scrollId={scroll}")
        };
        let data = e.list(&q).await;
        for m in data["list"].as_array().unwrap() {
            seen.push(m["messageId"].as_str().unwrap().to_owned());
        }
        match data["scrollId"].as_str() {
            Some(s) => {
                assert!(data["totalCount"].is_null(), "unknown before the last page");
                scroll = s.to_owned();
            }
            None => {
                assert!(data["totalCount"].is_null(), "{data}");
                assert_eq!(round, 2);
                break;
            }
        }
    }
    sent.sort();
    seen.sort();
    assert_eq!(seen, sent);
    let page2 = e.list("pageSize=2&pageNumber=2").await;
    assert_eq!(page2["list"].as_array().unwrap().len(), 2);
    let last = e.list("pageSize=2&pageNumber=3").await;
    assert_eq!(last["list"].as_array().unwrap().len(), 1);
    assert_eq!(
        last["totalCount"], 5,
        "exact once the end is reached from the start"
    );
    let future = e.list("startTime=2999-01-01%2000%3A00%3A00").await;
    assert_eq!(future["list"].as_array().unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lag_is_real_and_reset_consume_offset_moves_it() {
    let e = env().await;
    for i in 0..4 {
        e.send(&format!("m{i}"), "k", "t").await;
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let lag = e.lag("g1").await;
    assert_eq!(lag["totalLag"]["readyCount"], 4, "{lag}");
    assert_eq!(lag["totalLag"]["inflightCount"], 0);
    assert!(
        lag["totalLag"]["deliveryDuration"].as_u64().unwrap() >= 1,
        "{lag}"
    );
    assert!(lag["totalLag"]["lastConsumeTimestamp"].is_null());

    let a = roa(
        &e.f,
        e.reset_call(e.f.call(), "g1", r#"{"resetType":"LATEST_OFFSET"}"#),
    )
    .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert!(a.body["data"].is_null());
    let lag = e.lag("g1").await;
    assert_eq!(lag["totalLag"]["readyCount"], 0, "{lag}");
    assert_eq!(lag["totalLag"]["deliveryDuration"], 0);
    assert_eq!(
        e.lag("g2").await["totalLag"]["readyCount"],
        4,
        "other groups keep theirs"
    );

    let a = roa(
        &e.f,
        e.reset_call(
            e.f.call(),
            "g1",
            r#"{"resetType":"SPECIFIED_TIME","resetTime":"2000-01-01 00:00:00"}"#,
        ),
    )
    .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(e.lag("g1").await["totalLag"]["readyCount"], 4);

    let bad = roa(
        &e.f,
        e.reset_call(e.f.call(), "g1", r#"{"resetType":"YESTERDAY"}"#),
    )
    .await;
    assert_eq!(bad.status, 400, "{:?}", bad.body);
    let no_time = roa(
        &e.f,
        e.reset_call(e.f.call(), "g1", r#"{"resetType":"SPECIFIED_TIME"}"#),
    )
    .await;
    assert_eq!(no_time.status, 400, "{:?}", no_time.body);
    let no_group = roa(
        &e.f,
        e.reset_call(e.f.call(), "nope", r#"{"resetType":"LATEST_OFFSET"}"#),
    )
    .await;
    assert_eq!(no_group.status, 404, "{:?}", no_group.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ram_user_without_permission_is_denied_query_and_reset() {
    let e = env().await;
    let id = e.send("secret", "k", "t").await;
    let f = &e.f;
    let user = f
        .send(
            f.call()
                .rpc("2015-05-01", "CreateUser", "UserName=mallory")
                .signed(),
        )
        .await;
    assert_eq!(user.status, 200, "{:?}", user.body);
    let key = f
        .send(
            f.call()
                .rpc("2015-05-01", "CreateAccessKey", "UserName=mallory")
                .signed(),
        )
        .await;
    let k = &key.body["AccessKey"];
    let signer = || {
        Call::new(
            k["AccessKeyId"].as_str().unwrap(),
            k["AccessKeySecret"].as_str().unwrap(),
        )
    };
    let iid = &e.iid;
    let mut list = signer().roa(
        "ListMessages",
        "GET",
        &format!("/instances/{iid}/topics/events/messages"),
        None,
    );
    list.query = "messageKey=k".to_owned();
    let detail = signer().roa(
        "GetMessageDetail",
        "GET",
        &format!("/instances/{iid}/topics/events/messages/{id}"),
        None,
    );
    let reset = e.reset_call(signer(), "g1", r#"{"resetType":"LATEST_OFFSET"}"#);
    for (c, action) in [
        (list, "rocketmq:ListMessages"),
        (detail, "rocketmq:GetMessageDetail"),
        (reset, "rocketmq:ResetConsumeOffset"),
    ] {
        let a = roa(f, c).await;
        assert_eq!((a.status, a.code()), (403, "NoPermission"), "{:?}", a.body);
        assert!(a.body.to_string().contains(action), "{:?}", a.body);
    }
    // The denied reset changed nothing.
    assert_eq!(e.lag("g1").await["totalLag"]["readyCount"], 1);
}
