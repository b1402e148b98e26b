//! One bench run from start to report: connect every client, set up as the SDKs do
//! (QueryRoute, Heartbeat), start consumers then producers, decide when consuming is over,
//! say goodbye (NotifyClientTermination) and assemble the report.
//!
//! The timeline: the warm-up starts when setup is done; the measured phase starts after it
//! and ends with the limit (time or count). A SendMessage call counts when it started in the
//! measured phase; the phase's length is measured until the last such call returned.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use petrel_proto::v2;
use tokio::sync::watch;

use crate::client::{self, Client, Identity, MessageIds};
use crate::config::{BenchConfig, Limit};
use crate::consumer;
use crate::error::BenchError;
use crate::producer;
use crate::progress::Progress;
use crate::report::{DelayReport, FifoReport, Latency, ReceiveReport, Report, SendReport, rate};
use crate::stats::{self, Call, ConsumerTally, Errors, Live, ProducerTally};
use crate::workload::Workload;

/// Deadline of the setup and goodbye calls.
const SETUP_TIMEOUT: Duration = Duration::from_secs(10);

/// How often the end of consumption is checked.
const DRAIN_CHECK: Duration = Duration::from_millis(20);

/// What every task of a run shares.
pub(crate) struct Shared {
    pub config: BenchConfig,
    /// Marks this run's bodies.
    pub run_id: u64,
    /// End of the warm-up.
    pub measure_start: Instant,
    /// End of the measured phase of a timed run.
    measure_end: Option<Instant>,
    /// Messages left to send in a counted run.
    budget: AtomicU64,
    /// Set on interruption: no new calls.
    stop: AtomicBool,
    numbers: AtomicU64,
    pub ids: MessageIds,
    pub live: Live,
    pub errors: Errors,
    /// Shape of every latency histogram.
    pub shape: Histogram<u64>,
}

impl Shared {
    /// Whether the run was interrupted.
    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// How many messages a measured call started at `now` may carry (0: sending is over).
    pub fn claim(&self, now: Instant, batch: usize) -> usize {
        match self.config.limit {
            Limit::Duration(_) => match self.measure_end {
                Some(end) if now < end => batch,
                _ => 0,
            },
            Limit::Count(_) => {
                let want = u64::try_from(batch).unwrap_or(u64::MAX);
                let before = self
                    .budget
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                        (left > 0).then(|| left - left.min(want))
                    })
                    .unwrap_or(0);
                usize::try_from(before.min(want)).unwrap_or(0)
            }
        }
    }

    /// A number no other message of the run has.
    pub fn next_number(&self) -> u64 {
        self.numbers.fetch_add(1, Ordering::Relaxed)
    }
}

/// Runs `config` to its end and reports; see [`run_until`].
pub async fn run(config: BenchConfig) -> Result<Report, BenchError> {
    run_until(config, std::future::pending()).await
}

