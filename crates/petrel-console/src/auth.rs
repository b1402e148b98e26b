//! Signing in and out, and activating the messaging service.
//!
//! Sign-in goes through the service's login (argon2, run off the async threads); repeated
//! failures for one login name are slowed by the [`crate::Throttle`].

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use petrel_meta::AuditSource;
use petrel_service::RequestContext;

use crate::App;
use crate::ctx::Ctx;
use crate::error::ConsoleError;
use crate::form::Fields;
use crate::session::{clear_cookie, set_cookie};
use crate::view::{Chrome, page};

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", axum::routing::post(logout))
        .route("/activate", get(activate_form).post(activate))
}

/// Runs blocking service work (catalogue transactions, argon2) off the async threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ConsoleError> + Send + 'static,
) -> Result<T, ConsoleError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ConsoleError::Task(e.to_string()))?
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    login_name: &'a str,
    error: &'a str,
}

async fn login_form() -> Result<Response, ConsoleError> {
    page(&LoginPage {
        login_name: "",
        error: "",
    })
}

async fn login(State(app): State<Arc<App>>, body: Bytes) -> Result<Response, ConsoleError> {
    let fields = Fields::from_bytes(&body);
    let login_name = fields.get("login_name").to_owned();
    let password = fields.raw("password").to_owned();
    let refuse = |status: StatusCode, error: &str| -> Result<Response, ConsoleError> {
        let html = LoginPage {
            login_name: &login_name,
            error,
        }
        .render()?;
        Ok((status, Html(html)).into_response())
    };
    if login_name.is_empty() || password.is_empty() {
        return refuse(
            StatusCode::BAD_REQUEST,
            "enter a login name (such as root@petrel or alice@petrel) and a password",
        );
    }
    if let Some(wait) = app.throttle.wait(&login_name) {
        return refuse(
            StatusCode::TOO_MANY_REQUESTS,
            &format!(
                "too many failed sign-ins for `{login_name}`: wait {} s and try again",
                wait.as_secs().max(1)
            ),
        );
    }
    let result = {
        let (app, login_name) = (app.clone(), login_name.clone());
        blocking(move || {
            Ok(app.service.login(
                "",
                &login_name,
                &password,
                RequestContext::new(AuditSource::Console),
            ))
        })
        .await?
    };
    match result {
        Ok(caller) => {
            app.throttle.succeed(&login_name);
            let token = app
                .sessions
                .open(caller.account_id, caller.identity, login_name);
            Ok((
                [(header::SET_COOKIE, set_cookie(&token))],
                Redirect::to("/console/"),
            )
                .into_response())
        }
        Err(e) => {
            app.throttle.fail(&login_name);
            refuse(StatusCode::UNAUTHORIZED, &format!("{} ({})", e, e.code()))
        }
    }
}

async fn logout(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    ctx.check_csrf(&Fields::from_bytes(&body))?;
    app.sessions.revoke(&ctx.token);
    Ok((
        [(header::SET_COOKIE, clear_cookie())],
        Redirect::to("/console/login"),
    )
        .into_response())
}

/// The landing page: MQ instances once activated, the activation dialog before.
pub async fn home(State(app): State<Arc<App>>, ctx: Ctx) -> Result<Response, ConsoleError> {
    let caller = ctx.caller();
    let activated = blocking(move || Ok(app.service.is_activated(&caller)?)).await?;
    Ok(if activated {
        Redirect::to("/console/instances").into_response()
    } else {
        Redirect::to("/console/activate").into_response()
    })
}

#[derive(Template)]
#[template(path = "activate.html")]
struct ActivatePage {
    chrome: Chrome,
}

async fn activate_form(State(app): State<Arc<App>>, ctx: Ctx) -> Result<Response, ConsoleError> {
    let chrome = ctx.chrome(&app, "instances");
    if chrome.activated {
        return Ok(Redirect::to("/console/instances").into_response());
    }
    page(&ActivatePage { chrome })
}

async fn activate(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let fields = Fields::from_bytes(&body);
    ctx.check_csrf(&fields)?;
    if !fields.checked("terms") {
        return Err(ConsoleError::BadInput {
            field: "terms",
            reason: "accept the terms of service to activate".to_owned(),
        });
    }
    let caller = ctx.caller();
    blocking(move || Ok(app.service.activate(&caller)?)).await?;
    Ok(Redirect::to("/console/instances").into_response())
}
