//! The `MessagingService` implementation: reads each call's metadata, hands the request to its
//! module, and wraps failures into the response's `status` (gRPC status OK; spec §0.10).
//! Also the state every handler shares and the lookups they have in common (which instance a
//! client means, subscribe authorization).

use std::sync::Arc;

use petrel_broker::{Broker, GroupRef, TopicRef, TopicSpec};
use petrel_proto::v2;
use petrel_proto::v2::messaging_service_server::MessagingService;
use petrel_service::{Caller, Service, ServiceError};
use tokio::sync::watch;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use crate::auth::{CallMeta, authenticate, blocking};
use crate::session::Sessions;
use crate::status::{self, Failure, code};
use crate::{ack, receive, route, send, telemetry, transaction};

/// What every handler works with.
#[derive(Debug)]
pub(crate) struct Shared {
    pub service: Arc<Service>,
    pub broker: Arc<Broker>,
    pub sessions: Sessions,
    /// Turns true when the server shuts down.
    pub stopping: watch::Receiver<bool>,
}

/// Resolves once `rx` says the server is stopping (or its sender is gone).
pub(crate) async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

/// A topic and group a caller may consume, resolved and authorized.
#[derive(Debug)]
pub(crate) struct Subscribed {
    /// The topic's catalogue entry.
    pub topic: petrel_meta::Topic,
    /// The broker's reference to the topic.
    pub topic_ref: TopicRef,
    /// The broker's reference to the group.
    pub group_ref: GroupRef,
    /// The group's catalogue entry (delivery order, retry policy).
    pub group: petrel_meta::ConsumerGroup,
}

impl Shared {
    /// The instance of the caller's account that holds `topic` (no namespace was sent). An
    /// account that has not activated the service has no topic anywhere: it is told to
    /// activate rather than that the topic is missing.
    pub async fn resolve_instance(&self, caller: &Caller, topic: &str) -> Result<String, Failure> {
        let service = self.service.clone();
        let (caller, topic) = (caller.clone(), topic.to_owned());
        blocking(
            move || match service.resolve_instance(&caller, None, &topic) {
                Ok(instance) => Ok(instance),
                Err(e) => {
                    if !service.is_activated(&caller)? {
                        return Err(ServiceError::NotActivated {
                            account: caller.account_id.clone(),
                            action: "mq:*".to_owned(),
                        }
                        .into());
                    }
                    Err(e.into())
                }
            },
        )
        .await
    }

    /// The instance a call means: its namespace header, else the resource's namespace, else
    /// the one instance holding `topic`.
    pub async fn instance(
        &self,
        caller: &Caller,
        meta: &CallMeta,
        resource_namespace: &str,
        topic: &str,
    ) -> Result<String, Failure> {
        match meta.namespace_or(resource_namespace) {
            Some(ns) => Ok(ns.to_owned()),
            None => self.resolve_instance(caller, topic).await,
        }
    }

    /// The broker's reference to a catalogue topic.
    pub fn topic_ref(
        caller: &Caller,
        instance: &str,
        topic: &petrel_meta::Topic,
    ) -> Result<TopicRef, Failure> {
        let spec = TopicSpec {
            message_type: topic.message_type,
            queue_count: topic.queue_count,
        };
        Ok(TopicRef::new(
            &caller.account_id,
            instance,
            &topic.name,
            spec,
        )?)
    }

    /// Authorizes consuming `topic` as `group` (`mq:SUB` on both) and resolves both.
    pub async fn subscribe(
        &self,
        caller: &Caller,
        meta: &CallMeta,
        topic: &v2::Resource,
        group: &v2::Resource,
    ) -> Result<Subscribed, Failure> {
        let namespace = meta
            .namespace_or(&group.resource_namespace)
            .or(Some(topic.resource_namespace.as_str()).filter(|n| !n.is_empty()));
        let instance = match namespace {
            Some(ns) => ns.to_owned(),
            None => self.resolve_instance(caller, &topic.name).await?,
        };
        let service = self.service.clone();
        let (c, i, t, g) = (
            caller.clone(),
            instance.clone(),
            topic.name.clone(),
            group.name.clone(),
        );
        let (data, group) =
            blocking(move || Ok(service.authorize_subscribe(&c, &i, &t, &g)?)).await?;
        let topic_ref = Self::topic_ref(caller, &instance, &data.topic)?;
        let group_ref = GroupRef::new(&caller.account_id, &instance, &group.group_id)?;
        Ok(Subscribed {
            topic: data.topic,
            topic_ref,
            group_ref,
            group,
        })
    }