/// Runs `config` until its limit, or until `stop` resolves (then sending stops, consumers stop
/// at once, and the report says `interrupted`). Failed calls do not end the run: they are
/// counted in the report. It returns an error only when the run cannot take place (a bad
/// option, no connection); a setup call the server refuses gives a report with `aborted`.
pub async fn run_until(
    config: BenchConfig,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<Report, BenchError> {
    config.validate()?;
    let endpoint = client::endpoint(&config)?;
    let shape = stats::histogram()?;
    let mut producers: Vec<(Identity, Client)> = Vec::with_capacity(config.producers);
    for i in 0..config.producers {
        let identity = Identity::new(&config, 'p', i)?;
        producers.push((
            identity,
            client::connect(&endpoint, &config.endpoint).await?,
        ));
    }
    let mut consumers: Vec<(Identity, Client)> = Vec::with_capacity(config.consumers);
    for i in 0..config.consumers {
        let identity = Identity::new(&config, 'c', i)?;
        consumers.push((
            identity,
            client::connect(&endpoint, &config.endpoint).await?,
        ));
    }

    let (live, errors) = (Live::default(), Errors::default());
    let route = setup(&config, &producers, &consumers, &live, &errors).await;
    let route = match route {
        Ok(route) => route,
        Err(reason) => {
            // No goodbye: a refused setup usually means every further call is refused too,
            // and those refusals would only repeat the reason.
            let mut report = Report::empty(&config);
            report.aborted = Some(reason);
            report.errors = errors.snapshot();
            report.error_total = Live::get(&live.errors);
            return Ok(report);
        }
    };

    let measure_start = Instant::now() + config.warmup;
    let measure_end = match config.limit {
        Limit::Duration(d) => Some(measure_start + d),
        Limit::Count(_) => None,
    };
    let budget = match config.limit {
        Limit::Count(n) => n,
        Limit::Duration(_) => 0,
    };
    let shared = Arc::new(Shared {
        config,
        run_id: rand::random(),
        measure_start,
        measure_end,
        budget: AtomicU64::new(budget),
        stop: AtomicBool::new(false),
        numbers: AtomicU64::new(0),
        ids: MessageIds::new(),
        live,
        errors,
        shape,
    });
    let (stopped_tx, mut stopped) = watch::channel(false);
    let stopper = {
        let shared = shared.clone();
        tokio::spawn(async move {
            stop.await;
            shared.stop.store(true, Ordering::Relaxed);
            let _ = stopped_tx.send(true);
        })
    };
    let progress = Progress::start(shared.clone(), shared.config.progress);

    // Consumers first, so the first messages find them polling.
    let (done_tx, done) = watch::channel(false);
    let seen: consumer::Seen = Arc::new(Mutex::new(consumer::SeenSet::default()));
    // A FIFO group is served queue by queue (a message group lives on one queue), so every
    // queue gets a poll loop, on the consumers in turn, as the SDKs poll each assigned queue.
    let loops = match shared.config.workload() {
        Workload::Fifo { .. } if !consumers.is_empty() => consumers.len().max(route.len()),
        _ => consumers.len(),
    };
    let mut consumer_tasks = Vec::with_capacity(loops);
    for i in 0..loops {
        let Some((identity, client)) = consumers.get(i % consumers.len().max(1)) else {
            break;
        };
        let queue = route[i % route.len()].clone();
        consumer_tasks.push(tokio::spawn(consumer::consume_loop(
            shared.clone(),
            client.clone(),
            identity.clone(),
            queue,
            done.clone(),
            seen.clone(),
        )));
    }
    let queue_ids: Arc<[i32]> = route.iter().map(|q| q.id).collect();
    let inflight = shared.config.inflight;
    let mut producer_tasks = Vec::with_capacity(producers.len() * inflight);
    for (i, (identity, client)) in producers.iter().enumerate() {
        for j in 0..inflight {
            producer_tasks.push(tokio::spawn(producer::send_loop(
                shared.clone(),
                client.clone(),
                identity.clone(),
                queue_ids.clone(),
                i * inflight + j,
            )));
        }
    }

    let mut sent = ProducerTally::new(&shared.shape);
    for task in producer_tasks {
        let tally = task
            .await
            .map_err(|e| BenchError::Task(format!("a producer task failed: {e}")))?;
        sent.merge(&tally)?;
    }
    if let (0, Some(end)) = (shared.config.producers, shared.measure_end) {
        // Consumers alone: they run for the warm-up and the duration.
        tokio::select! {
            () = tokio::time::sleep_until(end.into()) => {}
            _ = stopped.wait_for(|s| *s) => {}
        }
    }
    let sending_ended = Instant::now();
    let complete = drain(&shared, &sent, &mut stopped).await;
    let _ = done_tx.send(true);
    let mut received = ConsumerTally::new(&shared.shape);
    for task in consumer_tasks {
        let tally = task
            .await
            .map_err(|e| BenchError::Task(format!("a consumer task failed: {e}")))?;
        received.merge(&tally)?;
    }
    let groups_received = seen.lock().map_or(0, |s| s.order.groups());
    progress.finish();
    stopper.abort();
    goodbye(
        &shared.config,
        &producers,
        &consumers,
        &shared.live,
        &shared.errors,
    )
    .await;
    let mut report = report(&shared, &sent, &received, sending_ended, complete);
    if let Some(fifo) = report.receive.as_mut().and_then(|r| r.fifo.as_mut()) {
        fifo.groups_received = groups_received;
    }
    Ok(report)
}

/// Waits until consumers have every measured message that was sent, or went
/// `drain_timeout` without a new one, or the run is interrupted. Whether all arrived.
async fn drain(shared: &Shared, sent: &ProducerTally, stopped: &mut watch::Receiver<bool>) -> bool {
    if shared.config.consumers == 0 || shared.config.producers == 0 {
        return true;
    }
    let target = sent.sent;
    // Delayed messages only start arriving `delay` after they were sent.
    let timeout = shared.config.drain_timeout + shared.config.delay.unwrap_or_default();
    let mut last = Live::get(&shared.live.received);
    let mut last_change = Instant::now();
    loop {
        let now = Live::get(&shared.live.received);
        if now >= target {
            return true;
        }
        if now != last {
            (last, last_change) = (now, Instant::now());
        } else if last_change.elapsed() >= timeout {
            return false;
        }
        tokio::select! {
            () = tokio::time::sleep(DRAIN_CHECK) => {}
            _ = stopped.wait_for(|s| *s) => return false,
        }
    }
}

fn report(
    shared: &Shared,
    sent: &ProducerTally,
    received: &ConsumerTally,
    sending_ended: Instant,
    complete: bool,
) -> Report {
    let config = &shared.config;
    let mut report = Report::empty(config);
    let elapsed = sending_ended
        .saturating_duration_since(shared.measure_start)
        .as_secs_f64();
    report.elapsed_secs = elapsed;
    report.interrupted = shared.stopping();
    report.send = SendReport {
        calls: sent.calls,
        sent: sent.sent,
        failed: sent.failed,
        msgs_per_sec: rate(sent.sent, elapsed),
        mb_per_sec: rate(sent.bytes, elapsed) / 1e6,
        latency: Latency::of(&sent.latency),
    };
    if config.consumers > 0 {
        let end = received
            .last_received
            .map_or(sending_ended, |t| t.max(sending_ended));
        let window = end
            .saturating_duration_since(shared.measure_start)
            .as_secs_f64();
        let missing = if config.producers > 0 {
            sent.sent.saturating_sub(received.received)
        } else {
            0
        };
        report.receive = Some(ReceiveReport {
            received: received.received,
            missing,
            complete: complete && missing == 0,
            acked: received.acked,
            duplicates: received.duplicates,
            warmup: received.warmup,
            foreign: received.foreign,
            receive_calls: received.receive_calls,
            elapsed_secs: window,
            msgs_per_sec: rate(received.received, window),
            mb_per_sec: rate(received.bytes, window) / 1e6,
            e2e_latency: Latency::of(&received.e2e),
            fifo: config.message_groups.map(|message_groups| FifoReport {
                message_groups,
                groups_received: 0,
                order_violations: received.order_violations,
            }),
            delay: config.delay.map(|d| DelayReport {
                delay_ms: d.as_secs_f64() * 1000.0,
                early: received.early,
                lateness: Latency::of(&received.lateness),
            }),
        });
    }
    report.errors = shared.errors.snapshot();
    report.error_total = Live::get(&shared.live.errors);
    report
}

/// What a failed setup call says, and records it.
fn refused(
    live: &Live,
    errors: &Errors,
    call: Call,
    what: &str,
    answer: Result<Option<v2::Status>, tonic::Status>,
) -> Result<(), String> {
    match answer {
        Ok(Some(s)) if s.code == v2::Code::Ok as i32 => Ok(()),
        Ok(Some(s)) => {
            errors.status(live, call, &s, 1);
            Err(format!(
                "{}{what} answered {} ({}): {}",
                call.name(),
                stats::code_name(s.code),
                s.code,
                s.message
            ))
        }
        Ok(None) => {
            errors.protocol(live, call, "the answer has no status", 1);
            Err(format!("{}{what}: the answer has no status", call.name()))
        }
        Err(status) => {
            errors.transport(live, call, &status, 1);
            Err(format!(
                "{}{what} failed: {:?}: {}",
                call.name(),
                status.code(),
                status.message()
            ))
        }
    }
}

/// Where `endpoint` (HOST:PORT) is, as the SDKs describe their access point.
fn access_point(endpoint: &str) -> v2::Endpoints {
    let (host, port) = endpoint.rsplit_once(':').unwrap_or((endpoint, "8081"));
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let scheme = match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => v2::AddressScheme::IPv4,
        Ok(std::net::IpAddr::V6(_)) => v2::AddressScheme::IPv6,
        Err(_) => v2::AddressScheme::DomainName,
    };
    v2::Endpoints {
        scheme: scheme as i32,
        addresses: vec![v2::Address {
            host: host.to_owned(),
            port: port.parse().unwrap_or(0),
        }],
    }
}

