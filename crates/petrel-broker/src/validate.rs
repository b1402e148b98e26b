//! Checks a message against the limits of spec §12 and against its topic's type before anything
//! is stored. Each rule fails with the code the spec names for it.

use petrel_model::MessageType;

use crate::config::BrokerConfig;
use crate::error::{BrokerError, Result, quote};
use crate::message::{OutgoingMessage, SYSTEM_PROPERTY_PREFIX};
use crate::names::TopicRef;

/// Property keys Apache RocketMQ reserves for itself (`MessageConst`); user properties with
/// these keys are refused, as Apache does.
const RESERVED_KEYS: &[&str] = &[
    "KEYS",
    "TAGS",
    "WAIT",
    "DELAY",
    "RETRY_TOPIC",
    "REAL_TOPIC",
    "REAL_QID",
    "TRAN_MSG",
    "PGROUP",
    "MIN_OFFSET",
    "MAX_OFFSET",
    "BUYER_ID",
    "ORIGIN_MESSAGE_ID",
    "TRANSFER_FLAG",
    "CORRECTION_FLAG",
    "MQ2_FLAG",
    "RECONSUME_TIME",
    "UNIQ_KEY",
    "MAX_RECONSUME_TIMES",
    "CONSUME_START_TIME",
    "POP_CK",
    "POP_CK_OFFSET",
    "1ST_POP_TIME",
    "TRAN_PREPARED_QUEUE_OFFSET",
    "DUP_INFO",
    "EXTEND_UNIQ_INFO",
    "INSTANCE_ID",
    "CORRELATION_ID",
    "REPLY_TO_CLIENT",
    "TTL",
    "ARRIVE_TIME",
    "PUSH_REPLY_TIME",
    "CLUSTER",
    "MSG_TYPE",
    "INNER_MULTI_QUEUE_OFFSET",
    "TIMER_DELAY_MS",
    "TIMER_DELAY_SEC",
    "TIMER_DELIVER_MS",
    "TIMER_ENQUEUE_MS",
    "TIMER_DEQUEUE_MS",
    "TIMER_ROLL_TIMES",
    "TIMER_OUT_MS",
    "TIMER_DEL_UNIQKEY",
    "TIMER_DELAY_LEVEL",
    "__BORNHOST",
    "BORN_TIMESTAMP",
    "DLQ_ORIGIN_TOPIC",
    "DLQ_ORIGIN_MESSAGE_ID",
    "__CRC32#",
];

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

fn is_blank(s: &str) -> bool {
    s.trim().is_empty()
}

/// Validates `m` for a send to `topic` at wall-clock time `now_ms`.
pub(crate) fn check_message(
    m: &OutgoingMessage,
    topic: &TopicRef,
    cfg: &BrokerConfig,
    now_ms: i64,
) -> Result<()> {
    let id = || quote(&m.message_id);
    if is_blank(&m.message_id) {
        return Err(BrokerError::IllegalMessageId {
            message_id: id(),
            reason: "must not be blank".into(),
        });
    }
    if m.message_id.len() > cfg.max_message_id_bytes || has_control(&m.message_id) {
        return Err(BrokerError::IllegalMessageId {
            message_id: id(),
            reason: format!(
                "must be at most {} bytes without control characters",
                cfg.max_message_id_bytes
            ),
        });
    }
    check_type(m, topic)?;
    check_tag_and_keys(m)?;
    if let Some(g) = &m.message_group {
        let reason = if is_blank(g) {
            Some("must not be blank".to_string())
        } else if g.len() >= cfg.max_message_group_bytes {
            Some(format!(
                "is {} bytes, it must be shorter than {}",
                g.len(),
                cfg.max_message_group_bytes
            ))
        } else if has_control(g) {
            Some("must not contain control characters".to_string())
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(BrokerError::IllegalMessageGroup {
                message_id: id(),
                group: quote(g),
                reason,
            });
        }
    }
    if let Some(at) = m.delivery_timestamp_ms {
        let max = crate::message::duration_ms(cfg.max_delivery_delay);
        let ahead = at.saturating_sub(now_ms);
        if ahead > max {
            return Err(BrokerError::IllegalDeliveryTime {
                message_id: id(),
                reason: format!(
                    "it is {} s ahead, the limit is {} s (is it in milliseconds where seconds \
                     were expected?)",
                    ahead / 1000,
                    max / 1000
                ),
            });
        }
    }
    check_properties(m, cfg)?;
    if m.born_host.len() > cfg.max_born_host_bytes || has_control(&m.born_host) {
        return Err(BrokerError::BadRequest(format!(
            "born host `{}` of message `{}` must be at most {} bytes without control characters",
            quote(&m.born_host),
            id(),
            cfg.max_born_host_bytes
        )));
    }
    if m.body.is_empty() {
        return Err(BrokerError::BadRequest(format!(
            "body of message `{}` is empty",
            id()
        )));
    }
    if m.body.len() > cfg.max_body_bytes {
        return Err(BrokerError::BodyTooLarge {
            message_id: id(),
            size: m.body.len(),
            limit: cfg.max_body_bytes,
        });
    }
    Ok(())
}

