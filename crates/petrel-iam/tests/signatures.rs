//! Signature verification against captured and independently computed vectors, and tampering.
//!
//! - ACS3 CreateUser is the request captured from the Alibaba Python SDK (ram-and-openapi.md
//!   §6.4, fake keys `LTAI_FAKE_ROOT_AK` / `fake-root-secret`); the spec prints its signature as
//!   `069f4726…8fd9`, and the full value below has that prefix and suffix.
//! - The other vectors (ListTopics and CreateTopic with the §6.4 header sets, STS, the MQv2
//!   per-client forms, RPC v1, ROA v1) were computed with a separate Python implementation of
//!   the spec recipes (hashlib/hmac/urllib), not with this crate.

#![allow(clippy::unwrap_used, clippy::panic)] // test code: a failed setup step is a failed test

use petrel_iam::signature::acs3::{self, Acs3Signature};
use petrel_iam::signature::legacy::{RoaV1Signature, RpcV1Signature};
use petrel_iam::signature::mqv2::{self, MqV2Signature};
use petrel_iam::signature::{HttpRequest, HttpSignature, SignatureError};
use petrel_model::ErrorCode;

const AK: &str = "LTAI_FAKE_ROOT_AK";
const SECRET: &str = "fake-root-secret";
const UA: &str = "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2";
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const CREATE_USER_SIGNATURE: &str =
    "069f47264ad0a081c2f408b7e69e33d3700105451ad78a2c2bbc758a22108fd9";
const SIGNED: &str = "accept;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version";

fn authorization(signed: &str, signature: &str) -> String {
    format!("ACS3-HMAC-SHA256 Credential={AK},SignedHeaders={signed},Signature={signature}")
}

/// The captured RAM CreateUser request, with its unsigned transport headers.
fn create_user_headers(auth: &str) -> Vec<(&str, &str)> {
    vec![
        ("host", "127.0.0.1:18080"),
        ("x-acs-version", "2015-05-01"),
        ("x-acs-action", "CreateUser"),
        ("user-agent", UA),
        ("x-acs-date", "2026-11-29T01:43:23Z"),
        ("x-acs-signature-nonce", "b05651892ee5a43c01bb6258756a3347"),
        ("accept", "application/json"),
        ("x-acs-content-sha256", EMPTY_SHA256),
        ("x-acs-credentials-provider", "static_ak"),
        ("Accept-Encoding", "identity"),
        ("Content-Length", "0"),
        ("Authorization", auth),
    ]
}

const CREATE_USER_QUERY: &str = "DisplayName=Alice+%C3%84+%26%3D%2B+%2Fx&UserName=alice";

fn request<'a>(
    method: &'a str,
    path: &'a str,
    query: &'a str,
    headers: &'a [(&'a str, &'a str)],
    body: &'a [u8],
) -> HttpRequest<'a> {
    HttpRequest {
        method,
        path,
        query,
        headers,
        body,
    }
}

#[test]
fn acs3_captured_create_user_verifies() {
    assert!(
        CREATE_USER_SIGNATURE.starts_with("069f4726") && CREATE_USER_SIGNATURE.ends_with("8fd9")
    );
    let auth = authorization(SIGNED, CREATE_USER_SIGNATURE);
    let headers = create_user_headers(&auth);
    let req = request("POST", "/", CREATE_USER_QUERY, &headers, b"");
    let sig = Acs3Signature::parse(&req).unwrap();
    assert_eq!(sig.access_key_id(), AK);
    assert_eq!(sig.date(), "2026-11-29T01:43:23Z");
    assert_eq!(sig.nonce(), "b05651892ee5a43c01bb6258756a3347");
    assert!(sig.parsed_date().is_some());
    assert_eq!(sig.security_token(), None);
    assert_eq!(
        sig.canonical_request().lines().nth(2),
        Some("DisplayName=Alice%20%C3%84%20%26%3D%2B%20%2Fx&UserName=alice")
    );
    sig.verify(SECRET).unwrap();
    // Our signer produces the captured value too.
    let names: Vec<&str> = SIGNED.split(';').collect();
    assert_eq!(acs3::sign(&req, AK, SECRET, &names).unwrap(), auth);
    // And the scheme detector picks ACS3.
    let any = HttpSignature::parse(&req).unwrap();
    assert_eq!(any.access_key_id(), AK);
    assert_eq!(any.nonce(), Some("b05651892ee5a43c01bb6258756a3347"));
    any.verify(SECRET).unwrap();
}