    /// What delivered messages report as their store host.
    pub fn store_host(&self, meta: &CallMeta) -> String {
        meta.local
            .map_or_else(|| route::BROKER_NAME.to_owned(), |a| a.to_string())
    }

    /// Authenticates a call the server does not implement, then refuses it with `code`.
    async fn refuse(&self, meta: &CallMeta, code: i32, what: &str) -> v2::Status {
        match authenticate(&self.service, meta).await {
            Ok(_) => Failure::new(code, format!("{what} is not supported by Petrel yet")).status(),
            Err(f) => f.status(),
        }
    }
}

/// The RocketMQ v2 `MessagingService` of Petrel.
#[derive(Debug, Clone)]
pub struct Frontend {
    pub(crate) shared: Arc<Shared>,
}

fn reply<T>(message: T) -> Result<Response<T>, Status> {
    Ok(Response::new(message))
}

type Frames<T> = tokio_stream::Iter<std::vec::IntoIter<Result<T, Status>>>;

fn frames<T>(items: Vec<T>) -> Frames<T> {
    tokio_stream::iter(items.into_iter().map(Ok).collect::<Vec<_>>())
}

#[tonic::async_trait]
impl MessagingService for Frontend {
    async fn query_route(
        &self,
        request: Request<v2::QueryRouteRequest>,
    ) -> Result<Response<v2::QueryRouteResponse>, Status> {
        let meta = CallMeta::of(&request);
        let r = route::query_route(&self.shared, &meta, request.into_inner()).await;
        reply(r.unwrap_or_else(|f| v2::QueryRouteResponse {
            status: Some(f.status()),
            message_queues: Vec::new(),
        }))
    }

    async fn heartbeat(
        &self,
        request: Request<v2::HeartbeatRequest>,
    ) -> Result<Response<v2::HeartbeatResponse>, Status> {
        let meta = CallMeta::of(&request);
        let status = match authenticate(&self.shared.service, &meta).await {
            Ok(caller) => {
                let client_type = request.get_ref().client_type;
                self.shared
                    .sessions
                    .touch(&caller.account_id, &meta.client_id, Some(client_type));
                self.shared
                    .broker
                    .subscriptions()
                    .heartbeat(&caller.account_id, &meta.client_id);
                status::ok()
            }
            Err(f) => f.status(),
        };
        reply(v2::HeartbeatResponse {
            status: Some(status),
        })
    }

    async fn send_message(
        &self,
        request: Request<v2::SendMessageRequest>,
    ) -> Result<Response<v2::SendMessageResponse>, Status> {
        let meta = CallMeta::of(&request);
        reply(send::send_message(&self.shared, &meta, request.into_inner()).await)
    }

    async fn query_assignment(
        &self,
        request: Request<v2::QueryAssignmentRequest>,
    ) -> Result<Response<v2::QueryAssignmentResponse>, Status> {
        let meta = CallMeta::of(&request);
        let r = route::query_assignment(&self.shared, &meta, request.into_inner()).await;
        reply(r.unwrap_or_else(|f| v2::QueryAssignmentResponse {
            status: Some(f.status()),
            assignments: Vec::new(),
        }))
    }

    type ReceiveMessageStream = Frames<v2::ReceiveMessageResponse>;

    async fn receive_message(
        &self,
        request: Request<v2::ReceiveMessageRequest>,
    ) -> Result<Response<Self::ReceiveMessageStream>, Status> {
        let meta = CallMeta::of(&request);
        let out = receive::receive_message(&self.shared, &meta, request.into_inner()).await;
        reply(frames(out))
    }

    async fn ack_message(
        &self,
        request: Request<v2::AckMessageRequest>,
    ) -> Result<Response<v2::AckMessageResponse>, Status> {
        let meta = CallMeta::of(&request);
        reply(ack::ack_message(&self.shared, &meta, request.into_inner()).await)
    }

    async fn forward_message_to_dead_letter_queue(
        &self,
        request: Request<v2::ForwardMessageToDeadLetterQueueRequest>,
    ) -> Result<Response<v2::ForwardMessageToDeadLetterQueueResponse>, Status> {
        let meta = CallMeta::of(&request);
        let r = ack::forward_to_dead_letter_queue(&self.shared, &meta, request.into_inner()).await;
        reply(v2::ForwardMessageToDeadLetterQueueResponse {
            status: Some(r.map_or_else(|f| f.status(), |()| status::ok())),
        })
    }

    type PullMessageStream = Frames<v2::PullMessageResponse>;

    async fn pull_message(
        &self,
        request: Request<v2::PullMessageRequest>,
    ) -> Result<Response<Self::PullMessageStream>, Status> {
        let meta = CallMeta::of(&request);
        let status = self
            .shared
            .refuse(&meta, code::NOT_IMPLEMENTED, "PullMessage")
            .await;
        reply(frames(vec![v2::PullMessageResponse {
            content: Some(v2::pull_message_response::Content::Status(status)),
        }]))
    }

