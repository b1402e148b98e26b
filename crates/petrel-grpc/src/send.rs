//! SendMessage: authorize `mq:PUB` for every message, hand each topic's messages to the broker
//! as one batch, and answer one `SendResultEntry` per message in request order (spec §0.9).
//!
//! Messages are grouped by (namespace, topic) so that a batch naming several topics is
//! authorized on each of them, never only on the first. A failure of one group fails exactly
//! its messages; the top-level status is their common code, else MULTIPLE_RESULTS.
//!
//! RecallMessage lives here too: it is the publisher's undo of a delay message (`mq:PUB` on the
//! topic, like the send), with the recall handle the send answered in its `SendResultEntry`.

use petrel_broker::{OutgoingMessage, SendReceipt};
use petrel_proto::v2;

use crate::auth::{CallMeta, authenticate, blocking, inline};
use crate::convert;
use crate::frontend::Shared;
use crate::route::required;
use crate::status::{self, Failure};

/// Messages of one (namespace, topic), with their positions in the request.
struct Batch {
    namespace: Option<String>,
    topic: String,
    messages: Vec<(usize, OutgoingMessage)>,
}

fn ok_entry(r: SendReceipt) -> v2::SendResultEntry {
    v2::SendResultEntry {
        status: Some(status::ok()),
        message_id: r.message_id,
        transaction_id: r.transaction_id.unwrap_or_default(),
        offset: i64::try_from(r.queue_offset).unwrap_or(i64::MAX),
        recall_handle: r.recall_handle.unwrap_or_default(),
    }
}

fn failed_entry(message_id: &str, f: &Failure) -> v2::SendResultEntry {
    v2::SendResultEntry {
        status: Some(f.status()),
        message_id: message_id.to_owned(),
        ..Default::default()
    }
}

fn respond(entries: Vec<v2::SendResultEntry>) -> v2::SendMessageResponse {
    let statuses: Vec<&v2::Status> = entries.iter().filter_map(|e| e.status.as_ref()).collect();
    v2::SendMessageResponse {
        status: Some(status::common(&statuses)),
        entries,
    }
}

/// Handles one SendMessage request.
pub(crate) async fn send_message(
    shared: &Shared,
    meta: &CallMeta,
    req: v2::SendMessageRequest,
) -> v2::SendMessageResponse {
    let ids: Vec<String> = req
        .messages
        .iter()
        .map(|m| {
            m.system_properties
                .as_ref()
                .map(|p| p.message_id.clone())
                .unwrap_or_default()
        })
        .collect();
    if ids.is_empty() {
        return v2::SendMessageResponse {
            status: Some(Failure::bad_request("the request carries no message").status()),
            entries: Vec::new(),
        };
    }
    let caller = match authenticate(&shared.service, meta).await {
        Ok(c) => c,
        Err(f) => return respond(ids.iter().map(|id| failed_entry(id, &f)).collect()),
    };

    let mut entries: Vec<Option<v2::SendResultEntry>> = vec![None; ids.len()];
    let mut batches: Vec<Batch> = Vec::new();
    for (i, m) in req.messages.into_iter().enumerate() {
        let topic = m.topic.clone().unwrap_or_default();
        if topic.name.trim().is_empty() {
            let f = Failure::bad_request(format!("message `{}` names no topic", ids[i]));
            entries[i] = Some(failed_entry(&ids[i], &f));
            continue;
        }
        let namespace = meta
            .namespace_or(&topic.resource_namespace)
            .map(str::to_owned);
        let outgoing = match convert::outgoing(m) {
            Ok(o) => o,
            Err(f) => {
                entries[i] = Some(failed_entry(&ids[i], &f));
                continue;
            }
        };
        match batches
            .iter_mut()
            .find(|b| b.namespace == namespace && b.topic == topic.name)
        {
            Some(b) => b.messages.push((i, outgoing)),
            None => batches.push(Batch {
                namespace,
                topic: topic.name,
                messages: vec![(i, outgoing)],
            }),
        }
    }

    for batch in batches {
        let positions: Vec<usize> = batch.messages.iter().map(|(i, _)| *i).collect();
        match send_batch(shared, &caller, batch).await {
            Ok(receipts) => {
                for (i, r) in positions.into_iter().zip(receipts) {
                    entries[i] = Some(ok_entry(r));
                }
            }
            Err(f) => {
                for i in positions {
                    entries[i] = Some(failed_entry(&ids[i], &f));
                }
            }
        }
    }
    respond(
        entries
            .into_iter()
            .zip(&ids)
            .map(|(e, id)| {
                e.unwrap_or_else(|| failed_entry(id, &Failure::internal("message was not handled")))
            })
            .collect(),
    )
}

/// Authorizes and sends the messages of one topic.
async fn send_batch(
    shared: &Shared,
    caller: &petrel_service::Caller,
    batch: Batch,
) -> Result<Vec<SendReceipt>, Failure> {
    let instance = match batch.namespace {
        Some(ns) => ns,
        None => shared.resolve_instance(caller, &batch.topic).await?,
    };
    let data = inline(|| {
        Ok(shared
            .service
            .authorize_publish(caller, &instance, &batch.topic)?)
    })?;
    let topic = Shared::topic_ref(caller, &instance, &data.topic)?;
    let count = batch.messages.len();
    let messages = batch.messages.into_iter().map(|(_, m)| m).collect();
    let receipts = shared.broker.send(&topic, messages).await?;
    if receipts.len() != count {
        return Err(Failure::internal(format!(
            "the broker answered {} receipts for {count} messages",
            receipts.len()
        )));
    }
    Ok(receipts)
}

/// Handles one RecallMessage request: the recalled message's id.
pub(crate) async fn recall_message(
    shared: &Shared,
    meta: &CallMeta,
    req: v2::RecallMessageRequest,
) -> Result<String, Failure> {
    let caller = authenticate(&shared.service, meta).await?;
    let topic = required(req.topic, "topic")?;
    let instance = shared
        .instance(&caller, meta, &topic.resource_namespace, &topic.name)
        .await?;
    let service = shared.service.clone();
    let (c, i, t) = (caller.clone(), instance.clone(), topic.name.clone());
    let data = blocking(move || Ok(service.authorize_publish(&c, &i, &t)?)).await?;
    let topic_ref = Shared::topic_ref(&caller, &instance, &data.topic)?;
    if req.recall_handle.trim().is_empty() {
        return Err(Failure::bad_request(format!(
            "the recall of topic `{}` names no recall handle",
            topic.name
        )));
    }
    Ok(shared.broker.recall(&topic_ref, &req.recall_handle).await?)
}