#[test]
fn acs3_query_is_rebuilt_from_decoded_values() {
    // The same request with `%20` instead of `+` and the parameters in another order.
    let auth = authorization(SIGNED, CREATE_USER_SIGNATURE);
    let headers = create_user_headers(&auth);
    let query = "UserName=alice&DisplayName=Alice%20%C3%84%20%26%3D%2B%20%2Fx";
    Acs3Signature::parse(&request("POST", "/", query, &headers, b""))
        .unwrap()
        .verify(SECRET)
        .unwrap();
}

#[test]
fn acs3_tampering_is_detected() {
    let auth = authorization(SIGNED, CREATE_USER_SIGNATURE);
    let headers = create_user_headers(&auth);
    let mismatch = |req: HttpRequest<'_>| {
        let e = Acs3Signature::parse(&req)
            .unwrap()
            .verify(SECRET)
            .unwrap_err();
        assert_eq!(e, SignatureError::SignatureMismatch(AK.to_owned()));
        assert_eq!(e.code(), ErrorCode::SignatureDoesNotMatch);
    };
    // Changed query value.
    mismatch(request(
        "POST",
        "/",
        "DisplayName=Alice+%C3%84+%26%3D%2B+%2Fx&UserName=alicf",
        &headers,
        b"",
    ));
    // Extra query parameter.
    mismatch(request(
        "POST",
        "/",
        &format!("{CREATE_USER_QUERY}&Comments=x"),
        &headers,
        b"",
    ));
    // Other method and path.
    mismatch(request("GET", "/", CREATE_USER_QUERY, &headers, b""));
    mismatch(request("POST", "/x", CREATE_USER_QUERY, &headers, b""));
    // Changed signed header.
    let mut changed = headers.clone();
    changed[2] = ("x-acs-action", "DeleteUser");
    mismatch(request("POST", "/", CREATE_USER_QUERY, &changed, b""));
    // Host without the port.
    let mut changed = headers.clone();
    changed[0] = ("host", "127.0.0.1");
    mismatch(request("POST", "/", CREATE_USER_QUERY, &changed, b""));
    // Unsigned headers may change freely.
    let mut unsigned = headers.clone();
    unsigned[9] = ("Accept-Encoding", "gzip");
    let req = request("POST", "/", CREATE_USER_QUERY, &unsigned, b"");
    Acs3Signature::parse(&req).unwrap().verify(SECRET).unwrap();
    // Wrong secret.
    let req = request("POST", "/", CREATE_USER_QUERY, &headers, b"");
    assert!(matches!(
        Acs3Signature::parse(&req)
            .unwrap()
            .verify("fake-root-secreT"),
        Err(SignatureError::SignatureMismatch(_))
    ));
    // A body that does not match x-acs-content-sha256.
    let e = Acs3Signature::parse(&request("POST", "/", CREATE_USER_QUERY, &headers, b"{}"))
        .unwrap_err();
    assert!(matches!(e, SignatureError::BodyHashMismatch(_)), "{e}");
}

