//! `MQv2-HMAC-SHA1`, the signature of the RocketMQ 5 gRPC SDKs.
//!
//! `authorization: MQv2-HMAC-SHA1 Credential=<AK>, SignedHeaders=x-mq-date-time, Signature=<hex>`
//! where the signature is HMAC-SHA1 keyed by the secret over the `x-mq-date-time` header value
//! exactly as sent; nothing else is signed. What the three official clients do differently, and
//! how each difference is absorbed here:
//! - Python 5.1.2 always sends the header, with `Credential=` empty when it has no AccessKey →
//!   [`SignatureError::EmptyCredential`] (see [`SignatureError::is_anonymous`]).
//! - Python and Rust send lower-case hex, Node upper-case → hex is decoded case-insensitively
//!   (a 28-character base64 form of the 20-byte MAC is accepted as well).
//! - Python sends `yyyyMMddTHHmmssZ` from *local* time with a literal `Z`, Node the same format in
//!   real UTC, Rust RFC 3339 with nanoseconds → the signature covers the string as sent, and
//!   [`MqV2Signature::parsed_date_time`] reads both formats (a skew check must stay generous
//!   because of Python's mislabelled local time).
//! - Items are separated by `, ` but a bare `,` is accepted; `Credential` may carry `/`-separated
//!   scope after the key id, which is ignored (as the Apache proxy does).

use hmac::{Hmac, Mac};
use sha1::Sha1;
use time::{OffsetDateTime, PrimitiveDateTime};

use super::{
    SignatureError, ct_eq, decode_base64, decode_hex, malformed, parse_rfc3339, split_authorization,
};

/// The algorithm name in the `authorization` header.
pub const ALGORITHM: &str = "MQv2-HMAC-SHA1";

/// Name of the signed date header.
pub const DATE_TIME_HEADER: &str = "x-mq-date-time";

/// A parsed `MQv2-HMAC-SHA1` authorization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqV2Signature {
    access_key_id: String,
    signature: Vec<u8>,
    date_time: String,
}

impl MqV2Signature {
    /// Reads the values of the `authorization` and `x-mq-date-time` headers.
    pub fn parse(
        authorization: Option<&str>,
        date_time: Option<&str>,
    ) -> Result<MqV2Signature, SignatureError> {
        let authorization = authorization
            .filter(|a| !a.trim().is_empty())
            .ok_or(SignatureError::MissingAuthorization)?;
        let (algorithm, items) = split_authorization(authorization);
        if !algorithm.eq_ignore_ascii_case(ALGORITHM) {
            return Err(SignatureError::UnsupportedAlgorithm(super::shorten(
                algorithm,
            )));
        }
        let item = |name: &str| {
            items
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| *v)
        };
        let credential = item("Credential")
            .ok_or_else(|| malformed(authorization, "`Credential` is missing"))?;
        let access_key_id = credential.split('/').next().unwrap_or_default().trim();
        if access_key_id.is_empty() {
            return Err(SignatureError::EmptyCredential);
        }
        let signature =
            item("Signature").ok_or_else(|| malformed(authorization, "`Signature` is missing"))?;
        let signature = decode_signature(signature).ok_or_else(|| {
            malformed(
                authorization,
                "`Signature` is neither hex nor base64 of a 20-byte HMAC-SHA1",
            )
        })?;
        let date_time =
            date_time.ok_or_else(|| SignatureError::Missing(DATE_TIME_HEADER.to_owned()))?;
        Ok(MqV2Signature {
            access_key_id: access_key_id.to_owned(),
            signature,
            date_time: date_time.to_owned(),
        })
    }

    /// The access key id (`Credential` up to the first `/`).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The `x-mq-date-time` value as sent (what was signed).
    pub fn date_time(&self) -> &str {
        &self.date_time
    }

    /// The date-time, read as `yyyyMMddTHHmmssZ` or RFC 3339. Python's value is local time
    /// labelled `Z`, so it may be off by the client's UTC offset.
    pub fn parsed_date_time(&self) -> Option<OffsetDateTime> {
        parse_date_time(&self.date_time)
    }

    /// Checks the signature with the secret key, in constant time.
    pub fn verify(&self, secret: &str) -> Result<(), SignatureError> {
        let expected = mac(secret, &self.date_time);
        if ct_eq(&expected, &self.signature) {
            Ok(())
        } else {
            Err(SignatureError::SignatureMismatch(
                self.access_key_id.clone(),
            ))
        }
    }
}

/// The `authorization` value a client would send for `date_time` (lower-case hex, `, ` items).
pub fn sign(access_key_id: &str, secret: &str, date_time: &str) -> String {
    format!(
        "{ALGORITHM} Credential={access_key_id}, SignedHeaders={DATE_TIME_HEADER}, Signature={}",
        hex::encode(mac(secret, date_time))
    )
}

fn mac(secret: &str, date_time: &str) -> Vec<u8> {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail; an empty MAC would only
    // make verification fail, never pass.
    match Hmac::<Sha1>::new_from_slice(secret.as_bytes()) {
        Ok(mut m) => {
            m.update(date_time.as_bytes());
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// 40 hex digits (any case) or 28 base64 characters, both 20 bytes.
fn decode_signature(s: &str) -> Option<Vec<u8>> {
    let bytes = match s.len() {
        40 => decode_hex(s)?,
        28 => decode_base64(s)?,
        _ => return None,
    };
    (bytes.len() == 20).then_some(bytes)
}

fn parse_date_time(s: &str) -> Option<OffsetDateTime> {
    const BASIC: &[time::format_description::BorrowedFormatItem<'_>] =
        time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    PrimitiveDateTime::parse(s, BASIC)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
        .or_else(|| parse_rfc3339(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn both_date_formats_parse() {
        assert_eq!(
            parse_date_time("20261129T015433Z"),
            Some(datetime!(2026-11-29 01:54:33 UTC))
        );
        assert_eq!(
            parse_date_time("2026-11-29T01:54:33.070724018Z"),
            Some(datetime!(2026-11-29 01:54:33.070724018 UTC))
        );
        assert_eq!(parse_date_time("yesterday"), None);
    }

    #[test]
    fn signature_must_be_twenty_bytes() {
        assert!(decode_signature(&"ab".repeat(20)).is_some());
        assert!(decode_signature(&"AB".repeat(20)).is_some());
        assert!(decode_signature(&"ab".repeat(19)).is_none());
        assert!(decode_signature("zz").is_none());
    }
}
