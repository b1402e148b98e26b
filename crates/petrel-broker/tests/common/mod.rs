//! Helpers shared by the integration tests: a store plus broker in a temporary directory,
//! reopening them (cleanly or after a simulated crash), and short constructors.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use petrel_broker::{
    Broker, BrokerConfig, DEFAULT_MAX_ATTEMPTS, Delivered, GroupRef, MessageType, OutgoingMessage,
    ReceiveRequest, RetryPolicy, TopicRef, TopicSpec,
};
use petrel_store::{Store, StoreConfig};

pub const ACCOUNT: &str = "1000000000000001";
pub const OTHER_ACCOUNT: &str = "1000000000000002";
pub const INSTANCE: &str = "orders";

pub fn store_config() -> StoreConfig {
    StoreConfig {
        checkpoint_interval: Duration::from_millis(200),
        ..StoreConfig::for_tests()
    }
}

/// A store and a broker over it in a temporary directory.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub store: Arc<Store>,
    pub broker: Arc<Broker>,
    pub config: BrokerConfig,
}

impl Env {
    pub fn new() -> Env {
        Env::with_config(BrokerConfig::for_tests())
    }

    pub fn with_config(config: BrokerConfig) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let (store, broker) = open(dir.path(), &config);
        Env {
            dir,
            store,
            broker,
            config,
        }
    }

    /// Closes broker and store cleanly and opens both again.
    pub async fn restart(self) -> Env {
        let Env {
            dir,
            store,
            broker,
            config,
        } = self;
        broker.close().await.unwrap();
        drop(Arc::try_unwrap(broker).expect("no other broker handle"));
        Arc::try_unwrap(store)
            .expect("the broker must release the store")
            .close()
            .unwrap();
        let (store, broker) = open(dir.path(), &config);
        Env {
            dir,
            store,
            broker,
            config,
        }
    }

    /// Stops broker and store the way a crash would (no final snapshot, no final flush or
    /// checkpoint) and opens both again.
    pub async fn crash(self) -> Env {
        self.crash_for(Duration::ZERO).await
    }

    /// Like [`Env::crash`], staying down for `downtime` before opening again.
    pub async fn crash_for(self, downtime: Duration) -> Env {
        let Env {
            dir,
            store,
            broker,
            config,
        } = self;
        Arc::try_unwrap(broker)
            .expect("no other broker handle")
            .abandon()
            .await;
        Arc::try_unwrap(store)
            .expect("the broker must release the store")
            .abandon();
        tokio::time::sleep(downtime).await;
        let (store, broker) = open(dir.path(), &config);
        Env {
            dir,
            store,
            broker,
            config,
        }
    }
}

pub fn open(dir: &Path, config: &BrokerConfig) -> (Arc<Store>, Arc<Broker>) {
    let store = Arc::new(Store::open(dir, store_config()).unwrap());
    let broker = Broker::open(Arc::clone(&store), config.clone()).unwrap();
    (store, Arc::new(broker))
}

pub fn spec(queue_count: u32) -> TopicSpec {
    TopicSpec {
        message_type: MessageType::Normal,
        queue_count,
    }
}

/// A NORMAL topic with 4 queues in the default account and instance.
pub fn topic(name: &str) -> TopicRef {
    TopicRef::new(ACCOUNT, INSTANCE, name, spec(4)).unwrap()
}

pub fn group(name: &str) -> GroupRef {
    GroupRef::new(ACCOUNT, INSTANCE, name).unwrap()
}

pub fn msg(id: &str, body: &str) -> OutgoingMessage {
    OutgoingMessage::new(id, body.as_bytes().to_vec())
}

/// A receive of all messages whose deliveries are retried as soon as their invisible time
/// ends (no backoff; the retry tests set their own policies).
pub fn req(batch: u32, invisible_ms: u64, poll_ms: u64) -> ReceiveRequest {
    ReceiveRequest {
        retry: RetryPolicy::immediate(DEFAULT_MAX_ATTEMPTS),
        ..ReceiveRequest::new(
            batch,
            Duration::from_millis(invisible_ms),
            Duration::from_millis(poll_ms),
        )
    }
}

/// Receives until nothing is ready (no long polling), with the given invisible duration.
pub async fn drain(
    broker: &Broker,
    group: &GroupRef,
    topic: &TopicRef,
    invisible_ms: u64,
) -> Vec<Delivered> {
    let mut all = Vec::new();
    loop {
        let got = broker
            .receive(group, topic, &req(32, invisible_ms, 0))
            .await
            .unwrap();
        if got.is_empty() {
            return all;
        }
        all.extend(got);
    }
}

/// Message ids of deliveries, sorted.
pub fn ids(delivered: &[Delivered]) -> Vec<String> {
    let mut v: Vec<String> = delivered
        .iter()
        .map(|d| d.message.message_id.clone())
        .collect();
    v.sort();
    v
}

/// Sends `n` messages `{prefix}-{i}` one by one.
pub async fn send_n(broker: &Broker, topic: &TopicRef, prefix: &str, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..n {
        let id = format!("{prefix}-{i:04}");
        broker
            .send(topic, vec![msg(&id, &format!("body of {id}"))])
            .await
            .unwrap();
        out.push(id);
    }
    out.sort();
    out
}

/// A topic of type `t` with `queues` queues in the default account and instance.
pub fn typed_topic(name: &str, t: MessageType, queues: u32) -> TopicRef {
    let spec = TopicSpec {
        message_type: t,
        queue_count: queues,
    };
    TopicRef::new(ACCOUNT, INSTANCE, name, spec).unwrap()
}

/// A FIFO message of `group`.
pub fn fifo_msg(id: &str, group: &str) -> OutgoingMessage {
    let mut m = msg(id, &format!("body of {id}"));
    m.message_type = MessageType::Fifo;
    m.message_group = Some(group.to_string());
    m
}

/// A DELAY message due at `at_ms` (ms since the epoch).
pub fn delay_msg(id: &str, at_ms: i64) -> OutgoingMessage {
    let mut m = msg(id, &format!("body of {id}"));
    m.message_type = MessageType::Delay;
    m.delivery_timestamp_ms = Some(at_ms);
    m
}

/// Wall-clock now in ms since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}
