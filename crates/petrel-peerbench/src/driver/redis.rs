//! Redis streams with the `redis` crate: one stream key per topic with one consumer group
//! that every consumer client joins (XREADGROUP, XACK), like a RocketMQ group. Producers
//! XADD over a multiplexed connection, so their in-flight sends pipeline on it.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Value};
use tokio::sync::watch;

use crate::PeerError;
use crate::load::Tally;
use crate::workload::topic_name;

/// The consumer group on every stream.
const GROUP: &str = "bench";
/// The field that holds the body.
const FIELD: &str = "d";
/// Entries asked for per stream per read.
const COUNT: usize = 32;
/// Keys per XREADGROUP when a consumer owns many streams.
const KEYS_PER_READ: usize = 100;
/// How long a read of one group of keys blocks for new entries.
const BLOCK_MS: u64 = 100;

/// A running Redis server.
#[derive(Debug)]
pub struct RedisDriver {
    client: redis::Client,
    topics: usize,
}

/// A producer: its own (multiplexed) connection.
#[derive(Clone)]
pub struct RedisProducer {
    con: MultiplexedConnection,
    keys: Arc<[String]>,
}

/// A consumer: its own connection, its name in the group and the keys it owns.
pub struct RedisConsumer {
    con: MultiplexedConnection,
    name: String,
    keys: Vec<String>,
}

fn config() -> AsyncConnectionConfig {
    // The crate's default answer timeout (500 ms) is shorter than an fsync-per-write server
    // under load may need; a slow answer is a figure to report, not a failure.
    AsyncConnectionConfig::new().set_response_timeout(Some(Duration::from_secs(30)))
}

impl RedisDriver {
    /// A driver for the server at `addr`.
    pub fn new(addr: &str) -> Result<RedisDriver, PeerError> {
        let client =
            redis::Client::open(format!("redis://{addr}/")).map_err(|e| PeerError::Connect {
                system: "redis".to_owned(),
                reason: e.to_string(),
            })?;
        Ok(RedisDriver { client, topics: 0 })
    }

    async fn connect(&self) -> Result<MultiplexedConnection, String> {
        self.client
            .get_multiplexed_async_connection_with_config(&config())
            .await
            .map_err(|e| e.to_string())
    }

    /// Creates each stream with its consumer group.
    pub async fn setup(&mut self, topics: usize) -> Result<(), PeerError> {
        let mut con = self.connect().await.map_err(|e| PeerError::Connect {
            system: "redis".to_owned(),
            reason: e,
        })?;
        for chunk in (0..topics).collect::<Vec<_>>().chunks(1000) {
            let mut pipe = redis::pipe();
            for &i in chunk {
                pipe.cmd("XGROUP")
                    .arg("CREATE")
                    .arg(topic_name(i))
                    .arg(GROUP)
                    .arg("$")
                    .arg("MKSTREAM")
                    .ignore();
            }
            pipe.query_async::<()>(&mut con)
                .await
                .map_err(|e| PeerError::Setup {
                    system: "redis".to_owned(),
                    what: format!("{} streams", chunk.len()),
                    reason: e.to_string(),
                })?;
        }
        self.topics = topics;
        Ok(())
    }

    /// A producer with its own connection.
    pub async fn producer(&self) -> Result<RedisProducer, String> {
        Ok(RedisProducer {
            con: self.connect().await?,
            keys: (0..self.topics).map(topic_name).collect(),
        })
    }

    /// Consumer `index` of the group, owning `topics`.
    pub async fn consumer(
        &self,
        index: usize,
        topics: Vec<usize>,
    ) -> Result<RedisConsumer, String> {
        Ok(RedisConsumer {
            con: self.connect().await?,
            name: format!("c{index}"),
            keys: topics.into_iter().map(topic_name).collect(),
        })
    }
}

impl RedisProducer {
    /// XADD to `topic`'s stream; Ok once Redis answered with the entry id.
    pub async fn send(&self, topic: usize, body: Bytes) -> Result<(), String> {
        let key = self
            .keys
            .get(topic)
            .ok_or_else(|| format!("no topic {topic}"))?;
        redis::cmd("XADD")
            .arg(key)
            .arg("*")
            .arg(FIELD)
            .arg(body.as_ref())
            .query_async::<Value>(&mut self.con.clone())
            .await
            .map(|_| ())
            .map_err(|e| format!("{:?}", e.kind()))
    }
}

/// One stream's entries in an XREADGROUP answer: the key, then each entry's id and body.
type KeyEntries = (Vec<u8>, Vec<(Vec<u8>, Option<Vec<u8>>)>);

