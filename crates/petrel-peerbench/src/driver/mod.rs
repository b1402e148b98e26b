//! The client side of each system, behind one shape the load generator drives: set up the
//! topics, open producers (each its own connection; its in-flight sends share it) and
//! consumers (each its own connection, owning some topics), send one message and wait for the
//! system's acknowledgement, receive and acknowledge until told to stop.

pub mod nats;
pub mod petrel;
pub mod rabbitmq;
pub mod redis;

use bytes::Bytes;
use tokio::sync::watch;

use crate::PeerError;
use crate::load::Tally;
use crate::server::Endpoint;

/// A connected system.
#[derive(Debug)]
pub enum Driver {
    Petrel(petrel::PetrelDriver),
    Nats(nats::NatsDriver),
    Redis(redis::RedisDriver),
    RabbitmqQuorum(rabbitmq::QuorumDriver),
    RabbitmqStream(rabbitmq::StreamDriver),
}

/// A producer client; clones share its connection.
#[derive(Clone)]
pub enum Producer {
    Petrel(petrel::PetrelProducer),
    Nats(nats::NatsProducer),
    Redis(redis::RedisProducer),
    RabbitmqQuorum(rabbitmq::QuorumProducer),
    RabbitmqStream(rabbitmq::StreamProducer),
}

/// A consumer client.
pub enum Consumer {
    Petrel(petrel::PetrelConsumer),
    Nats(nats::NatsConsumer),
    Redis(redis::RedisConsumer),
    RabbitmqQuorum(rabbitmq::QuorumConsumer),
    RabbitmqStream(rabbitmq::StreamConsumer),
}

impl Driver {
    /// A driver for a started server.
    pub async fn connect(endpoint: &Endpoint) -> Result<Driver, PeerError> {
        Ok(match endpoint {
            Endpoint::Petrel {
                grpc,
                http,
                access_key_id,
                access_key_secret,
            } => Driver::Petrel(petrel::PetrelDriver::new(
                grpc.to_string(),
                http.to_string(),
                access_key_id.clone(),
                access_key_secret.clone(),
            )),
            Endpoint::Nats { addr } => Driver::Nats(nats::NatsDriver::new(addr.to_string())),
            Endpoint::Redis { addr } => Driver::Redis(redis::RedisDriver::new(&addr.to_string())?),
            Endpoint::RabbitmqQuorum { amqp } => {
                Driver::RabbitmqQuorum(rabbitmq::QuorumDriver::new(&amqp.to_string()))
            }
            Endpoint::RabbitmqStream { stream } => Driver::RabbitmqStream(
                rabbitmq::StreamDriver::new(&stream.ip().to_string(), stream.port()).await?,
            ),
        })
    }

    /// Creates `topics` topics (streams, queues) and whatever consumer groups they need.
    pub async fn setup(&mut self, topics: usize) -> Result<(), PeerError> {
        match self {
            Driver::Petrel(d) => d.setup(topics).await,
            Driver::Nats(d) => d.setup(topics).await,
            Driver::Redis(d) => d.setup(topics).await,
            Driver::RabbitmqQuorum(d) => d.setup(topics).await,
            Driver::RabbitmqStream(d) => d.setup(topics).await,
        }
    }

    /// Producer `index`, which will send to `uses` among `topics` topics.
    pub async fn producer(
        &self,
        index: usize,
        topics: usize,
        uses: &[usize],
    ) -> Result<Producer, String> {
        Ok(match self {
            Driver::Petrel(d) => Producer::Petrel(d.producer(index, topics).await?),
            Driver::Nats(d) => Producer::Nats(d.producer().await?),
            Driver::Redis(d) => Producer::Redis(d.producer().await?),
            Driver::RabbitmqQuorum(d) => Producer::RabbitmqQuorum(d.producer().await?),
            Driver::RabbitmqStream(d) => Producer::RabbitmqStream(d.producer(uses).await?),
        })
    }

    /// Consumer `index`, owning `topics`.
    pub async fn consumer(&self, index: usize, topics: Vec<usize>) -> Result<Consumer, String> {
        Ok(match self {
            Driver::Petrel(d) => Consumer::Petrel(d.consumer(index, topics).await?),
            Driver::Nats(d) => Consumer::Nats(d.consumer(topics).await?),
            Driver::Redis(d) => Consumer::Redis(d.consumer(index, topics).await?),
            Driver::RabbitmqQuorum(d) => Consumer::RabbitmqQuorum(d.consumer(index, topics).await?),
            Driver::RabbitmqStream(d) => Consumer::RabbitmqStream(d.consumer(index, topics).await?),
        })
    }
}

impl Producer {
    /// Sends one message to `topic` and waits for the system's acknowledgement.
    pub async fn send(&self, topic: usize, body: Bytes) -> Result<(), String> {
        match self {
            Producer::Petrel(p) => p.send(topic, body).await,
            Producer::Nats(p) => p.send(topic, body).await,
            Producer::Redis(p) => p.send(topic, body).await,
            Producer::RabbitmqQuorum(p) => p.send(topic, body).await,
            Producer::RabbitmqStream(p) => p.send(topic, body).await,
        }
    }

    /// Closes what needs an explicit close (once every clone is gone).
    pub async fn close(self) {
        if let Producer::RabbitmqStream(p) = self {
            p.close().await;
        }
    }
}

impl Consumer {
    /// Receives and acknowledges until `stop` turns true; the counts.
    pub async fn run(self, stop: watch::Receiver<bool>, tally: Tally) -> Tally {
        match self {
            Consumer::Petrel(c) => c.run(stop, tally).await,
            Consumer::Nats(c) => c.run(stop, tally).await,
            Consumer::Redis(c) => c.run(stop, tally).await,
            Consumer::RabbitmqQuorum(c) => c.run(stop, tally).await,
            Consumer::RabbitmqStream(c) => c.run(stop, tally).await,
        }
    }
}
