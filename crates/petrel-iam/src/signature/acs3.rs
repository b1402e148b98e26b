//! `ACS3-HMAC-SHA256`, the signature every Alibaba Cloud SDK call carries by default.
//!
//! Canonical request = lines joined by `\n`: method; the path exactly as received; the query
//! re-encoded (decoded from the form-encoded wire, values RFC 3986-encoded, keys as decoded,
//! sorted by key, `k=v` joined by `&`); one `name:trimmed-value` line per signed header (sorted,
//! lower-case, repeated headers joined by `,`); the `;`-joined signed header names; the hex
//! SHA-256 of the body. String to sign = `ACS3-HMAC-SHA256\n` + hex SHA-256 of that. Signature =
//! hex HMAC-SHA256 keyed by the secret.
//!
//! The canonical request is rebuilt from what was received, never from the wire query string:
//! the SDK form-encodes the wire (`+` for space) but signs RFC 3986 (`%20`).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::{
    HttpRequest, SignatureError, ct_eq, decode_hex, decode_query, malformed, parse_rfc3339,
    rfc3986, split_authorization,
};

/// The algorithm name in the `Authorization` header.
pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// Headers that must be among `SignedHeaders`: the ones routing, replay protection and body
/// integrity rely on.
pub const REQUIRED_SIGNED_HEADERS: [&str; 6] = [
    "host",
    "x-acs-action",
    "x-acs-version",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-content-sha256",
];

/// A parsed ACS3 authorization with its string to sign, ready to verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acs3Signature {
    access_key_id: String,
    signature: Vec<u8>,
    canonical_request: String,
    string_to_sign: String,
    date: String,
    nonce: String,
    security_token: Option<String>,
}

impl Acs3Signature {
    /// Reads the `Authorization` header and rebuilds the canonical request.
    pub fn parse(req: &HttpRequest<'_>) -> Result<Acs3Signature, SignatureError> {
        let authorization = req
            .header("authorization")
            .ok_or(SignatureError::MissingAuthorization)?;
        let (algorithm, items) = split_authorization(authorization);
        if algorithm != ALGORITHM {
            return Err(SignatureError::UnsupportedAlgorithm(super::shorten(
                algorithm,
            )));
        }
        let item = |name: &str| items.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        let access_key_id = item("Credential")
            .ok_or_else(|| malformed(authorization, "`Credential` is missing"))?;
        if access_key_id.is_empty() {
            return Err(SignatureError::EmptyCredential);
        }
        let signed = item("SignedHeaders")
            .ok_or_else(|| malformed(authorization, "`SignedHeaders` is missing"))?;
        let signature =
            item("Signature").ok_or_else(|| malformed(authorization, "`Signature` is missing"))?;
        let signature = decode_hex(signature)
            .filter(|s| s.len() == 32)
            .ok_or_else(|| malformed(authorization, "`Signature` is not 64 hex digits"))?;

        let mut names: Vec<String> = signed
            .split(';')
            .map(|n| n.trim().to_ascii_lowercase())
            .filter(|n| !n.is_empty())
            .collect();
        names.sort();
        names.dedup();
        if let Some(missing) = REQUIRED_SIGNED_HEADERS
            .iter()
            .find(|r| !names.iter().any(|n| n == *r))
        {
            return Err(SignatureError::UnsignedHeader((*missing).to_owned()));
        }

        let body_hash = hex::encode(Sha256::digest(req.body));
        if let Some(claimed) = req.header("x-acs-content-sha256")
            && !claimed.trim().eq_ignore_ascii_case(&body_hash)
        {
            return Err(SignatureError::BodyHashMismatch(super::shorten(claimed)));
        }

        let mut canonical_headers = String::new();
        for name in &names {
            let value = req
                .header_joined(name)
                .ok_or_else(|| SignatureError::Missing(name.clone()))?;
            canonical_headers.push_str(name);
            canonical_headers.push(':');
            canonical_headers.push_str(&value);
            canonical_headers.push('\n');
        }
        let canonical_request = format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            req.method,
            if req.path.is_empty() { "/" } else { req.path },
            canonical_query(req.query),
            canonical_headers,
            names.join(";"),
            body_hash
        );
        let string_to_sign = format!(
            "{ALGORITHM}\n{}",
            hex::encode(Sha256::digest(canonical_request.as_bytes()))
        );
        let header = |name: &str| req.header(name).map(str::to_owned);
        Ok(Acs3Signature {
            access_key_id: access_key_id.to_owned(),
            signature,
            canonical_request,
            string_to_sign,
            date: header("x-acs-date").unwrap_or_default(),
            nonce: header("x-acs-signature-nonce").unwrap_or_default(),
            security_token: header("x-acs-security-token"),
        })
    }

    /// The access key id (`Credential`).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// `x-acs-date` as sent (`YYYY-MM-DDTHH:MM:SSZ`).
    pub fn date(&self) -> &str {
        &self.date
    }

    /// `x-acs-date`, parsed.
    pub fn parsed_date(&self) -> Option<OffsetDateTime> {
        parse_rfc3339(&self.date)
    }

    /// `x-acs-signature-nonce`.
    pub fn nonce(&self) -> &str {
        &self.nonce
    }

    /// `x-acs-security-token`, for STS credentials.
    pub fn security_token(&self) -> Option<&str> {
        self.security_token.as_deref()
    }

    /// The canonical request the signature must cover (for diagnostics; never log secrets).
    pub fn canonical_request(&self) -> &str {
        &self.canonical_request
    }

    /// Checks the signature with the access key secret, in constant time.
    pub fn verify(&self, secret: &str) -> Result<(), SignatureError> {
        if ct_eq(&hmac_sha256(secret, &self.string_to_sign), &self.signature) {
            Ok(())
        } else {
            Err(SignatureError::SignatureMismatch(
                self.access_key_id.clone(),
            ))
        }
    }
}

