//! The two HMAC-SHA1 schemes of older Alibaba Cloud SDKs (`signature_algorithm='v2'`).
//!
//! RPC v1: the query carries `AccessKeyId`, `SignatureMethod=HMAC-SHA1`, `SignatureVersion=1.0`,
//! `Timestamp`, `SignatureNonce` and `Signature`. String to sign =
//! `METHOD&%2F&` + RFC 3986 of (every parameter but `Signature`, from the query and a
//! form-encoded body, sorted by key, as RFC 3986 `k=v` joined by `&`); key = secret + `&`;
//! signature = base64 HMAC-SHA1.
//!
//! ROA v1: `Authorization: acs <AK>:<base64 HMAC-SHA1>` over
//! `METHOD\naccept\ncontent-md5\ncontent-type\ndate\n` + every `x-acs-*` header as `name:value\n`
//! (sorted) + the path, then `?` and the decoded query sorted by key as `k=v` (a key with an empty
//! value as bare `k`) joined by `&`.
//!
//! No captured request of either scheme exists in the specs; the recipes are the SDK's, restated.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use time::OffsetDateTime;

use super::{
    HttpRequest, SignatureError, ct_eq, decode_base64, decode_query, encode_base64, malformed,
    parse_rfc3339, rfc3986,
};

/// A parsed RPC v1 (query) signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcV1Signature {
    access_key_id: String,
    signature: Vec<u8>,
    string_to_sign: String,
    timestamp: String,
    nonce: String,
    security_token: Option<String>,
}

impl RpcV1Signature {
    /// Reads the signature parameters from the query (and a form-encoded body).
    pub fn parse(req: &HttpRequest<'_>) -> Result<RpcV1Signature, SignatureError> {
        let mut params = decode_query(req.query);
        let form = req.header("content-type").is_some_and(|ct| {
            ct.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
        if form {
            params.extend(decode_query(&String::from_utf8_lossy(req.body)));
        }
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name.as_bytes())
                .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        };
        let signature = get("Signature").ok_or(SignatureError::MissingAuthorization)?;
        let access_key_id =
            get("AccessKeyId").ok_or_else(|| SignatureError::Missing("AccessKeyId".into()))?;
        if access_key_id.is_empty() {
            return Err(SignatureError::EmptyCredential);
        }
        let method = get("SignatureMethod").unwrap_or_default();
        if method != "HMAC-SHA1" {
            return Err(SignatureError::UnsupportedAlgorithm(super::shorten(
                &method,
            )));
        }
        let version = get("SignatureVersion").unwrap_or_default();
        if version != "1.0" {
            return Err(malformed(&version, "`SignatureVersion` must be `1.0`"));
        }
        let timestamp =
            get("Timestamp").ok_or_else(|| SignatureError::Missing("Timestamp".into()))?;
        let nonce = get("SignatureNonce")
            .ok_or_else(|| SignatureError::Missing("SignatureNonce".into()))?;
        let security_token = get("SecurityToken");
        let signature = decode_base64(&signature)
            .filter(|s| s.len() == 20)
            .ok_or_else(|| {
                malformed(
                    &signature,
                    "`Signature` is not base64 of a 20-byte HMAC-SHA1",
                )
            })?;

        params.retain(|(k, _)| k != b"Signature");
        params.sort();
        let canonical = params
            .iter()
            .map(|(k, v)| format!("{}={}", rfc3986(k), rfc3986(v)))
            .collect::<Vec<_>>()
            .join("&");
        let string_to_sign = format!(
            "{}&{}&{}",
            req.method,
            rfc3986(b"/"),
            rfc3986(canonical.as_bytes())
        );
        Ok(RpcV1Signature {
            access_key_id,
            signature,
            string_to_sign,
            timestamp,
            nonce,
            security_token,
        })
    }

    /// `AccessKeyId`.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// `Timestamp` as sent (`YYYY-MM-DDTHH:MM:SSZ`).
    pub fn timestamp(&self) -> &str {
        &self.timestamp
    }

    /// `Timestamp`, parsed.
    pub fn parsed_timestamp(&self) -> Option<OffsetDateTime> {
        parse_rfc3339(&self.timestamp)
    }

    /// `SignatureNonce`.
    pub fn nonce(&self) -> &str {
        &self.nonce
    }

    /// `SecurityToken`, for STS credentials.
    pub fn security_token(&self) -> Option<&str> {
        self.security_token.as_deref()
    }

    /// The string the signature covers.
    pub fn string_to_sign(&self) -> &str {
        &self.string_to_sign
    }

    /// Checks the signature with the secret (the key is `secret&`), in constant time.
    pub fn verify(&self, secret: &str) -> Result<(), SignatureError> {
        let key = format!("{secret}&");
        if ct_eq(&hmac_sha1(&key, &self.string_to_sign), &self.signature) {
            Ok(())
        } else {
            Err(SignatureError::SignatureMismatch(
                self.access_key_id.clone(),
            ))
        }
    }

    /// The base64 signature a client with `secret` computes for this request.
    pub fn expected(&self, secret: &str) -> String {
        encode_base64(&hmac_sha1(&format!("{secret}&"), &self.string_to_sign))
    }
}

