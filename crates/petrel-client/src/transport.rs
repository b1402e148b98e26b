//! The HTTP side of a call: where to (the endpoint), as whom (the credentials), sending one
//! signed RPC or ROA request and reading its envelope — RPC answers are a PascalCase object
//! beside `RequestId`; ROA answers wrap their `data` in `{requestId, success, code, message, …}`.
//! Any status of 400 or more, or a ROA body with `success: false`, is a refusal.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;
use zeroize::Zeroizing;

use crate::error::{ClientError, api_error};
use crate::sign::{self, Unsigned};

/// The `user-agent` this client sends.
pub const USER_AGENT: &str = concat!("petrel-client/", env!("CARGO_PKG_VERSION"));

/// How long to wait for a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one call may take in all.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// A management endpoint: plain HTTP to `host[:port]`, as the SDKs' `endpoint` + `protocol=http`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    host: String,
}

impl Endpoint {
    /// Reads `http://host:port`, `host:port` or `host` (port 80). `https` is refused: Petrel
    /// serves the API over plain HTTP and this client has no TLS.
    pub fn parse(text: &str) -> Result<Endpoint, ClientError> {
        let bad = |reason: &str| ClientError::InvalidEndpoint {
            endpoint: text.chars().take(200).collect(),
            reason: reason.to_owned(),
        };
        let trimmed = text.trim();
        let rest = match trimmed.split_once("://") {
            None => trimmed,
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some((scheme, _)) if scheme.eq_ignore_ascii_case("https") => {
                return Err(bad(
                    "https is not supported: petrel serves the management api over plain http (use http://host:port)",
                ));
            }
            Some((scheme, _)) => {
                return Err(bad(&format!(
                    "scheme `{scheme}` is not supported; use http://host:port"
                )));
            }
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.is_empty() {
            return Err(bad("it names no host"));
        }
        if rest.contains(['/', '?', '#', '@']) || rest.chars().any(char::is_whitespace) {
            return Err(bad(
                "it must be `[http://]host[:port]`, without a path, query or user",
            ));
        }
        let url = reqwest::Url::parse(&format!("http://{rest}/"))
            .map_err(|e| bad(&format!("not a host and port: {e}")))?;
        let host = url.host_str().ok_or_else(|| bad("it names no host"))?;
        let host = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        Ok(Endpoint { host })
    }

    /// `host[:port]`, as the `host` header carries it (and the signature covers it).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// `http://host[:port]`.
    pub fn url(&self) -> String {
        format!("http://{}", self.host)
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "http://{}", self.host)
    }
}

/// An AccessKey pair. The secret is wiped from memory on drop and never printed.
#[derive(Clone)]
pub struct Credentials {
    access_key_id: String,
    secret: Zeroizing<String>,
}

impl Credentials {
    /// An AccessKey id and its secret.
    pub fn new(access_key_id: impl Into<String>, secret: impl Into<String>) -> Credentials {
        Credentials {
            access_key_id: access_key_id.into(),
            secret: Zeroizing::new(secret.into()),
        }
    }

    /// The AccessKey id.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    pub(crate) fn secret(&self) -> &str {
        &self.secret
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// Which envelope an API version answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Rpc,
    Roa,
}

/// One call, before signing.
#[derive(Debug)]
pub(crate) struct Call<'a> {
    pub version: &'a str,
    pub action: &'a str,
    pub method: &'a str,
    /// Encoded path.
    pub path: String,
    pub query: Vec<(String, String)>,
    /// A JSON body (ROA).
    pub body: Option<Value>,
}

/// A client of one endpoint with one AccessKey. Calls are async (reqwest on tokio).
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    endpoint: Endpoint,
    credentials: Credentials,
    user_agent: String,
}

