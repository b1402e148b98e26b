//! Petrel end-to-end test client: drives the official RocketMQ 5 Rust SDK (crates.io
//! `rocketmq` 5.0.0, unmodified) with the common command-line contract of
//! tests/clients/README.md. That crate has a producer and a simple consumer only, so
//! `consume --mode push` is refused as bad usage. Everything else of the contract (FIFO
//! groups, delay, transactions with a checker, SQL filters) the crate can do.
//!
//! stdout carries only JSON lines (one event each); the SDK logs to stderr. Exit codes:
//! 0 done, 2 client error, 3 consume timeout or half messages left unchecked (--linger-secs),
//! 4 overall deadline (--deadline-secs) exceeded, 64 bad usage.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rocketmq::conf::{ClientOption, ProducerOption, SimpleConsumerOption};
use rocketmq::error::ClientError;
use rocketmq::model::common::{FilterExpression, FilterType};
use rocketmq::model::message::{MessageBuilder, MessageView};
use rocketmq::model::transaction::{Transaction, TransactionResolution};
use rocketmq::{Producer, SimpleConsumer};
use serde_json::{json, Map, Value};

const EXIT_OK: i32 = 0;
const EXIT_CLIENT_ERROR: i32 = 2;
const EXIT_TIMEOUT: i32 = 3;
const EXIT_DEADLINE: i32 = 4;
const EXIT_USAGE: i32 = 64;
/// After the last check the SDK still has to send its EndTransaction; give it this long.
const END_TRANSACTION_GRACE: Duration = Duration::from_secs(1);

const USAGE: &str =
    "usage: rocketmq-e2e-client produce --endpoint H:P --namespace NS --topic T --count N \
[--tag TAG] [--keys K1,K2] [--property k=v ...] [--body-prefix P] [--stop-on-error] \
[--message-group G [--message-groups N]] [--delay-secs S] \
[--transaction commit|rollback|check-commit|check-rollback [--linger-secs L]] \
[--ak ID --sk SECRET] [--deadline-secs S]
       rocketmq-e2e-client consume --endpoint H:P --namespace NS --topic T --group G --count N \
--timeout-secs S [--mode simple] [--filter EXPR | --sql EXPR] [--invisible-secs I] [--no-ack] \
[--ack-delay-ms D] [--ak ID --sk SECRET] [--deadline-secs S]";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TxMode {
    Commit,
    Rollback,
    CheckCommit,
    CheckRollback,
}

impl TxMode {
    fn parse(text: &str) -> Option<TxMode> {
        Some(match text {
            "commit" => TxMode::Commit,
            "rollback" => TxMode::Rollback,
            "check-commit" => TxMode::CheckCommit,
            "check-rollback" => TxMode::CheckRollback,
            _ => return None,
        })
    }

    /// Whether the program leaves the transaction open for the server's check.
    fn waits_for_check(self) -> bool {
        matches!(self, TxMode::CheckCommit | TxMode::CheckRollback)
    }

    /// What the checker answers (in every mode: the server may ask about any half message
    /// of the topic, even before this producer ended its own).
    fn commits(self) -> bool {
        matches!(self, TxMode::Commit | TxMode::CheckCommit)
    }
}

#[derive(Debug, Default)]
struct Args {
    command: String,
    endpoint: String,
    namespace: String,
    topic: String,
    count: usize,
    ak: Option<String>,
    sk: Option<String>,
    deadline_secs: Option<f64>,
    tag: Option<String>,
    keys: Vec<String>,
    properties: Vec<(String, String)>,
    body_prefix: String,
    stop_on_error: bool,
    group: String,
    timeout_secs: f64,
    filter: Option<String>,
    sql: Option<String>,
    invisible_secs: u64,
    no_ack: bool,
    ack_delay_ms: u64,
    message_group: Option<String>,
    message_groups: usize,
    delay_secs: Option<f64>,
    transaction: Option<TxMode>,
    linger_secs: f64,
}

fn usage(message: &str) -> ! {
    eprintln!("rocketmq-e2e-client: {message}\n{USAGE}");
    std::process::exit(EXIT_USAGE);
}

fn number<T: std::str::FromStr>(flag: &str, value: String) -> T {
    value
        .parse()
        .unwrap_or_else(|_| usage(&format!("{flag} needs a number, got {value:?}")))
}