/// The entries of an XREADGROUP answer, per key.
fn entries(reply: Value) -> Vec<KeyEntries> {
    let rows = match reply {
        Value::Array(rows) => rows
            .into_iter()
            .filter_map(|r| match r {
                Value::Array(mut kv) if kv.len() == 2 => {
                    let items = kv.pop();
                    let key = kv.pop();
                    Some((key?, items?))
                }
                _ => None,
            })
            .collect::<Vec<_>>(),
        Value::Map(rows) => rows,
        _ => Vec::new(),
    };
    rows.into_iter()
        .filter_map(|(key, items)| {
            let Value::BulkString(key) = key else {
                return None;
            };
            let Value::Array(items) = items else {
                return None;
            };
            let found = items
                .into_iter()
                .filter_map(|item| {
                    let Value::Array(mut pair) = item else {
                        return None;
                    };
                    if pair.len() < 2 {
                        return None;
                    }
                    let fields = pair.swap_remove(1);
                    let Value::BulkString(id) = pair.swap_remove(0) else {
                        return None;
                    };
                    let body = match fields {
                        Value::Array(mut fv) if fv.len() >= 2 => match fv.swap_remove(1) {
                            Value::BulkString(b) => Some(b),
                            _ => None,
                        },
                        _ => None,
                    };
                    Some((id, body))
                })
                .collect();
            Some((key, found))
        })
        .collect()
}

impl RedisConsumer {
    /// Reads and acks until `stop`: one blocking read for a few keys, sweeps of non-blocking
    /// reads over groups of keys for many.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>, mut tally: Tally) -> Tally {
        let chunks: Vec<Vec<String>> = self
            .keys
            .chunks(KEYS_PER_READ)
            .map(<[String]>::to_vec)
            .collect();
        let block = chunks.len() <= 1;
        let mut at = 0usize;
        let mut empty_sweep = true;
        loop {
            if *stop.borrow() {
                break;
            }
            let Some(keys) = chunks.get(at % chunks.len().max(1)) else {
                break;
            };
            at += 1;
            let mut cmd = redis::cmd("XREADGROUP");
            cmd.arg("GROUP")
                .arg(GROUP)
                .arg(&self.name)
                .arg("COUNT")
                .arg(COUNT);
            if block {
                cmd.arg("BLOCK").arg(BLOCK_MS);
            }
            cmd.arg("STREAMS").arg(keys);
            for _ in keys {
                cmd.arg(">");
            }
            let reply = tokio::select! {
                biased;
                _ = stop.wait_for(|s| *s) => break,
                r = cmd.query_async::<Value>(&mut self.con) => r,
            };
            match reply {
                Ok(reply) => {
                    let mut pipe = redis::pipe();
                    let mut any = false;
                    for (key, found) in entries(reply) {
                        if found.is_empty() {
                            continue;
                        }
                        any = true;
                        let xack = pipe.cmd("XACK").arg(key).arg(GROUP);
                        for (id, body) in found {
                            match body {
                                Some(b) => tally.record(&b),
                                None => tally.error("an entry without a body"),
                            }
                            xack.arg(id);
                        }
                        xack.ignore();
                    }
                    if any {
                        empty_sweep = false;
                        if let Err(e) = pipe.query_async::<()>(&mut self.con).await {
                            tally.error(format!("ack: {:?}", e.kind()));
                        }
                    }
                }
                Err(e) => {
                    tally.error(format!("receive: {:?}", e.kind()));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
            if !block && at.is_multiple_of(chunks.len()) {
                if empty_sweep {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                empty_sweep = true;
            }
        }
        tally
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &[u8]) -> Value {
        Value::BulkString(s.to_vec())
    }

    #[test]
    fn xreadgroup_answers_yield_ids_and_bodies_per_key() {
        let reply = Value::Array(vec![Value::Array(vec![
            bulk(b"bench-0"),
            Value::Array(vec![
                Value::Array(vec![
                    bulk(b"1-0"),
                    Value::Array(vec![bulk(b"d"), bulk(b"hello")]),
                ]),
                Value::Array(vec![bulk(b"1-1"), Value::Nil]),
            ]),
        ])]);
        let got = entries(reply);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, b"bench-0");
        assert_eq!(got[0].1[0], (b"1-0".to_vec(), Some(b"hello".to_vec())));
        assert_eq!(got[0].1[1], (b"1-1".to_vec(), None));
        assert!(entries(Value::Nil).is_empty());
    }
}
