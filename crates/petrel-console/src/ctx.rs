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
        Ok(Ctx {
            session,
            token,
            lang: language(&parts.headers),
        })
    }
}