    async fn update_offset(
        &self,
        request: Request<v2::UpdateOffsetRequest>,
    ) -> Result<Response<v2::UpdateOffsetResponse>, Status> {
        let meta = CallMeta::of(&request);
        let status = self
            .shared
            .refuse(&meta, code::NOT_IMPLEMENTED, "UpdateOffset")
            .await;
        reply(v2::UpdateOffsetResponse {
            status: Some(status),
        })
    }

    async fn get_offset(
        &self,
        request: Request<v2::GetOffsetRequest>,
    ) -> Result<Response<v2::GetOffsetResponse>, Status> {
        let meta = CallMeta::of(&request);
        let status = self
            .shared
            .refuse(&meta, code::NOT_IMPLEMENTED, "GetOffset")
            .await;
        reply(v2::GetOffsetResponse {
            status: Some(status),
            offset: 0,
        })
    }

    async fn query_offset(
        &self,
        request: Request<v2::QueryOffsetRequest>,
    ) -> Result<Response<v2::QueryOffsetResponse>, Status> {
        let meta = CallMeta::of(&request);
        let status = self
            .shared
            .refuse(&meta, code::NOT_IMPLEMENTED, "QueryOffset")
            .await;
        reply(v2::QueryOffsetResponse {
            status: Some(status),
            offset: 0,
        })
    }

    async fn end_transaction(
        &self,
        request: Request<v2::EndTransactionRequest>,
    ) -> Result<Response<v2::EndTransactionResponse>, Status> {
        let meta = CallMeta::of(&request);
        let r = transaction::end_transaction(&self.shared, &meta, request.into_inner()).await;
        reply(v2::EndTransactionResponse {
            status: Some(r.map_or_else(|f| f.status(), |()| status::ok())),
        })
    }

    type TelemetryStream = ReceiverStream<Result<v2::TelemetryCommand, Status>>;

    async fn telemetry(
        &self,
        request: Request<tonic::Streaming<v2::TelemetryCommand>>,
    ) -> Result<Response<Self::TelemetryStream>, Status> {
        let meta = CallMeta::of(&request);
        let stream = telemetry::open(self.shared.clone(), meta, request.into_inner()).await;
        reply(stream)
    }

    async fn notify_client_termination(
        &self,
        request: Request<v2::NotifyClientTerminationRequest>,
    ) -> Result<Response<v2::NotifyClientTerminationResponse>, Status> {
        let meta = CallMeta::of(&request);
        let status = match authenticate(&self.shared.service, &meta).await {
            Ok(caller) => {
                self.shared
                    .sessions
                    .remove(&caller.account_id, &meta.client_id);
                self.shared
                    .broker
                    .subscriptions()
                    .client_gone(&caller.account_id, &meta.client_id);
                status::ok()
            }
            Err(f) => f.status(),
        };
        reply(v2::NotifyClientTerminationResponse {
            status: Some(status),
        })
    }

    async fn change_invisible_duration(
        &self,
        request: Request<v2::ChangeInvisibleDurationRequest>,
    ) -> Result<Response<v2::ChangeInvisibleDurationResponse>, Status> {
        let meta = CallMeta::of(&request);
        let r = ack::change_invisible_duration(&self.shared, &meta, request.into_inner()).await;
        reply(r.unwrap_or_else(|f| v2::ChangeInvisibleDurationResponse {
            status: Some(f.status()),
            receipt_handle: String::new(),
        }))
    }

    async fn recall_message(
        &self,
        request: Request<v2::RecallMessageRequest>,
    ) -> Result<Response<v2::RecallMessageResponse>, Status> {
        let meta = CallMeta::of(&request);
        let r = send::recall_message(&self.shared, &meta, request.into_inner()).await;
        reply(match r {
            Ok(message_id) => v2::RecallMessageResponse {
                status: Some(status::ok()),
                message_id,
            },
            Err(f) => v2::RecallMessageResponse {
                status: Some(f.status()),
                message_id: String::new(),
            },
        })
    }

    async fn sync_lite_subscription(
        &self,
        request: Request<v2::SyncLiteSubscriptionRequest>,
    ) -> Result<Response<v2::SyncLiteSubscriptionResponse>, Status> {
        let meta = CallMeta::of(&request);
        let status = self
            .shared
            .refuse(&meta, code::UNSUPPORTED, "lite topics")
            .await;
        reply(v2::SyncLiteSubscriptionResponse {
            status: Some(status),
        })
    }
}