/// QueryRoute then Heartbeat for every client, as the SDKs start; the topic's queues.
/// Petrel is one broker, so the route's endpoints are the ones already connected to.
async fn setup(
    config: &BenchConfig,
    producers: &[(Identity, Client)],
    consumers: &[(Identity, Client)],
    live: &Live,
    errors: &Errors,
) -> Result<Vec<v2::MessageQueue>, String> {
    let ns = config.namespace.as_deref();
    let topic = client::resource(ns, &config.topic);
    let what = format!(" of topic `{}`", config.topic);
    let mut route = Vec::new();
    let roles = producers
        .iter()
        .map(|c| (c, v2::ClientType::Producer))
        .chain(
            consumers
                .iter()
                .map(|c| (c, v2::ClientType::SimpleConsumer)),
        );
    for ((identity, client), role) in roles {
        let mut client = client.clone();
        let mut signer = identity.signer();
        let request = v2::QueryRouteRequest {
            topic: Some(topic.clone()),
            endpoints: Some(access_point(&config.endpoint)),
        };
        let answer = client
            .query_route(signer.request(request, SETUP_TIMEOUT))
            .await
            .map(tonic::Response::into_inner);
        let status = answer
            .as_ref()
            .map(|r| r.status.clone())
            .map_err(Clone::clone);
        refused(live, errors, Call::QueryRoute, &what, status)?;
        if let Ok(r) = answer {
            route = r.message_queues;
        }
        if route.is_empty() {
            errors.protocol(live, Call::QueryRoute, "the route has no queue", 1);
            return Err(format!("QueryRoute{what} returned no queue"));
        }
        let workload = config.workload();
        let kind = workload.message_type() as i32;
        if !route.iter().any(|q| q.accept_message_types.contains(&kind)) {
            let hint = match workload {
                Workload::Normal => {
                    "create a NORMAL topic, or pass --message-groups for a FIFO \
                                     topic or --delay-ms for a DELAY topic"
                }
                Workload::Fifo { .. } => "--message-groups needs a FIFO topic",
                Workload::Delay { .. } => "--delay-ms needs a DELAY topic",
            };
            return Err(format!(
                "topic `{}` does not accept {} messages; {hint}",
                config.topic,
                workload.name()
            ));
        }
        let group = (role == v2::ClientType::SimpleConsumer)
            .then(|| client::resource(ns, config.group.as_deref().unwrap_or_default()));
        let request = v2::HeartbeatRequest {
            group,
            client_type: role as i32,
        };
        let answer = client
            .heartbeat(signer.request(request, SETUP_TIMEOUT))
            .await
            .map(|r| r.into_inner().status);
        refused(live, errors, Call::Heartbeat, "", answer)?;
    }
    Ok(route)
}

