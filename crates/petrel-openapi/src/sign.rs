//! Authentication of management requests: the signature (ACS3-HMAC-SHA256, or the legacy RPC
//! and ROA HMAC-SHA1 schemes) is parsed and verified with `petrel-iam`, the secret is looked up
//! by `petrel-service`, and this module adds what needs state: the date must lie within the
//! allowed skew, and a nonce may be used once within it (`SignatureNonceUsed`).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use petrel_iam::signature::{HttpRequest, HttpSignature};
use petrel_meta::AuditSource;
use petrel_model::ErrorCode;
use petrel_service::{Caller, RequestContext, Service};
use time::OffsetDateTime;

use crate::error::ApiError;
use crate::request::ApiRequest;

/// Most nonces remembered at once; beyond it requests are refused as throttled rather than let
/// the table grow without bound.
const MAX_NONCES: usize = 1_000_000;

/// Nonces seen within the window, per AccessKey.
#[derive(Debug, Default)]
pub(crate) struct NonceCache {
    inner: Mutex<NonceTable>,
}

#[derive(Debug, Default)]
struct NonceTable {
    seen: HashMap<(String, String), i64>,
    order: VecDeque<(i64, (String, String))>,
}

/// Why a nonce was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NonceRefusal {
    Reused,
    Full,
}

impl NonceCache {
    /// Records `nonce` of `access_key_id` until `expires` (unix seconds); refused when it was
    /// seen and has not expired.
    pub fn check_and_record(
        &self,
        access_key_id: &str,
        nonce: &str,
        now: i64,
        expires: i64,
    ) -> Result<(), NonceRefusal> {
        // A poisoned lock only means another request panicked mid-update; the table stays a
        // valid map of nonces.
        let mut t = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        while let Some((at, _)) = t.order.front() {
            if *at > now {
                break;
            }
            if let Some((_, key)) = t.order.pop_front()
                && t.seen.get(&key).is_some_and(|e| *e <= now)
            {
                t.seen.remove(&key);
            }
        }
        let key = (access_key_id.to_owned(), nonce.to_owned());
        if t.seen.get(&key).is_some_and(|e| *e > now) {
            return Err(NonceRefusal::Reused);
        }
        if t.seen.len() >= MAX_NONCES {
            return Err(NonceRefusal::Full);
        }
        t.seen.insert(key.clone(), expires);
        t.order.push_back((expires, key));
        Ok(())
    }
}

/// Verifies `req`'s signature and returns the caller.
pub(crate) fn authenticate(
    service: &Service,
    nonces: &NonceCache,
    max_skew: Duration,
    req: &ApiRequest,
    request_id: &str,
    now: OffsetDateTime,
) -> Result<Caller, ApiError> {
    let headers: Vec<(&str, &str)> = req
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let http = HttpRequest {
        method: &req.method,
        path: &req.path,
        query: &req.query,
        headers: &headers,
        body: &req.body,
    };
    let signature =
        HttpSignature::parse(&http).map_err(|e| ApiError::from_code(&e.code(), e.to_string()))?;
    if signature.security_token().is_some() {
        return Err(ApiError::new(
            400,
            "InvalidSecurityToken.Malformed",
            "this server issues no sts tokens: sign with an access key of a user or of the root",
        ));
    }
    let Some(date) = signature.parsed_date() else {
        return Err(ApiError::new(
            400,
            "InvalidTimeStamp.Format",
            format!(
                "the signed date `{}` is not a valid timestamp",
                crate::request::snippet(signature.date())
            ),
        ));
    };
    let skew = (now - date).unsigned_abs();
    if skew > max_skew {
        return Err(ApiError::from_code(
            &ErrorCode::InvalidTimeStampExpired,
            format!(
                "the signed date `{}` is {}s away from the server's clock; at most {}s is allowed",
                signature.date(),
                skew.as_secs(),
                max_skew.as_secs()
            ),
        ));
    }
    let nonce = signature
        .nonce()
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::missing("SignatureNonce"))?
        .to_owned();
    let mut context = RequestContext::new(AuditSource::OpenApi);
    context.request_id = request_id.to_owned();
    context.source_ip = req.source_ip;
    let caller = service
        .authenticate_access_key(signature.access_key_id(), context, |secret| {
            signature.verify(secret).is_ok()
        })
        .map_err(ApiError::from)?;
    // Only a verified request may spend a nonce, so forged requests cannot burn other callers'
    // nonces. The nonce is remembered for twice the skew: a replay can be dated that far apart.
    let window = i64::try_from(max_skew.as_secs()).unwrap_or(i64::MAX / 4);
    let now_s = now.unix_timestamp();
    match nonces.check_and_record(
        signature.access_key_id(),
        &nonce,
        now_s,
        now_s.saturating_add(window.saturating_mul(2)),
    ) {
        Ok(()) => Ok(caller),
        Err(NonceRefusal::Reused) => Err(ApiError::from_code(
            &ErrorCode::SignatureNonceUsed,
            format!(
                "signature nonce `{}` was already used: every request needs a fresh nonce",
                crate::request::snippet(&nonce)
            ),
        )),
        Err(NonceRefusal::Full) => Err(ApiError::new(
            503,
            "ServiceUnavailable",
            "too many requests within the replay window; retry later",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_refused_until_it_expires_then_accepted_again() {
        let cache = NonceCache::default();
        assert_eq!(cache.check_and_record("AK", "n1", 100, 200), Ok(()));
        assert_eq!(
            cache.check_and_record("AK", "n1", 150, 250),
            Err(NonceRefusal::Reused)
        );
        // Another key may use the same nonce.
        assert_eq!(cache.check_and_record("AK2", "n1", 150, 250), Ok(()));
        assert_eq!(cache.check_and_record("AK", "n1", 201, 301), Ok(()));
    }
}
