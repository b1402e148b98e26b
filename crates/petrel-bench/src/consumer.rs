//! The consuming side, shaped like an SDK simple consumer: long-polling ReceiveMessage with
//! batch 32 on a route queue, then one AckMessage for the whole batch. Acks run beside the next
//! receive (a few at a time) so the consumer keeps polling while they travel.
//!
//! Each delivery is classified by its body: this run's measured messages (counted once, with
//! their send-to-receive latency), this run's warm-up, redeliveries, and foreign messages (a
//! backlog of the group or other producers). All of them are acknowledged. A first delivery of
//! this run's FIFO message is checked against the latest one of its group; a DELAY message's
//! arrival is compared with its delivery time.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use petrel_proto::v2;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::body;
use crate::client::{self, CALL_TIMEOUT, Client, Identity};
use crate::run::Shared;
use crate::stats::{Call, ConsumerTally, Live};
use crate::workload::{self, GroupOrder, Workload};

/// Messages asked for per receive (the simple consumer's and Apache's maximum).
pub const RECEIVE_BATCH: i32 = 32;

/// How long a received message stays invisible before it would be redelivered.
pub const INVISIBLE: Duration = Duration::from_secs(30);

/// Long-polling time asked for (the server answers as soon as a message arrives).
pub const LONG_POLL: Duration = Duration::from_secs(20);

/// Extra time the receive call's deadline gives over the poll, as the SDKs do.
const POLL_MARGIN: Duration = Duration::from_secs(3);

/// Acks of one consumer in flight at once.
const MAX_ACKS_IN_FLIGHT: usize = 4;

/// Pause after a failed receive, so a refusing server is not polled in a tight loop.
const ERROR_BACKOFF: Duration = Duration::from_millis(100);

/// Numbers of this run's messages already received, shared by all consumers: a bit per number
/// (numbers are dense from 0, so a long run costs a bit per message, not a hash entry); and
/// for FIFO runs the latest sequence number received in each message group.
#[derive(Debug, Default)]
pub(crate) struct SeenSet {
    words: Vec<u64>,
    pub order: GroupOrder,
}

impl SeenSet {
    /// Marks `n`; whether it was new.
    pub fn insert(&mut self, n: u64) -> bool {
        let Ok(word) = usize::try_from(n / 64) else {
            return true;
        };
        if word >= self.words.len() {
            self.words.resize(word + 1, 0);
        }
        let bit = 1u64 << (n % 64);
        let new = self.words[word] & bit == 0;
        self.words[word] |= bit;
        new
    }
}

pub(crate) type Seen = Arc<Mutex<SeenSet>>;

fn proto_duration(d: Duration) -> prost_types::Duration {
    prost_types::Duration {
        seconds: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        nanos: i32::try_from(d.subsec_nanos()).unwrap_or(0),
    }
}

