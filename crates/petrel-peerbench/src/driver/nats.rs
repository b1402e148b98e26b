//! NATS JetStream with `async-nats`: one file-backed stream per topic (subject = stream name),
//! one durable pull consumer per stream that every consumer client shares (work-queue style,
//! like a RocketMQ group), explicit acks. Producers publish and await each PubAck.

use std::sync::Arc;

use async_nats::jetstream::{self, consumer::pull, stream};
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::watch;

use crate::PeerError;
use crate::load::Tally;
use crate::workload::topic_name;

/// The durable consumer on every stream.
const DURABLE: &str = "bench";
/// Streams created at once during setup.
const SETUP_PARALLEL: usize = 16;

/// A running NATS server.
#[derive(Debug)]
pub struct NatsDriver {
    url: String,
    topics: usize,
}

/// A producer: its own connection.
#[derive(Clone)]
pub struct NatsProducer {
    js: jetstream::Context,
    subjects: Arc<[String]>,
}

/// A consumer: its own connection and one message stream per owned topic.
pub struct NatsConsumer {
    messages: Vec<pull::Stream>,
    // Keeps the connection open while the streams are read.
    _client: async_nats::Client,
}

fn setup_error(what: String, reason: impl ToString) -> PeerError {
    PeerError::Setup {
        system: "nats".to_owned(),
        what,
        reason: reason.to_string(),
    }
}

impl NatsDriver {
    /// A driver for the server at `addr`.
    pub fn new(addr: String) -> NatsDriver {
        NatsDriver {
            url: format!("nats://{addr}"),
            topics: 0,
        }
    }

    async fn connect(&self) -> Result<async_nats::Client, String> {
        async_nats::connect(self.url.as_str())
            .await
            .map_err(|e| e.to_string())
    }

    /// Creates a file stream and its durable pull consumer per topic.
    pub async fn setup(&mut self, topics: usize) -> Result<(), PeerError> {
        let client = self.connect().await.map_err(|e| PeerError::Connect {
            system: "nats".to_owned(),
            reason: e,
        })?;
        let js = &jetstream::new(client);
        let mut created = futures_util::stream::iter(0..topics)
            .map(|i| async move {
                let name = topic_name(i);
                let s = js
                    .create_stream(stream::Config {
                        name: name.clone(),
                        subjects: vec![name.clone()],
                        storage: stream::StorageType::File,
                        ..Default::default()
                    })
                    .await
                    .map_err(|e| setup_error(format!("stream `{name}`"), e))?;
                s.create_consumer(pull::Config {
                    durable_name: Some(DURABLE.to_owned()),
                    ack_policy: jetstream::consumer::AckPolicy::Explicit,
                    ..Default::default()
                })
                .await
                .map_err(|e| setup_error(format!("consumer of `{name}`"), e))?;
                Ok::<(), PeerError>(())
            })
            .buffer_unordered(SETUP_PARALLEL);
        while let Some(r) = created.next().await {
            r?;
        }
        self.topics = topics;
        Ok(())
    }

    /// A producer with its own connection.
    pub async fn producer(&self) -> Result<NatsProducer, String> {
        let client = self.connect().await?;
        Ok(NatsProducer {
            js: jetstream::new(client),
            subjects: (0..self.topics).map(topic_name).collect(),
        })
    }

    /// A consumer of `topics` with its own connection.
    pub async fn consumer(&self, topics: Vec<usize>) -> Result<NatsConsumer, String> {
        let client = self.connect().await?;
        let js = jetstream::new(client.clone());
        let mut messages = Vec::with_capacity(topics.len());
        for t in topics {
            let s = js
                .get_stream(topic_name(t))
                .await
                .map_err(|e| e.to_string())?;
            let c: jetstream::consumer::Consumer<pull::Config> =
                s.get_consumer(DURABLE).await.map_err(|e| e.to_string())?;
            messages.push(c.messages().await.map_err(|e| e.to_string())?);
        }
        Ok(NatsConsumer {
            messages,
            _client: client,
        })
    }
}

impl NatsProducer {
    /// Publishes to `topic`'s subject; Ok once the stream acknowledged it.
    pub async fn send(&self, topic: usize, body: Bytes) -> Result<(), String> {
        let subject = self
            .subjects
            .get(topic)
            .cloned()
            .ok_or_else(|| format!("no topic {topic}"))?;
        let ack = self
            .js
            .publish(subject, body)
            .await
            .map_err(|e| e.kind().to_string())?;
        ack.await.map(|_| ()).map_err(|e| e.kind().to_string())
    }
}

impl NatsConsumer {
    /// Receives and acks until `stop`.
    pub async fn run(self, mut stop: watch::Receiver<bool>, mut tally: Tally) -> Tally {
        let mut all = futures_util::stream::select_all(self.messages);
        loop {
            let next = tokio::select! {
                biased;
                _ = stop.wait_for(|s| *s) => break,
                m = all.next() => m,
            };
            match next {
                Some(Ok(m)) => {
                    tally.record(&m.payload);
                    if let Err(e) = m.ack().await {
                        tally.error(format!("ack: {e}"));
                    }
                }
                Some(Err(e)) => tally.error(format!("receive: {}", e.kind())),
                None => break,
            }
        }
        tally
    }
}