fn parse_args() -> Args {
    let mut it = std::env::args().skip(1);
    let mut a = Args {
        command: it.next().unwrap_or_default(),
        body_prefix: "msg-".into(),
        invisible_secs: 20,
        message_groups: 1,
        linger_secs: 30.0,
        ..Args::default()
    };
    if a.command != "produce" && a.command != "consume" {
        usage("first argument must be produce or consume");
    }
    let (mut have_count, mut have_timeout) = (false, false);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .unwrap_or_else(|| usage(&format!("{flag} needs a value")))
        };
        match flag.as_str() {
            "--endpoint" => a.endpoint = value(),
            "--namespace" => a.namespace = value(),
            "--topic" => a.topic = value(),
            "--count" => {
                a.count = number(&flag, value());
                have_count = true;
            }
            "--ak" => a.ak = Some(value()),
            "--sk" => a.sk = Some(value()),
            "--deadline-secs" => a.deadline_secs = Some(number(&flag, value())),
            "--tag" => a.tag = Some(value()),
            "--keys" => {
                a.keys = value()
                    .split(',')
                    .filter(|k| !k.is_empty())
                    .map(String::from)
                    .collect()
            }
            "--property" => {
                let kv = value();
                let (k, v) = kv.split_once('=').unwrap_or((kv.as_str(), ""));
                a.properties.push((k.to_string(), v.to_string()));
            }
            "--body-prefix" => a.body_prefix = value(),
            "--stop-on-error" => a.stop_on_error = true,
            "--group" => a.group = value(),
            "--timeout-secs" => {
                a.timeout_secs = number(&flag, value());
                have_timeout = true;
            }
            "--mode" => match value().as_str() {
                "simple" => {}
                "push" => usage("the rocketmq 5.0.0 crate has no push consumer"),
                other => usage(&format!("unknown --mode {other}")),
            },
            "--filter" => a.filter = Some(value()),
            "--sql" => a.sql = Some(value()),
            "--invisible-secs" => a.invisible_secs = number(&flag, value()),
            "--no-ack" => a.no_ack = true,
            "--ack-delay-ms" => a.ack_delay_ms = number(&flag, value()),
            "--message-group" => a.message_group = Some(value()),
            "--message-groups" => a.message_groups = number(&flag, value()),
            "--delay-secs" => a.delay_secs = Some(number(&flag, value())),
            "--recall" => {
                usage("the rocketmq 5.0.0 crate cannot recall messages (no RecallMessage)")
            }
            "--transaction" => {
                let mode = value();
                a.transaction = Some(TxMode::parse(&mode).unwrap_or_else(|| {
                    usage(&format!(
                        "--transaction must be commit, rollback, check-commit or check-rollback, got {mode:?}"
                    ))
                }))
            }
            "--linger-secs" => a.linger_secs = number(&flag, value()),
            other => usage(&format!("unknown flag {other}")),
        }
    }
    if a.endpoint.is_empty() || a.topic.is_empty() || !have_count {
        usage("--endpoint, --topic and --count are required");
    }
    if a.command == "consume" && (a.group.is_empty() || !have_timeout) {
        usage("consume needs --group and --timeout-secs");
    }
    if a.ak.is_some() != a.sk.is_some() {
        usage("--ak and --sk go together");
    }
    // The crate refuses these combinations itself (message types are exclusive); refusing
    // them here keeps them out of the "send failed" results.
    if a.message_groups == 0 {
        usage("--message-groups must be at least 1");
    }
    if a.message_groups > 1 && a.message_group.is_none() {
        usage("--message-groups needs --message-group");
    }
    if a.delay_secs.is_some_and(|d| !(d >= 0.0 && d.is_finite())) {
        usage("--delay-secs must be a non-negative number");
    }
    if !(a.linger_secs >= 0.0 && a.linger_secs.is_finite()) {
        usage("--linger-secs must be a non-negative number");
    }
    if a.message_group.is_some() && a.delay_secs.is_some() {
        usage("--message-group (FIFO) and --delay-secs (DELAY) exclude each other");
    }
    if a.transaction.is_some() && (a.message_group.is_some() || a.delay_secs.is_some()) {
        usage("--transaction excludes --message-group and --delay-secs");
    }
    if a.sql.is_some() && a.filter.is_some() {
        usage("--sql and --filter exclude each other (one filter expression per subscription)");
    }
    a
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn message_group_of(a: &Args, i: usize) -> Option<String> {
    let group = a.message_group.as_ref()?;
    Some(if a.message_groups > 1 {
        format!("{group}-{}", i % a.message_groups)
    } else {
        group.clone()
    })
}

