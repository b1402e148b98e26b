//! Wire-level checks of the generated `apache.rocketmq.v2` code against the field numbers in
//! `specs/rocketmq-grpc.md`: hand-built byte vectors (encode and decode) and round trips. The
//! full descriptor comparison with the spec tables lives in `descriptor.rs`.

use std::collections::BTreeMap;

use bytes::Bytes;
use petrel_proto::v2::{
    self, AckMessageEntry, AckMessageRequest, Address, Broker, Code, CustomizedBackoff,
    DeadLetterQueue, Digest, DigestType, Encoding, Endpoints, ExponentialBackoff, Message,
    MessageQueue, MessageType, Permission, Publishing, ReceiveMessageRequest,
    ReceiveMessageResponse, RecoverOrphanedTransactionCommand, Resource, RetryPolicy,
    SendMessageRequest, SendMessageResponse, SendResultEntry, Settings, Status, Subscription,
    SubscriptionEntry, SystemProperties, TelemetryCommand, Ua, receive_message_response,
    retry_policy, settings, telemetry_command,
};
use prost::Message as _;
use prost_types::{Duration, Timestamp};

type TestResult = Result<(), Box<dyn std::error::Error>>;

// ----- Hand-built byte vectors ----------------------------------------------------------------

#[test]
fn send_message_request_encodes_to_the_hand_built_bytes() {
    let request = SendMessageRequest {
        messages: vec![Message {
            topic: Some(Resource {
                resource_namespace: String::new(),
                name: "T".to_owned(),
            }),
            user_properties: BTreeMap::new(),
            system_properties: Some(SystemProperties {
                message_id: "M".to_owned(),
                body_encoding: Encoding::Identity.into(),
                message_type: MessageType::Normal.into(),
                ..Default::default()
            }),
            body: Bytes::from_static(b"hi"),
        }],
    };
    #[rustfmt::skip]
    let expected: &[u8] = &[
        0x0a, 18,                   // SendMessageRequest #1 messages, LEN 18
          0x0a, 3,                  //   Message #1 topic, LEN 3
            0x12, 1, b'T',          //     Resource #2 name = "T"
          0x1a, 7,                  //   Message #3 system_properties, LEN 7
            0x1a, 1, b'M',          //     SystemProperties #3 message_id = "M"
            0x28, 1,                //     SystemProperties #5 body_encoding = IDENTITY
            0x30, 1,                //     SystemProperties #6 message_type = NORMAL
          0x22, 2, b'h', b'i',      //   Message #4 body = "hi"
    ];
    assert_eq!(request.encode_to_vec(), expected);
    assert_eq!(SendMessageRequest::decode(expected), Ok(request));
}

#[test]
fn receive_message_request_optional_fields_use_their_spec_numbers() {
    let request = ReceiveMessageRequest {
        batch_size: 32,
        invisible_duration: Some(Duration {
            seconds: 15,
            nanos: 0,
        }),
        auto_renew: true,
        long_polling_timeout: Some(Duration {
            seconds: 20,
            nanos: 0,
        }),
        attempt_id: Some("a".to_owned()),
        ..Default::default()
    };
    #[rustfmt::skip]
    let expected: &[u8] = &[
        0x20, 32,               // #4 batch_size = 32
        0x2a, 2, 0x08, 15,      // #5 invisible_duration { seconds: 15 }
        0x30, 1,                // #6 auto_renew = true
        0x3a, 2, 0x08, 20,      // #7 long_polling_timeout { seconds: 20 }
        0x42, 1, b'a',          // #8 attempt_id = "a"
    ];
    assert_eq!(request.encode_to_vec(), expected);
}

#[test]
fn message_queue_negative_id_and_packed_types_match_the_wire() {
    let queue = MessageQueue {
        id: -1,
        permission: Permission::ReadWrite.into(),
        accept_message_types: vec![
            MessageType::Normal.into(),
            MessageType::Fifo.into(),
            MessageType::Delay.into(),
            MessageType::Transaction.into(),
        ],
        ..Default::default()
    };
    #[rustfmt::skip]
    let expected: &[u8] = &[
        0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, // #2 id = -1 (int32)
        0x18, 4,                // #3 permission = READ_WRITE
        0x2a, 4, 1, 2, 3, 4,    // #5 accept_message_types, packed
    ];
    assert_eq!(queue.encode_to_vec(), expected);
    // Unpacked repeated enums (legal on the wire) decode the same way.
    #[rustfmt::skip]
    let unpacked: &[u8] = &[
        0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
        0x18, 4,
        0x28, 1, 0x28, 2, 0x28, 3, 0x28, 4,
    ];
    assert_eq!(MessageQueue::decode(unpacked), Ok(queue));
}

