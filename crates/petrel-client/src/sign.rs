//! ACS3-HMAC-SHA256 signing of one request, the way the official Alibaba Cloud SDKs do it
//! (ram-and-openapi.md §6.2): the SDK's header set — `host` with its port, `x-acs-version`,
//! `x-acs-action`, `user-agent`, `x-acs-date`, `x-acs-signature-nonce`, `accept`,
//! `x-acs-content-sha256`, `x-acs-credentials-provider` and, with a body, `content-type` — every
//! one of them signed.
//!
//! The canonicalisation is `petrel-iam`'s, the same code the server verifies with: the wire
//! query written here (RFC 3986, sorted) decodes to exactly the parameters given, and the
//! canonical request is rebuilt from those decoded values, as the SDKs do.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use petrel_iam::signature::{HttpRequest, acs3};
use rand::RngCore;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::macros::format_description;

use crate::error::ClientError;
use crate::transport::Credentials;

/// RFC 3986 unreserved characters stay; everything else is `%XX`.
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes one query key or value, or one path segment (`/` becomes `%2F`).
pub fn encode(text: &str) -> String {
    utf8_percent_encode(text, RFC3986).to_string()
}

/// A request before signing. `path` is already encoded, as it goes on the wire.
#[derive(Debug, Clone)]
pub struct Unsigned<'a> {
    /// `GET`, `POST`, `PATCH`, `DELETE`.
    pub method: &'a str,
    /// `host[:port]`, exactly as the `host` header carries it.
    pub host: &'a str,
    /// The encoded path (`/` for RPC calls).
    pub path: &'a str,
    /// Query parameters, decoded.
    pub query: &'a [(String, String)],
    /// `x-acs-action`.
    pub action: &'a str,
    /// `x-acs-version`.
    pub version: &'a str,
    /// The body (empty for none).
    pub body: &'a [u8],
    /// `content-type` of the body, when there is one.
    pub content_type: Option<&'a str>,
    /// `x-acs-date`: `YYYY-MM-DDTHH:MM:SSZ`.
    pub date: &'a str,
    /// `x-acs-signature-nonce`.
    pub nonce: &'a str,
    /// `user-agent`.
    pub user_agent: &'a str,
}

/// A signed request: the wire query and every header to send, `authorization` last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The query string without `?` (empty when there are no parameters).
    pub query: String,
    /// Header names (lower case) and values.
    pub headers: Vec<(&'static str, String)>,
}

impl Signed {
    /// The value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The wire query: pairs sorted by key (then value), keys and values RFC 3986-encoded.
pub fn wire_query(params: &[(String, String)]) -> String {
    let mut pairs: Vec<&(String, String)> = params.iter().collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Signs `req` with `credentials`.
pub fn sign(req: &Unsigned<'_>, credentials: &Credentials) -> Result<Signed, ClientError> {
    let query = wire_query(req.query);
    let mut headers: Vec<(&'static str, String)> = vec![
        ("host", req.host.to_owned()),
        ("x-acs-version", req.version.to_owned()),
        ("x-acs-action", req.action.to_owned()),
        ("user-agent", req.user_agent.to_owned()),
        ("x-acs-date", req.date.to_owned()),
        ("x-acs-signature-nonce", req.nonce.to_owned()),
        ("accept", "application/json".to_owned()),
        (
            "x-acs-content-sha256",
            hex::encode(Sha256::digest(req.body)),
        ),
        ("x-acs-credentials-provider", "static_ak".to_owned()),
    ];
    if let Some(ct) = req.content_type {
        headers.push(("content-type", ct.to_owned()));
    }
    // A header value that HTTP cannot carry would be signed one way and sent another.
    if let Some((name, _)) = headers
        .iter()
        .find(|(_, v)| v.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f))
    {
        return Err(ClientError::InvalidInput {
            what: "header",
            reason: format!("`{name}` holds a control character"),
        });
    }
    let names: Vec<&str> = headers.iter().map(|(k, _)| *k).collect();
    let view: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let authorization = acs3::sign(
        &HttpRequest {
            method: req.method,
            path: req.path,
            query: &query,
            headers: &view,
            body: req.body,
        },
        credentials.access_key_id(),
        credentials.secret(),
        &names,
    )?;
    headers.push(("authorization", authorization));
    Ok(Signed { query, headers })
}

/// `x-acs-date` for now.
pub fn now_date() -> String {
    OffsetDateTime::now_utc()
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
        ))
        .unwrap_or_default()
}

