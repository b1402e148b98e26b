//! Request ids shared by every front end: one per request, echoed to the caller (the OpenAPI's
//! `RequestId`, the gRPC `x-request-id` response header), carried in log spans and audit
//! records. A caller (or a proxy in front) may supply its own in `x-request-id`.

use crate::caller::new_request_id;

/// Longest incoming request id accepted.
const MAX_LEN: usize = 64;

/// The request id for a request whose `x-request-id` header is `incoming`: that value when it
/// is well formed (1 to 64 of letters, digits, `-`, `_`, `.`, `:` — so it is safe in log lines
/// and headers), else a fresh one.
pub fn request_id_from(incoming: Option<&str>) -> String {
    match incoming.map(str::trim) {
        Some(id) if is_well_formed(id) => id.to_owned(),
        _ => new_request_id(),
    }
}

fn is_well_formed(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_well_formed_incoming_id_is_kept() {
        assert_eq!(request_id_from(Some("abc-123_x.y:z")), "abc-123_x.y:z");
        assert_eq!(request_id_from(Some("  trimmed ")), "trimmed");
    }

    #[test]
    fn a_missing_or_malformed_incoming_id_is_replaced() {
        for bad in [
            None,
            Some(""),
            Some("has space"),
            Some("new\nline"),
            Some("quote\""),
        ] {
            let id = request_id_from(bad);
            assert_eq!(id.len(), 36, "{id}");
            assert_ne!(Some(id.as_str()), bad);
        }
        let long = "a".repeat(65);
        assert_ne!(request_id_from(Some(&long)), long);
    }
}