#[test]
fn producer_retry_policy_encodes_float_multiplier_as_fixed32() {
    let policy = RetryPolicy {
        max_attempts: 3,
        strategy: Some(retry_policy::Strategy::ExponentialBackoff(
            ExponentialBackoff {
                initial: Some(Duration {
                    seconds: 0,
                    nanos: 10_000_000,
                }),
                max: Some(Duration {
                    seconds: 1,
                    nanos: 0,
                }),
                multiplier: 2.0,
            },
        )),
    };
    #[rustfmt::skip]
    let expected: &[u8] = &[
        0x08, 3,                            // #1 max_attempts = 3
        0x12, 16,                           // #2 exponential_backoff, LEN 16
          0x0a, 5, 0x10, 0x80, 0xad, 0xe2, 0x04, // #1 initial { nanos: 10_000_000 }
          0x12, 2, 0x08, 1,                 //   #2 max { seconds: 1 }
          0x1d, 0x00, 0x00, 0x00, 0x40,     //   #3 multiplier = 2.0f32 (fixed32)
    ];
    assert_eq!(policy.encode_to_vec(), expected);
}

#[test]
fn receive_message_response_frames_decode_from_hand_built_bytes() -> TestResult {
    // {status: {code: OK(20000), message: "OK"}}
    let status_frame: &[u8] = &[0x0a, 8, 0x08, 0xa0, 0x9c, 0x01, 0x12, 2, b'O', b'K'];
    let decoded = ReceiveMessageResponse::decode(status_frame)?;
    let Some(receive_message_response::Content::Status(status)) = decoded.content else {
        panic!("field #1 must be the status branch: {decoded:?}");
    };
    assert_eq!(status.code(), Code::Ok);
    assert_eq!(status.message, "OK");

    // {message: {topic: {name: "T"}}}
    let message_frame: &[u8] = &[0x12, 5, 0x0a, 3, 0x12, 1, b'T'];
    let decoded = ReceiveMessageResponse::decode(message_frame)?;
    let Some(receive_message_response::Content::Message(message)) = decoded.content else {
        panic!("field #2 must be the message branch: {decoded:?}");
    };
    assert_eq!(message.topic.map(|t| t.name), Some("T".to_owned()));

    // {delivery_timestamp: {seconds: 1}}
    let timestamp_frame: &[u8] = &[0x1a, 2, 0x08, 1];
    let decoded = ReceiveMessageResponse::decode(timestamp_frame)?;
    assert_eq!(
        decoded.content,
        Some(receive_message_response::Content::DeliveryTimestamp(
            Timestamp {
                seconds: 1,
                nanos: 0
            }
        ))
    );
    Ok(())
}

#[test]
fn send_message_response_decodes_from_hand_built_bytes() -> TestResult {
    #[rustfmt::skip]
    let bytes: &[u8] = &[
        0x0a, 4, 0x08, 0xa0, 0x9c, 0x01,    // #1 status { code: OK }
        0x12, 19,                           // #2 entries, LEN 19
          0x0a, 4, 0x08, 0xa0, 0x9c, 0x01,  //   #1 status { code: OK }
          0x12, 2, b'i', b'd',              //   #2 message_id = "id"
          0x1a, 2, b't', b'x',              //   #3 transaction_id = "tx"
          0x20, 7,                          //   #4 offset = 7
          0x2a, 1, b'r',                    //   #5 recall_handle = "r"
    ];
    let ok = Status {
        code: Code::Ok.into(),
        message: String::new(),
    };
    let expected = SendMessageResponse {
        status: Some(ok.clone()),
        entries: vec![SendResultEntry {
            status: Some(ok),
            message_id: "id".to_owned(),
            transaction_id: "tx".to_owned(),
            offset: 7,
            recall_handle: "r".to_owned(),
        }],
    };
    assert_eq!(SendMessageResponse::decode(bytes)?, expected);
    assert_eq!(expected.encode_to_vec(), bytes);
    Ok(())
}