/// A fresh nonce: 32 hex digits of randomness, the SDKs' shape.
pub fn new_nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use petrel_iam::signature::acs3::Acs3Signature;

    const AK: &str = "LTAI_FAKE_ROOT_AK";
    const SECRET: &str = "fake-root-secret";
    const UA: &str = "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2";
    const SIGNED: &str = "accept;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version";

    fn creds() -> Credentials {
        Credentials::new(AK, SECRET)
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// Re-reads a signed request the way the server does and returns its canonical request.
    fn canonical(method: &str, path: &str, signed: &Signed, body: &[u8]) -> String {
        let view: Vec<(&str, &str)> = signed
            .headers
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        let req = HttpRequest {
            method,
            path,
            query: &signed.query,
            headers: &view,
            body,
        };
        let parsed = Acs3Signature::parse(&req).unwrap();
        parsed.verify(SECRET).unwrap();
        parsed.canonical_request().to_owned()
    }

    #[test]
    fn create_user_is_signed_exactly_as_the_captured_python_sdk_request() {
        // ram-and-openapi.md §6.4: RAM CreateUser captured from the official Python SDK.
        let query = pairs(&[("UserName", "alice"), ("DisplayName", "Alice Ä &=+ /x")]);
        let signed = sign(
            &Unsigned {
                method: "POST",
                host: "127.0.0.1:18080",
                path: "/",
                query: &query,
                action: "CreateUser",
                version: "2015-05-01",
                body: b"",
                content_type: None,
                date: "2026-11-29T01:43:23Z",
                nonce: "b05651892ee5a43c01bb6258756a3347",
                user_agent: UA,
            },
            &creds(),
        )
        .unwrap();
        assert_eq!(
            signed.header("authorization"),
            Some(
                format!(
                    "ACS3-HMAC-SHA256 Credential={AK},SignedHeaders={SIGNED},Signature=069f47264ad0a081c2f408b7e69e33d3700105451ad78a2c2bbc758a22108fd9"
                )
                .as_str()
            )
        );
        assert_eq!(
            signed.header("x-acs-content-sha256"),
            Some("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
        assert_eq!(signed.header("host"), Some("127.0.0.1:18080"));
        // The wire query is sorted and RFC 3986-encoded; the canonical query line matches the
        // capture's.
        assert_eq!(
            signed.query,
            "DisplayName=Alice%20%C3%84%20%26%3D%2B%20%2Fx&UserName=alice"
        );
        let canonical = canonical("POST", "/", &signed, b"");
        assert_eq!(
            canonical.lines().nth(2),
            Some("DisplayName=Alice%20%C3%84%20%26%3D%2B%20%2Fx&UserName=alice")
        );
    }

    #[test]
    fn roa_create_topic_signs_the_encoded_path_the_json_body_and_its_content_type() {
        // The §6.4 CreateTopic request (topic `topic a/b`), vector computed independently.
        let path = format!("/instances/rmq-cn-test/topics/{}", encode("topic a/b"));
        assert_eq!(path, "/instances/rmq-cn-test/topics/topic%20a%2Fb");
        let body = br#"{"maxSendTps":100,"messageType":"NORMAL","remark":"hi there"}"#;
        let signed = sign(
            &Unsigned {
                method: "POST",
                host: "127.0.0.1:18080",
                path: &path,
                query: &[],
                action: "CreateTopic",
                version: "2022-08-01",
                body,
                content_type: Some("application/json; charset=utf-8"),
                date: "2026-11-29T01:43:25Z",
                nonce: "1e8d2a2f6c8e5b8f9a2d3c4b5e6f7a81",
                user_agent: UA,
            },
            &creds(),
        )
        .unwrap();
        assert_eq!(
            signed.header("authorization"),
            Some(
                "ACS3-HMAC-SHA256 Credential=LTAI_FAKE_ROOT_AK,SignedHeaders=accept;content-type;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=4c9b6dec90e735a9fc91cd9e1abd76b553541f6a2b67f8c8e83ee5b0e171aa44"
            )
        );
        assert_eq!(
            signed.header("x-acs-content-sha256"),
            Some("5bb21a819001efd9969964cb88a6569d1e683399b0d6f35056e18207890dbfb8")
        );
        assert_eq!(signed.query, "");
        canonical("POST", &path, &signed, body);
    }

    #[test]
    fn roa_list_topics_sends_the_comma_joined_array_as_one_value() {
        let query = pairs(&[
            ("pageSize", "10"),
            ("messageTypes", "NORMAL,FIFO"),
            ("filter", "t"),
            ("pageNumber", "1"),
        ]);
        let signed = sign(
            &Unsigned {
                method: "GET",
                host: "127.0.0.1:18080",
                path: "/instances/rmq-cn-test/topics",
                query: &query,
                action: "ListTopics",
                version: "2022-08-01",
                body: b"",
                content_type: None,
                date: "2026-11-29T01:43:24Z",
                nonce: "0d7c1f1e5b7d4a7e8f1c2b3a4d5e6f70",
                user_agent: UA,
            },
            &creds(),
        )
        .unwrap();
        assert_eq!(
            signed.query,
            "filter=t&messageTypes=NORMAL%2CFIFO&pageNumber=1&pageSize=10"
        );
        assert!(signed.header("authorization").unwrap().ends_with(
            "Signature=1c0303a708d898562494a40c9d1ef571441824fac3e3e1970a87eb1b1111592e"
        ));
    }

    #[test]
    fn a_wrong_secret_or_changed_request_does_not_verify() {
        let query = pairs(&[("UserName", "alice")]);
        let unsigned = Unsigned {
            method: "POST",
            host: "127.0.0.1:8080",
            path: "/",
            query: &query,
            action: "GetUser",
            version: "2015-05-01",
            body: b"",
            content_type: None,
            date: &now_date(),
            nonce: &new_nonce(),
            user_agent: "petrel-client",
        };
        let signed = sign(&unsigned, &Credentials::new(AK, "another-secret")).unwrap();
        let view: Vec<(&str, &str)> = signed
            .headers
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        let req = HttpRequest {
            method: "POST",
            path: "/",
            query: &signed.query,
            headers: &view,
            body: b"",
        };
        assert!(Acs3Signature::parse(&req).unwrap().verify(SECRET).is_err());
        let good = sign(&unsigned, &creds()).unwrap();
        let view: Vec<(&str, &str)> = good.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let changed = HttpRequest {
            method: "POST",
            path: "/",
            query: "UserName=bob",
            headers: &view,
            body: b"",
        };
        assert!(
            Acs3Signature::parse(&changed)
                .unwrap()
                .verify(SECRET)
                .is_err()
        );
    }

    #[test]
    fn nonce_and_date_have_the_sdk_shapes() {
        let nonce = new_nonce();
        assert_eq!(nonce.len(), 32);
        assert!(nonce.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(nonce, new_nonce());
        let date = now_date();
        assert_eq!(date.len(), 20);
        assert!(date.ends_with('Z') && date.as_bytes()[10] == b'T', "{date}");
    }

    #[test]
    fn control_characters_in_a_header_value_are_refused() {
        let e = sign(
            &Unsigned {
                method: "POST",
                host: "h",
                path: "/",
                query: &[],
                action: "Get\nUser",
                version: "2015-05-01",
                body: b"",
                content_type: None,
                date: "2026-11-29T01:43:23Z",
                nonce: "n",
                user_agent: "ua",
            },
            &creds(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("x-acs-action"), "{e}");
    }
}
