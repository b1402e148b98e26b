//! RAM groups and membership.

use petrel_meta::{Group, GroupUpdate};
use serde_json::{Value, json};

use crate::dispatch::{Ctx, Op, rpc};
use crate::envelope::{iso, wrapped};
use crate::error::ApiError;
use crate::page;

pub(crate) const OPS: &[Op] = &[
    rpc("CreateGroup", create_group),
    rpc("GetGroup", get_group),
    rpc("UpdateGroup", update_group),
    rpc("ListGroups", list_groups),
    rpc("DeleteGroup", delete_group),
    rpc("AddUserToGroup", add_user_to_group),
    rpc("RemoveUserFromGroup", remove_user_from_group),
    rpc("ListGroupsForUser", list_groups_for_user),
    rpc("ListUsersForGroup", list_users_for_group),
];

fn group_json(g: &Group) -> Value {
    json!({
        "GroupId": g.group_id,
        "GroupName": g.name,
        "Comments": g.comments,
        "CreateDate": iso(g.created_at),
        "UpdateDate": iso(g.updated_at),
    })
}

fn create_group(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params();
    let group =
        ctx.service
            .create_group(ctx.caller, p.required("GroupName")?, p.opt("Comments"))?;
    Ok(json!({ "Group": group_json(&group) }))
}

fn get_group(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let group = ctx
        .service
        .get_group(ctx.caller, ctx.params().required("GroupName")?)?;
    Ok(json!({ "Group": group_json(&group) }))
}

fn update_group(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params();
    let update = GroupUpdate {
        new_name: p.opt("NewGroupName").map(str::to_owned),
        comments: p.raw("NewComments").map(str::to_owned),
    };
    let group = ctx
        .service
        .update_group(ctx.caller, p.required("GroupName")?, update)?;
    Ok(json!({ "Group": group_json(&group) }))
}

fn list_groups(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let groups = ctx.service.list_groups(ctx.caller)?;
    let (items, mut meta) =
        page::by_marker(ctx.params(), groups, |g| g.name.clone(), |g| group_json(&g))?;
    meta.insert("Groups".to_owned(), wrapped("Group", items));
    Ok(Value::Object(meta))
}

fn delete_group(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let name = ctx.params().required("GroupName")?;
    ctx.service.delete_group(ctx.caller, name, false)?;
    Ok(json!({}))
}

fn add_user_to_group(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params();
    ctx.service.add_user_to_group(
        ctx.caller,
        p.required("UserName")?,
        p.required("GroupName")?,
    )?;
    Ok(json!({}))
}

fn remove_user_from_group(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params();
    ctx.service.remove_user_from_group(
        ctx.caller,
        p.required("UserName")?,
        p.required("GroupName")?,
    )?;
    Ok(json!({}))
}

fn list_groups_for_user(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let user = ctx.params().required("UserName")?;
    let groups = ctx.service.list_groups_for_user(ctx.caller, user)?;
    let items = groups
        .iter()
        .map(|m| {
            json!({
                "GroupId": m.group.group_id,
                "GroupName": m.group.name,
                "Comments": m.group.comments,
                "JoinDate": iso(m.joined_at),
            })
        })
        .collect();
    Ok(json!({ "Groups": wrapped("Group", items) }))
}

fn list_users_for_group(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let group = ctx.params().required("GroupName")?;
    let members = ctx.service.list_users_for_group(ctx.caller, group)?;
    let (items, mut meta) = page::by_marker(
        ctx.params(),
        members,
        |m| m.user.name.clone(),
        |m| {
            json!({
                "UserId": m.user.user_id,
                "UserName": m.user.name,
                "DisplayName": m.user.display_name,
                "JoinDate": iso(m.joined_at),
            })
        },
    )?;
    meta.insert("Users".to_owned(), wrapped("User", items));
    Ok(Value::Object(meta))
}