/// One consumer: receives and acks until `done` turns true, then waits for its acks.
pub(crate) async fn consume_loop(
    shared: Arc<Shared>,
    mut client: Client,
    identity: Identity,
    queue: v2::MessageQueue,
    mut done: watch::Receiver<bool>,
    seen: Seen,
) -> ConsumerTally {
    let config = &shared.config;
    let ns = config.namespace.as_deref();
    let group = client::resource(ns, config.group.as_deref().unwrap_or_default());
    let topic = client::resource(ns, &config.topic);
    let mut signer = identity.signer();
    let mut tally = ConsumerTally::new(&shared.shape);
    let mut acks: JoinSet<u64> = JoinSet::new();
    loop {
        if *done.borrow() {
            break;
        }
        let request = v2::ReceiveMessageRequest {
            group: Some(group.clone()),
            message_queue: Some(queue.clone()),
            filter_expression: Some(v2::FilterExpression {
                r#type: v2::FilterType::Tag as i32,
                expression: "*".to_owned(),
            }),
            batch_size: RECEIVE_BATCH,
            invisible_duration: Some(proto_duration(INVISIBLE)),
            auto_renew: false,
            long_polling_timeout: Some(proto_duration(LONG_POLL)),
            attempt_id: None,
        };
        let request = signer.request(request, LONG_POLL + POLL_MARGIN);
        let received = tokio::select! {
            biased;
            _ = done.wait_for(|d| *d) => break,
            r = receive(&shared, &mut client, request) => r,
        };
        tally.receive_calls += 1;
        let Some(messages) = received else {
            tokio::time::sleep(ERROR_BACKOFF).await;
            continue;
        };
        if messages.is_empty() {
            continue;
        }
        let entries = classify(&shared, &seen, &messages, &mut tally);
        if entries.is_empty() {
            continue;
        }
        while acks.len() >= MAX_ACKS_IN_FLIGHT {
            if let Some(r) = acks.join_next().await {
                tally.acked += acked(&shared, r);
            }
        }
        let ack = v2::AckMessageRequest {
            group: Some(group.clone()),
            topic: Some(topic.clone()),
            entries,
        };
        let request = identity.signer().request(ack, CALL_TIMEOUT);
        acks.spawn(send_ack(shared.clone(), client.clone(), request));
    }
    while let Some(r) = acks.join_next().await {
        tally.acked += acked(&shared, r);
    }
    tally
}

/// The count an ack task returned; a task that died is counted as a failure of its call.
fn acked(shared: &Shared, r: Result<u64, tokio::task::JoinError>) -> u64 {
    r.unwrap_or_else(|e| {
        let what = format!("the ack task failed: {e}");
        shared
            .errors
            .protocol(&shared.live, Call::AckMessage, &what, 1);
        0
    })
}

/// One ReceiveMessage call: the delivered messages (empty for MESSAGE_NOT_FOUND), or `None`
/// after counting the failure.
async fn receive(
    shared: &Shared,
    client: &mut Client,
    request: tonic::Request<v2::ReceiveMessageRequest>,
) -> Option<Vec<v2::Message>> {
    use v2::receive_message_response::Content;
    let (live, errors) = (&shared.live, &shared.errors);
    let mut stream = match client.receive_message(request).await {
        Ok(r) => r.into_inner(),
        Err(status) => {
            errors.transport(live, Call::ReceiveMessage, &status, 1);
            return None;
        }
    };
    let mut status: Option<v2::Status> = None;
    let mut messages = Vec::new();
    loop {
        match stream.message().await {
            Ok(Some(frame)) => match frame.content {
                Some(Content::Status(s)) if status.is_none() => status = Some(s),
                Some(Content::Message(m)) => messages.push(m),
                Some(Content::DeliveryTimestamp(_)) => {}
                Some(Content::Status(_)) => {
                    errors.protocol(live, Call::ReceiveMessage, "a second status frame", 1);
                }
                None => errors.protocol(live, Call::ReceiveMessage, "a frame without content", 1),
            },
            Ok(None) => break,
            Err(s) => {
                errors.transport(live, Call::ReceiveMessage, &s, 1);
                // Whatever arrived before the stream broke is still delivered and must be acked.
                return (!messages.is_empty()).then_some(messages);
            }
        }
    }
    match status {
        Some(s) if s.code == v2::Code::Ok as i32 => Some(messages),
        Some(s) if s.code == v2::Code::MessageNotFound as i32 => Some(messages),
        Some(s) => {
            errors.status(live, Call::ReceiveMessage, &s, 1);
            None
        }
        None => {
            errors.protocol(
                live,
                Call::ReceiveMessage,
                "the answer has no status frame",
                1,
            );
            (!messages.is_empty()).then_some(messages)
        }
    }
}

