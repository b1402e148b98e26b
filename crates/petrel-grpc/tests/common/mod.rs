//! Fixtures: a real Petrel gRPC server (catalogue, message log, broker) on 127.0.0.1:0 over a
//! temporary data dir, the generated tonic client, and signed requests.

#![allow(dead_code, reason = "each test binary uses part of the fixtures")]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use petrel_broker::{Broker, BrokerConfig};
use petrel_meta::{
    AuditSource, CatalogOptions, DeliveryOrder, NewConsumerGroup, NewInstance, NewTopic, NewUser,
    PolicyRef, Principal, RetryPolicy, Scope,
};
use petrel_model::MessageType;
use petrel_proto::v2;
use petrel_proto::v2::messaging_service_client::MessagingServiceClient;
use petrel_service::{AttachRequest, Caller, RequestContext, Service, ServiceConfig};
use petrel_store::{Store, StoreConfig};
use tokio::sync::oneshot;
use tonic::Request;
use tonic::transport::Channel;

pub const INSTANCE: &str = "orders";
pub const TOPIC: &str = "t-orders";
pub const GROUP: &str = "GID_orders";
pub const DATE: &str = "20260101T120000Z";

/// An AccessKey.
#[derive(Debug, Clone)]
pub struct Key {
    pub id: String,
    pub secret: String,
}

pub type Client = MessagingServiceClient<Channel>;

/// A running server and its data dir.
pub struct Env {
    pub service: Arc<Service>,
    pub broker: Arc<Broker>,
    pub addr: SocketAddr,
    pub account: String,
    pub root_key: Key,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<Result<(), petrel_grpc::GrpcError>>>,
    _dir: tempfile::TempDir,
}

impl Env {
    /// A server whose first account exists but has not activated the service.
    pub async fn start() -> Env {
        Env::start_with(BrokerConfig::for_tests()).await
    }

    /// Like [`Env::start`] with this broker configuration.
    pub async fn start_with(config: BrokerConfig) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let catalog = petrel_meta::Catalog::open(dir.path(), CatalogOptions::for_tests()).unwrap();
        let service = Arc::new(Service::new(
            catalog,
            ServiceConfig {
                region: "cn-hangzhou".to_owned(),
            },
        ));
        let creds = service
            .bootstrap()
            .unwrap()
            .expect("first start creates an account");
        let store = Arc::new(Store::open(dir.path(), StoreConfig::for_tests()).unwrap());
        let broker = Arc::new(Broker::open(store, config).unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(petrel_grpc::serve(
            listener,
            service.clone(),
            broker.clone(),
            petrel_grpc::GrpcConfig::default(),
            async move {
                let _ = stopped.await;
            },
        ));
        Env {
            service,
            broker,
            addr,
            account: creds.account_id,
            root_key: Key {
                id: creds.access_key_id,
                secret: creds.access_key_secret,
            },
            stop: Some(stop),
            server: Some(server),
            _dir: dir,
        }
    }

    /// A server with the service activated, instance `orders`, topic `t-orders` (NORMAL, 4
    /// queues) and group `GID_orders`.
    pub async fn ready() -> Env {
        Env::ready_with(BrokerConfig::for_tests()).await
    }

    /// Like [`Env::ready`] with this broker configuration.
    pub async fn ready_with(config: BrokerConfig) -> Env {
        let env = Env::start_with(config).await;
        env.service.activate(&env.root()).unwrap();
        env.create_instance(INSTANCE);
        env.create_topic(INSTANCE, TOPIC);
        env.create_group(INSTANCE, GROUP);
        env
    }

    pub fn root(&self) -> Caller {
        self.service
            .local_root(&self.account, RequestContext::new(AuditSource::Internal))
            .unwrap()
    }

    pub fn create_instance(&self, id: &str) {
        self.service
            .create_instance(
                &self.root(),
                NewInstance {
                    id: Some(id.to_owned()),
                    name: id.to_owned(),
                    resource_group_id: None,
                    remark: None,
                },
            )
            .unwrap();
    }