#[test]
fn telemetry_command_oneof_branches_use_their_spec_numbers() -> TestResult {
    // Server push: {recover_orphaned_transaction_command (#5): {transaction_id (#2): "tx"}}.
    let push: &[u8] = &[0x2a, 4, 0x12, 2, b't', b'x'];
    let decoded = TelemetryCommand::decode(push)?;
    assert_eq!(
        decoded.command,
        Some(
            telemetry_command::Command::RecoverOrphanedTransactionCommand(
                RecoverOrphanedTransactionCommand {
                    message: None,
                    transaction_id: "tx".to_owned(),
                }
            )
        )
    );

    // Settings reply: {status (#1): {code: OK}, settings (#2): {client_type (#1): PRODUCER}}.
    let reply = TelemetryCommand {
        status: Some(Status {
            code: Code::Ok.into(),
            message: String::new(),
        }),
        command: Some(telemetry_command::Command::Settings(Settings {
            client_type: Some(v2::ClientType::Producer.into()),
            ..Default::default()
        })),
    };
    #[rustfmt::skip]
    let expected: &[u8] = &[
        0x0a, 4, 0x08, 0xa0, 0x9c, 0x01, // #1 status { code: OK }
        0x12, 2, 0x08, 1,                // #2 settings { client_type: PRODUCER }
    ];
    assert_eq!(reply.encode_to_vec(), expected);

    // Every branch, by its spec number.
    let branches = [
        (2, "settings"),
        (3, "thread_stack_trace"),
        (4, "verify_message_result"),
        (5, "recover_orphaned_transaction_command"),
        (6, "print_thread_stack_trace_command"),
        (7, "verify_message_command"),
        (8, "reconnect_endpoints_command"),
        (9, "notify_unsubscribe_lite_command"),
    ];
    for (field, branch) in branches {
        let frame: [u8; 2] = [(field << 3) | 2, 0];
        let decoded = TelemetryCommand::decode(&frame[..])?;
        assert_eq!(
            decoded.command.as_ref().map(command_branch),
            Some(branch),
            "field #{field}"
        );
    }
    Ok(())
}

#[test]
fn system_properties_fields_sit_at_their_spec_numbers() -> TestResult {
    let properties = full_system_properties();
    let encoded = properties.encode_to_vec();
    let mut seen = Vec::new();
    let mut rest = &encoded[..];
    while !rest.is_empty() {
        let (key, after_key) = read_varint(rest)?;
        let wire_type = key & 7;
        let field = key >> 3;
        seen.push((field, wire_type));
        rest = skip_value(wire_type, after_key)?;
    }
    // (number, wire type): 0 = varint, 2 = length-delimited. `keys` (#2) has two values.
    let expected: Vec<(u64, u64)> = vec![
        (1, 2),
        (2, 2),
        (2, 2),
        (3, 2),
        (4, 2),
        (5, 0),
        (6, 0),
        (7, 2),
        (8, 2),
        (9, 2),
        (10, 2),
        (11, 2),
        (12, 2),
        (13, 0),
        (14, 0),
        (15, 2),
        (16, 0),
        (17, 2),
        (18, 2),
        (19, 2),
        (20, 2),
        (21, 2),
        (22, 0),
    ];
    assert_eq!(seen, expected);
    Ok(())
}

#[test]
fn unknown_code_values_survive_a_round_trip() -> TestResult {
    // {code: 12345}: not a declared value; kept as the raw number.
    let bytes: &[u8] = &[0x08, 0xb9, 0x60];
    let status = Status::decode(bytes)?;
    assert_eq!(status.code, 12345);
    assert!(Code::try_from(status.code).is_err());
    assert_eq!(status.encode_to_vec(), bytes);
    Ok(())
}

// ----- Round trips ------------------------------------------------------------------------