fn check_type(m: &OutgoingMessage, topic: &TopicRef) -> Result<()> {
    let conflict = |reason: String| BrokerError::MessageTypeConflict {
        message_id: quote(&m.message_id),
        topic: topic.name().to_string(),
        reason,
    };
    let topic_type = topic.spec().message_type;
    if m.message_type != topic_type {
        return Err(conflict(format!(
            "a {} message cannot be sent to a {} topic",
            m.message_type.as_api_str(),
            topic_type.as_api_str()
        )));
    }
    if m.message_group.is_some() && m.message_type != MessageType::Fifo {
        return Err(conflict(format!(
            "only FIFO messages carry a message group, this one is {}",
            m.message_type.as_api_str()
        )));
    }
    if m.delivery_timestamp_ms.is_some() && m.message_type != MessageType::Delay {
        return Err(conflict(format!(
            "only DELAY messages carry a delivery timestamp, this one is {}",
            m.message_type.as_api_str()
        )));
    }
    if m.message_type == MessageType::Fifo && m.message_group.is_none() {
        return Err(conflict("a FIFO message needs a message group".into()));
    }
    if m.message_type == MessageType::Delay && m.delivery_timestamp_ms.is_none() {
        return Err(conflict(
            "a DELAY message needs a delivery timestamp".into(),
        ));
    }
    Ok(())
}

fn check_tag_and_keys(m: &OutgoingMessage) -> Result<()> {
    if let Some(tag) = m.tag.as_deref().filter(|t| !t.is_empty()) {
        let reason = if is_blank(tag) {
            Some("must not be blank")
        } else if tag.contains('|') {
            Some("must not contain `|`")
        } else if has_control(tag) {
            Some("must not contain control characters")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(BrokerError::IllegalTag {
                message_id: quote(&m.message_id),
                tag: quote(tag),
                reason,
            });
        }
    }
    for key in &m.keys {
        let reason = if is_blank(key) {
            Some("must not be blank")
        } else if has_control(key) {
            Some("must not contain control characters")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(BrokerError::IllegalKey {
                message_id: quote(&m.message_id),
                key: quote(key),
                reason,
            });
        }
    }
    Ok(())
}

