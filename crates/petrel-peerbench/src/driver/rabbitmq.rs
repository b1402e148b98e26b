//! RabbitMQ two ways. Quorum queues over AMQP 0-9-1 with `lapin`: one durable quorum queue
//! per topic, publisher confirms awaited per message, consumers with a prefetch window acking
//! each delivery. Streams over the stream protocol with `rabbitmq-stream-client`: one stream
//! per topic, a stream producer per (producer client, topic it sends to) — a stream producer
//! is bound to one stream — confirms awaited per message, and consumers reading from the
//! stream's end (streams have no competing consumers or acks).

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use rabbitmq_stream_client::types::{Message, OffsetSpecification};
use rabbitmq_stream_client::{Environment, NoDedup, Producer};
use tokio::sync::watch;

use crate::PeerError;
use crate::load::Tally;
use crate::workload::topic_name;

/// Unacknowledged deliveries a quorum-queue consumer may hold.
const PREFETCH: u16 = 256;
/// Queues or streams declared at once during setup.
const SETUP_PARALLEL: usize = 16;

fn setup_error(system: &str, what: String, reason: impl ToString) -> PeerError {
    PeerError::Setup {
        system: system.to_owned(),
        what,
        reason: reason.to_string(),
    }
}

/// A running RabbitMQ, driven through quorum queues.
#[derive(Debug)]
pub struct QuorumDriver {
    uri: String,
    topics: usize,
}

/// A producer: its own connection and confirm-mode channel.
#[derive(Clone)]
pub struct QuorumProducer {
    channel: Channel,
    queues: Arc<[ShortString]>,
    _connection: Arc<Connection>,
}

/// A consumer: its own connection, one basic.consume per owned queue.
pub struct QuorumConsumer {
    consumers: Vec<lapin::Consumer>,
    _channel: Channel,
    _connection: Connection,
}

impl QuorumDriver {
    /// A driver for the AMQP listener at `addr` (the default `guest` user, loopback only).
    pub fn new(addr: &str) -> QuorumDriver {
        QuorumDriver {
            uri: format!("amqp://guest:guest@{addr}/%2f"),
            topics: 0,
        }
    }

    async fn channel(&self) -> Result<(Connection, Channel), String> {
        let connection = Connection::connect(&self.uri, ConnectionProperties::default())
            .await
            .map_err(|e| e.to_string())?;
        let channel = connection
            .create_channel()
            .await
            .map_err(|e| e.to_string())?;
        Ok((connection, channel))
    }

    /// Declares one durable quorum queue per topic.
    pub async fn setup(&mut self, topics: usize) -> Result<(), PeerError> {
        let (_connection, channel) = self.channel().await.map_err(|e| PeerError::Connect {
            system: "rabbitmq".to_owned(),
            reason: e,
        })?;
        let mut args = FieldTable::default();
        args.insert(
            "x-queue-type".into(),
            AMQPValue::LongString("quorum".into()),
        );
        for i in 0..topics {
            let name = topic_name(i);
            channel
                .queue_declare(
                    name.as_str().into(),
                    QueueDeclareOptions {
                        durable: true,
                        ..Default::default()
                    },
                    args.clone(),
                )
                .await
                .map_err(|e| setup_error("rabbitmq", format!("quorum queue `{name}`"), e))?;
        }
        self.topics = topics;
        Ok(())
    }

    /// A producer with its own connection, its channel in confirm mode.
    pub async fn producer(&self) -> Result<QuorumProducer, String> {
        let (connection, channel) = self.channel().await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(|e| e.to_string())?;
        Ok(QuorumProducer {
            channel,
            queues: (0..self.topics)
                .map(|i| ShortString::from(topic_name(i)))
                .collect(),
            _connection: Arc::new(connection),
        })
    }

    /// A consumer of `topics` with its own connection.
    pub async fn consumer(
        &self,
        index: usize,
        topics: Vec<usize>,
    ) -> Result<QuorumConsumer, String> {
        let (connection, channel) = self.channel().await?;
        channel
            .basic_qos(PREFETCH, BasicQosOptions::default())
            .await
            .map_err(|e| e.to_string())?;
        let mut consumers = Vec::with_capacity(topics.len());
        for t in topics {
            consumers.push(
                channel
                    .basic_consume(
                        topic_name(t).into(),
                        format!("c{index}-{t}").into(),
                        BasicConsumeOptions::default(),
                        FieldTable::default(),
                    )
                    .await
                    .map_err(|e| e.to_string())?,
            );
        }
        Ok(QuorumConsumer {
            consumers,
            _channel: channel,
            _connection: connection,
        })
    }
}

impl QuorumProducer {
    /// Publishes a persistent message to `topic`'s queue; Ok once the broker confirmed it.
    pub async fn send(&self, topic: usize, body: Bytes) -> Result<(), String> {
        let queue = self
            .queues
            .get(topic)
            .cloned()
            .ok_or_else(|| format!("no topic {topic}"))?;
        let confirm = self
            .channel
            .basic_publish(
                ShortString::from(""),
                queue,
                BasicPublishOptions::default(),
                &body,
                BasicProperties::default().with_delivery_mode(2),
            )
            .await
            .map_err(|e| e.to_string())?
            .await
            .map_err(|e| e.to_string())?;
        if confirm.is_ack() {
            Ok(())
        } else {
            Err("nack".to_owned())
        }
    }
}

