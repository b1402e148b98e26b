//! Petrel over the RocketMQ 5 gRPC protocol, with `petrel-bench`'s client: every call signed
//! with `MQv2-HMAC-SHA1` and carrying the SDK headers. Topics, the instance and the consumer
//! group are created through the management API (`petrel-client`), as an operator would.
//! Producers send one message per SendMessage; consumers long-poll ReceiveMessage (batch 32)
//! on a single topic and sweep their topics with short polls when they own many, acking each
//! batch with one AckMessage beside the next receive.

use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use petrel_bench::client::{self, CALL_TIMEOUT, Client, Identity, MessageIds};
use petrel_bench::{BenchConfig, Credentials, Limit};
use petrel_proto::v2;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::PeerError;
use crate::load::Tally;
use crate::workload::topic_name;

/// The consumer group every Petrel consumer joins.
const GROUP: &str = "GID_bench";
/// Messages asked for per receive (the simple consumer's maximum).
const BATCH: i32 = 32;
/// Long poll of a consumer that owns one topic.
const LONG_POLL: Duration = Duration::from_secs(20);
/// Receives of one consumer in flight at once when it owns many topics.
const LANES: usize = 8;
/// Acks of one lane in flight at once.
const ACKS_IN_FLIGHT: usize = 4;
/// Topics created at once during setup.
const SETUP_PARALLEL: usize = 16;

/// A running Petrel and the instance the benchmark made on it.
#[derive(Debug)]
pub struct PetrelDriver {
    config: BenchConfig,
    http: String,
}

/// A producer: its own HTTP/2 connection, shared by its in-flight sends.
#[derive(Clone)]
pub struct PetrelProducer {
    client: Client,
    identity: Identity,
    ids: Arc<MessageIds>,
    topics: Arc<[v2::Resource]>,
}

/// A consumer and the topics it owns.
pub struct PetrelConsumer {
    client: Client,
    identity: Identity,
    namespace: String,
    topics: Vec<usize>,
}

fn setup_error(what: &str, reason: impl ToString) -> PeerError {
    PeerError::Setup {
        system: "petrel".to_owned(),
        what: what.to_owned(),
        reason: reason.to_string(),
    }
}

impl PetrelDriver {
    /// A driver for the server at `grpc` (RocketMQ) and `http` (management API).
    pub fn new(grpc: String, http: String, ak: String, sk: String) -> PetrelDriver {
        let credentials = Credentials {
            access_key_id: ak,
            access_key_secret: sk,
        };
        let config = BenchConfig::new(grpc, credentials, "", Limit::Count(0));
        PetrelDriver { config, http }
    }

    /// Activates the service, creates instance `bench`, `topics` NORMAL topics and the group.
    pub async fn setup(&mut self, topics: usize) -> Result<(), PeerError> {
        let endpoint = petrel_client::Endpoint::parse(&format!("http://{}", self.http))
            .map_err(|e| setup_error("the management endpoint", e))?;
        let creds = &self.config.credentials;
        let api = petrel_client::Client::new(
            endpoint,
            petrel_client::Credentials::new(
                creds.access_key_id.clone(),
                creds.access_key_secret.clone(),
            ),
        )
        .map_err(|e| setup_error("the management client", e))?;
        api.open_ons_service()
            .await
            .map_err(|e| setup_error("the service activation", e))?;
        let instance = api
            .create_instance(&petrel_client::NewInstance {
                name: "bench".to_owned(),
                resource_group_id: None,
                remark: None,
            })
            .await
            .map_err(|e| setup_error("instance `bench`", e))?;
        let api = &api;
        let instance_ref = instance.as_str();
        {
            let mut created = futures_util::stream::iter(0..topics)
                .map(|i| async move {
                    let name = topic_name(i);
                    api.create_topic(instance_ref, &name, "NORMAL", None)
                        .await
                        .map_err(|e| setup_error(&format!("topic `{name}`"), e))
                })
                .buffer_unordered(SETUP_PARALLEL);
            while let Some(r) = created.next().await {
                r?;
            }
        }
        api.create_consumer_group(
            instance_ref,
            &petrel_client::NewConsumerGroup {
                id: GROUP.to_owned(),
                orderly: false,
                max_retry_times: 16,
                remark: None,
            },
        )
        .await
        .map_err(|e| setup_error(&format!("group `{GROUP}`"), e))?;
        self.config.namespace = Some(instance);
        Ok(())
    }

    fn namespace(&self) -> String {
        self.config.namespace.clone().unwrap_or_default()
    }