    pub fn create_topic(&self, instance: &str, topic: &str) {
        self.service
            .create_topic(
                &self.root(),
                instance,
                NewTopic {
                    name: topic.to_owned(),
                    message_type: MessageType::Normal,
                    queue_count: Some(4),
                    remark: None,
                },
            )
            .unwrap();
    }

    /// A topic of type `t` with `queues` queues.
    pub fn create_typed_topic(&self, instance: &str, topic: &str, t: MessageType, queues: u32) {
        self.service
            .create_topic(
                &self.root(),
                instance,
                NewTopic {
                    name: topic.to_owned(),
                    message_type: t,
                    queue_count: Some(queues),
                    remark: None,
                },
            )
            .unwrap();
    }

    /// A consumer group with this delivery order and retry policy.
    pub fn create_group_with(
        &self,
        instance: &str,
        group: &str,
        delivery_order: DeliveryOrder,
        retry_policy: RetryPolicy,
    ) {
        self.service
            .create_consumer_group(
                &self.root(),
                instance,
                NewConsumerGroup {
                    group_id: group.to_owned(),
                    delivery_order,
                    retry_policy,
                    remark: None,
                },
            )
            .unwrap();
    }

    pub fn create_group(&self, instance: &str, group: &str) {
        self.service
            .create_consumer_group(
                &self.root(),
                instance,
                NewConsumerGroup {
                    group_id: group.to_owned(),
                    delivery_order: DeliveryOrder::Concurrently,
                    retry_policy: RetryPolicy::default(),
                    remark: None,
                },
            )
            .unwrap();
    }

    /// A RAM user holding `policies` (system policy names, or custom ones prefixed `custom:`)
    /// and an AccessKey of it.
    pub fn user_with_key(&self, name: &str, policies: &[&str]) -> Key {
        let root = self.root();
        self.service
            .create_user(
                &root,
                NewUser {
                    name: name.to_owned(),
                    ..Default::default()
                },
            )
            .unwrap();
        if !policies.is_empty() {
            self.service
                .attach(
                    &root,
                    &AttachRequest {
                        principals: vec![Principal::User(name.to_owned())],
                        policies: policies
                            .iter()
                            .map(|p| match p.strip_prefix("custom:") {
                                Some(c) => PolicyRef::custom(c),
                                None => PolicyRef::system(p),
                            })
                            .collect(),
                        scope: Scope::Account,
                        confirm_high_risk: true,
                    },
                )
                .unwrap();
        }
        let key = self.service.create_access_key(&root, Some(name)).unwrap();
        Key {
            id: key.id,
            secret: key.secret.expose().to_owned(),
        }
    }

    pub async fn client(&self) -> Client {
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", self.addr))
            .unwrap()
            .connect()
            .await
            .unwrap();
        MessagingServiceClient::new(channel)
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            tokio::time::timeout(Duration::from_secs(15), server)
                .await
                .expect("server stops in time")
                .unwrap()
                .unwrap();
        }
        self.broker.close().await.unwrap();
    }
}

/// `msg` with client id and date headers, signed with `key` when given.
pub fn req<T>(msg: T, key: Option<&Key>) -> Request<T> {
    let mut r = Request::new(msg);
    let md = r.metadata_mut();
    md.insert("x-mq-client-id", "test-host@1#0".parse().unwrap());
    md.insert("x-mq-date-time", DATE.parse().unwrap());
    if let Some(k) = key {
        let auth = petrel_iam::signature::mqv2::sign(&k.id, &k.secret, DATE);
        md.insert("authorization", auth.parse().unwrap());
    }
    r
}

pub fn resource(name: &str) -> Option<v2::Resource> {
    Some(v2::Resource {
        resource_namespace: String::new(),
        name: name.to_owned(),
    })
}

pub fn endpoints(addr: SocketAddr) -> v2::Endpoints {
    v2::Endpoints {
        scheme: v2::AddressScheme::IPv4 as i32,
        addresses: vec![v2::Address {
            host: addr.ip().to_string(),
            port: i32::from(addr.port()),
        }],
    }
}