#[test]
fn acs3_refuses_incomplete_authorizations() {
    let parse = |auth: &str| {
        let headers = create_user_headers(auth);
        Acs3Signature::parse(&request("POST", "/", CREATE_USER_QUERY, &headers, b"")).unwrap_err()
    };
    let without_nonce = SIGNED.replace("x-acs-signature-nonce;", "");
    assert_eq!(
        parse(&authorization(&without_nonce, CREATE_USER_SIGNATURE)),
        SignatureError::UnsignedHeader("x-acs-signature-nonce".into())
    );
    assert!(matches!(
        parse(&format!(
            "ACS3-HMAC-SHA256 SignedHeaders={SIGNED},Signature={CREATE_USER_SIGNATURE}"
        )),
        SignatureError::Malformed {
            reason: "`Credential` is missing",
            ..
        }
    ));
    assert!(matches!(
        parse(&authorization(SIGNED, "xyz")),
        SignatureError::Malformed {
            reason: "`Signature` is not 64 hex digits",
            ..
        }
    ));
    assert_eq!(
        parse(&format!(
            "ACS3-HMAC-SM3 Credential={AK},SignedHeaders={SIGNED},Signature=00"
        )),
        SignatureError::UnsupportedAlgorithm("ACS3-HMAC-SM3".into())
    );
    let e = parse(&format!(
        "ACS3-HMAC-SHA256 Credential=,SignedHeaders={SIGNED},Signature={CREATE_USER_SIGNATURE}"
    ));
    assert!(e.is_anonymous());
    // A signed header that the request does not carry.
    let extra = format!("{SIGNED};x-acs-extra");
    assert_eq!(
        parse(&authorization(&extra, CREATE_USER_SIGNATURE)),
        SignatureError::Missing("x-acs-extra".into())
    );
    let e = Acs3Signature::parse(&request("POST", "/", "", &[("host", "h")], b"")).unwrap_err();
    assert_eq!(e, SignatureError::MissingAuthorization);
    assert_eq!(
        e.code(),
        ErrorCode::MissingParameter("Authorization".into())
    );
}

fn rocketmq_headers<'a>(
    action: &'a str,
    date: &'a str,
    nonce: &'a str,
    body_sha: &'a str,
    auth: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("host", "127.0.0.1:18080"),
        ("x-acs-version", "2022-08-01"),
        ("x-acs-action", action),
        ("user-agent", UA),
        ("x-acs-date", date),
        ("x-acs-signature-nonce", nonce),
        ("accept", "application/json"),
        ("x-acs-content-sha256", body_sha),
        ("x-acs-credentials-provider", "static_ak"),
        ("Accept-Encoding", "identity"),
        ("Authorization", auth),
    ]
}

#[test]
fn acs3_rocketmq_list_topics_with_comma_joined_array() {
    let auth = authorization(
        SIGNED,
        "1c0303a708d898562494a40c9d1ef571441824fac3e3e1970a87eb1b1111592e",
    );
    let headers = rocketmq_headers(
        "ListTopics",
        "2026-11-29T01:43:24Z",
        "0d7c1f1e5b7d4a7e8f1c2b3a4d5e6f70",
        EMPTY_SHA256,
        &auth,
    );
    let query = "filter=t&messageTypes=NORMAL%2CFIFO&pageNumber=1&pageSize=10";
    let req = request("GET", "/instances/rmq-cn-test/topics", query, &headers, b"");
    Acs3Signature::parse(&req).unwrap().verify(SECRET).unwrap();
    let tampered = request(
        "GET",
        "/instances/rmq-cn-test/topics",
        "filter=t&messageTypes=NORMAL&pageNumber=1&pageSize=10",
        &headers,
        b"",
    );
    assert!(
        Acs3Signature::parse(&tampered)
            .unwrap()
            .verify(SECRET)
            .is_err()
    );
}