    async fn connect(&self, role: char, index: usize) -> Result<(Client, Identity), String> {
        let identity = Identity::new(&self.config, role, index).map_err(|e| e.to_string())?;
        let endpoint = client::endpoint(&self.config).map_err(|e| e.to_string())?;
        let client = client::connect(&endpoint, &self.config.endpoint)
            .await
            .map_err(|e| e.to_string())?;
        Ok((client, identity))
    }

    /// A producer with its own connection; `topics` names every topic of the run.
    pub async fn producer(&self, index: usize, topics: usize) -> Result<PetrelProducer, String> {
        let (client, identity) = self.connect('p', index).await?;
        let ns = self.namespace();
        Ok(PetrelProducer {
            client,
            identity,
            ids: Arc::new(MessageIds::new()),
            topics: (0..topics)
                .map(|i| client::resource(Some(&ns), &topic_name(i)))
                .collect(),
        })
    }

    /// A consumer of `topics` with its own connection.
    pub async fn consumer(
        &self,
        index: usize,
        topics: Vec<usize>,
    ) -> Result<PetrelConsumer, String> {
        let (client, identity) = self.connect('c', index).await?;
        Ok(PetrelConsumer {
            client,
            identity,
            namespace: self.namespace(),
            topics,
        })
    }
}

impl PetrelProducer {
    /// One SendMessage of one message to `topic`; Ok once the server acknowledged it.
    pub async fn send(&self, topic: usize, body: Bytes) -> Result<(), String> {
        let resource = self
            .topics
            .get(topic)
            .cloned()
            .ok_or_else(|| format!("no topic {topic}"))?;
        let message = v2::Message {
            topic: Some(resource),
            user_properties: Default::default(),
            system_properties: Some(v2::SystemProperties {
                message_id: self.ids.next(),
                body_encoding: v2::Encoding::Identity as i32,
                message_type: v2::MessageType::Normal as i32,
                born_timestamp: Some(timestamp_now()),
                born_host: "petrel-peerbench".to_owned(),
                ..Default::default()
            }),
            body,
        };
        let request = self.identity.signer().request(
            v2::SendMessageRequest {
                messages: vec![message],
            },
            CALL_TIMEOUT,
        );
        let answer = self
            .client
            .clone()
            .send_message(request)
            .await
            .map_err(|s| format!("{:?}", s.code()))?
            .into_inner();
        let ok = v2::Code::Ok as i32;
        match answer.entries.first().and_then(|e| e.status.as_ref()) {
            Some(s) if s.code == ok => Ok(()),
            Some(s) => Err(format!("code {}", s.code)),
            None => Err(answer
                .status
                .map_or("an answer without status".to_owned(), |s| {
                    format!("code {}", s.code)
                })),
        }
    }
}

fn timestamp_now() -> prost_types::Timestamp {
    let us = crate::load::now_us();
    prost_types::Timestamp {
        seconds: i64::try_from(us / 1_000_000).unwrap_or(0),
        nanos: i32::try_from((us % 1_000_000) * 1000).unwrap_or(0),
    }
}

fn proto_duration(d: Duration) -> prost_types::Duration {
    prost_types::Duration {
        seconds: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        nanos: i32::try_from(d.subsec_nanos()).unwrap_or(0),
    }
}

impl PetrelConsumer {
    /// Receives and acks until `stop`; one long-polling lane for one topic, several sweeping
    /// lanes for many.
    pub async fn run(self, stop: watch::Receiver<bool>, tally: Tally) -> Tally {
        let lanes = if self.topics.len() <= 1 {
            1
        } else {
            LANES.min(self.topics.len())
        };
        let poll = if self.topics.len() <= 1 {
            LONG_POLL
        } else {
            Duration::ZERO
        };
        let mut slices: Vec<Vec<usize>> = vec![Vec::new(); lanes];
        for (i, t) in self.topics.iter().enumerate() {
            slices[i % lanes].push(*t);
        }
        let mut set = JoinSet::new();
        for slice in slices {
            set.spawn(lane(
                self.client.clone(),
                self.identity.clone(),
                self.namespace.clone(),
                slice,
                poll,
                stop.clone(),
                tally.split(),
            ));
        }
        let mut total = tally;
        while let Some(r) = set.join_next().await {
            match r {
                Ok(t) => total.merge(t),
                Err(e) => total.error(format!("a receive lane failed: {e}")),
            }
        }
        total
    }
}