fn emit(event: &str, fields: Value) {
    let mut line = Map::new();
    line.insert("event".into(), json!(event));
    if let Value::Object(fields) = fields {
        line.extend(fields);
    }
    let mut out = std::io::stdout().lock();
    // A closed stdout only loses output; nothing better to do with the error.
    let _ = writeln!(out, "{}", Value::Object(line));
    let _ = out.flush();
}

/// Code and text of an SDK error. The crate's errors carry the server's status code name
/// (e.g. "UNAUTHORIZED") in their context; otherwise the error kind stands in for it.
fn error_fields(stage: &str, err: &ClientError) -> Value {
    let code = err
        .context()
        .iter()
        .find(|(k, _)| *k == "code")
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| format!("{:?}", err.kind()));
    json!({"stage": stage, "code": code, "exception": "ClientError", "message": err.to_string()})
}

fn with(mut fields: Value, extra: Value) -> Value {
    if let (Value::Object(f), Value::Object(e)) = (&mut fields, extra) {
        f.extend(e);
    }
    fields
}

fn client_option(a: &Args) -> ClientOption {
    let mut option = ClientOption::default();
    option.set_access_url(&a.endpoint);
    option.set_enable_tls(false);
    // Setting both keys is how a user turns on request signing; without them the crate
    // sends no `authorization` header.
    if let (Some(ak), Some(sk)) = (&a.ak, &a.sk) {
        option.set_access_key(ak);
        option.set_secret_key(sk);
    }
    if !a.namespace.is_empty() {
        // The crate's namespace setters are crate-private and it never sends x-mq-namespace
        // (spec §5): the server sees this client in its default namespace.
        eprintln!(
            "rocketmq-e2e-client: rocketmq 5.0.0 cannot set a namespace; --namespace {} is not sent",
            a.namespace
        );
    }
    option
}

/// Message ids the TransactionChecker was asked about; written from the crate's telemetry task.
#[derive(Default)]
struct Checks {
    checked: Mutex<HashSet<String>>,
}

impl Checks {
    fn record(&self, message_id: &str) {
        // A poisoned lock only means another checker call panicked; the set is still valid.
        let mut set = self.checked.lock().unwrap_or_else(|p| p.into_inner());
        set.insert(message_id.to_string());
    }

    fn missing(&self, ids: &[String]) -> Vec<String> {
        let set = self.checked.lock().unwrap_or_else(|p| p.into_inner());
        ids.iter()
            .filter(|id| !set.contains(*id))
            .cloned()
            .collect()
    }
}

fn new_producer(a: &Args, checks: &Arc<Checks>) -> Result<Producer, ClientError> {
    let mut option = ProducerOption::default();
    option.set_topics(vec![a.topic.clone()]);
    let Some(mode) = a.transaction else {
        return Producer::new(option, client_option(a));
    };
    let checks = Arc::clone(checks);
    let commit = mode.commits();
    // Called (synchronously, on the crate's telemetry task) for a RecoverOrphanedTransactionCommand;
    // the crate then sends EndTransaction with the answer.
    let checker = move |_transaction_id: String, m: MessageView| {
        let name = if commit { "COMMIT" } else { "ROLLBACK" };
        emit(
            "checked",
            json!({"message_id": m.message_id(), "resolution": name}),
        );
        checks.record(m.message_id());
        if commit {
            TransactionResolution::COMMIT
        } else {
            TransactionResolution::ROLLBACK
        }
    };
    Producer::new_transaction_producer(option, client_option(a), Box::new(checker))
}