impl QuorumConsumer {
    /// Receives and acks until `stop`.
    pub async fn run(self, mut stop: watch::Receiver<bool>, mut tally: Tally) -> Tally {
        let mut all = futures_util::stream::select_all(self.consumers);
        loop {
            let next = tokio::select! {
                biased;
                _ = stop.wait_for(|s| *s) => break,
                d = all.next() => d,
            };
            match next {
                Some(Ok(d)) => {
                    tally.record(&d.data);
                    if let Err(e) = d.ack(BasicAckOptions::default()).await {
                        tally.error(format!("ack: {e}"));
                    }
                }
                Some(Err(e)) => tally.error(format!("receive: {e}")),
                None => break,
            }
        }
        tally
    }
}

/// A running RabbitMQ, driven through streams.
pub struct StreamDriver {
    env: Environment,
    topics: usize,
}

impl std::fmt::Debug for StreamDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamDriver")
            .field("topics", &self.topics)
            .finish_non_exhaustive()
    }
}

/// A producer: one stream producer (and connection) per topic it sends to.
#[derive(Clone)]
pub struct StreamProducer {
    producers: Arc<HashMap<usize, Producer<NoDedup>>>,
}

/// A consumer: one stream consumer per owned topic, reading from the end.
pub struct StreamConsumer {
    consumers: Vec<rabbitmq_stream_client::Consumer>,
}

impl StreamDriver {
    /// A driver for the stream listener at `host`:`port`.
    pub async fn new(host: &str, port: u16) -> Result<StreamDriver, PeerError> {
        let env = Environment::builder()
            .host(host)
            .port(port)
            .build()
            .await
            .map_err(|e| PeerError::Connect {
                system: "rabbitmq streams".to_owned(),
                reason: e.to_string(),
            })?;
        Ok(StreamDriver { env, topics: 0 })
    }

    /// Creates one stream per topic, several at once.
    pub async fn setup(&mut self, topics: usize) -> Result<(), PeerError> {
        let env = &self.env;
        let mut created = futures_util::stream::iter(0..topics)
            .map(|i| async move {
                let name = topic_name(i);
                env.stream_creator()
                    .create(&name)
                    .await
                    .map_err(|e| setup_error("rabbitmq streams", format!("stream `{name}`"), e))
            })
            .buffer_unordered(SETUP_PARALLEL);
        while let Some(r) = created.next().await {
            r?;
        }
        drop(created);
        self.topics = topics;
        Ok(())
    }

    /// A producer for the topics it will send to.
    pub async fn producer(&self, topics: &[usize]) -> Result<StreamProducer, String> {
        let mut producers = HashMap::with_capacity(topics.len());
        for &t in topics {
            // This client flushes its send buffer on a timer (100 ms by default); 1 ms keeps
            // a confirm-per-message producer from waiting on the timer.
            let p = self
                .env
                .producer()
                .batch_delay(std::time::Duration::from_millis(1))
                .build(&topic_name(t))
                .await
                .map_err(|e| e.to_string())?;
            producers.insert(t, p);
        }
        Ok(StreamProducer {
            producers: Arc::new(producers),
        })
    }

    /// A consumer of `topics`; with fewer topics than consumers only the first consumers
    /// read, since every reader of a stream gets every message.
    pub async fn consumer(
        &self,
        index: usize,
        topics: Vec<usize>,
    ) -> Result<StreamConsumer, String> {
        let mut consumers = Vec::new();
        if index < self.topics {
            for t in topics {
                consumers.push(
                    self.env
                        .consumer()
                        .offset(OffsetSpecification::Next)
                        .build(&topic_name(t))
                        .await
                        .map_err(|e| e.to_string())?,
                );
            }
        }
        Ok(StreamConsumer { consumers })
    }
}

impl StreamProducer {
    /// Sends to `topic`'s stream; Ok once the broker confirmed it.
    pub async fn send(&self, topic: usize, body: Bytes) -> Result<(), String> {
        let producer = self
            .producers
            .get(&topic)
            .ok_or_else(|| format!("no producer for topic {topic}"))?;
        let status = producer
            .send_with_confirm(Message::builder().body(body.to_vec()).build())
            .await
            .map_err(|e| e.to_string())?;
        if status.confirmed() {
            Ok(())
        } else {
            Err(format!("not confirmed: {:?}", status.status()))
        }
    }

    /// Closes every stream producer (once the last clone is gone).
    pub async fn close(self) {
        if let Ok(map) = Arc::try_unwrap(self.producers) {
            for (_, p) in map {
                let _ = p.close().await;
            }
        }
    }
}

impl StreamConsumer {
    /// Receives until `stop`.
    pub async fn run(self, mut stop: watch::Receiver<bool>, mut tally: Tally) -> Tally {
        if self.consumers.is_empty() {
            let _ = stop.wait_for(|s| *s).await;
            return tally;
        }
        let mut all = futures_util::stream::select_all(self.consumers);
        loop {
            let next = tokio::select! {
                biased;
                _ = stop.wait_for(|s| *s) => break,
                d = all.next() => d,
            };
            match next {
                Some(Ok(d)) => match d.message().data() {
                    Some(b) => tally.record(b),
                    None => tally.error("a message without a body"),
                },
                Some(Err(e)) => tally.error(format!("receive: {e}")),
                None => break,
            }
        }
        tally
    }
}
