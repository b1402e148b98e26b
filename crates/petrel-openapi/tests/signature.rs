//! Signature verification at the edge, as SDK users meet it: a correctly signed request passes
//! with the query re-encoded and the port in the host; a wrong secret, a tampered query, header
//! or body, a stale date, a replayed nonce and an unsigned request are refused with the codes
//! the SDKs surface. The legacy HMAC-SHA1 schemes are verified too.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod common;

use common::{Call, Fixture, HOST, acs_date};
use petrel_iam::signature::HttpRequest;
use petrel_iam::signature::legacy::{RoaV1Signature, RpcV1Signature};
use time::{Duration, OffsetDateTime};

const RAM: &str = "2015-05-01";

/// The captured CreateUser query: form-encoded on the wire, RFC 3986 in the signature.
const CAPTURED_QUERY: &str = "DisplayName=Alice+%C3%84+%26%3D%2B+%2Fx&UserName=alice";

#[tokio::test]
async fn an_sdk_signed_request_with_form_encoded_query_and_port_in_host_is_accepted() {
    let f = Fixture::new();
    let a = f
        .send(f.call().rpc(RAM, "CreateUser", CAPTURED_QUERY).signed())
        .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(a.body["User"]["UserName"], "alice");
    assert_eq!(a.body["User"]["DisplayName"], "Alice Ä &=+ /x");
    assert_eq!(a.body["RequestId"].as_str(), a.header_request_id.as_deref());
}

#[tokio::test]
async fn a_wrong_secret_is_signature_does_not_match() {
    let f = Fixture::new();
    let call = Call::new(&f.key_id, "not-the-secret").rpc(RAM, "ListUsers", "");
    let a = f.send(call.signed()).await;
    assert_eq!(
        (a.status, a.code()),
        (400, "SignatureDoesNotMatch"),
        "{:?}",
        a.body
    );
    assert!(a.body["RequestId"].is_string());
    assert!(a.body["Message"].as_str().unwrap().contains(&f.key_id));
}

#[tokio::test]
async fn an_unknown_access_key_is_refused_naming_it() {
    let f = Fixture::new();
    let call = Call::new("LTAInosuchkey000000000", "x").rpc(RAM, "ListUsers", "");
    let a = f.send(call.signed()).await;
    assert_eq!(a.code(), "InvalidAccessKeyId.NotFound");
    assert!(
        a.body["Message"]
            .as_str()
            .unwrap()
            .contains("LTAInosuchkey000000000")
    );
}

#[tokio::test]
async fn a_query_changed_after_signing_is_refused() {
    let f = Fixture::new();
    let call = f.call().rpc(RAM, "CreateUser", "UserName=alice");
    let headers = call.headers_for_signing();
    let names: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
    let authorization = call.authorization(&headers, &names);
    let mut tampered = call.clone();
    tampered.query = "UserName=mallory".to_owned();
    let a = f.send(tampered.build(&headers, Some(&authorization))).await;
    assert_eq!((a.status, a.code()), (400, "SignatureDoesNotMatch"));
}

#[tokio::test]
async fn the_host_and_port_are_covered_by_the_signature() {
    let f = Fixture::new();
    let call = f.call().rpc(RAM, "ListUsers", "");
    let mut headers = call.headers_for_signing();
    let names: Vec<String> = headers.iter().map(|(k, _)| k.clone()).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let authorization = call.authorization(&headers, &names);
    for h in &mut headers {
        if h.0 == "host" {
            h.1 = "127.0.0.1:18081".to_owned();
        }
    }
    let a = f.send(call.build(&headers, Some(&authorization))).await;
    assert_eq!(a.code(), "SignatureDoesNotMatch");
}

#[tokio::test]
async fn a_body_that_does_not_match_its_hash_is_refused() {
    let f = Fixture::new();
    let call = f
        .call()
        .roa("ListInstances", "GET", "/instances", Some("{}"));
    let headers = call.headers_for_signing();
    let names: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
    let authorization = call.authorization(&headers, &names);
    let mut tampered = call.clone();
    tampered.body = b"{\"x\":1}".to_vec();
    let a = f.send(tampered.build(&headers, Some(&authorization))).await;
    assert_eq!((a.status, a.code()), (400, "SignatureDoesNotMatch"));
    assert_eq!(a.body["success"], false, "ROA envelope: {:?}", a.body);
}

#[tokio::test]
async fn a_request_without_the_date_among_signed_headers_is_refused() {
    let f = Fixture::new();
    let call = f.call().rpc(RAM, "ListUsers", "");
    let headers = call.headers_for_signing();
    let names: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
    // A signer that leaves the date out of `SignedHeaders` could replay the request forever.
    let authorization = call
        .authorization(&headers, &names)
        .replace(";x-acs-date", "");
    assert!(!authorization.contains("x-acs-date"));
    let a = f.send(call.build(&headers, Some(&authorization))).await;
    assert_eq!(a.status, 400);
    assert!(
        a.body["Message"].as_str().unwrap().contains("x-acs-date"),
        "{:?}",
        a.body
    );
}