/// A parsed ROA v1 (`acs AK:sig`) signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoaV1Signature {
    access_key_id: String,
    signature: Vec<u8>,
    string_to_sign: String,
    date: String,
    nonce: Option<String>,
    security_token: Option<String>,
}

impl RoaV1Signature {
    /// Reads `Authorization: acs AK:sig` and rebuilds the string to sign.
    pub fn parse(req: &HttpRequest<'_>) -> Result<RoaV1Signature, SignatureError> {
        let authorization = req
            .header("authorization")
            .ok_or(SignatureError::MissingAuthorization)?;
        let credentials = authorization
            .trim()
            .strip_prefix("acs ")
            .ok_or_else(|| malformed(authorization, "must be `acs <AccessKeyId>:<signature>`"))?;
        let (access_key_id, signature) = credentials
            .trim()
            .rsplit_once(':')
            .ok_or_else(|| malformed(authorization, "must be `acs <AccessKeyId>:<signature>`"))?;
        if access_key_id.is_empty() {
            return Err(SignatureError::EmptyCredential);
        }
        let signature = decode_base64(signature)
            .filter(|s| s.len() == 20)
            .ok_or_else(|| {
                malformed(
                    authorization,
                    "signature is not base64 of a 20-byte HMAC-SHA1",
                )
            })?;
        if let Some(m) = req.header("x-acs-signature-method")
            && m.trim() != "HMAC-SHA1"
        {
            return Err(SignatureError::UnsupportedAlgorithm(super::shorten(m)));
        }
        let date = req
            .header("date")
            .ok_or_else(|| SignatureError::Missing("date".into()))?
            .to_owned();
        let string_to_sign = roa_string_to_sign(req);
        let header = |name: &str| req.header(name).map(str::to_owned);
        Ok(RoaV1Signature {
            access_key_id: access_key_id.to_owned(),
            signature,
            string_to_sign,
            date,
            nonce: header("x-acs-signature-nonce"),
            security_token: header("x-acs-security-token"),
        })
    }

    /// The access key id.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The `date` header as sent (RFC 1123, GMT).
    pub fn date(&self) -> &str {
        &self.date
    }

    /// The `date` header, parsed.
    pub fn parsed_date(&self) -> Option<OffsetDateTime> {
        OffsetDateTime::parse(&self.date, &time::format_description::well_known::Rfc2822).ok()
    }

    /// `x-acs-signature-nonce`, if sent.
    pub fn nonce(&self) -> Option<&str> {
        self.nonce.as_deref()
    }

    /// `x-acs-security-token`, for STS credentials.
    pub fn security_token(&self) -> Option<&str> {
        self.security_token.as_deref()
    }

    /// The string the signature covers.
    pub fn string_to_sign(&self) -> &str {
        &self.string_to_sign
    }

    /// Checks the signature with the secret, in constant time.
    pub fn verify(&self, secret: &str) -> Result<(), SignatureError> {
        if ct_eq(&hmac_sha1(secret, &self.string_to_sign), &self.signature) {
            Ok(())
        } else {
            Err(SignatureError::SignatureMismatch(
                self.access_key_id.clone(),
            ))
        }
    }

    /// The base64 signature a client with `secret` computes for this request.
    pub fn expected(&self, secret: &str) -> String {
        encode_base64(&hmac_sha1(secret, &self.string_to_sign))
    }
}

fn roa_string_to_sign(req: &HttpRequest<'_>) -> String {
    let h = |name: &str| req.header(name).unwrap_or_default();
    let mut out = format!(
        "{}\n{}\n{}\n{}\n{}\n",
        req.method,
        h("accept"),
        h("content-md5"),
        h("content-type"),
        h("date")
    );
    let mut acs: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|(k, _)| k.to_ascii_lowercase())
        .filter(|k| k.starts_with("x-acs-"))
        .filter_map(|k| req.header_joined(&k).map(|v| (k, v)))
        .collect();
    acs.sort();
    acs.dedup();
    for (k, v) in acs {
        out.push_str(&k);
        out.push(':');
        out.push_str(&v);
        out.push('\n');
    }
    out.push_str(req.path);
    let mut query = decode_query(req.query);
    if !query.is_empty() {
        query.sort();
        let items: Vec<String> = query
            .iter()
            .map(|(k, v)| {
                let k = String::from_utf8_lossy(k);
                if v.is_empty() {
                    k.into_owned()
                } else {
                    format!("{k}={}", String::from_utf8_lossy(v))
                }
            })
            .collect();
        out.push('?');
        out.push_str(&items.join("&"));
    }
    out
}

fn hmac_sha1(key: &str, data: &str) -> Vec<u8> {
    match Hmac::<Sha1>::new_from_slice(key.as_bytes()) {
        Ok(mut m) => {
            m.update(data.as_bytes());
            m.finalize().into_bytes().to_vec()
        }
        // Unreachable (HMAC takes any key length); an empty MAC can only fail verification.
        Err(_) => Vec::new(),
    }
}
