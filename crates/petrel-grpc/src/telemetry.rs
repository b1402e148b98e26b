//! The Telemetry stream (bidirectional; spec §0.2, §14): authenticated once when it opens,
//! then every `settings` command is answered on the same stream with
//! `TelemetryCommand{status OK, settings: <merged>}` and remembered in the client's session
//! together with the stream's sender.
//!
//! A stream whose credentials failed answers each `settings` with a status-only command
//! carrying UNAUTHORIZED (what Apache does; Node then fails its startup with that status).
//! Settings naming neither publishing nor subscription end the stream with INVALID_ARGUMENT.
//! The stream ends when the client closes it, or at server shutdown.

use std::sync::Arc;

use petrel_proto::v2;
use petrel_service::{Caller, Resource};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use v2::settings::PubSub;
use v2::telemetry_command::Command;

use crate::auth::{CallMeta, authenticate, blocking};
use crate::frontend::{Shared, stopped};
use crate::session::TelemetrySender;
use crate::settings::{self, GroupFacts};
use crate::status::{self, Failure};

/// Commands buffered towards one client.
const BUFFER: usize = 16;

/// Opens a Telemetry stream: authenticates, then serves `inbound` on a task.
pub(crate) async fn open(
    shared: Arc<Shared>,
    meta: CallMeta,
    inbound: tonic::Streaming<v2::TelemetryCommand>,
) -> ReceiverStream<Result<v2::TelemetryCommand, tonic::Status>> {
    let (tx, rx) = mpsc::channel(BUFFER);
    let auth = authenticate(&shared.service, &meta).await;
    if let Err(f) = &auth {
        tracing::debug!(client_id = %meta.client_id, reason = %f.message, "telemetry stream not authenticated");
    }
    tokio::spawn(run(shared, meta, auth, inbound, tx));
    ReceiverStream::new(rx)
}

async fn run(
    shared: Arc<Shared>,
    meta: CallMeta,
    auth: Result<Caller, Failure>,
    mut inbound: tonic::Streaming<v2::TelemetryCommand>,
    tx: TelemetrySender,
) {
    let mut stopping = shared.stopping.clone();
    loop {
        let next = tokio::select! {
            m = inbound.message() => m,
            () = stopped(&mut stopping) => break,
            () = tx.closed() => break,
        };
        let command = match next {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(status) => {
                tracing::debug!(client_id = %meta.client_id, %status, "telemetry stream ended");
                break;
            }
        };
        let Some(Command::Settings(client)) = command.command else {
            // Stack traces and verify results: nothing to do.
            continue;
        };
        let answer = match &auth {
            Ok(caller) => match settings_reply(&shared, caller, &meta, client, &tx).await {
                Some(reply) => reply,
                None => {
                    let _ = tx
                        .send(Err(tonic::Status::invalid_argument(
                            "settings name neither publishing nor subscription",
                        )))
                        .await;
                    break;
                }
            },
            Err(f) => Ok(v2::TelemetryCommand {
                status: Some(f.status()),
                command: None,
            }),
        };
        if tx.send(answer).await.is_err() {
            break;
        }
    }
    if let Ok(caller) = &auth {
        shared
            .sessions
            .detach_telemetry(&caller.account_id, &meta.client_id, &tx);
    }
}

/// The reply to one `settings` command (`None`: neither publishing nor subscription).
async fn settings_reply(
    shared: &Shared,
    caller: &Caller,
    meta: &CallMeta,
    client: v2::Settings,
    tx: &TelemetrySender,
) -> Option<Result<v2::TelemetryCommand, tonic::Status>> {
    let facts = match &client.pub_sub {
        Some(PubSub::Subscription(s)) => match group_facts(shared, caller, meta, s).await {
            Some((facts, instance)) => {
                crate::subscribers::report_settings(
                    shared,
                    &caller.account_id,
                    &instance,
                    meta,
                    &client,
                    s,
                );
                facts
            }
            None => GroupFacts::default(),
        },
        _ => GroupFacts::default(),
    };
    let reply = settings::reply(&client, &facts, shared.broker.config().max_body_bytes)?;
    shared
        .sessions
        .set_settings(&caller.account_id, &meta.client_id, reply.clone(), tx);
    Some(Ok(v2::TelemetryCommand {
        status: Some(status::ok()),
        command: Some(Command::Settings(reply)),
    }))
}

/// The consumer group's order and retry policy and its instance, when the caller may
/// subscribe as it; `None` otherwise (the reply then uses the defaults: a settings reply is
/// never refused for this, receive decides access).
async fn group_facts(
    shared: &Shared,
    caller: &Caller,
    meta: &CallMeta,
    sub: &v2::Subscription,
) -> Option<(GroupFacts, String)> {
    let group = sub.group.as_ref().filter(|g| !g.name.is_empty())?;
    let instance = match meta.namespace_or(&group.resource_namespace) {
        Some(ns) => ns.to_owned(),
        None => {
            let topic = sub
                .subscriptions
                .iter()
                .filter_map(|s| s.topic.as_ref())
                .find(|t| !t.name.is_empty());
            shared.resolve_instance(caller, &topic?.name).await.ok()?
        }
    };
    let service = shared.service.clone();
    let (caller, name) = (caller.clone(), group.name.clone());
    let found = blocking(move || {
        service.authorize(
            &caller,
            "mq:SUB",
            Resource::MqGroup {
                instance: instance.clone(),
                group: name.clone(),
            },
        )?;
        let g = service
            .catalog()
            .read(|tx| tx.get_consumer_group(&caller.account_id, &instance, &name))
            .map_err(petrel_service::ServiceError::from)?;
        Ok((GroupFacts::from(&g), instance))
    })
    .await;
    found
        .map_err(|f| {
            tracing::debug!(client_id = %meta.client_id, reason = %f.message, "consumer settings use the default group facts");
        })
        .ok()
}
