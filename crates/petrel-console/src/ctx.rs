//! The signed-in caller of a request: the session from the cookie, turned into the service's
//! [`Caller`] for each operation, and the CSRF check every change must pass.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use petrel_meta::AuditSource;
use petrel_service::{Caller, RequestContext};

use crate::App;
use crate::error::ConsoleError;
use crate::form::Fields;
use crate::session::{Session, token_from_cookie_header};
use crate::view::Chrome;

/// A request from a signed-in browser.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The session record.
    pub session: Session,
    /// The cookie token (to revoke on sign-out).
    pub token: String,
    /// The `Accept-Language` preference (`zh` or `en`).
    pub lang: &'static str,
    /// The host name the browser reached the console by (`Host`, without its port).
    pub host: Option<String>,
}

impl Ctx {
    /// The service caller for one operation, with a fresh request id.
    pub fn caller(&self) -> Caller {
        Caller {
            account_id: self.session.account_id.clone(),
            identity: self.session.identity.clone(),
            context: RequestContext::new(AuditSource::Console),
        }
    }

    /// Refuses a change whose form does not carry this session's CSRF token.
    pub fn check_csrf(&self, fields: &Fields) -> Result<(), ConsoleError> {
        if self.session.csrf_matches(fields.raw("csrf")) {
            Ok(())
        } else {
            Err(ConsoleError::Csrf)
        }
    }

    /// The page frame for this session.
    pub fn chrome(&self, app: &App, section: &'static str) -> Chrome {
        let activated = app.service.is_activated(&self.caller()).unwrap_or(false);
        Chrome {
            who: self.session.login_name.clone(),
            csrf: self.session.csrf.clone(),
            section,
            activated,
            lang: self.lang,
        }
    }
}

/// The host part of a `Host` header value (`[::1]:8080` → `[::1]`, `a.example:80` → `a.example`).
fn host_name(value: &str) -> String {
    let value = value.trim();
    if value.starts_with('[') {
        return value
            .split_inclusive(']')
            .next()
            .unwrap_or(value)
            .to_owned();
    }
    value.split(':').next().unwrap_or(value).to_owned()
}

/// The gRPC endpoint clients should use: the listener's address, or, when it listens on every
/// interface, the host the browser used with the listener's port.
pub fn grpc_endpoint(listener: Option<std::net::SocketAddr>, host: Option<&str>) -> Option<String> {
    let addr = listener?;
    if addr.ip().is_unspecified() {
        let host = host.unwrap_or("localhost");
        Some(format!("{host}:{}", addr.port()))
    } else {
        Some(addr.to_string())
    }
}

/// The language a request prefers: a `lang` cookie wins, then `Accept-Language`.
pub fn language(headers: &axum::http::HeaderMap) -> &'static str {
    let cookie = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    for part in cookie.split(';') {
        match part.trim() {
            "petrel_lang=zh" => return "zh",
            "petrel_lang=en" => return "en",
            _ => {}
        }
    }
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if accept.trim_start().to_ascii_lowercase().starts_with("zh") {
        "zh"
    } else {
        "en"
    }
}

impl FromRequestParts<Arc<App>> for Ctx {
    type Rejection = ConsoleError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(token_from_cookie_header)
            .map(str::to_owned)
            .ok_or(ConsoleError::SignedOut)?;
        let session = app.sessions.get(&token).ok_or(ConsoleError::SignedOut)?;
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .map(host_name)
            .filter(|h| !h.is_empty());
        Ok(Ctx {
            session,
            token,
            lang: language(&parts.headers),
            host,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_is_the_listener_or_the_browsers_host_with_its_port() {
        let any: std::net::SocketAddr = "0.0.0.0:8081".parse().unwrap();
        let local: std::net::SocketAddr = "127.0.0.1:9000".parse().unwrap();
        assert_eq!(
            grpc_endpoint(Some(local), Some("mq.example")).unwrap(),
            "127.0.0.1:9000"
        );
        assert_eq!(
            grpc_endpoint(Some(any), Some("mq.example")).unwrap(),
            "mq.example:8081"
        );
        assert_eq!(grpc_endpoint(Some(any), None).unwrap(), "localhost:8081");
        assert_eq!(grpc_endpoint(None, Some("x")), None);
        assert_eq!(host_name("mq.example:8080"), "mq.example");
        assert_eq!(host_name("[::1]:8080"), "[::1]");
        assert_eq!(host_name("plain"), "plain");
    }
}
