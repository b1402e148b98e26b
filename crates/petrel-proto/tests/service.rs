//! The generated server and client talking over a real HTTP/2 connection on 127.0.0.1: every RPC
//! is reachable at its literal full gRPC path, and the typed client drives the unary, the
//! server-streaming and the bidirectional shapes.

use std::net::SocketAddr;
use std::pin::Pin;

use petrel_proto::v2::messaging_service_client::MessagingServiceClient;
use petrel_proto::v2::messaging_service_server::{MessagingService, MessagingServiceServer};
use petrel_proto::v2::{
    self, Code, Message, ReceiveMessageRequest, ReceiveMessageResponse, SendMessageRequest,
    SendMessageResponse, SendResultEntry, Settings, Status, SystemProperties, TelemetryCommand,
    receive_message_response, telemetry_command,
};
use tokio_stream::{Stream, StreamExt as _};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Server};
use tonic::{Request, Response, Streaming};

type TestResult = Result<(), Box<dyn std::error::Error>>;
type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, tonic::Status>> + Send + 'static>>;

/// Header that makes every handler answer `ABORTED` with its own method name.
const PROBE: &str = "x-petrel-probe";

const METHODS: [&str; 17] = [
    "QueryRoute",
    "Heartbeat",
    "SendMessage",
    "QueryAssignment",
    "ReceiveMessage",
    "AckMessage",
    "ForwardMessageToDeadLetterQueue",
    "PullMessage",
    "UpdateOffset",
    "GetOffset",
    "QueryOffset",
    "EndTransaction",
    "Telemetry",
    "NotifyClientTermination",
    "ChangeInvisibleDuration",
    "RecallMessage",
    "SyncLiteSubscription",
];

struct Probe;

fn probe<T>(request: &Request<T>, method: &str) -> Result<(), tonic::Status> {
    if request.metadata().contains_key(PROBE) {
        Err(tonic::Status::aborted(method))
    } else {
        Ok(())
    }
}

fn ok() -> Option<Status> {
    Some(Status {
        code: Code::Ok.into(),
        message: "OK".to_owned(),
    })
}

fn unused(method: &str) -> tonic::Status {
    tonic::Status::unimplemented(format!("{method} is not exercised by this test"))
}

#[tonic::async_trait]
impl MessagingService for Probe {
    type ReceiveMessageStream = BoxStream<ReceiveMessageResponse>;
    type PullMessageStream = BoxStream<v2::PullMessageResponse>;
    type TelemetryStream = BoxStream<TelemetryCommand>;

    async fn query_route(
        &self,
        request: Request<v2::QueryRouteRequest>,
    ) -> Result<Response<v2::QueryRouteResponse>, tonic::Status> {
        probe(&request, "QueryRoute")?;
        Err(unused("QueryRoute"))
    }

    async fn heartbeat(
        &self,
        request: Request<v2::HeartbeatRequest>,
    ) -> Result<Response<v2::HeartbeatResponse>, tonic::Status> {
        probe(&request, "Heartbeat")?;
        Err(unused("Heartbeat"))
    }

    async fn send_message(
        &self,
        request: Request<SendMessageRequest>,
    ) -> Result<Response<SendMessageResponse>, tonic::Status> {
        probe(&request, "SendMessage")?;
        let entries = request
            .into_inner()
            .messages
            .into_iter()
            .map(|m| SendResultEntry {
                status: ok(),
                message_id: m
                    .system_properties
                    .map(|p| p.message_id)
                    .unwrap_or_default(),
                ..Default::default()
            })
            .collect();
        Ok(Response::new(SendMessageResponse {
            status: ok(),
            entries,
        }))
    }

    async fn query_assignment(
        &self,
        request: Request<v2::QueryAssignmentRequest>,
    ) -> Result<Response<v2::QueryAssignmentResponse>, tonic::Status> {
        probe(&request, "QueryAssignment")?;
        Err(unused("QueryAssignment"))
    }