/// A NORMAL message as the SDKs build it.
pub fn message(topic: &str, id: &str, body: &[u8]) -> v2::Message {
    v2::Message {
        topic: resource(topic),
        user_properties: [("k".to_owned(), "v".to_owned())].into_iter().collect(),
        system_properties: Some(v2::SystemProperties {
            tag: Some("tagA".to_owned()),
            keys: vec!["key-1".to_owned()],
            message_id: id.to_owned(),
            body_encoding: v2::Encoding::Identity as i32,
            message_type: v2::MessageType::Normal as i32,
            born_timestamp: Some(prost_types::Timestamp {
                seconds: 1_767_225_600,
                nanos: 0,
            }),
            born_host: "producer-host".to_owned(),
            ..Default::default()
        }),
        body: bytes::Bytes::copy_from_slice(body),
    }
}

pub async fn send(
    client: &mut Client,
    key: &Key,
    messages: Vec<v2::Message>,
) -> v2::SendMessageResponse {
    client
        .send_message(req(v2::SendMessageRequest { messages }, Some(key)))
        .await
        .unwrap()
        .into_inner()
}

/// A receive request of the simple consumer shape.
pub fn receive_request(
    topic: &str,
    group: &str,
    invisible: Duration,
    poll: Duration,
) -> v2::ReceiveMessageRequest {
    v2::ReceiveMessageRequest {
        group: resource(group),
        message_queue: Some(v2::MessageQueue {
            topic: resource(topic),
            id: 0,
            permission: v2::Permission::ReadWrite as i32,
            broker: None,
            accept_message_types: vec![v2::MessageType::Normal as i32],
        }),
        filter_expression: Some(v2::FilterExpression {
            r#type: v2::FilterType::Tag as i32,
            expression: "*".to_owned(),
        }),
        batch_size: 16,
        invisible_duration: Some(prost_types::Duration {
            seconds: i64::try_from(invisible.as_secs()).unwrap(),
            nanos: i32::try_from(invisible.subsec_nanos()).unwrap(),
        }),
        auto_renew: false,
        long_polling_timeout: Some(prost_types::Duration {
            seconds: i64::try_from(poll.as_secs()).unwrap(),
            nanos: 0,
        }),
        attempt_id: None,
    }
}

/// The frames of a receive: (status, messages, whether the last frame is a delivery timestamp).
pub async fn receive(
    client: &mut Client,
    key: &Key,
    request: v2::ReceiveMessageRequest,
    deadline: Duration,
) -> (v2::Status, Vec<v2::Message>) {
    use v2::receive_message_response::Content;
    let mut r = req(request, Some(key));
    r.set_timeout(deadline);
    let mut stream = client.receive_message(r).await.unwrap().into_inner();
    let mut frames = Vec::new();
    while let Some(f) = stream.message().await.unwrap() {
        frames.push(f.content.expect("every frame has content"));
    }
    let mut it = frames.into_iter();
    let Some(Content::Status(status)) = it.next() else {
        panic!("the first frame must be a status");
    };
    let mut rest: Vec<Content> = it.collect();
    assert!(
        matches!(rest.pop(), Some(Content::DeliveryTimestamp(_))),
        "the last frame must be a delivery timestamp"
    );
    let messages = rest
        .into_iter()
        .map(|c| match c {
            Content::Message(m) => m,
            other => panic!("unexpected frame {other:?}"),
        })
        .collect();
    (status, messages)
}

pub async fn ack(
    client: &mut Client,
    key: &Key,
    topic: &str,
    group: &str,
    handles: &[(&str, &str)],
) -> v2::AckMessageResponse {
    let entries = handles
        .iter()
        .map(|(id, h)| v2::AckMessageEntry {
            message_id: (*id).to_owned(),
            receipt_handle: (*h).to_owned(),
            lite_topic: None,
        })
        .collect();
    client
        .ack_message(req(
            v2::AckMessageRequest {
                group: resource(group),
                topic: resource(topic),
                entries,
            },
            Some(key),
        ))
        .await
        .unwrap()
        .into_inner()
}