/// Sends message `i`; returns its id once the server acknowledged it (and, in commit and
/// rollback modes, the transaction was ended).
async fn send_one(producer: &Producer, a: &Args, i: usize) -> Result<String, ()> {
    let group = message_group_of(a, i);
    let mut builder = MessageBuilder::builder()
        .set_topic(&a.topic)
        .set_body(format!("{}{}", a.body_prefix, i).into_bytes());
    if let Some(tag) = &a.tag {
        builder = builder.set_tag(tag);
    }
    if !a.keys.is_empty() {
        builder = builder.set_keys(a.keys.clone());
    }
    if !a.properties.is_empty() {
        builder = builder.set_properties(a.properties.iter().cloned().collect::<HashMap<_, _>>());
    }
    if let Some(group) = &group {
        builder = builder.set_message_group(group);
    }
    let mut delivery_ms = None;
    if let Some(delay) = a.delay_secs {
        // The crate sends Timestamp{seconds, nanos: 0}: only whole seconds reach the wire;
        // round up so the message is never due early.
        let due = now_ms() + (delay * 1000.0).round() as i64;
        let seconds = due.div_euclid(1000) + i64::from(due.rem_euclid(1000) != 0);
        builder = builder.set_delivery_timestamp(seconds);
        delivery_ms = Some(seconds * 1000);
    }
    if a.transaction.is_some() {
        builder = builder.enable_transaction();
    }
    let fail = |stage: &str, e: &ClientError, extra: Value| {
        emit(
            "error",
            with(with(error_fields(stage, e), json!({"index": i})), extra),
        );
    };
    let message = builder.build().map_err(|e| fail("send", &e, json!({})))?;
    let sent = json!({"index": i, "message_group": group, "delivery_timestamp": delivery_ms});
    let Some(mode) = a.transaction else {
        let receipt = producer
            .send(message)
            .await
            .map_err(|e| fail("send", &e, json!({})))?;
        emit(
            "sent",
            with(sent, json!({"message_id": receipt.message_id()})),
        );
        return Ok(receipt.message_id().to_string());
    };
    let transaction = producer
        .send_transaction_message(message)
        .await
        .map_err(|e| fail("send", &e, json!({})))?;
    let id = transaction.message_id().to_string();
    emit(
        "sent",
        with(
            sent,
            json!({"message_id": id, "transaction_id": transaction.transaction_id()}),
        ),
    );
    let (ended, event) = match mode {
        // Left open: the server has to ask the checker.
        TxMode::CheckCommit | TxMode::CheckRollback => return Ok(id),
        TxMode::Commit => (transaction.commit().await, "committed"),
        TxMode::Rollback => (transaction.rollback().await, "rolled_back"),
    };
    match ended {
        Ok(()) => {
            emit(event, json!({"index": i, "message_id": id}));
            Ok(id)
        }
        Err(e) => {
            fail("end_transaction", &e, json!({"message_id": id}));
            Err(())
        }
    }
}

async fn produce(a: &Args) -> i32 {
    let checks = Arc::new(Checks::default());
    let mut producer = match new_producer(a, &checks) {
        Ok(p) => p,
        Err(e) => {
            emit("error", error_fields("startup", &e));
            return EXIT_CLIENT_ERROR;
        }
    };
    if let Err(e) = producer.start().await {
        emit("error", error_fields("startup", &e));
        return EXIT_CLIENT_ERROR;
    }
    let mut failed = false;
    let mut sent_ids = Vec::new();
    for i in 0..a.count {
        match send_one(&producer, a, i).await {
            Ok(id) => sent_ids.push(id),
            Err(()) => {
                failed = true;
                if a.stop_on_error {
                    break;
                }
            }
        }
    }
    let mut code = if failed { EXIT_CLIENT_ERROR } else { EXIT_OK };
    if a.transaction.is_some_and(TxMode::waits_for_check) && !sent_ids.is_empty() {
        code = await_checks(a, &checks, &sent_ids, code).await;
    }
    if let Err(e) = producer.shutdown().await {
        emit("error", error_fields("shutdown", &e));
    }
    code
}

