//! ReceiveMessage (server streaming, POP semantics; spec §8): authorize `mq:SUB` on topic and
//! group, long-poll the broker, and frame the answer as every client expects — one `status`
//! frame (OK, MESSAGE_NOT_FOUND or the error), one frame per message, then a
//! `delivery_timestamp` frame.
//!
//! The poll always ends before the client's deadline: the Rust client sets its deadline equal
//! to its long-polling time (40 s), so the wait is
//! `min(clamp(requested, 5 s, 20 s), remaining deadline − 500 ms)`.
//!
//! Every receive reads all queues of the topic (Apache pops non-FIFO groups from any queue);
//! the client's queue id only has to be valid — except for push consumers of an Orderly group
//! on a FIFO topic, which are assigned real queues (see `route`) and read only theirs. Push
//! consumers send no invisible duration and `auto_renew`; they get [`DEFAULT_INVISIBLE`].
//!
//! Retries follow the group's catalogue policy: its max attempts for everyone; its backoff
//! after an unsettled push delivery's invisible time. A simple consumer's invisible duration
//! is its retry interval (as in ApsaraMQ), so its deliveries come back as soon as it ends.
//! Orderly groups on FIFO topics get message-group order.

use std::time::Duration;

use petrel_broker::{Backoff, Delivered, Filter, MessageType, ReceiveRequest, RetryPolicy};
use petrel_proto::v2;
use v2::receive_message_response::Content;

use crate::auth::{CallMeta, authenticate};
use crate::convert;
use crate::frontend::Shared;
use crate::route::required;
use crate::settings::{GroupFacts, LONG_POLLING_TIMEOUT};
use crate::status::{self, Failure, code};

/// Shortest long poll (Apache's lower clamp) unless the deadline is nearer.
pub const MIN_POLL: Duration = Duration::from_secs(5);

/// How long before the client's deadline the answer is sent.
pub const DEADLINE_MARGIN: Duration = Duration::from_millis(500);

/// Invisible time of a delivery when the client names none (push consumers, `auto_renew`).
pub const DEFAULT_INVISIBLE: Duration = Duration::from_secs(60);

/// How long to wait for messages: the request's time clamped to 5–20 s (20 s when absent),
/// and never past `remaining − 500 ms` of the client's deadline.
pub fn poll_time(requested: Option<Duration>, remaining: Option<Duration>) -> Duration {
    let want = requested
        .unwrap_or(LONG_POLLING_TIMEOUT)
        .clamp(MIN_POLL, LONG_POLLING_TIMEOUT);
    match remaining {
        Some(r) => want.min(r.saturating_sub(DEADLINE_MARGIN)),
        None => want,
    }
}

fn frame(content: Content) -> v2::ReceiveMessageResponse {
    v2::ReceiveMessageResponse {
        content: Some(content),
    }
}

/// The frames answering one ReceiveMessage request.
pub(crate) async fn receive_message(
    shared: &Shared,
    meta: &CallMeta,
    req: v2::ReceiveMessageRequest,
) -> Vec<v2::ReceiveMessageResponse> {
    let mut frames = Vec::new();
    match receive(shared, meta, req).await {
        Ok((_, delivered)) if delivered.is_empty() => {
            frames.push(frame(Content::Status(v2::Status {
                code: code::MESSAGE_NOT_FOUND,
                message: "no new message".to_owned(),
            })));
        }
        Ok((namespace, delivered)) => {
            frames.reserve(delivered.len() + 2);
            frames.push(frame(Content::Status(status::ok())));
            let store_host = shared.store_host(meta);
            for d in delivered {
                frames.push(frame(Content::Message(convert::delivered(
                    d,
                    &namespace,
                    &store_host,
                ))));
            }
        }
        Err(f) => frames.push(frame(Content::Status(f.status()))),
    }
    frames.push(frame(Content::DeliveryTimestamp(convert::now())));
    frames
}

