//! The messages the broker exchanges with front ends — what a producer sends, what a send
//! returns, what a consumer receives — and how the system fields of a message are kept in the
//! store.
//!
//! The store has fields for id, tag, keys, born time, ordered properties and body. The other
//! system fields (message type, born host, message group, delivery time, trace context) are
//! stored as properties whose keys start with [`SYSTEM_PROPERTY_PREFIX`], ahead of the user
//! properties; user properties with that prefix are refused at send, so decoding is exact.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use petrel_model::MessageType;
use petrel_store::StoredMessage;

use crate::names::topic_of_key;

/// Keys of properties the broker keeps for itself start with this.
pub const SYSTEM_PROPERTY_PREFIX: &str = "__petrel.";

const P_TYPE: &str = "__petrel.type";
const P_BORN_HOST: &str = "__petrel.born_host";
pub(crate) const P_GROUP: &str = "__petrel.message_group";
pub(crate) const P_DELIVERY: &str = "__petrel.delivery_ms";
const P_TRACE: &str = "__petrel.trace_context";

/// The value of the system property `key` of a stored message.
pub(crate) fn system_property<'a>(m: &'a StoredMessage, key: &str) -> Option<&'a str> {
    m.properties
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// A message to send, as the front end decoded it from the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    /// Client-chosen id; kept as is and echoed in the receipt and on delivery. Retried sends
    /// with the same id to the same topic are stored once (see [`crate::Broker::send`]).
    pub message_id: String,
    /// Type the client declared; must equal the topic's.
    pub message_type: MessageType,
    /// Optional tag (empty means none).
    pub tag: Option<String>,
    /// Keys (indexed for queries).
    pub keys: Vec<String>,
    /// User properties in order.
    pub user_properties: Vec<(String, String)>,
    /// Payload (must not be empty).
    pub body: Bytes,
    /// Producer timestamp, ms since the epoch.
    pub born_timestamp_ms: i64,
    /// Producer host.
    pub born_host: String,
    /// Queue the client chose; honoured when it exists, else the broker picks round-robin.
    /// FIFO messages go to the queue of their message group regardless.
    pub queue_id: Option<u32>,
    /// FIFO message group (FIFO messages only).
    pub message_group: Option<String>,
    /// Delivery time, ms since the epoch (DELAY messages only).
    pub delivery_timestamp_ms: Option<i64>,
    /// Opaque trace context, echoed on delivery.
    pub trace_context: Option<String>,
}

impl OutgoingMessage {
    /// A NORMAL message born now, without tag, keys, properties or host.
    pub fn new(message_id: impl Into<String>, body: impl Into<Bytes>) -> OutgoingMessage {
        OutgoingMessage {
            message_id: message_id.into(),
            message_type: MessageType::Normal,
            tag: None,
            keys: Vec::new(),
            user_properties: Vec::new(),
            body: body.into(),
            born_timestamp_ms: now_ms(),
            born_host: String::new(),
            queue_id: None,
            message_group: None,
            delivery_timestamp_ms: None,
            trace_context: None,
        }
    }
}

/// Where a sent message was stored (one per message, in request order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendReceipt {
    /// The message id as sent.
    pub message_id: String,
    /// Queue the message went to.
    pub queue_id: u32,
    /// Its offset in that queue — for a DELAY message not yet due and a TRANSACTION half
    /// message, its position in the broker's timer or half-message log.
    pub queue_offset: u64,
    /// Store timestamp, ms since the epoch.
    pub store_timestamp_ms: i64,
    /// Transaction id of a TRANSACTION message (for [`crate::Broker::end_transaction`]).
    pub transaction_id: Option<String>,
    /// Recall handle of a DELAY message waiting in the timer (for [`crate::Broker::recall`]).
    pub recall_handle: Option<String>,
    /// True when this id had already been stored: nothing was stored again and this is the
    /// receipt of the original.
    pub duplicate: bool,
}

/// A stored message with all its fields decoded (what a delivered `Message` carries, spec §7,
/// except the per-delivery fields of [`Delivered`] and the body digest, which the front end
/// computes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageView {
    /// Topic name as users see it.
    pub topic: String,
    /// Message id as sent.
    pub message_id: String,
    /// Message type.
    pub message_type: MessageType,
    /// Tag, if any.
    pub tag: Option<String>,
    /// Keys.
    pub keys: Vec<String>,
    /// User properties in their original order.
    pub user_properties: Vec<(String, String)>,
    /// Payload (shares the store's read buffer).
    pub body: Bytes,
    /// Producer timestamp, ms.
    pub born_timestamp_ms: i64,
    /// Producer host.
    pub born_host: String,
    /// Store timestamp, ms.
    pub store_timestamp_ms: i64,
    /// Queue id.
    pub queue_id: u32,
    /// Offset in the queue.
    pub queue_offset: u64,
    /// FIFO message group.
    pub message_group: Option<String>,
    /// Delivery time of a DELAY message, ms.
    pub delivery_timestamp_ms: Option<i64>,
    /// Trace context, if the producer sent one.
    pub trace_context: Option<String>,
}

