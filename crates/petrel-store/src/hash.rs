//! Stable hashes persisted in index files. They must never change between releases or
//! compilers, so std's `DefaultHasher` (explicitly unstable) is not used.

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// splitmix64 finaliser: FNV's low bits are weak and slots are chosen by `hash % slots`.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The 32-bit tag hash stored in queue index entries (0 for no tag). The broker uses the same
/// function to filter by tag without reading the log.
pub fn tag_hash(tag: Option<&str>) -> u32 {
    match tag {
        None => 0,
        Some(t) => {
            let h = mix(fnv(FNV_OFFSET, t.as_bytes())) as u32;
            h.max(1)
        }
    }
}

/// Index hash of a message id.
pub(crate) fn id_hash(msg_id: &str) -> u64 {
    mix(fnv(fnv(FNV_OFFSET, b"i\0"), msg_id.as_bytes()))
}

/// Index hash of a (topic, key) pair; the topic length is mixed in so no separator is needed.
pub(crate) fn key_hash(topic: &str, key: &str) -> u64 {
    let h = fnv(FNV_OFFSET, b"k\0");
    let h = fnv(h, &(topic.len() as u32).to_le_bytes());
    let h = fnv(h, topic.as_bytes());
    mix(fnv(h, key.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_stable_and_separate_namespaces() {
        // Pinned values: these are persisted, so a change here breaks existing stores.
        assert_eq!(id_hash("abc"), id_hash("abc"));
        assert_ne!(id_hash("abc"), key_hash("", "abc"));
        assert_ne!(key_hash("ab", "c"), key_hash("a", "bc"));
        assert_eq!(tag_hash(None), 0);
        assert_ne!(tag_hash(Some("")), 0);
        assert_eq!(fnv(FNV_OFFSET, b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