impl Client {
    /// A client for `endpoint` signing with `credentials`. System proxies are not used: the
    /// management endpoint is the operator's own server.
    pub fn new(endpoint: Endpoint, credentials: Credentials) -> Result<Client, ClientError> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(CALL_TIMEOUT)
            .build()
            .map_err(|source| ClientError::Transport {
                endpoint: endpoint.to_string(),
                source,
            })?;
        Ok(Client {
            http,
            endpoint,
            credentials,
            user_agent: USER_AGENT.to_owned(),
        })
    }

    /// The same client with another `user-agent`.
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Client {
        self.user_agent = user_agent.into();
        self
    }

    /// Where calls go.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The AccessKey id that signs.
    pub fn access_key_id(&self) -> &str {
        self.credentials.access_key_id()
    }

    /// An RPC call (`POST /`, parameters in the query); the answer object, `RequestId`
    /// included.
    pub async fn rpc(
        &self,
        version: &str,
        action: &str,
        params: Vec<(String, String)>,
    ) -> Result<Value, ClientError> {
        self.call(
            Call {
                version,
                action,
                method: "POST",
                path: "/".to_owned(),
                query: params,
                body: None,
            },
            Style::Rpc,
        )
        .await
    }

    /// A ROA call: `method` on the encoded `path` with query parameters and an optional JSON
    /// body; the answer's `data`.
    pub async fn roa(
        &self,
        version: &str,
        action: &str,
        method: &str,
        path: String,
        query: Vec<(String, String)>,
        body: Option<Value>,
    ) -> Result<Value, ClientError> {
        self.call(
            Call {
                version,
                action,
                method,
                path,
                query,
                body,
            },
            Style::Roa,
        )
        .await
    }

    pub(crate) async fn call(&self, call: Call<'_>, style: Style) -> Result<Value, ClientError> {
        let body = match &call.body {
            Some(v) => serde_json::to_vec(v).map_err(|e| ClientError::InvalidInput {
                what: "request body",
                reason: e.to_string(),
            })?,
            None => Vec::new(),
        };
        let date = sign::now_date();
        let nonce = sign::new_nonce();
        let signed = sign::sign(
            &Unsigned {
                method: call.method,
                host: self.endpoint.host(),
                path: &call.path,
                query: &call.query,
                action: call.action,
                version: call.version,
                body: &body,
                content_type: call
                    .body
                    .as_ref()
                    .map(|_| "application/json; charset=utf-8"),
                date: &date,
                nonce: &nonce,
                user_agent: &self.user_agent,
            },
            &self.credentials,
        )?;
        let mut url = format!("{}{}", self.endpoint, call.path);
        if !signed.query.is_empty() {
            url.push('?');
            url.push_str(&signed.query);
        }
        let method = reqwest::Method::from_bytes(call.method.as_bytes()).map_err(|_| {
            ClientError::InvalidInput {
                what: "method",
                reason: format!("`{}` is not an http method", call.method),
            }
        })?;
        let mut request = self.http.request(method, url);
        for (name, value) in &signed.headers {
            request = request.header(*name, value);
        }
        let transport = |source| ClientError::Transport {
            endpoint: self.endpoint.to_string(),
            source,
        };
        let response = request.body(body).send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let request_id = header("x-acs-request-id");
        let retry_after = header("x-acs-retry-after").and_then(|v| v.trim().parse::<u64>().ok());
        let bytes = response.bytes().await.map_err(transport)?;
        read_answer(call.action, style, status, &bytes, request_id, retry_after)
    }
}

/// Reads an answer: the object (RPC) or `data` (ROA) of a success, the refusal otherwise.
pub(crate) fn read_answer(
    action: &str,
    style: Style,
    status: u16,
    bytes: &[u8],
    header_request_id: Option<String>,
    retry_after_ms: Option<u64>,
) -> Result<Value, ClientError> {
    let parsed = serde_json::from_slice::<Value>(bytes);
    if status >= 400 {
        let api = parsed.as_ref().ok().and_then(|body| {
            api_error(
                action,
                status,
                body,
                header_request_id.clone(),
                retry_after_ms,
            )
        });
        return Err(match api {
            Some(e) => ClientError::Api(Box::new(e)),
            None => ClientError::UnexpectedStatus {
                action: action.to_owned(),
                status,
                body: String::from_utf8_lossy(bytes).chars().take(300).collect(),
            },
        });
    }
    let invalid = |reason: String| ClientError::InvalidResponse {
        action: action.to_owned(),
        reason,
    };
    let body = parsed.map_err(|e| invalid(format!("the body is not json ({e})")))?;
    if !body.is_object() {
        return Err(invalid("the body is not a json object".to_owned()));
    }
    match style {
        Style::Rpc => Ok(body),
        Style::Roa => {
            if body.get("success") == Some(&Value::Bool(false)) {
                return Err(
                    match api_error(action, status, &body, header_request_id, retry_after_ms) {
                        Some(e) => ClientError::Api(Box::new(e)),
                        None => invalid("`success` is false but no `code` says why".to_owned()),
                    },
                );
            }
            Ok(body.get("data").cloned().unwrap_or(Value::Null))
        }
    }
}

