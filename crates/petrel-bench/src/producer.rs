//! The sending side: each producer keeps `inflight` SendMessage calls outstanding on its own
//! connection, each call carrying `batch_size` messages built as the SDKs build them
//! (client-minted id, tag, born time and host, a route queue chosen round-robin). FIFO calls
//! carry one message group each (the task's groups in turn, a sequence number per group in the
//! body); DELAY messages carry a delivery time `delay` after the call's start. Every message's
//! answer is checked: an entry that is not OK is counted under its code.

use std::sync::Arc;
use std::time::{Duration, Instant};

use petrel_proto::v2;

use crate::body::{self, Stamp};
use crate::client::{self, CALL_TIMEOUT, Client, Identity};
use crate::run::Shared;
use crate::stats::{Call, Live, ProducerTally};
use crate::workload::{self, Workload};

/// Pause after a call failed in transport, so a dead server is not hammered in a tight loop.
const TRANSPORT_BACKOFF: Duration = Duration::from_millis(50);

/// Tag of every bench message.
const TAG: &str = "bench";

/// One sending task (number `task` of the run): calls SendMessage one after the other until
/// the run's limit — back to back, or on the schedule a target rate sets — and returns what it
/// did in the measured phase.
pub(crate) async fn send_loop(
    shared: Arc<Shared>,
    mut client: Client,
    identity: Identity,
    queues: Arc<[i32]>,
    task: usize,
) -> ProducerTally {
    let config = &shared.config;
    let mut signer = identity.signer();
    let template = body::template(config.message_size);
    let topic = client::resource(config.namespace.as_deref(), &config.topic);
    let mut tally = ProducerTally::new(&shared.shape);
    let size = u64::try_from(config.message_size).unwrap_or(u64::MAX);
    let mut next_queue = task;
    let pace = config.pace();
    // Tasks spread their schedules over one period, so a paced load arrives evenly.
    let tasks = config.producers.saturating_mul(config.inflight).max(1);
    let workload = config.workload();
    let message_type = workload.message_type() as i32;
    let groups = match workload {
        Workload::Fifo { groups } => workload::owned_groups(groups, task, tasks),
        _ => Vec::new(),
    };
    let names: Vec<String> = groups.iter().map(|&g| workload::group_name(g)).collect();
    let mut seqs = vec![0u64; groups.len()];
    let mut next_group = 0usize;
    let mut due = Instant::now()
        + pace.map_or(Duration::ZERO, |p| {
            p.mul_f64(f64::from(u32::try_from(task % tasks).unwrap_or(0)))
                .div_f64(f64::from(u32::try_from(tasks).unwrap_or(1)))
        });
    loop {
        if shared.stopping() {
            break;
        }
        // Paced: the call's time starts when it was due, even if it could only start later.
        let start = match pace {
            Some(period) => {
                tokio::time::sleep_until(due.into()).await;
                let start = due;
                due += period;
                start
            }
            None => Instant::now(),
        };
        let measured = start >= shared.measure_start;
        let n = if measured {
            shared.claim(start, config.batch_size)
        } else {
            config.batch_size
        };
        if n == 0 {
            break;
        }
        // FIFO: this call's message group, which also picks the queue (as the SDKs hash it;
        // the server maps the group to a queue itself anyway).
        let fifo = (!groups.is_empty()).then(|| {
            let at = next_group % groups.len();
            next_group = next_group.wrapping_add(1);
            at
        });
        let queue_pick = fifo.map_or(next_queue, |at| usize::try_from(groups[at]).unwrap_or(0));
        let queue_id = queues
            .get(queue_pick % queues.len().max(1))
            .copied()
            .unwrap_or(0);
        next_queue = next_queue.wrapping_add(1);
        let sent_at_us = body::now_us();
        let born = workload::timestamp(sent_at_us);
        let delivery_timestamp = match workload {
            Workload::Delay { delay } => {
                Some(workload::timestamp(workload::due_us(sent_at_us, delay)))
            }
            _ => None,
        };
        let message_group = fifo.map(|at| names[at].clone());
        let messages: Vec<v2::Message> = (0..n)
            .map(|_| {
                let (group, seq) = match fifo {
                    Some(at) => {
                        let seq = seqs[at];
                        seqs[at] += 1;
                        (groups[at], seq)
                    }
                    None => (0, 0),
                };
                let stamp = Stamp {
                    run_id: shared.run_id,
                    number: shared.next_number(),
                    sent_at_us,
                    measured,
                    group,
                    seq,
                };
                v2::Message {
                    topic: Some(topic.clone()),
                    user_properties: Default::default(),
                    system_properties: Some(v2::SystemProperties {
                        tag: Some(TAG.to_owned()),
                        message_id: shared.ids.next(),
                        body_encoding: v2::Encoding::Identity as i32,
                        message_type,
                        message_group: message_group.clone(),
                        delivery_timestamp,
                        born_timestamp: Some(born),
                        born_host: "petrel-bench".to_owned(),
                        queue_id,
                        ..Default::default()
                    }),
                    body: body::build(&template, &stamp),
                }
            })
            .collect();
        let request = signer.request(v2::SendMessageRequest { messages }, CALL_TIMEOUT);
        let answer = client.send_message(request).await;
        let elapsed = start.elapsed();
        let count = u64::try_from(n).unwrap_or(u64::MAX);
        let (ok, failed) = match answer {
            Ok(response) => settle(&shared, &response.into_inner(), n),
            Err(status) => {
                shared
                    .errors
                    .transport(&shared.live, Call::SendMessage, &status, count);
                tokio::time::sleep(TRANSPORT_BACKOFF).await;
                (0, count)
            }
        };
        Live::add(&shared.live.sent_any, ok);
        if measured {
            tally.calls += 1;
            tally.sent += ok;
            tally.failed += failed;
            tally.bytes += ok * size;
            tally
                .latency
                .saturating_record(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX));
            Live::add(&shared.live.sent, ok);
            Live::add(&shared.live.failed, failed);
        }
    }
    tally
}

/// Counts the answer to a call of `n` messages: (acknowledged, failed). Each entry that is not
/// OK is counted under its code; an answer without one entry per message is counted under the
/// top-level status (or as a protocol error when that says OK).
fn settle(shared: &Shared, response: &v2::SendMessageResponse, n: usize) -> (u64, u64) {
    let ok_code = v2::Code::Ok as i32;
    let count = u64::try_from(n).unwrap_or(u64::MAX);
    if response.entries.len() != n {
        match &response.status {
            Some(s) if s.code != ok_code => {
                shared
                    .errors
                    .status(&shared.live, Call::SendMessage, s, count);
            }
            _ => shared.errors.protocol(
                &shared.live,
                Call::SendMessage,
                &format!("{} result entries for {n} messages", response.entries.len()),
                count,
            ),
        }
        return (0, count);
    }
    let mut ok = 0;
    for entry in &response.entries {
        match &entry.status {
            Some(s) if s.code == ok_code => ok += 1,
            Some(s) => shared.errors.status(&shared.live, Call::SendMessage, s, 1),
            None => shared.errors.protocol(
                &shared.live,
                Call::SendMessage,
                "a result entry has no status",
                1,
            ),
        }
    }
    (ok, count - ok)
}
