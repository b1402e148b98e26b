//! Request-signature verification, as pure functions over header and query values.
//!
//! Each scheme splits into *parse* (read the access key id and everything signed; no secret
//! needed, so the caller can look the secret up by the key id) and *verify* (recompute with the
//! secret and compare in constant time). Freshness and nonce reuse need state, so they are the
//! caller's: every parsed signature exposes its date and nonce.
//!
//! - [`mqv2`]: `MQv2-HMAC-SHA1`, the RocketMQ 5 gRPC SDKs.
//! - [`acs3`]: `ACS3-HMAC-SHA256`, the default of every Alibaba Cloud SDK call.
//! - [`legacy`]: the HMAC-SHA1 schemes older SDKs use (RPC query signature v1, ROA `acs AK:sig`).

pub mod acs3;
pub mod legacy;
pub mod mqv2;

use base64::Engine as _;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use petrel_model::ErrorCode;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

/// An HTTP request as the signature schemes see it. Header names may have any case; repeated
/// headers appear once per value.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    /// `GET`, `POST`, …
    pub method: &'a str,
    /// The path exactly as received, still percent-encoded (`/instances/i/topics/a%2Fb`).
    pub path: &'a str,
    /// The query string as received, without the `?` (empty when absent).
    pub query: &'a str,
    /// All request headers.
    pub headers: &'a [(&'a str, &'a str)],
    /// The raw body.
    pub body: &'a [u8],
}

impl HttpRequest<'_> {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// All values of header `name`, trimmed and joined with `,` (how signers canonicalise a
    /// repeated header).
    fn header_joined(&self, name: &str) -> Option<String> {
        let mut values = self
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim());
        let first = values.next()?;
        Some(values.fold(first.to_owned(), |mut acc, v| {
            acc.push(',');
            acc.push_str(v);
            acc
        }))
    }
}

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `authorization` header (or no signature query parameter).
    #[error("missing authorization: the request is not signed")]
    MissingAuthorization,
    /// `Credential=` is empty: the Python RocketMQ client sends this when it has no AccessKey.
    #[error("anonymous request: the `Credential` of the authorization is empty")]
    EmptyCredential,
    /// The algorithm named in the authorization is not the one expected.
    #[error("unsupported signature algorithm `{0}`")]
    UnsupportedAlgorithm(String),
    /// The authorization could not be read.
    #[error("malformed authorization `{value}`: {reason}")]
    Malformed {
        /// The offending value (shortened).
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A header or parameter the scheme requires is absent.
    #[error("missing `{0}`, which a signed request must carry")]
    Missing(String),
    /// A header the server requires to be signed is not in `SignedHeaders`.
    #[error("header `{0}` must be listed in `SignedHeaders`")]
    UnsignedHeader(String),
    /// `x-acs-content-sha256` differs from the hash of the body received.
    #[error("`x-acs-content-sha256` `{0}` does not match the body")]
    BodyHashMismatch(String),
    /// The signature is well-formed but wrong (wrong secret or altered request).
    #[error("signature of access key `{0}` does not match the request")]
    SignatureMismatch(String),
}

impl SignatureError {
    /// The stable error code. Petrel's catalogue has no `IncompleteSignature`, so every
    /// unreadable signature is `SignatureDoesNotMatch`; an unsigned request is
    /// `MissingParameter.Authorization`.
    pub fn code(&self) -> ErrorCode {
        match self {
            SignatureError::MissingAuthorization | SignatureError::EmptyCredential => {
                ErrorCode::MissingParameter("Authorization".into())
            }
            _ => ErrorCode::SignatureDoesNotMatch,
        }
    }

    /// Whether the request carries no credential at all (no header, or an empty `Credential`);
    /// a caller may treat such requests as anonymous instead of failed.
    pub fn is_anonymous(&self) -> bool {
        matches!(
            self,
            SignatureError::MissingAuthorization | SignatureError::EmptyCredential
        )
    }
}

/// Any of the HTTP signature schemes, chosen by what the request carries.
#[derive(Debug, Clone)]
pub enum HttpSignature {
    /// `Authorization: ACS3-HMAC-SHA256 …`.
    Acs3(acs3::Acs3Signature),
    /// `Authorization: acs AK:sig`.
    RoaV1(legacy::RoaV1Signature),
    /// `Signature=…` in the query.
    RpcV1(legacy::RpcV1Signature),
}

impl HttpSignature {
    /// Detects the scheme and parses it.
    pub fn parse(req: &HttpRequest<'_>) -> Result<HttpSignature, SignatureError> {
        match req.header("authorization").map(str::trim_start) {
            Some(a) if a.starts_with(acs3::ALGORITHM) => {
                acs3::Acs3Signature::parse(req).map(HttpSignature::Acs3)
            }
            Some(a) if a.starts_with("acs ") => {
                legacy::RoaV1Signature::parse(req).map(HttpSignature::RoaV1)
            }
            Some(a) => Err(SignatureError::UnsupportedAlgorithm(shorten(
                a.split(' ').next().unwrap_or(a),
            ))),
            None => legacy::RpcV1Signature::parse(req).map(HttpSignature::RpcV1),
        }
    }