#[test]
fn acs3_rocketmq_create_topic_with_body_and_encoded_path() {
    let body = br#"{"maxSendTps":100,"messageType":"NORMAL","remark":"hi there"}"#;
    let body_sha = "5bb21a819001efd9969964cb88a6569d1e683399b0d6f35056e18207890dbfb8";
    let signed = "accept;content-type;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version";
    let auth = authorization(
        signed,
        "4c9b6dec90e735a9fc91cd9e1abd76b553541f6a2b67f8c8e83ee5b0e171aa44",
    );
    let mut headers = rocketmq_headers(
        "CreateTopic",
        "2026-11-29T01:43:25Z",
        "1e8d2a2f6c8e5b8f9a2d3c4b5e6f7a81",
        body_sha,
        &auth,
    );
    headers.push(("content-type", "application/json; charset=utf-8"));
    let path = "/instances/rmq-cn-test/topics/topic%20a%2Fb";
    Acs3Signature::parse(&request("POST", path, "", &headers, body))
        .unwrap()
        .verify(SECRET)
        .unwrap();
    // The path is signed as received: a decoded path does not verify.
    let decoded = request(
        "POST",
        "/instances/rmq-cn-test/topics/topic a/b",
        "",
        &headers,
        body,
    );
    assert!(
        Acs3Signature::parse(&decoded)
            .unwrap()
            .verify(SECRET)
            .is_err()
    );
    // A changed body is caught before the signature.
    let other = br#"{"maxSendTps":999,"messageType":"NORMAL","remark":"hi there"}"#;
    assert!(matches!(
        Acs3Signature::parse(&request("POST", path, "", &headers, other)),
        Err(SignatureError::BodyHashMismatch(_))
    ));
}

#[test]
fn acs3_sts_credentials_expose_the_security_token() {
    let signed = "accept;host;user-agent;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version";
    let auth = format!(
        "ACS3-HMAC-SHA256 Credential=STS.FAKE,SignedHeaders={signed},Signature=208deeb8ff3f2289051bf758cb6009ac7a9f9a3cdeef8b3fde4189a84d6df3a1"
    );
    let headers = vec![
        ("host", "127.0.0.1:18080"),
        ("x-acs-version", "2015-04-01"),
        ("x-acs-action", "GetCallerIdentity"),
        ("user-agent", UA),
        ("x-acs-date", "2026-11-29T01:43:26Z"),
        ("x-acs-signature-nonce", "2f9e3b3a7d9f6c9a0b3e4d5c6f7a8b92"),
        ("accept", "application/json"),
        ("x-acs-content-sha256", EMPTY_SHA256),
        ("x-acs-credentials-provider", "static_sts"),
        ("x-acs-accesskey-id", "STS.FAKE"),
        ("x-acs-security-token", "FAKE-TOKEN-123"),
        ("Authorization", auth.as_str()),
    ];
    let sig = Acs3Signature::parse(&request("POST", "/", "", &headers, b"")).unwrap();
    assert_eq!(sig.access_key_id(), "STS.FAKE");
    assert_eq!(sig.security_token(), Some("FAKE-TOKEN-123"));
    sig.verify("fake-sts-secret").unwrap();
}

