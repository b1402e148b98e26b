//! Self-service sign-up: `/console/signup` creates a new account (tenant) with the alias and
//! root password the visitor chooses, then shows its root login and first AccessKey once.
//!
//! Off by default: `petrel serve` mounts these routes only when the configuration enables
//! sign-up. The form carries a token that must match a cookie set with it (a cross-site page
//! cannot read the cookie, so it cannot post the form), and sign-ups are limited per hour so
//! that an open sign-up page cannot be used to fill the catalogue. The password is checked
//! against the password policy, stored as an argon2 hash by the service, and never shown.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use petrel_meta::AuditSource;
use petrel_service::{InitialCredentials, Service, ServiceError};
use subtle::ConstantTimeEq;

use crate::form::Fields;

/// Name of the cookie holding the form token.
const TOKEN_COOKIE: &str = "petrel_signup";

/// Most accounts the sign-up page creates in one [`WINDOW`].
pub const MAX_SIGNUPS_PER_WINDOW: usize = 20;
/// The window of [`MAX_SIGNUPS_PER_WINDOW`].
const WINDOW: Duration = Duration::from_secs(3600);

struct Signup {
    service: Arc<Service>,
    recent: Mutex<VecDeque<Instant>>,
}

impl Signup {
    /// Takes one sign-up slot, or says how long until one frees up.
    fn take_slot(&self) -> Result<(), Duration> {
        // A poisoned queue holds only instants, which stay valid.
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        while recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            recent.pop_front();
        }
        if recent.len() >= MAX_SIGNUPS_PER_WINDOW {
            let oldest = recent.front().copied().unwrap_or(now);
            return Err(WINDOW.saturating_sub(now.duration_since(oldest)));
        }
        recent.push_back(now);
        Ok(())
    }

    fn give_back_slot(&self) {
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        recent.pop_back();
    }
}

/// The sign-up routes (`/console/signup`), to merge into the HTTP app when sign-up is enabled.
pub fn router(service: Arc<Service>) -> Router {
    let state = Arc::new(Signup {
        service,
        recent: Mutex::new(VecDeque::new()),
    });
    Router::new()
        .route("/console/signup", get(form).post(submit))
        .with_state(state)
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage<'a> {
    alias: &'a str,
    token: &'a str,
    error: &'a str,
}

#[derive(Template)]
#[template(path = "signup_done.html")]
struct DonePage<'a> {
    creds: &'a InitialCredentials,
}

fn new_token() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

fn token_cookie(token: &str) -> String {
    format!("{TOKEN_COOKIE}={token}; Path=/console/signup; HttpOnly; SameSite=Strict")
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == TOKEN_COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// The form with a fresh token (and its cookie), with `error` shown when not empty.
fn render_form(status: StatusCode, alias: &str, error: &str) -> Response {
    let token = new_token();
    let page = SignupPage {
        alias,
        token: &token,
        error,
    };
    match page.render() {
        Ok(html) => (
            status,
            [
                (header::SET_COOKIE, token_cookie(&token)),
                (header::CACHE_CONTROL, "no-store".to_owned()),
            ],
            Html(html),
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn form() -> Response {
    render_form(StatusCode::OK, "", "")
}

async fn submit(State(state): State<Arc<Signup>>, headers: HeaderMap, body: Bytes) -> Response {
    let fields = Fields::from_bytes(&body);
    let alias = fields.get("alias").to_owned();
    let password = fields.raw("password").to_owned();
    let confirm = fields.raw("password_confirm").to_owned();
    let presented = fields.raw("token").to_owned();
    let token_ok = cookie_token(&headers).is_some_and(|cookie| {
        !presented.is_empty() && bool::from(cookie.as_bytes().ct_eq(presented.as_bytes()))
    });
    if !token_ok {
        return render_form(
            StatusCode::FORBIDDEN,
            &alias,
            "the form expired or was not sent from this page (InvalidCsrfToken): please try again",
        );
    }
    if alias.is_empty() || password.is_empty() {
        return render_form(
            StatusCode::BAD_REQUEST,
            &alias,
            "enter an account alias and a password",
        );
    }
    if password != confirm {
        return render_form(
            StatusCode::BAD_REQUEST,
            &alias,
            "the two passwords differ (InvalidParameter.PasswordConfirm)",
        );
    }
    if let Err(wait) = state.take_slot() {
        return render_form(
            StatusCode::TOO_MANY_REQUESTS,
            &alias,
            &format!(
                "too many sign-ups on this server just now: try again in {} minutes",
                wait.as_secs().div_ceil(60).max(1)
            ),
        );
    }
    let created = {
        let (service, alias) = (state.service.clone(), alias.clone());
        tokio::task::spawn_blocking(move || {
            service.create_account(
                &alias,
                Some(&password),
                AuditSource::Console,
                "console sign-up",
            )
        })
        .await
    };
    match created {
        Ok(Ok(creds)) => match (DonePage { creds: &creds }).render() {
            Ok(html) => (
                StatusCode::OK,
                [(header::CACHE_CONTROL, "no-store")],
                Html(html),
            )
                .into_response(),
            Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
        },
        Ok(Err(e)) => {
            state.give_back_slot();
            let status = refusal_status(&e);
            render_form(status, &alias, &format!("{e} ({})", e.code()))
        }
        Err(e) => {
            state.give_back_slot();
            (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()
        }
    }
}

fn refusal_status(e: &ServiceError) -> StatusCode {
    match e.code().http_status() {
        409 => StatusCode::CONFLICT,
        s if s >= 500 => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}