fn check_properties(m: &OutgoingMessage, cfg: &BrokerConfig) -> Result<()> {
    let too_large = |reason: String| BrokerError::PropertiesTooLarge {
        message_id: quote(&m.message_id),
        reason,
    };
    if m.user_properties.len() > cfg.max_user_properties {
        return Err(too_large(format!(
            "{} user properties, the limit is {}",
            m.user_properties.len(),
            cfg.max_user_properties
        )));
    }
    let mut total = m.tag.as_ref().map_or(0, String::len);
    total += m.keys.iter().map(String::len).sum::<usize>();
    for (k, v) in &m.user_properties {
        let reason = if k.is_empty() {
            Some("key must not be empty")
        } else if has_control(k) || has_control(v) {
            Some("key and value must not contain control characters")
        } else if RESERVED_KEYS.contains(&k.as_str()) || k.starts_with(SYSTEM_PROPERTY_PREFIX) {
            Some("key is reserved for the system")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(BrokerError::IllegalPropertyKey {
                message_id: quote(&m.message_id),
                key: quote(k),
                reason,
            });
        }
        total += k.len() + v.len();
    }
    if total > cfg.max_properties_bytes {
        return Err(too_large(format!(
            "properties, tag and keys take {total} bytes, the limit is {}",
            cfg.max_properties_bytes
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::TopicSpec;

    fn topic(t: MessageType) -> TopicRef {
        let spec = TopicSpec {
            message_type: t,
            queue_count: 2,
        };
        TopicRef::new("1", "inst", "t", spec).unwrap()
    }

    fn code(m: &OutgoingMessage, t: MessageType) -> i32 {
        let cfg = BrokerConfig::default();
        match check_message(m, &topic(t), &cfg, 0) {
            Ok(()) => 20000,
            Err(e) => e.rocketmq_code(),
        }
    }

    #[test]
    fn each_limit_fails_with_its_code() {
        let ok = OutgoingMessage::new("id", &b"x"[..]);
        assert_eq!(code(&ok, MessageType::Normal), 20000);
        let with = |f: &dyn Fn(&mut OutgoingMessage)| {
            let mut m = ok.clone();
            f(&mut m);
            code(&m, MessageType::Normal)
        };
        assert_eq!(with(&|m| m.message_id = " ".into()), 40009);
        assert_eq!(with(&|m| m.tag = Some("a|b".into())), 40004);
        assert_eq!(with(&|m| m.tag = Some("  ".into())), 40004);
        assert_eq!(with(&|m| m.tag = Some(String::new())), 20000);
        assert_eq!(with(&|m| m.keys = vec!["".into()]), 40005);
        assert_eq!(with(&|m| m.keys = vec!["a\u{7}".into()]), 40005);
        assert_eq!(
            with(&|m| m.user_properties = vec![("UNIQ_KEY".into(), "v".into())]),
            40007
        );
        assert_eq!(
            with(&|m| m.user_properties = vec![("__petrel.type".into(), "v".into())]),
            40007
        );
        assert_eq!(
            with(&|m| m.user_properties = vec![("k".into(), "v\n".into())]),
            40007
        );
        assert_eq!(
            with(&|m| m.user_properties = (0..129).map(|i| (format!("k{i}"), "v".into())).collect()),
            43101
        );
        assert_eq!(
            with(&|m| m.user_properties = vec![("k".into(), "v".repeat(16 << 10))]),
            43101
        );
        assert_eq!(with(&|m| m.body = bytes::Bytes::new()), 40000);
        assert_eq!(
            with(&|m| m.body = bytes::Bytes::from(vec![0u8; (4 << 20) + 1])),
            41301
        );
        assert_eq!(with(&|m| m.message_group = Some("g".into())), 40014);
        assert_eq!(with(&|m| m.delivery_timestamp_ms = Some(1)), 40014);
        assert_eq!(code(&ok, MessageType::Fifo), 40014);
    }

    #[test]
    fn fifo_and_delay_fields_are_checked() {
        let mut m = OutgoingMessage::new("id", &b"x"[..]);
        m.message_type = MessageType::Fifo;
        assert_eq!(code(&m, MessageType::Fifo), 40014, "fifo without group");
        m.message_group = Some("g".repeat(64));
        assert_eq!(code(&m, MessageType::Fifo), 40006);
        m.message_group = Some("g".into());
        assert_eq!(code(&m, MessageType::Fifo), 20000);
        let mut d = OutgoingMessage::new("id", &b"x"[..]);
        d.message_type = MessageType::Delay;
        d.delivery_timestamp_ms = Some(i64::MAX);
        assert_eq!(code(&d, MessageType::Delay), 40012);
        d.delivery_timestamp_ms = Some(24 * 3600 * 1000);
        assert_eq!(code(&d, MessageType::Delay), 20000, "exactly the limit");
        d.delivery_timestamp_ms = Some(24 * 3600 * 1000 + 1);
        assert_eq!(code(&d, MessageType::Delay), 40012);
    }
}
