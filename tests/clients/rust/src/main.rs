//! Petrel end-to-end test client: drives the official RocketMQ 5 Rust SDK (crates.io
//! `rocketmq` 5.0.0, unmodified) with the common command-line contract of
//! tests/clients/README.md. That crate has a producer and a simple consumer only, so
//! `consume --mode push` is refused as bad usage.
//!
//! stdout carries only JSON lines (one event each); the SDK logs to stderr. Exit codes:
//! 0 done, 2 client error, 3 consume timeout, 4 overall deadline (--deadline-secs)
//! exceeded, 64 bad usage.

use std::collections::HashMap;
use std::io::Write;
use std::time::{Duration, Instant};

use rocketmq::conf::{ClientOption, ProducerOption, SimpleConsumerOption};
use rocketmq::error::ClientError;
use rocketmq::model::common::{FilterExpression, FilterType};
use rocketmq::model::message::{MessageBuilder, MessageView};
use rocketmq::{Producer, SimpleConsumer};
use serde_json::{json, Map, Value};

const EXIT_OK: i32 = 0;
const EXIT_CLIENT_ERROR: i32 = 2;
const EXIT_TIMEOUT: i32 = 3;
const EXIT_DEADLINE: i32 = 4;
const EXIT_USAGE: i32 = 64;

const USAGE: &str =
    "usage: rocketmq-e2e-client produce --endpoint H:P --namespace NS --topic T --count N \
[--tag TAG] [--keys K1,K2] [--property k=v ...] [--body-prefix P] [--stop-on-error] \
[--ak ID --sk SECRET] [--deadline-secs S]
       rocketmq-e2e-client consume --endpoint H:P --namespace NS --topic T --group G --count N \
--timeout-secs S [--mode simple] [--filter EXPR] [--invisible-secs I] [--no-ack] \
[--ak ID --sk SECRET] [--deadline-secs S]";

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
    filter: String,
    invisible_secs: u64,
    no_ack: bool,
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
        filter: "*".into(),
        invisible_secs: 20,
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
            "--filter" => a.filter = value(),
            "--invisible-secs" => a.invisible_secs = number(&flag, value()),
            "--no-ack" => a.no_ack = true,
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
    a
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

async fn produce(a: &Args) -> i32 {
    let mut option = ProducerOption::default();
    option.set_topics(vec![a.topic.clone()]);
    let mut producer = match Producer::new(option, client_option(a)) {
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
    for i in 0..a.count {
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
            builder =
                builder.set_properties(a.properties.iter().cloned().collect::<HashMap<_, _>>());
        }
        let result = match builder.build() {
            Ok(message) => producer.send(message).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(receipt) => emit(
                "sent",
                json!({"index": i, "message_id": receipt.message_id()}),
            ),
            Err(e) => {
                failed = true;
                emit("error", with(error_fields("send", &e), json!({"index": i})));
                if a.stop_on_error {
                    break;
                }
            }
        }
    }
    if let Err(e) = producer.shutdown().await {
        emit("error", error_fields("shutdown", &e));
    }
    if failed {
        EXIT_CLIENT_ERROR
    } else {
        EXIT_OK
    }
}

fn message_event(m: &MessageView) -> Value {
    let mut keys = m.keys().to_vec();
    keys.sort();
    json!({
        "topic": m.topic(),
        "message_id": m.message_id(),
        "tag": m.tag(),
        "keys": keys,
        "properties": m.properties(),
        "body": String::from_utf8_lossy(m.body()),
        "delivery_attempt": m.delivery_attempt(),
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
    let filter = FilterExpression::new(FilterType::Tag, &a.filter);
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
        for m in messages {
            received += 1;
            emit("received", message_event(&m));
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
    // Consume must be allowed to run its own timeout first.
    let deadline = args.deadline_secs.unwrap_or(if args.command == "produce" {
        30.0
    } else {
        (args.timeout_secs + 30.0).max(30.0)
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
