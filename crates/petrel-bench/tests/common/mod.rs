//! A real Petrel gRPC server in-process — catalogue, message log and broker over a temporary
//! data dir, `petrel_grpc::serve` on 127.0.0.1:0 — with an activated account, an instance, a
//! topic and a group, for the bench to run against.

#![allow(dead_code, reason = "each test binary uses part of the fixtures")]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use petrel_bench::{BenchConfig, Credentials, Limit};
use petrel_broker::{Broker, BrokerConfig, GroupRef, TopicRef, TopicSpec};
use petrel_meta::{
    AuditSource, CatalogOptions, DeliveryOrder, NewConsumerGroup, NewInstance, NewTopic, NewUser,
    PolicyRef, Principal, RetryPolicy, Scope,
};
use petrel_model::MessageType;
use petrel_service::{AttachRequest, Caller, RequestContext, Service, ServiceConfig};
use petrel_store::{Store, StoreConfig};
use tokio::sync::oneshot;

pub const INSTANCE: &str = "bench";
pub const TOPIC: &str = "t-bench";
pub const GROUP: &str = "GID_bench";
pub const QUEUES: u32 = 4;

/// A running server with its data dir.
pub struct Server {
    pub service: Arc<Service>,
    pub broker: Arc<Broker>,
    pub addr: SocketAddr,
    pub account: String,
    pub key: Credentials,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), petrel_grpc::GrpcError>>>,
    _dir: tempfile::TempDir,
}

impl Server {
    /// A server whose account is activated, with instance `bench`, NORMAL topic `t-bench` (4
    /// queues) and group `GID_bench`; `key` is the root AccessKey.
    pub async fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let catalog = petrel_meta::Catalog::open(dir.path(), CatalogOptions::for_tests()).unwrap();
        let service = Arc::new(Service::new(
            catalog,
            ServiceConfig {
                region: "cn-hangzhou".to_owned(),
            },
        ));
        let creds = service.bootstrap().unwrap().expect("a first account");
        let store = Arc::new(Store::open(dir.path(), StoreConfig::for_tests()).unwrap());
        let broker = Arc::new(Broker::open(store, BrokerConfig::for_tests()).unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(petrel_grpc::serve(
            listener,
            service.clone(),
            broker.clone(),
            petrel_grpc::GrpcConfig::default(),
            async move {
                let _ = stopped.await;
            },
        ));
        let server = Server {
            service,
            broker,
            addr,
            account: creds.account_id,
            key: Credentials {
                access_key_id: creds.access_key_id,
                access_key_secret: creds.access_key_secret,
            },
            stop: Some(stop),
            task: Some(task),
            _dir: dir,
        };
        let root = server.root();
        server.service.activate(&root).unwrap();
        server
            .service
            .create_instance(
                &root,
                NewInstance {
                    id: Some(INSTANCE.to_owned()),
                    name: INSTANCE.to_owned(),
                    resource_group_id: None,
                    remark: None,
                },
            )
            .unwrap();
        server.create_topic(TOPIC, MessageType::Normal);
        server
            .service
            .create_consumer_group(
                &root,
                INSTANCE,
                NewConsumerGroup {
                    group_id: GROUP.to_owned(),
                    delivery_order: DeliveryOrder::Concurrently,
                    retry_policy: RetryPolicy::default(),
                    remark: None,
                },
            )
            .unwrap();
        server
    }

    pub fn root(&self) -> Caller {
        self.service
            .local_root(&self.account, RequestContext::new(AuditSource::Internal))
            .unwrap()
    }

    pub fn create_topic(&self, name: &str, message_type: MessageType) {
        self.service
            .create_topic(
                &self.root(),
                INSTANCE,
                NewTopic {
                    name: name.to_owned(),
                    message_type,
                    queue_count: Some(QUEUES),
                    remark: None,
                },
            )
            .unwrap();
    }

    /// A consumer group delivering in `order`.
    pub fn create_group(&self, group_id: &str, delivery_order: DeliveryOrder) {
        self.service
            .create_consumer_group(
                &self.root(),
                INSTANCE,
                NewConsumerGroup {
                    group_id: group_id.to_owned(),
                    delivery_order,
                    retry_policy: RetryPolicy::default(),
                    remark: None,
                },
            )
            .unwrap();
    }

    /// A RAM user holding the system policies `policies`, and an AccessKey of it.
    pub fn user_key(&self, name: &str, policies: &[&str]) -> Credentials {
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
        self.service
            .attach(
                &root,
                &AttachRequest {
                    principals: vec![Principal::User(name.to_owned())],
                    policies: policies.iter().map(|p| PolicyRef::system(p)).collect(),
                    scope: Scope::Account,
                    confirm_high_risk: true,
                },
            )
            .unwrap();
        let key = self.service.create_access_key(&root, Some(name)).unwrap();
        Credentials {
            access_key_id: key.id,
            access_key_secret: key.secret.expose().to_owned(),
        }
    }

    /// A run against this server as the root key, in namespace `bench`, on `t-bench`.
    pub fn config(&self, limit: Limit) -> BenchConfig {
        let mut config = BenchConfig::new(self.addr.to_string(), self.key.clone(), TOPIC, limit);
        config.namespace = Some(INSTANCE.to_owned());
        config.group = Some(GROUP.to_owned());
        config
    }

    /// The broker's view of `GID_bench` on `t-bench`: (messages stored, consume offsets
    /// summed, ready, in flight).
    pub fn group_stats(&self) -> (u64, u64, u64, u64) {
        let spec = TopicSpec {
            message_type: MessageType::Normal,
            queue_count: QUEUES,
        };
        let topic = TopicRef::new(&self.account, INSTANCE, TOPIC, spec).unwrap();
        let group = GroupRef::new(&self.account, INSTANCE, GROUP).unwrap();
        let stats = self.broker.group_topic_stats(&group, &topic).unwrap();
        let stored = stats
            .queues
            .iter()
            .map(|q| q.max_offset - q.min_offset)
            .sum();
        let consumed = stats
            .queues
            .iter()
            .map(|q| q.consume_offset - q.min_offset)
            .sum();
        (stored, consumed, stats.ready, stats.inflight)
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(15), task)
                .await
                .expect("the server stops in time")
                .unwrap()
                .unwrap();
        }
        self.broker.close().await.unwrap();
    }
}