async fn lane(
    client: Client,
    identity: Identity,
    namespace: String,
    topics: Vec<usize>,
    poll: Duration,
    mut stop: watch::Receiver<bool>,
    mut tally: Tally,
) -> Tally {
    let group = client::resource(Some(&namespace), GROUP);
    let resources: Vec<v2::Resource> = topics
        .iter()
        .map(|t| client::resource(Some(&namespace), &topic_name(*t)))
        .collect();
    let mut acks: JoinSet<Result<(), String>> = JoinSet::new();
    let mut at = 0usize;
    let mut empty_sweep = true;
    loop {
        if *stop.borrow() {
            break;
        }
        let Some(topic) = resources.get(at % resources.len().max(1)).cloned() else {
            break;
        };
        at += 1;
        let request = v2::ReceiveMessageRequest {
            group: Some(group.clone()),
            message_queue: Some(v2::MessageQueue {
                topic: Some(topic.clone()),
                id: 0,
                permission: v2::Permission::ReadWrite as i32,
                broker: None,
                accept_message_types: Vec::new(),
            }),
            filter_expression: Some(v2::FilterExpression {
                r#type: v2::FilterType::Tag as i32,
                expression: "*".to_owned(),
            }),
            batch_size: BATCH,
            invisible_duration: Some(proto_duration(Duration::from_secs(30))),
            auto_renew: false,
            long_polling_timeout: Some(proto_duration(poll)),
            attempt_id: None,
        };
        let request = identity
            .signer()
            .request(request, poll + Duration::from_secs(3));
        let received = tokio::select! {
            biased;
            _ = stop.wait_for(|s| *s) => break,
            r = receive(client.clone(), request) => r,
        };
        let entries = match received {
            Ok(messages) => {
                let mut entries = Vec::with_capacity(messages.len());
                for m in messages {
                    tally.record(&m.body);
                    if let Some(p) = m.system_properties
                        && let Some(handle) = p.receipt_handle
                    {
                        entries.push(v2::AckMessageEntry {
                            message_id: p.message_id,
                            receipt_handle: handle,
                            lite_topic: None,
                        });
                    }
                }
                entries
            }
            Err(e) => {
                tally.error(format!("receive: {e}"));
                tokio::time::sleep(Duration::from_millis(50)).await;
                Vec::new()
            }
        };
        if !entries.is_empty() {
            empty_sweep = false;
            while acks.len() >= ACKS_IN_FLIGHT {
                if let Some(Ok(Err(e))) = acks.join_next().await {
                    tally.error(format!("ack: {e}"));
                }
            }
            let ack = v2::AckMessageRequest {
                group: Some(group.clone()),
                topic: Some(topic),
                entries,
            };
            let request = identity.signer().request(ack, CALL_TIMEOUT);
            let mut c = client.clone();
            acks.spawn(async move {
                let answer = c
                    .ack_message(request)
                    .await
                    .map_err(|s| format!("{:?}", s.code()))?;
                match answer.into_inner().status {
                    Some(s) if s.code == v2::Code::Ok as i32 => Ok(()),
                    Some(s) => Err(format!("code {}", s.code)),
                    None => Err("no status".to_owned()),
                }
            });
        }
        // A whole sweep of short polls found nothing: wait a moment instead of spinning.
        if at.is_multiple_of(resources.len().max(1)) {
            if empty_sweep && poll.is_zero() {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            empty_sweep = true;
        }
    }
    while let Some(r) = acks.join_next().await {
        if let Ok(Err(e)) = r {
            tally.error(format!("ack: {e}"));
        }
    }
    tally
}

async fn receive(
    mut client: Client,
    request: tonic::Request<v2::ReceiveMessageRequest>,
) -> Result<Vec<v2::Message>, String> {
    use v2::receive_message_response::Content;
    let mut stream = client
        .receive_message(request)
        .await
        .map_err(|s| format!("{:?}", s.code()))?
        .into_inner();
    let mut messages = Vec::new();
    let mut status = None;
    while let Some(frame) = stream
        .message()
        .await
        .map_err(|s| format!("{:?}", s.code()))?
    {
        match frame.content {
            Some(Content::Message(m)) => messages.push(m),
            Some(Content::Status(s)) => status = Some(s.code),
            _ => {}
        }
    }
    match status {
        Some(c) if c == v2::Code::Ok as i32 || c == v2::Code::MessageNotFound as i32 => {
            Ok(messages)
        }
        Some(c) => Err(format!("code {c}")),
        None if !messages.is_empty() => Ok(messages),
        None => Err("no status".to_owned()),
    }
}