/// NotifyClientTermination for every client, as the SDKs shut down; failures are counted.
async fn goodbye(
    config: &BenchConfig,
    producers: &[(Identity, Client)],
    consumers: &[(Identity, Client)],
    live: &Live,
    errors: &Errors,
) {
    let ns = config.namespace.as_deref();
    let group = config.group.as_deref().map(|g| client::resource(ns, g));
    let all = producers
        .iter()
        .map(|c| (c, None))
        .chain(consumers.iter().map(|c| (c, group.clone())));
    for ((identity, client), group) in all {
        let request = v2::NotifyClientTerminationRequest { group };
        let answer = client
            .clone()
            .notify_client_termination(identity.signer().request(request, SETUP_TIMEOUT))
            .await
            .map(|r| r.into_inner().status);
        // Counted by `refused`; the run is over either way.
        let _ = refused(live, errors, Call::NotifyClientTermination, "", answer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_points_name_their_address_family() {
        let v4 = access_point("127.0.0.1:8081");
        assert_eq!(v4.scheme, v2::AddressScheme::IPv4 as i32);
        assert_eq!(v4.addresses[0].port, 8081);
        let v6 = access_point("[::1]:9");
        assert_eq!(v6.scheme, v2::AddressScheme::IPv6 as i32);
        assert_eq!(v6.addresses[0].host, "::1");
        let name = access_point("broker.local:8081");
        assert_eq!(name.scheme, v2::AddressScheme::DomainName as i32);
    }
}
