//! Resource groups: list (with the instances each holds), create, rename, delete (refused with
//! the service's reason while a group holds instances or scoped grants), and moving an instance
//! from one group to another.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use petrel_meta::{Instance, ResourceGroup};

use crate::App;
use crate::auth::blocking;
use crate::ctx::Ctx;
use crate::error::ConsoleError;
use crate::form::Fields;
use crate::view::{Chrome, page};

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/resource-groups", get(list).post(create))
        .route("/resource-groups/{id}/rename", post(rename))
        .route("/resource-groups/{id}/delete", post(delete))
        .route("/resource-groups/move", post(move_instance))
}

/// A group with the instances it holds.
#[derive(Debug, Clone)]
pub struct GroupRow {
    pub group: ResourceGroup,
    pub instances: Vec<Instance>,
}

#[derive(Template)]
#[template(path = "resource_groups.html")]
struct GroupsPage {
    chrome: Chrome,
    groups: Vec<GroupRow>,
    /// Every instance, for the move picker.
    instances: Vec<Instance>,
    /// Why the instances are not shown, when the caller may not list them.
    instances_error: String,
}

async fn list(State(app): State<Arc<App>>, ctx: Ctx) -> Result<Response, ConsoleError> {
    let caller = ctx.caller();
    let svc = app.clone();
    let (groups, instances) = blocking(move || {
        let groups = svc.service.list_resource_groups(&caller)?;
        // The instances are extra information: a caller who may list groups but not
        // resources still manages the groups, and sees why the instances are missing.
        let instances = svc
            .service
            .list_resources(&caller, None)
            .map_err(|e| format!("{e} ({})", e.code()));
        Ok((groups, instances))
    })
    .await?;
    let (instances, instances_error) = match instances {
        Ok(i) => (i, String::new()),
        Err(e) => (Vec::new(), e),
    };
    let groups = groups
        .into_iter()
        .map(|g| GroupRow {
            instances: instances
                .iter()
                .filter(|i| i.resource_group_id == g.id)
                .cloned()
                .collect(),
            group: g,
        })
        .collect();
    page(&GroupsPage {
        chrome: ctx.chrome(&app, "resource-groups"),
        groups,
        instances,
        instances_error,
    })
}

async fn create(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let fields = Fields::from_bytes(&body);
    ctx.check_csrf(&fields)?;
    let (name, display) = (
        fields.get("name").to_owned(),
        fields.get("display_name").to_owned(),
    );
    let caller = ctx.caller();
    blocking(move || {
        Ok(app
            .service
            .create_resource_group(&caller, &name, &display)?)
    })
    .await?;
    Ok(Redirect::to("/console/resource-groups").into_response())
}

async fn rename(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let fields = Fields::from_bytes(&body);
    ctx.check_csrf(&fields)?;
    let display = fields.get("display_name").to_owned();
    let caller = ctx.caller();
    blocking(move || Ok(app.service.rename_resource_group(&caller, &id, &display)?)).await?;
    Ok(Redirect::to("/console/resource-groups").into_response())
}

async fn delete(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    ctx.check_csrf(&Fields::from_bytes(&body))?;
    let caller = ctx.caller();
    blocking(move || Ok(app.service.delete_resource_group(&caller, &id)?)).await?;
    Ok(Redirect::to("/console/resource-groups").into_response())
}

async fn move_instance(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let fields = Fields::from_bytes(&body);
    ctx.check_csrf(&fields)?;
    let (instance, target) = (
        fields.get("instance").to_owned(),
        fields.get("target").to_owned(),
    );
    let caller = ctx.caller();
    blocking(move || Ok(app.service.move_instance(&caller, &instance, &target)?)).await?;
    Ok(Redirect::to("/console/resource-groups").into_response())
}
