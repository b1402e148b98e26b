//! Proto ↔ broker conversions: message types, timestamps and durations, a sent `Message` into
//! an [`OutgoingMessage`], and a delivery into the `Message` of spec §7 (MD5 body digest in
//! upper-case hex, IDENTITY encoding, receipt handle, attempt, queue and store facts).

use std::time::Duration;

use md5::{Digest as _, Md5};
use petrel_broker::{Delivered, MessageType, MessageView, OutgoingMessage};
use petrel_proto::v2;

use crate::status::Failure;

/// `apache.rocketmq.v2.MessageType` of a Petrel message type.
pub fn message_type_to_proto(t: MessageType) -> v2::MessageType {
    match t {
        MessageType::Normal => v2::MessageType::Normal,
        MessageType::Fifo => v2::MessageType::Fifo,
        MessageType::Delay => v2::MessageType::Delay,
        MessageType::Transaction => v2::MessageType::Transaction,
    }
}

/// The Petrel message type of a wire value; `None` for types Petrel has no topic for.
pub fn message_type_from_proto(value: i32) -> Option<MessageType> {
    match v2::MessageType::try_from(value).ok()? {
        v2::MessageType::Normal => Some(MessageType::Normal),
        v2::MessageType::Fifo => Some(MessageType::Fifo),
        v2::MessageType::Delay => Some(MessageType::Delay),
        v2::MessageType::Transaction => Some(MessageType::Transaction),
        _ => None,
    }
}

/// Milliseconds since the epoch of a timestamp (saturating).
pub fn timestamp_ms(ts: &prost_types::Timestamp) -> i64 {
    ts.seconds
        .saturating_mul(1000)
        .saturating_add(i64::from(ts.nanos.clamp(0, 999_999_999) / 1_000_000))
}

/// The timestamp of `ms` milliseconds since the epoch.
pub fn timestamp(ms: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: ms.div_euclid(1000),
        // In 0..1000 ms, so the product fits an i32.
        nanos: i32::try_from(ms.rem_euclid(1000) * 1_000_000).unwrap_or(0),
    }
}

/// The timestamp of now.
pub fn now() -> prost_types::Timestamp {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    timestamp(ms)
}

/// A wire duration as a `Duration`; negative values are refused.
pub fn duration(d: &prost_types::Duration) -> Option<Duration> {
    let secs = u64::try_from(d.seconds).ok()?;
    let nanos = u32::try_from(d.nanos).ok()?;
    Duration::from_secs(secs).checked_add(Duration::from_nanos(u64::from(nanos)))
}

/// A `Duration` on the wire.
pub fn proto_duration(d: Duration) -> prost_types::Duration {
    prost_types::Duration {
        seconds: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        nanos: i32::try_from(d.subsec_nanos()).unwrap_or(0),
    }
}

/// The body digest every delivered message carries: MD5, upper-case hex (spec §0.6).
pub fn body_digest(body: &[u8]) -> v2::Digest {
    v2::Digest {
        r#type: v2::DigestType::Md5 as i32,
        checksum: hex::encode_upper(Md5::digest(body)),
    }
}

/// A message as a producer sent it, for the broker. The message type defaults from the fields
/// (group → FIFO, delivery time → DELAY) when the client left it unspecified.
pub fn outgoing(m: v2::Message) -> Result<OutgoingMessage, Failure> {
    let sp = m.system_properties.unwrap_or_default();
    let message_type = if sp.message_type == v2::MessageType::Unspecified as i32 {
        if sp.message_group.is_some() {
            MessageType::Fifo
        } else if sp.delivery_timestamp.is_some() {
            MessageType::Delay
        } else {
            MessageType::Normal
        }
    } else {
        message_type_from_proto(sp.message_type).ok_or_else(|| {
            Failure::new(
                crate::status::code::UNSUPPORTED,
                format!(
                    "message `{}` has message type {}, which Petrel does not support",
                    sp.message_id, sp.message_type
                ),
            )
        })?
    };
    Ok(OutgoingMessage {
        message_id: sp.message_id,
        message_type,
        tag: sp.tag.filter(|t| !t.is_empty()),
        keys: sp.keys,
        user_properties: m.user_properties.into_iter().collect(),
        body: m.body,
        born_timestamp_ms: sp.born_timestamp.as_ref().map_or(0, timestamp_ms),
        born_host: sp.born_host,
        // The broker chooses the queue: Python always says 0, and receives read all queues.
        queue_id: None,
        message_group: sp.message_group,
        delivery_timestamp_ms: sp.delivery_timestamp.as_ref().map(timestamp_ms),
        trace_context: sp.trace_context,
    })
}