fn filter(expr: Option<v2::FilterExpression>) -> Result<Filter, Failure> {
    let Some(expr) = expr else {
        return Ok(Filter::All);
    };
    let parsed = if expr.r#type == v2::FilterType::Sql as i32 {
        Filter::sql(&expr.expression)
    } else {
        Filter::tag_expression(&expr.expression)
    };
    Ok(parsed?)
}

/// Authorizes and long-polls; returns the namespace to echo and the deliveries.
async fn receive(
    shared: &Shared,
    meta: &CallMeta,
    req: v2::ReceiveMessageRequest,
) -> Result<(String, Vec<Delivered>), Failure> {
    let caller = authenticate(&shared.service, meta).await?;
    let group = required(req.group, "consumer group")?;
    let queue = req.message_queue.unwrap_or_default();
    let topic = required(queue.topic, "topic")?;
    let sub = shared.subscribe(&caller, meta, &topic, &group).await?;
    shared
        .sessions
        .touch(&caller.account_id, &meta.client_id, None);

    crate::subscribers::report_receive(
        shared,
        &caller.account_id,
        meta,
        (
            sub.group_ref.instance(),
            sub.group_ref.name(),
            sub.topic_ref.name(),
        ),
        req.filter_expression.as_ref(),
    );
    let filter = filter(req.filter_expression)?;
    let max_batch = shared.broker.config().max_batch_size;
    let batch_size = u32::try_from(req.batch_size)
        .unwrap_or(1)
        .clamp(1, max_batch.max(1));
    let invisible_duration = match req.invisible_duration {
        None => DEFAULT_INVISIBLE,
        Some(d) => convert::duration(&d).ok_or_else(|| {
            Failure::new(
                code::ILLEGAL_INVISIBLE_TIME,
                "the invisible duration must not be negative",
            )
        })?,
    };
    let requested_poll = match req.long_polling_timeout {
        None => None,
        Some(d) => Some(convert::duration(&d).ok_or_else(|| {
            Failure::bad_request("the long polling timeout must not be negative")
        })?),
    };
    let facts = GroupFacts::from(&sub.group);
    let push = req.auto_renew || req.invisible_duration.is_none();
    let retry = if push {
        facts.retry
    } else {
        RetryPolicy {
            backoff: Backoff::Immediate,
            ..facts.retry
        }
    };
    let orderly = facts.fifo && sub.topic.message_type == MessageType::Fifo;
    let queue_id = u32::try_from(queue.id)
        .ok()
        .filter(|q| orderly && push && *q < sub.topic.queue_count);
    let request = ReceiveRequest {
        filter,
        batch_size,
        invisible_duration,
        long_polling_timeout: poll_time(requested_poll, meta.remaining()),
        queue_id,
        retry,
        orderly,
    };
    let mut stopping = shared.stopping.clone();
    let delivered = tokio::select! {
        r = shared.broker.receive(&sub.group_ref, &sub.topic_ref, &request) => r?,
        // Server shutdown: answer empty now rather than hold the shutdown for a poll.
        _ = stopping.wait_for(|s| *s) => Vec::new(),
    };
    Ok((topic.resource_namespace, delivered))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_end_before_the_deadline() {
        let s = Duration::from_secs;
        // Rust: deadline = poll = 40 s.
        assert_eq!(poll_time(Some(s(40)), Some(s(40))), s(20));
        // Python push: poll 20 s, deadline 23 s.
        assert_eq!(poll_time(Some(s(20)), Some(s(23))), s(20));
        // Short deadline.
        assert_eq!(
            poll_time(Some(s(20)), Some(s(2))),
            Duration::from_millis(1500)
        );
        assert_eq!(
            poll_time(Some(s(20)), Some(Duration::from_millis(100))),
            Duration::ZERO
        );
        // Clamped up to 5 s, none → 20 s.
        assert_eq!(poll_time(Some(s(1)), None), s(5));
        assert_eq!(poll_time(None, None), s(20));
    }
}
