//! AckMessage, ChangeInvisibleDuration and ForwardMessageToDeadLetterQueue: settle deliveries
//! by receipt handle after authorizing `mq:SUB` on topic and group. Ack answers one entry per
//! request entry (spec §0.9); ChangeInvisibleDuration returns the new handle, which replaces
//! the old one (a negative ack: the message comes back after the duration the client asks,
//! which the SDKs take from the group's backoff in their settings); a forward moves the
//! delivery to the group's dead-letter queue now.

use petrel_proto::v2;

use crate::auth::{CallMeta, authenticate};
use crate::convert;
use crate::frontend::Shared;
use crate::route::required;
use crate::status::{self, Failure, code};

fn ack_entries(
    entries: &[v2::AckMessageEntry],
    status_of: impl Fn(usize) -> v2::Status,
) -> Vec<v2::AckMessageResultEntry> {
    entries
        .iter()
        .enumerate()
        .map(|(i, e)| v2::AckMessageResultEntry {
            message_id: e.message_id.clone(),
            receipt_handle: e.receipt_handle.clone(),
            status: Some(status_of(i)),
        })
        .collect()
}

/// Handles one AckMessage request.
pub(crate) async fn ack_message(
    shared: &Shared,
    meta: &CallMeta,
    req: v2::AckMessageRequest,
) -> v2::AckMessageResponse {
    if req.entries.is_empty() {
        return v2::AckMessageResponse {
            status: Some(Failure::bad_request("the request has no entries").status()),
            entries: Vec::new(),
        };
    }
    let entries = match ack(shared, meta, &req).await {
        Ok(results) => ack_entries(&req.entries, |i| match results.get(i) {
            Some(Ok(())) => status::ok(),
            Some(Err(f)) => f.status(),
            None => Failure::internal("entry was not handled").status(),
        }),
        Err(f) => ack_entries(&req.entries, |_| f.status()),
    };
    let statuses: Vec<&v2::Status> = entries.iter().filter_map(|e| e.status.as_ref()).collect();
    v2::AckMessageResponse {
        status: Some(status::common(&statuses)),
        entries,
    }
}

async fn ack(
    shared: &Shared,
    meta: &CallMeta,
    req: &v2::AckMessageRequest,
) -> Result<Vec<Result<(), Failure>>, Failure> {
    let caller = authenticate(&shared.service, meta).await?;
    let group = required(req.group.clone(), "consumer group")?;
    let topic = required(req.topic.clone(), "topic")?;
    let sub = shared.subscribe(&caller, meta, &topic, &group).await?;
    shared
        .sessions
        .touch(&caller.account_id, &meta.client_id, None);
    let handles: Vec<&str> = req
        .entries
        .iter()
        .map(|e| e.receipt_handle.as_str())
        .collect();
    let results = shared
        .broker
        .ack_many(&sub.group_ref, &sub.topic_ref, &handles)
        .await;
    Ok(results
        .into_iter()
        .map(|r| r.map_err(|e| Failure::from_broker(&e)))
        .collect())
}

/// Handles one ChangeInvisibleDuration request.
pub(crate) async fn change_invisible_duration(
    shared: &Shared,
    meta: &CallMeta,
    req: v2::ChangeInvisibleDurationRequest,
) -> Result<v2::ChangeInvisibleDurationResponse, Failure> {
    let caller = authenticate(&shared.service, meta).await?;
    let group = required(req.group, "consumer group")?;
    let topic = required(req.topic, "topic")?;
    let duration = req
        .invisible_duration
        .as_ref()
        .and_then(convert::duration)
        .ok_or_else(|| {
            Failure::new(
                code::ILLEGAL_INVISIBLE_TIME,
                "the request needs a non-negative invisible duration",
            )
        })?;
    let sub = shared.subscribe(&caller, meta, &topic, &group).await?;
    shared
        .sessions
        .touch(&caller.account_id, &meta.client_id, None);
    let changed = shared
        .broker
        .change_invisible_duration(
            &sub.group_ref,
            &sub.topic_ref,
            &req.receipt_handle,
            duration,
        )
        .await?;
    Ok(v2::ChangeInvisibleDurationResponse {
        status: Some(status::ok()),
        receipt_handle: changed.receipt_handle,
    })
}

/// Handles one ForwardMessageToDeadLetterQueue request (push consumers send it for a FIFO
/// message whose local retries failed, and retry it until OK).
pub(crate) async fn forward_to_dead_letter_queue(
    shared: &Shared,
    meta: &CallMeta,
    req: v2::ForwardMessageToDeadLetterQueueRequest,
) -> Result<(), Failure> {
    let caller = authenticate(&shared.service, meta).await?;
    let group = required(req.group, "consumer group")?;
    let topic = required(req.topic, "topic")?;
    let sub = shared.subscribe(&caller, meta, &topic, &group).await?;
    shared
        .sessions
        .touch(&caller.account_id, &meta.client_id, None);
    shared
        .broker
        .forward_to_dead_letter_queue(&sub.group_ref, &sub.topic_ref, &req.receipt_handle)
        .await?;
    tracing::debug!(
        group = %group.name,
        topic = %topic.name,
        message_id = %req.message_id,
        delivery_attempt = req.delivery_attempt,
        max_delivery_attempts = req.max_delivery_attempts,
        "message forwarded to the dead-letter queue by its consumer"
    );
    Ok(())
}