/// Stays up until the server checked every half message sent, or --linger-secs ran out.
async fn await_checks(a: &Args, checks: &Checks, sent_ids: &[String], code: i32) -> i32 {
    let end = Instant::now() + Duration::from_secs_f64(a.linger_secs);
    let missing = loop {
        let missing = checks.missing(sent_ids);
        if missing.is_empty() || Instant::now() >= end {
            break missing;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    if missing.is_empty() {
        // The checker has answered; the crate sends EndTransaction right after it returns.
        tokio::time::sleep(END_TRANSACTION_GRACE).await;
        return code;
    }
    emit(
        "error",
        json!({"stage": "check", "code": "NOT_CHECKED", "message_ids": missing,
               "message": format!("{} of {} half messages were not checked within --linger-secs={}",
                                  missing.len(), sent_ids.len(), a.linger_secs)}),
    );
    if code == EXIT_OK {
        EXIT_TIMEOUT
    } else {
        code
    }
}

fn message_event(m: &MessageView, received_at_ms: i64) -> Value {
    let mut keys = m.keys().to_vec();
    keys.sort();
    // The crate keeps only the seconds of both timestamps (and 0 for a missing born time).
    let born = Some(m.born_timestamp()).filter(|s| *s != 0);
    json!({
        "topic": m.topic(),
        "message_id": m.message_id(),
        "tag": m.tag(),
        "keys": keys,
        "properties": m.properties(),
        "body": String::from_utf8_lossy(m.body()),
        "delivery_attempt": m.delivery_attempt(),
        "message_group": m.message_group(),
        "delivery_timestamp": m.delivery_timestamp().map(|s| s * 1000),
        "born_timestamp": born.map(|s| s * 1000),
        "received_at_ms": received_at_ms,
    })
}

async fn consume(a: &Args) -> i32 {
    let mut option = SimpleConsumerOption::default();
    option.set_consumer_group(&a.group);
    option.set_topics(vec![a.topic.clone()]);
    let mut client = client_option(a);
    // The crate sends long_polling_timeout (default 40 s) and uses the same value as the
    // receive deadline; keep it inside the caller's timeout.
    client.set_long_polling_timeout(Duration::from_secs_f64(a.timeout_secs.clamp(1.0, 20.0)));
    let mut consumer = match SimpleConsumer::new(option, client) {
        Ok(c) => c,
        Err(e) => {
            emit("error", error_fields("startup", &e));
            return EXIT_CLIENT_ERROR;
        }
    };
    if let Err(e) = consumer.start().await {
        emit("error", error_fields("startup", &e));
        return EXIT_CLIENT_ERROR;
    }
    let filter = match (&a.sql, &a.filter) {
        (Some(sql), _) => FilterExpression::new(FilterType::Sql, sql),
        (None, tag) => FilterExpression::new(FilterType::Tag, tag.as_deref().unwrap_or("*")),
    };
    let end = Instant::now() + Duration::from_secs_f64(a.timeout_secs);
    let (mut received, mut code) = (0usize, EXIT_TIMEOUT);
    while Instant::now() < end {
        let batch = (a.count - received).min(32) as i32;
        let invisible = Duration::from_secs(a.invisible_secs);
        let messages = match consumer
            .receive_with(&a.topic, &filter, batch, invisible)
            .await
        {
            Ok(m) => m,
            Err(e) => {
                emit("error", error_fields("receive", &e));
                code = EXIT_CLIENT_ERROR;
                break;
            }
        };
        // One batch reaches the program at once: every message in it shares this time.
        let received_at = now_ms();
        for m in messages {
            received += 1;
            emit("received", message_event(&m, received_at));
            if a.ack_delay_ms > 0 {
                tokio::time::sleep(Duration::from_millis(a.ack_delay_ms)).await;
            }
            if !a.no_ack {
                match consumer.ack(&m).await {
                    Ok(()) => emit("acked", json!({"message_id": m.message_id()})),
                    Err(e) => emit(
                        "error",
                        with(
                            error_fields("ack", &e),
                            json!({"message_id": m.message_id()}),
                        ),
                    ),
                }
            }
        }
        if received >= a.count {
            code = EXIT_OK;
            break;
        }
    }
    if let Err(e) = consumer.shutdown().await {
        emit("error", error_fields("shutdown", &e));
    }
    code
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    // Consume must be allowed to run its own timeout first, a checked transaction its linger.
    let deadline = args.deadline_secs.unwrap_or(if args.command == "consume" {
        (args.timeout_secs + 30.0).max(30.0)
    } else if args.transaction.is_some_and(TxMode::waits_for_check) {
        (args.linger_secs + 30.0).max(30.0)
    } else {
        30.0
    });
    // Run in a task so that a panic inside the crate (it unwraps server answers and
    // connection results, spec §0.9) is reported as an error event instead of an abort.
    let task = tokio::spawn(async move {
        if args.command == "produce" {
            produce(&args).await
        } else {
            consume(&args).await
        }
    });
    let code = match tokio::time::timeout(Duration::from_secs_f64(deadline), task).await {
        Ok(Ok(code)) => code,
        Ok(Err(join_error)) => {
            let text = match join_error.try_into_panic() {
                Ok(payload) => payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "panic".into()),
                Err(e) => e.to_string(),
            };
            emit(
                "error",
                json!({"stage": "panic", "code": "PANIC", "exception": "panic", "message": text}),
            );
            EXIT_CLIENT_ERROR
        }
        Err(_) => {
            emit(
                "error",
                json!({"stage": "deadline", "code": "DEADLINE_EXCEEDED",
                       "message": format!("no result within --deadline-secs={deadline}")}),
            );
            EXIT_DEADLINE
        }
    };
    // Background tasks of the SDK (heartbeats, telemetry) would keep the runtime busy.
    std::process::exit(code);
}