#[test]
fn mqv2_each_client_form_verifies() {
    // (client, access key, secret, x-mq-date-time as sent, authorization as sent)
    let cases = [
        (
            "python: lower-case hex, basic date in local time",
            "AK_PY",
            "sk-py",
            "20261129T095433Z",
            "MQv2-HMAC-SHA1 Credential=AK_PY, SignedHeaders=x-mq-date-time, Signature=f892dc1efc5b6b59ae941029f87e6b8d5fb68486",
        ),
        (
            "node: upper-case hex, basic date in UTC",
            "AK_NODE",
            "sk-node",
            "20261129T015433Z",
            "MQv2-HMAC-SHA1 Credential=AK_NODE, SignedHeaders=x-mq-date-time, Signature=CDA40776A522A371C015440A3B9490F73DE28497",
        ),
        (
            "rust: RFC 3339 with nanoseconds",
            "AK_RUST",
            "sk-rust",
            "2026-11-29T01:54:33.070724018Z",
            "MQv2-HMAC-SHA1 Credential=AK_RUST, SignedHeaders=x-mq-date-time, Signature=428a6070f439eaba2bb4817ae751c91c4a024689",
        ),
        (
            "base64 signature, no spaces, scoped credential",
            "AK_PY",
            "sk-py",
            "20261129T095433Z",
            "MQv2-HMAC-SHA1 Credential=AK_PY/cn-hangzhou/mq,SignedHeaders=x-mq-date-time,Signature=+JLcHvxba1mulBAp+H5rjV+2hIY=",
        ),
    ];
    for (client, ak, secret, date, auth) in cases {
        let sig = MqV2Signature::parse(Some(auth), Some(date))
            .unwrap_or_else(|e| panic!("{client}: {e}"));
        assert_eq!(sig.access_key_id(), ak, "{client}");
        assert_eq!(sig.date_time(), date);
        assert!(sig.parsed_date_time().is_some(), "{client}");
        sig.verify(secret)
            .unwrap_or_else(|e| panic!("{client}: {e}"));
        assert!(sig.verify("wrong").is_err(), "{client}");
        // The date is what is signed: another date does not verify.
        let other = MqV2Signature::parse(Some(auth), Some("20261129T095434Z")).unwrap();
        assert!(matches!(
            other.verify(secret),
            Err(SignatureError::SignatureMismatch(_))
        ));
    }
    // Our signer writes the Python form.
    assert_eq!(mqv2::sign("AK_PY", "sk-py", "20261129T095433Z"), cases[0].4);
}

#[test]
fn mqv2_refusals() {
    let date = Some("20261129T095433Z");
    // Python with empty credentials still signs, keyed by "".
    let anon = "MQv2-HMAC-SHA1 Credential=, SignedHeaders=x-mq-date-time, Signature=8f0a6b0efc6f4188abc84b80790d60e976b5b8a3";
    let e = MqV2Signature::parse(Some(anon), date).unwrap_err();
    assert_eq!(e, SignatureError::EmptyCredential);
    assert!(e.is_anonymous());
    let e = MqV2Signature::parse(None, date).unwrap_err();
    assert_eq!(e, SignatureError::MissingAuthorization);
    assert!(e.is_anonymous());
    let ok = "MQv2-HMAC-SHA1 Credential=AK_PY, SignedHeaders=x-mq-date-time, Signature=f892dc1efc5b6b59ae941029f87e6b8d5fb68486";
    assert_eq!(
        MqV2Signature::parse(Some(ok), None).unwrap_err(),
        SignatureError::Missing("x-mq-date-time".into())
    );
    assert_eq!(
        MqV2Signature::parse(Some("Basic abc"), date).unwrap_err(),
        SignatureError::UnsupportedAlgorithm("Basic".into())
    );
    let truncated =
        "MQv2-HMAC-SHA1 Credential=AK_PY, SignedHeaders=x-mq-date-time, Signature=f892dc1e";
    let e = MqV2Signature::parse(Some(truncated), date).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("malformed authorization `MQv2-HMAC-SHA1"),
        "{e}"
    );
    assert_eq!(e.code(), ErrorCode::SignatureDoesNotMatch);
    assert!(matches!(
        MqV2Signature::parse(Some("MQv2-HMAC-SHA1 Credential=AK"), date),
        Err(SignatureError::Malformed {
            reason: "`Signature` is missing",
            ..
        })
    ));
}