#[tokio::test]
async fn a_stale_or_future_date_is_refused_as_expired() {
    let f = Fixture::new();
    for offset in [Duration::minutes(-20), Duration::minutes(20)] {
        let mut call = f.call().rpc(RAM, "ListUsers", "");
        call.date = OffsetDateTime::now_utc() + offset;
        let a = f.send(call.signed()).await;
        assert_eq!(
            (a.status, a.code()),
            (400, "InvalidTimeStamp.Expired"),
            "{:?}",
            a.body
        );
    }
    let mut call = f.call().rpc(RAM, "ListUsers", "");
    call.date = OffsetDateTime::now_utc() - Duration::minutes(10);
    assert_eq!(f.send(call.signed()).await.status, 200, "within the skew");
}

#[tokio::test]
async fn a_replayed_nonce_is_refused_and_a_fresh_one_accepted() {
    let f = Fixture::new();
    let call = f.call().rpc(RAM, "ListUsers", "");
    assert_eq!(f.send(call.signed()).await.status, 200);
    let again = f.send(call.signed()).await;
    assert_eq!((again.status, again.code()), (400, "SignatureNonceUsed"));
    let fresh = f.call().rpc(RAM, "ListUsers", "");
    assert_eq!(f.send(fresh.signed()).await.status, 200);
}

#[tokio::test]
async fn a_forged_request_does_not_spend_the_nonce_of_a_real_one() {
    let f = Fixture::new();
    let real = f.call().rpc(RAM, "ListUsers", "");
    let mut forged = real.clone();
    forged.secret = "guess".to_owned();
    assert_eq!(
        f.send(forged.signed()).await.code(),
        "SignatureDoesNotMatch"
    );
    assert_eq!(f.send(real.signed()).await.status, 200);
}

#[tokio::test]
async fn an_unsigned_request_is_refused() {
    let f = Fixture::new();
    let call = f.call().rpc(RAM, "ListUsers", "");
    let a = f.send(call.build(&call.headers_for_signing(), None)).await;
    assert_eq!(
        (a.status, a.code()),
        (400, "MissingParameter.Authorization")
    );
}

#[tokio::test]
async fn the_legacy_rpc_query_signature_is_verified() {
    let f = Fixture::new();
    let params = |signature: &str, nonce: &str| {
        format!(
            "AccessKeyId={}&Action=CreateUser&Format=json&SignatureMethod=HMAC-SHA1&SignatureNonce={nonce}&SignatureVersion=1.0&Timestamp={}&UserName=bob&Version=2015-05-01&DisplayName=Bob+B&Signature={}",
            f.key_id,
            acs_date(OffsetDateTime::now_utc()).replace(':', "%3A"),
            signature
        )
    };
    let placeholder = "AAAAAAAAAAAAAAAAAAAAAAAAAAA%3D";
    let unsigned = params(placeholder, "n-legacy-1");
    let parsed = RpcV1Signature::parse(&HttpRequest {
        method: "POST",
        path: "/",
        query: &unsigned,
        headers: &[],
        body: b"",
    })
    .unwrap();
    let good = parsed
        .expected(&f.secret)
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    let mut call = f.call();
    call.query = params(&good, "n-legacy-1");
    let request = call.build(&[("host".into(), HOST.into())], None);
    let a = f.send(request).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(a.body["User"]["DisplayName"], "Bob B");

    let mut bad = f.call();
    bad.query = params(&good, "n-legacy-2");
    let a = f
        .send(bad.build(&[("host".into(), HOST.into())], None))
        .await;
    assert_eq!(a.code(), "SignatureDoesNotMatch", "the nonce is signed too");
}

#[tokio::test]
async fn the_legacy_roa_signature_is_verified() {
    let f = Fixture::new();
    let date = OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc2822)
        .unwrap()
        .replace("+0000", "GMT");
    let headers = |authorization: &str| -> Vec<(String, String)> {
        vec![
            ("host".into(), HOST.into()),
            ("accept".into(), "application/json".into()),
            ("date".into(), date.clone()),
            ("x-acs-signature-nonce".into(), "roa-nonce-1".into()),
            ("x-acs-signature-method".into(), "HMAC-SHA1".into()),
            ("x-acs-signature-version".into(), "1.0".into()),
            ("x-acs-version".into(), "2022-08-01".into()),
            ("x-acs-action".into(), "ListInstances".into()),
            ("authorization".into(), authorization.into()),
        ]
    };
    let placeholder = format!("acs {}:AAAAAAAAAAAAAAAAAAAAAAAAAAA=", f.key_id);
    let h = headers(&placeholder);
    let pairs: Vec<(&str, &str)> = h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let parsed = RoaV1Signature::parse(&HttpRequest {
        method: "GET",
        path: "/instances",
        query: "pageNumber=1",
        headers: &pairs,
        body: b"",
    })
    .unwrap();
    let authorization = format!("acs {}:{}", f.key_id, parsed.expected(&f.secret));
    let mut call = f.call();
    call.method = "GET".into();
    call.path = "/instances".into();
    call.query = "pageNumber=1".into();
    let a = f.send(call.build(&headers(&authorization), None)).await;
    // Verified and authenticated: what stops it now is the account's activation.
    assert_eq!(
        (a.status, a.code()),
        (403, "ServiceNotActivated"),
        "{:?}",
        a.body
    );
}
