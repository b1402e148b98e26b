//! RAM users and their console passwords (login profiles).

use petrel_meta::{LoginProfile, NewUser, User, UserUpdate};
use petrel_service::LoginProfileChange;
use serde_json::{Value, json};

use crate::dispatch::{Ctx, Op, rpc};
use crate::envelope::{iso, wrapped};
use crate::error::ApiError;
use crate::page;

pub(crate) const OPS: &[Op] = &[
    rpc("CreateUser", create_user),
    rpc("GetUser", get_user),
    rpc("UpdateUser", update_user),
    rpc("ListUsers", list_users),
    rpc("DeleteUser", delete_user),
    rpc("CreateLoginProfile", create_login_profile),
    rpc("GetLoginProfile", get_login_profile),
    rpc("UpdateLoginProfile", update_login_profile),
    rpc("DeleteLoginProfile", delete_login_profile),
];

pub(crate) fn user_json(u: &User) -> Value {
    let mut v = json!({
        "UserId": u.user_id,
        "UserName": u.name,
        "DisplayName": u.display_name,
        "MobilePhone": u.mobile_phone,
        "Email": u.email,
        "Comments": u.comments,
        "CreateDate": iso(u.created_at),
        "UpdateDate": iso(u.updated_at),
    });
    if let (Some(at), Value::Object(m)) = (u.last_login_at, &mut v) {
        m.insert("LastLoginDate".to_owned(), json!(iso(at)));
    }
    v
}

fn create_user(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params();
    let user = ctx.service.create_user(
        ctx.caller,
        NewUser {
            name: p.required("UserName")?.to_owned(),
            display_name: p.opt("DisplayName").map(str::to_owned),
            email: p.opt("Email").map(str::to_owned),
            mobile_phone: p.opt("MobilePhone").map(str::to_owned),
            comments: p.opt("Comments").map(str::to_owned),
        },
    )?;
    Ok(json!({ "User": user_json(&user) }))
}

fn get_user(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let name = ctx.params().required("UserName")?;
    let user = ctx.service.get_user(ctx.caller, name)?;
    Ok(json!({ "User": user_json(&user) }))
}

fn update_user(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params();
    let name = p.required("UserName")?;
    let update = UserUpdate {
        new_name: p.opt("NewUserName").map(str::to_owned),
        display_name: p.opt("NewDisplayName").map(str::to_owned),
        email: p.raw("NewEmail").map(str::to_owned),
        mobile_phone: p.raw("NewMobilePhone").map(str::to_owned),
        comments: p.raw("NewComments").map(str::to_owned),
    };
    let user = ctx.service.update_user(ctx.caller, name, update)?;
    Ok(json!({ "User": user_json(&user) }))
}

fn list_users(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let users = ctx.service.list_users(ctx.caller)?;
    let (items, mut meta) =
        page::by_marker(ctx.params(), users, |u| u.name.clone(), |u| user_json(&u))?;
    meta.insert("Users".to_owned(), wrapped("User", items));
    Ok(Value::Object(meta))
}

fn delete_user(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let name = ctx.params().required("UserName")?;
    ctx.service.delete_user(ctx.caller, name, false)?;
    Ok(json!({}))
}

fn profile_json(p: &LoginProfile) -> Value {
    json!({
        "UserName": p.user_name,
        "PasswordResetRequired": p.password_reset_required,
        "MFABindRequired": p.mfa_bind_required,
        "CreateDate": iso(p.created_at),
        "UpdateDate": iso(p.updated_at),
    })
}

fn create_login_profile(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params();
    let user = p.required("UserName")?;
    let password = p.required("Password")?;
    let reset = p.bool("PasswordResetRequired")?.unwrap_or(false);
    let mfa = p.bool("MFABindRequired")?.unwrap_or(false);
    let mut profile = ctx
        .service
        .create_login_profile(ctx.caller, user, password, reset)?;
    if mfa {
        // The service creates profiles without the MFA flag; setting it is a second, equally
        // authorized step.
        profile = ctx.service.update_login_profile(
            ctx.caller,
            user,
            LoginProfileChange {
                mfa_bind_required: Some(true),
                ..LoginProfileChange::default()
            },
        )?;
    }
    Ok(json!({ "LoginProfile": profile_json(&profile) }))
}

fn get_login_profile(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let user = ctx.params().required("UserName")?;
    let profile = ctx.service.get_login_profile(ctx.caller, user)?;
    Ok(json!({ "LoginProfile": profile_json(&profile) }))
}

fn update_login_profile(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let p = ctx.params();
    let user = p.required("UserName")?;
    let change = LoginProfileChange {
        password: p.opt("Password").map(str::to_owned),
        password_reset_required: p.bool("PasswordResetRequired")?,
        mfa_bind_required: p.bool("MFABindRequired")?,
    };
    let profile = ctx.service.update_login_profile(ctx.caller, user, change)?;
    Ok(json!({ "LoginProfile": profile_json(&profile) }))
}

fn delete_login_profile(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let user = ctx.params().required("UserName")?;
    ctx.service.delete_login_profile(ctx.caller, user)?;
    Ok(json!({}))
}