    /// The access key id that signed.
    pub fn access_key_id(&self) -> &str {
        match self {
            HttpSignature::Acs3(s) => s.access_key_id(),
            HttpSignature::RoaV1(s) => s.access_key_id(),
            HttpSignature::RpcV1(s) => s.access_key_id(),
        }
    }

    /// The signed date as sent (`x-acs-date`, `date` or `Timestamp`).
    pub fn date(&self) -> &str {
        match self {
            HttpSignature::Acs3(s) => s.date(),
            HttpSignature::RoaV1(s) => s.date(),
            HttpSignature::RpcV1(s) => s.timestamp(),
        }
    }

    /// The signed date, when it parses.
    pub fn parsed_date(&self) -> Option<OffsetDateTime> {
        match self {
            HttpSignature::Acs3(s) => s.parsed_date(),
            HttpSignature::RoaV1(s) => s.parsed_date(),
            HttpSignature::RpcV1(s) => s.parsed_timestamp(),
        }
    }

    /// The signature nonce, for replay detection.
    pub fn nonce(&self) -> Option<&str> {
        match self {
            HttpSignature::Acs3(s) => Some(s.nonce()),
            HttpSignature::RoaV1(s) => s.nonce(),
            HttpSignature::RpcV1(s) => Some(s.nonce()),
        }
    }

    /// The STS security token, when the caller used temporary credentials.
    pub fn security_token(&self) -> Option<&str> {
        match self {
            HttpSignature::Acs3(s) => s.security_token(),
            HttpSignature::RoaV1(s) => s.security_token(),
            HttpSignature::RpcV1(s) => s.security_token(),
        }
    }

    /// Verifies with the access key secret.
    pub fn verify(&self, secret: &str) -> Result<(), SignatureError> {
        match self {
            HttpSignature::Acs3(s) => s.verify(secret),
            HttpSignature::RoaV1(s) => s.verify(secret),
            HttpSignature::RpcV1(s) => s.verify(secret),
        }
    }
}

/// RFC 3986 unreserved characters stay, everything else is `%XX` (upper-case): the encoding of
/// ACS3 query values and of RPC v1 keys and values.
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub(crate) fn rfc3986(bytes: &[u8]) -> String {
    percent_encoding::percent_encode(bytes, RFC3986).to_string()
}

/// Decodes a form-encoded query (`+` is a space) into byte pairs; a key without `=` has an
/// empty value.
pub(crate) fn decode_query(raw: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    let decode = |s: &str| -> Vec<u8> {
        let plus_as_space: Vec<u8> = s
            .bytes()
            .map(|b| if b == b'+' { b' ' } else { b })
            .collect();
        percent_encoding::percent_decode(&plus_as_space).collect()
    };
    raw.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(pair), Vec::new()),
        })
        .collect()
}

/// Constant-time equality; slices of different length are unequal (length is not secret).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

pub(crate) fn decode_hex(s: &str) -> Option<Vec<u8>> {
    hex::decode(s).ok()
}

pub(crate) fn decode_base64(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(s).ok()
}

pub(crate) fn encode_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Shortens input for an error message.
pub(crate) fn shorten(s: &str) -> String {
    crate::policy::snippet(s)
}

pub(crate) fn malformed(value: &str, reason: &'static str) -> SignatureError {
    SignatureError::Malformed {
        value: shorten(value),
        reason,
    }
}

/// Splits `ALGO k=v,k=v` into the algorithm and trimmed `(key, value)` items, the way the
/// RocketMQ and ACS3 verifiers read it (split once on a space, then on commas, then on the first
/// `=`). Items without `=` are ignored.
pub(crate) fn split_authorization(value: &str) -> (&str, Vec<(&str, &str)>) {
    let value = value.trim();
    let (algorithm, rest) = value.split_once(' ').unwrap_or((value, ""));
    let items = rest
        .split(',')
        .filter_map(|item| item.trim().split_once('='))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect();
    (algorithm, items)
}

/// `YYYY-MM-DDTHH:MM:SSZ` and other RFC 3339 forms.
pub(crate) fn parse_rfc3339(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_decoding_and_rfc3986_encoding_match_the_sdk() {
        let pairs = decode_query("DisplayName=Alice+%C3%84+%26%3D%2B+%2Fx&UserName=alice&flag");
        assert_eq!(pairs[0].1, "Alice Ä &=+ /x".as_bytes());
        assert_eq!(rfc3986(&pairs[0].1), "Alice%20%C3%84%20%26%3D%2B%20%2Fx");
        assert_eq!(pairs[2], (b"flag".to_vec(), Vec::new()));
        assert_eq!(rfc3986(b"a~b-c_d.e*f"), "a~b-c_d.e%2Af");
    }

    #[test]
    fn authorization_items_are_trimmed_and_split_on_the_first_equals() {
        let (algo, items) = split_authorization(
            "MQv2-HMAC-SHA1 Credential=AK, SignedHeaders=x-mq-date-time, Signature=ab=",
        );
        assert_eq!(algo, "MQv2-HMAC-SHA1");
        assert_eq!(
            items,
            vec![
                ("Credential", "AK"),
                ("SignedHeaders", "x-mq-date-time"),
                ("Signature", "ab=")
            ]
        );
    }
}
