//! Identities > Users: the server-side searched list, creating a user (with a console password
//! and an AccessKey whose secret is shown exactly once), and a user's page.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use petrel_meta::{AttachmentFilter, NewUser, Principal, User};
use petrel_service::{Grant, LoginProfileChange};

use crate::App;
use crate::auth::blocking;
use crate::ctx::Ctx;
use crate::error::ConsoleError;
use crate::form::Fields;
use crate::grants::{GrantRow, grant_rows};
use crate::view::{Chrome, page};

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/users", get(list).post(create))
        .route("/users/new", get(new_form))
        .route("/users/{name}", get(detail))
        .route("/users/{name}/password", post(set_password))
        .route("/users/{name}/accesskeys", post(create_key))
        .merge(crate::grants::routes())
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    chrome: Chrome,
    q: String,
    users: Vec<User>,
    total: usize,
}

async fn list(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    let q = Fields::parse(raw.unwrap_or_default().as_bytes())
        .get("q")
        .to_owned();
    let caller = ctx.caller();
    let all = {
        let app = app.clone();
        blocking(move || Ok(app.service.list_users(&caller)?)).await?
    };
    let total = all.len();
    let needle = q.to_lowercase();
    let users = all
        .into_iter()
        .filter(|u| {
            needle.is_empty()
                || u.name.to_lowercase().contains(&needle)
                || u.display_name.to_lowercase().contains(&needle)
        })
        .collect();
    page(&UsersPage {
        chrome: ctx.chrome(&app, "users"),
        q,
        users,
        total,
    })
}

#[derive(Template)]
#[template(path = "user_new.html")]
struct NewUserPage {
    chrome: Chrome,
}

async fn new_form(State(app): State<Arc<App>>, ctx: Ctx) -> Result<Response, ConsoleError> {
    page(&NewUserPage {
        chrome: ctx.chrome(&app, "users"),
    })
}

#[derive(Template)]
#[template(path = "user_created.html")]
struct CreatedPage {
    chrome: Chrome,
    user: User,
    password_set: bool,
    access_key_id: String,
    access_key_secret: String,
}

async fn create(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let fields = Fields::from_bytes(&body);
    ctx.check_csrf(&fields)?;
    let optional = |name: &str| {
        let v = fields.get(name);
        (!v.is_empty()).then(|| v.to_owned())
    };
    let new = NewUser {
        name: fields.get("name").to_owned(),
        display_name: optional("display_name"),
        email: optional("email"),
        mobile_phone: None,
        comments: optional("comments"),
    };
    let password = fields.raw("password").to_owned();
    let want_key = fields.checked("access_key");
    let caller = ctx.caller();
    let svc = app.clone();
    let (user, key) = blocking(move || {
        // Each step is its own audited operation, as in the product: a refusal of a later step
        // leaves the user created, and the page says which step failed.
        let user = svc.service.create_user(&caller, new)?;
        if !password.is_empty() {
            svc.service
                .create_login_profile(&caller, &user.name, &password, false)?;
        }
        let key = if want_key {
            Some(svc.service.create_access_key(&caller, Some(&user.name))?)
        } else {
            None
        };
        Ok((user, key))
    })
    .await?;
    let (access_key_id, access_key_secret) = match key {
        Some(k) => (k.id, k.secret.expose().to_owned()),
        None => (String::new(), String::new()),
    };
    let mut response = page(&CreatedPage {
        chrome: ctx.chrome(&app, "users"),
        password_set: !fields.raw("password").is_empty(),
        user,
        access_key_id,
        access_key_secret,
    })?;
    no_store(&mut response);
    Ok(response)
}

/// A page that shows a secret must not be kept by the browser or a proxy.
fn no_store(response: &mut Response) {
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserPage {
    chrome: Chrome,
    user: User,
    has_password: bool,
    keys: Vec<(String, String)>,
    grants: Vec<GrantRow>,
    new_key: Option<(String, String)>,
    notice: String,
}

async fn user_page(
    app: &Arc<App>,
    ctx: &Ctx,
    name: String,
    new_key: Option<(String, String)>,
    notice: String,
) -> Result<Response, ConsoleError> {
    let caller = ctx.caller();
    let svc = app.clone();
    let (user, has_password, keys, grants) = blocking(move || {
        let user = svc.service.get_user(&caller, &name)?;
        let has_password = svc.service.get_login_profile(&caller, &name).is_ok();
        let keys = svc
            .service
            .list_access_keys(&caller, Some(&name))?
            .into_iter()
            .map(|k| (k.id, format!("{:?}", k.status)))
            .collect::<Vec<_>>();
        let grants: Vec<Grant> = svc.service.list_grants(
            &caller,
            &AttachmentFilter {
                principal: Some(Principal::User(name.clone())),
                ..AttachmentFilter::default()
            },
        )?;
        Ok((user, has_password, keys, grants))
    })
    .await?;
    let mut response = page(&UserPage {
        chrome: ctx.chrome(app, "users"),
        user,
        has_password,
        keys,
        grants: grant_rows(grants),
        new_key,
        notice,
    })?;
    no_store(&mut response);
    Ok(response)
}

async fn detail(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(name): Path<String>,
) -> Result<Response, ConsoleError> {
    user_page(&app, &ctx, name, None, String::new()).await
}

async fn set_password(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let fields = Fields::from_bytes(&body);
    ctx.check_csrf(&fields)?;
    let password = fields.raw("password").to_owned();
    let reset = fields.checked("reset_required");
    let caller = ctx.caller();
    let svc = app.clone();
    let user = name.clone();
    blocking(move || {
        if svc.service.get_login_profile(&caller, &user).is_ok() {
            svc.service.update_login_profile(
                &caller,
                &user,
                LoginProfileChange {
                    password: Some(password),
                    password_reset_required: Some(reset),
                    mfa_bind_required: None,
                },
            )?;
        } else {
            svc.service
                .create_login_profile(&caller, &user, &password, reset)?;
        }
        Ok(())
    })
    .await?;
    // A changed password ends the user's open console sessions.
    app.sessions.revoke_identity(
        &ctx.session.account_id,
        &petrel_service::Identity::User(name.clone()),
    );
    Ok(Redirect::to(&format!("/console/users/{name}")).into_response())
}

async fn create_key(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    ctx.check_csrf(&Fields::from_bytes(&body))?;
    let caller = ctx.caller();
    let svc = app.clone();
    let user = name.clone();
    let key = blocking(move || Ok(svc.service.create_access_key(&caller, Some(&user))?)).await?;
    let shown = (key.id.clone(), key.secret.expose().to_owned());
    user_page(
        &app,
        &ctx,
        name,
        Some(shown),
        "AccessKey created: copy the secret now, it is never shown again".to_owned(),
    )
    .await
}