/// The `Authorization` value an SDK would send for `req`, signing `signed_headers` (all lower
/// case). For tests and Petrel's own clients.
pub fn sign(
    req: &HttpRequest<'_>,
    access_key_id: &str,
    secret: &str,
    signed_headers: &[&str],
) -> Result<String, SignatureError> {
    let mut names: Vec<&str> = signed_headers.to_vec();
    names.sort_unstable();
    let list = names.join(";");
    let provisional = format!(
        "{ALGORITHM} Credential={access_key_id},SignedHeaders={list},Signature={}",
        "0".repeat(64)
    );
    let mut headers: Vec<(&str, &str)> = req
        .headers
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("authorization"))
        .copied()
        .collect();
    headers.push(("authorization", &provisional));
    let parsed = Acs3Signature::parse(&HttpRequest {
        headers: &headers,
        ..*req
    })?;
    Ok(format!(
        "{ALGORITHM} Credential={access_key_id},SignedHeaders={list},Signature={}",
        hex::encode(hmac_sha256(secret, &parsed.string_to_sign))
    ))
}

fn canonical_query(raw: &str) -> String {
    let mut pairs = decode_query(raw);
    pairs.sort();
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        // Keys are used as decoded (the SDK does not encode them); a key that is not UTF-8
        // cannot come from an SDK, and encoding it keeps the line well-formed.
        match std::str::from_utf8(k) {
            Ok(k) => out.push_str(k),
            Err(_) => out.push_str(&rfc3986(k)),
        }
        out.push('=');
        out.push_str(&rfc3986(v));
    }
    out
}

fn hmac_sha256(secret: &str, data: &str) -> Vec<u8> {
    match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mut m) => {
            m.update(data.as_bytes());
            m.finalize().into_bytes().to_vec()
        }
        // Unreachable (HMAC takes any key length); an empty MAC can only fail verification.
        Err(_) => Vec::new(),
    }
}