    async fn receive_message(
        &self,
        request: Request<ReceiveMessageRequest>,
    ) -> Result<Response<Self::ReceiveMessageStream>, tonic::Status> {
        probe(&request, "ReceiveMessage")?;
        use receive_message_response::Content;
        // Spec §8 framing: status, the messages, then a delivery timestamp.
        let frames = [
            Content::Status(Status {
                code: Code::Ok.into(),
                message: "OK".to_owned(),
            }),
            Content::Message(Message {
                topic: Some(v2::Resource {
                    resource_namespace: String::new(),
                    name: "t".to_owned(),
                }),
                system_properties: Some(SystemProperties {
                    message_id: "m1".to_owned(),
                    receipt_handle: Some("h1".to_owned()),
                    delivery_attempt: Some(1),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            Content::DeliveryTimestamp(prost_types::Timestamp {
                seconds: 1,
                nanos: 0,
            }),
        ]
        .map(|content| {
            Ok(ReceiveMessageResponse {
                content: Some(content),
            })
        });
        Ok(Response::new(Box::pin(tokio_stream::iter(frames))))
    }

    async fn ack_message(
        &self,
        request: Request<v2::AckMessageRequest>,
    ) -> Result<Response<v2::AckMessageResponse>, tonic::Status> {
        probe(&request, "AckMessage")?;
        Err(unused("AckMessage"))
    }

    async fn forward_message_to_dead_letter_queue(
        &self,
        request: Request<v2::ForwardMessageToDeadLetterQueueRequest>,
    ) -> Result<Response<v2::ForwardMessageToDeadLetterQueueResponse>, tonic::Status> {
        probe(&request, "ForwardMessageToDeadLetterQueue")?;
        Err(unused("ForwardMessageToDeadLetterQueue"))
    }

    async fn pull_message(
        &self,
        request: Request<v2::PullMessageRequest>,
    ) -> Result<Response<Self::PullMessageStream>, tonic::Status> {
        probe(&request, "PullMessage")?;
        Err(unused("PullMessage"))
    }

    async fn update_offset(
        &self,
        request: Request<v2::UpdateOffsetRequest>,
    ) -> Result<Response<v2::UpdateOffsetResponse>, tonic::Status> {
        probe(&request, "UpdateOffset")?;
        Err(unused("UpdateOffset"))
    }

    async fn get_offset(
        &self,
        request: Request<v2::GetOffsetRequest>,
    ) -> Result<Response<v2::GetOffsetResponse>, tonic::Status> {
        probe(&request, "GetOffset")?;
        Err(unused("GetOffset"))
    }

    async fn query_offset(
        &self,
        request: Request<v2::QueryOffsetRequest>,
    ) -> Result<Response<v2::QueryOffsetResponse>, tonic::Status> {
        probe(&request, "QueryOffset")?;
        Err(unused("QueryOffset"))
    }

    async fn end_transaction(
        &self,
        request: Request<v2::EndTransactionRequest>,
    ) -> Result<Response<v2::EndTransactionResponse>, tonic::Status> {
        probe(&request, "EndTransaction")?;
        Err(unused("EndTransaction"))
    }

    async fn telemetry(
        &self,
        request: Request<Streaming<TelemetryCommand>>,
    ) -> Result<Response<Self::TelemetryStream>, tonic::Status> {
        probe(&request, "Telemetry")?;
        // Answer every settings command with {status: OK, settings} on the same stream (§0.2).
        let replies = request.into_inner().filter_map(|command| match command {
            Ok(TelemetryCommand {
                command: Some(telemetry_command::Command::Settings(settings)),
                ..
            }) => Some(Ok(TelemetryCommand {
                status: ok(),
                command: Some(telemetry_command::Command::Settings(settings)),
            })),
            Ok(_) => None,
            Err(status) => Some(Err(status)),
        });
        Ok(Response::new(Box::pin(replies)))
    }

    async fn notify_client_termination(
        &self,
        request: Request<v2::NotifyClientTerminationRequest>,
    ) -> Result<Response<v2::NotifyClientTerminationResponse>, tonic::Status> {
        probe(&request, "NotifyClientTermination")?;
        Err(unused("NotifyClientTermination"))
    }

    async fn change_invisible_duration(
        &self,
        request: Request<v2::ChangeInvisibleDurationRequest>,
    ) -> Result<Response<v2::ChangeInvisibleDurationResponse>, tonic::Status> {
        probe(&request, "ChangeInvisibleDuration")?;
        Err(unused("ChangeInvisibleDuration"))
    }

    async fn recall_message(
        &self,
        request: Request<v2::RecallMessageRequest>,
    ) -> Result<Response<v2::RecallMessageResponse>, tonic::Status> {
        probe(&request, "RecallMessage")?;
        Err(unused("RecallMessage"))
    }

    async fn sync_lite_subscription(
        &self,
        request: Request<v2::SyncLiteSubscriptionRequest>,
    ) -> Result<Response<v2::SyncLiteSubscriptionResponse>, tonic::Status> {
        probe(&request, "SyncLiteSubscription")?;
        Err(unused("SyncLiteSubscription"))
    }
}

/// Serves `Probe` on an ephemeral loopback port and returns a connected channel.
async fn start() -> Result<Channel, Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let addr = listener.local_addr()?;
    let server = Server::builder()
        .add_service(MessagingServiceServer::new(Probe))
        .serve_with_incoming(TcpIncoming::from(listener));
    tokio::spawn(server);
    Ok(Channel::from_shared(format!("http://{addr}"))?
        .connect()
        .await?)
}

/// Calls `path` with one empty message, shaped as a bidirectional call (the gRPC framing is the
/// same for every method kind), and returns the resulting status.
async fn call_raw(channel: &Channel, path: &'static str) -> Result<tonic::Status, String> {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready().await.map_err(|e| e.to_string())?;
    let mut request = Request::new(tokio_stream::once(()));
    request
        .metadata_mut()
        .insert(PROBE, tonic::metadata::MetadataValue::from_static("1"));
    let codec = tonic_prost::ProstCodec::<(), ()>::default();
    match grpc
        .streaming(request, PathAndQuery::from_static(path), codec)
        .await
    {
        Ok(_) => Err(format!("{path}: the probe must not succeed")),
        Err(status) => Ok(status),
    }
}

#[tokio::test]
async fn every_rpc_is_served_at_its_literal_full_path() -> TestResult {
    let channel = start().await?;
    let paths: [&'static str; 17] = [
        "/apache.rocketmq.v2.MessagingService/QueryRoute",
        "/apache.rocketmq.v2.MessagingService/Heartbeat",
        "/apache.rocketmq.v2.MessagingService/SendMessage",
        "/apache.rocketmq.v2.MessagingService/QueryAssignment",
        "/apache.rocketmq.v2.MessagingService/ReceiveMessage",
        "/apache.rocketmq.v2.MessagingService/AckMessage",
        "/apache.rocketmq.v2.MessagingService/ForwardMessageToDeadLetterQueue",
        "/apache.rocketmq.v2.MessagingService/PullMessage",
        "/apache.rocketmq.v2.MessagingService/UpdateOffset",
        "/apache.rocketmq.v2.MessagingService/GetOffset",
        "/apache.rocketmq.v2.MessagingService/QueryOffset",
        "/apache.rocketmq.v2.MessagingService/EndTransaction",
        "/apache.rocketmq.v2.MessagingService/Telemetry",
        "/apache.rocketmq.v2.MessagingService/NotifyClientTermination",
        "/apache.rocketmq.v2.MessagingService/ChangeInvisibleDuration",
        "/apache.rocketmq.v2.MessagingService/RecallMessage",
        "/apache.rocketmq.v2.MessagingService/SyncLiteSubscription",
    ];
    for (path, method) in paths.into_iter().zip(METHODS) {
        let status = call_raw(&channel, path).await?;
        assert_eq!(
            (status.code(), status.message()),
            (tonic::Code::Aborted, method),
            "{path}"
        );
    }
    let unknown = call_raw(&channel, "/apache.rocketmq.v2.MessagingService/Nope").await?;
    assert_eq!(unknown.code(), tonic::Code::Unimplemented);
    Ok(())
}

#[tokio::test]
async fn client_sends_and_gets_one_entry_per_message() -> TestResult {
    let mut client = MessagingServiceClient::new(start().await?);
    let messages = ["a", "b"]
        .map(|id| Message {
            system_properties: Some(SystemProperties {
                message_id: id.to_owned(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .to_vec();
    let response = client
        .send_message(SendMessageRequest { messages })
        .await?
        .into_inner();
    assert_eq!(response.status.map(|s| s.code()), Some(Code::Ok));
    let ids: Vec<&str> = response
        .entries
        .iter()
        .map(|e| e.message_id.as_str())
        .collect();
    assert_eq!(ids, ["a", "b"]);
    Ok(())
}

#[tokio::test]
async fn client_reads_receive_frames_in_order() -> TestResult {
    let mut client = MessagingServiceClient::new(start().await?);
    let mut stream = client
        .receive_message(ReceiveMessageRequest::default())
        .await?
        .into_inner();
    let mut shapes = Vec::new();
    while let Some(frame) = stream.message().await? {
        shapes.push(match frame.content {
            Some(receive_message_response::Content::Status(s)) => format!("status {}", s.code),
            Some(receive_message_response::Content::Message(m)) => format!(
                "message {}",
                m.system_properties
                    .map(|p| p.message_id)
                    .unwrap_or_default()
            ),
            Some(receive_message_response::Content::DeliveryTimestamp(t)) => {
                format!("delivery_timestamp {}", t.seconds)
            }
            None => "empty".to_owned(),
        });
    }
    assert_eq!(
        shapes,
        ["status 20000", "message m1", "delivery_timestamp 1"]
    );
    Ok(())
}

#[tokio::test]
async fn telemetry_answers_settings_on_the_same_stream() -> TestResult {
    let mut client = MessagingServiceClient::new(start().await?);
    let settings = Settings {
        client_type: Some(v2::ClientType::Producer.into()),
        ..Default::default()
    };
    let outbound = tokio_stream::once(TelemetryCommand {
        status: None,
        command: Some(telemetry_command::Command::Settings(settings.clone())),
    });
    let mut inbound = client.telemetry(outbound).await?.into_inner();
    let reply = inbound.message().await?;
    assert_eq!(
        reply,
        Some(TelemetryCommand {
            status: ok(),
            command: Some(telemetry_command::Command::Settings(settings)),
        })
    );
    Ok(())
}