impl MessageView {
    /// Decodes a message read from the store (a store topic of the form
    /// `"{account}/{instance}/{topic}"`). Also for store-level queries (by id or key).
    pub fn from_stored(m: StoredMessage) -> MessageView {
        let mut view = MessageView {
            topic: topic_of_key(&m.topic).to_string(),
            message_id: m.msg_id,
            message_type: MessageType::Normal,
            tag: m.tag,
            keys: m.keys,
            user_properties: Vec::new(),
            body: m.body,
            born_timestamp_ms: m.born_ms,
            born_host: String::new(),
            store_timestamp_ms: m.store_ms,
            queue_id: m.queue_id,
            queue_offset: m.queue_offset,
            message_group: None,
            delivery_timestamp_ms: None,
            trace_context: None,
        };
        let mut user = Vec::with_capacity(m.properties.len());
        for (k, v) in m.properties {
            if !k.starts_with(SYSTEM_PROPERTY_PREFIX) {
                user.push((k, v));
                continue;
            }
            match k.as_str() {
                P_TYPE => {
                    if let Ok(t) = v.parse() {
                        view.message_type = t;
                    }
                }
                P_BORN_HOST => view.born_host = v,
                P_GROUP => view.message_group = Some(v),
                P_DELIVERY => view.delivery_timestamp_ms = v.parse().ok(),
                P_TRACE => view.trace_context = Some(v),
                // A system field of a newer version: not a user property either.
                _ => {}
            }
        }
        view.user_properties = user;
        view
    }
}

/// The properties to store for `m`: system fields first, then the user properties.
pub(crate) fn stored_properties(m: &OutgoingMessage) -> Vec<(String, String)> {
    let mut props = Vec::with_capacity(m.user_properties.len() + 2);
    props.push((P_TYPE.into(), m.message_type.as_api_str().into()));
    if !m.born_host.is_empty() {
        props.push((P_BORN_HOST.into(), m.born_host.clone()));
    }
    if let Some(g) = &m.message_group {
        props.push((P_GROUP.into(), g.clone()));
    }
    if let Some(d) = m.delivery_timestamp_ms {
        props.push((P_DELIVERY.into(), d.to_string()));
    }
    if let Some(t) = &m.trace_context {
        props.push((P_TRACE.into(), t.clone()));
    }
    props.extend(m.user_properties.iter().cloned());
    props
}

/// One delivery of a message to a consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// The message (queue id and offset included).
    pub message: MessageView,
    /// Opaque handle for [`crate::Broker::ack`] and
    /// [`crate::Broker::change_invisible_duration`]; valid for this delivery only.
    pub receipt_handle: String,
    /// 1 on the first delivery, incremented on every redelivery.
    pub delivery_attempt: u32,
    /// When the message becomes visible again unless acked (ms since the epoch).
    pub invisible_until_ms: i64,
    /// The invisible duration this delivery was made with.
    pub invisible_duration: Duration,
}

/// Result of [`crate::Broker::change_invisible_duration`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvisibleChanged {
    /// The new handle; the old one is no longer valid.
    pub receipt_handle: String,
    /// When the message becomes visible again unless acked (ms since the epoch).
    pub invisible_until_ms: i64,
}

/// Wall-clock time in ms since the epoch (invisible deadlines are wall-clock so that they mean
/// the same after a restart).
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `d` in whole ms, saturating.
pub(crate) fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_fields_round_trip_through_store_properties() {
        let mut m = OutgoingMessage::new("id-1", &b"body"[..]);
        m.message_type = MessageType::Fifo;
        m.born_host = "host-a".into();
        m.message_group = Some("g1".into());
        m.trace_context = Some("trace".into());
        m.user_properties = vec![("b".into(), "2".into()), ("a".into(), "1".into())];
        let stored = StoredMessage {
            topic: "1/inst/topic".into(),
            queue_id: 3,
            queue_offset: 9,
            log_pos: 0,
            size: 0,
            msg_id: m.message_id.clone(),
            keys: vec!["k".into()],
            tag: Some("t".into()),
            born_ms: 5,
            store_ms: 6,
            properties: stored_properties(&m),
            body: m.body.clone(),
        };
        let v = MessageView::from_stored(stored);
        assert_eq!(v.topic, "topic");
        assert_eq!(v.message_type, MessageType::Fifo);
        assert_eq!(v.born_host, "host-a");
        assert_eq!(v.message_group.as_deref(), Some("g1"));
        assert_eq!(v.trace_context.as_deref(), Some("trace"));
        assert_eq!(v.user_properties, m.user_properties);
        assert_eq!((v.queue_id, v.queue_offset), (3, 9));
        assert_eq!(v.delivery_timestamp_ms, None);
    }
}
