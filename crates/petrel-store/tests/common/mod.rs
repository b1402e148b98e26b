//! Helpers shared by the integration tests.
#![allow(dead_code)]

use bytes::Bytes;
use petrel_store::{NewMessage, StoreConfig};

pub fn msg(topic: &str, queue_id: u32, id: &str, body: &[u8]) -> NewMessage {
    NewMessage {
        topic: topic.to_string(),
        queue_id,
        msg_id: id.to_string(),
        keys: vec![format!("key-{id}")],
        tag: Some("TagA".into()),
        born_ms: 1,
        properties: vec![("p".into(), id.to_string())],
        body: Bytes::copy_from_slice(body),
    }
}

/// Small segments so tests roll segments and stay fast.
pub fn small_config() -> StoreConfig {
    StoreConfig {
        segment_size: 256 << 10,
        max_message_bytes: 64 << 10,
        ..StoreConfig::for_tests()
    }
}

/// Deterministic body for an id (so a reader can check content without a side table).
pub fn body_for(id: &str, len: usize) -> Vec<u8> {
    let mut x = id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    });
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}
