//! Why a console request failed, and how each failure is shown: a signed-out browser goes to the
//! sign-in page; everything else is a page with the stable code and the readable reason.

use askama::Template;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use petrel_service::ServiceError;

use crate::ctx::language;
use crate::i18n::translate;

/// A failed console request.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// No live session: sign in first.
    #[error("sign in first")]
    SignedOut,
    /// A change without this session's CSRF token.
    #[error(
        "the form is stale or was not sent by this console (missing or wrong csrf token): reload the page and try again"
    )]
    Csrf,
    /// The service refused or failed.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// Input the console itself cannot use (a malformed field).
    #[error("invalid `{field}`: {reason}")]
    BadInput {
        /// The form field.
        field: &'static str,
        /// What is wrong, naming the value.
        reason: String,
    },
    /// Something the request names does not exist (outside the catalogue: a message, a dead
    /// letter).
    #[error("{what}")]
    NotFound {
        /// What is missing, naming it.
        what: String,
    },
    /// The broker refused or is not running.
    #[error("{0}")]
    Broker(String),
    /// A page could not be rendered.
    #[error("cannot render the page: {0}")]
    Render(#[from] askama::Error),
    /// A blocking task died.
    #[error("an internal task failed: {0}")]
    Task(String),
}

impl ConsoleError {
    /// The stable code shown with the message.
    pub fn code(&self) -> String {
        match self {
            ConsoleError::SignedOut => "InvalidSession".to_owned(),
            ConsoleError::Csrf => "InvalidCsrfToken".to_owned(),
            ConsoleError::Service(e) => e.code().to_string(),
            ConsoleError::BadInput { field, .. } => format!("InvalidParameter.{field}"),
            ConsoleError::NotFound { .. } => "ResourceNotFound".to_owned(),
            ConsoleError::Broker(_) => "BrokerError".to_owned(),
            ConsoleError::Render(_) | ConsoleError::Task(_) => "InternalError".to_owned(),
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            ConsoleError::SignedOut => StatusCode::UNAUTHORIZED,
            ConsoleError::Csrf => StatusCode::FORBIDDEN,
            ConsoleError::Service(e) => match e {
                ServiceError::Denied(_)
                | ServiceError::NotActivated { .. }
                | ServiceError::AccountDisabled { .. } => StatusCode::FORBIDDEN,
                ServiceError::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
                ServiceError::Meta(m) if m.code().to_string().starts_with("EntityNotExist") => {
                    StatusCode::NOT_FOUND
                }
                ServiceError::Meta(_) | ServiceError::Io { .. } => {
                    let code = e.code().to_string();
                    if code.starts_with("InternalError") {
                        StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        StatusCode::BAD_REQUEST
                    }
                }
                _ => StatusCode::BAD_REQUEST,
            },
            ConsoleError::BadInput { .. } => StatusCode::BAD_REQUEST,
            ConsoleError::NotFound { .. } => StatusCode::NOT_FOUND,
            ConsoleError::Broker(_) => StatusCode::SERVICE_UNAVAILABLE,
            ConsoleError::Render(_) | ConsoleError::Task(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Whether this is the policy engine's refusal.
    pub fn is_denial(&self) -> bool {
        matches!(self, ConsoleError::Service(ServiceError::Denied(_)))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    lang: &'a str,
    code: &'a str,
    message: &'a str,
    denied: bool,
}

impl ErrorPage<'_> {
    fn t<'k>(&self, key: &'k str) -> &'k str {
        translate(self.lang, key)
    }
}

/// What an error page showed, kept on the response so [`localize`] can show it again in the
/// caller's language (the error itself does not know the request).
#[derive(Debug, Clone)]
struct Shown {
    status: StatusCode,
    code: String,
    message: String,
    denied: bool,
}

fn render(lang: &str, shown: &Shown) -> Response {
    let page = ErrorPage {
        lang,
        code: &shown.code,
        message: &shown.message,
        denied: shown.denied,
    };
    let mut response = match page.render() {
        Ok(html) => (shown.status, Html(html)).into_response(),
        Err(e) => (
            shown.status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!(
                "{}: {} (and the error page failed: {e})",
                shown.code, shown.message
            ),
        )
            .into_response(),
    };
    response.extensions_mut().insert(shown.clone());
    response
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        if matches!(self, ConsoleError::SignedOut) {
            return Redirect::to("/console/login").into_response();
        }
        let status = self.status();
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!("console: {self}");
        }
        let shown = Shown {
            status,
            code: self.code(),
            message: self.to_string(),
            denied: self.is_denial(),
        };
        render("en", &shown)
    }
}

/// Middleware: shows an error page in the language the request prefers. The code and the
/// service's reason stay as they are (they are what support and logs search for).
pub async fn localize(request: Request, next: Next) -> Response {
    let lang = language(request.headers());
    let response = next.run(request).await;
    match response.extensions().get::<Shown>() {
        Some(shown) if lang != "en" => render(lang, &shown.clone()),
        _ => response,
    }
}