#[test]
fn rpc_v1_query_signature_verifies_and_detects_tampering() {
    let query = "Action=CreateUser&Format=json&Version=2015-05-01&Timestamp=2026-11-29T01%3A43%3A27Z&SignatureNonce=3a0f4c4b8e0a7d0b1c4f5e6d7a8b9ca3&DisplayName=Bob+B&UserName=bob&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0&AccessKeyId=LTAI_FAKE_ROOT_AK&Signature=EDkGMHjHnBlbVEUU8jh8f6JeRbg%3D";
    let headers = [
        ("host", "127.0.0.1:18080"),
        ("x-acs-action", "CreateUser"),
        ("x-acs-version", "2015-05-01"),
    ];
    let req = request("POST", "/", query, &headers, b"");
    let sig = RpcV1Signature::parse(&req).unwrap();
    assert_eq!(sig.access_key_id(), AK);
    assert_eq!(sig.timestamp(), "2026-11-29T01:43:27Z");
    assert_eq!(sig.nonce(), "3a0f4c4b8e0a7d0b1c4f5e6d7a8b9ca3");
    assert!(sig.parsed_timestamp().is_some());
    sig.verify(SECRET).unwrap();
    assert!(sig.verify("other").is_err());
    let any = HttpSignature::parse(&req).unwrap();
    assert!(matches!(any, HttpSignature::RpcV1(_)));
    any.verify(SECRET).unwrap();

    let tampered = query.replace("UserName=bob", "UserName=eve");
    let tampered = request("POST", "/", &tampered, &headers, b"");
    assert!(
        RpcV1Signature::parse(&tampered)
            .unwrap()
            .verify(SECRET)
            .is_err()
    );
    let sha256 = query.replace("SignatureMethod=HMAC-SHA1", "SignatureMethod=HMAC-SHA256");
    assert_eq!(
        RpcV1Signature::parse(&request("POST", "/", &sha256, &headers, b"")).unwrap_err(),
        SignatureError::UnsupportedAlgorithm("HMAC-SHA256".into())
    );
    assert_eq!(
        HttpSignature::parse(&request("POST", "/", "Action=CreateUser", &headers, b""))
            .unwrap_err(),
        SignatureError::MissingAuthorization
    );
}

#[test]
fn roa_v1_signature_verifies_and_detects_tampering() {
    let headers = [
        ("Date", "Sun, 29 Nov 2026 01:43:28 GMT"),
        ("Accept", "application/json"),
        ("x-acs-signature-nonce", "4b1a5d5c9f1b8e1c2d5a6f7e8b9cadb4"),
        ("x-acs-signature-method", "HMAC-SHA1"),
        ("x-acs-signature-version", "1.0"),
        ("x-acs-version", "2022-08-01"),
        ("x-acs-action", "ListTopics"),
        ("host", "127.0.0.1:18080"),
        (
            "Authorization",
            "acs LTAI_FAKE_ROOT_AK:rnCDMMUVLy8QkzuV5clv2maiEsE=",
        ),
    ];
    let path = "/instances/rmq-cn-test/topics";
    let req = request(
        "GET",
        path,
        "pageNumber=1&filter=t+a&pageSize=10",
        &headers,
        b"",
    );
    let sig = RoaV1Signature::parse(&req).unwrap();
    assert_eq!(sig.access_key_id(), AK);
    assert_eq!(sig.nonce(), Some("4b1a5d5c9f1b8e1c2d5a6f7e8b9cadb4"));
    assert!(sig.parsed_date().is_some());
    sig.verify(SECRET).unwrap();
    let any = HttpSignature::parse(&req).unwrap();
    assert!(matches!(any, HttpSignature::RoaV1(_)));

    let tampered = request(
        "GET",
        path,
        "pageNumber=2&filter=t+a&pageSize=10",
        &headers,
        b"",
    );
    assert!(
        RoaV1Signature::parse(&tampered)
            .unwrap()
            .verify(SECRET)
            .is_err()
    );
    let mut changed = headers;
    changed[6] = ("x-acs-action", "DeleteTopic");
    let req = request(
        "GET",
        path,
        "pageNumber=1&filter=t+a&pageSize=10",
        &changed,
        b"",
    );
    assert!(RoaV1Signature::parse(&req).unwrap().verify(SECRET).is_err());
    assert!(
        RoaV1Signature::parse(&request("GET", path, "", &headers, b""))
            .unwrap()
            .verify("x")
            .is_err()
    );
}