/// Counts `messages` into `tally` and returns their ack entries.
fn classify(
    shared: &Shared,
    seen: &Seen,
    messages: &[v2::Message],
    tally: &mut ConsumerTally,
) -> Vec<v2::AckMessageEntry> {
    let now_us = body::now_us();
    let now = Instant::now();
    let mut entries = Vec::with_capacity(messages.len());
    let workload = shared.config.workload();
    let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
    let mut received = 0;
    for m in messages {
        Live::add(&shared.live.received_any, 1);
        let props = m.system_properties.as_ref();
        match body::read(&m.body) {
            Some(stamp) if stamp.run_id == shared.run_id => {
                if seen.insert(stamp.number) {
                    check(workload, &mut seen.order, &stamp, now_us, tally);
                    if stamp.measured {
                        received += 1;
                        tally.bytes += u64::try_from(m.body.len()).unwrap_or(0);
                        tally
                            .e2e
                            .saturating_record(now_us.saturating_sub(stamp.sent_at_us).max(1));
                        tally.last_received = Some(now);
                    } else {
                        tally.warmup += 1;
                    }
                } else {
                    tally.duplicates += 1;
                }
            }
            _ => tally.foreign += 1,
        }
        match props.and_then(|p| p.receipt_handle.as_ref().map(|h| (p, h))) {
            Some((p, handle)) => entries.push(v2::AckMessageEntry {
                message_id: p.message_id.clone(),
                receipt_handle: handle.clone(),
                lite_topic: None,
            }),
            None => shared.errors.protocol(
                &shared.live,
                Call::ReceiveMessage,
                "a delivered message has no receipt handle",
                1,
            ),
        }
    }
    drop(seen);
    tally.received += received;
    Live::add(&shared.live.received, received);
    entries
}

/// The checks of a FIFO or DELAY run on the first delivery of one of this run's messages.
fn check(
    workload: Workload,
    order: &mut GroupOrder,
    stamp: &body::Stamp,
    now_us: u64,
    tally: &mut ConsumerTally,
) {
    match workload {
        Workload::Fifo { .. } => {
            if order.out_of_order(stamp.group, stamp.seq) {
                tally.order_violations += 1;
            }
        }
        Workload::Delay { delay } => {
            let due = workload::due_us(stamp.sent_at_us, delay);
            if now_us < due {
                tally.early += 1;
            } else if stamp.measured {
                tally.lateness.saturating_record((now_us - due).max(1));
            }
        }
        Workload::Normal => {}
    }
}

/// One AckMessage call: how many entries were acknowledged; the others are counted by code.
async fn send_ack(
    shared: Arc<Shared>,
    mut client: Client,
    request: tonic::Request<v2::AckMessageRequest>,
) -> u64 {
    let n = u64::try_from(request.get_ref().entries.len()).unwrap_or(u64::MAX);
    let (live, errors) = (&shared.live, &shared.errors);
    let response = match client.ack_message(request).await {
        Ok(r) => r.into_inner(),
        Err(status) => {
            errors.transport(live, Call::AckMessage, &status, n);
            return 0;
        }
    };
    let ok_code = v2::Code::Ok as i32;
    if u64::try_from(response.entries.len()).unwrap_or(0) != n {
        match &response.status {
            Some(s) if s.code != ok_code => errors.status(live, Call::AckMessage, s, n),
            _ => errors.protocol(
                live,
                Call::AckMessage,
                &format!("{} result entries for {n} acks", response.entries.len()),
                n,
            ),
        }
        return 0;
    }
    let mut acked = 0;
    for entry in &response.entries {
        match &entry.status {
            Some(s) if s.code == ok_code => acked += 1,
            Some(s) => errors.status(live, Call::AckMessage, s, 1),
            None => errors.protocol(live, Call::AckMessage, "a result entry has no status", 1),
        }
    }
    acked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seen_set_tells_first_deliveries_from_repeats() {
        let mut seen = SeenSet::default();
        assert!(seen.insert(0));
        assert!(seen.insert(130));
        assert!(!seen.insert(130));
        assert!(!seen.insert(0));
        assert!(seen.insert(63));
        assert!(seen.insert(64));
        assert!(!seen.insert(64));
    }
}