#[test]
fn full_message_round_trips() -> TestResult {
    let message = Message {
        topic: Some(Resource {
            resource_namespace: "ns".to_owned(),
            name: "orders".to_owned(),
        }),
        user_properties: BTreeMap::from([
            ("a".to_owned(), "1".to_owned()),
            ("b".to_owned(), "2".to_owned()),
        ]),
        system_properties: Some(full_system_properties()),
        body: Bytes::from_static(b"payload"),
    };
    let decoded = Message::decode(message.encode_to_vec().as_slice())?;
    assert_eq!(decoded, message);
    Ok(())
}

#[test]
fn settings_replies_round_trip() -> TestResult {
    let producer = Settings {
        client_type: Some(v2::ClientType::Producer.into()),
        access_point: Some(endpoints()),
        backoff_policy: Some(RetryPolicy {
            max_attempts: 3,
            strategy: Some(retry_policy::Strategy::ExponentialBackoff(
                ExponentialBackoff {
                    initial: Some(Duration {
                        seconds: 0,
                        nanos: 10_000_000,
                    }),
                    max: Some(Duration {
                        seconds: 1,
                        nanos: 0,
                    }),
                    multiplier: 2.0,
                },
            )),
        }),
        request_timeout: Some(Duration {
            seconds: 3,
            nanos: 0,
        }),
        pub_sub: Some(settings::PubSub::Publishing(Publishing {
            topics: vec![Resource {
                resource_namespace: String::new(),
                name: "orders".to_owned(),
            }],
            max_body_size: 4_194_304,
            validate_message_type: true,
        })),
        user_agent: Some(Ua {
            language: v2::Language::Python.into(),
            version: "5.1.2".to_owned(),
            platform: "linux".to_owned(),
            hostname: "vm".to_owned(),
        }),
        metric: Some(v2::Metric {
            on: false,
            endpoints: None,
        }),
        client_properties: BTreeMap::new(),
    };
    let consumer = Settings {
        client_type: Some(v2::ClientType::PushConsumer.into()),
        backoff_policy: Some(RetryPolicy {
            max_attempts: 17,
            strategy: Some(retry_policy::Strategy::CustomizedBackoff(
                CustomizedBackoff {
                    next: [1, 5, 10, 30]
                        .into_iter()
                        .map(|seconds| Duration { seconds, nanos: 0 })
                        .collect(),
                },
            )),
        }),
        pub_sub: Some(settings::PubSub::Subscription(Subscription {
            group: Some(Resource {
                resource_namespace: String::new(),
                name: "g".to_owned(),
            }),
            subscriptions: vec![SubscriptionEntry {
                topic: Some(Resource {
                    resource_namespace: String::new(),
                    name: "orders".to_owned(),
                }),
                expression: Some(v2::FilterExpression {
                    r#type: v2::FilterType::Tag.into(),
                    expression: "*".to_owned(),
                }),
            }],
            fifo: Some(false),
            receive_batch_size: Some(32),
            long_polling_timeout: Some(Duration {
                seconds: 20,
                nanos: 0,
            }),
            lite_subscription_quota: None,
            max_lite_topic_size: None,
        })),
        ..Default::default()
    };
    for settings in [producer, consumer] {
        let command = TelemetryCommand {
            status: Some(Status {
                code: Code::Ok.into(),
                message: "OK".to_owned(),
            }),
            command: Some(telemetry_command::Command::Settings(settings)),
        };
        let decoded = TelemetryCommand::decode(command.encode_to_vec().as_slice())?;
        assert_eq!(decoded, command);
    }
    Ok(())
}

#[test]
fn ack_request_and_route_round_trip() -> TestResult {
    let ack = AckMessageRequest {
        group: Some(Resource {
            resource_namespace: String::new(),
            name: "g".to_owned(),
        }),
        topic: Some(Resource {
            resource_namespace: String::new(),
            name: "t".to_owned(),
        }),
        entries: vec![AckMessageEntry {
            message_id: "id".to_owned(),
            receipt_handle: "h".to_owned(),
            lite_topic: None,
        }],
    };
    assert_eq!(
        AckMessageRequest::decode(ack.encode_to_vec().as_slice())?,
        ack
    );

    let route = v2::QueryRouteResponse {
        status: Some(Status {
            code: Code::Ok.into(),
            message: "OK".to_owned(),
        }),
        message_queues: vec![MessageQueue {
            topic: Some(Resource {
                resource_namespace: String::new(),
                name: "t".to_owned(),
            }),
            id: 0,
            permission: Permission::ReadWrite.into(),
            broker: Some(Broker {
                name: "petrel".to_owned(),
                id: 0,
                endpoints: Some(endpoints()),
            }),
            accept_message_types: vec![MessageType::Normal.into()],
        }],
    };
    assert_eq!(
        v2::QueryRouteResponse::decode(route.encode_to_vec().as_slice())?,
        route
    );
    Ok(())
}

