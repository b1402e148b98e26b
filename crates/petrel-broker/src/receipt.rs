//! Receipt handles: the opaque strings a consumer uses to ack or change the invisible time of
//! one delivery.
//!
//! Format: `"p1"` + queue id (8 hex) + queue offset (16 hex) + token (32 hex), 58 characters.
//! The token is 128 random bits from the OS-seeded CSPRNG, minted per delivery and stored in
//! the in-flight entry of the (account, instance, group, topic, queue, offset) it belongs to.
//! A handle is accepted only when the caller's own group/topic progress has that offset in
//! flight with the same token, so a handle is useless to another account, instance, group or
//! topic, and stale once the delivery is acked, its invisible time changed or the message is
//! delivered again (each of which replaces or removes the token).

use crate::error::{BrokerError, Result};

const VERSION: &str = "p1";
const LEN: usize = 2 + 8 + 16 + 32;

/// The parts of a parsed handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Handle {
    pub queue: u32,
    pub offset: u64,
    pub token: u128,
}

impl Handle {
    pub fn encode(&self) -> String {
        format!(
            "{VERSION}{:08x}{:016x}{:032x}",
            self.queue, self.offset, self.token
        )
    }

    pub fn parse(s: &str) -> Result<Handle> {
        let malformed = BrokerError::InvalidReceiptHandle {
            reason: "malformed",
        };
        if s.len() != LEN || !s.starts_with(VERSION) || !s.is_ascii() {
            return Err(malformed);
        }
        let hex = |range: std::ops::Range<usize>| s.get(range).filter(|h| is_lower_hex(h));
        let (Some(q), Some(o), Some(t)) = (hex(2..10), hex(10..26), hex(26..58)) else {
            return Err(malformed);
        };
        match (
            u32::from_str_radix(q, 16),
            u64::from_str_radix(o, 16),
            u128::from_str_radix(t, 16),
        ) {
            (Ok(queue), Ok(offset), Ok(token)) if token != 0 => Ok(Handle {
                queue,
                offset,
                token,
            }),
            _ => Err(malformed),
        }
    }
}

fn is_lower_hex(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A fresh random token (never 0, which marks "no valid handle").
pub(crate) fn new_token() -> u128 {
    loop {
        let t: u128 = rand::random();
        if t != 0 {
            return t;
        }
    }
}

/// Compares byte strings without an early exit on the first differing byte (lengths are not
/// secret).
pub(crate) fn bytes_equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Compares tokens without an early exit on the first differing byte.
pub(crate) fn tokens_equal(a: u128, b: u128) -> bool {
    let diff = a ^ b;
    let folded = diff.to_le_bytes().iter().fold(0u8, |acc, x| acc | x);
    folded == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_round_trip_and_reject_garbage() {
        let h = Handle {
            queue: 7,
            offset: u64::MAX - 3,
            token: new_token(),
        };
        let s = h.encode();
        assert_eq!(s.len(), LEN);
        assert_eq!(Handle::parse(&s).unwrap(), h);
        for bad in [
            "",
            "p1",
            &s[..LEN - 1],
            &s.replace("p1", "p2"),
            &s.to_uppercase(),
            &format!("p1{}", "0".repeat(LEN - 2)),
            &format!("{}é", &s[..LEN - 2]),
        ] {
            let e = Handle::parse(bad).unwrap_err();
            assert_eq!(e.rocketmq_code(), 40013);
        }
    }

    #[test]
    fn tokens_are_distinct_and_compared_exactly() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert!(tokens_equal(a, a));
        assert!(!tokens_equal(a, a ^ 1));
    }
}