/// A delivery as the client receives it (spec §7). `namespace` fills `Resource`'s namespace,
/// `store_host` the server's address.
pub fn delivered(d: Delivered, namespace: &str, store_host: &str) -> v2::Message {
    message(
        d.message,
        namespace,
        store_host,
        Some(d.receipt_handle),
        d.delivery_attempt,
        Some(d.invisible_duration),
    )
}

/// A stored message in the shape of spec §7 (also for RecoverOrphanedTransactionCommand,
/// whose message has no receipt handle).
pub fn message(
    m: MessageView,
    namespace: &str,
    store_host: &str,
    receipt_handle: Option<String>,
    delivery_attempt: u32,
    invisible_duration: Option<Duration>,
) -> v2::Message {
    let system_properties = v2::SystemProperties {
        tag: m.tag,
        keys: m.keys,
        message_id: m.message_id,
        body_digest: Some(body_digest(&m.body)),
        body_encoding: v2::Encoding::Identity as i32,
        message_type: message_type_to_proto(m.message_type) as i32,
        born_timestamp: Some(timestamp(m.born_timestamp_ms)),
        born_host: m.born_host,
        store_timestamp: Some(timestamp(m.store_timestamp_ms)),
        store_host: store_host.to_owned(),
        delivery_timestamp: m.delivery_timestamp_ms.map(timestamp),
        receipt_handle,
        queue_id: i32::try_from(m.queue_id).unwrap_or(i32::MAX),
        queue_offset: Some(i64::try_from(m.queue_offset).unwrap_or(i64::MAX)),
        invisible_duration: invisible_duration.map(proto_duration),
        delivery_attempt: Some(i32::try_from(delivery_attempt.max(1)).unwrap_or(i32::MAX)),
        message_group: m.message_group,
        trace_context: m.trace_context,
        ..Default::default()
    };
    v2::Message {
        topic: Some(v2::Resource {
            resource_namespace: namespace.to_owned(),
            name: m.topic,
        }),
        user_properties: m.user_properties.into_iter().collect(),
        system_properties: Some(system_properties),
        body: m.body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_uppercase_md5() {
        let d = body_digest(b"hello");
        assert_eq!(d.checksum, "5D41402ABC4B2A76B9719D911017C592");
        assert_eq!(d.r#type, v2::DigestType::Md5 as i32);
    }

    #[test]
    fn timestamps_round_trip() {
        for ms in [0, 1, 999, 1_700_000_000_123, -1500] {
            assert_eq!(timestamp_ms(&timestamp(ms)), ms);
        }
    }

    #[test]
    fn negative_durations_are_refused() {
        let d = prost_types::Duration {
            seconds: -1,
            nanos: 0,
        };
        assert_eq!(duration(&d), None);
        let d = prost_types::Duration {
            seconds: 15,
            nanos: 5,
        };
        assert_eq!(duration(&d), Some(Duration::new(15, 5)));
    }

    #[test]
    fn unspecified_type_follows_the_fields() {
        let m = v2::Message {
            system_properties: Some(v2::SystemProperties {
                message_id: "id".into(),
                message_group: Some("g".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(outgoing(m).unwrap().message_type, MessageType::Fifo);
    }
}
