//! STS 2015-04-01: `GetCallerIdentity`, the cheap "who am I" every SDK user reaches for first.
//! (Petrel issues no temporary credentials, so `AssumeRole` is not served.)

use petrel_service::Identity;
use serde_json::{Value, json};

use crate::dispatch::{Ctx, Product, rpc};
use crate::envelope::Style;
use crate::error::ApiError;

pub(crate) const PRODUCT: Product = Product {
    version: "2015-04-01",
    style: Style::Rpc,
    ops: &[&[rpc("GetCallerIdentity", get_caller_identity)]],
};

fn get_caller_identity(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let who = ctx.service.caller_identity(ctx.caller)?;
    let account = &who.account_id;
    Ok(match (&ctx.caller.identity, &who.user) {
        (Identity::User(name), Some(user)) => json!({
            "AccountId": account,
            "UserId": user.user_id,
            "PrincipalId": user.user_id,
            "IdentityType": "RAMUser",
            "Arn": format!("acs:ram::{account}:user/{name}"),
        }),
        _ => json!({
            "AccountId": account,
            "UserId": account,
            "PrincipalId": account,
            "IdentityType": "Account",
            "Arn": format!("acs:ram::{account}:root"),
        }),
    })
}