// ----- Helpers --------------------------------------------------------------------------------

fn endpoints() -> Endpoints {
    Endpoints {
        scheme: v2::AddressScheme::IPv4.into(),
        addresses: vec![Address {
            host: "127.0.0.1".to_owned(),
            port: 8081,
        }],
    }
}

/// Every SystemProperties field set to a non-default value.
fn full_system_properties() -> SystemProperties {
    SystemProperties {
        tag: Some("tag".to_owned()),
        keys: vec!["k1".to_owned(), "k2".to_owned()],
        message_id: "01AABBCCDDEEFF0000000000000000001".to_owned(),
        body_digest: Some(Digest {
            r#type: DigestType::Md5.into(),
            checksum: "0CC175B9C0F1B6A831C399E269772661".to_owned(),
        }),
        body_encoding: Encoding::Identity.into(),
        message_type: MessageType::Fifo.into(),
        born_timestamp: Some(Timestamp {
            seconds: 1_700_000_000,
            nanos: 0,
        }),
        born_host: "vm".to_owned(),
        store_timestamp: Some(Timestamp {
            seconds: 1_700_000_001,
            nanos: 0,
        }),
        store_host: "petrel".to_owned(),
        delivery_timestamp: Some(Timestamp {
            seconds: 1_700_000_002,
            nanos: 5,
        }),
        receipt_handle: Some("handle".to_owned()),
        queue_id: 1,
        queue_offset: Some(42),
        invisible_duration: Some(Duration {
            seconds: 30,
            nanos: 0,
        }),
        delivery_attempt: Some(1),
        message_group: Some("group".to_owned()),
        trace_context: Some("trace".to_owned()),
        orphaned_transaction_recovery_duration: Some(Duration {
            seconds: 60,
            nanos: 0,
        }),
        dead_letter_queue: Some(DeadLetterQueue {
            topic: "t".to_owned(),
            message_id: "m".to_owned(),
        }),
        lite_topic: Some("lite".to_owned()),
        priority: Some(3),
    }
}

fn command_branch(command: &telemetry_command::Command) -> &'static str {
    use telemetry_command::Command;
    match command {
        Command::Settings(_) => "settings",
        Command::ThreadStackTrace(_) => "thread_stack_trace",
        Command::VerifyMessageResult(_) => "verify_message_result",
        Command::RecoverOrphanedTransactionCommand(_) => "recover_orphaned_transaction_command",
        Command::PrintThreadStackTraceCommand(_) => "print_thread_stack_trace_command",
        Command::VerifyMessageCommand(_) => "verify_message_command",
        Command::ReconnectEndpointsCommand(_) => "reconnect_endpoints_command",
        Command::NotifyUnsubscribeLiteCommand(_) => "notify_unsubscribe_lite_command",
    }
}

/// Reads one base-128 varint; our own decoder, independent of prost.
fn read_varint(buf: &[u8]) -> Result<(u64, &[u8]), String> {
    let mut value = 0u64;
    for (i, byte) in buf.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok((value, &buf[i + 1..]));
        }
    }
    Err("truncated varint".to_owned())
}

fn skip_value(wire_type: u64, buf: &[u8]) -> Result<&[u8], String> {
    match wire_type {
        0 => Ok(read_varint(buf)?.1),
        1 => buf.get(8..).ok_or_else(|| "truncated fixed64".to_owned()),
        2 => {
            let (len, rest) = read_varint(buf)?;
            let len = usize::try_from(len).map_err(|e| e.to_string())?;
            rest.get(len..).ok_or_else(|| "truncated LEN".to_owned())
        }
        5 => buf.get(4..).ok_or_else(|| "truncated fixed32".to_owned()),
        other => Err(format!("unexpected wire type {other}")),
    }
}
