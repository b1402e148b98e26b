//! Identities > User groups: list and create groups, and a group's page with its members (add,
//! remove), its grants, and deleting it. Policies attached to a group reach its members while
//! they belong; the grant panel takes a group as principal.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use petrel_meta::{AttachmentFilter, Group, Principal};

use crate::App;
use crate::auth::blocking;
use crate::ctx::Ctx;
use crate::error::ConsoleError;
use crate::form::Fields;
use crate::grants::{GrantRow, grant_rows};
use crate::mqshared::enc;
use crate::view::{Chrome, page};

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/user-groups", get(list).post(create))
        .route("/user-groups/{name}", get(detail))
        .route("/user-groups/{name}/members", post(add_member))
        .route("/user-groups/{name}/members/remove", post(remove_member))
        .route("/user-groups/{name}/delete", post(delete))
}

#[derive(Template)]
#[template(path = "user_groups.html")]
struct ListPage {
    chrome: Chrome,
    groups: Vec<Group>,
}

async fn list(State(app): State<Arc<App>>, ctx: Ctx) -> Result<Response, ConsoleError> {
    let caller = ctx.caller();
    let svc = app.clone();
    let groups = blocking(move || Ok(svc.service.list_groups(&caller)?)).await?;
    page(&ListPage {
        chrome: ctx.chrome(&app, "user-groups"),
        groups,
    })
}

async fn create(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let fields = Fields::from_bytes(&body);
    ctx.check_csrf(&fields)?;
    let name = fields.get("name").to_owned();
    let comments = fields.get("comments").to_owned();
    let caller = ctx.caller();
    let n = name.clone();
    blocking(move || {
        let comments = (!comments.is_empty()).then_some(comments.as_str());
        Ok(app.service.create_group(&caller, &n, comments)?)
    })
    .await?;
    Ok(Redirect::to(&format!("/console/user-groups/{}", enc(&name))).into_response())
}

/// A member as the table shows it.
#[derive(Debug, Clone)]
pub struct MemberRow {
    pub name: String,
    pub display_name: String,
    pub joined: String,
}

#[derive(Template)]
#[template(path = "user_group.html")]
struct DetailPage {
    chrome: Chrome,
    group: Group,
    members: Vec<MemberRow>,
    /// Users not yet in the group, for the add picker (empty when the caller may not list
    /// users).
    others: Vec<String>,
    grants: Vec<GrantRow>,
}

async fn detail(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(name): Path<String>,
) -> Result<Response, ConsoleError> {
    let caller = ctx.caller();
    let svc = app.clone();
    let (group, members, others, grants) = blocking(move || {
        let group = svc.service.get_group(&caller, &name)?;
        let members = svc.service.list_users_for_group(&caller, &name)?;
        let others = svc
            .service
            .list_users(&caller)
            .map(|users| {
                users
                    .into_iter()
                    .map(|u| u.name)
                    .filter(|u| !members.iter().any(|m| m.user.name == *u))
                    .collect()
            })
            .unwrap_or_default();
        let grants = svc.service.list_grants(
            &caller,
            &AttachmentFilter {
                principal: Some(Principal::Group(name.clone())),
                ..AttachmentFilter::default()
            },
        )?;
        let members = members
            .into_iter()
            .map(|m| MemberRow {
                name: m.user.name,
                display_name: m.user.display_name,
                joined: m.joined_at.date().to_string(),
            })
            .collect();
        Ok((group, members, others, grants))
    })
    .await?;
    page(&DetailPage {
        chrome: ctx.chrome(&app, "user-groups"),
        group,
        members,
        others,
        grants: grant_rows(grants),
    })
}

async fn add_member(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let fields = Fields::from_bytes(&body);
    ctx.check_csrf(&fields)?;
    let users = fields.all("user");
    let caller = ctx.caller();
    let group = name.clone();
    blocking(move || {
        for user in &users {
            app.service.add_user_to_group(&caller, user, &group)?;
        }
        Ok(())
    })
    .await?;
    Ok(Redirect::to(&format!("/console/user-groups/{}", enc(&name))).into_response())
}

async fn remove_member(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let fields = Fields::from_bytes(&body);
    ctx.check_csrf(&fields)?;
    let user = fields.get("user").to_owned();
    let caller = ctx.caller();
    let group = name.clone();
    blocking(move || Ok(app.service.remove_user_from_group(&caller, &user, &group)?)).await?;
    Ok(Redirect::to(&format!("/console/user-groups/{}", enc(&name))).into_response())
}

async fn delete(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let fields = Fields::from_bytes(&body);
    ctx.check_csrf(&fields)?;
    let caller = ctx.caller();
    // Not forced: a group with members or grants is refused with the service's reason.
    blocking(move || Ok(app.service.delete_group(&caller, &name, false)?)).await?;
    Ok(Redirect::to("/console/user-groups").into_response())
}