/// The value at `pointer` (`/Users/User`) of an answer, as `T`.
pub(crate) fn decode<T: DeserializeOwned>(
    action: &str,
    answer: &Value,
    pointer: &str,
) -> Result<T, ClientError> {
    let value = if pointer.is_empty() {
        answer
    } else {
        answer
            .pointer(pointer)
            .ok_or_else(|| ClientError::InvalidResponse {
                action: action.to_owned(),
                reason: format!("the answer has no `{pointer}`"),
            })?
    };
    serde_json::from_value(value.clone()).map_err(|e| ClientError::InvalidResponse {
        action: action.to_owned(),
        reason: format!("`{pointer}` does not read: {e}"),
    })
}

/// Query parameters, built fluently.
#[derive(Debug, Default, Clone)]
pub(crate) struct Query(pub Vec<(String, String)>);

impl Query {
    pub fn new() -> Query {
        Query::default()
    }

    /// Adds `key=value`.
    pub fn set(mut self, key: &str, value: impl ToString) -> Query {
        self.0.push((key.to_owned(), value.to_string()));
        self
    }

    /// Adds `key=value` when there is a value.
    pub fn opt<V: ToString>(self, key: &str, value: Option<V>) -> Query {
        match value {
            Some(v) => self.set(key, v),
            None => self,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn endpoints_accept_host_port_with_or_without_http_and_refuse_the_rest() {
        let e = Endpoint::parse("http://127.0.0.1:8080/").unwrap();
        assert_eq!(
            (e.host(), e.url().as_str()),
            ("127.0.0.1:8080", "http://127.0.0.1:8080")
        );
        assert_eq!(
            Endpoint::parse("localhost:9").unwrap().host(),
            "localhost:9"
        );
        // The default port is not spelled, as reqwest does not send it in `host` either.
        assert_eq!(
            Endpoint::parse("http://mq.example:80").unwrap().host(),
            "mq.example"
        );
        assert_eq!(Endpoint::parse("[::1]:8080").unwrap().host(), "[::1]:8080");
        for bad in [
            "https://h:1",
            "ftp://h",
            "",
            "http://",
            "h:1/api",
            "u@h:1",
            "h:99999",
        ] {
            let e = Endpoint::parse(bad).unwrap_err();
            assert!(
                matches!(e, ClientError::InvalidEndpoint { .. }),
                "{bad}: {e}"
            );
        }
        assert!(
            Endpoint::parse("https://h")
                .unwrap_err()
                .to_string()
                .contains("https is not supported")
        );
    }

    #[test]
    fn credentials_never_print_the_secret() {
        let c = Credentials::new("LTAI1", "very-secret");
        assert!(!format!("{c:?}").contains("very-secret"));
    }

    #[test]
    fn rpc_success_is_the_whole_object_and_roa_success_its_data() {
        let rpc = read_answer(
            "GetUser",
            Style::Rpc,
            200,
            br#"{"RequestId":"r","User":{"UserName":"a"}}"#,
            None,
            None,
        )
        .unwrap();
        assert_eq!(rpc["User"]["UserName"], "a");
        let roa = read_answer(
            "CreateInstance",
            Style::Roa,
            200,
            br#"{"requestId":"r","success":true,"code":"Success","data":"rmq-1"}"#,
            None,
            None,
        )
        .unwrap();
        assert_eq!(roa, json!("rmq-1"));
    }

    #[test]
    fn refusals_become_api_errors_and_bodies_without_a_code_unexpected_statuses() {
        let e = read_answer(
            "CreateTopic",
            Style::Roa,
            403,
            br#"{"requestId":"r","success":false,"code":"NoPermission","message":"no","httpStatusCode":403}"#,
            None,
            None,
        )
        .unwrap_err();
        assert_eq!(
            (e.http_status(), e.code()),
            (Some(403), Some("NoPermission"))
        );
        let e = read_answer(
            "GetUser",
            Style::Rpc,
            502,
            b"<html>bad gateway</html>",
            None,
            None,
        )
        .unwrap_err();
        assert!(
            matches!(e, ClientError::UnexpectedStatus { status: 502, .. }),
            "{e}"
        );
        let e = read_answer("GetUser", Style::Rpc, 200, b"", None, None).unwrap_err();
        assert!(matches!(e, ClientError::InvalidResponse { .. }), "{e}");
    }

    #[test]
    fn decode_names_the_missing_field() {
        let e =
            decode::<String>("GetUser", &json!({"RequestId": "r"}), "/User/UserName").unwrap_err();
        assert!(e.to_string().contains("/User/UserName"), "{e}");
    }
}
