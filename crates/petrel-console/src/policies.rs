//! Permissions > Policies: system and custom, with a JSON editor for custom ones.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use petrel_service::{PolicyInfo, PolicyKind, ServiceError};

use crate::App;
use crate::auth::blocking;
use crate::ctx::Ctx;
use crate::error::ConsoleError;
use crate::form::Fields;
use crate::view::{Chrome, page};

pub fn routes() -> Router<Arc<App>> {
    Router::new().route("/policies", get(list).post(create))
}

#[derive(Template)]
#[template(path = "policies.html")]
struct PoliciesPage {
    chrome: Chrome,
    policies: Vec<PolicyInfo>,
    name: String,
    description: String,
    document: String,
    error: String,
}

const EXAMPLE: &str = r#"{
  "Version": "1",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["rocketmq:Get*", "rocketmq:List*"],
      "Resource": "*"
    }
  ]
}"#;

async fn render(
    app: &Arc<App>,
    ctx: &Ctx,
    form: (String, String, String),
    error: String,
) -> Result<Response, ConsoleError> {
    let caller = ctx.caller();
    let svc = app.clone();
    let policies = blocking(move || Ok(svc.service.list_policies(&caller, None)?)).await?;
    let (name, description, document) = form;
    page(&PoliciesPage {
        chrome: ctx.chrome(app, "policies"),
        policies,
        name,
        description,
        document,
        error,
    })
}

async fn list(State(app): State<Arc<App>>, ctx: Ctx) -> Result<Response, ConsoleError> {
    render(
        &app,
        &ctx,
        (String::new(), String::new(), EXAMPLE.to_owned()),
        String::new(),
    )
    .await
}

async fn create(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let fields = Fields::from_bytes(&body);
    ctx.check_csrf(&fields)?;
    let form = (
        fields.get("name").to_owned(),
        fields.get("description").to_owned(),
        fields.raw("document").to_owned(),
    );
    let caller = ctx.caller();
    let svc = app.clone();
    let (name, description, document) = form.clone();
    let result = blocking(move || {
        Ok(svc
            .service
            .create_policy(&caller, &name, &description, &document))
    })
    .await?;
    match result {
        Ok(_) => Ok(Redirect::to("/console/policies").into_response()),
        Err(e @ ServiceError::Denied(_)) => Err(e.into()),
        Err(e) => {
            let shown = format!("{} ({})", e, e.code());
            let mut r = render(&app, &ctx, form, shown).await?;
            *r.status_mut() = StatusCode::BAD_REQUEST;
            Ok(r)
        }
    }
}
